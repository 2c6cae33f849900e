#!/usr/bin/python
# Copyright: tiersplit developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
---
module: target_cutover
short_description: Prove, install, start and verify a copied MySQL/MariaDB data directory in one call
version_added: "0.3.0"
description:
  - Runs, on the target host of a physical migration (role C(tiersplit.maintenance.datadir_migration),
    methods C(cold) and C(rsync)), the target's part of the downtime window as one call.
  - "In order: flushes the copy to disk (C(syncfs)) and proves it byte for byte against O(reference_digests)
    (the digests M(tiersplit.maintenance.source_window) read from the stopped source; nothing is touched
    when they differ); repairs owners and modes of the copy; stops the target server; keeps the target's
    data directory as O(before) and renames the copy into place; starts the server; fails on an
    C([ERROR]) line of its log since the start; and compares the server's inventory with
    O(reference_manifest); then creates again the target's own accounts exported to O(keep_accounts_file)
    (M(tiersplit.maintenance.kept_accounts)) that the copy does not have; then carries out
    O(decisions) on the source's accounts the copy brought."
  - "With accounts decided V(drop) or V(rescope) in O(decisions), the server's first start on the copy runs an
    C(init_file) (O(fence_sql), named by the drop-in O(fence_cnf)) that locks them before the server accepts its first
    connection: none of them can log in from the network before the decisions are carried out, and a
    failed cutover leaves them locked. Both files are removed once the server answers."
  - The result holds the time of each step; C(times.verified) is when the verified target could accept
    its first write.
  - "With O(prepare), before the window: only stops the target server, flushes the copy so far to disk and,
    with O(digest_cache), writes there the digest of each of its files that has not changed for a few seconds,
    with what identifies the version read (size, modification and change times, inode). The window's call
    then reads again only the files whose identity differs (those the final pass wrote): the proof still
    covers every byte, as a file cannot change without its change time."
  - "With O(record), the last step writes the run's record on the target (the file a rerun reads to find
    the stage complete): O(record.report) completed with this call's comparison, accounts, proof and times,
    written beside its path, flushed and renamed over it. A caller may switch its applications to the
    target the moment this call returns: the record already stands. In stage 1 it first writes the
    inventory of O(record.dev_manifest.schemas) (every row counted and checksummed)."
author:
  - tiersplit developers (@tiersplit)
extends_documentation_fragment:
  - tiersplit.maintenance.mysql_login
  - tiersplit.maintenance.account_decisions
