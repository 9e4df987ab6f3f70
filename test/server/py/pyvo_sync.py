"""pyvo against a live Meridian TAP service: sync queries, MAXREC overflow, tap_schema, VOSI tables, BINARY2 and a
query error seen as DALQueryError. Prints one JSON document with what it saw; the test asserts on it."""

import json
import sys

import pyvo

url, schema = sys.argv[1], sys.argv[2]
service = pyvo.dal.TAPService(url)
out = {"maxrec": service.maxrec, "hardlimit": service.hardlimit}

result = service.run_sync(f"SELECT TOP 5 objectId, coord_ra, coord_dec FROM {schema}.Object ORDER BY objectId")
table = result.to_table()
out["rows"] = len(result)
out["fields"] = list(result.fieldnames)
out["objectIdKind"] = table["objectId"].dtype.kind
out["objectIds"] = [str(v) for v in table["objectId"]]
out["raUnit"] = str(table["coord_ra"].unit)

overflow = service.run_sync(f"SELECT objectId FROM {schema}.Object", maxrec=3)
out["overflowRows"] = len(overflow)
out["overflowStatus"] = overflow.query_status

binary2 = service.run_sync(
    f"SELECT TOP 5 objectId, coord_ra, coord_dec FROM {schema}.Object ORDER BY objectId",
    responseformat="votable/b2",
)
out["binary2ObjectIds"] = [str(v) for v in binary2.to_table()["objectId"]]

tap_tables = service.run_sync("SELECT table_name FROM tap_schema.tables ORDER BY table_index")
out["tapSchemaTables"] = [str(v) for v in tap_tables.to_table()["table_name"]]
out["vosiTables"] = list(service.tables.keys())

try:
    service.run_sync(f"SELECT objectId FROM {schema}.Object WHERE")
    out["error"] = None
except pyvo.dal.DALQueryError as err:
    out["error"] = str(err)

print(json.dumps(out))
