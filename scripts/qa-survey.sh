#!/usr/bin/env bash
# The QA survey of issue 13: simulate 20 visits x 9 detectors of 2048 px, ingest them into a new butler repository,
# run DRP steps 1 and 2 (pipelines/DRP.yaml) with 2 worker processes, measure the outputs against the truth with
# `meridian qa`, and load the Source/CcdVisit/Visit tables into a catalog. Prints the wall time of every step; the
# numbers are in docs/qa.md ("Results on the QA survey") and docs/benchmarks.md (DRP).
#
#   npm run build && scripts/qa-survey.sh [WORKDIR]       (default /tmp/meridian-qa-survey; emptied first; ~30 GB)
#
# Survey choices (why):
# - bands g,r,i (the simulator's default, as DP0.2's deep bands): the global calibration and PA1 are per band, so
#   each band has its own 6-7 repeat visits and the worst band is judged, which is harder than r alone (20 repeats).
# - --radius 0.1: boresights within 0.1 deg (6') of the field centre, so the 20' wide focal plane of every visit
#   overlaps the others (stars measured in most visits of a band, AM1 pairs 5' apart in the same visit).
# - --stars-per-deg2 66000: star counts rise 0.18 dex/mag over 14 < r < 25, so 11.7% of the stars are brighter than
#   the refcat limit (r < 20); a 2048 px detector at 0.2"/px covers 0.0130 deg2: 66000 x 0.0130 x 0.117 = ~100
#   reference stars per detector (30000 would give ~45), as a star-rich low-latitude field.
# - --defects: bad columns and hot pixels for the ISR to mask; pointing errors, distortion, PSF variation and
#   thin cloud are the simulator's defaults (honest raws).
set -euo pipefail

WORKDIR="${1:-/tmp/meridian-qa-survey}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MERIDIAN="node $ROOT/bin/meridian.js"
BUTLER="node $ROOT/bin/butler.js"
PIPETASK="node $ROOT/bin/pipetask.js"
INPUTS="MeridianCam/raw/all,MeridianCam/calib,refcats/the_monster_refcat,skymaps"
OUT="u/qa/drp"

if [ ! -f "$ROOT/dist/cli/meridian.js" ]; then
  echo "dist/ is missing: run npm run build first" >&2
  exit 2
fi

rm -rf "$WORKDIR"
mkdir -p "$WORKDIR"
# postISRCCD, icExp and calexp are 50 MB each per 2k detector: the run writes about 30 GB. Refuse to start without
# room for it rather than fill a shared disk halfway through step 1.
AVAILABLE_GB=$(df -P -BG "$WORKDIR" | awk 'NR == 2 { sub("G", "", $4); print $4 }')
if [ "${AVAILABLE_GB:-0}" -lt 35 ]; then
  echo "only ${AVAILABLE_GB} GB free under $WORKDIR: the QA survey needs about 30 GB (delete the work directory after)" >&2
  exit 2
fi
SIM="$WORKDIR/sim"
REPO="$WORKDIR/repo"

declare -a TIMES=()
step() {
  local name="$1"
  shift
  echo "== $name: $*"
  local t0 t1
  t0=$(date +%s.%N)
  "$@"
  t1=$(date +%s.%N)
  local dt
  dt=$(echo "$t1 - $t0" | bc)
  TIMES+=("$(printf '%-28s %8.1f s' "$name" "$dt")")
  printf '   %s took %.1f s (load %s)\n' "$name" "$dt" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

echo "QA survey in $WORKDIR, started $(date -u +%Y-%m-%dT%H:%M:%SZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
step "sim survey" $MERIDIAN sim survey "$SIM" --visits 20 --nights 4 --bands g,r,i --detectors 9 \
  --detector-size 2048 --radius 0.1 --defects --stars-per-deg2 66000
step "butler create" $BUTLER create "$REPO"
step "register-instrument" $BUTLER register-instrument "$REPO" --sim-manifest "$SIM/manifest.json"
step "ingest-raws" $BUTLER ingest-raws "$REPO" "$SIM/raw"
step "define-visits" $BUTLER define-visits "$REPO" MeridianCam
step "write-curated-calibrations" $BUTLER write-curated-calibrations "$REPO" "$SIM"
step "register-skymap" $BUTLER register-skymap "$REPO" --sim-manifest "$SIM/manifest.json"
step "ingest-refcat" $BUTLER ingest-refcat "$REPO" "$SIM/refcat"
step "pipetask run step1" $PIPETASK run -b "$REPO" -p "$ROOT/pipelines/DRP.yaml#step1" -i "$INPUTS" \
  -o "$OUT" --output-run "$OUT/step1" -j 2 --summary "$WORKDIR/step1-summary.json" || true
step "pipetask run step2" $PIPETASK run -b "$REPO" -p "$ROOT/pipelines/DRP.yaml#step2" -i "$OUT,$INPUTS" \
  -o "$OUT" --output-run "$OUT/step2" -j 2 --summary "$WORKDIR/step2-summary.json" || true
step "meridian qa" $MERIDIAN qa "$REPO" --collections "$OUT" --truth "$SIM" --out "$WORKDIR/qa"
step "catalog ingest-butler" $MERIDIAN catalog ingest-butler "$WORKDIR/catalog" --repo "$REPO" --collections "$OUT"

echo
echo "Wall times (finished $(date -u +%Y-%m-%dT%H:%M:%SZ), load $(cut -d' ' -f1-3 /proc/loadavg)):"
printf '  %s\n' "${TIMES[@]}"
