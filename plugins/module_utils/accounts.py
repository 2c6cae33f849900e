# Copyright: tiersplit developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Accounts of the target kept across a physical copy.

A physical copy brings the source's own ``mysql`` schema: accounts made on the
target for the new topology (the application's account for the application
host's address) are gone until something creates them again. Before the
window, the definitions of the named users' accounts on the target are
exported (``SHOW CREATE USER``, ``SHOW GRANTS``: password hashes, never
passwords); right after the copy starts, the accounts the copy does not have
are created again from them, unlocked. An account the copy has (same user and
host) is the source's and is left as it is.
"""

import json
import os
import re

from ansible_collections.tiersplit.maintenance.plugins.module_utils import window

# An account lock on a kept account is the rollback's fence of the copy being
# replaced (rolled_back.yml locks the rolled-back applications' accounts), or
# a window's fence: the account comes back unlocked, as the database role
# would create it if the copy had removed it.
_ACCOUNT_LOCK = re.compile(r"\s+ACCOUNT\s+LOCK\b", re.IGNORECASE)


def quote_account(user, host):
    """'user'@'host' with quotes and backslashes escaped."""
    def q(s):
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return f"{q(user)}@{q(host)}"


def without_lock(create):
    """SHOW CREATE USER's statement without its ACCOUNT LOCK."""
    return _ACCOUNT_LOCK.sub("", create)


def text(value):
    """A value of a server's answer as text."""
    return value.decode("utf-8") if isinstance(value, (bytes, bytearray)) else value


def list_accounts(cur):
    cur.execute("SELECT user, host FROM mysql.user")
    return sorted((text(u), text(h)) for u, h in cur.fetchall())


def export(cur, users):
    """Definitions of the accounts of the given user names, in account order."""
    wanted = set(users)
    out = []
    for user, host in list_accounts(cur):
        if user not in wanted:
            continue
        account = quote_account(user, host)
        cur.execute("SHOW CREATE USER " + account)
        create = without_lock(text(cur.fetchone()[0]))
        cur.execute("SHOW GRANTS FOR " + account)
        grants = [text(r[0]) for r in cur.fetchall()]
        out.append({"user": user, "host": host, "create": create, "grants": grants})
    return out


def missing(exported, existing):
    """The exported accounts that are not among existing (user, host) pairs."""
    have = set(existing)
    return [a for a in exported if (a["user"], a["host"]) not in have]


def restore(cur, exported):
    """Create the exported accounts the server lacks; returns their names."""
    made = []
    for account in missing(exported, list_accounts(cur)):
        cur.execute(account["create"])
        for grant in account["grants"]:
            cur.execute(grant)
        made.append(quote_account(account["user"], account["host"]))
    return made


def write(path, exported):
    """Write the export readable by root only (it holds password hashes); True when it changed."""
    data = json.dumps({"accounts": exported}, indent=1, sort_keys=True) + "\n"
    try:
        with open(path) as f:
            if f.read() == data:
                os.chmod(path, 0o600)
                return False
    except FileNotFoundError:
        pass
    window.write_private(path, data)
    return True


def read(path):
    with open(path) as f:
        return json.load(f)["accounts"]


def names(exported):
    return [quote_account(a["user"], a["host"]) for a in exported]
