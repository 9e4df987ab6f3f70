"""pyvo's async API against a live Meridian TAP service: run_async, and submit_job + run + wait + fetch_result +
delete. Prints one JSON document with what it saw; the test asserts on it."""

import json
import sys

import pyvo

url, schema = sys.argv[1], sys.argv[2]
service = pyvo.dal.TAPService(url)
query = f"SELECT TOP 4 objectId, coord_ra FROM {schema}.Object ORDER BY objectId"
out = {"runAsyncRows": len(service.run_async(query))}

job = service.submit_job(query, maxrec=2)
out["submittedPhase"] = job.phase
job.run()
job.wait(phases=["COMPLETED", "ERROR", "ABORTED"], timeout=60)
out["phase"] = job.phase
job.raise_if_error()
result = job.fetch_result()
out["rows"] = len(result)
out["status"] = result.query_status
job.delete()
try:
    job.phase
    out["afterDelete"] = "still there"
except pyvo.dal.DALServiceError as err:
    out["afterDelete"] = "gone"
print(json.dumps(out))
