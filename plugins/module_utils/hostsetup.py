# Copyright: tiersplit developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Several small changes to one host in one call (module host_setup): directories, files,
removals, an ssh key pair, a line of authorized_keys and a claimed directory. Each function
returns whether it changed something (or would, with check=True) and changes nothing then."""

from __future__ import annotations

import os
import shutil
import stat

from ansible_collections.tiersplit.maintenance.plugins.module_utils import datadir

NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class SetupError(Exception):
    """A change that cannot be made as asked (the message says what to do)."""


def _ids(owner: str, group: str) -> tuple[int, int]:
    try:
        return datadir.uid_of(str(owner)), datadir.gid_of(str(group))
    except KeyError as e:
        raise SetupError(f"no such user or group: {owner}:{group}") from e


def _needs(st: os.stat_result, mode: int, uid: int, gid: int) -> bool:
    return stat.S_IMODE(st.st_mode) != mode or st.st_uid != uid or st.st_gid != gid


def ensure_dir(path: str, mode: int, owner: str = "root", group: str = "root", check: bool = False) -> bool:
    """A directory with this mode and owner (made when missing, with missing parents made alike,
    as the file module makes them)."""
    uid, gid = _ids(owner, group)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        if not check:
            parent = os.path.dirname(path.rstrip("/"))
            if parent and not os.path.lexists(parent):
                ensure_dir(parent, mode, owner, group)
            os.mkdir(path, 0o700)
            os.chown(path, uid, gid, follow_symlinks=False)
            os.chmod(path, mode)
        return True
    if not stat.S_ISDIR(st.st_mode):
        raise SetupError(f"{path} exists and is not a directory: move it away and run again")
    if not _needs(st, mode, uid, gid):
        return False
    if not check:
        os.chown(path, uid, gid, follow_symlinks=False)
        os.chmod(path, mode)
    return True


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ensure_file(path: str, content: str, mode: int, owner: str = "root", group: str = "root",
                check: bool = False) -> bool:
    """A regular file with exactly this content, mode and owner. A change is written beside it,
    flushed and renamed over it: a reader finds the old file or the new one, never a part."""
    uid, gid = _ids(owner, group)
    data = content.encode("utf-8")
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    if st is not None:
        if not stat.S_ISREG(st.st_mode):
            raise SetupError(f"{path} exists and is not a regular file: move it away and run again")
        if not _needs(st, mode, uid, gid) and st.st_size == len(data):
            with open(path, "rb") as f:
                if f.read() == data:
                    return False
    if check:
        return True
    tmp = f"{path}.tmp.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | NOFOLLOW, 0o600)
    try:
        os.fchown(fd, uid, gid)
        os.fchmod(fd, mode)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(tmp, path)
    _fsync_dir(os.path.dirname(path) or ".")
    return True


def remove(path: str, check: bool = False) -> bool:
    """Nothing at path (a directory with all it holds; a symbolic link itself, not its target)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    if not check:
        if stat.S_ISDIR(st.st_mode):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    return True


def keypair(path: str, comment: str, run, check: bool = False) -> tuple[bool, str]:
    """An ed25519 key pair without passphrase at path (private, 0600) and path.pub; kept when it
    exists. run(argv) -> (rc, out, err). Returns (changed, public key without its comment)."""
    if os.path.exists(path) and os.path.exists(path + ".pub"):
        with open(path + ".pub") as f:
            words = f.read().split()
        if len(words) < 2:
            raise SetupError(f"{path}.pub is not a public key: remove {path} and {path}.pub and run again")
        changed = stat.S_IMODE(os.lstat(path).st_mode) != 0o600
        if changed and not check:
            os.chmod(path, 0o600)
        return changed, " ".join(words[:2])
    if check:
        return True, ""
    for stale in (path, path + ".pub"):
        remove(stale)
    rc, _out, err = run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path])
    if rc != 0:
        raise SetupError(f"ssh-keygen failed: {err.strip()}")
    os.chmod(path, 0o600)
    with open(path + ".pub") as f:
        return True, " ".join(f.read().split()[:2])


def authorized_lines(text: str, line: str | None, comment: str) -> list[str]:
    """authorized_keys' lines with every line of this comment removed, then line added (when given)."""
    suffix = " " + comment
    kept = [x for x in text.splitlines() if not x.rstrip().endswith(suffix)]
    return kept + ([line] if line else [])


def authorized_key(user_home: str, key: str, options: str, comment: str, present: bool = True,
                   check: bool = False) -> bool:
    """The key's one line (options, key, comment) in <home>/.ssh/authorized_keys, replacing any other
    line of the same comment; present=False removes every line of that comment."""
    if not comment.strip():
        raise SetupError("an authorized key needs a comment (its lines are found by it)")
    ssh_dir = os.path.join(user_home, ".ssh")
    path = os.path.join(ssh_dir, "authorized_keys")
    try:
        st = os.stat(ssh_dir)
        owner = st.st_uid, st.st_gid
    except FileNotFoundError:
        if not present:
            return False
        home = os.stat(user_home)
        owner = home.st_uid, home.st_gid
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        if not present:
            return False
        text = ""
    line = " ".join(x for x in (options.strip(), key.strip(), comment.strip()) if x) if present else None
    lines = authorized_lines(text, line, comment.strip())
    new = "\n".join(lines) + ("\n" if lines else "")
    if new == text:
        return False
    if check:
        return True
    if not os.path.isdir(ssh_dir):
        os.mkdir(ssh_dir, 0o700)
        os.chown(ssh_dir, *owner)
    ensure_file(path, new, 0o600, str(owner[0]), str(owner[1]))
    return True


def claim(path: str, marker: str, ident: str, fresh: bool, mode: int, owner: str, group: str,
          check: bool = False) -> tuple[bool, str]:
    """A directory that is this run's: made with the marker file naming ident, or found with it
    (resumed; emptied first when fresh). One that exists without the marker, or with another's,
    stops the run. Returns (changed, 'new' | 'resumed' | 'emptied')."""
    marker_path = os.path.join(path, marker)
    state = "new"
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    if st is not None:
        try:
            with open(marker_path) as f:
                found = f.read().strip()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            found = None
        if not stat.S_ISDIR(st.st_mode) or found != ident:
            raise SetupError(f"{path} exists and was not made by the migration {ident}. Move it away and run again.")
        state = "resumed"
        if fresh:
            state = "emptied"
            remove(path, check)
    changed = state != "resumed"
    if check and state != "resumed":
        return True, state
    changed |= ensure_dir(path, mode, owner, group, check)
    changed |= ensure_file(marker_path, ident + "\n", 0o640, owner, group, check)
    return changed, state
