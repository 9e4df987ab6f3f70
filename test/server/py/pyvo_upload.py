"""pyvo uploads against a live Meridian TAP service: an astropy table of positions (taken from Object, offset a
little) joined with Object by DISTANCE, sync (search with uploads=) and async (submit_job with uploads=, run, wait,
fetch). Prints one JSON document with the joined (id, objectId) pairs and a brute-force oracle: every Object's
separation from every position, computed by astropy."""

import json
import sys

import pyvo
import astropy.units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table

url, schema = sys.argv[1], sys.argv[2]
service = pyvo.dal.TAPService(url)
objects = service.search(f"SELECT TOP 25 coord_ra, coord_dec FROM {schema}.Object ORDER BY objectId").to_table()
positions = Table()
positions["id"] = list(range(1, len(objects) + 1))
positions["ra"] = [float(r) for r in objects["coord_ra"]]
positions["dec"] = [float(d) + 0.0002 for d in objects["coord_dec"]]
positions["ra"].unit = "deg"
query = (
    f"SELECT u.id, o.objectId FROM TAP_UPLOAD.pos AS u JOIN {schema}.Object AS o "
    "ON DISTANCE(POINT('ICRS', u.ra, u.dec), POINT('ICRS', o.coord_ra, o.coord_dec)) < 0.001"
)


def pairs(table):
    return sorted([int(row["id"]), str(row["objectId"])] for row in table)


everything = service.search(f"SELECT objectId, coord_ra, coord_dec FROM {schema}.Object").to_table()
catalog = SkyCoord(everything["coord_ra"], everything["coord_dec"], unit="deg")
oracle = []
for pid, ra, dec in zip(positions["id"], positions["ra"], positions["dec"]):
    near = SkyCoord(ra, dec, unit="deg").separation(catalog) < 0.001 * u.deg
    oracle.extend([int(pid), str(oid)] for oid in everything["objectId"][near])
out = {"oracle": sorted(oracle)}
out["sync"] = pairs(service.search(query, uploads={"pos": positions}).to_table())
job = service.submit_job(query, uploads={"pos": positions})
job.run()
job.wait(phases=["COMPLETED", "ERROR", "ABORTED"], timeout=60)
out["asyncPhase"] = job.phase
job.raise_if_error()
out["async"] = pairs(job.fetch_result().to_table())
job.delete()
print(json.dumps(out))
