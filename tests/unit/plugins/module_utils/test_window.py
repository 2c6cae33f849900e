"""Unit tests of the source's downtime window (module_utils/window.py): digests and the order of the steps."""

import json
import os
import time

import pytest
from ansible_collections.tiersplit.maintenance.plugins.module_utils import window as win


def make_tree(root):
    os.makedirs(os.path.join(root, "shop", "sub"))
    with open(os.path.join(root, "ibdata1"), "wb") as f:
        f.write(os.urandom(3 * win.CHUNK + 17))
    with open(os.path.join(root, "shop", "t.ibd"), "wb") as f:
        f.write(b"rows" * 1000)
    with open(os.path.join(root, "shop", "sub", "empty"), "wb"):
        pass
    with open(os.path.join(root, ".tiersplit-migration"), "w") as f:
        f.write("app-to-db\n")
    os.symlink("t.ibd", os.path.join(root, "shop", "link"))


def test_tree_digests_cover_files_links_and_dirs(tmp_path):
    root = str(tmp_path / "d")
    make_tree(root)
    d = win.tree_digests(root, exclude=[".tiersplit-migration"])
    assert ".tiersplit-migration" not in d
    assert d["shop"]["type"] == "dir"
    assert d["shop/link"] == {"type": "link", "size": 0, "digest": "t.ibd"}
    assert d["ibdata1"]["size"] == 3 * win.CHUNK + 17
    assert d["shop/sub/empty"]["digest"] == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert all(v["digest"] for v in d.values() if v["type"] == "file")


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_digests_do_not_depend_on_threads(tmp_path, workers):
    root = str(tmp_path / "d")
    make_tree(root)
    assert win.tree_digests(root, workers=workers) == win.tree_digests(root, workers=1)


def test_a_copy_is_equal_and_every_kind_of_difference_is_named(tmp_path):
    src, dst = str(tmp_path / "s"), str(tmp_path / "t")
    make_tree(src)
    make_tree(dst)
    # make_tree writes random bytes into ibdata1: copy the source's
    with open(os.path.join(src, "ibdata1"), "rb") as f, open(os.path.join(dst, "ibdata1"), "wb") as g:
        g.write(f.read())
    ref = win.tree_digests(src)
    assert win.compare_digests(ref, win.tree_digests(dst)) == []

    # same size, same mtime, other bytes: the case an rsync pass by size and time misses
    p = os.path.join(dst, "shop", "t.ibd")
    st = os.stat(p)
    with open(p, "r+b") as f:
        f.write(b"ROWS")
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.unlink(os.path.join(dst, "shop", "sub", "empty"))
    with open(os.path.join(dst, "extra"), "w") as f:
        f.write("x")
    diffs = {d["path"]: d["kind"] for d in win.compare_digests(ref, win.tree_digests(dst))}
    assert diffs == {"shop/t.ibd": "changed", "shop/sub/empty": "missing", "extra": "added"}


def test_summary_changes_with_any_byte(tmp_path):
    root = str(tmp_path / "d")
    make_tree(root)
    a = win.digest_summary(win.tree_digests(root))
    with open(os.path.join(root, "shop", "t.ibd"), "ab") as f:
        f.write(b"!")
    b = win.digest_summary(win.tree_digests(root))
    assert a["files"] == b["files"] == 4
    assert b["bytes"] == a["bytes"] + 1
    assert a["tree_digest"] != b["tree_digest"]


def test_a_dangling_link_is_recorded_not_followed(tmp_path):
    root = str(tmp_path / "d")
    make_tree(root)
    os.remove(os.path.join(root, "ibdata1"))
    os.symlink("/nonexistent", os.path.join(root, "dangling"))
    # a dangling link is recorded, not followed
    assert win.tree_digests(root)["dangling"]["digest"] == "/nonexistent"


