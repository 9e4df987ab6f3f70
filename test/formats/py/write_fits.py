"""Usage: write_fits.py DIR -> writes FITS files with astropy into DIR and prints {name: description} as JSON.

The files cover every BITPIX (with the unsigned and scaled conventions), a binary table with every TFORM type and
variable-length arrays, and header edge cases, so that Meridian's reader can be compared with astropy's.
"""
import os
import sys

import numpy as np
from astropy.io import fits

from fits_json import describe, dump

out_dir = sys.argv[1]
shape = (5, 7)  # numpy (rows, columns) = FITS (NAXIS2, NAXIS1)
ramp = np.arange(35).reshape(shape)

hdus = [fits.PrimaryHDU((ramp * 7).astype(np.uint8))]
hdus[0].header["OBSERVER"] = ("Vera " * 30).strip()  # CONTINUE
hdus[0].header["HIERARCH ESO DET CHIP TEMP"] = (-120.5, "K")
hdus[0].header["DATE-OBS"] = ("2022-06-30T01:02:03.5", "start of exposure")
hdus[0].header["TINY"] = 1.5e-300
hdus[0].header["FLAG"] = False
hdus[0].header["QUOTE"] = "it's"
hdus[0].header["HISTORY"] = "written by astropy for Meridian's tests"
for dtype in (np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64, np.float32, np.float64):
    data = (ramp * 997 - 9000).astype(dtype) if np.dtype(dtype).kind != "u" else (ramp * 1877).astype(dtype)
    if np.dtype(dtype).kind == "f":
        data = data / 3.0
    hdus.append(fits.ImageHDU(data, name=np.dtype(dtype).name.upper()))
scaled = fits.ImageHDU((ramp * 0.5 + 100).astype(np.float64), name="SCALED")
scaled.scale("int16", bscale=0.5, bzero=100)
hdus.append(scaled)
images = os.path.join(out_dir, "astropy-images.fits")
fits.HDUList(hdus).writeto(images, overwrite=True, checksum=True)

n = 3
columns = [
    fits.Column(name="flag", format="L", array=np.array([True, False, True])),
    fits.Column(name="bits", format="11X", array=np.array([[i % 3 == 0 for i in range(11)]] * n)),
    fits.Column(name="byte", format="B", array=np.array([0, 7, 255], dtype=np.uint8)),
    fits.Column(name="short", format="I", array=np.array([-32768, 0, 32767], dtype=np.int16), unit="adu"),
    fits.Column(name="ushort", format="I", bzero=32768, array=np.array([0, 1, 65535], dtype=np.uint16)),
    fits.Column(name="int", format="J", array=np.array([-5, 0, 2147483647], dtype=np.int32), null=-5),
    fits.Column(name="long", format="K", array=np.array([-(2**62), 1, 2**62], dtype=np.int64)),
    fits.Column(name="text", format="10A", array=np.array(["a", "bcd", "0123456789"])),
    fits.Column(name="float", format="2E", array=np.array([[1.5, -2], [0, 3.25e-20], [np.nan, 1]], dtype=np.float32)),
    fits.Column(name="double", format="D", array=np.array([np.pi, -1e300, np.inf])),
    fits.Column(name="cplx", format="C", array=np.array([1 - 1j, 2j, 3], dtype=np.complex64)),
    fits.Column(name="dcplx", format="M", array=np.array([1 - 1j, 2j, 3], dtype=np.complex128)),
    fits.Column(name="varJ", format="PJ()", array=np.array([np.array([1, 2, 3], dtype=np.int32), np.array([], dtype=np.int32), np.array([7], dtype=np.int32)], dtype=object)),
    fits.Column(name="varD", format="QD()", array=np.array([np.array([0.5]), np.array([1.0, 2.0]), np.array([3.0])], dtype=object)),
]
table = os.path.join(out_dir, "astropy-table.fits")
fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns(columns, name="ALLTYPES")]).writeto(
    table, overwrite=True, checksum=True
)
dump({"images": describe(images), "table": describe(table)})
