# Copyright: tiersplit developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One-pass ownership and mode repair of a data directory tree.

The walk works on directory file descriptors (openat with O_NOFOLLOW, fstatat without following
links), so it never leaves the tree through a symbolic link, not even when a link is swapped in
while it runs. It stats every entry once and makes a system call only where something differs.

Changes are made without following links either: a directory or a regular file is opened with
O_NOFOLLOW (O_PATH cannot be used, Linux refuses fchmod on it), its fstat must name the inode the
scan found (st_dev, st_ino), and the change is made on that descriptor (fchown, fchmod). A
symbolic link gets lchown only. An entry replaced since the scan (by a link or another file) is
left alone and reported in Result.not_repaired.
"""

import errno
import grp
import os
import pwd
import stat
from typing import List, Optional, Tuple

# Never repair these (nor any parent of them); the resolved path is compared.
DANGEROUS = frozenset([
    "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32", "/media", "/mnt",
    "/opt", "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/usr/local", "/var",
    "/var/lib", "/var/log", "/var/tmp", "/var/cache", "/var/spool", "/var/www", "/var/run",
])

OPEN_DIR = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
# A regular file or FIFO whose owner or mode is changed: never its link target, never blocking
# (a FIFO without writer), never a controlling terminal.
OPEN_ENTRY = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
              | getattr(os, "O_NOCTTY", 0))


class UnsafeRoot(Exception):
    pass


def uid_of(owner):
    """A user's id, given its name or its number (KeyError when there is no such user)."""
    return int(owner) if owner.isdigit() else pwd.getpwnam(owner).pw_uid


def gid_of(group):
    """A group's id, given its name or its number (KeyError when there is no such group)."""
    return int(group) if group.isdigit() else grp.getgrnam(group).gr_gid


def parse_mode(value, name):
    """0750, '0750', '750' -> 0o750 (as the file module reads modes)."""
    if isinstance(value, int):
        mode = value
    else:
        text = str(value).strip()
        if not text or any(c not in "01234567" for c in text.lstrip("0o") or "0"):
            raise ValueError(f"{name} must be an octal mode such as 0750, got {value!r}")
        mode = int(text.replace("o", ""), 8)
    if not 0 <= mode <= 0o7777:
        raise ValueError(f"{name} out of range: {value!r}")
    return mode


def home_directories(exclude_user=None):
    homes = set()
    for entry in pwd.getpwall():
        if exclude_user is not None and entry.pw_name == exclude_user:
            continue
        home = entry.pw_dir
        if home and home not in ("/nonexistent", "/dev/null") and os.path.isdir(home):
            homes.add(os.path.realpath(home))
    return homes


def check_root(path, homes=()):
    """The resolved root to repair, or UnsafeRoot with a clear reason."""
    if path is None or not str(path).strip():
        raise UnsafeRoot("path is empty: refusing to repair permissions of an unnamed directory")
    real = os.path.realpath(os.path.abspath(os.path.expanduser(str(path))))
    shown = path if real == path else f"{path} (resolves to {real})"
    for bad in DANGEROUS:
        if real == bad or bad.startswith(real.rstrip("/") + "/"):
            raise UnsafeRoot(f"refusing to repair {shown}: it is, or contains, the system directory {bad}")
    for home in homes:
        if real == home or home.startswith(real.rstrip("/") + "/"):
            raise UnsafeRoot(f"refusing to repair {shown}: it is, or contains, the home directory {home}")
    if not os.path.isdir(real):
        raise UnsafeRoot(f"{shown} is not a directory")
    return real


class Result:
    def __init__(self, sample_size):
        self.sample_size = sample_size
        self.counts = dict(owner=0, dir_mode=0, file_mode=0, setype=0)
        self.scanned = dict(directories=0, files=0, symlinks=0, other=0)
        self.changed_paths = 0
        self.samples = []  # (relpath, before, after) for the first changed paths
        # (relpath, reason) of the entries replaced or removed between the scan and the change:
        # left alone, a link among them never followed.
        self.not_repaired: List[Tuple[str, str]] = []

    def as_dict(self):
        return dict(counts=dict(self.counts), scanned=dict(self.scanned), changed_paths=self.changed_paths,
                    not_repaired=[dict(path=p, reason=r) for p, r in self.not_repaired])


