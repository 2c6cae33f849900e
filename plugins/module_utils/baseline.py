# Copyright: tiersplit developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The database role's security baseline for accounts, decided by the user.

The baseline flags three kinds of account: anonymous users, hosts with a
wildcard (``%`` or ``_``) and root on any host but localhost. On a fresh
server there are none: every flagged account came with a copied datadir, it
is the user's. None is removed unless the user decided so, per account:

- ``keep``: left as it is, no warning;
- ``drop``: removed;
- ``rescope``: the same account (authentication, options, grants) made for
  each of the given hosts, then the original removed.

An account without a decision is kept and named in a warning. Accounts of
users the role manages (``database_users``) are the role's own and are not
flagged here: their hosts are the inventory's.

A physical copy brings the source's accounts to a server that listens on the
network. Its first start runs ``fence_sql`` (the server's ``init_file``,
executed before it accepts a connection): every account decided drop or
rescope is locked, so none of them can log in before the migration carries
the decisions out (``carry_out``); a failed run leaves them locked.
"""

import re
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from ansible_collections.tiersplit.maintenance.plugins.module_utils.accounts import quote_account, text, without_lock

Account = Tuple[str, str]

ANONYMOUS = "anonymous user"
WILDCARD = "host with a wildcard"
REMOTE_ROOT = "root beyond localhost"
ACTIONS = ("keep", "drop", "rescope")

# The account in SHOW CREATE USER / SHOW GRANTS output: `user`@`host` (both
# servers quote with backticks) or 'user'@'host'.
_PART = r"(`(?:[^`]|``)*`|'(?:[^'\\]|\\.)*')"
_ACCOUNT = re.compile(_PART + "@" + _PART)


def reason(user: str, host: str) -> Optional[str]:
    """Why the baseline flags the account, or None."""
    if user == "":
        return ANONYMOUS
    if "%" in host or "_" in host:
        return WILDCARD
    if user == "root" and host != "localhost":
        return REMOTE_ROOT
    return None


def flag(accounts: Iterable[Account], managed: Iterable[str] = ()) -> List[dict]:
    """The flagged accounts, sorted: {user, host, reason}."""
    own = set(managed)
    out = []
    for user, host in sorted(accounts):
        why = reason(user, host)
        if why and user not in own:
            out.append({"user": user, "host": host, "reason": why})
    return out


def check_decisions(decisions: Sequence[dict], accounts: Iterable[Account], managed: Iterable[str] = ()) -> List[str]:
    """Errors in the decisions; empty when they can be carried out.

    A decision names a flagged account, or one that is gone already (a
    rerun after it was carried out). One naming an account that exists and
    is not flagged is a mistake: the baseline has nothing to decide there.
    """
    errors = []
    existing = set(accounts)
    flagged = {(a["user"], a["host"]) for a in flag(existing, managed)}
    seen = set()
    for d in decisions:
        key = (d.get("user", ""), d.get("host", ""))
        name = quote_account(*key)
        action = d.get("action")
        hosts = d.get("hosts") or []
        if key in seen:
            errors.append(f"{name} is decided twice")
        seen.add(key)
        if action not in ACTIONS:
            errors.append(f"{name}: action must be one of {', '.join(ACTIONS)}, not {action!r}")
        if action == "rescope":
            if not hosts:
                errors.append(f"{name}: rescope needs hosts (the literal addresses the account is for)")
            bad = [h for h in hosts if reason(key[0], h) or not h]
            if bad:
                errors.append(f"{name}: rescope hosts must be literal and allowed by the baseline, "
                              f"not {', '.join(bad)}")
        elif hosts:
            errors.append(f"{name}: hosts are only for action rescope")
        if key in existing and key not in flagged:
            errors.append(f"{name} is not an account the baseline flags (anonymous, wildcard host, root beyond "
                          "localhost) or it is a managed user's: nothing to decide")
    return errors


def plan(flagged: Sequence[dict], decisions: Sequence[dict], accounts: Iterable[Account]) -> Dict[str, list]:
    """What to do with each flagged account.

    Returns keep, undecided (both kept), drop ([user, host]) and rescope
    ({user, host, hosts: the hosts not made yet}).
    """
    existing = set(accounts)
    by_key = {(d["user"], d["host"]): d for d in decisions}
    out: Dict[str, list] = {"keep": [], "undecided": [], "drop": [], "rescope": []}
    for a in flagged:
        key = (a["user"], a["host"])
        d = by_key.get(key)
        if d is None:
            out["undecided"].append(dict(a))
        elif d["action"] == "keep":
            out["keep"].append(dict(a))
        elif d["action"] == "drop":
            out["drop"].append(dict(a))
        else:
            todo = [h for h in d["hosts"] if (a["user"], h) not in existing]
            out["rescope"].append(dict(a, hosts=todo))
    return out


def review(accounts: Iterable[Account], decisions: Sequence[dict], managed: Iterable[str] = ()) -> Dict[str, list]:
    """A server's accounts against the decisions: errors, the flagged accounts and the plan (todo)."""
    existing = list(accounts)
    flagged = flag(existing, managed)
    return dict(errors=check_decisions(decisions, existing, managed), flagged=flagged,
                todo=plan(flagged, decisions, existing))


