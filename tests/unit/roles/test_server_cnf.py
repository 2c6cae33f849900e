"""The database role's server configuration (templates/server.cnf.j2), rendered as Ansible would."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
import yaml
from ansible.plugins.filter.core import FilterModule
from ansible.plugins.test.core import TestModule as AnsibleTests

ROLE = Path(__file__).resolve().parents[3] / "roles" / "database"


def render(flavor: str, version: str, **overrides: object) -> str:
    flavors = yaml.safe_load((ROLE / "vars" / "Debian.yml").read_text())["__database_flavor_settings"]
    # The template reads these three of the flavor's settings (percona's are per version there).
    own = {"percona": {"symbolic_links": version == "5.7", "binlog_expiry": version != "5.7",
                       "redo_setting": "innodb_redo_log_capacity"}}
    flavor_settings = {**flavors[flavor], **own.get(flavor, {})}
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(ROLE / "templates")), trim_blocks=True)
    env.tests.update(AnsibleTests().tests())
    env.filters.update(FilterModule().filters())
    context = {
        "ansible_managed": "managed",
        "database_flavor": flavor,
        "database_version": version,
        "__database": flavor_settings,
        "__database_socket": "/run/mysqld/mysqld.sock",
        "__database_buffer_pool_size": "128M",
        "database_port": 3306,
        "database_bind_address": "10.0.0.12",
        "database_datadir": "/var/lib/mysql",
        "database_skip_name_resolve": True,
        "database_max_connections": 151,
        "database_character_set": "utf8mb4",
        "database_collation": "utf8mb4_unicode_ci",
        "database_secure_file_priv": "/var/lib/mysql-files",
        "database_server_id": 1,
        "database_log_bin": "mysql-bin",
        "database_binlog_format": "ROW",
        "database_binlog_expire_logs_seconds": 604800,
        "database_relay_log": "relay-bin",
        "database_slow_query_log": True,
        "database_slow_query_log_file": "/var/log/mysql/slow.log",
        "database_long_query_time": 2,
        "database_innodb_page_size": 16384,
        "database_innodb_data_file_path": "ibdata1:12M:autoextend",
        "database_innodb_redo_log_size": "96M",
        "database_innodb_file_per_table": True,
        "database_innodb_flush_log_at_trx_commit": 1,
        "database_mysqld_extra": {},
    }
    context.update(overrides)
    return env.get_template("server.cnf.j2").render(**context)


def settings(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            out[key.strip()] = value.strip()
    return out


@pytest.mark.parametrize("version", ["8.0", "8.4"])
def test_percona_8_has_the_x_protocol_off(version: str) -> None:
    assert settings(render("percona", version)).get("mysqlx") == "0"


@pytest.mark.parametrize("flavor,version", [("percona", "5.7"), ("mariadb", "10.11")])
def test_servers_without_the_x_plugin_get_no_mysqlx_option(flavor: str, version: str) -> None:
    # An option the server does not know stops it from starting.
    assert "mysqlx" not in settings(render(flavor, version))


def test_listens_on_the_private_address_only() -> None:
    assert settings(render("mariadb", "10.11"))["bind_address"] == "10.0.0.12"


@pytest.mark.parametrize("flavor,version", [("mariadb", "10.11"), ("percona", "8.4"), ("mysql", "9.7")])
def test_file_per_table_is_written_where_the_server_takes_it(flavor: str, version: str) -> None:
    assert settings(render(flavor, version))["innodb_file_per_table"] == "1"


def test_mariadb_11_gets_no_deprecated_file_per_table_option() -> None:
    # MariaDB 11.8 warns at every start where it is set; ON is its default.
    assert "innodb_file_per_table" not in settings(render("mariadb", "11.8"))


def test_mariadb_11_still_turns_file_per_table_off_when_asked() -> None:
    assert settings(render("mariadb", "11.8", database_innodb_file_per_table=False))["innodb_file_per_table"] == "0"


def test_mysql_writes_binlog_format_only_when_it_is_not_the_default() -> None:
    # MySQL 9 warns that binlog_format is deprecated; ROW is its default.
    assert "binlog_format" not in settings(render("mysql", "9.7"))
    assert settings(render("mysql", "9.7", database_binlog_format="MIXED"))["binlog_format"] == "MIXED"
    assert settings(render("mariadb", "10.11"))["binlog_format"] == "ROW"
    assert settings(render("percona", "8.4"))["binlog_format"] == "ROW"
