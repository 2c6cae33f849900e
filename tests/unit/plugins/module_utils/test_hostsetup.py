"""host_setup's core on real files: directories, atomic files, removals, key pairs, authorized_keys, claims."""

import os
import pathlib
import shutil
import stat
import subprocess

import pytest
from ansible_collections.tiersplit.maintenance.plugins.module_utils import hostsetup as hs

UID = str(os.getuid())
GID = str(os.getgid())


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_dir_made_then_unchanged_then_mode_repaired(tmp_path):
    d = str(tmp_path / "d")
    assert hs.ensure_dir(d, 0o700, UID, GID, check=True) is True
    assert not os.path.exists(d)
    assert hs.ensure_dir(d, 0o700, UID, GID) is True
    assert mode(d) == 0o700
    assert hs.ensure_dir(d, 0o700, UID, GID) is False
    os.chmod(d, 0o755)
    assert hs.ensure_dir(d, 0o700, UID, GID, check=True) is True
    assert mode(d) == 0o755
    assert hs.ensure_dir(d, 0o700, UID, GID) is True
    assert mode(d) == 0o700


def test_dir_made_with_its_missing_parents(tmp_path):
    d = str(tmp_path / "a" / "b" / "c")
    assert hs.ensure_dir(d, 0o750, UID, GID) is True
    assert mode(d) == 0o750 and mode(str(tmp_path / "a")) == 0o750


def test_dir_refuses_a_file_in_its_place(tmp_path):
    f = tmp_path / "f"
    f.write_text("x")
    with pytest.raises(hs.SetupError, match="not a directory"):
        hs.ensure_dir(str(f), 0o700, UID, GID)


def test_unknown_owner_is_an_error(tmp_path):
    with pytest.raises(hs.SetupError, match="no such user or group"):
        hs.ensure_dir(str(tmp_path / "d"), 0o700, "no-such-user-tiersplit", GID)


def test_file_written_with_its_mode_and_kept_when_equal(tmp_path):
    f = str(tmp_path / "f")
    assert hs.ensure_file(f, "one\n", 0o640, UID, GID, check=True) is True
    assert not os.path.exists(f)
    assert hs.ensure_file(f, "one\n", 0o640, UID, GID) is True
    assert pathlib.Path(f).read_text() == "one\n" and mode(f) == 0o640
    inode = os.stat(f).st_ino
    assert hs.ensure_file(f, "one\n", 0o640, UID, GID) is False
    assert os.stat(f).st_ino == inode
    # Same size, other content: replaced (renamed over it), no temporary file left.
    assert hs.ensure_file(f, "two\n", 0o640, UID, GID) is True
    assert pathlib.Path(f).read_text() == "two\n"
    assert sorted(os.listdir(tmp_path)) == ["f"]
    assert hs.ensure_file(f, "two\n", 0o600, UID, GID) is True
    assert mode(f) == 0o600


def test_file_refuses_to_write_through_a_symlink(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_text("keep")
    os.symlink(target, tmp_path / "link")
    with pytest.raises(hs.SetupError, match="not a regular file"):
        hs.ensure_file(str(tmp_path / "link"), "x", 0o600, UID, GID)
    assert target.read_text() == "keep"


def test_remove_tree_file_and_link_not_its_target(tmp_path):
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "f").write_text("x")
    keep = tmp_path / "keep"
    keep.mkdir()
    os.symlink(keep, tmp_path / "link")
    assert hs.remove(str(tree), check=True) is True and tree.exists()
    assert hs.remove(str(tree)) is True and not tree.exists()
    assert hs.remove(str(tree)) is False
    assert hs.remove(str(tmp_path / "link")) is True
    assert keep.is_dir()


def run(argv):
    p = subprocess.run(argv, capture_output=True, text=True, check=False)
    return p.returncode, p.stdout, p.stderr


@pytest.mark.skipif(shutil.which("ssh-keygen") is None,
                    reason="ssh-keygen is not installed")