def report(flagged: Sequence[dict], decisions: Sequence[dict]) -> List[dict]:
    """Each flagged account with its reason and what was decided: {account, reason, decision}."""
    decided = {(d.get("user", ""), d.get("host", "")): d.get("action") for d in decisions}
    return [dict(account=quote_account(a["user"], a["host"]), reason=a["reason"],
                 decision=decided.get((a["user"], a["host"]), "none (kept)")) for a in flagged]


def decisions_argument_spec() -> dict:
    """The options decisions, managed_users and unlock_copies_of (doc fragment account_decisions)."""
    return dict(
        decisions=dict(type="list", elements="dict", default=[], options=dict(
            user=dict(type="str", required=True),
            host=dict(type="str", required=True),
            action=dict(type="str", required=True, choices=list(ACTIONS)),
            hosts=dict(type="list", elements="str", default=[]),
        )),
        managed_users=dict(type="list", elements="str", default=[]),
        unlock_copies_of=dict(type="list", elements="str", default=[]),
    )


def fenced(decisions: Sequence[dict]) -> List[Account]:
    """The accounts a copy's first start locks: those decided drop or rescope."""
    return sorted({(d["user"], d["host"]) for d in decisions if d.get("action") in ("drop", "rescope")})


def fence_sql(decisions: Sequence[dict]) -> str:
    """The statements of the copy's first start (one per line, as init_file reads them).

    Outside the binary log (a replica's position stays the source's); an
    account the copy does not have is no error (IF EXISTS).
    """
    lines = ["SET SESSION sql_log_bin = 0;"]
    lines += [f"ALTER USER IF EXISTS {quote_account(u, h)} ACCOUNT LOCK;" for u, h in fenced(decisions)]
    return "\n".join(lines) + "\n"


def carry_out(cur, todo: Dict[str, list], check_mode: bool = False,
              unlock: Iterable[str] = ()) -> Tuple[List[str], List[str]]:
    """Carries out a plan's rescopes and drops; returns (dropped, created) account names.

    A rescoped account's copies are made as the original is (authentication,
    options, grants); for the accounts in unlock ('user'@'host': locked by the
    fence of a copy, unlocked on the source) without the lock. After a drop, the
    privileges are reloaded (FLUSH PRIVILEGES) so that the hosts allowed to
    connect are the remaining accounts' only.
    """
    unlocked = {parse_name(n) for n in unlock}
    dropped: List[str] = []
    created: List[str] = []
    for a in todo["rescope"]:
        key = (a["user"], a["host"])
        if a["hosts"] and not check_mode:
            cur.execute("SHOW CREATE USER " + quote_account(*key))
            create = text(cur.fetchone()[0])
            if key in unlocked:
                create = without_lock(create)
            cur.execute("SHOW GRANTS FOR " + quote_account(*key))
            grants = [text(r[0]) for r in cur.fetchall()]
            for host in a["hosts"]:
                for sql in copy_statements(create, grants, a["user"], a["host"], host):
                    cur.execute(sql)
        created += [quote_account(a["user"], h) for h in a["hosts"]]
    for a in todo["drop"] + todo["rescope"]:
        if not check_mode:
            cur.execute("DROP USER " + quote_account(a["user"], a["host"]))
        dropped.append(quote_account(a["user"], a["host"]))
    if dropped and not check_mode:
        # DROP USER leaves the server's cache of allowed client hosts as it was (seen on
        # MariaDB 10.11): a host that only a dropped wildcard account matched would still
        # get a login handshake instead of "host not allowed" until the cache is rebuilt.
        cur.execute("FLUSH PRIVILEGES")
    return dropped, created


