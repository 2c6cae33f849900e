# Copyright: tiersplit developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The source's downtime window of a physical migration (methods cold and rsync), as code.

One call runs, on the source host: the note of what to put back, writes fenced (read_only), the
inventory of what the migration must preserve (metadata only: schemas, objects, accounts), a clean
(slow) shutdown, the final copy, the per-file digests of the stopped datadir (read while the copy
reads), and, in stage 1, the source serving again. It returns one result: times, digests, the
inventory and the copy's figures.

Free of Ansible imports: the host is reached through a small ``Host`` object (SQL, services,
processes), so that the order and the failure paths are unit-tested with a fake one.
"""

import copy
import hashlib
import json
import os
import re
import stat
import threading
import time

DIGEST = "sha256"
CHUNK = 1 << 20


class WindowError(Exception):
    """A step of the window failed; ``step`` names it, ``result`` holds what was done so far."""

    def __init__(self, step, message, result=None):
        super().__init__(message)
        self.step = step
        self.result = result or {}


# --- digests -----------------------------------------------------------------------------------

def file_digest(path, algorithm=DIGEST):
    """Digest of one regular file, opened without following a symbolic link."""
    h = hashlib.new(algorithm)
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        while True:
            n = os.readv(fd, [buf])
            if not n:
                break
            h.update(view[:n])
    finally:
        os.close(fd)
    return h.hexdigest()


def walk_files(root, exclude=()):
    """(relative path, lstat) of every entry under root, sorted; symbolic links are not followed.

    ``exclude`` holds relative paths (a directory excludes what it holds).
    """
    excluded = {e.strip("/") for e in exclude if e.strip("/")}
    out = []
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        with os.scandir(os.path.join(root, rel_dir)) as it:
            for entry in it:
                rel = os.path.join(rel_dir, entry.name) if rel_dir else entry.name
                if rel in excluded:
                    continue
                st = entry.stat(follow_symlinks=False)
                out.append((rel, st))
                if stat.S_ISDIR(st.st_mode):
                    stack.append(rel)
    out.sort(key=lambda item: item[0])
    return out


def stat_key(st):
    """What changes whenever a file's content may have: size, mtime, ctime (not settable by a
    program), inode and device."""
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


# An entry is cached only when its last change is this much older than the walk: a write within
# the filesystem's timestamp granularity of the walk could otherwise leave its stat unchanged.
CACHE_SETTLED_NS = 2 * 10**9


def tree_digests(root, exclude=(), workers=2, algorithm=DIGEST, cache=None, cache_out=None, counts=None,
                 now=time.time):
    """{relative path: {"type", "size", "digest"}} of a tree: content digests of regular files,
    the target of symbolic links, and directories by name only.

    Files are hashed by ``workers`` threads (hashlib releases the GIL on large buffers), largest
    first so that the threads finish together.

    ``cache`` ({relative path: {"stat", "digest", "algorithm"}}, as ``cache_out`` fills it) gives the
    digest of a file whose stat_key is unchanged since it was read, without reading it again.
    ``cache_out``, a dict, receives such entries for the files read or reused now (only those
    whose last change is CACHE_SETTLED_NS older than the walk). ``counts``, a dict, receives the
    number of files ``read`` and ``reused``.
    """
    walked_ns = int(now() * 10**9)
    entries = walk_files(root, exclude)
    result = {}
    files = []
    keys = {}
    for rel, st in entries:
        if stat.S_ISREG(st.st_mode):
            key = keys[rel] = stat_key(st)
            hit = (cache or {}).get(rel)
            if hit and hit.get("stat") == key and hit.get("algorithm") == algorithm:
                result[rel] = {"type": "file", "size": st.st_size, "digest": hit["digest"]}
                continue
            result[rel] = {"type": "file", "size": st.st_size, "digest": None}
            files.append((st.st_size, rel))
        elif stat.S_ISLNK(st.st_mode):
            result[rel] = {"type": "link", "size": 0, "digest": os.readlink(os.path.join(root, rel))}
        elif stat.S_ISDIR(st.st_mode):
            result[rel] = {"type": "dir", "size": 0, "digest": None}
        else:  # sockets, fifos: the server's runtime files, nothing to copy
            continue
    if counts is not None:
        counts.update(read=len(files), reused=len(keys) - len(files))
    files.sort(reverse=True)
    lock = threading.Lock()
    errors = []

    def worker():
        while True:
            with lock:
                if not files or errors:
                    return
                _size, rel = files.pop(0)
            try:
                digest = file_digest(os.path.join(root, rel), algorithm)
            except OSError as e:
                with lock:
                    errors.append(f"{rel}: {e}")
                return
            with lock:
                result[rel]["digest"] = digest

    threads = [threading.Thread(target=worker) for _worker in range(max(1, int(workers)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise OSError("cannot read " + "; ".join(errors[:5]))
    if cache_out is not None:
        for rel, key in keys.items():
            if max(key[1], key[2]) <= walked_ns - CACHE_SETTLED_NS:
                cache_out[rel] = {"stat": key, "digest": result[rel]["digest"], "algorithm": algorithm}
    return result


def compare_digests(reference, current):
    """Differences between two tree_digests() results: [{"path", "kind", "before", "after"}]."""
    diffs = []
    for rel in sorted(set(reference) | set(current)):
        ref = reference.get(rel)
        cur = current.get(rel)
        if cur is None:
            diffs.append({"path": rel, "kind": "missing", "before": ref.get("type"), "after": None})
        elif ref is None:
            diffs.append({"path": rel, "kind": "added", "before": None, "after": cur.get("type")})
        elif any(ref.get(k) != cur.get(k) for k in ("type", "size", "digest")):
            diffs.append({"path": rel, "kind": "changed",
                          "before": "{} {} {}".format(ref.get("type"), ref.get("size"), ref.get("digest")),
                          "after": "{} {} {}".format(cur.get("type"), cur.get("size"), cur.get("digest"))})
    return diffs


def digest_summary(digests):
    """Files, bytes and one digest over the whole tree (of the sorted per-entry lines)."""
    h = hashlib.new(DIGEST)
    files = size = 0
    for rel in sorted(digests):
        d = digests[rel]
        line = "{}\0{}\0{}\0{}\n".format(rel, d.get("type"), d.get("size"), d.get("digest"))
        h.update(line.encode("utf-8", "surrogateescape"))
        if d.get("type") == "file":
            files += 1
            size += d.get("size") or 0
    return {"entries": len(digests), "files": files, "bytes": size, "tree_digest": h.hexdigest()}


def syncfs(path):
    """Flush the filesystem holding path to disk (syncfs(2); sync(2) where it is missing)."""
    try:
        import ctypes  # pylint: disable=import-outside-toplevel
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(path, os.O_RDONLY)
        try:
            if libc.syncfs(fd) != 0:
                raise OSError(ctypes.get_errno(), "syncfs")
        finally:
            os.close(fd)
        return "syncfs"
    except (OSError, AttributeError):
        os.sync()
        return "sync"


# --- copy output ---------------------------------------------------------------------------------

RSYNC_SENT = re.compile(r"Total bytes sent: ([0-9,.]+)")


def rsync_bytes_sent(text):
    m = RSYNC_SENT.search(text or "")
    return int(m.group(1).replace(",", "").replace(".", "")) if m else None


# --- the window --------------------------------------------------------------------------------

def held_note(service, read_only, fast_shutdown, since, owner=None):
    """The source-held note (read by the role's recover.yml after a killed run)."""
    note = {"service": service, "read_only": str(read_only), "fast_shutdown": str(fast_shutdown), "since": since}
    if owner:
        note["owner"] = owner
    return note


def write_file(path, text, mode=0o600, gid=None):
    """Write a file atomically (rename into place) with its mode (and group) from the start."""
    d = os.path.dirname(path)
    os.makedirs(d, mode=0o700, exist_ok=True)
    tmp = f"{path}.tmp.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), mode)
    try:
        if gid is not None:
            os.fchown(fd, 0, gid)
        os.fchmod(fd, mode)
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(tmp, path)


def write_private(path, text):
    """Write a root-only file atomically (0600, rename into place)."""
    write_file(path, text)


def run_source_window(host, params, clock=time.time):
    """The window on the source. ``host`` provides:

    - ``query(sql)`` -> list of rows; ``execute(sql)``; ``close()`` (the server connection)
    - ``manifest()`` -> the metadata inventory, taken with writes fenced
    - ``stop_service(timeout)``, ``start_service()``, ``wait_ready(timeout)``
    - ``copy(command, log_header)`` -> (rc, output): runs the final copy, in the background of which
      ``digests()`` runs when params["digests"] is true
    - ``digests()`` -> tree_digests of the stopped datadir
    - ``write_note(note)`` / ``remove_note()``

    params: service, serve_after (stage 1), shutdown_timeout, start_timeout, ready_timeout, copy_command,
    copy_header, digests (bool), owner (optional).

    Returns the result dict; raises WindowError naming the step that failed (the caller restores).
    """
    result = {"times": {}, "source_settings": {}, "steps": []}
    times = result["times"]

    def step(name):
        result["steps"].append(name)
        return name

    name = step("the source answers")
    try:
        # A source that crashed during the live pre-copy is back after its own crash recovery.
        host.wait_ready(params.get("ready_timeout", 60))

        name = step("read the source's settings")
        rows = host.query("SELECT @@global.read_only, @@global.innodb_fast_shutdown")
        read_only, fast_shutdown = rows[0][0], rows[0][1]
        result["source_settings"] = {"read_only": str(int(read_only)), "fast_shutdown": str(int(fast_shutdown))}

        name = step("note what to put back if this run is killed")
        host.write_note(held_note(params["service"], int(read_only), int(fast_shutdown), clock(), params.get("owner")))

        name = step("clean (slow) shutdown asked")
        host.execute("SET GLOBAL innodb_fast_shutdown = 0")

        name = step("writes refused (downtime starts)")
        host.execute("SET GLOBAL read_only = 1")
        times["first_refused_write"] = clock()

        name = step("inventory with writes refused")
        result["manifest"] = host.manifest()
        times["inventory_done"] = clock()
        host.close()

        name = step("clean shutdown of the source")
        host.stop_service(params.get("shutdown_timeout", 3600))
        times["source_stopped"] = clock()

        name = step("final copy")
        box = {}
        digest_thread = None
        if params.get("digests", True):
            def run_digests():
                try:
                    t0 = clock()
                    box["digests"] = host.digests()
                    box["seconds"] = clock() - t0
                except Exception as e:  # pylint: disable=broad-except
                    box["error"] = str(e)
            digest_thread = threading.Thread(target=run_digests)
            digest_thread.start()
        times["final_pass_start"] = clock()
        rc, output = host.copy(params["copy_command"], params.get("copy_header", "final copy"))
        times["final_pass_end"] = clock()
        if digest_thread is not None:
            digest_thread.join()
        times["digests_done"] = clock()
        result["final_copy"] = {"rc": rc, "output_tail": (output or "")[-4000:], "bytes_sent": rsync_bytes_sent(output)}
        if rc != 0:
            tail = (output or "").strip()[-1500:]
            raise WindowError(name, f"the final copy failed (exit {rc}): {tail}", result)
        if "error" in box:
            name = step("digests of the stopped datadir")
            raise WindowError(name, box["error"], result)
        if digest_thread is not None:
            result["digests"] = box["digests"]
            result["digest_seconds"] = round(box["seconds"], 3)
            result["digest_summary"] = digest_summary(box["digests"])

        if params.get("serve_after"):
            name = step("the source serves again")
            host.start_service()
            host.wait_ready(params.get("start_timeout", 60))
            times["first_accepted_write"] = clock()
            host.remove_note()
    except WindowError:
        raise
    except Exception as e:  # pylint: disable=broad-except
        raise WindowError(name, str(e), result) from e
    return result


def note_json(note):
    return json.dumps(note, sort_keys=True) + "\n"


# --- the target's side ---------------------------------------------------------------------------

def utc_stamp(epoch):
    """``2026-12-07T19:03:14Z``: the report's times, as the role's Jinja writes them."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(float(epoch)))


def fill_record(report, cutover, started, accepted_from_target, now):
    """The run's report (rendered by the role before the target's call) completed with what the
    target's call found: the comparison, the accounts kept and reconciled, the proof of the files,
    the end of the downtime when the verified target is what accepts the next write (stage 2), the
    run's length and its completion. Returns a new dict; ``report`` is not changed."""
    rec = copy.deepcopy(report)
    verification = rec.setdefault("verification", {})
    differences = cutover.get("differences") or []
    verification["differences"] = len(differences)
    verification["equal"] = not differences
    verification["target_own_accounts"] = list(cutover.get("kept_accounts") or [])
    verification["accounts_reconciled"] = cutover.get("accounts_reconciled") or {"dropped": [], "created": []}
    proof = verification.get("proof") or {}
    if proof.get("kind") == "files":
        proof["equal"] = (cutover.get("digest_summary") or {}).get("tree_digest") == proof.get("tree_sha256")
        proof["target_times"] = dict(cutover.get("times") or {})
        # Files the target did not read again in the window: unchanged since read before it (rsync).
        proof["target_digests_reused"] = int(cutover.get("digests_reused") or 0)
    if accepted_from_target:
        downtime = rec.setdefault("downtime", {})
        accepted = float(cutover["times"]["verified"])
        downtime["first_accepted_write"] = f"{accepted:.3f}"
        downtime["first_accepted_write_utc"] = utc_stamp(accepted)
        downtime["seconds"] = round(accepted - float(downtime.get("first_refused_write") or accepted), 3)
    rec["run_seconds"] = round(float(now) - float(started), 1)
    rec["completed_utc"] = utc_stamp(now)
    return rec


