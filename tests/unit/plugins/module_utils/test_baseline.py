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