def _unquote(part: str) -> str:
    body = part[1:-1]
    if part[0] == "`":
        return body.replace("``", "`")
    return re.sub(r"\\(.)", r"\1", body)


def rewrite(statement: str, user: str, host: str, new_host: str) -> str:
    """The statement with the account user@host replaced by user@new_host."""
    def sub(m: "re.Match[str]") -> str:
        if (_unquote(m.group(1)), _unquote(m.group(2))) == (user, host):
            return quote_account(user, new_host)
        return m.group(0)
    return _ACCOUNT.sub(sub, statement)


def copy_statements(create: str, grants: Sequence[str], user: str, host: str, new_host: str) -> List[str]:
    """CREATE USER and GRANTs that make user@new_host as user@host is."""
    return [rewrite(s, user, host, new_host) for s in [create, *grants]]


def account_list(accounts: Iterable[Account]) -> str:
    """One account per line, for a diff (names only, never a secret)."""
    return "".join(quote_account(u, h) + "\n" for u, h in sorted(accounts))


# Users of the server itself (and root@localhost, which the database role
# sets up): not the migrated accounts that verify.yml compares.
SYSTEM_USERS = frozenset(("mariadb.sys", "mysql.sys", "mysql.session", "mysql.infoschema", "mysql", "debian-sys-maint"))
_NAME = re.compile(r"^'((?:[^'\\]|\\.)*)'@'((?:[^'\\]|\\.)*)'$")


def parse_name(name: str) -> Account:
    """(user, host) of an account written 'user'@'host' (the manifest's and quote_account's form)."""
    m = _NAME.match(name)
    if not m:
        raise ValueError(f"not an account name: {name}")
    return _unquote("'" + m.group(1) + "'"), _unquote("'" + m.group(2) + "'")


def canonical(statement: str) -> str:
    """The statement with every account written as quote_account writes it."""
    return _ACCOUNT.sub(lambda m: quote_account(_unquote(m.group(1)), _unquote(m.group(2))), statement)


def account_drift(source: Dict[str, Sequence[str]], current: Dict[str, Sequence[str]],
                  decisions: Sequence[dict] = (), managed: Iterable[str] = ()) -> List[str]:
    """How the server's accounts differ from the source's at the copy, given the user's decisions.

    source and current map 'user'@'host' to grants (as mysql_manifest lists
    them). Every source account must be there with the same grants, except
    those decided drop (must be gone) or rescope (gone, and there for each of
    the hosts, with the same grants). Managed users, the server's own and
    root@localhost are left out (the database role sets them up).
    """
    own = set(managed) | SYSTEM_USERS
    by_key = {(d["user"], d["host"]): d for d in decisions}
    have = {parse_name(n): sorted(canonical(g) for g in grants) for n, grants in current.items()}
    drift = []
    for name, grants in sorted(source.items()):
        user, host = parse_name(name)
        if user in own or (user, host) == ("root", "localhost"):
            continue
        d = by_key.get((user, host), {"action": "keep"})
        if d["action"] == "drop":
            if (user, host) in have:
                drift.append(f"{name} is there, decided drop")
            continue
        if d["action"] == "rescope":
            if (user, host) in have:
                drift.append(f"{name} is there, decided rescope to {', '.join(d['hosts'])}")
            targets = list(d["hosts"])
        else:
            targets = [host]
        for target in targets:
            want = sorted(canonical(rewrite(g, user, host, target)) for g in grants)
            account = quote_account(user, target)
            if (user, target) not in have:
                moved = f" (rescoped from {name})" if target != host else ""
                drift.append(f"{account} of the source is missing{moved}")
            elif have[(user, target)] != want:
                lost = sorted(set(want) - set(have[(user, target)]))
                added = sorted(set(have[(user, target)]) - set(want))
                drift.append(f"{account} has other grants than the source's: "
                             f"missing {lost or 'none'}, added {added or 'none'}")
    return drift
