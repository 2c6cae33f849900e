#!/usr/bin/python
# Copyright: tiersplit developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
---
module: run_lock
short_description: Take, refresh or release the lock that lets one run of a migration at a time
version_added: "0.2.0"
description:
  - Keeps a lock file on the managed host naming the run that holds it (its run id, the controller's
    host name, the pid of its C(ansible-playbook), the user), when it started and its last heartbeat.
  - O(state=present) takes the lock when it is free, already this run's, or held by a dead run, and
    refuses (fails, naming the holder and since when) when another run may still be running.
  - A holder is dead when it ran on the same controller and its C(ansible-playbook) process is gone
    (its pid is not in O(live_pids) and it gave no heartbeat since O(listed_at)), or when its last
    heartbeat is older than O(stale_after) seconds. A dead holder is returned as RV(taken_over).
  - O(state=heartbeat) refreshes the heartbeat and fails when the lock is no longer this run's.
    O(state=absent) removes the lock when it is this run's, and leaves another run's alone.
  - Every change happens under a short-lived guard directory made with mkdir, and the lock file is
    replaced with rename, so two runs deciding at once cannot both take it.
author:
  - tiersplit developers (@tiersplit)
options:
  path:
    description:
      - The lock file. Its directory is made (mode 0700) when missing.
    type: path
    required: true
  state:
    description:
      - V(present) takes the lock, V(heartbeat) refreshes it, V(absent) releases it.
    type: str
    choices: [present, heartbeat, absent]
    default: present
  owner:
    description:
      - This run. Keys C(run_id) (required, unique per run), C(controller), C(pid), C(user), C(migration).
    type: dict
    required: true
  live_pids:
    description:
      - Pids of the C(ansible-playbook) processes running on the controller, listed at O(listed_at).
    type: list
    elements: int
    default: []
  listed_at:
    description:
      - UNIX time at which O(live_pids) was listed.
    type: float
    default: 0
  stale_after:
    description:
      - Seconds without a heartbeat after which a holder on another controller counts as dead.
    type: int
    default: 86400
  step:
    description:
      - What the run does now, recorded with the heartbeat.
    type: str
    default: ''
attributes:
  check_mode:
    support: full
    description: Reports whether the lock is free, this run's, held by a live run (fails) or a dead one; takes nothing.
  diff_mode:
    support: none
    description: No diff is returned.
  idempotent:
    support: none
    description: Taking and refreshing the lock records the time, so each call changes the lock file.
"""

EXAMPLES = r"""
- name: One run of this migration at a time
  tiersplit.maintenance.run_lock:
    path: /var/lib/tiersplit/datadir-migration/app-to-db/run.lock
    owner: {run_id: 3f9c1a, controller: ops1, pid: 4242, user: deploy, migration: app-to-db}
    live_pids: [4242, 4250]
    listed_at: 1764670000.5
"""

RETURN = r"""
holder:
  description: The run that held the lock before this call (null when none).
  returned: always
  type: dict
state_found:
  description: What the holder was for this run; V(free), V(ours), V(live) or V(dead).
  returned: state=present
  type: str
taken_over:
  description: The dead run whose lock this run took over (null when none).
  returned: state=present
  type: dict
message:
  description: Who holds the lock and since when.
  returned: always
  type: str
"""

import time  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.common.text.converters import to_native  # noqa: E402
from ansible_collections.tiersplit.maintenance.plugins.module_utils import runlock  # noqa: E402


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            state=dict(type="str", choices=["present", "heartbeat", "absent"], default="present"),
            owner=dict(type="dict", required=True),
            live_pids=dict(type="list", elements="int", default=[]),
            listed_at=dict(type="float", default=0),
            stale_after=dict(type="int", default=86400),
            step=dict(type="str", default=""),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if not p["owner"].get("run_id"):
        module.fail_json(msg="owner.run_id is required")
    now = time.time()
    try:
        if p["state"] == "present":
            res = runlock.acquire(p["path"], p["owner"], now, p["stale_after"], p["live_pids"], p["listed_at"],
                                  check=module.check_mode)
            holder = res["holder"]
            if not res["acquired"]:
                module.fail_json(
                    msg=f"Another run of this migration holds {p['path']}: {runlock.describe(holder, now)}."
                        " This run stops before changing anything. Wait for it to end; if you are sure it is gone"
                        " (its controller lost), remove that file, or it counts as dead"
                        f" {p['stale_after']} s after its last heartbeat.",
                    holder=holder, state_found=res["state"], message=runlock.describe(holder, now))
            dead = holder if res["state"] == runlock.DEAD else None
            module.exit_json(changed=res["changed"], holder=holder, state_found=res["state"], taken_over=dead,
                             message=runlock.describe(holder, now))
        if p["state"] == "heartbeat":
            res = runlock.heartbeat(p["path"], p["owner"], now, p["step"], check=module.check_mode)
        else:
            res = runlock.release(p["path"], p["owner"], check=module.check_mode)
        module.exit_json(changed=res["changed"], holder=res["holder"], message=runlock.describe(res["holder"], now))
    except (runlock.LockError, OSError) as e:
        module.fail_json(msg=to_native(e))


if __name__ == "__main__":
    main()
