# Copyright: tiersplit developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only facts of one host for the datadir migration, gathered in one module run.

The role used to read them with one task each (a stat, a slurp, a find, a du, a df, a grep,
the mysql client, a tcp probe): each task is a module run, 0.3-1 s apiece. host_probe reads
all of a host's at once. Nothing here writes anything.

No Ansible import here: tests/unit tests it directly.
"""

import errno
import os
import re
import socket
import subprocess

# Notes, markers and stage records; a record larger than this is not a note of ours.
MAX_FILE_BYTES = 16 * 1024 * 1024

_VERSION_NUMBER = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+")


def flavor_of(text):
    """mariadb, percona or mysql, from a version string or a server binary's --version line."""
    low = text.lower()
    if "mariadb" in low:
        return "mariadb"
    if "percona" in low:
        return "percona"
    return "mysql"


def version_number(text):
    """The first x.y.z of a version text ('' when there is none)."""
    m = _VERSION_NUMBER.search(text or "")
    return m.group(0) if m else ""


def parse_server(stdout):
    """The mysql client's tab-separated answer (version, version_comment, then variables)."""
    values = {}
    for line in stdout.splitlines():
        if "\t" in line:
            name, value = line.split("\t", 1)
            values[name] = value
    version = values.pop("version", "")
    comment = values.pop("version_comment", "")
    return {
        "flavor": flavor_of(version + " " + comment),
        "version": version,
        "version_number": version_number(version) if re.match(r"^[0-9]", version) else "",
        "version_comment": comment,
        "settings": values,
    }


def server_sql(variables):
    """The statement that parse_server reads: the version, its comment and these global variables."""
    for name in variables:
        if not re.match(r"^[A-Za-z0-9_]+$", name):
            raise ValueError(f"not a variable name: {name!r}")
    names = "', '".join(variables)
    return ("SELECT 'version', @@version UNION ALL SELECT 'version_comment', @@version_comment; "
            f"SHOW GLOBAL VARIABLES WHERE Variable_name IN ('{names}')")


# Every account with whether it is locked, in the flavour's own table.
_ACCOUNTS_SQL = {
    "mariadb": "SELECT User, Host, IFNULL(JSON_VALUE(Priv, '$.account_locked'), 'false') FROM mysql.global_priv "
               "ORDER BY User, Host",
    "mysql": "SELECT User, Host, account_locked FROM mysql.user ORDER BY User, Host",
}
_BATCH_ESCAPES = {"\\": "\\", "t": "\t", "n": "\n", "0": "\0"}


def accounts_sql(flavor):
    """The statement that parse_accounts reads (MariaDB's, or MySQL's and Percona's)."""
    return _ACCOUNTS_SQL["mariadb" if flavor == "mariadb" else "mysql"]


def _unbatch(value):
    """A value of the mysql client's batch output (-B escapes backslash, tab, newline and NUL)."""
    return re.sub(r"\\(.)", lambda m: _BATCH_ESCAPES.get(m.group(1), m.group(1)), value)


def parse_accounts(stdout):
    """[{user, host, locked}] from the client's answer to accounts_sql."""
    out = []
    for line in stdout.splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            user, host, locked = (_unbatch(x) for x in parts)
            out.append({"user": user, "host": host, "locked": locked.strip().lower() in ("true", "1", "y")})
    return out


def read_file(path, limit=MAX_FILE_BYTES):
    """A file's text, or None when it does not exist (or is not a regular file)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except (IsADirectoryError, NotADirectoryError):
        return None
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise
    if len(data) > limit:
        raise ValueError(f"{path} is larger than {limit} bytes")
    return data.decode("utf-8", errors="replace")


def subdirs(path):
    """Names of the directories directly in path (symbolic links to directories too), sorted;
    None when path does not exist."""
    try:
        with os.scandir(path) as it:
            return sorted(e.name for e in it if e.is_dir())
    except FileNotFoundError:
        return None


def size_bytes(path):
    """Apparent size of path and everything below it, as `du -sb` counts it; 0 when it does not exist."""
    if not os.path.lexists(path):
        return 0
    out = subprocess.run(["du", "-sb", path], check=True, capture_output=True, text=True).stdout
    return int(out.split()[0])


def free_bytes(path):
    """Bytes available to an unprivileged writer on path's filesystem (what `df --output=avail` shows)."""
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def contains(path, text):
    """Whether the file holds text (False when it does not exist)."""
    content = read_file(path)
    return content is not None and text in content


def reachable(host, port, timeout):
    """Whether a TCP connection to host:port opens within timeout seconds."""
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            return True
    except OSError:
        return False


def installed_packages(names):
    """Which of these Debian packages dpkg reports as installed (a name it does not know is not)."""
    if not names:
        return []
    res = subprocess.run(["dpkg-query", "-W", "-f=${Package}\t${Status}\n", *names],
                         capture_output=True, text=True, check=False)
    found = []
    for line in res.stdout.splitlines():
        name, _tab, status = line.partition("\t")
        if status.endswith("install ok installed"):
            found.append(name.split(":", 1)[0])
    return sorted(n for n in set(found) if n in names)
