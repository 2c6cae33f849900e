"""The application host: the rewired applications' settings point at the database and worker hosts."""

from __future__ import annotations

import json

import pytest
from conftest import Target


def _rewired(app: Target) -> list[str]:
    state = app.host.file(app.vars["app_state_file"])
    if not state.exists:
        pytest.skip("no application rewired yet (the app role's record is missing)")
    return list(json.loads(state.content_string).get("rewired", []))


def test_rewired_applications_use_the_database_and_worker_hosts(app: Target) -> None:
    rewired = _rewired(app)
    assert rewired, "the app role's record names no rewired application"
    databases = app.group_addresses("database_servers")
    workers = app.group_addresses("worker_servers")
    for application in app.vars["applications"]:
        if application["name"] not in rewired:
            continue
        files = [application["path"] + "/" + application[k] for k in ("config_file", "env_file") if application.get(k)]
        text = "\n".join(app.host.file(f).content_string for f in files if app.host.file(f).exists)
        assert any(a in text for a in databases), f"{application['name']}: no database host address in {files}"
        assert any(a in text for a in workers), f"{application['name']}: no worker host address in {files}"


def test_rewired_applications_settings_are_not_readable_by_others(app: Target) -> None:
    rewired = _rewired(app)
    for application in app.vars["applications"]:
        if application["name"] not in rewired:
            continue
        for key in ("config_file", "env_file"):
            if application.get(key):
                f = app.host.file(application["path"] + "/" + application[key])
                if f.exists:
                    assert f.mode & 0o007 == 0, f"{f.path} is open to others ({oct(f.mode)})"
