#!/usr/bin/env bash
# The built-in Docker lab: four Debian 12 systemd hosts (app, worker, db,
# outsider) on one Docker network, app holding the monolith as it was before
# the maintenance.
#
#   scripts/lab.sh [up]   install what is missing, bring the lab up (idempotent),
#                         then run the main job: the maintenance playbooks when
#                         they exist, else print the lab's state
#   scripts/lab.sh status print the lab's state
#   scripts/lab.sh smoke  run the lab smoke test against it
#   scripts/lab.sh down   remove the lab's containers and network
#
# TIERSPLIT_LAB_NAME / TIERSPLIT_LAB_NET select another copy of the lab;
# TIERSPLIT_SEED_MB sets the size of each seeded application database.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$TS_ROOT"

cmd="${1:-up}"
case "$cmd" in
  up)
    require_root
    stage machine prepare_machine
    stage lab-containers ansible-playbook lab/containers.yml
    stage lab-provision ansible-playbook lab/provision.yml
    if [ -f playbooks/phase1.yml ] && [ -f playbooks/phase2.yml ]; then
      stage phase1 ansible-playbook playbooks/phase1.yml
      stage phase2 ansible-playbook playbooks/phase2.yml
      stage verify ansible-playbook playbooks/verify.yml
      report=$(ls playbooks/tiersplit-reports/*-stage*.txt 2>/dev/null || true)
      [ -z "$report" ] || { log "migration report(s): $report"; cat $report; }
    fi
    stage lab-status ansible-playbook lab/status.yml
    ;;
  status)
    ensure_collection_link; activate
    ansible-playbook lab/status.yml
    ;;
  smoke)
    ensure_collection_link; activate
    ansible-playbook lab/smoke.yml
    ;;
  down)
    ensure_collection_link; activate
    ansible-playbook lab/containers.yml -e lab_state=absent
    ;;
  *)
    sed -n '2,15p' "$0" >&2; exit 2 ;;
esac
