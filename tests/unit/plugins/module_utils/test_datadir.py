"""datadir repair on real temporary trees (needs root to change owners)."""


import os
import socket
import stat

import pytest
from ansible_collections.tiersplit.maintenance.plugins.module_utils import datadir

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="changing owners needs root")

UID = GID = 65534  # nobody:nogroup


def make_tree(base):
    """A copied datadir with wrong owners and modes, plus links pointing out of the tree."""
    root = base / "mysql"
    (root / "app").mkdir(parents=True)
    (root / "mysql").mkdir()
    for rel in ("ibdata1", "ib_logfile0", "app/orders.ibd", "app/db.opt", "mysql/user.MAI"):
        (root / rel).write_bytes(b"x")
        os.chmod(str(root / rel), 0o666)
    os.chmod(str(root / "app"), 0o777)
    outside = base / "outside"
    outside.mkdir()
    (outside / "victim").write_bytes(b"v")
    os.chmod(str(outside / "victim"), 0o600)
    os.chmod(str(outside), 0o711)
    os.symlink(str(outside), str(root / "link_dir"))
    os.symlink(str(outside / "victim"), str(root / "app" / "link_file"))
    return root, outside


def modes(root):
    out = {}
    for dirpath, dirnames, filenames in os.walk(str(root)):
        for name in dirnames + filenames + ["."]:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            out[os.path.relpath(os.path.normpath(p), str(root))] = (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode))
    return out


def test_repair_fixes_everything_once(tmp_path):
    root, _outside = make_tree(tmp_path)
    res = datadir.repair(str(root), UID, GID, 0o750, 0o640)
    assert res.counts == dict(owner=10, dir_mode=3, file_mode=5, setype=0)
    assert res.scanned == dict(directories=3, files=5, symlinks=2, other=0)
    for rel, (uid, gid, mode) in modes(root).items():
        assert (uid, gid) == (UID, GID), rel
        full = os.path.join(str(root), rel)
        if os.path.islink(full):
            continue
        assert mode == (0o750 if os.path.isdir(full) else 0o640), rel
    # a second run finds nothing to do
    again = datadir.repair(str(root), UID, GID, 0o750, 0o640)
    assert again.changed_paths == 0


def test_links_out_of_the_tree_are_not_followed(tmp_path):
    root, outside = make_tree(tmp_path)
    datadir.repair(str(root), UID, GID, 0o750, 0o640)
    st = os.stat(str(outside / "victim"))
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (0, 0o600)
    st = os.stat(str(outside))
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (0, 0o711)


def test_check_mode_changes_nothing_and_counts_the_same(tmp_path):
    root, _unused = make_tree(tmp_path)
    before = modes(root)
    res = datadir.repair(str(root), UID, GID, 0o750, 0o640, check_mode=True)
    assert modes(root) == before
    real = datadir.repair(str(root), UID, GID, 0o750, 0o640)
    assert res.as_dict() == real.as_dict()


def test_summary_counts_and_first_paths(tmp_path):
    root, _unused = make_tree(tmp_path)
    res = datadir.repair(str(root), UID, GID, 0o750, 0o640, check_mode=True, sample_size=3)
    before, after = datadir.summary(res, "nobody", "nogroup")
    assert before.splitlines()[0] == after.splitlines()[0]
    assert "owner 10, directory mode 3, file mode 5" in before
    assert len(before.splitlines()) == 5 and "... and 7 more" in before
    assert ".: owner 0:0, mode" in before and ".: owner 65534:65534, mode 0750" in after


def test_socket_keeps_its_mode(tmp_path):
    root = tmp_path / "d"
    root.mkdir()
    s = socket.socket(socket.AF_UNIX)
    try:
        s.bind(str(root / "mysqld.sock"))
        os.chmod(str(root / "mysqld.sock"), 0o777)
        res = datadir.repair(str(root), UID, GID, 0o750, 0o640)
    finally:
        s.close()
    st = os.lstat(str(root / "mysqld.sock"))
    assert res.scanned["other"] == 1
    assert st.st_uid == UID and stat.S_IMODE(st.st_mode) == 0o777