def repair(root, uid, gid, dir_mode, file_mode, check_mode=False, selinux=None, sample_size=10):
    """Walk `root` (already checked) and repair it. Returns a Result.

    selinux: None, or an object with get(path) -> context and set(path, context) and an attribute
    `setype`; only the type field of the context is compared and replaced.
    """
    res = Result(sample_size)
    fd = os.open(root, OPEN_DIR)
    try:
        st = os.fstat(fd)
        res.scanned["directories"] += 1
        _fix(res, fd, None, "", st, uid, gid, dir_mode, True, check_mode, selinux, root)
        _walk(res, fd, "", uid, gid, dir_mode, file_mode, check_mode, selinux, root)
    finally:
        os.close(fd)
    return res


def _walk(res, dfd, rel, uid, gid, dir_mode, file_mode, check_mode, selinux, root):
    with os.scandir(dfd) as it:
        entries = list(it)
    subdirs = []
    for entry in entries:
        name = entry.name
        st = entry.stat(follow_symlinks=False)
        m = st.st_mode
        if stat.S_ISDIR(m):
            res.scanned["directories"] += 1
            subdirs.append((name, st))
            continue
        if stat.S_ISLNK(m):
            res.scanned["symlinks"] += 1
            if st.st_uid != uid or st.st_gid != gid:
                _fix(res, dfd, name, rel, st, uid, gid, None, False, check_mode, None, root)
            continue
        if stat.S_ISREG(m):
            res.scanned["files"] += 1
            want = file_mode
        else:
            # sockets, fifos: owner only (a socket needs its own mode to stay usable)
            res.scanned["other"] += 1
            want = None
        if st.st_uid != uid or st.st_gid != gid or (want is not None and stat.S_IMODE(m) != want) or selinux:
            _fix(res, dfd, name, rel, st, uid, gid, want, False, check_mode, selinux, root)
    for name, st in subdirs:
        sub = rel + "/" + name if rel else name
        try:
            sfd = os.open(name, OPEN_DIR, dir_fd=dfd)
        except OSError as e:
            # replaced by a symlink (or removed) since the listing: never follow it
            res.not_repaired.append((sub, _replaced_reason(e, "directory ", dfd, name)))
            continue
        try:
            st2 = os.fstat(sfd)
            if (st2.st_dev, st2.st_ino) != (st.st_dev, st.st_ino):
                res.not_repaired.append((sub, "directory replaced by another one since the scan: left alone"))
                continue
            _fix(res, sfd, None, sub, st2, uid, gid, dir_mode, True, check_mode, selinux, root)
            _walk(res, sfd, sub, uid, gid, dir_mode, file_mode, check_mode, selinux, root)
        finally:
            os.close(sfd)


def _replaced_reason(err: OSError, kind: str, dfd: int, name: str) -> str:
    """Why `name` (in `dfd`) could not be opened with O_NOFOLLOW: what is there now, never followed.

    `kind`: the start of the reason ("directory " or "").

    (A link opened with O_NOFOLLOW fails with ELOOP, or ENOTDIR with O_DIRECTORY: lstat tells.)
    """
    try:
        now = os.stat(name, dir_fd=dfd, follow_symlinks=False)
    except FileNotFoundError:
        return f"{kind}removed since the scan"
    if stat.S_ISLNK(now.st_mode):
        return f"{kind}replaced by a symbolic link since the scan: not followed, left alone"
    if err.errno == errno.ENOTDIR:
        return f"{kind}replaced by a non-directory since the scan: left alone"
    return f"{kind}could not be opened without following links ({os.strerror(err.errno or 0)}): left alone"


def _same(st: os.stat_result, scanned: os.stat_result) -> bool:
    return (st.st_dev, st.st_ino) == (scanned.st_dev, scanned.st_ino)


