#!/usr/bin/env bash
# Undoes bench/dachs/setup.sh: stops DaCHS, drops the meridian_bench schema and its RD, and removes the gavo.rc that
# setup wrote. The Debian packages stay installed (`apt-get purge gavodachs2-server` removes them and the gavo
# database's roles are then dropped by hand); pass --purge to do that too.
set -uo pipefail
RESDIR=/var/gavo/inputs/meridian_bench

dachs serv stop || true
if [ -e "$RESDIR/q.rd" ]; then
  (cd "$RESDIR" && dachs drop q) || true
fi
rm -rf "$RESDIR"
if [ -e /etc/gavo.rc ] && grep -q '^# written by meridian bench/dachs/setup.sh' /etc/gavo.rc; then
  rm -f /etc/gavo.rc
fi
if [ "${1:-}" = "--purge" ]; then
  DEBIAN_FRONTEND=noninteractive apt-get purge -y -o DPkg::Lock::Timeout=600 gavodachs2-server
  su postgres -c "dropdb --if-exists gavo"
fi
echo "DaCHS benchmark table removed"
