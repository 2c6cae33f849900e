# Copyright: tiersplit developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The replica method's timed steps (MariaDB), each run on one host over one connection.

Before the window (nothing is fenced, the source serves):
  pause_target  the target's replication stops; its applied position is returned.
  snapshot      on the source: a consistent snapshot, its binary log position as a GTID, a digest of
                every table (rows, two CRC32 aggregates) read inside that snapshot.
  audit_target  the target replicates up to exactly that GTID and stops there; the same digests are
                read and compared; replication resumes.
The window:
  fence         on the source: accounts that bypass read_only locked and their sessions ended, the
                event scheduler paused, read_only set, the last GTID read, metadata inventory.
  catch_up      on the target: MASTER_GTID_WAIT for that GTID, no replication error, the target at
                exactly that GTID (not past it), replication stopped, metadata compared.
  release       on the source: the GTID read again (moved: the cutover stops), optionally the
                source's settings and the locked accounts put back.

Pure helpers (GTID arithmetic, account names, digests' SQL) are unit-tested; the steps take a
PyMySQL-like connection.
"""

import contextlib
import re
import time

from ansible_collections.tiersplit.maintenance.plugins.module_utils import manifest as mf

# Privileges with which a session writes while read_only is set (MariaDB 10.11: READ_ONLY ADMIN,
# implied by SUPER; ALL PRIVILEGES ON *.* holds both).
BYPASS_PRIVILEGES = ("SUPER", "READ_ONLY ADMIN")
# Processlist users that are server threads, never ended by the fence.
SYSTEM_USERS = ("system user", "event_scheduler", "unauthenticated user", "")
# Replication threads: the target's binlog dump thread must survive the fence.
KEPT_COMMANDS = ("Binlog Dump", "Binlog Dump GTID", "Daemon", "Slave_IO", "Slave_SQL", "Slave_worker")


class WindowError(Exception):
    """A step found a state in which the cutover must not go on; the message says what and why."""


# --- GTID positions ---------------------------------------------------------------------------

def parse_gtid(pos):
    """'0-1-10,1-2-5' -> {0: 10, 1: 5} (domain -> sequence number). Empty or None -> {}."""
    out = {}
    for part in (pos or "").replace("\n", "").split(","):
        part = part.strip()
        if not part:
            continue
        m = re.match(r"^(\d+)-(\d+)-(\d+)$", part)
        if not m:
            raise ValueError(f"not a GTID: {part!r}")
        domain, seq = int(m.group(1)), int(m.group(3))
        out[domain] = max(seq, out.get(domain, 0))
    return out


def gtid_moved(before, after):
    """Domains whose sequence number differs between two positions of the same server."""
    a, b = parse_gtid(before), parse_gtid(after)
    return sorted(d for d in set(a) | set(b) if a.get(d, 0) != b.get(d, 0))


def gtid_relation(applied, wanted):
    """'equal', 'behind' or 'ahead': the target's applied position against the wanted one (its domains only)."""
    a, w = parse_gtid(applied), parse_gtid(wanted)
    ahead = any(a.get(d, 0) > s for d, s in w.items())
    behind = any(a.get(d, 0) < s for d, s in w.items())
    if ahead:
        return "ahead"
    if behind:
        return "behind"
    return "equal"


# --- accounts ---------------------------------------------------------------------------------

def split_account(text):
    """"'u'@'h'" or "u@h" (CURRENT_USER()) -> (u, h)."""
    m = re.match(r"^'((?:[^'\\]|\\.|'')*)'@'((?:[^'\\]|\\.|'')*)'$", text or "")
    if m:
        return m.group(1).replace("\\'", "'").replace("''", "'"), m.group(2).replace("\\'", "'").replace("''", "'")
    parts = (text or "").rpartition("@")
    return parts[0], parts[2]


def account_text(user, host):
    return "'{}'@'{}'".format(user.replace("'", "\\'"), host.replace("'", "\\'"))


def to_lock(accounts):
    """Accounts the fence locks: able to bypass read_only, not locked already, not the role's own."""
    return [a for a in accounts if not a["locked"] and not a["self"]]


def sessions_to_end(processlist, bypass_users, own_id):
    """Ids of sessions the fence ends: of users that can bypass read_only, not ours, not server threads."""
    out = []
    for pid, user, command in processlist:
        if pid == own_id or user in SYSTEM_USERS or command in KEPT_COMMANDS:
            continue
        if user in bypass_users:
            out.append(int(pid))
    return sorted(out)


# --- digests ----------------------------------------------------------------------------------

def digest_sql(schema, table, columns):
    """One statement: rows, BIT_XOR and SUM of a CRC32 over each row (NULL kept apart from '')."""
    q = mf.quote_ident
    cols = [q(c) for c in columns]
    nulls = "CONCAT(" + ", ".join(f"ISNULL({c})" for c in cols) + ")"
    row = "CONCAT_WS('#', " + ", ".join([*cols, nulls]) + ")"
    return (f"SELECT COUNT(*), COALESCE(BIT_XOR(h), 0), COALESCE(SUM(h), 0) FROM "
            f"(SELECT CRC32({row}) AS h FROM {q(schema)}.{q(table)}) AS tiersplit_digest")


def compare_digests(reference, current):
    """Differences between two {schema.table: {rows, xor, sum}} maps, as manifest-style paths."""
    diffs = []
    for name in sorted(set(reference) | set(current)):
        a, b = reference.get(name), current.get(name)
        if a is None:
            diffs.append(dict(path=f"tables.{name}", kind="added", before=None, after=b))
        elif b is None:
            diffs.append(dict(path=f"tables.{name}", kind="missing", before=a, after=None))
        else:
            for key in sorted(set(a) | set(b)):
                if a.get(key) != b.get(key):
                    diffs.append(dict(path=f"tables.{name}.{key}", kind="changed", before=a.get(key), after=b.get(key)))
    return diffs


# --- steps ------------------------------------------------------------------------------------

def _all(cur, sql, args=None):
    cur.execute(sql, args)
    return cur.fetchall()


def _one(cur, sql, args=None):
    rows = _all(cur, sql, args)
    return rows[0] if rows else None


def read_accounts(cur):
    """Every login account that bypasses read_only: [{user, host, account, locked, self}]."""
    me = split_account(_one(cur, "SELECT CURRENT_USER()")[0])
    grantees = set()
    placeholders = ", ".join(["%s"] * len(BYPASS_PRIVILEGES))
    for (grantee,) in _all(cur, "SELECT DISTINCT GRANTEE FROM information_schema.USER_PRIVILEGES "
                                f"WHERE PRIVILEGE_TYPE IN ({placeholders})", BYPASS_PRIVILEGES):
        grantees.add(split_account(grantee))
    out = []
    for user, host, locked in _all(cur, "SELECT User, Host, COALESCE(JSON_VALUE(Priv, '$.account_locked'), 'false') "
                                        "FROM mysql.global_priv ORDER BY User, Host"):
        if (user, host) not in grantees or not user:
            continue
        out.append(dict(user=user, host=host, account=account_text(user, host),
                        locked=str(locked).lower() in ("true", "1"), self=(user, host) == me))
    return out


def settings(cur):
    ro, fast, sched, gtid = _one(cur, "SELECT @@global.read_only, @@global.innodb_fast_shutdown, "
                                      "@@global.event_scheduler, @@global.gtid_binlog_pos")
    return dict(read_only=int(ro), fast_shutdown=int(fast), event_scheduler=str(sched), gtid=gtid or "")


def accounts_report(conn):
    """What preflight and the note need: settings, accounts that bypass read_only, their sessions."""
    cur = conn.cursor()
    accounts = read_accounts(cur)
    own = _one(cur, "SELECT CONNECTION_ID()")[0]
    procs = _all(cur, "SELECT ID, USER, COMMAND FROM information_schema.PROCESSLIST")
    counts = {}
    for pid, user, command in procs:
        if pid != own and user not in SYSTEM_USERS and command not in KEPT_COMMANDS:
            counts[user] = counts.get(user, 0) + 1
    for a in accounts:
        a["sessions_of_user"] = counts.get(a["user"], 0)
    out = settings(cur)
    out.update(bypass_accounts=accounts, lock=[a["account"] for a in to_lock(accounts)])
    return out


def fence(conn, lock, manifest_args=None, session_wait=5.0, clock=time.time, sleep=time.sleep):
    """Writes refused on the source for every account; its last GTID; its metadata inventory."""
    cur = conn.cursor()
    before = settings(cur)
    t0 = clock()
    locked = []
    # Not in the binary log: the lock must not replicate to the target, nor move the source's position.
    cur.execute("SET SESSION sql_log_bin = 0")
    for account in lock:
        user, host = split_account(account)
        cur.execute("ALTER USER %s@%s ACCOUNT LOCK", (user, host))
        locked.append(account)
    if before["event_scheduler"].upper() == "ON":
        cur.execute("SET GLOBAL event_scheduler = OFF")
    bypass_users = {a["user"] for a in read_accounts(cur)}
    own = _one(cur, "SELECT CONNECTION_ID()")[0]
    ended = sessions_to_end(_all(cur, "SELECT ID, USER, COMMAND FROM information_schema.PROCESSLIST"),
                            bypass_users, own)
    for pid in ended:
        with contextlib.suppress(Exception):  # ended on its own meanwhile
            cur.execute(f"KILL CONNECTION {int(pid)}")
    deadline = clock() + session_wait
    while ended:
        alive = {r[0] for r in _all(cur, "SELECT ID FROM information_schema.PROCESSLIST")}
        if not alive & set(ended) or clock() > deadline:
            break
        sleep(0.05)
    # read_only waits for commits in progress: the position read after it is the last one.
    cur.execute("SET GLOBAL read_only = 1")
    refused_at = clock()
    gtid = _one(cur, "SELECT @@global.gtid_binlog_pos")[0] or ""
    fenced_at = clock()
    manifest = None
    if manifest_args is not None:
        manifest = mf.collect(conn, checksums=False, row_counts=False, **manifest_args)
    return dict(before=before, locked=locked, event_scheduler_paused=before["event_scheduler"].upper() == "ON",
                sessions_ended=ended, refused_at=refused_at, gtid=gtid, started_at=t0,
                fence_seconds=round(fenced_at - t0, 3), manifest=manifest,
                manifest_seconds=round(clock() - fenced_at, 3))


def release(conn, expect_gtid=None, restore=None, unlock=(), clock=time.time):
    """The source's position read again (it must not have moved), then optionally its settings back."""
    cur = conn.cursor()
    gtid = _one(cur, "SELECT @@global.gtid_binlog_pos")[0] or ""
    checked_at = clock()
    if expect_gtid is not None:
        moved = gtid_moved(expect_gtid, gtid)
        if moved:
            raise WindowError(
                f"the source's binary log moved after writes were fenced ({expect_gtid} -> {gtid}): a session wrote "
                "past read_only (an account with SUPER or READ_ONLY ADMIN not locked, e.g. the role's own local "
                "account used by another program). The target does not have those writes: no cutover.")
    unlocked = []
    if unlock:
        cur.execute("SET SESSION sql_log_bin = 0")
    unlock_failed = []
    for account in unlock or ():
        user, host = split_account(account)
        try:
            cur.execute("ALTER USER %s@%s ACCOUNT UNLOCK", (user, host))
            unlocked.append(account)
        except Exception as e:  # pylint: disable=broad-except
            unlock_failed.append(f"{account}: {e}")  # dropped meanwhile: nothing to unlock
    if restore:
        if restore.get("event_scheduler", "").upper() == "ON":
            cur.execute("SET GLOBAL event_scheduler = ON")
        if restore.get("fast_shutdown") is not None:
            cur.execute("SET GLOBAL innodb_fast_shutdown = %s", (int(restore["fast_shutdown"]),))
        if restore.get("read_only") is not None:
            cur.execute("SET GLOBAL read_only = %s", (int(restore["read_only"]),))
    return dict(gtid=gtid, checked_at=checked_at, unlocked=unlocked, unlock_failed=unlock_failed,
                released_at=clock())


def slave_status(cur):
    cur.execute("SHOW SLAVE STATUS")
    rows = cur.fetchall()
    if not rows:
        return {}
    names = [d[0] for d in cur.description]
    return {k: ("" if v is None else str(v)) for k, v in zip(names, rows[0])}


def replication_errors(status):
    """Problems in SHOW SLAVE STATUS that forbid trusting the target's position ([] when none)."""
    if not status:
        return ["the target is no replica (SHOW SLAVE STATUS is empty)"]
    out = []
    errno = status.get("Last_SQL_Errno", "0") or "0"
    if errno != "0":
        out.append(f"SQL thread error {errno}: {status.get('Last_SQL_Error', '')}")
    # An IO error counts while the IO thread is down; a past one it recovered from does not.
    errno = status.get("Last_IO_Errno", "0") or "0"
    if errno != "0" and status.get("Slave_IO_Running") != "Yes":
        out.append(f"IO thread error {errno}: {status.get('Last_IO_Error', '')}")
    return out


def source_quiet(io_gtid, gtid):
    """Whether the position the replica's IO thread received (Gtid_IO_Pos) is exactly the source's
    fenced one: True; False when it cannot tell (empty, behind); raises when the source moved."""
    if not io_gtid:
        return False
    moved = gtid_moved(gtid, io_gtid)
    if not moved:
        return True
    received, fenced = parse_gtid(io_gtid), parse_gtid(gtid)
    if any(received.get(d, 0) > fenced.get(d, 0) for d in moved):
        raise WindowError(
            f"the source's binary log moved after writes were fenced ({gtid} -> {io_gtid}, received by the "
            "target's replication): a session wrote past read_only (an account with SUPER or READ_ONLY ADMIN "
            "not locked). The target does not have those writes: no cutover.")
    return False


def catch_up(conn, gtid, timeout, stop=True, reference=None, manifest_args=None, ignore=(), watch_source=False,
             clock=time.time):
    """On the target: at exactly the source's last GTID, no replication error, replication stopped.

    With ``watch_source``, only the SQL thread stops at the GTID: the IO thread, still connected to the
    source, receives whatever the source writes meanwhile. After the metadata comparison, its received
    position (Gtid_IO_Pos) still at the GTID proves that the source has not moved since the fence
    (``source_quiet``), without a call on the source; one past it fails the step. When it cannot tell
    (IO thread down, no received position), ``source_quiet`` is false and the caller reads the source."""
    cur = conn.cursor()
    t0 = clock()
    if not gtid:
        raise WindowError("the source's last GTID is empty: the target's position cannot be proven")
    waited = _one(cur, "SELECT MASTER_GTID_WAIT(%s, %s)", (gtid, int(timeout)))[0]
    t1 = clock()
    status = slave_status(cur)
    errors = replication_errors(status)
    if int(waited) != 0:
        errors.insert(0, f"the target did not reach {gtid} within {timeout} s")
    applied = _one(cur, "SELECT @@global.gtid_slave_pos")[0] or ""
    relation = gtid_relation(applied, gtid)
    if relation != "equal":
        errors.append(f"the target's applied position {applied} is {relation} of the source's last GTID {gtid}")
    if errors:
        raise WindowError("; ".join(errors))
    watching = bool(stop and watch_source and status.get("Slave_IO_Running") == "Yes")
    if stop:
        cur.execute("STOP SLAVE SQL_THREAD" if watching else "STOP SLAVE")
    t2 = clock()
    result = dict(waited_seconds=round(t1 - t0, 3), applied_gtid=applied, stopped=bool(stop),
                  io_running=status.get("Slave_IO_Running"), sql_running=status.get("Slave_SQL_Running"),
                  stopped_at=t2, source_quiet=False)
    try:
        if reference is not None:
            current = mf.collect(conn, checksums=False, row_counts=False, **(manifest_args or {}))
            diffs = mf.compare(reference, current, ignore=list(ignore or ()))
            result.update(differences=diffs, manifest_seconds=round(clock() - t2, 3))
        if watching:
            later = slave_status(cur)
            result["source_checked_at"] = clock()
            result["source_io_gtid"] = later.get("Gtid_IO_Pos", "")
            if later.get("Slave_IO_Running") == "Yes":
                result["source_quiet"] = source_quiet(result["source_io_gtid"], gtid)
    finally:
        if watching:
            cur.execute("STOP SLAVE")
    return result


def table_digests(cur, exclude_schemas):
    """{schema.table: {rows, xor, sum}} of every base table outside exclude_schemas (one statement each)."""
    placeholders = ", ".join(["%s"] * len(exclude_schemas)) or "''"
    tables = _all(cur, "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE IN "
                       f"('BASE TABLE', 'SYSTEM VERSIONED') AND TABLE_SCHEMA NOT IN ({placeholders}) "
                       "ORDER BY TABLE_SCHEMA, TABLE_NAME", tuple(exclude_schemas))
    out = {}
    for schema, table in tables:
        cols = [r[0] for r in _all(cur, "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s "
                                        "AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION", (schema, table))]
        rows, xor, total = _one(cur, digest_sql(schema, table, cols))
        out[f"{schema}.{table}"] = dict(rows=int(rows), xor=int(xor), sum=int(total))
    return out


def snapshot(conn, exclude_schemas, clock=time.time):
    """On the source, while it serves: digests read in one consistent snapshot, and its GTID."""
    cur = conn.cursor()
    t0 = clock()
    cur.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
    try:
        status = dict((k.lower(), v) for k, v in _all(cur, "SHOW STATUS LIKE 'binlog_snapshot_%'"))
        bfile, bpos = status.get("binlog_snapshot_file"), status.get("binlog_snapshot_position")
        gtid = _one(cur, "SELECT BINLOG_GTID_POS(%s, %s)", (bfile, int(bpos)))[0] if bfile else None
        if not gtid:
            raise WindowError(f"no GTID for the snapshot's binary log position {bfile}:{bpos}")
        digests = table_digests(cur, exclude_schemas)
        names = [r[0] for r in _all(cur, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA")
                 if r[0] not in exclude_schemas]
    finally:
        cur.execute("COMMIT")
    return dict(gtid=gtid, binlog_file=bfile, binlog_position=int(bpos), digests=digests,
                schemas=by_schema(digests, names), seconds=round(clock() - t0, 3))


def by_schema(digests, schema_names=()):
    """{schema.table: d} -> {schema: {tables: {table: d}}} (the shape of an inventory's schemas)."""
    out = {name: dict(tables={}) for name in schema_names}
    for full, d in digests.items():
        schema, table = full.split(".", 1)
        out.setdefault(schema, dict(tables={}))["tables"][table] = d
    return out


def pause_target(conn):
    """Replication stops (both threads); the applied position, which the source's snapshot is at or after."""
    cur = conn.cursor()
    cur.execute("STOP SLAVE")
    return dict(applied_gtid=_one(cur, "SELECT @@global.gtid_slave_pos")[0] or "")


def audit_target(conn, gtid, reference, exclude_schemas, timeout, settle=30.0, clock=time.time, sleep=time.sleep):
    """The target replicates up to exactly `gtid` and stops there; digests compared; replication resumes."""
    cur = conn.cursor()
    t0 = clock()
    applied = _one(cur, "SELECT @@global.gtid_slave_pos")[0] or ""
    if gtid_relation(applied, gtid) == "ahead":
        raise WindowError(f"the target ({applied}) is past the source's snapshot ({gtid}): replication was not paused")
    cur.execute("START SLAVE UNTIL master_gtid_pos = %s", (gtid,))
    waited = _one(cur, "SELECT MASTER_GTID_WAIT(%s, %s)", (gtid, int(timeout)))[0]
    deadline = clock() + settle
    while True:
        status = slave_status(cur)
        if status.get("Slave_SQL_Running") == "No" or clock() > deadline:
            break
        sleep(0.05)
    errors = replication_errors(status)
    applied = _one(cur, "SELECT @@global.gtid_slave_pos")[0] or ""
    if int(waited) != 0:
        errors.insert(0, f"the target did not reach {gtid} within {timeout} s")
    if status.get("Slave_SQL_Running") != "No":
        errors.append("the target's SQL thread did not stop at the snapshot's position")
    if gtid_relation(applied, gtid) != "equal":
        errors.append(f"the target stopped at {applied}, not at the snapshot's {gtid}")
    if errors:
        cur.execute("START SLAVE")
        raise WindowError("; ".join(errors))
    t1 = clock()
    cur.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
    try:
        digests = table_digests(cur, exclude_schemas)
    finally:
        cur.execute("COMMIT")
    t2 = clock()
    cur.execute("STOP SLAVE")
    cur.execute("START SLAVE")
    diffs = compare_digests(reference, digests)
    return dict(gtid=applied, differences=diffs, equal=not diffs, tables=len(digests),
                rows=sum(d["rows"] for d in digests.values()), catch_up_seconds=round(t1 - t0, 3),
                digest_seconds=round(t2 - t1, 3))
