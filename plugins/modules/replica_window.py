#!/usr/bin/python
# Copyright: tiersplit developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
---
module: replica_window
short_description: One timed step of a replication cutover (MariaDB), run on the source or the target
version_added: "0.2.0"
description:
  - Each step is one connection and one result, so that a downtime window is a few module calls, not a chain of tasks.
  - Before the window, while the source serves, O(step=pause) stops the target's replication, O(step=snapshot) reads,
    on the source, a digest of every table (row count and two CRC32 aggregates over every row) inside one consistent
    snapshot together with that snapshot's GTID, and O(step=audit) lets the target replicate up to exactly that GTID,
    stop there, read the same digests, compare them and resume replication.
  - The window. O(step=fence) on the source locks the accounts in O(lock) (they could write past C(read_only), with
    SUPER, READ_ONLY ADMIN or ALL ON *.*), ends the sessions of every user that can bypass C(read_only) (except this
    connection and replication threads), pauses the event scheduler, sets C(read_only), reads the last GTID, and
    reads the metadata inventory (no row counts, no checksums). O(step=catch_up) on the target waits with
    C(MASTER_GTID_WAIT) for that GTID, fails on a replication error or a position that is not exactly that GTID,
    stops replication and compares the target's metadata inventory with O(reference). O(step=release) on the source
    reads the GTID again (when O(expect_gtid) is given, a moved position fails, since a write got past the fence), then
    unlocks O(unlock) and puts O(restore) back.
  - O(step=accounts) only reads the source's settings and the accounts that could bypass C(read_only).
author:
  - tiersplit developers (@tiersplit)
extends_documentation_fragment:
  - tiersplit.maintenance.mysql_login
options:
  step:
    description: The step to run (see the description).
    type: str
    required: true
    choices: [accounts, fence, release, catch_up, pause, snapshot, audit]
  lock:
    description: With O(step=fence), accounts (C('user'@'host')) to lock for the window (RV(lock) of O(step=accounts)).
    type: list
    elements: str
    default: []
  unlock:
    description: With O(step=release), accounts to unlock (the ones the fence locked).
    type: list
    elements: str
    default: []
  restore:
    description:
      - With O(step=release), settings to put back on the source; keys C(read_only), C(fast_shutdown)
        (C(innodb_fast_shutdown)), C(event_scheduler) (V(ON) turns it on again).
    type: dict
  expect_gtid:
    description:
      - With O(step=release), the GTID the fence read; the step fails when the source's position differs.
      - With O(step=catch_up) and O(step=audit), the GTID the target must be at exactly.
    type: str
  timeout:
    description: Seconds O(step=catch_up) and O(step=audit) wait for the target to reach the GTID.
    type: int
    default: 3600
  stop_replication:
    description: With O(step=catch_up), stop replication once the target is at the GTID.
    type: bool
    default: true
  watch_source:
    description:
      - With O(step=catch_up) and O(stop_replication), stop only the SQL thread at the GTID and keep the IO thread,
        still connected to the source, receiving until the metadata is compared; then read the position it
        received. Exactly the GTID proves the source has not moved since the fence (RV(source_quiet)), without
        a call on the source; a position past it fails the step. Replication is stopped in any case.
    type: bool
    default: false
  exclude_schemas:
    description: Schemas left out of inventories and digests.
    type: list
    elements: str
    default: [information_schema, performance_schema, sys, mysql]
  metadata:
    description: With O(step=fence) and O(step=catch_up), read the metadata inventory (schemas, objects, accounts).
    type: bool
    default: true
  reference:
    description:
      - With O(step=catch_up), the source's metadata inventory (RV(manifest) of O(step=fence)) to compare with.
      - With O(step=audit), the source's digests (RV(digests) of O(step=snapshot)).
    type: dict
  ignore:
    description: With O(step=catch_up), inventory paths left out of the comparison.
    type: list
    elements: str
    default: []
  keep_accounts_file:
    description:
      - With O(step=catch_up), the target's own accounts exported by M(tiersplit.maintenance.kept_accounts) before its
        datadir was replaced. Those the copy lacks are created again right after an equal comparison, in the same
        call (RV(kept_accounts)). Nothing is created when the comparison found differences.
    type: path
