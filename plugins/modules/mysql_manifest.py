#!/usr/bin/python
# Copyright: tiersplit developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
---
module: mysql_manifest
short_description: Record what a MySQL migration must preserve, and compare two such records
version_added: "0.1.0"
description:
  - Reads, without changing anything, an inventory of a MySQL, MariaDB or Percona Server instance.
    The inventory holds the flavor and version; the settings a physical copy of the data directory
    depends on (C(lower_case_table_names), C(innodb_page_size), C(innodb_data_file_path), redo log size,
    C(log_bin), C(server_id), ...); every schema with its tables, each with engine, exact row count
    (a full C(SELECT COUNT) of every row), C(CHECKSUM TABLE ... EXTENDED) and a digest of its definition;
    the definitions of views, triggers, routines and events; and users with their grants.
  - Take one before a migration and one after it, then compare them (O(mode=compare)). The result lists
    the differences and is empty when nothing was lost.
  - Password hashes in grants are replaced by a short SHA-256 digest, so two inventories still compare
    but the hashes are not in the result.
  - Row counts and checksums read every row; on a busy server, take the inventory while writes are
    stopped (the maintenance window), or the two inventories will differ by the writes in between.
author:
  - tiersplit developers (@tiersplit)
extends_documentation_fragment:
  - tiersplit.maintenance.mysql_login
options:
  mode:
    description:
      - V(collect) reads the inventory from the server.
      - V(compare) compares O(reference) with O(current); when O(current) is omitted, the inventory is read
        from the server first and compared with O(reference).
    type: str
    choices: [collect, compare]
    default: collect
  schemas:
    description:
      - Schemas to record. All but O(exclude_schemas) when empty.
    type: list
    elements: str
    default: []
  exclude_schemas:
    description:
      - Schemas never recorded. The C(mysql) schema's content is covered by O(users) (accounts and grants);
        its statistics tables change on their own and would make every comparison differ.
    type: list
    elements: str
    default: [information_schema, performance_schema, sys, mysql]
  checksums:
    description:
      - Run C(CHECKSUM TABLE ... EXTENDED) on every table (reads every row).
    type: bool
    default: true
  row_counts:
    description:
      - Record the exact row count of every table (a full C(SELECT COUNT) of every row).
    type: bool
    default: true
  users:
    description:
      - Record accounts and their grants.
    type: bool
    default: true
  reference:
    description:
      - With O(mode=compare), the inventory taken first (the RV(manifest) of an earlier run).
    type: dict
  current:
    description:
      - With O(mode=compare), the inventory to compare with O(reference). Read from the server when omitted.
    type: dict
  ignore:
    description:
      - With O(mode=compare), paths to leave out of the comparison, in the dotted form of the C(path) of
        RV(differences);
        a path also covers everything below it. For example C(settings.server_id) when the copy runs with its own
        server id, or C(server.version) after an upgrade.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
    description: The module only reads; it runs the same in check mode.
  diff_mode:
    support: none
    description: Differences are returned in RV(differences), not as a diff.
  idempotent:
    support: full
    description: It never changes anything.
  platform:
    platforms: posix
    support: full
    description: Runs on the database host and connects through the local socket by default.
notes:
  - Schema and table names containing dots make the dotted paths in RV(differences) ambiguous to read,
    not wrong. Checksums are matched to their table by the exact C(schema.table) name, and
    RV(tables_with_differences) reads the paths against the inventories' schema names, so a schema such
    as C(shop.v2) is recorded and reported like any other.
seealso:
  - module: tiersplit.maintenance.datadir_permissions
  - module: community.mysql.mysql_info
"""

EXAMPLES = r"""
- name: Inventory the source before the copy
  tiersplit.maintenance.mysql_manifest:
  register: before

- name: Inventory the copy and compare (server_id differs on purpose)
  tiersplit.maintenance.mysql_manifest:
    mode: compare
    reference: "{{ before.manifest }}"
    ignore: [settings.server_id]
  register: after

- name: Stop if anything was lost
  ansible.builtin.assert:
    that: after.differences | length == 0
    fail_msg: "Tables that differ: {{ after.tables_with_differences }}"

- name: Compare two inventories taken elsewhere (no connection)
  tiersplit.maintenance.mysql_manifest:
    mode: compare
    reference: "{{ source_manifest }}"
    current: "{{ target_manifest }}"
