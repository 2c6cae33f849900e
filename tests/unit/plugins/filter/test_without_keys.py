from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.tiersplit.maintenance.plugins.filter.without_keys import FilterModule, without_keys

APPS = [
    {"name": "development", "path": "/var/www/development",
     "database": {"name": "shop_development", "user": "shop_dev", "password": "dev-secret"}},
    {"name": "production", "extra": [{"password": "nested", "keep": 1}], "password": "top"},
]


def test_removes_nested_passwords_and_keeps_the_rest():
    out = without_keys(APPS, ["password"])
    assert out[0] == {"name": "development", "path": "/var/www/development",
                      "database": {"name": "shop_development", "user": "shop_dev"}}
    assert out[1] == {"name": "production", "extra": [{"keep": 1}]}
    assert "secret" not in repr(out) and "nested" not in repr(out) and "top" not in repr(out)


def test_input_is_not_modified():
    without_keys(APPS)
    assert APPS[0]["database"]["password"] == "dev-secret"


def test_several_keys_and_scalars():
    assert without_keys({"a": 1, "b": 2, "c": {"b": 3}}, ["b", "a"]) == {"c": {}}
    assert without_keys("plain", ["x"]) == "plain"


def test_keys_must_be_a_list_of_names():
    with pytest.raises(AnsibleFilterError):
        without_keys(APPS, "password")


def test_registered_under_its_name():
    assert FilterModule().filters()["without_keys"] is without_keys
