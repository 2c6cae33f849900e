#!/usr/bin/python
# Copyright: tiersplit developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
---
module: datadir_permissions
short_description: Repair ownership, modes and SELinux type of a MySQL data directory
version_added: "0.1.0"
description:
  - Repairs a MySQL, MariaDB or Percona Server data directory after it was copied or extracted with the
    wrong owners or modes, the failure that stops the server from starting after a physical copy.
  - Sets owner and group on every entry, one mode on directories and another on regular files, and,
    where SELinux is enabled, the SELinux type (C(mysqld_db_t) by default) of every entry.
  - Makes one pass over the tree, stats every entry once and makes a system call only where something
    differs, so a rerun on a correct tree costs one C(stat) per entry.
  - Never follows a symbolic link out of the tree. Links found inside are given the owner (the link
    itself, not its target); directories are opened relative to their parent with C(O_NOFOLLOW), so a
    link swapped in during the run is not followed either. The root O(path) itself may be a link; its
    resolved target is the tree.
  - Owners and modes are changed without following links as well. A directory or regular file is
    opened with C(O_NOFOLLOW) (C(O_NONBLOCK), never blocking), the descriptor must be the inode the scan
    found (C(st_dev), C(st_ino)), and the change is made on it (C(fchown), C(fchmod)); a symbolic link
    gets C(lchown) only. An entry replaced between the scan and the change (by a link to a file outside
    the tree, or by another file) is left alone, named in RV(not_repaired) and in a warning.
  - Refuses dangerous roots before touching anything; an empty path, C(/), system directories such as
    C(/etc), C(/usr), C(/var), C(/var/lib), any directory that contains one of them, and any user's home
    directory (or a directory containing one). The home directory of O(owner) is allowed, because some
    distributions make the data directory the home of the C(mysql) user.
  - Sockets and FIFOs get the owner only, so a server socket left in the tree stays usable.
author:
  - tiersplit developers (@tiersplit)
options:
  path:
    description:
      - The data directory (for example C(/var/lib/mysql)).
    type: path
    required: true
  owner:
    description:
      - User that must own every entry.
    type: str
    default: mysql
  group:
    description:
      - Group of every entry.
    type: str
    default: mysql
  dir_mode:
    description:
      - Mode of every directory, as an octal string such as V('0750').
    type: raw
    default: '0750'
  file_mode:
    description:
      - Mode of every regular file, as an octal string such as V('0640').
    type: raw
    default: '0640'
  selinux:
    description:
      - Set the SELinux type of every entry to O(setype) where SELinux is enabled. Ignored on hosts
        without SELinux (reported in RV(selinux_enabled)).
    type: bool
    default: true
  setype:
    description:
      - SELinux type for the data directory.
    type: str
    default: mysqld_db_t
  sample_size:
    description:
      - How many changed paths the diff shows.
    type: int
    default: 20
attributes:
  check_mode:
    support: full
    description: Walks the tree and counts what would change, changing nothing.
  diff_mode:
    support: full
    description:
      - The diff summarises the change (counts by kind and the first O(sample_size) paths), not one line per file.
  idempotent:
    support: full
    description: A second run on the same tree changes nothing.
  platform:
    platforms: posix
    support: full
    description: Linux and other POSIX systems with C(openat)-style calls (Python on Linux has them).
notes:
  - Stop the database server before repairing its data directory; the module does not check that.
  - Run it as root (it changes owners).
seealso:
  - module: ansible.builtin.file
"""

EXAMPLES = r"""
- name: Repair the data directory after extracting a copy
  tiersplit.maintenance.datadir_permissions:
    path: /var/lib/mysql

- name: Show what would change, with a short summary
  tiersplit.maintenance.datadir_permissions:
    path: /srv/mysql-copy
  check_mode: true
  diff: true
  register: perms

- name: Percona Server with a stricter file mode
  tiersplit.maintenance.datadir_permissions:
    path: /data/mysql
    owner: mysql
    group: mysql
    dir_mode: '0700'
    file_mode: '0600'
"""

RETURN = r"""
path:
  description: The resolved data directory.
  returned: always
  type: str
  sample: /var/lib/mysql
counts:
  description: How many entries had (or, in check mode, have) each kind of change.
  returned: always
  type: dict
  sample: {owner: 1523, dir_mode: 12, file_mode: 1500, setype: 0}
changed_paths:
  description: How many entries were (or would be) changed in any way.
  returned: always
  type: int
  sample: 1523
scanned:
  description: How many entries of each kind the tree holds.
  returned: always
  type: dict
  sample: {directories: 12, files: 1511, symlinks: 0, other: 0}
not_repaired:
  description:
    - Entries replaced or removed between the scan and the change, left alone (a symbolic link among them
      never followed), each with the reason. Empty when the tree did not change during the run.
  returned: always
  type: list
  elements: dict
  sample: [{path: shop/orders.ibd, reason: "replaced by a symbolic link since the scan: not followed, left alone"}]
selinux_enabled:
  description: Whether SELinux types were compared.
  returned: always
  type: bool
  sample: false
"""


from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.common.text.converters import to_native  # noqa: E402
from ansible_collections.tiersplit.maintenance.plugins.module_utils import datadir  # noqa: E402


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            owner=dict(type="str", default="mysql"),
            group=dict(type="str", default="mysql"),
            dir_mode=dict(type="raw", default="0750"),
            file_mode=dict(type="raw", default="0640"),
            selinux=dict(type="bool", default=True),
            setype=dict(type="str", default="mysqld_db_t"),
            sample_size=dict(type="int", default=20),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        root = datadir.check_root(p["path"], datadir.home_directories(exclude_user=p["owner"]))
    except datadir.UnsafeRoot as e:
        module.fail_json(msg=to_native(e))
    try:
        dir_mode = datadir.parse_mode(p["dir_mode"], "dir_mode")
        file_mode = datadir.parse_mode(p["file_mode"], "file_mode")
    except ValueError as e:
        module.fail_json(msg=to_native(e))
    try:
        uid = datadir.uid_of(p["owner"])
    except KeyError:
        module.fail_json(msg="user {} does not exist on this host (install the database server first)".format(
            p["owner"]))
    try:
        gid = datadir.gid_of(p["group"])
    except KeyError:
        module.fail_json(msg="group {} does not exist on this host".format(p["group"]))

    se = datadir.selinux_backend(p["setype"]) if p["selinux"] else None
    try:
        res = datadir.repair(root, uid, gid, dir_mode, file_mode, check_mode=module.check_mode, selinux=se,
                             sample_size=max(0, p["sample_size"]))
    except OSError as e:
        module.fail_json(msg=f"repair of {root} stopped: {to_native(e)}")

    for path, reason in res.not_repaired[:10]:
        module.warn(f"{root}/{path}: {reason}")
    if len(res.not_repaired) > 10:
        module.warn(f"... and {len(res.not_repaired) - 10} more entries left alone (see not_repaired)")
    result = dict(changed=res.changed_paths > 0, path=root, selinux_enabled=se is not None, **res.as_dict())
    if module._diff and res.changed_paths:
        before, after = datadir.summary(res, p["owner"], p["group"])
        result["diff"] = dict(before_header=root, after_header=root, before=before, after=after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
