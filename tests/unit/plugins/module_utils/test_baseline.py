"""The account baseline's decisions (module_utils/baseline.py): pure logic."""

from ansible_collections.tiersplit.maintenance.plugins.module_utils import baseline

SERVER = [
    ("", "localhost"),
    ("mariadb.sys", "localhost"),
    ("report", "192.168.1.%"),
    ("root", "127.0.0.1"),
    ("root", "localhost"),
    ("shop_prod", "%"),
    ("shop_prod", "10.0.0.5"),
]


def test_flags_anonymous_wildcard_and_remote_root_but_not_managed_users():
    flagged = baseline.flag(SERVER, managed=["shop_prod"])
    assert [(a["user"], a["host"], a["reason"]) for a in flagged] == [
        ("", "localhost", baseline.ANONYMOUS),
        ("report", "192.168.1.%", baseline.WILDCARD),
        ("root", "127.0.0.1", baseline.REMOTE_ROOT),
    ]


def test_underscore_is_a_wildcard_in_hosts():
    assert baseline.reason("app", "web_1") == baseline.WILDCARD
    assert baseline.reason("app", "10.0.0.1") is None


def test_undecided_accounts_are_kept_never_dropped():
    todo = baseline.plan(baseline.flag(SERVER, ["shop_prod"]), [], SERVER)
    assert todo["drop"] == [] and todo["rescope"] == []
    assert [a["user"] for a in todo["undecided"]] == ["", "report", "root"]


def test_plan_follows_each_decision():
    decisions = [
        {"user": "", "host": "localhost", "action": "drop"},
        {"user": "report", "host": "192.168.1.%", "action": "rescope", "hosts": ["192.168.1.20", "192.168.1.21"]},
        {"user": "root", "host": "127.0.0.1", "action": "keep"},
    ]
    assert baseline.check_decisions(decisions, SERVER, ["shop_prod"]) == []
    todo = baseline.plan(baseline.flag(SERVER, ["shop_prod"]), decisions, [*SERVER, ("report", "192.168.1.21")])
    assert [(a["user"], a["host"]) for a in todo["drop"]] == [("", "localhost")]
    assert [a["user"] for a in todo["keep"]] == ["root"]
    assert todo["undecided"] == []
    # A host made already (a rerun after a partial one) is not made again.
    assert todo["rescope"][0]["hosts"] == ["192.168.1.20"]


def test_decisions_that_cannot_be_carried_out_are_refused():
    errors = baseline.check_decisions([
        {"user": "report", "host": "192.168.1.%", "action": "rescope", "hosts": ["10.0.%"]},
        {"user": "root", "host": "localhost", "action": "drop"},
        {"user": "root", "host": "127.0.0.1", "action": "keep", "hosts": ["10.0.0.1"]},
        {"user": "", "host": "localhost", "action": "rescope", "hosts": []},
        {"user": "root", "host": "127.0.0.1", "action": "erase"},
    ], SERVER, ["shop_prod"])
    text = "\n".join(errors)
    assert "rescope hosts must be literal" in text
    assert "'root'@'localhost' is not an account the baseline flags" in text
    assert "hosts are only for action rescope" in text
    assert "rescope needs hosts" in text
    assert "decided twice" in text
    assert "action must be one of" in text


def test_a_decision_for_an_account_gone_already_is_fine():
    gone = [{"user": "legacy", "host": "%", "action": "drop"}]
    assert baseline.check_decisions(gone, SERVER, []) == []
    assert baseline.plan(baseline.flag(SERVER, []), gone, SERVER)["drop"] == []


def test_rewrite_replaces_only_the_account_in_both_quotings():
    create = "CREATE USER `report`@`192.168.1.%` IDENTIFIED BY PASSWORD '*AB12'"
    grants = [
        "GRANT USAGE ON *.* TO `report`@`192.168.1.%` IDENTIFIED BY PASSWORD '*AB12'",
        "GRANT SELECT ON `shop_production`.* TO `report`@`192.168.1.%`",
        "GRANT `reader`@`%` TO 'report'@'192.168.1.%' WITH ADMIN OPTION",
    ]
    out = baseline.copy_statements(create, grants, "report", "192.168.1.%", "192.168.1.20")
    assert out == [
        "CREATE USER 'report'@'192.168.1.20' IDENTIFIED BY PASSWORD '*AB12'",
        "GRANT USAGE ON *.* TO 'report'@'192.168.1.20' IDENTIFIED BY PASSWORD '*AB12'",
        "GRANT SELECT ON `shop_production`.* TO 'report'@'192.168.1.20'",
        "GRANT `reader`@`%` TO 'report'@'192.168.1.20' WITH ADMIN OPTION",
    ]


