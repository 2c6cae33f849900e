from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.tiersplit.maintenance.plugins.filter.account_decisions import FilterModule, account_decisions

SOURCE = [
    {"user": "legacy", "host": "%", "locked": False},
    {"user": "report", "host": "192.168.1.%", "locked": False},
    {"user": "audit", "host": "10.%", "locked": True},
    {"user": "shop_prod", "host": "%", "locked": False},
    {"user": "shop_prod", "host": "10.0.0.5", "locked": False},
    {"user": "root", "host": "localhost", "locked": False},
]
DECISIONS = [
    {"user": "legacy", "host": "%", "action": "drop"},
    {"user": "report", "host": "192.168.1.%", "action": "rescope", "hosts": ["192.168.1.20"]},
    {"user": "audit", "host": "10.%", "action": "rescope", "hosts": ["10.0.0.9"]},
]


def test_decisions_checked_against_the_sources_accounts():
    out = account_decisions(DECISIONS, SOURCE, ["shop_prod"])
    assert out["errors"] == []
    assert out["fenced"] == ["'audit'@'10.%'", "'legacy'@'%'", "'report'@'192.168.1.%'"]
    # A rescoped account the source has locked stays locked in its copies.
    assert out["unlock_copies_of"] == ["'report'@'192.168.1.%'"]
    assert [(f["account"], f["decision"]) for f in out["flagged"]] == [
        ("'audit'@'10.%'", "rescope"), ("'legacy'@'%'", "drop"), ("'report'@'192.168.1.%'", "rescope")]
    assert "ALTER USER IF EXISTS 'legacy'@'%' ACCOUNT LOCK;" in out["fence_sql"].splitlines()


def test_no_decision_fences_nothing():
    out = account_decisions([], SOURCE, ["shop_prod"])
    assert out["errors"] == [] and out["fenced"] == [] and out["unlock_copies_of"] == []
    assert out["fence_sql"] == "SET SESSION sql_log_bin = 0;\n"
    assert {f["decision"] for f in out["flagged"]} == {"none (kept)"}


def test_a_decision_on_an_account_the_baseline_does_not_flag_is_an_error():
    out = account_decisions([{"user": "root", "host": "localhost", "action": "drop"},
                             {"user": "shop_prod", "host": "%", "action": "drop"}], SOURCE, ["shop_prod"])
    assert len(out["errors"]) == 2
    assert all("nothing to decide" in e for e in out["errors"])


def test_a_rescope_to_a_wildcard_is_an_error():
    out = account_decisions([{"user": "legacy", "host": "%", "action": "rescope", "hosts": ["10.%"]}], SOURCE)
    assert out["errors"] and "literal" in out["errors"][0]


def test_bad_input_is_a_filter_error():
    with pytest.raises(AnsibleFilterError):
        account_decisions({"user": "x"}, SOURCE)
    with pytest.raises(AnsibleFilterError):
        account_decisions([{"user": "x", "host": "%", "action": "drop"}], [{"user": "x"}])
    assert FilterModule().filters()["account_decisions"] is account_decisions
