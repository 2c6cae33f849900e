"""The replica method's window steps, against a scripted fake server."""

import re

import pytest
from ansible_collections.tiersplit.maintenance.plugins.module_utils import replica


@pytest.mark.parametrize("pos,expected", [
    ("", {}),
    (None, {}),
    ("0-1-10", {0: 10}),
    ("0-1-10,1-2-5", {0: 10, 1: 5}),
    ("1-2-5,\n0-1-10", {0: 10, 1: 5}),
])
def test_parse_gtid(pos, expected):
    assert replica.parse_gtid(pos) == expected


def test_parse_gtid_rejects_garbage():
    with pytest.raises(ValueError):
        replica.parse_gtid("0-1")


@pytest.mark.parametrize("applied,wanted,relation", [
    ("0-1-10", "0-1-10", "equal"),
    ("0-1-9", "0-1-10", "behind"),
    ("0-1-11", "0-1-10", "ahead"),
    ("0-1-10,5-3-7", "0-1-10", "equal"),       # another domain of the target does not count
    ("0-2-10", "0-1-10", "equal"),             # the server id may differ (binlog enabled with a new id)
    ("", "0-1-10", "behind"),
])
def test_gtid_relation(applied, wanted, relation):
    assert replica.gtid_relation(applied, wanted) == relation


def test_gtid_moved():
    assert replica.gtid_moved("0-1-10", "0-1-10") == []
    assert replica.gtid_moved("0-1-10", "0-1-11") == [0]
    assert replica.gtid_moved("0-1-10", "0-1-10,1-1-1") == [1]


@pytest.mark.parametrize("text,expected", [
    ("'root'@'%'", ("root", "%")),
    ("root@localhost", ("root", "localhost")),
    ("'o\\'brien'@'10.0.0.%'", ("o'brien", "10.0.0.%")),
    ("a@b@c", ("a@b", "c")),
])
def test_split_account(text, expected):
    assert replica.split_account(text) == expected


def test_account_text_round_trip():
    assert replica.split_account(replica.account_text("o'brien", "%")) == ("o'brien", "%")


def test_to_lock_keeps_own_and_locked_accounts_out():
    accounts = [dict(account="'root'@'localhost'", locked=False, self=True),
                dict(account="'admin'@'%'", locked=False, self=False),
                dict(account="'old'@'%'", locked=True, self=False)]
    assert [a["account"] for a in replica.to_lock(accounts)] == ["'admin'@'%'"]


def test_sessions_to_end():
    procs = [(1, "root", "Query"), (2, "admin", "Sleep"), (3, "system user", "Slave_SQL"),
             (4, "tiersplit_repl", "Binlog Dump"), (5, "app", "Query"), (6, "root", "Sleep"),
             (7, "event_scheduler", "Daemon"), (8, "admin", "Binlog Dump")]
    assert replica.sessions_to_end(procs, {"root", "admin"}, own_id=1) == [2, 6]


def test_digest_sql_quotes_and_keeps_null_apart():
    sql = replica.digest_sql("s`x", "t", ["a", "b`c"])
    assert "`s``x`.`t`" in sql
    assert "ISNULL(`a`), ISNULL(`b``c`)" in sql
    assert sql.startswith("SELECT COUNT(*), COALESCE(BIT_XOR(h), 0), COALESCE(SUM(h), 0)")


def test_compare_digests():
    a = {"s.t": dict(rows=1, xor=5, sum=5), "s.u": dict(rows=0, xor=0, sum=0)}
    b = {"s.t": dict(rows=1, xor=6, sum=6), "s.v": dict(rows=0, xor=0, sum=0)}
    diffs = replica.compare_digests(a, b)
    assert [(d["path"], d["kind"]) for d in diffs] == [
        ("tables.s.t.sum", "changed"), ("tables.s.t.xor", "changed"),
        ("tables.s.u", "missing"), ("tables.s.v", "added")]
    assert replica.compare_digests(a, a) == []


@pytest.mark.parametrize("status,errors", [
    ({}, 1),
    ({"Last_SQL_Errno": "0", "Last_IO_Errno": "0", "Slave_IO_Running": "Yes"}, 0),
    ({"Last_SQL_Errno": "1062", "Last_SQL_Error": "Duplicate entry", "Slave_IO_Running": "Yes"}, 1),
    ({"Last_SQL_Errno": "0", "Last_IO_Errno": "2003", "Slave_IO_Running": "Yes"}, 0),   # recovered
    ({"Last_SQL_Errno": "0", "Last_IO_Errno": "2003", "Slave_IO_Running": "Connecting"}, 1),
])
def test_replication_errors(status, errors):
    assert len(replica.replication_errors(status)) == errors