def test_rewrite_unquotes_escaped_names():
    stmt = "GRANT SELECT ON *.* TO `o``brien`@`10.%`"
    assert baseline.rewrite(stmt, "o`brien", "10.%", "10.0.0.1") == "GRANT SELECT ON *.* TO 'o`brien'@'10.0.0.1'"


def test_account_list_is_names_only():
    assert baseline.account_list([("b", "h"), ("a", "h")]) == "'a'@'h'\n'b'@'h'\n"


SOURCE = {
    "'report'@'192.168.1.%'": ["GRANT SELECT ON `shop`.* TO `report`@`192.168.1.%`",
                               "GRANT USAGE ON *.* TO `report`@`192.168.1.%` IDENTIFIED BY PASSWORD '<sha256:ab>'"],
    "'legacy'@'%'": ["GRANT ALL PRIVILEGES ON *.* TO `legacy`@`%`"],
    "'reporting'@'localhost'": ["GRANT SELECT ON `shop`.* TO `reporting`@`localhost`"],
    "'shop_prod'@'localhost'": ["GRANT ALL PRIVILEGES ON `shop`.* TO `shop_prod`@`localhost`"],
    "'root'@'localhost'": ["GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION"],
}


def test_drift_none_when_accounts_are_as_the_source_had_them():
    current = dict(SOURCE)
    del current["'shop_prod'@'localhost'"]  # managed: the inventory decides its hosts
    assert baseline.account_drift(SOURCE, current, [], ["shop_prod"]) == []


def test_drift_names_a_vanished_account_and_changed_grants():
    current = {k: v for k, v in SOURCE.items() if k != "'report'@'192.168.1.%'"}
    current["'reporting'@'localhost'"] = ["GRANT SELECT, INSERT ON `shop`.* TO `reporting`@`localhost`"]
    drift = baseline.account_drift(SOURCE, current, [], ["shop_prod"])
    assert drift[0] == "'report'@'192.168.1.%' of the source is missing"
    assert drift[1].startswith("'reporting'@'localhost' has other grants than the source's")
    assert len(drift) == 2


def test_drift_follows_drop_and_rescope_decisions():
    decisions = [{"user": "legacy", "host": "%", "action": "drop"},
                 {"user": "report", "host": "192.168.1.%", "action": "rescope", "hosts": ["192.168.1.20"]}]
    current = {
        "'report'@'192.168.1.20'": [
            "GRANT SELECT ON `shop`.* TO `report`@`192.168.1.20`",
            "GRANT USAGE ON *.* TO `report`@`192.168.1.20` IDENTIFIED BY PASSWORD '<sha256:ab>'"],
        "'reporting'@'localhost'": SOURCE["'reporting'@'localhost'"],
    }
    assert baseline.account_drift(SOURCE, current, decisions, ["shop_prod"]) == []
    current["'legacy'@'%'"] = SOURCE["'legacy'@'%'"]
    del current["'report'@'192.168.1.20'"]
    assert baseline.account_drift(SOURCE, current, decisions, ["shop_prod"]) == [
        "'legacy'@'%' is there, decided drop",
        "'report'@'192.168.1.20' of the source is missing (rescoped from 'report'@'192.168.1.%')",
    ]


def test_parse_name_round_trips_quotes():
    assert baseline.parse_name("'o\\'brien'@'10.%'") == ("o'brien", "10.%")


class Cursor:
    """Answers SHOW CREATE USER / SHOW GRANTS for one account and records every statement."""

    def __init__(self, create, grants):
        self.create, self.grants, self.executed, self._rows = create, grants, [], []

    def execute(self, sql):
        self.executed.append(sql)
        if sql.startswith("SHOW CREATE USER"):
            self._rows = [(self.create,)]
        elif sql.startswith("SHOW GRANTS"):
            self._rows = [(g,) for g in self.grants]
        else:
            self._rows = []

    def fetchone(self):
        return self._rows[0]

    def fetchall(self):
        return self._rows


