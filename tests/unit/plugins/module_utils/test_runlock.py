"""The run lock: who counts as alive, taking, taking over, heartbeat and release on real files."""

import json
import os

import pytest
from ansible_collections.tiersplit.maintenance.plugins.module_utils import runlock

ME = {"run_id": "r-me", "controller": "ops1", "pid": 100, "user": "deploy", "migration": "app-to-db"}
NOW = 1_000_000.0


def holder(**kw):
    h = {"run_id": "r-other", "controller": "ops1", "pid": 200, "user": "deploy",
         "started": NOW - 50, "heartbeat": NOW - 10}
    h.update(kw)
    return h


@pytest.mark.parametrize(
    "found, live_pids, listed_at, expected",
    [
        (None, [], NOW, runlock.FREE),
        (holder(run_id="r-me"), [], NOW, runlock.OURS),
        # An earlier run of the role in this very ansible-playbook (it stopped in preflight).
        (holder(pid=100), [100], NOW, runlock.OURS),
        (holder(), [100, 200], NOW, runlock.LIVE),
        # Same controller, its ansible-playbook gone: dead at once, whatever its heartbeat.
        (holder(), [100], NOW, runlock.DEAD),
        # ... unless it beat after the pids were listed (it started meanwhile).
        (holder(heartbeat=NOW + 1), [100], NOW, runlock.LIVE),
        # Another controller: judged by its heartbeat only.
        (holder(controller="ops2"), [], NOW, runlock.LIVE),
        (holder(controller="ops2", heartbeat=NOW - 3601), [], NOW, runlock.DEAD),
        # Pid unknown: heartbeat only, even on the same controller.
        (holder(pid=0), [100], NOW, runlock.LIVE),
        (holder(pid=0, heartbeat=NOW - 4000), [100], NOW, runlock.DEAD),
    ],
)
def test_holder_state(found, live_pids, listed_at, expected):
    assert runlock.holder_state(found, ME, NOW, 3600, live_pids, listed_at) == expected


def test_describe_names_holder_and_time():
    text = runlock.describe(holder(step="final copy"), NOW)
    assert "r-other" in text and "deploy@ops1" in text and "pid 200" in text and "final copy" in text
    assert "10 s ago" in text and "UTC" in text


def test_take_free_then_refuse_live_then_take_over_dead(tmp_path):
    path = str(tmp_path / "state" / "run.lock")
    res = runlock.acquire(path, ME, NOW, 3600, [100], NOW)
    assert res["acquired"] and res["state"] == runlock.FREE
    assert oct(os.stat(os.path.dirname(path)).st_mode & 0o777) == "0o700"
    with open(path) as f:
        assert json.load(f)["run_id"] == "r-me"
    other = {"run_id": "r-2", "controller": "ops1", "pid": 300, "user": "ops"}
    # The first run (pid 100) is alive: refused, the lock unchanged.
    res = runlock.acquire(path, other, NOW + 5, 3600, [100, 300], NOW + 5)
    assert not res["acquired"] and res["state"] == runlock.LIVE and res["holder"]["run_id"] == "r-me"
    assert runlock.read(path)["run_id"] == "r-me"
    # Pid 100 gone (killed): taken over.
    res = runlock.acquire(path, other, NOW + 9, 3600, [300], NOW + 9)
    assert res["acquired"] and res["state"] == runlock.DEAD and res["holder"]["run_id"] == "r-me"
    assert runlock.read(path)["run_id"] == "r-2"
    assert not os.path.exists(path + ".guard")


def test_check_mode_takes_nothing(tmp_path):
    path = str(tmp_path / "run.lock")
    res = runlock.acquire(path, ME, NOW, 3600, [100], NOW, check=True)
    assert res["acquired"] and not os.path.exists(path)
    runlock.acquire(path, holder(), NOW, 3600, [200], NOW)
    res = runlock.acquire(path, ME, NOW, 3600, [100, 200], NOW, check=True)
    assert not res["acquired"] and res["state"] == runlock.LIVE


def test_heartbeat_and_release(tmp_path):
    path = str(tmp_path / "run.lock")
    runlock.acquire(path, ME, NOW, 3600, [100], NOW)
    res = runlock.heartbeat(path, ME, NOW + 30, "final copy")
    assert res["changed"] and runlock.read(path)["heartbeat"] == NOW + 30 and runlock.read(path)["step"] == "final copy"
    assert runlock.read(path)["started"] == NOW
    # Another run cannot release it, nor beat on it.
    assert not runlock.release(path, holder())["changed"]
    with pytest.raises(runlock.LockError, match="no longer holds"):
        runlock.heartbeat(path, holder(), NOW + 31, "x")
    assert runlock.release(path, ME)["changed"] and not os.path.exists(path)
    assert not runlock.release(path, ME)["changed"]


def test_taken_over_run_is_stopped_at_its_next_heartbeat(tmp_path):
    path = str(tmp_path / "run.lock")
    runlock.acquire(path, ME, NOW, 60, [100], NOW)
    usurper = {"run_id": "r-3", "controller": "ops2", "pid": 7}
    assert runlock.acquire(path, usurper, NOW + 61, 60, [], NOW + 61)["acquired"]
    with pytest.raises(runlock.LockError, match="r-3"):
        runlock.heartbeat(path, ME, NOW + 62, "install")


def test_unreadable_lock_is_never_taken_over_while_fresh(tmp_path):
    path = str(tmp_path / "run.lock")
    with open(path, "w") as f:
        f.write("not json")
    res = runlock.acquire(path, ME, os.stat(path).st_mtime + 1, 3600, [100], NOW)
    assert not res["acquired"]


def test_stale_guard_is_removed(tmp_path):
    path = str(tmp_path / "run.lock")
    os.mkdir(path + ".guard")
    old = NOW - 10 * runlock.GUARD_STALE
    os.utime(path + ".guard", (old, old))
    assert runlock.acquire(path, ME, NOW, 3600, [100], NOW)["acquired"]


def test_busy_guard_is_an_error(tmp_path, monkeypatch):
    path = str(tmp_path / "run.lock")
    os.mkdir(path + ".guard")
    monkeypatch.setattr(runlock._Guard, "wait_seconds", 0.2)
    with pytest.raises(runlock.LockError, match="busy"):
        runlock.acquire(path, ME, NOW, 3600, [100], NOW)