@pytest.mark.parametrize("text,expected", [
    ("Number of files: 10\nTotal bytes sent: 1,234,567\nTotal bytes received: 12", 1234567),
    ("Total bytes sent: 99", 99),
    ("rsync error: some files could not be transferred", None),
    ("", None),
])
def test_rsync_bytes_sent(text, expected):
    assert win.rsync_bytes_sent(text) == expected


def test_write_private_is_root_only_and_atomic(tmp_path):
    path = str(tmp_path / "state" / "source-held.json")
    win.write_private(path, win.note_json(win.held_note("mariadb", 0, 1, 12.5)))
    assert os.stat(path).st_mode & 0o777 == 0o600
    with open(path) as f:
        note = json.load(f)
    assert note == {"service": "mariadb", "read_only": "0", "fast_shutdown": "1", "since": 12.5}
    assert os.listdir(os.path.dirname(path)) == ["source-held.json"]


class FakeHost:
    """Records the order of the calls; fails where told."""

    def __init__(self, fail=None, copy_rc=0):
        self.calls = []
        self.fail = fail
        self.copy_rc = copy_rc
        self.note = None

    def _do(self, name):
        self.calls.append(name)
        if self.fail == name:
            raise RuntimeError(name + " broke")

    def query(self, sql):
        self._do("query")
        return [(0, 1)]

    def execute(self, sql):
        self._do(sql)

    def close(self):
        self.calls.append("close")

    def manifest(self):
        self._do("manifest")
        return {"format": 1, "schemas": {"shop": {}}}

    def stop_service(self, timeout):
        self._do("stop")

    def start_service(self):
        self._do("start")

    def wait_ready(self, timeout):
        self._do("ready")

    def copy(self, command, header):
        self._do("copy")
        return self.copy_rc, "Total bytes sent: 42\n" if self.copy_rc == 0 else "ssh: connection closed"

    def digests(self):
        self._do("digests")
        return {"f": {"type": "file", "size": 1, "digest": "ab"}}

    def write_note(self, note):
        self._do("note")
        self.note = note

    def remove_note(self):
        self._do("unnote")
        self.note = None


PARAMS = {"service": "mariadb", "copy_command": "true", "serve_after": True, "digests": True}


def clock_from(start=100.0):
    t = [start]

    def clock():
        t[0] += 1.0
        return t[0]
    return clock


def test_the_window_runs_in_order_and_stage_1_serves_again():
    host = FakeHost()
    r = win.run_source_window(host, PARAMS, clock=clock_from())
    order = [c for c in host.calls if c not in ("digests",)]
    assert order == ["ready", "query", "note", "SET GLOBAL innodb_fast_shutdown = 0", "SET GLOBAL read_only = 1",
                     "manifest", "close", "stop", "copy", "start", "ready", "unnote"]
    assert host.calls.index("digests") > host.calls.index("stop")
    assert host.note is None
    t = r["times"]
    assert t["first_refused_write"] < t["source_stopped"] < t["final_pass_start"] < t["first_accepted_write"]
    assert r["final_copy"]["bytes_sent"] == 42
    assert r["digest_summary"]["files"] == 1
    assert r["source_settings"] == {"read_only": "0", "fast_shutdown": "1"}


def test_stage_2_leaves_the_source_stopped_and_held():
    host = FakeHost()
    r = win.run_source_window(host, dict(PARAMS, serve_after=False), clock=clock_from())
    assert "start" not in host.calls
    assert host.note["service"] == "mariadb" and host.note["read_only"] == "0"
    assert "first_accepted_write" not in r["times"]


@pytest.mark.parametrize("fail,step", [
    ("manifest", "inventory with writes refused"),
    ("stop", "clean shutdown of the source"),
    ("SET GLOBAL read_only = 1", "writes refused (downtime starts)"),
    ("digests", "digests of the stopped datadir"),
])
def test_a_failed_step_is_named_with_the_settings_to_put_back(fail, step):
    host = FakeHost(fail=fail)
    with pytest.raises(win.WindowError) as e:
        win.run_source_window(host, PARAMS, clock=clock_from())
    assert e.value.step == step
    assert e.value.result["source_settings"] == {"read_only": "0", "fast_shutdown": "1"}
    assert "start" not in host.calls  # nothing is undone here: the caller restores from the note
    assert host.note is not None


