#!/usr/bin/python
# Copyright: tiersplit developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
---
module: datadir_digest
short_description: Prove a copied data directory byte for byte against the digests of its source
version_added: "0.3.0"
description:
  - Reads the digest of every file of a directory (content digests of regular files, targets of
    symbolic links, directories by name) without following symbolic links, and compares them with
    O(reference), the digests that M(tiersplit.maintenance.source_window) read from the cleanly stopped
    source.
  - With O(sync), flushes the directory's filesystem to disk first (C(syncfs)), so that the copy is on
    disk before the server that uses it accepts a write.
  - Without O(reference) it only returns the digests.
author:
  - tiersplit developers (@tiersplit)
options:
  path:
    description: The directory (the copy).
    type: path
    required: true
  reference:
    description: Digests to compare with (the C(digests) result of M(tiersplit.maintenance.source_window)).
    type: dict
  exclude:
    description: Paths relative to O(path) left out (the migration's marker).
    type: list
    elements: str
    default: []
  sync:
    description: Flush the filesystem of O(path) to disk before reading.
    type: bool
    default: false
  workers:
    description: Threads that read the digests.
    type: int
    default: 2
  fail_on_difference:
    description: Fail when the copy differs from O(reference), listing the first differences.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    details: Reads only; O(sync) is skipped in check mode.
  diff_mode:
    support: none
  idempotent:
    support: full
"""

EXAMPLES = r"""
- name: The copy is the stopped source, byte for byte, and on disk
  tiersplit.maintenance.datadir_digest:
    path: /var/lib/mysql.tiersplit-incoming
    reference: "{{ window.digests }}"
    exclude: [.tiersplit-migration]
    sync: true
"""

RETURN = r"""
equal:
  description: Whether every entry matches O(reference).
  returned: with reference
  type: bool
differences:
  description: "The first 50 differences: {path, kind (missing, added, changed), before, after}."
  returned: with reference
  type: list
difference_count:
  description: How many entries differ.
  returned: with reference
  type: int
summary:
  description: Entries, files, bytes and one digest over the whole tree.
  returned: always
  type: dict
digests:
  description: The digests, when no O(reference) is given.
  returned: without reference
  type: dict
seconds:
  description: Time spent reading (and syncing).
  returned: always
  type: dict
"""

import time  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.common.text.converters import to_native  # noqa: E402
from ansible_collections.tiersplit.maintenance.plugins.module_utils import window as win  # noqa: E402


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            reference=dict(type="dict"),
            exclude=dict(type="list", elements="str", default=[]),
            sync=dict(type="bool", default=False),
            workers=dict(type="int", default=2),
            fail_on_difference=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    seconds = {}
    t0 = time.time()
    if p["sync"] and not module.check_mode:
        seconds["sync_call"] = win.syncfs(p["path"])
        seconds["sync"] = round(time.time() - t0, 3)
    t1 = time.time()
    try:
        digests = win.tree_digests(p["path"], exclude=p["exclude"], workers=p["workers"])
    except OSError as e:
        module.fail_json(msg="cannot read the digests of {}: {}".format(p["path"], to_native(e)))
    seconds["digests"] = round(time.time() - t1, 3)
    result = dict(changed=False, summary=win.digest_summary(digests), seconds=seconds)
    if p["reference"] is None:
        result["digests"] = digests
        module.exit_json(**result)
    diffs = win.compare_digests(p["reference"], digests)
    result.update(equal=not diffs, differences=diffs[:50], difference_count=len(diffs))
    if diffs and p["fail_on_difference"]:
        module.fail_json(msg="{} differs from the stopped source in {} entries, first: {}".format(
            p["path"], len(diffs), ", ".join("{} ({})".format(d["path"], d["kind"]) for d in diffs[:10])), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
