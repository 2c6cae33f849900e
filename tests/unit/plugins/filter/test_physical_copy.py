from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.tiersplit.maintenance.plugins.filter.physical_copy import FilterModule, physical_copy

# Each pair of the compatibility table: (source flavor, version, target flavor, version) -> rule.
PAIRS = [
    (("mariadb", "10.11.19-MariaDB-0+deb12u1", "mariadb", "10.11.6-MariaDB"), "same"),
    (("mysql", "9.7.4-2", "mysql", "9.7.1"), "same"),
    (("mysql", "8.0.36", "percona", "8.0.36-28"), "same"),
    (("percona", "8.4.3-3", "mysql", "8.4.0"), "same"),
    (("mariadb", "10.11.19-MariaDB", "mysql", "9.7.4-2"), "family"),
    (("mariadb", "10.11.19-MariaDB", "percona", "8.0.36-28"), "family"),
    (("mysql", "8.0.36", "mariadb", "10.11.6-MariaDB"), "family"),
    (("mariadb", "11.8.3-MariaDB", "mariadb", "10.11.6-MariaDB"), "downgrade"),
    (("mariadb", "10.5.26-MariaDB", "mariadb", "11.8.3-MariaDB"), "upgrade"),
    (("mariadb", "10.5.26-MariaDB", "mariadb", "10.11.6-MariaDB"), "upgrade"),
    (("mysql", "8.0.36", "mysql", "8.4.0"), "major"),
    (("mysql", "9.7.4", "mysql", "8.4.0"), "major"),
    (("percona", "5.7.44", "percona", "8.0.36"), "major"),
]


IDS = [f"{case[0][0]}{case[0][1][:5]}->{case[0][2]}{case[0][3][:5]}" for case in PAIRS]


@pytest.mark.parametrize(("pair", "rule"), PAIRS, ids=IDS)
def test_each_pair_of_the_table(pair: tuple[str, str, str, str], rule: str) -> None:
    out = physical_copy(*pair)
    assert out["rule"] == rule
    assert out["allowed"] is (rule == "same")
    assert (out["reason"] == "") is (rule == "same")


def test_major_versions_are_numbers_not_text() -> None:
    # 10.5 is older than 10.11 (as text it would sort after it).
    assert physical_copy("mariadb", "10.11.6", "mariadb", "10.5.26")["rule"] == "downgrade"
    out = physical_copy("mariadb", "10.11.6-MariaDB", "mariadb", "11.8.3")
    assert (out["source_major"], out["target_major"]) == ("10.11", "11.8")
    assert physical_copy("percona", "8.0.36", "mariadb", "10.11.6")["source_family"] == "mysql"
    assert physical_copy("mariadb", "10.11.6", "mysql", "9.7.4")["source_family"] == "mariadb"


@pytest.mark.parametrize("args", [
    ("postgres", "16.1", "mariadb", "10.11.6"),
    ("mariadb", "unknown", "mariadb", "10.11.6"),
    ("mariadb", "10.11.6", "mysql", ""),
])
def test_bad_input_is_an_error(args: tuple[str, str, str, str]) -> None:
    with pytest.raises(AnsibleFilterError):
        physical_copy(*args)


def test_registered() -> None:
    assert FilterModule().filters()["physical_copy"] is physical_copy