def test_keypair_generated_once(tmp_path):
    k = str(tmp_path / "id_ed25519")
    assert hs.keypair(k, "c", run, check=True) == (True, "")
    assert not os.path.exists(k)
    changed, pub = hs.keypair(k, "tiersplit test", run)
    assert changed is True and pub.startswith("ssh-ed25519 ") and len(pub.split()) == 2
    assert mode(k) == 0o600
    assert hs.keypair(k, "tiersplit test", run) == (False, pub)


def test_keypair_failure_is_reported(tmp_path):
    with pytest.raises(hs.SetupError, match="ssh-keygen failed: boom"):
        hs.keypair(str(tmp_path / "k"), "c", lambda argv: (1, "", "boom\n"))


def test_authorized_lines_replace_the_comment_only():
    text = "ssh-ed25519 AAAA user@laptop\nold-opts ssh-ed25519 BBBB tiersplit m1 (temporary)\n"
    new = hs.authorized_lines(text, "opts ssh-ed25519 CCCC tiersplit m1 (temporary)", "tiersplit m1 (temporary)")
    assert new == ["ssh-ed25519 AAAA user@laptop", "opts ssh-ed25519 CCCC tiersplit m1 (temporary)"]
    assert hs.authorized_lines(text, None, "tiersplit m1 (temporary)") == ["ssh-ed25519 AAAA user@laptop"]


def test_authorized_key_added_kept_and_removed(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    path = home / ".ssh" / "authorized_keys"
    c = "tiersplit m1 (temporary)"
    assert hs.authorized_key(str(home), "ssh-ed25519 CCCC", 'from="10.0.0.1",restrict', c, check=True) is True
    assert not path.exists()
    assert hs.authorized_key(str(home), "ssh-ed25519 CCCC", 'from="10.0.0.1",restrict', c) is True
    assert path.read_text() == f'from="10.0.0.1",restrict ssh-ed25519 CCCC {c}\n'
    assert mode(path) == 0o600 and mode(home / ".ssh") == 0o700
    assert hs.authorized_key(str(home), "ssh-ed25519 CCCC", 'from="10.0.0.1",restrict', c) is False
    path.write_text("ssh-ed25519 AAAA user@laptop\n" + path.read_text())
    assert hs.authorized_key(str(home), "", "", c, present=False) is True
    assert path.read_text() == "ssh-ed25519 AAAA user@laptop\n"
    assert hs.authorized_key(str(home), "", "", c, present=False) is False
    with pytest.raises(hs.SetupError, match="needs a comment"):
        hs.authorized_key(str(home), "ssh-ed25519 CCCC", "", " ")


def test_claim_new_resumed_emptied(tmp_path):
    d = str(tmp_path / "incoming")
    assert hs.claim(d, ".marker", "m1", False, 0o750, UID, GID, check=True) == (True, "new")
    assert not os.path.exists(d)
    assert hs.claim(d, ".marker", "m1", False, 0o750, UID, GID) == (True, "new")
    assert pathlib.Path(d, ".marker").read_text() == "m1\n" and mode(d) == 0o750
    pathlib.Path(d, "ibdata1").write_text("copied")
    assert hs.claim(d, ".marker", "m1", False, 0o750, UID, GID) == (False, "resumed")
    assert os.path.exists(os.path.join(d, "ibdata1"))
    assert hs.claim(d, ".marker", "m1", True, 0o750, UID, GID, check=True) == (True, "emptied")
    assert os.path.exists(os.path.join(d, "ibdata1"))
    assert hs.claim(d, ".marker", "m1", True, 0o750, UID, GID) == (True, "emptied")
    assert sorted(os.listdir(d)) == [".marker"]


@pytest.mark.parametrize("marker", [None, "m2\n"])
def test_claim_refuses_a_directory_of_another(tmp_path, marker):
    d = tmp_path / "incoming"
    d.mkdir()
    (d / "data").write_text("theirs")
    if marker is not None:
        (d / ".marker").write_text(marker)
    with pytest.raises(hs.SetupError, match=r"was not made by the migration m1\. Move it away"):
        hs.claim(str(d), ".marker", "m1", True, 0o750, UID, GID)
    assert (d / "data").read_text() == "theirs"
