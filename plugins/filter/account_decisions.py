# Copyright: tiersplit contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter account_decisions: the user's decisions on the source's flagged accounts, checked before a copy."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.tiersplit.maintenance.plugins.module_utils import baseline
from ansible_collections.tiersplit.maintenance.plugins.module_utils.accounts import quote_account

DOCUMENTATION = r"""
name: account_decisions
author: tiersplit contributors
version_added: 0.5.0
short_description: The user's decisions on a source's flagged accounts, checked before a physical copy
description:
  - Takes the source's accounts (C(server.accounts) of M(tiersplit.maintenance.host_probe) with
    O(tiersplit.maintenance.host_probe#module:mysql_accounts=true)) and the decisions on the accounts the
    security baseline flags (anonymous users, hosts with a wildcard, root beyond localhost), as
    M(tiersplit.maintenance.account_baseline) takes them.
  - Returns C(errors) (decisions that cannot be carried out; empty when they can), C(flagged) (every flagged
    account with its reason and decision), C(fenced) (the accounts the copy's first start locks, those
    decided V(drop) or V(rescope)), C(fence_sql) (the statements that lock them, for the server's C(init_file)) and
    C(unlock_copies_of) (accounts decided V(rescope) that the source has unlocked).
options:
  _input:
    description: The decisions (user, host, action, hosts).
    type: list
    elements: dict
    required: true
  accounts:
    description: The source's accounts, each with C(user), C(host) and C(locked).
    type: list
    elements: dict
    required: true
  managed:
    description: User names whose accounts are managed elsewhere and never flagged.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Decisions that can be carried out
  ansible.builtin.assert:
    that: checked.errors | length == 0
    fail_msg: "{{ checked.errors }}"
  vars:
    checked: "{{ datadir_migration_account_decisions
      | tiersplit.maintenance.account_decisions(probe.server.accounts, ['shop_production']) }}"
"""

RETURN = r"""
_value:
  description: Keys C(errors), C(flagged) ({account, reason, decision}), C(fenced), C(fence_sql), C(unlock_copies_of).
  type: dict
"""


def account_decisions(decisions: Any, accounts: Any, managed: Any = ()) -> dict[str, Any]:
    if not isinstance(decisions, list) or not isinstance(accounts, list):
        raise AnsibleFilterError("account_decisions: the decisions and the accounts must be lists")
    try:
        decided = [dict(d, hosts=list(d.get("hosts") or [])) for d in decisions]
        existing = [(a["user"], a["host"]) for a in accounts]
        unlocked_on_source = {(a["user"], a["host"]) for a in accounts if not a.get("locked")}
        reviewed = baseline.review(existing, decided, list(managed or []))
        unlock = [quote_account(d["user"], d["host"]) for d in decided
                  if d.get("action") == "rescope" and (d["user"], d["host"]) in unlocked_on_source]
        return dict(errors=reviewed["errors"], flagged=baseline.report(reviewed["flagged"], decided),
                    fenced=[quote_account(u, h) for u, h in baseline.fenced(decided)],
                    fence_sql=baseline.fence_sql(decided), unlock_copies_of=unlock)
    except (KeyError, TypeError, AttributeError) as e:
        raise AnsibleFilterError(f"account_decisions: {e}") from e


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"account_decisions": account_decisions}
