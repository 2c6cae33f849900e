# Copyright: tiersplit developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run of a migration at a time: a lock file per host, with its owner and a heartbeat.

The lock file holds a JSON object: run_id, controller (host name of the machine running
ansible-playbook), pid (of that ansible-playbook, 0 when unknown), user, migration, started,
heartbeat (UNIX times) and step (what the run did at its last heartbeat).

Every read-modify-write of the lock file happens while holding a guard: a directory
``<lock>.guard`` made with mkdir (atomic), removed right after. A guard older than
GUARD_STALE seconds belongs to a process killed inside these few lines and is removed.
The lock file itself is replaced with rename, so a reader never sees it half written.

No Ansible import here: tests/unit tests it directly.
"""

import contextlib
import json
import os
import time

GUARD_STALE = 60

FREE = "free"
OURS = "ours"
LIVE = "live"
DEAD = "dead"


class LockError(Exception):
    """The lock could not be read or written (not: held by another run)."""


def holder_state(holder, me, now, stale_after, live_pids, listed_at):
    """Whether the run in ``holder`` still holds the lock, as seen by run ``me``.

    free: no holder. ours: this very run (same run_id), or an earlier run of the role in the same
    ansible-playbook process (same controller and pid: runs of one host are sequential there; an
    earlier one that stopped in preflight left its lock). live: another run that may be running.
    dead: the holder's ansible-playbook is gone (same controller, its pid not among live_pids,
    the pids of ansible-playbook processes on the controller listed at listed_at, and no heartbeat
    since then), or its heartbeat is older than stale_after seconds.
    """
    if not holder:
        return FREE
    if holder.get("run_id") == me.get("run_id"):
        return OURS
    beat = float(holder.get("heartbeat") or holder.get("started") or 0)
    pid = int(holder.get("pid") or 0)
    if pid and holder.get("controller") == me.get("controller"):
        if pid == int(me.get("pid") or 0):
            return OURS
        if pid in {int(p) for p in live_pids} or beat >= float(listed_at):
            return LIVE
        return DEAD
    if now - beat > stale_after:
        return DEAD
    return LIVE


def describe(holder, now=None):
    """One line naming who holds the lock and since when (UTC)."""
    if not holder:
        return "nobody"
    now = time.time() if now is None else now

    def utc(t):
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(float(t or 0)))

    beat = float(holder.get("heartbeat") or holder.get("started") or 0)
    return (
        f"run {holder.get('run_id', '?')} of {holder.get('user', '?')}@{holder.get('controller', '?')}"
        f" (ansible-playbook pid {holder.get('pid') or 'unknown'}), started {utc(holder.get('started'))},"
        f" last heartbeat {utc(beat)} ({max(0, int(now - beat))} s ago, step: {holder.get('step') or '?'})"
    )


def read(path):
    """The holder recorded in path, or None when there is no lock file."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise LockError(f"cannot read {path}: {e}") from e
    try:
        holder = json.loads(data.decode("utf-8"))
    except ValueError:
        holder = None
    if not isinstance(holder, dict):
        # A lock file that is not ours to understand: never taken over silently.
        return {"run_id": "unreadable", "controller": "?", "pid": 0, "heartbeat": os.stat(path).st_mtime,
                "step": "unreadable lock file"}
    return holder


def _write(path, holder):
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, (json.dumps(holder, sort_keys=True) + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(tmp, path)


class _Guard:
    wait_seconds = 10.0

    def __init__(self, path, wait=None):
        self.dir = path + ".guard"
        self.wait = self.wait_seconds if wait is None else wait

    def __enter__(self):
        deadline = time.time() + self.wait
        while True:
            try:
                os.mkdir(self.dir, 0o700)
                return self
            except FileExistsError:
                pass
            try:
                if time.time() - os.stat(self.dir).st_mtime > GUARD_STALE:
                    os.rmdir(self.dir)
                    continue
            except FileNotFoundError:
                continue
            if time.time() > deadline:
                raise LockError(f"{self.dir} is busy (another run is taking the lock right now)")
            time.sleep(0.1)

    def __exit__(self, *exc):
        with contextlib.suppress(FileNotFoundError):
            os.rmdir(self.dir)
        return False


def acquire(path, me, now, stale_after, live_pids, listed_at, check=False):
    """Take the lock for run ``me`` unless a live run holds it.

    Returns a dict: acquired (bool; in check mode whether it would be), changed, state (the
    holder's state before: free/ours/live/dead), holder (the holder found, or None).
    """
    parent = os.path.dirname(path)
    if not check and not os.path.isdir(parent):
        os.makedirs(parent, 0o700)
    if check and not os.path.isdir(parent):
        return {"acquired": True, "changed": True, "state": FREE, "holder": None}
    with _Guard(path) if not check else _NoGuard():
        holder = read(path)
        state = holder_state(holder, me, now, stale_after, live_pids, listed_at)
        if state == LIVE:
            return {"acquired": False, "changed": False, "state": state, "holder": holder}
        if check:
            return {"acquired": True, "changed": state != OURS or holder.get("run_id") != me.get("run_id"),
                    "state": state, "holder": holder}
        mine = dict(me)
        same_run = state == OURS and holder.get("run_id") == me.get("run_id")
        mine["started"] = float(holder["started"]) if same_run else now
        mine["heartbeat"] = now
        _write(path, mine)
        return {"acquired": True, "changed": True, "state": state, "holder": holder}


def heartbeat(path, me, now, step, check=False):
    """Refresh the heartbeat of our lock. Raises LockError when the lock is not (any more) ours."""
    with _Guard(path) if not check else _NoGuard():
        holder = read(path)
        if not holder or holder.get("run_id") != me.get("run_id"):
            raise LockError(
                f"this run ({me.get('run_id')}) no longer holds {path}: {describe(holder, now)} holds it."
                " This run stops here.")
        if check:
            return {"changed": False, "holder": holder}
        holder = dict(holder, heartbeat=now, step=step)
        _write(path, holder)
        return {"changed": True, "holder": holder}


def release(path, me, check=False):
    """Remove our lock. Another run's lock is left alone (returned as holder, changed False)."""
    if not os.path.exists(path):
        return {"changed": False, "holder": None}
    with _Guard(path) if not check else _NoGuard():
        holder = read(path)
        if not holder or holder.get("run_id") != me.get("run_id"):
            return {"changed": False, "holder": holder}
        if not check:
            os.unlink(path)
        return {"changed": True, "holder": holder}


class _NoGuard:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