def test_a_source_that_does_not_answer_is_not_touched():
    host = FakeHost(fail="ready")
    with pytest.raises(win.WindowError) as e:
        win.run_source_window(host, PARAMS, clock=clock_from())
    assert e.value.step == "the source answers"
    assert host.calls == ["ready"] and host.note is None
    assert e.value.result["source_settings"] == {}


def test_a_failed_copy_stops_before_the_source_serves():
    host = FakeHost(copy_rc=255)
    with pytest.raises(win.WindowError) as e:
        win.run_source_window(host, PARAMS, clock=clock_from())
    assert e.value.step == "final copy"
    assert "exit 255" in str(e.value) and "connection closed" in str(e.value)
    assert "start" not in host.calls


def test_swap_in_keeps_the_target_datadir_aside(tmp_path):
    incoming, data, before = (str(tmp_path / n) for n in ("data.incoming", "data", "data.before"))
    os.mkdir(incoming)
    os.mkdir(data)
    open(os.path.join(data, "fresh"), "w").close()
    open(os.path.join(incoming, "copy"), "w").close()
    done = win.swap_in(incoming, data, before, ours=False, rmtree=None)
    assert os.listdir(data) == ["copy"] and os.listdir(before) == ["fresh"] and not os.path.exists(incoming)
    assert len(done) == 2


def test_swap_in_replaces_only_its_own_earlier_attempt(tmp_path):
    incoming, data, before = (str(tmp_path / n) for n in ("data.incoming", "data", "data.before"))
    for d in (incoming, data, before):
        os.mkdir(d)
    removed = []
    with pytest.raises(RuntimeError, match="not this migration's copy"):
        win.swap_in(incoming, data, before, ours=False, rmtree=removed.append)
    assert removed == [] and os.path.isdir(incoming)

    def rmtree(path):
        removed.append(path)
        os.rmdir(path)
    win.swap_in(incoming, data, before, ours=True, rmtree=rmtree)
    assert removed == [data] and os.path.isdir(data) and os.path.isdir(before) and not os.path.exists(incoming)


def test_swap_in_without_a_copy_changes_nothing(tmp_path):
    data, before = str(tmp_path / "data"), str(tmp_path / "data.before")
    os.mkdir(data)
    with pytest.raises(RuntimeError, match="nothing was moved"):
        win.swap_in(str(tmp_path / "missing"), data, before, ours=False, rmtree=None)
    assert os.path.isdir(data) and not os.path.exists(before)


@pytest.mark.parametrize("ignore,expected", [
    ((), ["2026-12-02 [ERROR] InnoDB: broken", "[ERROR] Plugin 'x' init failed"]),
    ((r"Plugin 'x'",), ["2026-12-02 [ERROR] InnoDB: broken"]),
])
def test_log_errors(ignore, expected):
    lines = ["2026-12-02 [Note] starting", "2026-12-02 [ERROR] InnoDB: broken", "[Warning] x",
             "[ERROR] Plugin 'x' init failed"]
    assert win.log_errors(lines, ignore) == expected


def _report():
    return {
        "stage": 2,
        "downtime": {"first_refused_write": "100.000", "first_accepted_write": "0.000", "seconds": -100.0},
        "verification": {"equal": False, "differences": 0, "target_own_accounts": [],
                         "proof": {"kind": "files", "tree_sha256": "abc", "equal": False, "target_times": {}}},
        "run_seconds": 0, "completed_utc": "",
    }


def _cutover(tree="abc", differences=()):
    return {"times": {"started": 103.5, "verified": 104.25}, "digest_summary": {"tree_digest": tree},
            "digests_reused": 3, "differences": list(differences), "kept_accounts": ["'app'@'10.0.0.5'"],
            "accounts_reconciled": {"dropped": ["'old'@'%'"], "created": []}}


