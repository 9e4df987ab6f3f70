"""Usage: describe_fits.py FILE... -> JSON list of astropy's description of each file (see fits_json.py)."""
import sys

from fits_json import describe, dump

dump([describe(path) for path in sys.argv[1:]])
