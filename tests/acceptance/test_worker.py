"""The worker host: beanstalkd on the private address behind its firewall, the workers and the web stack running."""

from __future__ import annotations

import re

import pytest
from conftest import Target, listeners


def test_beanstalkd_listens_on_the_private_address_only(worker: Target) -> None:
    port = worker.vars["beanstalkd_port"]
    listening = listeners(worker.host)
    assert (worker.vars["beanstalkd_address"], port) in listening, listening
    assert ("*", port) not in listening, f"beanstalkd listens on every address: {listening}"
    assert worker.host.service("beanstalkd.socket").is_running


def test_firewall_admits_the_queue_port_from_the_allowed_hosts_only(worker: Target) -> None:
    if not worker.vars["beanstalkd_firewall"]:
        pytest.skip("worker_beanstalkd_firewall is false")
    table = worker.host.check_output("nft list table inet tiersplit_worker")
    port = worker.vars["beanstalkd_port"]
    rules = [line.strip() for line in table.splitlines() if f"dport {port}" in line]
    assert rules, table
    assert "reject" in rules[-1] or "drop" in rules[-1], f"the last rule of port {port} lets others in: {rules}"
    for address in worker.group_addresses("app_servers"):
        assert address in table, f"the application host {address} is not admitted: {table}"
    # Loaded at boot and by every (re)start of nftables.service.
    assert worker.host.service("nftables").is_enabled


def test_notification_workers_run(worker: Target) -> None:
    out = worker.host.check_output("systemctl list-units --all --plain --no-legend 'notification-worker*@*.service'")
    units = [line.split()[:4] for line in out.splitlines() if line.strip()]
    assert len(units) >= worker.vars["worker_instances"], out
    not_running = [u for u in units if u[2:4] != ["active", "running"]]
    assert not not_running, f"workers not running: {not_running}"


def test_web_stack_runs(worker: Target) -> None:
    assert worker.host.service("nginx").is_running
    fpm = worker.host.check_output("systemctl list-units --plain --no-legend 'php*-fpm.service'")
    assert re.search(r"php[0-9.]*-fpm\.service\s+loaded\s+active\s+running", fpm), fpm
