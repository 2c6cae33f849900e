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