def _swap_before_fix(monkeypatch, when_name, swap):
    """Run `swap()` once, when the walk is about to change `when_name`: after the scan, before the change."""
    real_fix = datadir._fix
    done = []

    def fix(res, fd, name, *args, **kwargs):
        if name == when_name and not done:
            done.append(name)
            swap()
        return real_fix(res, fd, name, *args, **kwargs)

    monkeypatch.setattr(datadir, "_fix", fix)
    return done


def test_file_swapped_for_a_symlink_after_the_scan_is_not_followed(tmp_path, monkeypatch):
    root, outside = make_tree(tmp_path)
    victim = outside / "victim"
    target = root / "app" / "orders.ibd"

    def swap():
        os.unlink(str(target))
        os.symlink(str(victim), str(target))

    done = _swap_before_fix(monkeypatch, "orders.ibd", swap)
    res = datadir.repair(str(root), UID, GID, 0o750, 0o640)
    assert done == ["orders.ibd"]
    st = os.stat(str(victim))
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, 0, 0o600)
    assert os.path.islink(str(target))
    assert [p for p, _why in res.not_repaired] == ["app/orders.ibd"]
    assert "symbolic link" in res.not_repaired[0][1] and "not followed" in res.not_repaired[0][1]
    assert res.as_dict()["not_repaired"][0]["path"] == "app/orders.ibd"
    # the other entries were repaired; the swapped one is not counted as changed
    assert res.counts["file_mode"] == 4
    assert os.lstat(str(root / "app" / "db.opt")).st_uid == UID


def test_file_swapped_for_a_hard_link_after_the_scan_is_left_alone(tmp_path, monkeypatch):
    root, outside = make_tree(tmp_path)
    victim = outside / "victim"
    target = root / "ibdata1"

    def swap():
        os.unlink(str(target))
        os.link(str(victim), str(target))  # same inode as the outside file, not the one scanned

    _swap_before_fix(monkeypatch, "ibdata1", swap)
    res = datadir.repair(str(root), UID, GID, 0o750, 0o640)
    st = os.stat(str(victim))
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, 0, 0o600)
    assert res.not_repaired == [("ibdata1", "replaced by another file since the scan: left alone")]


@pytest.mark.parametrize("how", ["symlink", "hardlink"])
def test_file_swapped_just_before_it_is_opened_is_left_alone(tmp_path, monkeypatch, how):
    """The last moment: after the scan and the lstat check, as the file is opened for fchmod."""
    root, outside = make_tree(tmp_path)
    victim = outside / "victim"
    target = root / "app" / "orders.ibd"
    real_open = os.open
    swapped = []

    def open_(path, flags, *args, **kwargs):
        if path == "orders.ibd" and flags == datadir.OPEN_ENTRY and not swapped:
            swapped.append(path)
            os.unlink(str(target))
            (os.symlink if how == "symlink" else os.link)(str(victim), str(target))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_)
    res = datadir.repair(str(root), UID, GID, 0o750, 0o640)
    monkeypatch.undo()
    assert swapped == ["orders.ibd"]
    st = os.stat(str(victim))
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, 0, 0o600)
    assert [p for p, _why in res.not_repaired] == ["app/orders.ibd"]
    assert ("symbolic link" if how == "symlink" else "another file") in res.not_repaired[0][1]


