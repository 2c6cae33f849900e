"""Acceptance checks of the hosts, after the roles or a real maintenance (pytest-testinfra).

Run against any inventory of the collection (the lab's by default):

    pytest tests/acceptance --inventory inventories/production/hosts.yml

(testinfra's own ``--ansible-inventory`` is taken too; ``--hosts`` is not
needed: each check runs on every host of its group.)

The inventory's values are read once, as a play sees them (templated, with
the roles' defaults where it sets nothing), by one ``ansible -m debug`` run on
the controller; each host is then reached as Ansible reaches it: Docker
containers by ``docker exec``, local hosts locally, the others through
Ansible itself (testinfra's Ansible backend with ``force_ansible``: the
inventory's user, key, become and ansible.cfg's ssh settings).
A group without hosts skips its checks.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import testinfra

ROOT = Path(__file__).resolve().parents[2]

# The ansible of this interpreter's environment (e.g. .venv/bin/python run without activating the venv),
# for the inventory read below and for testinfra's Ansible backend.
os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])

# What each check needs of a host, with the roles' defaults (roles/*/defaults).
HOST_VARS = {
    "groups": "group_names",
    "connection": "ansible_connection | default('ssh')",
    "address": "ansible_host | default(inventory_hostname)",
    "private_address": "tiersplit_private_address | default('')",
    "database_flavor": "database_flavor | default('percona')",
    "database_bind_address": "database_bind_address | default(tiersplit_private_address | default(''), true)",
    "database_port": "database_port | default(3306) | int",
    "database_datadir": "database_datadir | default('/var/lib/mysql')",
    "database_dir_mode": "database_datadir_dir_mode | default('0750')",
    "database_file_mode": "database_datadir_file_mode | default('0640')",
    "database_health_enabled": "database_health_enabled | default(true) | bool",
    "database_health_port": "database_health_port | default(80) | int",
    "beanstalkd_address": "worker_beanstalkd_listen_address | default(tiersplit_private_address | default(''), true)",
    "beanstalkd_port": "worker_beanstalkd_port | default(11300) | int",
    "beanstalkd_firewall": "worker_beanstalkd_firewall | default(true) | bool",
    "worker_instances": "worker_instances | default(2) | int",
    # Never a password: the checks read names, paths and files only.
    "app_names": "tiersplit_applications | default([]) | map(attribute='name') | list",
    "app_paths": "tiersplit_applications | default([]) | map(attribute='path') | list",
    "app_config_files": "tiersplit_applications | default([]) | map(attribute='config_file', default='') | list",
    "app_env_files": "tiersplit_applications | default([]) | map(attribute='env_file', default='') | list",
    "app_state_file": "app_state_file | default('/etc/ansible/facts.d/tiersplit_app.fact')",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    default = os.environ.get("TIERSPLIT_INVENTORY", str(ROOT / "inventories/lab/hosts.yml"))
    parser.addoption("--inventory", default=default,
                     help="the inventory of the hosts to check (default: the lab's, or $TIERSPLIT_INVENTORY)")
    parser.addoption("--extra-vars", action="append", default=[],
                     help="variables beyond the inventory, as ansible's -e takes them (@file, JSON); repeatable")


def _read_inventory(inventory: str, extra_vars: list[str]) -> dict[str, dict[str, Any]]:
    expr = "{{ {" + ", ".join(f"'{k}': ({v})" for k, v in HOST_VARS.items()) + "} }}"
    env = dict(os.environ, ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_DEPRECATION_WARNINGS="0")
    extra = [arg for value in extra_vars for arg in ("-e", value)]
    argv = ["ansible", "all", "-i", inventory, *extra, "-m", "ansible.builtin.debug", "-a", "msg=" + expr]
    out = subprocess.run(argv, check=False, capture_output=True, text=True, env=env)
    try:
        # The JSON document starts on a line of its own (a callback such as profile_tasks may print around it).
        start = re.search(r"^\{$", out.stdout, re.MULTILINE)
        doc = json.JSONDecoder().raw_decode(out.stdout, start.start() if start else 0)[0]
        hosts = doc["plays"][0]["tasks"][0]["hosts"]
    except (ValueError, KeyError, IndexError) as e:
        raise pytest.UsageError(f"cannot read the inventory {inventory} (ansible exit {out.returncode}): {e}: "
                                f"{out.stdout[:1000]} {out.stderr[-2000:]}") from e
    failed = {h: r.get("msg") for h, r in hosts.items() if r.get("failed")}
    if failed:
        raise pytest.UsageError(f"cannot read the inventory {inventory}: {failed}")
    out_vars = {}
    for h, r in hosts.items():
        hv = dict(r["msg"])
        hv["applications"] = [dict(name=n, path=p, config_file=c, env_file=e) for n, p, c, e in zip(
            hv.pop("app_names"), hv.pop("app_paths"), hv.pop("app_config_files"), hv.pop("app_env_files"))]
        out_vars[h] = hv
    return out_vars


def _connect(name: str, hv: dict[str, Any], inventory_path: str) -> testinfra.host.Host:
    if hv["connection"] in ("community.docker.docker", "docker"):
        return testinfra.get_host("docker://" + hv["address"])
    if hv["connection"] == "local":
        return testinfra.get_host("local://")
    # Every command through Ansible itself: its ssh settings (ansible.cfg's ssh_args, host keys), user and become.
    return testinfra.get_host("ansible://" + name, ansible_inventory=inventory_path, force_ansible=True)


_GROUPS = {"db": "database_servers", "worker": "worker_servers", "app": "app_servers", "outsider": "lab_outsiders"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Each check runs once per host of its group (fixture db, worker, app or outsider)."""
    wanted = [f for f in _GROUPS if f in metafunc.fixturenames]
    if not wanted:
        return
    inv = _read_inventory_cached(metafunc.config)
    for fixture in wanted:
        names = sorted(h for h, hv in inv.items() if _GROUPS[fixture] in hv["groups"])
        metafunc.parametrize(fixture, names or [pytest.param(None, marks=pytest.mark.skip(
            reason=f"no host in {_GROUPS[fixture]}"))], indirect=True, ids=names or ["none"])


