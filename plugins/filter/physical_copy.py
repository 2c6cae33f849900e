# Copyright: tiersplit contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter physical_copy: may a datadir of one server be started by another? One table of rules."""

from __future__ import annotations

import re
from typing import Any

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: physical_copy
author: tiersplit contributors
version_added: 0.1.0
short_description: Whether a physical copy of a datadir may move from one server version to another
description:
  - Takes the source's and the target's flavor (C(mariadb), C(mysql), C(percona)) and version
    (as the servers report them, e.g. C(10.11.19-MariaDB-0+deb12u1), C(9.7.4-2)) and returns the
    rule of the compatibility table that applies, with the reason in words.
  - "The table, first matching rule wins: the same family (MariaDB; or MySQL and Percona Server) and
    the same major version: allowed. MariaDB to MySQL/Percona or back: refused (different datadir
    formats). MariaDB to an older MariaDB: refused (MariaDB supports no downgrade). MariaDB to a
    newer MariaDB: refused in this version (MariaDB supports it after a clean shutdown, with
    C(mariadb-upgrade) on the target, which the role does not run yet). MySQL/Percona to another
    major version: refused (the data dictionary is version-bound; upgrades are the server's own
    procedure)."
  - The datadir_migration role's preflight stops with the reason when C(allowed) is false.
options:
  _input:
    description: The source's flavor.
    type: str
    required: true
  source_version:
    description: The source's version string.
    type: str
    required: true
  target_flavor:
    description: The target's flavor.
    type: str
    required: true
  target_version:
    description: The target's version string.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Refuse what cannot be copied physically
  ansible.builtin.assert:
    that: rule.allowed
    fail_msg: "{{ rule.reason }}"
  vars:
    rule: "{{ 'mariadb' | tiersplit.maintenance.physical_copy('10.5.26-MariaDB', 'mariadb', '11.8.3-MariaDB') }}"
"""

RETURN = r"""
_value:
  description: The rule that applies.
  type: dict
  contains:
    allowed:
      description: Whether the role copies the datadir physically.
      type: bool
    rule:
      description: >-
        C(same), C(family), C(downgrade), C(upgrade) (MariaDB, older to newer: not in this version)
        or C(major) (MySQL/Percona, another major version).
      type: str
    source_family:
      description: C(mariadb), or C(mysql) for MySQL and Percona Server (their datadirs share a format).
      type: str
    source_major:
      description: The source's major version (e.g. C(10.11)).
      type: str
    target_major:
      description: The target's major version.
      type: str
    reason:
      description: Why, in words (empty when allowed).
      type: str
"""

FLAVORS = ("mariadb", "mysql", "percona")


def family(flavor: str) -> str:
    """mariadb, or mysql (MySQL and Percona Server share the datadir format)."""
    return "mariadb" if flavor == "mariadb" else "mysql"


def major(version: str) -> tuple[int, int]:
    found = re.match(r"\s*(\d+)\.(\d+)", version or "")
    if not found:
        raise AnsibleFilterError(f"physical_copy: '{version}' is not a server version (e.g. 10.11.19)")
    return int(found.group(1)), int(found.group(2))


def physical_copy(source_flavor: str, source_version: str, target_flavor: str, target_version: str) -> dict[str, Any]:
    for flavor in (source_flavor, target_flavor):
        if flavor not in FLAVORS:
            raise AnsibleFilterError(f"physical_copy: unknown flavor '{flavor}' (one of {', '.join(FLAVORS)})")
    src, tgt = major(source_version), major(target_version)
    out: dict[str, Any] = {"source_family": family(source_flavor), "source_major": f"{src[0]}.{src[1]}",
                           "target_major": f"{tgt[0]}.{tgt[1]}"}
    if family(source_flavor) != family(target_flavor):
        rule, reason = "family", "MariaDB and MySQL/Percona Server datadirs are different formats"
    elif src == tgt:
        rule, reason = "same", ""
    elif family(source_flavor) == "mariadb" and src > tgt:
        rule, reason = "downgrade", "MariaDB supports no downgrade of a datadir to an older version"
    elif family(source_flavor) == "mariadb":
        rule, reason = "upgrade", ("MariaDB can start an older datadir after a clean shutdown and upgrade it "
                                   "(mariadb-upgrade), which this version of the role does not do yet")
    else:
        rule, reason = "major", ("MySQL's data dictionary binds a datadir to its release series; an upgrade is "
                                 "the server's own procedure, not a copy")
    out.update(allowed=rule == "same", rule=rule, reason=reason)
    return out


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"physical_copy": physical_copy}
