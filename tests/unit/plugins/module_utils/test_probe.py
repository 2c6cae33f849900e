"""host_probe's reads: version texts, the mysql client's answer, files, directories, sizes, packages."""

import os
import socket

import pytest
from ansible_collections.tiersplit.maintenance.plugins.module_utils import probe


@pytest.mark.parametrize("text,flavor,number", [
    ("10.11.19-MariaDB-0+deb12u1", "mariadb", "10.11.19"),
    ("/usr/sbin/mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64 (Debian 12)",
     "mariadb", "10.11.19"),
    ("/usr/sbin/mysqld  Ver 8.0.40-31 for Linux on x86_64 (Percona Server (GPL), Release 31)", "percona", "8.0.40"),
    ("/usr/sbin/mysqld  Ver 8.4.3 for Linux on x86_64 (MySQL Community Server - GPL)", "mysql", "8.4.3"),
    ("no version here", "mysql", ""),
])
def test_flavor_and_version_number(text, flavor, number):
    assert probe.flavor_of(text) == flavor
    assert probe.version_number(text) == number


def test_parse_server_reads_version_comment_and_variables():
    out = ("version\t8.0.40-31\nversion_comment\tPercona Server (GPL), Release 31\n"
           "datadir\t/var/lib/mysql/\nlog_bin\tON\ninnodb_data_file_path\tibdata1:12M:autoextend\n")
    s = probe.parse_server(out)
    assert s["flavor"] == "percona"
    assert s["version"] == "8.0.40-31"
    assert s["version_number"] == "8.0.40"
    assert s["settings"] == {"datadir": "/var/lib/mysql/", "log_bin": "ON",
                             "innodb_data_file_path": "ibdata1:12M:autoextend"}


def test_parse_server_keeps_a_value_with_a_tab_whole():
    assert probe.parse_server("version\t10.11.2\nx\ta\tb\n")["settings"] == {"x": "a\tb"}


def test_server_sql_refuses_what_is_not_a_variable_name():
    assert "IN ('log_bin', 'datadir')" in probe.server_sql(["log_bin", "datadir"])
    with pytest.raises(ValueError):
        probe.server_sql(["log_bin') OR ('1"])


def test_read_file(tmp_path):
    f = tmp_path / "note.json"
    f.write_text('{"stage": 1}')
    assert probe.read_file(str(f)) == '{"stage": 1}'
    assert probe.read_file(str(tmp_path / "missing")) is None
    assert probe.read_file(str(tmp_path)) is None
    assert probe.read_file(str(f / "below-a-file")) is None
    with pytest.raises(ValueError):
        probe.read_file(str(f), limit=4)


def test_subdirs_sizes_free_and_contains(tmp_path):
    d = tmp_path / "data"
    (d / "shop").mkdir(parents=True)
    (d / "#innodb_temp").mkdir()
    (d / "ibdata1").write_bytes(b"x" * 5000)
    os.symlink(str(d / "shop"), str(d / "linked"))
    assert probe.subdirs(str(d)) == ["#innodb_temp", "linked", "shop"]
    assert probe.subdirs(str(tmp_path / "none")) is None
    # du -sb counts the directories' own sizes too: at least the file.
    assert probe.size_bytes(str(d)) >= 5000
    assert probe.size_bytes(str(tmp_path / "none")) == 0
    assert probe.free_bytes(str(tmp_path)) > 0
    prof = tmp_path / "usr.sbin.mariadbd"
    prof.write_text("  /srv/mysql/data/ r,\n")
    assert probe.contains(str(prof), "/srv/mysql/data")
    assert not probe.contains(str(prof), "/srv/other")
    assert not probe.contains(str(tmp_path / "none"), "/srv/mysql/data")


def test_reachable():
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        port = srv.getsockname()[1]
        assert probe.reachable("127.0.0.1", port, 2)
    assert not probe.reachable("127.0.0.1", port, 2)


def test_installed_packages_names_only_installed_ones():
    # dpkg itself is installed on any Debian controller; a made-up name never is.
    if not os.path.exists("/usr/bin/dpkg-query"):
        pytest.skip("no dpkg-query here")
    assert probe.installed_packages(["dpkg", "tiersplit-no-such-package"]) == ["dpkg"]
    assert probe.installed_packages([]) == []


def test_accounts_are_read_from_each_flavours_own_table():
    assert "mysql.global_priv" in probe.accounts_sql("mariadb")
    assert "FROM mysql.user" in probe.accounts_sql("percona")
    assert probe.accounts_sql("mysql") == probe.accounts_sql("percona")


def test_accounts_with_their_lock_from_the_clients_batch_answer():
    out = "\t".join(["", "localhost", "false"]) + "\n" + "\t".join(["re\\tport", "192.168.1.%", "true"]) + "\n" \
        + "\t".join(["back\\\\slash", "%", "Y"]) + "\n" + "\t".join(["shop", "10.0.0.5", "N"]) + "\nnoise\n"
    assert probe.parse_accounts(out) == [
        {"user": "", "host": "localhost", "locked": False},
        {"user": "re\tport", "host": "192.168.1.%", "locked": True},
        {"user": "back\\slash", "host": "%", "locked": True},
        {"user": "shop", "host": "10.0.0.5", "locked": False},
    ]