class FakeCursor:
    """Answers the statements the steps send, from a small mutable server state."""

    def __init__(self, server):
        self.s = server
        self.rows = []
        self.description = None

    def execute(self, sql, args=None):
        s = self.s
        s.log.append((sql, args))
        self.description = None
        if sql.startswith("SELECT CURRENT_USER()"):
            self.rows = [("root@localhost",)]
        elif "USER_PRIVILEGES" in sql:
            self.rows = [(g,) for g in s.bypass]
        elif "mysql.global_priv" in sql:
            self.rows = [(u, h, "true" if (u, h) in s.locked else "false") for u, h in s.users]
        elif sql.startswith("SELECT CONNECTION_ID()"):
            self.rows = [(1,)]
        elif "FROM information_schema.PROCESSLIST" in sql:
            procs = [p for p in s.procs if p[0] not in s.killed]
            self.rows = procs if "USER" in sql else [(p[0],) for p in procs]
        elif sql.startswith("SELECT @@global.read_only, @@global.innodb_fast_shutdown"):
            self.rows = [(s.read_only, 1, s.scheduler, s.gtid)]
        elif sql.startswith("ALTER USER"):
            (s.locked.add if "ACCOUNT LOCK" in sql else s.locked.discard)(args)
            self.rows = []
        elif sql.startswith("KILL CONNECTION"):
            s.killed.add(int(sql.split()[-1]))
            self.rows = []
        elif sql.startswith("SET GLOBAL read_only"):
            s.read_only = 1 if args is None else args[0]
            self.rows = []
        elif sql.startswith("SET GLOBAL event_scheduler"):
            s.scheduler = sql.split("=")[1].strip()
            self.rows = []
        elif sql == "SELECT @@global.gtid_binlog_pos":
            if s.write_after_fence and s.read_only:
                s.gtid = "0-1-99"   # a session that bypassed the fence wrote
            self.rows = [(s.gtid,)]
        elif sql.startswith("SELECT MASTER_GTID_WAIT"):
            self.rows = [(s.wait_result,)]
        elif sql == "SELECT @@global.gtid_slave_pos":
            self.rows = [(s.slave_pos,)]
        elif sql == "SHOW SLAVE STATUS":
            self.description = [(k,) for k in s.status]
            self.rows = [tuple(s.status.values())]
        elif re.match(r"^(STOP|START) SLAVE", sql):
            s.slave_cmds.append(sql)
            self.rows = []
        else:
            self.rows = []

    def fetchall(self):
        return self.rows


class FakeServer:
    def __init__(self, **kw):
        self.log = []
        self.bypass = ["'root'@'localhost'", "'admin'@'%'", "'old'@'%'"]
        self.users = [("root", "localhost"), ("admin", "%"), ("old", "%"), ("app", "%")]
        self.locked = {("old", "%")}
        self.procs = [(1, "root", "Query"), (2, "admin", "Query"), (3, "app", "Sleep"), (4, "repl", "Binlog Dump")]
        self.killed = set()
        self.read_only = 0
        self.scheduler = "ON"
        self.gtid = "0-1-50"
        self.write_after_fence = False
        self.wait_result = 0
        self.slave_pos = "0-1-50"
        self.status = {"Slave_IO_Running": "Yes", "Slave_SQL_Running": "Yes", "Last_IO_Errno": "0",
                       "Last_SQL_Errno": "0", "Last_SQL_Error": ""}
        self.slave_cmds = []
        self.__dict__.update(kw)

    def cursor(self):
        return FakeCursor(self)


def test_accounts_report_lists_what_to_lock():
    out = replica.accounts_report(FakeServer())
    assert out["lock"] == ["'admin'@'%'"]
    assert {a["account"] for a in out["bypass_accounts"]} == {"'root'@'localhost'", "'admin'@'%'", "'old'@'%'"}
    admin = next(a for a in out["bypass_accounts"] if a["user"] == "admin")
    assert admin["sessions_of_user"] == 1 and not admin["self"]
    assert out["read_only"] == 0 and out["event_scheduler"] == "ON"


def test_fence_locks_ends_sessions_then_read_only_and_gtid():
    srv = FakeServer()
    out = replica.fence(srv, ["'admin'@'%'"], manifest_args=None, sleep=lambda s: None)
    assert ("admin", "%") in srv.locked
    assert out["sessions_ended"] == [2]          # admin's session; not ours, not app, not the binlog dump
    assert srv.read_only == 1 and srv.scheduler == "OFF"
    assert out["gtid"] == "0-1-50" and out["locked"] == ["'admin'@'%'"]
    order = [entry[0] for entry in srv.log]
    assert order.index("SET SESSION sql_log_bin = 0") < order.index("ALTER USER %s@%s ACCOUNT LOCK")
    assert order.index("SET GLOBAL read_only = 1") > max(i for i, q in enumerate(order) if q.startswith("KILL"))
    assert order.index("SELECT @@global.gtid_binlog_pos") > order.index("SET GLOBAL read_only = 1")


