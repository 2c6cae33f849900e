#!/usr/bin/env bash
# The whole test suite: installs what it needs (Debian packages, Docker engine,
# apt cache, Python venv, base image), then runs lint, unit tests, ansible-test
# sanity, the collection build and ansible-doc check, the execution-environment
# check (in the background) and every molecule scenario. Prints the time of
# each stage. Exits non-zero if any stage failed.
#
#   scripts/test.sh                 everything
#   scripts/test.sh SCENARIO...     setup, then only these molecule scenarios
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$TS_ROOT"
require_root

STAGE_REPORT=$(mktemp)
# Every task's start time and length in the logs (tests/output/), and the
# slowest tasks after each playbook: where a slow stage spends its time.
export ANSIBLE_CALLBACKS_ENABLED="${ANSIBLE_CALLBACKS_ENABLED:-ansible.posix.profile_tasks}"
export STAGE_REPORT
stages_expected=0
run() { stages_expected=$((stages_expected + 1)); stage "$@" || true; }

lint() {
  yamllint -s . &&
  antsibull-changelog lint &&
  ruff check . &&
  ansible-lint --offline -q
}

unit() { python -m pytest tests/unit; }

sanity() { bash tests/sanity.sh; }

# What the tarball may hold: what a user needs, none of the repository's
# tooling (lab, molecule, bench, scripts, tests, lint and venv files).
TARBALL_ALLOWED='^(MANIFEST\.json|FILES\.json|README\.md|LICENSE|meta/.*|plugins/.*|roles/.*|playbooks/.*|docs/.*|changelogs/|changelogs/changelog\.yaml|inventories/|inventories/example/.*)$'
tarball_allowed() {
  local listing extra
  listing=$(tar -tzf "$1" | sed 's|^\./||; /^$/d')
  extra=$(grep -Ev "$TARBALL_ALLOWED" <<<"$listing" || true)
  if [ -n "$extra" ]; then
    log "the tarball holds files outside the allow-list:"; printf '%s\n' "$extra" >&2; return 1
  fi
  for need in roles/database/tasks/main.yml plugins/modules/datadir_permissions.py playbooks/phase1.yml \
              changelogs/changelog.yaml meta/runtime.yml; do
    grep -qx "$need" <<<"$listing" || { log "the tarball lacks $need"; return 1; }
  done
  log "tarball: $(wc -l <<<"$listing") entries, all in the allow-list"
}

# The tarball builds and holds only the allow-list; installed from it,
# ansible-doc renders every module.
build() {
  local out dest mods m
  out=$(mktemp -d); dest=$(mktemp -d)
  ansible-galaxy collection build --force --output-path "$out" . &&
  ANSIBLE_COLLECTIONS_PATH="$dest" ansible-galaxy collection install --offline --no-deps --force \
    -p "$dest" "$out"/tiersplit-maintenance-*.tar.gz >/dev/null &&
  test -f "$dest/ansible_collections/tiersplit/maintenance/MANIFEST.json" &&
  tarball_allowed "$out"/tiersplit-maintenance-*.tar.gz &&
  mods=$(ANSIBLE_COLLECTIONS_PATH="$dest" ansible-doc -t module -l tiersplit.maintenance --json \
         | python -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin))))') || return 1
  log "modules in the built collection: ${mods:-none}"
  for m in $mods; do
    ANSIBLE_COLLECTIONS_PATH="$dest" ansible-doc -t module "$m" >/dev/null || return 1
  done
  # Each role's entry points and each filter render from the installed tarball.
  for r in roles/*/; do
    r=$(basename "$r")
    ANSIBLE_COLLECTIONS_PATH="$dest" ansible-doc -t role "tiersplit.maintenance.$r" | grep -q 'ENTRY POINT' || {
      log "ansible-doc -t role tiersplit.maintenance.$r shows no entry point"; return 1; }
  done
  for f in plugins/filter/*.py; do
    f=$(basename "$f" .py)
    ANSIBLE_COLLECTIONS_PATH="$dest" ansible-doc -t filter "tiersplit.maintenance.$f" >/dev/null || return 1
  done
  rm -rf "$out" "$dest"
}

# Collection documentation: antsibull-docs lints the modules', filters' and
# roles' documentation (schemas and markup) and renders it; every module,
# filter and role gets its page. Fails on any docs error.
docs() {
  local out p
  out=$(mktemp -d)
  (cd "$TS_ROOT/.collections/ansible_collections/tiersplit/maintenance" &&
    antsibull-docs lint-collection-docs --plugin-docs --skip-rstcheck --no-check-extra-docs-refs .) &&
  ANSIBLE_COLLECTIONS_PATH="$TS_ROOT/.collections" antsibull-docs collection --use-current --dest-dir "$out" \
    tiersplit.maintenance >/dev/null || return 1
  for p in plugins/modules/*.py plugins/filter/*.py roles/*/; do
    case "$p" in
      plugins/modules/*) p="$(basename "$p" .py)_module" ;;
      plugins/filter/*) p="$(basename "$p" .py)_filter" ;;
      *) p="$(basename "$p")_role" ;;
    esac
    test -s "$out/collections/tiersplit/maintenance/$p.rst" || { log "no documentation page $p.rst"; return 1; }
  done
  log "documentation: $(find "$out" -name '*.rst' | wc -l) pages rendered"
  rm -rf "$out"
}

ee() {
  local ctx
  ctx=$(mktemp -d)
  ansible-builder create -f execution-environment.yml --context "$ctx" --output-filename Containerfile &&
  test -s "$ctx/Containerfile" && grep -q community.mysql "$ctx/_build/requirements.yml" &&
    grep -qi pymysql "$ctx/_build/requirements.txt"
  local rc=$?; rm -rf "$ctx"; return $rc
}

# Every scenario, the longest first so that two at a time finish together;
# scenarios not named here follow in alphabetical order.
LONGEST_FIRST="e2e faults datadir_migration_replica worker_debian13 datadir_migration_mysql worker datadir_migration"
LONGEST_FIRST="$LONGEST_FIRST database_mysql database database_debian13 bad_input modules"
scenarios() {
  local s
  for s in $LONGEST_FIRST; do
    [ -f "molecule/$s/molecule.yml" ] && echo "$s"
  done
  for s in molecule/*/molecule.yml; do
    s=$(basename "$(dirname "$s")")
    case " $LONGEST_FIRST " in *" $s "*) ;; *) echo "$s" ;; esac
  done
}

