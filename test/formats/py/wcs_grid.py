"""Reads {name: {"cards": [[keyword, value], ...], "pixels": [xs, ys], "sky": [ras, decs]}} as JSON on stdin and
prints {name: astropy's answer}: all_pix2world of the pixels and all_world2pix of the sky positions (0-based pixels,
degrees), and whether astropy found SIP distortion."""
import json
import sys
import warnings

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS


def answer(request):
    header = fits.Header()
    for keyword, value in request["cards"]:
        header[keyword] = value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wcs = WCS(header)
    xs, ys = (np.array(v, dtype=float) for v in request["pixels"])
    ras, decs = (np.array(v, dtype=float) for v in request["sky"])
    ra, dec = wcs.all_pix2world(xs, ys, 0)
    x, y = wcs.all_world2pix(ras, decs, 0, tolerance=1e-10, maxiter=100)
    return {"sky": [ra.tolist(), dec.tolist()], "pixels": [x.tolist(), y.tolist()], "has_sip": wcs.sip is not None}


requests = json.load(sys.stdin)
print(json.dumps({name: answer(request) for name, request in requests.items()}))
