#!/usr/bin/python
# Copyright: tiersplit developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
---
module: host_probe
short_description: Read what a migration needs to know of one host, in one module run
version_added: "0.3.0"
description:
  - Reads, without changing anything, the facts of one host that the datadir_migration role's state,
    recovery and preflight steps need. Small files (stage records, notes, markers, pid files), whether
    paths exist, the directories in a directory, sizes as C(du -sb) counts them, free space and mount
    points, whether a file holds a text, TCP reachability, the MySQL-compatible server's version and
    global variables through its C(mysql) client, and the server binary's version.
  - Each of these used to be a task of its own, a module run each. Every option is a mapping from a
    name of the caller's choice to what to read; the result uses the same names.
  - A server that does not answer is not an error (in RV(server), C(answered) is false and C(error) says
    why); the caller decides.
author:
  - tiersplit developers (@tiersplit)
options:
  files:
    description:
      - Name to path of a file to read as text (up to 16 MiB). Null in RV(files) when it does not exist.
    type: dict
    default: {}
  exists:
    description:
      - Name to path whose existence to report (a dangling symbolic link exists).
    type: dict
    default: {}
  subdirs:
    description:
      - Name to path of a directory whose directories to list (names, sorted). Null when it does not exist.
    type: dict
    default: {}
  sizes:
    description:
      - Name to path whose apparent size in bytes to report, everything below it counted (C(du -sb)); 0 when
        it does not exist.
    type: dict
    default: {}
  free:
    description:
      - Name to path of a directory whose filesystem's available bytes to report (C(df --output=avail)).
    type: dict
    default: {}
  mountpoints:
    description:
      - Name to path to report whether it is a mount point.
    type: dict
    default: {}
  contains:
    description:
      - Name to a mapping with C(path) and C(text). Reports whether the file holds the text (false when it does
        not exist).
    type: dict
    default: {}
  reachable:
    description:
      - Name to a mapping with C(host) and C(port). Reports whether a TCP connection opens within O(timeout).
    type: dict
    default: {}
  timeout:
    description:
      - Seconds to wait for each connection of O(reachable).
    type: float
    default: 5
  mysql_variables:
    description:
      - Global variables to read from the server through the C(mysql) client (as the remote user, which
        root's socket authentication lets in), with its version and version comment. Empty reads nothing.
    type: list
    elements: str
    default: []
  mysql_socket:
    description:
      - The server's socket for the C(mysql) client; empty for the client's default.
    type: str
    default: ''
  datadir:
    description:
      - With O(mysql_variables), the datadir whose size to report in RV(server) (C(datadir_bytes)). Empty for the
        server's own C(datadir) variable (when O(mysql_variables) names it).
    type: str
    default: ''
  mysql_accounts:
    description:
      - With O(mysql_variables), report the server's accounts (user, host, whether locked; never a secret) in
        RV(server) (C(accounts)).
    type: bool
    default: false
  packages:
    description:
      - Debian packages whose installed state to report in RV(packages) (read with C(dpkg-query)).
    type: list
    elements: str
    default: []
  server_binary:
    description:
      - Report the first line of C(mariadbd --version), or else of C(mysqld --version), in RV(binary).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Only reads; the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so no diff.
  idempotent:
    support: full
    description: Reads only.
"""

EXAMPLES = r"""
- name: What the target holds
  tiersplit.maintenance.host_probe:
    files:
      stage: /var/lib/tiersplit/datadir-migration/app-to-db/stage1.json
    subdirs:
      datadir: /srv/mysql/data
    free:
      datadir: /srv/mysql
    server_binary: true
  register: probe
"""

RETURN = r"""
files:
  description: Name to the file's text, or null when it does not exist.
  returned: always
  type: dict
exists:
  description: Name to whether the path exists.
  returned: always
  type: dict
subdirs:
  description: Name to the sorted names of the directories in it, or null when it does not exist.
  returned: always
  type: dict
sizes:
  description: Name to bytes.
  returned: always
  type: dict
free:
  description: Name to available bytes.
  returned: always
  type: dict
mountpoints:
  description: Name to whether the path is a mount point.
  returned: always
  type: dict
contains:
  description: Name to whether the file holds the text.
  returned: always
  type: dict
reachable:
  description: Name to whether the connection opened.
  returned: always
  type: dict
packages:
  description: The packages of O(packages) that are installed.
  returned: always
  type: list
  elements: str
server:
  description:
    - The server as its mysql client reads it; keys C(answered), C(error), C(flavor) (mariadb, percona, mysql),
      C(version), C(version_number) (x.y.z), C(version_comment), C(settings) (the variables asked for),
      C(datadir) and C(datadir_bytes) (when known), C(accounts) (with O(mysql_accounts)).
  returned: when mysql_variables is not empty
  type: dict
binary:
  description:
    - The server binary's C(--version) line as C(text), with C(flavor) and C(version_number).
    - Empty text when neither binary runs.
  returned: when server_binary is true
  type: dict
"""

import os  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.common.text.converters import to_native  # noqa: E402
from ansible_collections.tiersplit.maintenance.plugins.module_utils import probe  # noqa: E402


def _server(module):
    p = module.params
    argv = [module.get_bin_path("mysql", required=True)]
    if p["mysql_socket"]:
        argv.append("--socket=" + p["mysql_socket"])
    argv += ["-NB", "-e"]
    rc, out, err = module.run_command([*argv, probe.server_sql(p["mysql_variables"])])
    if rc != 0:
        return {"answered": False, "error": (err or out).strip()}
    server = probe.parse_server(out)
    server.update(answered=True, error="")
    if p["mysql_accounts"]:
        rc, out, err = module.run_command([*argv, probe.accounts_sql(server["flavor"])])
        if rc != 0:
            return dict(server, answered=False, error="reading the accounts: " + (err or out).strip())
        server["accounts"] = probe.parse_accounts(out)
    datadir = p["datadir"] or server["settings"].get("datadir")
    if datadir:
        server["datadir"] = datadir.rstrip("/") or "/"
        server["datadir_bytes"] = probe.size_bytes(server["datadir"])
    return server


def _binary(module):
    for name in ("mariadbd", "mysqld"):
        # The first on PATH, as a shell finds it (ansible adds the sbin directories after PATH).
        path = module.get_bin_path(name)
        if path:
            rc, out, _err = module.run_command([path, "--version"])
            line = out.strip().splitlines()[0] if rc == 0 and out.strip() else ""
            if line:
                return {"text": line, "flavor": probe.flavor_of(line), "version_number": probe.version_number(line)}
    return {"text": "", "flavor": "", "version_number": ""}


def main():
    mapping = dict(type="dict", default={})
    module = AnsibleModule(
        argument_spec=dict(
            files=mapping, exists=mapping, subdirs=mapping, sizes=mapping, free=mapping,
            mountpoints=mapping, contains=mapping, reachable=mapping,
            timeout=dict(type="float", default=5),
            mysql_variables=dict(type="list", elements="str", default=[]),
            mysql_socket=dict(type="str", default=""),
            datadir=dict(type="str", default=""),
            mysql_accounts=dict(type="bool", default=False),
            packages=dict(type="list", elements="str", default=[]),
            server_binary=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        result = {
            "files": {k: probe.read_file(v) for k, v in p["files"].items()},
            "exists": {k: os.path.lexists(v) for k, v in p["exists"].items()},
            "subdirs": {k: probe.subdirs(v) for k, v in p["subdirs"].items()},
            "sizes": {k: probe.size_bytes(v) for k, v in p["sizes"].items()},
            "free": {k: probe.free_bytes(v) for k, v in p["free"].items()},
            "mountpoints": {k: os.path.ismount(v) for k, v in p["mountpoints"].items()},
            "contains": {k: probe.contains(v["path"], v["text"]) for k, v in p["contains"].items()},
            "reachable": {k: probe.reachable(v["host"], v["port"], p["timeout"]) for k, v in p["reachable"].items()},
            "packages": probe.installed_packages(p["packages"]),
        }
        if p["mysql_variables"]:
            result["server"] = _server(module)
        if p["server_binary"]:
            result["binary"] = _binary(module)
    except (OSError, ValueError, KeyError) as exc:
        module.fail_json(msg=f"Reading the host failed: {to_native(exc)}")
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
