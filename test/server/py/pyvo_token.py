"""pyvo with a Meridian token against a live server that requires one: a requests.Session carrying
`Authorization: Bearer`, and pyvo's AuthSession with HTTP Basic (user x-oauth-basic, the token as password), which
finds from /capabilities that the service takes Basic;
without a token the same query is refused. Prints one JSON document with what it saw; the test asserts on it."""

import json
import sys

import pyvo
import requests
from pyvo.auth import AuthSession

url, schema, token = sys.argv[1], sys.argv[2], sys.argv[3]
query = f"SELECT TOP 3 objectId FROM {schema}.Object ORDER BY objectId"
out = {}

session = requests.Session()
session.headers["Authorization"] = f"Bearer {token}"
bearer = pyvo.dal.TAPService(url, session=session)
out["bearerRows"] = len(bearer.run_sync(query))
job = bearer.submit_job(query)
job.run()
job.wait(phases=["COMPLETED", "ERROR", "ABORTED"], timeout=60)
out["asyncPhase"] = job.phase
out["asyncOwner"] = job.owner
out["asyncRows"] = len(job.fetch_result())
job.delete()

basic_session = AuthSession()
basic_session.credentials.set_password("x-oauth-basic", token)
basic = pyvo.dal.TAPService(url, session=basic_session)
out["basicRows"] = len(basic.run_sync(query))

try:
    pyvo.dal.TAPService(url).run_sync(query)
    out["anonymous"] = "served"
except (pyvo.dal.DALQueryError, pyvo.dal.DALServiceError) as err:
    # pyvo reads our VOTable error document, so the user sees why (not only "401").
    out["anonymous"] = f"{type(err).__name__}: {err}"

print(json.dumps(out))
