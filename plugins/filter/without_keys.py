# Copyright: tiersplit contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter without_keys: a copy of a structure with some keys removed at every depth."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: without_keys
author: tiersplit contributors
version_added: 0.1.0
short_description: Remove keys (such as passwords) from a structure, at every depth
description:
  - Returns a copy of the input (mappings, lists and scalars nested in any way) in which no
    mapping holds any of the named keys.
  - Meant for loops over inventory data that holds secrets, such as C(tiersplit_applications).
    Ansible prints each loop item in full at C(-v) and higher, whatever C(loop_control.label) says.
options:
  _input:
    description: The structure to copy.
    type: raw
    required: true
  keys:
    description: Names of the keys to remove.
    type: list
    elements: str
    default: [password]
"""

EXAMPLES = r"""
- name: Loop over the applications without their database passwords
  ansible.builtin.debug:
    msg: "{{ item.database.user }}"
  loop: "{{ tiersplit_applications | tiersplit.maintenance.without_keys(['password']) }}"
"""

RETURN = r"""
_value:
  description: The copy, without the named keys.
  type: raw
"""


def without_keys(data: Any, keys: Sequence[str] = ("password",)) -> Any:
    if isinstance(keys, str) or not all(isinstance(k, str) for k in keys):
        raise AnsibleFilterError("without_keys: keys must be a list of key names")
    drop = frozenset(keys)

    def copy(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: copy(v) for k, v in value.items() if k not in drop}
        if isinstance(value, (list, tuple)):
            return [copy(v) for v in value]
        return value

    return copy(data)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"without_keys": without_keys}
