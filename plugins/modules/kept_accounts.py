#!/usr/bin/python
# Copyright: tiersplit developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
---
module: kept_accounts
short_description: Keep a MySQL/MariaDB server's own accounts across a physical copy that replaces them
version_added: "0.4.0"
description:
  - A physical copy brings the source's own C(mysql) schema, so accounts made on the target for the new
    topology (an application's account for the application host's address) are gone after the copy.
  - O(state=exported) writes the definitions of the accounts of the users named in O(users) on the running
    server (C(SHOW CREATE USER) and C(SHOW GRANTS), with password hashes, never passwords) to O(path),
    readable by root only.
  - O(state=restored) creates again, from O(path), the exported accounts the running server does not have,
    with their grants, unlocked (a lock on them is the fence of the copy being replaced, e.g. the rollback's).
    An account the server has (same user and host) is left as it is.
  - M(tiersplit.maintenance.target_cutover) does the restore itself, inside the downtime window, when given
    the file (its O(tiersplit.maintenance.target_cutover#module:keep_accounts_file)).
author:
  - tiersplit developers (@tiersplit)
extends_documentation_fragment:
  - tiersplit.maintenance.mysql_login
options:
  path:
    description: The export (JSON). Its directory is made (mode 0700) when missing; the file gets mode 0600.
    type: path
    required: true
  state:
    description: V(exported) writes the export, V(restored) creates the missing accounts from it.
    type: str
    choices: [exported, restored]
    default: exported
  users:
    description: User names whose accounts (every host) are exported.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
    description: Reports what would be written or created; writes and creates nothing.
  diff_mode:
    support: none
    description: The export holds password hashes; no diff is shown.
  idempotent:
    support: full
    description: An unchanged export and accounts that exist already change nothing.
"""

EXAMPLES = r"""
- name: The target's application accounts, kept across the copy
  tiersplit.maintenance.kept_accounts:
    path: /var/lib/tiersplit/datadir-migration/app-to-db/kept-accounts.json
    users: [shop_production, shop_development]
"""

RETURN = r"""
accounts:
  description: The exported accounts (O(state=exported)) or the accounts created (O(state=restored)), as 'user'@'host'.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.common.text.converters import to_native  # noqa: E402
from ansible_collections.tiersplit.maintenance.plugins.module_utils import accounts, mysqlconn  # noqa: E402


def main():
    argument_spec = mysqlconn.login_argument_spec()
    argument_spec.update(
        path=dict(type="path", required=True),
        state=dict(type="str", choices=["exported", "restored"], default="exported"),
        users=dict(type="list", elements="str", default=[]),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    conn = mysqlconn.open_for(module)
    try:
        with conn.cursor() as cur:
            if p["state"] == "exported":
                exported = accounts.export(cur, p["users"])
                if module.check_mode:
                    try:
                        changed = accounts.read(p["path"]) != exported
                    except (OSError, ValueError, KeyError):
                        changed = True
                else:
                    changed = accounts.write(p["path"], exported)
                module.exit_json(changed=changed, accounts=accounts.names(exported))
            try:
                exported = accounts.read(p["path"])
            except (OSError, ValueError, KeyError) as e:
                module.fail_json(msg=f"cannot read the export {p['path']}: {to_native(e)}")
            if module.check_mode:
                todo = accounts.missing(exported, accounts.list_accounts(cur))
                module.exit_json(changed=bool(todo), accounts=accounts.names(todo))
            made = accounts.restore(cur, exported)
            module.exit_json(changed=bool(made), accounts=made)
    except Exception as e:  # pylint: disable=broad-except
        module.fail_json(msg=f"{p['state']}: {to_native(e)}")
    finally:
        conn.close()


if __name__ == "__main__":
    main()