def test_the_record_takes_the_targets_findings_and_the_end_of_the_downtime():
    report = _report()
    rec = win.fill_record(report, _cutover(), started=40.0, accepted_from_target=True, now=110.0)
    assert rec["downtime"]["first_accepted_write"] == "104.250"
    assert rec["downtime"]["seconds"] == 4.25
    assert rec["downtime"]["first_accepted_write_utc"] == "1970-01-01T00:01:44Z"
    v = rec["verification"]
    assert v["equal"] is True and v["differences"] == 0
    assert v["target_own_accounts"] == ["'app'@'10.0.0.5'"]
    assert v["accounts_reconciled"]["dropped"] == ["'old'@'%'"]
    assert v["proof"]["equal"] is True and v["proof"]["target_times"]["verified"] == 104.25
    assert v["proof"]["target_digests_reused"] == 3
    assert rec["run_seconds"] == 70.0 and rec["completed_utc"] == "1970-01-01T00:01:50Z"
    assert report["downtime"]["seconds"] == -100.0 and report["verification"]["proof"]["target_times"] == {}


def test_stage_1_keeps_the_sources_end_of_the_downtime_and_a_different_tree_is_not_equal():
    report = _report()
    report["downtime"].update(first_accepted_write="101.500", seconds=1.5)
    rec = win.fill_record(report, _cutover(tree="other", differences=[{"path": "schemas.a", "kind": "missing"}]),
                          started=99.0, accepted_from_target=False, now=105.0)
    assert rec["downtime"]["first_accepted_write"] == "101.500" and rec["downtime"]["seconds"] == 1.5
    assert rec["verification"]["equal"] is False and rec["verification"]["differences"] == 1
    assert rec["verification"]["proof"]["equal"] is False


def test_cached_digests_are_reused_only_for_unchanged_settled_files(tmp_path):
    root = tmp_path / "copy"
    root.mkdir()
    (root / "a.ibd").write_bytes(b"a" * 5000)
    (root / "b.ibd").write_bytes(b"b" * 3000)

    def later():  # both files settled at this walk
        return time.time() + 10

    cache = {}
    first = win.tree_digests(str(root), cache_out=cache, now=later)
    assert set(cache) == {"a.ibd", "b.ibd"}
    # Rewritten the way rsync does (a new file renamed over the old one): read again.
    (root / "b.tmp").write_bytes(b"c" * 3000)
    os.rename(root / "b.tmp", root / "b.ibd")
    # A cached entry that lies about a file whose stat did not change is taken as it is: the
    # cache is trusted only through the stat key (this shows the key is what decides).
    cache["a.ibd"] = dict(cache["a.ibd"], digest="0" * 64)
    counts = {}
    again = win.tree_digests(str(root), cache=cache, counts=counts)
    assert counts == {"read": 1, "reused": 1}
    assert again["a.ibd"]["digest"] == "0" * 64
    assert again["b.ibd"]["digest"] == win.file_digest(str(root / "b.ibd")) != first["b.ibd"]["digest"]


def test_a_file_changed_within_the_settle_time_is_not_cached(tmp_path):
    (tmp_path / "fresh").write_bytes(b"x")
    cache = {}
    win.tree_digests(str(tmp_path), cache_out=cache)
    assert cache == {}


def test_a_cache_of_another_algorithm_or_an_unchanged_size_with_new_times_is_read_again(tmp_path):
    f = tmp_path / "f"
    f.write_bytes(b"1234")
    cache = {}
    win.tree_digests(str(tmp_path), cache_out=cache, now=lambda: time.time() + 10)
    bad = {"f": dict(cache["f"], digest="1" * 64, algorithm="md5")}
    assert win.tree_digests(str(tmp_path), cache=bad)["f"]["digest"] == win.file_digest(str(f))
    st = os.stat(f)
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 5))   # changes ctime (and mtime)
    stale = {"f": dict(cache["f"], digest="1" * 64)}
    assert win.tree_digests(str(tmp_path), cache=stale)["f"]["digest"] == win.file_digest(str(f))