DECIDED = [
    {"user": "legacy", "host": "%", "action": "drop"},
    {"user": "report", "host": "192.168.1.%", "action": "rescope", "hosts": ["192.168.1.20"]},
    {"user": "root", "host": "127.0.0.1", "action": "keep"},
]


def test_the_fence_locks_only_accounts_decided_drop_or_rescope_outside_the_binary_log():
    assert baseline.fenced(DECIDED) == [("legacy", "%"), ("report", "192.168.1.%")]
    assert baseline.fence_sql(DECIDED).splitlines() == [
        "SET SESSION sql_log_bin = 0;",
        "ALTER USER IF EXISTS 'legacy'@'%' ACCOUNT LOCK;",
        "ALTER USER IF EXISTS 'report'@'192.168.1.%' ACCOUNT LOCK;",
    ]
    assert baseline.fence_sql([DECIDED[2]]) == "SET SESSION sql_log_bin = 0;\n"


def test_fence_statements_stay_one_line_each_whatever_the_names():
    sql = baseline.fence_sql([{"user": "o'neil\\x", "host": "10.%", "action": "drop"}])
    assert sql.splitlines()[1] == "ALTER USER IF EXISTS 'o\\'neil\\\\x'@'10.%' ACCOUNT LOCK;"


CREATE_LOCKED = "CREATE USER `report`@`192.168.1.%` IDENTIFIED BY PASSWORD '*AB12' ACCOUNT LOCK"
GRANTS = ["GRANT SELECT ON `shop`.* TO `report`@`192.168.1.%`"]


def test_carry_out_unlocks_the_copies_of_an_account_the_fence_locked():
    accounts = [("legacy", "%"), ("report", "192.168.1.%")]
    todo = baseline.plan(baseline.flag(accounts), DECIDED, accounts)
    cur = Cursor(CREATE_LOCKED, GRANTS)
    dropped, created = baseline.carry_out(cur, todo, unlock=["'report'@'192.168.1.%'"])
    assert created == ["'report'@'192.168.1.20'"]
    assert sorted(dropped) == ["'legacy'@'%'", "'report'@'192.168.1.%'"]
    made = [s for s in cur.executed if s.startswith(("CREATE", "GRANT"))]
    assert made == ["CREATE USER 'report'@'192.168.1.20' IDENTIFIED BY PASSWORD '*AB12'",
                    "GRANT SELECT ON `shop`.* TO 'report'@'192.168.1.20'"]
    # The allowed client hosts reloaded after the drops (DROP USER leaves the server's host cache as it was).
    assert cur.executed[-3:] == ["DROP USER 'legacy'@'%'", "DROP USER 'report'@'192.168.1.%'", "FLUSH PRIVILEGES"]


def test_carry_out_keeps_a_lock_the_source_gave():
    accounts = [("report", "192.168.1.%")]
    todo = baseline.plan(baseline.flag(accounts), DECIDED[1:2], accounts)
    cur = Cursor(CREATE_LOCKED, GRANTS)
    baseline.carry_out(cur, todo, unlock=[])
    assert any(s.endswith("ACCOUNT LOCK") and "192.168.1.20" in s for s in cur.executed)


def test_carry_out_in_check_mode_runs_nothing():
    accounts = [("legacy", "%"), ("report", "192.168.1.%")]
    todo = baseline.plan(baseline.flag(accounts), DECIDED, accounts)
    cur = Cursor(CREATE_LOCKED, GRANTS)
    dropped, created = baseline.carry_out(cur, todo, check_mode=True)
    assert cur.executed == [] and created == ["'report'@'192.168.1.20'"] and len(dropped) == 2


def test_carry_out_without_a_drop_reloads_nothing():
    accounts = [("report", "192.168.1.%")]
    keep = [{"user": "report", "host": "192.168.1.%", "action": "keep"}]
    todo = baseline.plan(baseline.flag(accounts), keep, accounts)
    cur = Cursor(CREATE_LOCKED, GRANTS)
    assert baseline.carry_out(cur, todo) == ([], [])
    assert cur.executed == []