def _apply(fd: int, name: Optional[str], st: os.stat_result, uid: int, gid: int, owner_wrong: bool,
           want_mode: Optional[int]) -> Optional[str]:
    """Change owner and/or mode of one entry without following a link. None, or why it was left alone.

    `fd` is the entry's own descriptor (name None: a directory already opened with O_NOFOLLOW and
    checked against the scan) or its directory's (name set, `st` the scan's lstat of it).
    """
    if name is None:
        if owner_wrong:
            os.fchown(fd, uid, gid)
        if want_mode is not None:
            os.fchmod(fd, want_mode)
        return None
    if stat.S_ISLNK(st.st_mode):
        # the link itself (lchown); a link never gets a mode
        if owner_wrong:
            os.chown(name, uid, gid, dir_fd=fd, follow_symlinks=False)
        return None
    try:
        now = os.stat(name, dir_fd=fd, follow_symlinks=False)
    except FileNotFoundError:
        return "removed since the scan"
    if stat.S_ISLNK(now.st_mode):
        return "replaced by a symbolic link since the scan: not followed, left alone"
    if not _same(now, st) or stat.S_IFMT(now.st_mode) != stat.S_IFMT(st.st_mode):
        return "replaced by another file since the scan: left alone"
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
        # a socket cannot be opened: lchown, which changes a link swapped in since, never its target
        if owner_wrong:
            os.chown(name, uid, gid, dir_fd=fd, follow_symlinks=False)
        return None
    try:
        efd = os.open(name, OPEN_ENTRY, dir_fd=fd)
    except OSError as e:
        if e.errno in (errno.ELOOP, errno.ENOENT):
            return _replaced_reason(e, "", fd, name)
        raise
    try:
        if not _same(os.fstat(efd), st):
            return "replaced by another file since the scan: left alone"
        if owner_wrong:
            os.fchown(efd, uid, gid)
        if want_mode is not None:
            os.fchmod(efd, want_mode)
    finally:
        os.close(efd)
    return None


def _fix(res, fd, name, rel, st, uid, gid, want_mode, is_dir, check_mode, selinux, root):
    """Repair one entry: `fd` is its own descriptor (name None) or its directory's (name set)."""
    before = []
    after = []
    owner_wrong = st.st_uid != uid or st.st_gid != gid
    mode = stat.S_IMODE(st.st_mode)
    mode_wrong = want_mode is not None and mode != want_mode
    context = None
    if selinux is not None:
        full = root if not rel and name is None else os.path.join(root, rel if name is None else
                                                                  (rel + "/" + name if rel else name))
        context = selinux.get(full)
        parts = context.split(":") if context else []
        setype_wrong = len(parts) >= 3 and parts[2] != selinux.setype
    else:
        setype_wrong = False
    if not (owner_wrong or mode_wrong or setype_wrong):
        return
    shown = (rel + "/" + name if rel else name) if name is not None else (rel or ".")
    if not check_mode and (owner_wrong or mode_wrong):
        why = _apply(fd, name, st, uid, gid, owner_wrong, want_mode if mode_wrong else None)
        if why is not None:
            res.not_repaired.append((shown, why))
            return
    if owner_wrong:
        res.counts["owner"] += 1
        before.append(f"owner {st.st_uid}:{st.st_gid}")
        after.append(f"owner {uid}:{gid}")
    if mode_wrong:
        res.counts["dir_mode" if is_dir else "file_mode"] += 1
        before.append(f"mode {mode:04o}")
        after.append(f"mode {want_mode:04o}")
    if setype_wrong:
        res.counts["setype"] += 1
        parts[2] = selinux.setype
        before.append("setype {}".format(context.split(":")[2]))
        after.append(f"setype {selinux.setype}")
        if not check_mode:
            selinux.set(full, ":".join(parts))
    res.changed_paths += 1
    if len(res.samples) < res.sample_size:
        res.samples.append((shown, ", ".join(before), ", ".join(after)))


def summary(res, owner_name, group_name):
    """(before, after) texts for diff mode: counts by kind and the first paths."""
    c = res.counts
    head = (f"# {res.changed_paths} paths to change: owner {c['owner']}, directory mode {c['dir_mode']}, "
            f"file mode {c['file_mode']}, SELinux type {c['setype']} "
            f"(owner and group wanted: {owner_name}:{group_name})\n")
    before = [head]
    after = [head]
    for shown, b, a in res.samples:
        before.append(f"{shown}: {b}\n")
        after.append(f"{shown}: {a}\n")
    rest = res.changed_paths - len(res.samples)
    if rest > 0:
        before.append(f"... and {rest} more\n")
        after.append(f"... and {rest} more\n")
    return "".join(before), "".join(after)


class _SELinux:
    def __init__(self, lib, setype):
        self.lib = lib
        self.setype = setype

    def get(self, path):
        rc, con = self.lib.lgetfilecon_raw(path)
        return con if rc >= 0 else None

    def set(self, path, context):
        self.lib.lsetfilecon(path, context)


def selinux_backend(setype):
    try:
        # Ansible's own binding of libselinux, imported only where SELinux is asked for.
        from ansible.module_utils.compat import selinux  # pylint: disable=import-outside-toplevel
    except (ImportError, OSError):
        return None
    try:
        if selinux.is_selinux_enabled() != 1:
            return None
    except Exception:  # pylint: disable=broad-except
        return None
    return _SELinux(selinux, setype)
