#!/usr/bin/env bash
# Sets up GAVO DaCHS (Debian gavodachs2-server 2.7) as the peer TAP service of the server load benchmark: the same
# Object rows as the Meridian benchmark catalog, in DaCHS's PostgreSQL with a q3c index, published as the ADQL
# table meridian_bench.object. Not run in CI; needs root, apt and the system PostgreSQL 15 cluster.
#
#   bench/dachs/setup.sh OBJECT_CSV [PORT]
#
# OBJECT_CSV is the object.csv that `node dist-bench/bench/server-data.js DIR` writes into DIR (the rows of DIR's
# Meridian catalog). PORT (default 8089; 8080 is Meridian's default) is where DaCHS listens, on 127.0.0.1 only;
# its TAP service is then http://127.0.0.1:PORT/tap. bench/dachs/teardown.sh undoes everything but the install.
set -euo pipefail

CSV=${1:?usage: setup.sh OBJECT_CSV [PORT]}
PORT=${2:-8089}
HERE=$(cd "$(dirname "$0")" && pwd)
RESDIR=/var/gavo/inputs/meridian_bench
CSV=$(realpath "$CSV")
[ -s "$CSV" ] || { echo "no rows at $CSV: run bench/server-data first" >&2; exit 1; }

# The package's post-install creates the gavo database and roles, so PostgreSQL must be up before it runs.
if ! pg_lsclusters -h | awk '$1 == 15 && $2 == "main" && $4 == "online"' | grep -q .; then
  pg_ctlcluster 15 main start
fi
if ! dpkg -s gavodachs2-server >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=600 \
    gavodachs2-server postgresql-15-q3c
fi
# A post-install that failed (PostgreSQL was down) is finished here.
dpkg --configure -a
# q3c is what //scs#q3cindex indexes with; DaCHS creates the extensions it knows of, this makes sure of q3c.
su postgres -c "psql -q -d gavo -c 'CREATE EXTENSION IF NOT EXISTS q3c'"

# Our own port and address; a gavo.rc we did not write is left alone.
if [ ! -e /etc/gavo.rc ] || grep -q '^# written by meridian bench/dachs/setup.sh' /etc/gavo.rc; then
  cat > /etc/gavo.rc <<RC
# written by meridian bench/dachs/setup.sh (removed by teardown.sh)
[web]
bindAddress: 127.0.0.1
serverPort: $PORT
serverURL: http://127.0.0.1:$PORT
RC
else
  echo "/etc/gavo.rc exists and is not ours: DaCHS keeps its configured port" >&2
fi

mkdir -p "$RESDIR"
cp "$HERE/q.rd" "$RESDIR/q.rd"
# A copy, not a link: DaCHS's importer runs as the calling user but the server reads as gavo.
cp "$CSV" "$RESDIR/object.csv"
chown -R dachsroot:gavo "$RESDIR"
chmod -R g+rX "$RESDIR"

started=$(date +%s)
(cd "$RESDIR" && dachs imp q)
echo "dachs imp: $(( $(date +%s) - started )) s"
su postgres -c "psql -q -d gavo -c 'ANALYZE meridian_bench.object'"
rows=$(su postgres -c "psql -tA -d gavo -c 'SELECT count(*) FROM meridian_bench.object'")
echo "meridian_bench.object: $rows rows"
su postgres -c "psql -tA -d gavo -c \"SELECT indexdef FROM pg_indexes WHERE schemaname = 'meridian_bench'\""

dachs serv stop >/dev/null 2>&1 || true
dachs serv start
for _ in $(seq 1 60); do
  if curl -fsS "http://127.0.0.1:$PORT/tap/availability" >/dev/null 2>&1; then
    echo "DaCHS TAP: http://127.0.0.1:$PORT/tap"
    exit 0
  fi
  sleep 1
done
echo "DaCHS did not answer on http://127.0.0.1:$PORT/tap/availability within 60 s; see /var/gavo/logs" >&2
exit 1
