#!/usr/bin/python
# Copyright: tiersplit developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
---
module: source_window
short_description: Run the source's downtime window of a physical MySQL/MariaDB migration in one call
version_added: "0.3.0"
description:
  - Runs, on the source host of a physical migration (methods C(cold) and C(rsync) of the role
    C(tiersplit.maintenance.datadir_migration)), the whole timed critical section as one call, so that
    the downtime costs no round trip between its steps.
  - "In order: writes a note of the settings to put back (O(note_path)), asks for a clean (slow)
    shutdown, refuses writes (C(read_only), the first refused write), takes the inventory of what the
    migration must preserve with writes refused (schemas, tables, views, triggers, routines, events,
    accounts and grants; no row counts or checksums: the rows are proven by the file digests), stops
    the server cleanly, runs the final copy (O(copy_command)) while it reads the digest of every file of
    the stopped datadir, and with O(serve_after) starts the source again and waits until it answers."
  - The per-file digests of the cleanly stopped datadir are returned so that the target can prove its
    copy byte for byte (module M(tiersplit.maintenance.target_cutover)).
  - On failure nothing is undone here; the result names the step and holds the settings to put back
    (the role's rescue and its rerun restore the source from them or from the note).
author:
  - tiersplit developers (@tiersplit)
extends_documentation_fragment:
  - tiersplit.maintenance.mysql_login
options:
  service:
    description: The source server's systemd unit.
    type: str
    required: true
  datadir:
    description: The source's data directory (digests are read from it once the server is stopped).
    type: path
    required: true
  copy_command:
    description:
      - The final copy, run with C(bash -o pipefail) once the server is stopped. Its exit status decides.
    type: str
    required: true
  copy_header:
    description: A line written to O(progress_log) when the copy starts (watchers key on it).
    type: str
    default: final copy
  progress_log:
    description: Log of the copy's progress on the source.
    type: path
    required: true
  pidfile:
    description: The copy's process id is written here while it runs (a rerun stops an orphaned copy).
    type: path
    required: true
  note_path:
    description: The source-held note, removed again only when the source serves again (O(serve_after)).
    type: path
    required: true
  serve_after:
    description: Start the source again after the copy (stage 1); otherwise it stays stopped (cutover).
    type: bool
    default: false
  digests:
    description: Read the digest of every file of the stopped datadir while the copy runs.
    type: bool
    default: true
  digest_exclude:
    description: Paths relative to O(datadir) left out of the digests (the migration's marker).
    type: list
    elements: str
    default: []
  digest_workers:
    description: Threads that read the digests.
    type: int
    default: 2
  shutdown_timeout:
    description: Seconds to wait for the clean shutdown.
    type: int
    default: 3600
  start_timeout:
    description: Seconds to wait for the source to answer again (O(serve_after)).
    type: int
    default: 120
  ready_timeout:
    description:
      - Seconds to wait for the source to answer before the window opens (a source that crashed during a live
        pass is back after its crash recovery).
    type: int
    default: 60
  exclude_schemas:
    description: Schemas left out of the inventory (the server's own).
    type: list
    elements: str
    default: [information_schema, performance_schema, sys, mysql]
  owner:
    description: Who holds the source (written into the note), for example the run's lock owner.
    type: str
notes:
  - Requires PyMySQL on the source host.
attributes:
  check_mode:
    support: none
    description: The window stops the source server; the role does not call it in check mode.
  diff_mode:
    support: none
    description: Nothing to show as a diff; the result holds the times and figures.
  idempotent:
    support: none
    description: Every call stops (and may restart) the source server.
"""

EXAMPLES = r"""
- name: The downtime window on the source
  tiersplit.maintenance.source_window:
    service: mariadb
    datadir: /var/lib/mysql
    copy_command: tar -C /var/lib/mysql -cf - . | ssh -i /root/key db 'receive-tar none'
    copy_header: "=== tar stream ==="
    progress_log: /var/log/tiersplit/datadir-migration.log
    pidfile: /run/tiersplit-migration.pid
    note_path: /var/lib/tiersplit/datadir-migration/app-to-db/source-held.json
    serve_after: true
  delegate_to: app
  register: window
"""

RETURN = r"""
times:
  description: Epoch seconds of each moment (first_refused_write, inventory_done, source_stopped,
    final_pass_start, final_pass_end, digests_done and, with serve_after, first_accepted_write).
  returned: always
  type: dict
source_settings:
  description: read_only and innodb_fast_shutdown before the window (what a restore puts back).
  returned: always
  type: dict
manifest:
  description: The inventory taken with writes refused (format of M(tiersplit.maintenance.mysql_manifest)).
  returned: success
  type: dict
digests:
  description: "{relative path: {type, size, digest}} of the stopped datadir."
  returned: success and digests
  type: dict
digest_summary:
  description: Entries, files, bytes and one digest over the whole tree.
  returned: success and digests
  type: dict
final_copy:
  description: rc, the end of the copy's output and the bytes rsync reports sent.
  returned: when the copy ran
  type: dict
steps:
  description: The steps begun, in order; on failure the last one failed.
  returned: always
  type: list
failed_step:
  description: The step that failed.
  returned: failure
  type: str
"""

import contextlib  # noqa: E402
import os  # noqa: E402
import shlex  # noqa: E402
import time  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.common.text.converters import to_native  # noqa: E402
from ansible_collections.tiersplit.maintenance.plugins.module_utils import manifest as mf  # noqa: E402
from ansible_collections.tiersplit.maintenance.plugins.module_utils import mysqlconn  # noqa: E402
from ansible_collections.tiersplit.maintenance.plugins.module_utils import window as win  # noqa: E402


class SourceHost:
    """The source as window.run_source_window() reaches it."""

    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.conn = None

    def _conn(self):
        if self.conn is None:
            self.conn = mysqlconn.connect_from_params(self.p)
        return self.conn

    def query(self, sql):
        with self._conn().cursor() as cur:
            cur.execute(sql)
            return list(cur.fetchall())

    def execute(self, sql):
        with self._conn().cursor() as cur:
            cur.execute(sql)

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None

    def manifest(self):
        return mf.collect(self._conn(), exclude_schemas=self.p["exclude_schemas"], checksums=False,
                          row_counts=False, users=True)

    def _systemctl(self, *args, timeout=None):
        cmd = ["systemctl", *list(args)]
        rc, out, err = self.module.run_command(cmd if timeout is None else ["timeout", str(timeout), *cmd])
        if rc != 0:
            raise RuntimeError("{} failed (exit {}): {}".format(" ".join(cmd), rc, (err or out).strip()))

    def stop_service(self, timeout):
        self._systemctl("stop", self.p["service"], timeout=timeout)

    def start_service(self):
        self._systemctl("start", self.p["service"])

    def wait_ready(self, timeout):
        try:
            mysqlconn.wait_for_server(self.p, timeout).close()
        except RuntimeError as e:
            raise RuntimeError(f"the source, after its start: {e}") from e

    def _log(self, line):
        log = self.p["progress_log"]
        os.makedirs(os.path.dirname(log), exist_ok=True)
        with open(log, "a") as f:
            f.write(line + "\n")

    def copy(self, command, header):
        self._log(header)
        pidfile = self.p["pidfile"]
        # The shell writes its own pid: a rerun after a killed run stops it and its children.
        script = f"echo $$ > {shlex.quote(pidfile)}\n{command}"
        rc, out, err = self.module.run_command(["/bin/bash", "-o", "pipefail", "-c", script])
        with contextlib.suppress(FileNotFoundError):
            os.unlink(pidfile)
        self._log("=== {} final copy exit {} ===".format(time.strftime("%Y-%m-%dT%H:%M:%S%z"), rc))
        return rc, (out or "") + (err or "")

    def digests(self):
        return win.tree_digests(self.p["datadir"], exclude=self.p["digest_exclude"], workers=self.p["digest_workers"])

    def write_note(self, note):
        win.write_private(self.p["note_path"], win.note_json(note))

    def remove_note(self):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.p["note_path"])


def main():
    argument_spec = mysqlconn.login_argument_spec()
    argument_spec.update(
        service=dict(type="str", required=True),
        datadir=dict(type="path", required=True),
        copy_command=dict(type="str", required=True),
        copy_header=dict(type="str", default="final copy"),
        progress_log=dict(type="path", required=True),
        pidfile=dict(type="path", required=True),
        note_path=dict(type="path", required=True),
        serve_after=dict(type="bool", default=False),
        digests=dict(type="bool", default=True),
        digest_exclude=dict(type="list", elements="str", default=[]),
        digest_workers=dict(type="int", default=2),
        shutdown_timeout=dict(type="int", default=3600),
        start_timeout=dict(type="int", default=120),
        ready_timeout=dict(type="int", default=60),
        exclude_schemas=dict(type="list", elements="str", default=list(mf.SYSTEM_SCHEMAS)),
        owner=dict(type="str"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=False)
    mysqlconn.require_pymysql(module)
    host = SourceHost(module)
    try:
        result = win.run_source_window(host, module.params)
    except win.WindowError as e:
        host.close()
        out = dict(e.result)
        out.pop("digests", None)
        module.fail_json(msg=f"{e.step}: {to_native(e)}", failed_step=e.step, changed=True, **out)
    module.exit_json(changed=True, **result)


if __name__ == "__main__":
    main()
