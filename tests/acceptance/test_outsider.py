"""What a host outside the private network must not reach (the lab's outsider)."""

from __future__ import annotations

from conftest import Target


def _connect(outsider: Target, address: str, port: int) -> tuple[int, str]:
    """Opens a TCP connection and reads what the server says first (3 s at most)."""
    cmd = outsider.host.run(f"bash -c 'set -o pipefail; timeout 3 bash -c \"exec 3<>/dev/tcp/{address}/{port}"
                            " && timeout 1 head -c 200 <&3\" | tr -c [:print:] .'")
    return cmd.rc, cmd.stdout


def test_beanstalkd_is_not_reachable(outsider: Target) -> None:
    for address in outsider.group_addresses("worker_servers"):
        port = next(hv for hv in outsider.inventory.values() if hv["private_address"] == address)["beanstalkd_port"]
        rc = _connect(outsider, address, port)[0]
        assert rc != 0, f"beanstalkd on {address}:{port} accepted a connection from the outsider"


def test_database_refuses_the_outsider_before_any_login(outsider: Target) -> None:
    for address in outsider.group_addresses("database_servers"):
        hv = next(hv for hv in outsider.inventory.values() if hv["private_address"] == address)
        rc, greeting = _connect(outsider, address, hv["database_port"])
        # Either no connection at all, or the server's "host not allowed" (error 1130) instead of a handshake.
        assert rc != 0 or "is not allowed to connect" in greeting, f"{address}: {greeting!r}"
