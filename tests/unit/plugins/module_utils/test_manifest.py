"""Pure logic of the MySQL inventory: comparison, grant masking, flavor detection."""

import copy

import pytest
from ansible_collections.tiersplit.maintenance.plugins.module_utils import manifest as mf

BASE = {
    "format": 1,
    "server": {"flavor": "mariadb", "version": "10.11.6-MariaDB-0+deb12u1", "version_comment": "Debian 12"},
    "settings": {"lower_case_table_names": "0", "innodb_page_size": "16384", "server_id": "1", "log_bin": "OFF"},
    "schemas": {
        "shop": {
            "charset": "utf8mb4", "collation": "utf8mb4_general_ci",
            "tables": {"orders": {"engine": "InnoDB", "rows": 2000, "checksum": 11},
                       "order_items": {"engine": "InnoDB", "rows": 6000, "checksum": 22}},
            "views": {"big_orders": "CREATE VIEW ..."}, "triggers": {}, "routines": {}, "events": {},
        },
        "empty": {"charset": "utf8mb4", "collation": "utf8mb4_general_ci", "tables": {}, "views": {},
                  "triggers": {}, "routines": {}, "events": {}},
    },
    "users": {"'shop'@'%'": ["GRANT USAGE ON *.* TO `shop`@`%`"]},
}


def test_equal_inventories_have_no_difference():
    assert mf.compare(BASE, copy.deepcopy(BASE)) == []


def test_one_lost_row_names_its_table():
    other = copy.deepcopy(BASE)
    other["schemas"]["shop"]["tables"]["order_items"].update(rows=5999, checksum=23)
    diffs = mf.compare(BASE, other)
    assert diffs == [
        {"path": "schemas.shop.tables.order_items.checksum", "kind": "changed", "before": 22, "after": 23},
        {"path": "schemas.shop.tables.order_items.rows", "kind": "changed", "before": 6000, "after": 5999},
    ]
    assert mf.tables_with_differences(diffs) == ["shop.order_items"]


def test_missing_and_added_objects():
    other = copy.deepcopy(BASE)
    del other["schemas"]["shop"]["tables"]["orders"]
    other["schemas"]["shop"]["views"]["new_view"] = "CREATE VIEW x"
    del other["schemas"]["empty"]
    diffs = mf.compare(BASE, other)
    kinds = {d["path"]: d["kind"] for d in diffs}
    assert kinds["schemas.shop.tables.orders.rows"] == "missing"
    assert kinds["schemas.shop.views.new_view"] == "added"
    assert kinds["schemas.empty.tables"] == "missing"
    assert mf.tables_with_differences(diffs) == ["shop.orders"]


def test_ignore_covers_a_path_and_everything_below():
    other = copy.deepcopy(BASE)
    other["settings"]["server_id"] = "2"
    other["server"]["version"] = "10.11.7"
    assert len(mf.compare(BASE, other)) == 2
    assert mf.compare(BASE, other, ignore=["settings.server_id", "server"]) == []
    assert mf.compare(BASE, other, ignore=["settings.server"]) != []


@pytest.mark.parametrize("version,comment,flavor", [
    ("10.11.6-MariaDB-0+deb12u1", "Debian 12", "mariadb"),
    ("8.0.36-28", "Percona Server (GPL), Release 28", "percona"),
    ("8.0.36", "MySQL Community Server - GPL", "mysql"),
])
def test_flavor(version, comment, flavor):
    assert mf.flavor_of(version, comment) == flavor


def test_password_hashes_are_digested_not_shown():
    grant = "GRANT USAGE ON *.* TO `shop`@`%` IDENTIFIED BY PASSWORD '*6C8989366EAF75BB670AD8EA7A7FC1176A95CEF4'"
    masked = mf.mask_grant(grant)
    assert "6C8989366EAF75BB670AD8EA7A7FC1176A95CEF4" not in masked
    assert masked.startswith("GRANT USAGE ON *.* TO `shop`@`%` IDENTIFIED BY PASSWORD '<sha256:")
    assert mf.mask_grant(grant) == masked  # stable, so two inventories compare
    other = grant.replace("*6C89", "*7C89")
    assert mf.mask_grant(other) != masked
    plain = "GRANT SELECT ON `shop`.* TO `shop`@`%`"
    assert mf.mask_grant(plain) == plain


def test_quote_ident():
    assert mf.quote_ident("we`ird") == "`we``ird`"