# The static stages need only the venv: they run in the background (output in
# tests/output/static.log, printed at the end) while the base image builds and
# the first scenarios run.
static_stages() {
  local s
  for s in lint unit sanity build docs execution-environment; do
    case "$s" in execution-environment) stage "$s" ee ;; *) stage "$s" "$s" ;; esac || true
  done
}
mkdir -p tests/output
run machine prepare_tools
if grep -q '^machine *FAILED' "$STAGE_REPORT"; then
  cat "$STAGE_REPORT"; die "the machine could not be prepared; nothing else can run"
fi
static_pid=""
if [ $# -eq 0 ]; then
  stages_expected=$((stages_expected + 6))
  log "lint, unit, sanity, build, docs, execution-environment: in the background (tests/output/static.log)"
  static_stages >tests/output/static.log 2>&1 &
  static_pid=$!
  set -- $(scenarios)
fi
run image ensure_test_images
if grep -q '^image *FAILED' "$STAGE_REPORT"; then
  [ -z "$static_pid" ] || while kill -0 "$static_pid" 2>/dev/null; do sleep 2; done
  cat "$STAGE_REPORT"; die "the base image could not be built; no scenario can run"
fi
# Molecule scenarios, up to TIERSPLIT_TEST_JOBS at a time (each on its own
# copy of the lab hosts); each one's output goes to tests/output/ and is
# printed when it ends: the tail when it passed, all of it when it failed.
molecule_scenario() {
  local s="$1" log="tests/output/molecule-$1.log" rc=0
  molecule test -s "$s" >"$log" 2>&1 || rc=$?
  if [ $rc -eq 0 ]; then
    printf '\n---- molecule %s: passed; end of %s ----\n' "$s" "$log"
    tail -n 25 "$log"
  else
    printf '\n---- molecule %s: FAILED (exit %d); %s ----\n' "$s" "$rc" "$log"
    cat "$log"
  fi
  return $rc
}
jobs_max="${TIERSPLIT_TEST_JOBS:-2}"
# Slots are tracked by the scenarios' pids (kill -0), not with "jobs", which
# also counts any daemon started in the background by this shell: on a fresh
# machine dockerd took one of the two slots and the scenarios ran one by one.
pids=()
running() {
  local p n=0
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && n=$((n + 1)); done
  echo "$n"
}
[ $# -gt 0 ] && log "molecule: $# scenario(s), up to $jobs_max at a time"
for s in "$@"; do
  while [ "$(running)" -ge "$jobs_max" ]; do sleep 2; done
  stage "molecule:$s" molecule_scenario "$s" &
  pids+=($!)
done
# The report, not wait's status, says how the scenarios went: bash may already
# have reaped a finished job, and then "wait PID" fails with "not a child of
# this shell" although the scenario passed. A stage that wrote no line (killed)
# counts as failed. (A bare "wait" would also wait for any daemon this shell
# started.)
while [ "$(running)" -gt 0 ]; do sleep 2; done
if [ -n "$static_pid" ]; then
  while kill -0 "$static_pid" 2>/dev/null; do sleep 2; done
  if grep -Eq '^(lint|unit|sanity|build|docs|execution-environment) +FAILED' "$STAGE_REPORT"; then
    printf '\n---- static stages: FAILED; tests/output/static.log ----\n'; cat tests/output/static.log
  else
    printf '\n---- static stages: passed; end of tests/output/static.log ----\n'; tail -n 25 tests/output/static.log
  fi
fi
echo
echo "== tiersplit test suite: time of each stage =="
cat "$STAGE_REPORT"
total=$(grep -c . "$STAGE_REPORT" || true)
failed=$(grep -vc '^[^ ]* *ok ' "$STAGE_REPORT" || true)
missing=$((stages_expected + $# - total))
if [ "$missing" -gt 0 ]; then echo "stages that wrote no result: $missing"; else missing=0; fi
echo "stages: $((total - failed)) passed, $((failed + missing)) failed"
rm -f "$STAGE_REPORT"
[ $((failed + missing)) -eq 0 ]