"""

RETURN = r"""
manifest:
  description: The inventory read from the server (in compare mode, the current one when it was read).
  returned: when read from the server
  type: dict
  sample:
    format: 1
    server: {flavor: mariadb, version: 10.11.6-MariaDB-0+deb12u1, version_comment: Debian 12}
    settings: {lower_case_table_names: "0", innodb_page_size: "16384", log_bin: "OFF", server_id: "1"}
    schemas:
      app:
        charset: utf8mb4
        collation: utf8mb4_general_ci
        tables:
          orders: {engine: InnoDB, rows: 1000, checksum: 2874398547, definition_sha256: 3f1e...}
        views: {open_orders: "CREATE ALGORITHM=UNDEFINED ... VIEW `open_orders` AS select ..."}
        triggers: {}
        routines: {}
        events: {}
    users: {"'app'@'%'": ["GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '<sha256:9a1c...>'"]}
differences:
  description:
    - In compare mode, every difference; empty when the inventories are equal.
    - C(kind) is C(missing) (only in the reference), C(added) (only in the current one) or C(changed).
  returned: when O(mode=compare)
  type: list
  elements: dict
  sample:
    - {path: schemas.app.tables.orders.rows, kind: changed, before: 1000, after: 999}
    - {path: schemas.app.tables.orders.checksum, kind: changed, before: 2874398547, after: 1293847561}
tables_with_differences:
  description: In compare mode, C(schema.table) of every table with a difference.
  returned: when O(mode=compare)
  type: list
  elements: str
  sample: [app.orders]
equal:
  description: In compare mode, whether there is no difference.
  returned: when O(mode=compare)
  type: bool
  sample: false
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.common.text.converters import to_native  # noqa: E402
from ansible_collections.tiersplit.maintenance.plugins.module_utils import manifest as mf  # noqa: E402
from ansible_collections.tiersplit.maintenance.plugins.module_utils import mysqlconn  # noqa: E402


def read_manifest(module):
    p = module.params
    mysqlconn.require_pymysql(module)
    try:
        conn = mysqlconn.connect_from_params(p)
    except Exception as e:  # pylint: disable=broad-except
        module.fail_json(msg="cannot connect to the database server as {}: {}".format(p["login_user"], to_native(e)))
    try:
        return mf.collect(conn, schemas=p["schemas"], exclude_schemas=p["exclude_schemas"], checksums=p["checksums"],
                          row_counts=p["row_counts"], users=p["users"])
    except LookupError as e:
        module.fail_json(msg=to_native(e))
    except Exception as e:  # pylint: disable=broad-except
        module.fail_json(msg=f"reading the inventory failed: {to_native(e)}")
    finally:
        conn.close()


def main():
    argument_spec = mysqlconn.login_argument_spec()
    argument_spec.update(
        mode=dict(type="str", default="collect", choices=["collect", "compare"]),
        schemas=dict(type="list", elements="str", default=[]),
        exclude_schemas=dict(type="list", elements="str", default=list(mf.SYSTEM_SCHEMAS)),
        checksums=dict(type="bool", default=True),
        row_counts=dict(type="bool", default=True),
        users=dict(type="bool", default=True),
        reference=dict(type="dict"),
        current=dict(type="dict"),
        ignore=dict(type="list", elements="str", default=[]),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        required_if=[("mode", "compare", ["reference"])],
        supports_check_mode=True,
    )
    p = module.params
    result = dict(changed=False)
    if p["mode"] == "collect":
        result["manifest"] = read_manifest(module)
        module.exit_json(**result)

    reference = p["reference"]
    current = p["current"]
    if current is None:
        current = read_manifest(module)
        result["manifest"] = current
    for name, inv in (("reference", reference), ("current", current)):
        if inv.get("format") != mf.FORMAT_VERSION:
            module.fail_json(msg="{} is not an inventory of this module (format {} expected, got {!r}); pass the "
                                 "manifest of a registered result".format(name, mf.FORMAT_VERSION, inv.get("format")))
    diffs = mf.compare(reference, current, ignore=p["ignore"])
    tables = mf.tables_with_differences(diffs, mf.schema_names(reference, current))
    result.update(differences=diffs, tables_with_differences=tables, equal=not diffs)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
