"""The database host: its server running, on the private address only, its datadir's owners and modes."""

from __future__ import annotations

import pytest
from conftest import Target, listeners


def _service(db: Target) -> str:
    return "mariadb" if db.vars["database_flavor"] == "mariadb" else "mysql"


def test_server_runs_and_starts_at_boot(db: Target) -> None:
    service = db.host.service(_service(db))
    assert service.is_running
    assert service.is_enabled


def test_server_listens_on_the_private_address_only(db: Target) -> None:
    port = db.vars["database_port"]
    listening = listeners(db.host)
    assert (db.vars["database_bind_address"], port) in listening, listening
    assert ("*", port) not in listening, f"{_service(db)} listens on every address: {listening}"
    # The X Protocol (MySQL, Percona) is off or bound: never on every address.
    assert ("*", 33060) not in listening, listening


def test_datadir_belongs_to_the_server_with_the_roles_modes(db: Target) -> None:
    datadir = db.host.file(db.vars["database_datadir"])
    assert datadir.is_directory
    assert (datadir.user, datadir.group) == ("mysql", "mysql")
    assert datadir.mode == int(db.vars["database_dir_mode"], 8)
    path = db.vars["database_datadir"]
    strangers = db.host.check_output(f"find {path} \\( ! -user mysql -o ! -group mysql \\) -print -quit")
    assert strangers == "", f"not owned by mysql:mysql: {strangers}"
    # Nothing readable by others (the copy's files carry the rows).
    open_to_others = db.host.check_output(f"find {path} -perm /o=rwx -print -quit")
    assert open_to_others == "", f"open to others: {open_to_others}"


def test_health_endpoint_listens_on_the_private_address_only(db: Target) -> None:
    if not db.vars["database_health_enabled"]:
        pytest.skip("database_health_enabled is false")
    port = db.vars["database_health_port"]
    listening = listeners(db.host)
    assert (db.vars["database_bind_address"], port) in listening, listening
    assert ("*", port) not in listening, listening