def _inventory_path(config: pytest.Config) -> str:
    """--inventory, or testinfra's own --ansible-inventory when given."""
    return config.getoption("--ansible-inventory", default=None) or config.getoption("--inventory")


def _read_inventory_cached(config: pytest.Config) -> dict[str, dict[str, Any]]:
    cached = getattr(config, "_tiersplit_inventory", None)
    if cached is None:
        cached = _read_inventory(_inventory_path(config), config.getoption("--extra-vars"))
        config._tiersplit_inventory = cached  # type: ignore[attr-defined]
    return cached


class Target:
    """A host of the inventory: its testinfra host and its values."""

    def __init__(self, name: str, hv: dict[str, Any], host: testinfra.host.Host, inv: dict[str, dict[str, Any]]):
        self.name, self.vars, self.host, self.inventory = name, hv, host, inv

    def group_addresses(self, group: str) -> list[str]:
        return sorted(hv["private_address"] for hv in self.inventory.values() if group in hv["groups"])


_ANSWERED: dict[str, bool] = {}


def _target(request: pytest.FixtureRequest) -> Target:
    inv = _read_inventory_cached(request.config)
    name = request.param
    host = _connect(name, inv[name], _inventory_path(request.config))
    # A host that cannot be reached fails its checks (a refused command must not pass for "not reachable").
    if name not in _ANSWERED:
        probe = host.run("true")
        _ANSWERED[name] = probe.rc == 0
        if not _ANSWERED[name]:
            pytest.fail(f"{name} does not answer: {probe.stderr.strip() or probe.stdout.strip()}")
    elif not _ANSWERED[name]:
        pytest.fail(f"{name} does not answer")
    return Target(name, inv[name], host, inv)


def _group_fixture(name: str) -> Any:
    @pytest.fixture(name=name)
    def fixture(request: pytest.FixtureRequest) -> Target:
        return _target(request)
    return fixture


db = _group_fixture("db")
worker = _group_fixture("worker")
app = _group_fixture("app")
outsider = _group_fixture("outsider")


def listeners(host: testinfra.host.Host) -> list[tuple[str, int]]:
    """The host's listening TCP sockets as (address, port); '*' for every address."""
    out = []
    for line in host.check_output("ss -Hltn").splitlines():
        local = line.split()[3]
        addr, port = local.rsplit(":", 1)
        addr = addr.strip("[]")
        out.append(("*" if addr in ("0.0.0.0", "::", "*") else addr.split("%")[0], int(port)))
    return out
