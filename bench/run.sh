#!/usr/bin/env bash
# tiersplit benchmark suite (issue 8): migration speed and downtime against
# dump-and-reload and the raw copy limit, on the benchmark's own lab copy.
#
#   bench/run.sh [--size-mb N] [--runs N] [--only STEPS] [--perm-files N] [--keep-lab]
#
#   --size-mb N    InnoDB data to seed on the source on the lab's first bring-up,
#                  split over the two application databases (default 1024)
#   --runs N       repeats of each measurement (default 3; median and spread)
#   --only STEPS   comma list of dump,raw,cold,rsync,replica,perms,phases
#                  (default all; phases is destructive and runs last)
#   --perm-files N files for the permission benchmark (default 200000)
#   --keep-lab     leave the lab copy up afterwards (default: tear it down)
#
# Lab copy: TIERSPLIT_LAB_NAME=tiersplit-bench, TIERSPLIT_LAB_NET=172.31.243
# (override both to run another copy). The dataset is built once per lab copy:
# to change --size-mb, tear the copy down first (scripts/lab.sh down with the
# same variables) or drop --keep-lab. Output: bench/results/<UTC timestamp>/
# results.json, results.md, chart.png, logs/; docs/benchmarks-latest.md is a
# copy of results.md (bench/chart-latest.png of the chart). Figures are
# printed, never asserted. Run as root.
# See docs/benchmarks.md.
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "$0")" && pwd)"
. "$BENCH_DIR/../scripts/lib.sh"
cd "$TS_ROOT"

size_mb=1024 runs=3 only="dump,raw,cold,rsync,replica,perms,phases" perm_files=200000 keep_lab=0
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mb) size_mb="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --perm-files) perm_files="$2"; shift 2 ;;
    --keep-lab) keep_lab=1; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) sed -n '2,22p' "$0" >&2; exit 2 ;;
  esac
done

export TIERSPLIT_LAB_NAME="${TIERSPLIT_LAB_NAME:-tiersplit-bench}"
export TIERSPLIT_LAB_NET="${TIERSPLIT_LAB_NET:-172.31.243}"
# The lab seeds each of its two application databases with this many MiB.
export TIERSPLIT_SEED_MB=$(( (size_mb + 1) / 2 ))

require_root
stage machine prepare_machine
stage bench-deps "$TS_VENV/bin/pip" install -q -r "$BENCH_DIR/requirements.txt"
# The lab itself as scripts/lab.sh up brings it, without its main job (the
# phase playbooks would cut the source over before anything is measured).
stage lab-containers ansible-playbook lab/containers.yml
stage lab-provision ansible-playbook lab/provision.yml
stage bench-prepare ansible-playbook bench/prepare.yml -e "@bench/vars.yml"

out="$BENCH_DIR/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
rc=0
stage bench python3 "$BENCH_DIR/bench.py" --out "$out" --size-mb "$size_mb" --runs "$runs" \
  --only "$only" --perm-files "$perm_files" || rc=$?
stage report python3 "$BENCH_DIR/report.py" "$out" --latest "$TS_ROOT/docs/benchmarks-latest.md" \
  --latest-chart "$BENCH_DIR/chart-latest.png" || rc=$?
log "results in $out"
if [ "$keep_lab" -eq 0 ]; then
  stage lab-down ansible-playbook lab/containers.yml -e lab_state=absent
fi
exit $rc
