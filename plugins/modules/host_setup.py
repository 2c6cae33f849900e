#!/usr/bin/python
# Copyright: tiersplit developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
---
module: host_setup
short_description: Directories, files, removals, an ssh key pair and an authorized key on one host, in one call
version_added: "0.4.0"
description:
  - "Makes, in one module run, the small changes a step of a migration needs on one host, which would
    otherwise be one task each (C(file), C(copy), C(template), C(openssh_keypair), C(authorized_key)):
    each task is a round trip to the host."
  - "In this order: O(absent) removed; O(claim) made or found; O(directories) made; O(keypair) generated;
    O(files) written; O(authorized_key) added or removed. The first error stops the call and says what to do."
  - A file is written beside its path, flushed and renamed over it, with its mode and owner from the start.
  - Used by the role C(tiersplit.maintenance.datadir_migration) for its temporary keys, the receiver, the
    incoming directory and the stage record.
author:
  - tiersplit developers (@tiersplit)
options:
  absent:
    description: Paths removed (a directory with everything in it; a symbolic link itself).
    type: list
    elements: path
    default: []
  claim:
    description:
      - A directory this run owns, made with a marker file naming O(claim.id), or found holding that marker.
        One that exists without it, or with another id, fails the call and nothing is changed.
    type: dict
    suboptions:
      path:
        description: The directory.
        type: path
        required: true
      marker:
        description: Name of the marker file inside it.
        type: str
        required: true
      id:
        description: What the marker says (the migration's id).
        type: str
        required: true
      fresh:
        description: Empty a directory found with this id (a copy that starts afresh).
        type: bool
        default: false
      mode:
        description: Mode of the directory.
        type: raw
        default: "0750"
      owner:
        description: Owner of the directory and the marker.
        type: str
        default: root
      group:
        description: Group of the directory and the marker.
        type: str
        default: root
  directories:
    description: Directories made when missing, with their mode and owner (their parents must exist).
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The directory.
        type: path
        required: true
      mode:
        description: Its mode.
        type: raw
        required: true
      owner:
        description: Its owner.
        type: str
        default: root
      group:
        description: Its group.
        type: str
        default: root
  files:
    description: Files with exactly this content, mode and owner.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The file.
        type: path
        required: true
      content:
        description: Its content.
        type: str
        required: true
      mode:
        description: Its mode.
        type: raw
        required: true
      owner:
        description: Its owner.
        type: str
        default: root
      group:
        description: Its group.
        type: str
        default: root
  keypair:
    description: An ed25519 key pair without passphrase (kept when it exists); its public key is returned.
    type: dict
    suboptions:
      path:
        description: The private key (mode 0600); the public key is C(<path>.pub).
        type: path
        required: true
      comment:
        description: The key's comment.
        type: str
        required: true
  authorized_key:
    description:
      - One line of a user's C(~/.ssh/authorized_keys), found by its comment (every other line with that
        comment is removed).
    type: dict
    suboptions:
      user:
        description: The user.
        type: str
        default: root
      key:
        description: The public key (type and base64), for O(authorized_key.state=present).
        type: str
        default: ''
      options:
        description: The line's options (C(from=...,command=...,restrict)).
        type: str
        default: ''
      comment:
        description: The line's comment.
        type: str
        required: true
      state:
        description: V(present) adds the line, V(absent) removes every line of the comment.
        type: str
        choices: [present, absent]
        default: present
attributes:
  check_mode:
    support: full
    description: Reports what would change and changes nothing (no key pair is generated; its public key is then empty).
  diff_mode:
    support: none
    description: No diff is returned (the changes are listed in RV(changes)).
  idempotent:
    support: full
    description: A second call with the same options changes nothing.
"""

EXAMPLES = r"""
- name: Key pair of the copy, the target's host key pinned
  tiersplit.maintenance.host_setup:
    directories:
      - {path: /root/.tiersplit-key, mode: "0700"}
    keypair: {path: /root/.tiersplit-key/id_ed25519, comment: "tiersplit datadir_migration app-to-db (temporary)"}
    files:
      - path: /root/.tiersplit-key/known_hosts
        content: "10.0.0.12 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB\n"
        mode: "0600"
  register: key