def test_release_fails_when_the_position_moved_and_puts_nothing_back():
    srv = FakeServer(read_only=1, write_after_fence=True, locked={("admin", "%")})
    with pytest.raises(replica.WindowError, match="moved"):
        replica.release(srv, expect_gtid="0-1-50", restore={"read_only": 0}, unlock=["'admin'@'%'"])
    assert srv.read_only == 1 and ("admin", "%") in srv.locked


def test_release_puts_settings_and_accounts_back():
    srv = FakeServer(read_only=1, scheduler="OFF", locked={("admin", "%")})
    out = replica.release(srv, expect_gtid="0-1-50", restore={"read_only": 0, "event_scheduler": "ON",
                                                              "fast_shutdown": 1}, unlock=["'admin'@'%'"])
    assert srv.read_only == 0 and srv.scheduler == "ON" and ("admin", "%") not in srv.locked
    assert out["unlocked"] == ["'admin'@'%'"]


def test_catch_up_at_the_gtid_stops_replication():
    srv = FakeServer()
    out = replica.catch_up(srv, "0-1-50", 10)
    assert out["applied_gtid"] == "0-1-50" and srv.slave_cmds == ["STOP SLAVE"]


@pytest.mark.parametrize("kw,match", [
    (dict(wait_result=-1, slave_pos="0-1-40"), "did not reach"),
    (dict(slave_pos="0-1-51"), "ahead"),
    (dict(status={"Slave_IO_Running": "Yes", "Slave_SQL_Running": "No", "Last_IO_Errno": "0",
                  "Last_SQL_Errno": "1062", "Last_SQL_Error": "Duplicate entry"}), "1062"),
])
def test_catch_up_refuses(kw, match):
    srv = FakeServer(**kw)
    with pytest.raises(replica.WindowError, match=match):
        replica.catch_up(srv, "0-1-50", 10)
    assert srv.slave_cmds == []     # replication left as it was


def test_catch_up_needs_a_gtid():
    with pytest.raises(replica.WindowError):
        replica.catch_up(FakeServer(), "", 10)


def test_audit_refuses_a_target_past_the_snapshot():
    srv = FakeServer(slave_pos="0-1-60")
    with pytest.raises(replica.WindowError, match="past"):
        replica.audit_target(srv, "0-1-50", {}, [], 10, sleep=lambda s: None)


def test_by_schema_keeps_empty_schemas():
    out = replica.by_schema({"a.t": dict(rows=2), "a.u": dict(rows=0)}, ["a", "empty"])
    assert out == {"a": {"tables": {"t": {"rows": 2}, "u": {"rows": 0}}}, "empty": {"tables": {}}}


def _status(io_running="Yes", io_pos="0-1-50"):
    return {"Slave_IO_Running": io_running, "Slave_SQL_Running": "Yes", "Last_IO_Errno": "0",
            "Last_SQL_Errno": "0", "Last_SQL_Error": "", "Gtid_IO_Pos": io_pos}


def test_catch_up_watching_the_source_keeps_the_io_thread_until_its_position_is_read():
    srv = FakeServer(status=_status())
    out = replica.catch_up(srv, "0-1-50", 10, watch_source=True)
    assert srv.slave_cmds == ["STOP SLAVE SQL_THREAD", "STOP SLAVE"]
    assert out["source_quiet"] is True and out["source_io_gtid"] == "0-1-50"


def test_catch_up_fails_when_the_replica_received_a_write_past_the_fence():
    srv = FakeServer(status=_status(io_pos="0-1-51"))
    with pytest.raises(replica.WindowError, match="moved after writes were fenced"):
        replica.catch_up(srv, "0-1-50", 10, watch_source=True)
    assert srv.slave_cmds == ["STOP SLAVE SQL_THREAD", "STOP SLAVE"]   # stopped in any case


@pytest.mark.parametrize("status", [_status(io_running="Connecting"), _status(io_pos="")])
def test_catch_up_cannot_tell_without_a_connected_io_thread(status):
    srv = FakeServer(status=status)
    out = replica.catch_up(srv, "0-1-50", 10, watch_source=True)
    assert out["source_quiet"] is False


@pytest.mark.parametrize("io,fenced,quiet", [
    ("0-1-50", "0-1-50", True),
    ("0-1-50,1-2-7", "0-1-50,1-2-7", True),
    ("0-1-49", "0-1-50", False),
    ("", "0-1-50", False),
])
def test_source_quiet(io, fenced, quiet):
    assert replica.source_quiet(io, fenced) is quiet


def test_source_quiet_names_a_new_domain_as_a_move():
    with pytest.raises(replica.WindowError):
        replica.source_quiet("0-1-50,2-9-1", "0-1-50")
