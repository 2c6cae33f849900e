#!/usr/bin/env bash
# tiersplit benchmark suite (issues 8 and 13): migration speed and downtime
# against dump-and-reload, mydumper/myloader and the raw copy limit, on the
# benchmark's own lab copies.
#
#   bench/run.sh [--size-mb N[,N...]] [--runs N] [--only STEPS] [--perm-files N] [--keep-lab]
#
#   --size-mb N    InnoDB data to seed on the source, split over the two
#                  application databases (default 1024); a comma list runs
#                  each size on a lab of its own, in one results file
#   --runs N       repeats of each measurement, interleaved (default 3)
#   --only STEPS   comma list of dump,mydumper,raw,cold,rsync,replica,perms,
#                  fixed,phases (default all)
#   --perm-files N files for the permission benchmark (default 200000)
#   --keep-lab     leave the last lab copy up afterwards (default: tear it down)
#
# Lab copy: TIERSPLIT_LAB_NAME=tiersplit-bench, TIERSPLIT_LAB_NET=172.31.243
# (override both to run another copy). One copy runs at a time: each size gets
# a new one (seeded with that size), then "fixed" a prepared default lab (2 MiB
# seed) and "phases" a new default lab. Output: bench/results/<UTC timestamp>/
# results.json, results.md, chart.png, stages.txt, logs/, reports/; then
# bench/results-latest.json (merged by size), docs/benchmarks-latest.md and
# bench/chart-latest.png are written from it. Figures are printed, never
# asserted. Run as root, on an otherwise idle machine for figures to commit.
# See docs/benchmarks.md.
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "$0")" && pwd)"
. "$BENCH_DIR/../scripts/lib.sh"
cd "$TS_ROOT"

sizes=1024 runs=3 only="dump,mydumper,raw,cold,rsync,replica,perms,fixed,phases" perm_files=200000 keep_lab=0
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mb) sizes="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --perm-files) perm_files="$2"; shift 2 ;;
    --keep-lab) keep_lab=1; shift ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) sed -n '2,26p' "$0" >&2; exit 2 ;;
  esac
done

export TIERSPLIT_LAB_NAME="${TIERSPLIT_LAB_NAME:-tiersplit-bench}"
export TIERSPLIT_LAB_NET="${TIERSPLIT_LAB_NET:-172.31.243}"

has() { case ",$only," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
lab_steps=""
for s in dump mydumper raw cold rsync replica; do has "$s" && lab_steps="$lab_steps,$s"; done
lab_steps="${lab_steps#,}"

require_root
out="$BENCH_DIR/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
export STAGE_REPORT="$out/stages.txt"
stage machine prepare_machine
stage bench-deps "$TS_VENV/bin/pip" install -q -r "$BENCH_DIR/requirements.txt"

lab_down() { ansible-playbook lab/containers.yml -e lab_state=absent; }
# A new lab copy as scripts/lab.sh up brings it, without its main job (the
# phase playbooks would cut the source over before anything is measured).
lab_new() {
  lab_down
  ansible-playbook lab/containers.yml
  ansible-playbook lab/provision.yml
}
bench() { python3 "$BENCH_DIR/bench.py" --out "$out" --runs "$runs" --perm-files "$perm_files" "$@"; }

rc=0
first=1
if [ -n "$lab_steps" ]; then
  for size in ${sizes//,/ }; do
    # The lab seeds each of its two application databases with this many MiB.
    export TIERSPLIT_SEED_MB=$(( (size + 1) / 2 ))
    steps="$lab_steps"
    [ "$first" -eq 1 ] && has perms && steps="$steps,perms"
    first=0
    stage "lab-${size}mb" lab_new || { rc=1; continue; }
    stage "prepare-${size}mb" ansible-playbook bench/prepare.yml -e "@bench/vars.yml" || { rc=1; continue; }
    stage "bench-${size}mb" bench --size-mb "$size" --only "$steps" || rc=$?
  done
  unset TIERSPLIT_SEED_MB
elif has perms; then
  stage bench-perms bench --only perms || rc=$?
fi
if has fixed; then
  stage lab-default lab_new && stage prepare-default ansible-playbook bench/prepare.yml -e "@bench/vars.yml" \
    && stage bench-fixed bench --only fixed || rc=1
fi
if has phases; then
  stage lab-new-default lab_new && stage bench-phases bench --only phases || rc=1
fi
stage report python3 "$BENCH_DIR/report.py" "$out" --latest "$TS_ROOT/docs/benchmarks-latest.md" \
  --latest-chart "$BENCH_DIR/chart-latest.png" --latest-json "$BENCH_DIR/results-latest.json" || rc=$?
if [ "$keep_lab" -eq 0 ]; then
  stage lab-down lab_down || rc=$?
fi
log "results in $out (steps' times: $STAGE_REPORT)"
cat "$STAGE_REPORT" >&2
exit $rc