options:
  incoming:
    description: The copy (a directory beside O(datadir)).
    type: path
    required: true
  datadir:
    description: The target server's data directory.
    type: path
    required: true
  before:
    description: Where the target's data directory is kept when the copy takes its place.
    type: path
    required: true
  ours:
    description: The data directory is this migration's own copy from an earlier attempt (it may be replaced).
    type: bool
    default: false
  reference_digests:
    description: Digests of the stopped source (C(digests) of M(tiersplit.maintenance.source_window)).
    type: dict
  digest_exclude:
    description: Paths relative to the copy left out of the digests (the migration's marker).
    type: list
    elements: str
    default: []
  service:
    description: The target server's systemd unit.
    type: str
    required: true
  remove_auto_cnf:
    description: Remove C(auto.cnf) from the copy (MySQL/Percona C(server_uuid)) when the source keeps running.
    type: bool
    default: false
  owner:
    description: Owner of every entry of the copy.
    type: str
    default: mysql
  group:
    description: Group of every entry of the copy.
    type: str
    default: mysql
  dir_mode:
    description: Mode of directories.
    type: raw
    default: "0750"
  file_mode:
    description: Mode of files.
    type: raw
    default: "0640"
  setype:
    description: SELinux type of every entry, where SELinux is enabled.
    type: str
    default: mysqld_db_t
  error_log_ignore:
    description: Regular expressions of C([ERROR]) lines that do not stop the cutover.
    type: list
    elements: str
    default: []
  start_timeout:
    description: Seconds to wait for the server to answer after its start.
    type: int
    default: 300
  reference_manifest:
    description:
      - The source's inventory taken with writes refused (C(manifest) of M(tiersplit.maintenance.source_window)).
        Compared without row counts and checksums (the files proved the rows).
    type: dict
  compare_ignore:
    description: Inventory paths that may differ (settings, the version string, carried schemas).
    type: list
    elements: str
    default: []
  keep_accounts_file:
    description:
      - An export of the target's own accounts made before the window (M(tiersplit.maintenance.kept_accounts));
        the accounts it holds that the copy does not have are created again once the inventories compared equal.
    type: path
  prepare:
    description: Before the window (see the description); nothing but the server's stop, the flush and O(digest_cache).
    type: bool
    default: false
  digest_cache:
    description:
      - Digests of the copy's files as O(prepare) read them; read by the window's call when it exists (an entry whose
        file changed since is read again).
    type: path
  record:
    description: The run's record, written once the target is verified and starts at boot.
    type: dict
    suboptions:
      path:
        description: The record's file on the target.
        type: path
        required: true
      report:
        description:
          - The run's report as the role rendered it before this call; C(verification) (differences, equal,
            target_own_accounts, accounts_reconciled, proof's equal and target_times), C(run_seconds) and
            C(completed_utc) are filled in by this call, and C(downtime)'s end with O(record.accepted_from_target).
        type: dict
        required: true
      started:
        description: Epoch seconds when the run started (for C(run_seconds)).
        type: float
        required: true
      accepted_from_target:
        description: The verified target accepts the next write (stage 2); stage 1's source accepted it already.
        type: bool
        default: false
      mode:
        description: Mode of the record and of the inventory.
        type: raw
        default: "0600"
      dev_manifest:
        description: Stage 1, the development schemas' inventory written before the record.
        type: dict
        suboptions:
          path:
            description: Its file.
            type: path
            required: true
          schemas:
            description: The schemas.
            type: list
            elements: str
            required: true
  fence_cnf:
    description: The server's configuration drop-in that names O(fence_sql) as C(init_file) for the first start.
    type: path
  fence_sql:
    description: The fence's statements, readable by O(group).
    type: path
notes:
  - Requires PyMySQL on the target host.
attributes:
  check_mode:
    support: none
    description: The role does not call it in check mode.
  diff_mode:
    support: none
    description: Nothing to show as a diff; the result holds the times and figures.
  idempotent:
    support: none
    description: Every call stops and starts the target server.
"""

EXAMPLES = r"""
- name: The target's part of the window
  tiersplit.maintenance.target_cutover:
    incoming: /var/lib/mysql.tiersplit-incoming
    datadir: /var/lib/mysql
    before: /var/lib/mysql.tiersplit-before-stage2
    service: mariadb
    reference_digests: "{{ window.digests }}"
    reference_manifest: "{{ window.manifest }}"
    digest_exclude: [.tiersplit-migration]
    compare_ignore: [settings, server.version, server.version_comment]
"""

RETURN = r"""
times:
  description:
    - Epoch seconds of each step (called, synced, digests_read, proven, permissions, stopped, swapped, started,
      answers, verified, accounts_kept, accounts_reconciled, recorded).
  returned: always
  type: dict
digest_summary:
  description: Entries, files, bytes and one digest over the copy.
  returned: when reference_digests is given
  type: dict
swap:
  description: What the swap did.
  returned: success
  type: list
permissions:
  description: Counts of what the owner and mode repair changed.
  returned: success
  type: dict
differences:
  description: Differences between the inventories (empty when equal); or the first 50 differing files.
  returned: when a comparison ran
  type: list
kept_accounts:
  description: The target's own accounts created again from O(keep_accounts_file), as 'user'@'host'.
  returned: success
  type: list
  elements: str
fenced:
  description: The accounts locked at the first start, as 'user'@'host'.
  returned: success
  type: list
  elements: str
accounts_reconciled:
  description: The accounts dropped and made (rescope) as O(decisions) decided (keys C(dropped), C(created)).
  returned: success
  type: dict
errors:
  description: The [ERROR] lines of the server's log since its start.
  returned: when the server logged errors
  type: list
digests_reused:
  description: Files whose digest came from O(digest_cache) (unchanged since O(prepare) read them).
  returned: when reference_digests is given
  type: int
digests_kept:
  description: With O(prepare) and O(digest_cache), the files whose digests were kept.
  returned: with O(prepare) and O(digest_cache)
  type: int
record:
  description: The record as written (O(record.report) completed).
  returned: when record is given
  type: dict
failed_step:
  description: The step that failed.
  returned: failure
  type: str
"""

import contextlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.common.text.converters import to_native  # noqa: E402
from ansible_collections.tiersplit.maintenance.plugins.module_utils import (  # noqa: E402
    accounts,
    baseline,
    datadir,
    hostsetup,
    mysqlconn,
)
from ansible_collections.tiersplit.maintenance.plugins.module_utils import manifest as mf  # noqa: E402
from ansible_collections.tiersplit.maintenance.plugins.module_utils import window as win  # noqa: E402


class Cutover:
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.result = dict(changed=False, times={"called": time.time()})
        self.step = None

    def fail(self, msg, **extra):
        self.result.update(extra)
        self.module.fail_json(msg=f"{self.step}: {msg}", failed_step=self.step, **self.result)

    def mark(self, name):
        self.result["times"][name] = time.time()

    def systemctl(self, *args):
        rc, out, err = self.module.run_command(["systemctl", *args])
        if rc != 0:
            self.fail("systemctl {} failed (exit {}): {}".format(" ".join(args), rc, (err or out).strip()))

    def prove(self):
        p = self.p
        self.step = "the copy flushed to disk"
        # The flush and the digests run at the same time: the digests read the copy from the page cache.
        box = {}

        def flush():
            try:
                box["call"] = win.syncfs(p["incoming"])
            except OSError as e:
                box["error"] = to_native(e)
            box["done"] = time.time()
        flusher = threading.Thread(target=flush)
        flusher.start()
        digests = None
        error = None
        if p["reference_digests"] is not None:
            counts = {}
            try:
                digests = win.tree_digests(p["incoming"], exclude=p["digest_exclude"], cache=self.read_cache(),
                                           counts=counts)
            except OSError as e:
                error = to_native(e)
            self.result["digests_reused"] = counts.get("reused", 0)
            self.mark("digests_read")
        flusher.join()
        if "error" in box:
            self.fail(box["error"])
        self.result["sync_call"] = box["call"]
        self.result["times"]["synced"] = box["done"]
        if p["reference_digests"] is None:
            return
        self.step = "the copy is the stopped source byte for byte"
        if error:
            self.fail(f"cannot read the copy: {error}")
        self.result["digest_summary"] = win.digest_summary(digests)
        diffs = win.compare_digests(p["reference_digests"], digests)
        self.mark("proven")
        if diffs:
            listed = ", ".join("{} ({})".format(d["path"], d["kind"]) for d in diffs[:10])
            self.fail(f"{p['incoming']} differs from the stopped source in {len(diffs)} entries, first: {listed}. "
                      "The target was not touched.", differences=diffs[:50])

    def read_cache(self):
        path = self.p["digest_cache"]
        if not path:
            return {}
        try:
            with open(path, encoding="utf-8") as f:
                cache = json.load(f)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as e:
            self.module.warn(f"{path} is not readable, every file is read again: {to_native(e)}")
            return {}
        return cache if isinstance(cache, dict) else {}

    def prepare(self):
        """Before the window: the server stopped, the copy so far flushed, its digests kept."""
        p = self.p
        self.step = "stop the target server"
        rc, _out, _err = self.module.run_command(["systemctl", "is-active", "--quiet", p["service"]])
        if rc == 0:
            self.systemctl("stop", p["service"])
            self.result["changed"] = True
        self.mark("stopped")
        if not p["digest_cache"] or not os.path.isdir(p["incoming"]):
            self.module.exit_json(**self.result)
        self.step = "the copy so far flushed to disk and its digests kept"
        cache = {}
        try:
            self.result["sync_call"] = win.syncfs(p["incoming"])
            self.mark("synced")
            win.tree_digests(p["incoming"], exclude=p["digest_exclude"], cache=self.read_cache(), cache_out=cache)
            hostsetup.ensure_file(p["digest_cache"], json.dumps(cache, sort_keys=True), 0o600)
        except (OSError, hostsetup.SetupError) as e:
            self.fail(to_native(e))
        self.result["digests_kept"] = len(cache)
        self.mark("digests_kept")
        self.module.exit_json(**self.result)

    def permissions(self):
        p = self.p
        self.step = "owners and modes of the copy"
        try:
            uid, gid = datadir.uid_of(p["owner"]), datadir.gid_of(p["group"])
            root = datadir.check_root(p["incoming"], datadir.home_directories(exclude_user=p["owner"]))
            res = datadir.repair(root, uid, gid, datadir.parse_mode(p["dir_mode"], "dir_mode"),
                                 datadir.parse_mode(p["file_mode"], "file_mode"),
                                 selinux=datadir.selinux_backend(p["setype"]), sample_size=0)
        except (KeyError, ValueError, OSError, datadir.UnsafeRoot) as e:
            self.fail(to_native(e))
        self.result["permissions"] = res.as_dict()
        self.mark("permissions")

    def install(self):
        p = self.p
        self.step = "stop the target server"
        self.systemctl("stop", p["service"])
        self.mark("stopped")
        self.result["changed"] = True
        self.step = "put the copy in place"
        try:
            self.result["swap"] = win.swap_in(p["incoming"], p["datadir"], p["before"], p["ours"], shutil.rmtree)
        except (OSError, RuntimeError) as e:
            self.fail(to_native(e))
        if p["remove_auto_cnf"]:
            try:
                os.unlink(os.path.join(p["datadir"], "auto.cnf"))
                self.result["swap"].append("removed auto.cnf")
            except FileNotFoundError:
                pass
        self.mark("swapped")

    def fence_files(self):
        return [path for path in (self.p["fence_cnf"], self.p["fence_sql"]) if path]

    def unfence(self):
        for path in self.fence_files():
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)

    def fence(self):
        """The first start locks the accounts decided drop or rescope, before it accepts a connection."""
        p = self.p
        self.unfence()  # one a killed run left
        self.result["fenced"] = [accounts.quote_account(u, h) for u, h in baseline.fenced(p["decisions"])]
        if not self.result["fenced"]:
            return
        self.step = "the fence of the accounts decided drop or rescope"
        if not (p["fence_cnf"] and p["fence_sql"]):
            self.fail("accounts decided drop or rescope need fence_cnf and fence_sql")
        try:
            win.write_file(p["fence_sql"], baseline.fence_sql(p["decisions"]), 0o640, gid=datadir.gid_of(p["group"]))
            cnf = f"# tiersplit: removed once the server answers\n[mysqld]\ninit_file = {p['fence_sql']}\n"
            win.write_file(p["fence_cnf"], cnf, 0o644)
        except (KeyError, OSError) as e:
            self.unfence()
            self.fail(to_native(e))
        self.mark("fenced")

    def start(self):
        p = self.p
        self.fence()
        self.step = "Start the target server"
        since = int(time.time())
        # Started now; enabled at boot once verified (systemctl enable reloads
        # the unit files: seconds that need not be downtime).
        try:
            self.systemctl("start", p["service"])
            self.mark("started")
            try:
                conn = mysqlconn.wait_for_server(p, p["start_timeout"])
            except RuntimeError as e:
                self.fail(to_native(e))
        finally:  # the fence ran at the start: later starts are the server's own
            self.unfence()
        self.mark("answers")
        self.step = "The target started without errors"
        lines = []
        rc, out, _err = self.module.run_command(["journalctl", "-u", p["service"], "--since", f"@{since}",
                                                 "-o", "cat", "--no-pager"])
        if rc == 0:
            lines.extend(out.splitlines())
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT @@log_error")
                log_error = cur.fetchone()[0]
            if log_error and log_error.startswith("/"):
                with open(log_error, errors="replace") as f:
                    lines.extend(f.readlines()[-500:])
        except Exception:  # pylint: disable=broad-except
            pass
        errors = win.log_errors(lines, p["error_log_ignore"])
        if errors:
            conn.close()
            self.fail(f"the target server logged errors after the copy: {errors[:10]}. Fix the cause (or list a "
                      "regular expression for an error you accept in datadir_migration_error_log_ignore) and run "
                      "again.", errors=errors[:50])
        return conn

    def verify(self, conn):
        p = self.p
        if p["reference_manifest"] is None:
            return
        self.step = "the target's inventory equals the source's"
        current = mf.collect(conn, checksums=False, row_counts=False, users=True)
        diffs = mf.compare(p["reference_manifest"], current, ignore=p["compare_ignore"])
        self.result["differences"] = diffs
        if diffs:
            self.fail(f"the target differs from the source: {diffs[:20]}. No cutover.")
        self.mark("verified")

    def keep_accounts(self, conn):
        """The target's own accounts the copy replaced, created again (after the comparison)."""
        path = self.p["keep_accounts_file"]
        self.result["kept_accounts"] = []
        if not path:
            return
        self.step = "the target's own accounts created again"
        try:
            exported = accounts.read(path)
            with conn.cursor() as cur:
                self.result["kept_accounts"] = accounts.restore(cur, exported)
        except Exception as e:  # pylint: disable=broad-except
            self.fail(f"{to_native(e)} (the export {path}; the copy runs, without these accounts)")
        self.mark("accounts_kept")

    def reconcile(self, conn):
        """The source's flagged accounts as the user decided: rescoped, dropped (the fence locked them)."""
        p = self.p
        self.result["accounts_reconciled"] = dict(dropped=[], created=[])
        if not p["decisions"]:
            return
        self.step = "the source's accounts as decided"
        try:
            with conn.cursor() as cur:
                reviewed = baseline.review(accounts.list_accounts(cur), p["decisions"], p["managed_users"])
                if reviewed["errors"]:
                    self.fail("; ".join(reviewed["errors"])
                              + " (the copy runs; the accounts decided drop or rescope stay locked)")
                dropped, created = baseline.carry_out(cur, reviewed["todo"], unlock=p["unlock_copies_of"])
        except Exception as e:  # pylint: disable=broad-except
            self.fail(f"{to_native(e)} (the copy runs; the accounts decided drop or rescope stay locked)")
        self.result["accounts_reconciled"] = dict(dropped=dropped, created=created)
        self.mark("accounts_reconciled")

    def dev_manifest(self, conn):
        """Stage 1: the development schemas as the copy has them, for stage 2's check of the target's writes."""
        spec = (self.p["record"] or {}).get("dev_manifest")
        if not spec or not spec["schemas"]:
            return None
        self.step = "the inventory of the development schemas"
        try:
            return json.dumps(mf.collect(conn, schemas=spec["schemas"], users=False), sort_keys=True)
        except Exception as e:  # pylint: disable=broad-except
            self.fail(to_native(e))

    def write_record(self, dev_manifest):
        spec = self.p["record"]
        self.step = "the record of the completed stage"
        try:
            mode = datadir.parse_mode(spec["mode"], "record.mode")
            if dev_manifest is not None:
                hostsetup.ensure_file(spec["dev_manifest"]["path"], dev_manifest, mode)
            record = win.fill_record(spec["report"], self.result, spec["started"], spec["accepted_from_target"],
                                     time.time())
            hostsetup.ensure_file(spec["path"], json.dumps(record, indent=4, sort_keys=True) + "\n", mode)
        except (ValueError, OSError, KeyError, hostsetup.SetupError) as e:
            self.fail(to_native(e))
        self.result["record"] = record
        self.mark("recorded")

    def run(self):
        if self.p["prepare"]:
            self.prepare()
        self.prove()
        self.permissions()
        self.install()
        conn = self.start()
        dev_manifest = None
        try:  # the connection is closed once, here, also when a step fails (fail_json exits)
            self.verify(conn)
            self.keep_accounts(conn)
            self.reconcile(conn)
            dev_manifest = self.dev_manifest(conn)
        finally:
            conn.close()
        self.step = "the target server starts at boot"
        self.systemctl("enable", "--no-reload", self.p["service"])
        if self.p["record"]:
            self.write_record(dev_manifest)
        self.module.exit_json(**self.result)


def main():
    argument_spec = mysqlconn.login_argument_spec()
    argument_spec.update(
        incoming=dict(type="path", required=True),
        datadir=dict(type="path", required=True),
        before=dict(type="path", required=True),
        ours=dict(type="bool", default=False),
        reference_digests=dict(type="dict"),
        digest_exclude=dict(type="list", elements="str", default=[]),
        service=dict(type="str", required=True),
        remove_auto_cnf=dict(type="bool", default=False),
        owner=dict(type="str", default="mysql"),
        group=dict(type="str", default="mysql"),
        dir_mode=dict(type="raw", default="0750"),
        file_mode=dict(type="raw", default="0640"),
        setype=dict(type="str", default="mysqld_db_t"),
        error_log_ignore=dict(type="list", elements="str", default=[]),
        start_timeout=dict(type="int", default=300),
        reference_manifest=dict(type="dict"),
        compare_ignore=dict(type="list", elements="str", default=[]),
        keep_accounts_file=dict(type="path"),
        fence_cnf=dict(type="path"),
        fence_sql=dict(type="path"),
        prepare=dict(type="bool", default=False),
        digest_cache=dict(type="path"),
        record=dict(type="dict", options=dict(
            path=dict(type="path", required=True),
            report=dict(type="dict", required=True),
            started=dict(type="float", required=True),
            accepted_from_target=dict(type="bool", default=False),
            mode=dict(type="raw", default="0600"),
            dev_manifest=dict(type="dict", options=dict(
                path=dict(type="path", required=True),
                schemas=dict(type="list", elements="str", required=True),
            )),
        )),
    )
    argument_spec.update(baseline.decisions_argument_spec())
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=False)
    mysqlconn.require_pymysql(module)
    Cutover(module).run()


if __name__ == "__main__":
    main()
