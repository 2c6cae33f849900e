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


# CHECKSUM TABLE names each table `schema.table` (unquoted) in its first column.
@pytest.mark.parametrize("schema,rows,tables,expected", [
    ("shop", [("shop.orders", 11), ("shop.items", None)], ["orders", "items"], {"orders": 11, "items": None}),
    ("shop.v2", [("shop.v2.orders", 11), ("shop.v2.items", "22")], ["orders", "items"],
     {"orders": 11, "items": 22}),
    ("shop", [("shop.v2.orders", 5), ("shop.orders", 6)], ["orders", "v2.orders"], {"v2.orders": 5, "orders": 6}),
    ("a.b", [("a.b.c.d", 7)], ["c.d"], {"c.d": 7}),
    ("shop", [("orders", 3)], ["orders"], {"orders": 3}),
    ("shop", [("other.orders", 3), ("shop.unknown", 4)], ["orders"], {}),
])
def test_checksum_rows_match_the_exact_schema_and_table(schema, rows, tables, expected):
    assert mf.checksum_rows(rows, schema, tables) == expected


class FakeCursor:
    """Answers the statements collect_schema sends for one schema with two tables."""

    def __init__(self, schema):
        self.schema = schema
        self.rows = []
        self.description = []

    def execute(self, sql, args=None):
        self.description = [("col",), ("col2",)]
        if "information_schema.SCHEMATA" in sql:
            self.rows = [("utf8mb4", "utf8mb4_general_ci")]
        elif "information_schema.TABLES" in sql:
            self.rows = [("items", "BASE TABLE", "InnoDB"), ("orders", "BASE TABLE", "InnoDB")]
        elif sql.startswith("SHOW CREATE TABLE"):
            self.description = [("Table",), ("Create Table",)]
            self.rows = [("t", "CREATE TABLE t (id int) AUTO_INCREMENT=5")]
        elif sql.startswith("SELECT COUNT(*)"):
            self.rows = [(3,)]
        elif sql.startswith("CHECKSUM TABLE"):
            # as the server answers: schema and table joined by a dot, unquoted
            self.rows = [(f"{self.schema}.items", 1234), (f"{self.schema}.orders", 5678)]
        else:
            self.rows = []

    def fetchall(self):
        return self.rows


@pytest.mark.parametrize("schema", ["shop", "shop.v2"])
def test_a_schema_with_a_dot_gets_its_checksums(schema):
    out = mf.collect_schema(FakeCursor(schema), schema)
    assert {name: t.get("checksum") for name, t in out["tables"].items()} == {"items": 1234, "orders": 5678}
    assert out["tables"]["orders"]["rows"] == 3


def test_tables_with_differences_of_a_schema_with_a_dot():
    before = copy.deepcopy(BASE)
    before["schemas"]["shop.v2"] = copy.deepcopy(BASE["schemas"]["shop"])
    after = copy.deepcopy(before)
    after["schemas"]["shop.v2"]["tables"]["orders"]["checksum"] = 12
    del after["schemas"]["shop"]["tables"]["order_items"]
    diffs = mf.compare(before, after)
    names = mf.schema_names(before, after)
    assert mf.tables_with_differences(diffs, names) == ["shop.order_items", "shop.v2.orders"]
    # without the names, a path is split at every dot (as before)
    assert mf.tables_with_differences(diffs) == ["shop.order_items"]


# SHOW CREATE TABLE of one table on MySQL 9.7, created with the table's defaults, then restored from
# mysqldump: only the column's implied CHARACTER SET differs (seen in datadir_migration_mysql).
CREATED = ("CREATE TABLE `t` (\n  `id` int NOT NULL,\n  `note` varchar(64) COLLATE utf8mb4_unicode_ci DEFAULT NULL,\n"
           "  PRIMARY KEY (`id`)\n) ENGINE=InnoDB AUTO_INCREMENT=7 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci")
RESTORED = CREATED.replace("varchar(64) COLLATE", "varchar(64) CHARACTER SET utf8mb4 COLLATE").replace("=7 ", "=9 ")


def test_table_definition_ignores_next_auto_increment_and_implied_charset() -> None:
    assert mf.normalize_table_definition(CREATED) == mf.normalize_table_definition(RESTORED)
    assert "AUTO_INCREMENT" not in mf.normalize_table_definition(CREATED)


@pytest.mark.parametrize("changed", [
    CREATED.replace("varchar(64)", "varchar(65)"),
    CREATED.replace("COLLATE utf8mb4_unicode_ci DEFAULT NULL", "COLLATE utf8mb4_bin DEFAULT NULL"),
    # A charset without a collation after it is the definition itself.
    CREATED.replace("varchar(64) COLLATE utf8mb4_unicode_ci", "varchar(64) CHARACTER SET latin1"),
    CREATED.replace("DEFAULT CHARSET=utf8mb4", "DEFAULT CHARSET=latin1"),
])
def test_table_definition_keeps_every_real_difference(changed: str) -> None:
    assert mf.normalize_table_definition(changed) != mf.normalize_table_definition(CREATED)
