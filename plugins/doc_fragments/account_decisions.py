# Copyright: tiersplit developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  decisions:
    description:
      - What to do with the accounts the security baseline flags (anonymous users, hosts with a wildcard, root
        beyond localhost), one entry per account. A flagged account without a decision is kept.
    type: list
    elements: dict
    default: []
    suboptions:
      user:
        description: The account's user name (V('') for an anonymous user).
        type: str
        required: true
      host:
        description: The account's host, exactly as the server has it (e.g. V(192.168.1.%)).
        type: str
        required: true
      action:
        description: V(keep), V(drop) or V(rescope).
        type: str
        required: true
        choices: [keep, drop, rescope]
      hosts:
        description: With V(rescope), the literal hosts the account is made for.
        type: list
        elements: str
        default: []
  managed_users:
    description: User names whose accounts are managed elsewhere and never flagged.
    type: list
    elements: str
    default: []
  unlock_copies_of:
    description:
      - Accounts decided V(rescope), as C('user'@'host'), whose copies are made without C(ACCOUNT LOCK), because
        the fence of a copied datadir's first start locked them and the source had them unlocked. Others are
        copied as they are, locked or not.
    type: list
    elements: str
    default: []
"""
