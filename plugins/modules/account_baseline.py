#!/usr/bin/python
# Copyright: tiersplit developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
---
module: account_baseline
short_description: Apply the security baseline to a MySQL/MariaDB server's accounts, as the user decided
version_added: "0.5.0"
description:
  - Flags the accounts a security baseline would not allow, anonymous users, hosts with a wildcard
    (C(%) or C(_)) and root on any host but C(localhost), and does with each what O(decisions) says.
    On a fresh server there are none; every flagged account came with a copied datadir and is the user's,
    so none is removed without a decision.
  - V(keep) leaves the account as it is. V(drop) removes it. V(rescope) makes the same account
    (authentication, options, grants) for each host in O(decisions[].hosts), then removes the original.
  - A flagged account without a decision is kept and named in a warning, with O(hint) appended.
  - Accounts of the users in O(managed_users) are not flagged (their hosts are managed elsewhere).
  - The C(test) database is removed as the baseline wants only when it holds nothing (no table, view,
    routine or event), unless O(test_database) says otherwise; one that holds something is kept and named
    in a warning.
  - Decisions that cannot be carried out (an unknown action, rescope hosts with wildcards, an account that
    exists and is not flagged) fail the module before anything changes.
author:
  - tiersplit developers (@tiersplit)
extends_documentation_fragment:
  - tiersplit.maintenance.mysql_login
  - tiersplit.maintenance.account_decisions
options:
  test_database:
    description:
      - V(absent_if_empty) removes the C(test) database when it holds nothing; V(absent) removes it in any
        case; V(keep) leaves it.
    type: str
    choices: [absent_if_empty, absent, keep]
    default: absent_if_empty
  hint:
    description: Text appended to the warning about undecided accounts (e.g. the variable that decides them).
    type: str
    default: ""
attributes:
  check_mode:
    support: full
    description: Reports what would be dropped, made and kept; changes nothing.
  diff_mode:
    support: full
    description: The server's account list (names only) before and after.
  idempotent:
    support: full
    description: Once the decisions are carried out, a rerun finds nothing to do.
"""

EXAMPLES = r"""
- name: Security baseline, with the user's decisions on the source's accounts
  tiersplit.maintenance.account_baseline:
    managed_users: [shop_production]
    decisions:
      - {user: report, host: "192.168.1.%", action: rescope, hosts: [192.168.1.20, 192.168.1.21]}
      - {user: "", host: localhost, action: drop}
      - {user: root, host: 127.0.0.1, action: keep}
    hint: decide in database_account_decisions
"""

RETURN = r"""
flagged:
  description: The flagged accounts found (before any change), with the reason and what was decided.
  returned: always
  type: list
  elements: dict
  sample: [{account: "'report'@'192.168.1.%'", reason: host with a wildcard, decision: rescope}]
dropped:
  description: Accounts removed (or that would be, in check mode), as 'user'@'host'.
  returned: always
  type: list
  elements: str
created:
  description: Accounts made by a rescope (or that would be), as 'user'@'host'.
  returned: always
  type: list
  elements: str
undecided:
  description: Flagged accounts kept because nothing decided them.
  returned: always
  type: list
  elements: str
accounts:
  description: Every account of the server after the run (or as it would be), as {user, host}.
  returned: always
  type: list
  elements: dict
test_database:
  description: V(dropped), V(kept) (it holds something, or O(test_database=keep)) or V(absent).
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.common.text.converters import to_native  # noqa: E402
from ansible_collections.tiersplit.maintenance.plugins.module_utils import accounts, baseline, mysqlconn  # noqa: E402


def _test_objects(cur):
    """Tables, views, routines and events in the test database; None when it does not exist."""
    cur.execute("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'test'")
    if not cur.fetchone()[0]:
        return None
    total = 0
    for sql in ("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'test'",
                "SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = 'test'",
                "SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = 'test'"):
        cur.execute(sql)
        total += int(cur.fetchone()[0])
    return total


def main():
    argument_spec = mysqlconn.login_argument_spec()
    argument_spec.update(
        test_database=dict(type="str", choices=["absent_if_empty", "absent", "keep"], default="absent_if_empty"),
        hint=dict(type="str", default=""),
    )
    argument_spec.update(baseline.decisions_argument_spec())
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    conn = mysqlconn.open_for(module)
    try:
        with conn.cursor() as cur:
            before = accounts.list_accounts(cur)
            reviewed = baseline.review(before, p["decisions"], p["managed_users"])
            if reviewed["errors"]:
                module.fail_json(msg="the account decisions cannot be carried out, nothing was changed: "
                                     + "; ".join(reviewed["errors"]), errors=reviewed["errors"])
            todo = reviewed["todo"]
            after = set(before)
            dropped, created = baseline.carry_out(cur, todo, module.check_mode, p["unlock_copies_of"])
            after.update((a["user"], h) for a in todo["rescope"] for h in a["hosts"])
            after.difference_update((a["user"], a["host"]) for a in todo["drop"] + todo["rescope"])
            undecided = [accounts.quote_account(a["user"], a["host"]) for a in todo["undecided"]]
            for a in todo["undecided"]:
                module.warn(f"{accounts.quote_account(a['user'], a['host'])} ({a['reason']}) is kept: the security "
                            "baseline would remove it, and nothing decided it (keep, drop or rescope to hosts). "
                            f"{p['hint']}".strip())
            objects = _test_objects(cur)
            test_state = "absent"
            if objects is not None:
                if p["test_database"] == "absent" or (p["test_database"] == "absent_if_empty" and objects == 0):
                    if not module.check_mode:
                        cur.execute("DROP DATABASE `test`")
                    test_state = "dropped"
                else:
                    test_state = "kept"
                    if p["test_database"] == "absent_if_empty":
                        module.warn(f"the database test holds {objects} object(s) and is kept: the security baseline "
                                    "would remove it (test_database=absent removes it, keep silences this)")
            report = baseline.report(reviewed["flagged"], p["decisions"])
            changed = bool(dropped or created or test_state == "dropped")
            module.exit_json(
                changed=changed, flagged=report, dropped=dropped, created=created, undecided=undecided,
                accounts=[dict(user=u, host=h) for u, h in sorted(after)], test_database=test_state,
                diff=dict(before=baseline.account_list(before), after=baseline.account_list(after),
                          before_header="accounts", after_header="accounts"))
    except Exception as e:  # pylint: disable=broad-except
        module.fail_json(msg=f"account baseline: {to_native(e)}")
    finally:
        conn.close()


if __name__ == "__main__":
    main()