def test_directory_swapped_for_a_symlink_after_the_listing_is_reported(tmp_path, monkeypatch):
    root, outside = make_tree(tmp_path)
    (outside / "inner").write_bytes(b"i")
    os.chmod(str(outside / "inner"), 0o600)
    moved = tmp_path / "app-moved"

    def swap():
        os.rename(str(root / "app"), str(moved))
        os.symlink(str(outside), str(root / "app"))

    _swap_before_fix(monkeypatch, "ibdata1", swap)  # a file of the root: its directories come after
    res = datadir.repair(str(root), UID, GID, 0o750, 0o640)
    for path in (outside, outside / "inner", outside / "victim"):
        st = os.stat(str(path))
        assert st.st_uid == 0, path
    assert stat.S_IMODE(os.stat(str(outside)).st_mode) == 0o711
    assert stat.S_IMODE(os.stat(str(outside / "inner")).st_mode) == 0o600
    assert ("app", "directory replaced by a symbolic link since the scan: not followed, left alone") in \
        res.not_repaired


def test_fifo_gets_its_owner_without_blocking_and_keeps_its_mode(tmp_path):
    root = tmp_path / "d"
    root.mkdir()
    os.mkfifo(str(root / "pipe"))
    os.chmod(str(root / "pipe"), 0o666)
    res = datadir.repair(str(root), UID, GID, 0o750, 0o640)
    st = os.lstat(str(root / "pipe"))
    assert res.scanned["other"] == 1 and res.not_repaired == []
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (UID, GID, 0o666)


class FakeSELinux:
    """A stand-in for libselinux: labels kept in a dict (pure logic test)."""

    setype = "mysqld_db_t"

    def __init__(self):
        self.labels = {}
        self.sets = 0

    def get(self, path):
        return self.labels.get(path, "system_u:object_r:var_lib_t:s0")

    def set(self, path, context):
        self.sets += 1
        self.labels[path] = context


def test_selinux_type_is_set_and_only_the_type(tmp_path):
    root, _unused = make_tree(tmp_path)
    se = FakeSELinux()
    res = datadir.repair(str(root), UID, GID, 0o750, 0o640, selinux=se)
    assert res.counts["setype"] == 8  # 3 directories and 5 files; links are not labelled
    assert set(se.labels.values()) == {"system_u:object_r:mysqld_db_t:s0"}
    assert datadir.repair(str(root), UID, GID, 0o750, 0o640, selinux=se).changed_paths == 0


@pytest.mark.parametrize("path", ["", "   ", "/", "/etc", "/usr", "/var", "/var/lib", "/var/lib/", "/usr/../etc",
                                  "/home", "/root"])
def test_dangerous_roots_are_refused(path):
    with pytest.raises(datadir.UnsafeRoot):
        datadir.check_root(path)


def test_home_directory_is_refused(tmp_path):
    home = tmp_path / "home" / "alice"
    home.mkdir(parents=True)
    with pytest.raises(datadir.UnsafeRoot, match="home directory"):
        datadir.check_root(str(home), {str(home)})
    with pytest.raises(datadir.UnsafeRoot, match="home directory"):
        datadir.check_root(str(tmp_path / "home"), {str(home)})
    ok = tmp_path / "home" / "alice2"
    ok.mkdir()
    assert datadir.check_root(str(ok), {str(home)}) == str(ok)


def test_symlink_to_system_dir_is_refused(tmp_path):
    os.symlink("/etc", str(tmp_path / "datadir"))
    with pytest.raises(datadir.UnsafeRoot, match="resolves to /etc"):
        datadir.check_root(str(tmp_path / "datadir"))


def test_real_home_directories_are_found():
    homes = datadir.home_directories()
    assert "/root" in homes
    assert "/root" not in datadir.home_directories(exclude_user="root")


@pytest.mark.parametrize("value,mode", [("0750", 0o750), ("750", 0o750), (0o640, 0o640), ("0o700", 0o700)])
def test_parse_mode(value, mode):
    assert datadir.parse_mode(value, "m") == mode


@pytest.mark.parametrize("value", ["rwx", "0999", "", "77777"])
def test_parse_mode_rejects(value):
    with pytest.raises(ValueError):
        datadir.parse_mode(value, "m")