attributes:
  check_mode:
    support: partial
    description: O(step=accounts) and O(step=snapshot) only read and run in check mode; the other steps change nothing
      in check mode and report a change.
    details: The steps that act on a server are not run in check mode, so their results are empty.
  diff_mode:
    support: none
    description: No diff.
  idempotent:
    support: none
    description: O(step=fence), O(step=catch_up), O(step=pause) and O(step=audit) act on the servers each time.
  platform:
    platforms: posix
    support: full
    description: Runs on the database host and connects through the local socket by default.
notes:
  - MariaDB only (C(MASTER_GTID_WAIT), C(gtid_binlog_pos), C(START SLAVE UNTIL master_gtid_pos), C(ACCOUNT LOCK)).
  - Tables of engines without transactions (MyISAM, Aria) are not held by the consistent snapshot; a write to them
    while O(step=snapshot) reads makes O(step=audit) report a difference, never hides one.
seealso:
  - module: tiersplit.maintenance.mysql_manifest
"""

EXAMPLES = r"""
- name: Fence the source (every account), its last GTID and metadata
  tiersplit.maintenance.replica_window:
    step: fence
    lock: ["'admin'@'%'"]
  delegate_to: source
  register: fenced

- name: The target at exactly that GTID, no replication error, replication stopped, metadata compared
  tiersplit.maintenance.replica_window:
    step: catch_up
    expect_gtid: "{{ fenced.gtid }}"
    reference: "{{ fenced.manifest }}"
    ignore: [settings, server.version]
  register: caught_up

- name: The source did not move; it serves again as before (stage 1)
  tiersplit.maintenance.replica_window:
    step: release
    expect_gtid: "{{ fenced.gtid }}"
    unlock: "{{ fenced.locked }}"
    restore: "{{ fenced.before }}"
  delegate_to: source
"""

RETURN = r"""
gtid:
  description: The source's GTID (fence, release, snapshot) or the target's applied one (audit).
  returned: fence, release, snapshot, audit
  type: str
  sample: 0-4013-1502
before:
  description: The source's settings before the step (read_only, fast_shutdown, event_scheduler, gtid).
  returned: accounts, fence
  type: dict
bypass_accounts:
  description: Accounts that can write past C(read_only), with C(locked), C(self) and C(sessions_of_user).
  returned: accounts
  type: list
  elements: dict