- name: Authorised on the target for one forced command, the incoming directory claimed
  tiersplit.maintenance.host_setup:
    authorized_key:
      key: "{{ key.public_key }}"
      options: from="10.0.0.11",command="/usr/local/lib/tiersplit/receive",restrict
      comment: tiersplit datadir_migration app-to-db (temporary)
    claim:
      path: /var/lib/mysql.tiersplit-incoming
      marker: .tiersplit-migration
      id: app-to-db
      owner: mysql
      group: mysql
"""

RETURN = r"""
changes:
  description: What was changed (or would be, in check mode), one entry per change.
  returned: always
  type: list
  elements: str
public_key:
  description: The key pair's public key (type and base64, no comment); empty in check mode before it exists.
  returned: when O(keypair) is set
  type: str
claimed:
  description: How O(claim) was found, V(new), V(resumed) or V(emptied) (when O(claim.fresh)).
  returned: when O(claim) is set
  type: str
"""

import os  # noqa: E402
import pwd  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.common.text.converters import to_native  # noqa: E402
from ansible_collections.tiersplit.maintenance.plugins.module_utils import datadir  # noqa: E402
from ansible_collections.tiersplit.maintenance.plugins.module_utils import hostsetup as hs  # noqa: E402

OWNED = dict(owner=dict(type="str", default="root"), group=dict(type="str", default="root"))


def apply(module: AnsibleModule) -> dict:
    p, check = module.params, module.check_mode
    changes: list[str] = []
    result: dict = {}

    def note(changed: bool, what: str) -> None:
        if changed:
            changes.append(what)

    for path in p["absent"]:
        note(hs.remove(path, check), f"removed {path}")
    c = p["claim"]
    if c:
        changed, result["claimed"] = hs.claim(c["path"], c["marker"], c["id"], c["fresh"],
                                              datadir.parse_mode(c["mode"], "claim.mode"), c["owner"], c["group"],
                                              check)
        note(changed, f"{c['path']} claimed ({result['claimed']})")
    for d in p["directories"]:
        note(hs.ensure_dir(d["path"], datadir.parse_mode(d["mode"], d["path"]), d["owner"], d["group"], check),
             f"directory {d['path']}")
    k = p["keypair"]
    if k:
        changed, result["public_key"] = hs.keypair(k["path"], k["comment"], module.run_command, check)
        note(changed, f"key pair {k['path']}")
    for f in p["files"]:
        note(hs.ensure_file(f["path"], f["content"], datadir.parse_mode(f["mode"], f["path"]), f["owner"],
                            f["group"], check), f"file {f['path']}")
    a = p["authorized_key"]
    if a:
        present = a["state"] == "present"
        if present and not a["key"].strip():
            raise hs.SetupError("authorized_key.key is empty")
        try:
            home = pwd.getpwnam(a["user"]).pw_dir
        except KeyError as e:
            raise hs.SetupError(f"no such user: {a['user']}") from e
        note(hs.authorized_key(home, a["key"], a["options"], a["comment"], present, check),
             f"{'authorised' if present else 'no longer authorised'}: {a['comment']} ({a['user']})")
    return dict(result, changed=bool(changes), changes=changes)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            absent=dict(type="list", elements="path", default=[]),
            claim=dict(type="dict", options=dict(
                path=dict(type="path", required=True), marker=dict(type="str", required=True),
                id=dict(type="str", required=True), fresh=dict(type="bool", default=False),
                mode=dict(type="raw", default="0750"), **OWNED)),
            directories=dict(type="list", elements="dict", default=[], options=dict(
                path=dict(type="path", required=True), mode=dict(type="raw", required=True), **OWNED)),
            files=dict(type="list", elements="dict", default=[], options=dict(
                path=dict(type="path", required=True), content=dict(type="str", required=True),
                mode=dict(type="raw", required=True), **OWNED)),
            keypair=dict(type="dict", no_log=False, options=dict(
                path=dict(type="path", required=True), comment=dict(type="str", required=True))),
            authorized_key=dict(type="dict", no_log=False, options=dict(
                user=dict(type="str", default="root"), key=dict(type="str", default="", no_log=False),
                options=dict(type="str", default=""), comment=dict(type="str", required=True),
                state=dict(type="str", choices=["present", "absent"], default="present"))),
        ),
        supports_check_mode=True,
    )
    try:
        module.exit_json(**apply(module))
    except (hs.SetupError, OSError, ValueError) as e:
        module.fail_json(msg=to_native(e))


if __name__ == "__main__":
    os.umask(0o077)
    main()