def swap_in(incoming, datadir, before, ours, rmtree):
    """Put the copy in place; the target's datadir is kept as ``before``.

    A datadir left by an earlier attempt of this same stage (``before`` exists and the datadir is this
    migration's own copy) is removed first. Returns the list of what was done.
    """
    done = []
    if not os.path.isdir(incoming):
        raise RuntimeError(f"the copy {incoming} is missing: nothing was moved")
    if os.path.lexists(datadir) and os.path.lexists(before):
        if not ours:
            raise RuntimeError(f"{datadir} and {before} both exist and {datadir} is not this migration's copy: "
                               "move one of them away and run again")
        rmtree(datadir)
        done.append(f"removed the earlier attempt's {datadir}")
    if os.path.lexists(datadir):
        os.rename(datadir, before)
        done.append(f"kept {datadir} as {before}")
    os.rename(incoming, datadir)
    done.append(f"moved {incoming} to {datadir}")
    return done


ERROR_LINE = re.compile(r"\[ERROR\]")


def log_errors(lines, ignore=()):
    """The [ERROR] lines of a server log that no ``ignore`` regular expression matches."""
    patterns = [re.compile(p) for p in ignore]
    return [line for line in lines if ERROR_LINE.search(line) and not any(p.search(line) for p in patterns)]