lock:
  description: The accounts the fence should lock (able to bypass, not locked already, not this connection's).
  returned: accounts
  type: list
  elements: str
locked:
  description: The accounts the fence locked.
  returned: fence
  type: list
  elements: str
sessions_ended:
  description: Ids of the sessions the fence ended.
  returned: fence
  type: list
  elements: int
refused_at:
  description: Epoch time read_only was set (writes refused from then on).
  returned: fence
  type: float
manifest:
  description: The metadata inventory (no row counts or checksums) of the source.
  returned: fence with O(metadata)
  type: dict
kept_accounts:
  description: The target's own accounts created again (O(keep_accounts_file)).
  returned: catch_up with O(keep_accounts_file) and no differences
  type: list
  elements: str
differences:
  description: Differences found (metadata for catch_up, digests for audit); empty when equal.
  returned: catch_up with O(reference), audit
  type: list
  elements: dict
digests:
  description: Per C(schema.table), C(rows), C(xor) and C(sum) read in the snapshot.
  returned: snapshot
  type: dict
source_quiet:
  description:
    - With O(watch_source), the target's replication received nothing past O(expect_gtid) until the comparison
      ended (the source did not move); false when that could not be told (IO thread not connected).
  returned: catch_up
  type: bool
source_checked_at:
  description: With O(watch_source), epoch time the received position was read.
  returned: catch_up with O(watch_source) while the IO thread ran
  type: float
released_at:
  description: Epoch time the release step finished (the source's settings back when O(restore) was given).
  returned: release
  type: float
result:
  description: Everything the step measured (times in seconds, positions).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.common.text.converters import to_native  # noqa: E402
from ansible_collections.tiersplit.maintenance.plugins.module_utils import accounts, mysqlconn, replica  # noqa: E402

READ_ONLY_STEPS = ("accounts", "snapshot")


def run_step(module, conn):
    p = module.params
    step = p["step"]
    margs = dict(exclude_schemas=p["exclude_schemas"])
    if step == "accounts":
        out = replica.accounts_report(conn)
        out["before"] = {k: out[k] for k in ("read_only", "fast_shutdown", "event_scheduler", "gtid")}
        return out
    if step == "fence":
        return replica.fence(conn, p["lock"], manifest_args=margs if p["metadata"] else None)
    if step == "release":
        return replica.release(conn, expect_gtid=p["expect_gtid"], restore=p["restore"], unlock=p["unlock"])
    if step == "catch_up":
        out = replica.catch_up(conn, p["expect_gtid"], p["timeout"], stop=p["stop_replication"],
                               reference=p["reference"] if p["metadata"] else None, manifest_args=margs,
                               ignore=p["ignore"], watch_source=p["watch_source"])
        if p["keep_accounts_file"] and not out.get("differences"):
            # After the comparison (the copy brought the source's mysql schema), in the same run.
            with conn.cursor() as cur:
                out["kept_accounts"] = accounts.restore(cur, accounts.read(p["keep_accounts_file"]))
        return out
    if step == "pause":
        return replica.pause_target(conn)
    if step == "snapshot":
        return replica.snapshot(conn, p["exclude_schemas"])
    return replica.audit_target(conn, p["expect_gtid"], p["reference"] or {}, p["exclude_schemas"], p["timeout"])


def main():
    argument_spec = mysqlconn.login_argument_spec()
    argument_spec.update(
        step=dict(type="str", required=True, choices=["accounts", "fence", "release", "catch_up", "pause", "snapshot",
                                                      "audit"]),
        lock=dict(type="list", elements="str", default=[]),
        unlock=dict(type="list", elements="str", default=[]),
        restore=dict(type="dict"),
        expect_gtid=dict(type="str"),
        timeout=dict(type="int", default=3600),
        stop_replication=dict(type="bool", default=True),
        watch_source=dict(type="bool", default=False),
        exclude_schemas=dict(type="list", elements="str", default=["information_schema", "performance_schema", "sys",
                                                                   "mysql"]),
        metadata=dict(type="bool", default=True),
        reference=dict(type="dict"),
        ignore=dict(type="list", elements="str", default=[]),
        keep_accounts_file=dict(type="path"),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        required_if=[("step", "catch_up", ["expect_gtid"]), ("step", "audit", ["expect_gtid", "reference"])],
        supports_check_mode=True,
    )
    step = module.params["step"]
    if module.check_mode and step not in READ_ONLY_STEPS:
        module.exit_json(changed=True, result={}, msg=f"check mode: step {step} not run")
    mysqlconn.require_pymysql(module)
    try:
        conn = mysqlconn.connect_from_params(module.params)
    except Exception as e:  # pylint: disable=broad-except
        user = module.params["login_user"]
        module.fail_json(msg=f"cannot connect to the database server as {user}: {to_native(e)}")
    try:
        out = run_step(module, conn)
    except replica.WindowError as e:
        module.fail_json(msg=to_native(e), step=step)
    except Exception as e:  # pylint: disable=broad-except
        module.fail_json(msg=f"step {step} failed: {to_native(e)}", step=step)
    finally:
        conn.close()
    result = dict(out)
    result["result"] = {k: v for k, v in out.items() if k not in ("manifest", "digests")}
    module.exit_json(changed=step not in READ_ONLY_STEPS, **result)


if __name__ == "__main__":
    main()
