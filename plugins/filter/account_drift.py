# Copyright: tiersplit contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter account_drift: a server's accounts and grants against the source's at the copy."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.tiersplit.maintenance.plugins.module_utils import baseline

DOCUMENTATION = r"""
name: account_drift
author: tiersplit contributors
version_added: 0.5.0
short_description: How a server's accounts and grants differ from the source's, given the user's decisions
description:
  - Compares the accounts and grants of the source at the copy (the C(source_accounts) of a datadir
    migration's stage record) with the server's now (the C(users) of M(tiersplit.maintenance.mysql_manifest)).
  - Every source account must be there with the same grants, except those decided V(drop) (gone) or
    V(rescope) (gone, and there for each of its hosts with the same grants) in O(decisions), the
    database role's C(database_account_decisions).
  - Accounts of O(managed) users, of the server itself and root@localhost are left out.
  - Returns a list of differences, one sentence each; empty when nothing differs.
options:
  _input:
    description: The source's accounts, C('user'@'host') to a list of grants.
    type: dict
    required: true
  current:
    description: The server's accounts now, in the same form.
    type: dict
    required: true
  decisions:
    description: The user's decisions (user, host, action, hosts).
    type: list
    elements: dict
    default: []
  managed:
    description: User names the database role manages (C(database_users)).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Accounts as the source had them
  ansible.builtin.assert:
    that: drift | length == 0
    fail_msg: "{{ drift }}"
  vars:
    drift: >-
      {{ record.verification.source_accounts
         | tiersplit.maintenance.account_drift(manifest.users, database_account_decisions) }}
"""

RETURN = r"""
_value:
  description: The differences, e.g. C('report'@'192.168.1.%' of the source is missing).
  type: list
  elements: str
"""


def account_drift(source: Any, current: Any, decisions: Any = (), managed: Any = ()) -> list[str]:
    if not isinstance(source, dict) or not isinstance(current, dict):
        raise AnsibleFilterError("account_drift: the source's and the current accounts must be mappings")
    try:
        return baseline.account_drift(source, current, list(decisions or []), list(managed or []))
    except (KeyError, ValueError) as e:
        raise AnsibleFilterError(f"account_drift: {e}") from e


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"account_drift": account_drift}
