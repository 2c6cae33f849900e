#!/usr/bin/env python3
"""tiersplit benchmark suite: the measurements (bench/run.sh calls this; see docs/benchmarks.md).

Runs against the benchmark's lab copy (containers <lab>-app, <lab>-db, <lab>-worker). The
measurements of one lab are interleaved: run 1 of every step, then run 2 of every step, ...

  dump      (a) mysqldump on the source piped over ssh into mysql on the target (the 2018 attempt)
  mydumper  (a') mydumper (one thread per core) on the source into a directory, that directory over
                 the same ssh path onto the target's disk, myloader (one thread per core) on the target
  raw       (b) the stopped source datadir: tar over the same ssh path, extracted on the target's disk
                 (tar -x, then sync); and a plain local read (tar | cat > /dev/null)
  cold, rsync, replica
            (c) tiersplit.maintenance.datadir_migration: stage 1 (bench/migrate.yml), then the
                 cutover (bench/cutover.yml: stage 2 keeping the applications' accounts, the production
                 application rewired at once, then the accounts and modes again), under a writer on the
                 application host that follows the application's own settings (bench/writer.py)
  perms     (d) bench/datadir_permissions.py (module core vs chown -R + find -exec chmod)
  fixed     (e) one role run (bench/migrate.yml, method auto) on the default 2 MiB lab
  phases    (f) playbooks/phase1.yml + phase2.yml on a new default lab, then again with nothing to do

run.sh brings up one lab per size for a..c (+d once), a prepared default lab for e and a new default
lab for f, and calls this script once per lab with the same --out: results.json is merged, and
written after every measurement (a partial run keeps what it measured). bench/report.py turns it
into results.md and chart.png. Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LAB_STEPS = ["dump", "mydumper", "raw", "cold", "rsync", "replica"]
ALL_STEPS = [*LAB_STEPS, "perms", "fixed", "phases"]
METHODS = ["cold", "rsync", "replica"]
FRESH = "/var/lib/tiersplit-bench-fresh"
DATADIR = "/var/lib/mysql"
RAW_DIR = "/var/lib/tiersplit-bench-raw"
DUMP_DIR = "/var/tmp/tiersplit-bench-mydumper"
SSH_OPTS = "-c aes128-gcm@openssh.com -o Compression=no -o BatchMode=yes -o StrictHostKeyChecking=accept-new"
WRITER_TABLE = "tiersplit_bench_writer"
APP_ENV = "/var/www/production/.env"
APP_FACT = "/etc/ansible/facts.d/tiersplit_app.fact"
SCHEMAS = ["shop_development", "shop_production"]
# On the source: the role's binary logging drop-in (datadir_migration_enable_source_binlog) and the
# benchmark's own listen address for the replica step (replication needs the source's port reachable
# from the target; Debian's MariaDB binds 127.0.0.1, and the role leaves that decision to the user).
SOURCE_CNF_DIR = "/etc/mysql/mariadb.conf.d"
BINLOG_CNF = f"{SOURCE_CNF_DIR}/zz-tiersplit-source-binlog.cnf"
LISTEN_CNF = f"{SOURCE_CNF_DIR}/zz-tiersplit-bench-listen.cnf"


def log(msg: str) -> None:
    print(f"[bench {datetime.now().strftime('%H:%M:%S')}] {msg}", flush=True)


class Lab:
    def __init__(self, name: str) -> None:
        self.name = name

    def sh(self, host: str, script: str, check: bool = True, env: dict[str, str] | None = None,
           detach: bool = False) -> str:
        cmd = ["docker", "exec"]
        if detach:
            cmd.append("-d")
        for k, v in (env or {}).items():
            cmd += ["-e", f"{k}={v}"]
        cmd += [f"{self.name}-{host}", "bash", "-c", "set -eo pipefail\n" + script]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if check and res.returncode != 0:
            raise RuntimeError(f"{host}: exit {res.returncode}: {script[:200]!r}\n"
                               f"{res.stdout[-2000:]}{res.stderr[-2000:]}")
        return res.stdout

    def timed(self, host: str, script: str) -> float:
        """Run script on host, timed on the host itself (docker exec overhead excluded)."""
        out = self.sh(host, f"t0=$(date +%s.%N)\n{script}\nt1=$(date +%s.%N)\necho \"TIMED $t0 $t1\"")
        m = re.search(r"TIMED (\S+) (\S+)", out)
        if not m:
            raise RuntimeError(f"no timing in output of {script!r}: {out[-500:]}")
        return float(m.group(2)) - float(m.group(1))

    def sql(self, host: str, query: str) -> str:
        return self.sh(host, f"mysql -NB -e {shlex.quote(query)}")

    def copy_in(self, host: str, src: Path, dest: str) -> None:
        subprocess.run(["docker", "cp", str(src), f"{self.name}-{host}:{dest}"], check=True,
                       capture_output=True)


def summary(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    return {"n": len(values), "median": round(statistics.median(values), 3), "min": round(min(values), 3),
            "max": round(max(values), 3),
            "stdev": round(statistics.stdev(values), 3) if len(values) > 1 else 0.0,
            "values": [round(v, 3) for v in values]}


def machine_snapshot() -> dict[str, Any]:
    mem_kib = 0
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    kernel = subprocess.run(["uname", "-sr"], capture_output=True, text=True).stdout.strip()
    return {"nproc": os.cpu_count(), "mem_gib": round(mem_kib / 1048576, 1),
            "loadavg": os.getloadavg(), "kernel": kernel,
            "time_utc": datetime.now(timezone.utc).isoformat(timespec="seconds")}


Entry = tuple[int, float, bool, str]  # writer log line: seq, unix time, accepted, server (or error code)


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.lab = Lab(args.lab_name)
        self.out = Path(args.out).resolve()  # the role writes reports relative to the playbook otherwise
        (self.out / "logs").mkdir(parents=True, exist_ok=True)
        path = self.out / "results.json"
        self.results: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {
            "started_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "config": {"runs": args.runs, "lab": args.lab_name},
            "machine": {"start": machine_snapshot()}, "sizes": {}, "not_measured": {}}
        self.results.setdefault("sizes", {})
        self.results.setdefault("not_measured", {})
        self.size_key = str(args.size_mb) if args.size_mb else None
        self.seq_base = int(time.time()) * 100000  # unique writer sequence numbers across runs

    # ---- bookkeeping ----------------------------------------------------------------------------
    @property
    def size(self) -> dict[str, Any]:
        assert self.size_key is not None
        return self.results["sizes"].setdefault(self.size_key, {"measurements": {}, "not_measured": {}})

    def save(self) -> None:
        (self.out / "results.json").write_text(json.dumps(self.results, indent=2) + "\n")

    def not_measured(self, step: str, why: str, per_size: bool = True) -> None:
        log(f"{step}: not measured: {why}")
        where = self.size["not_measured"] if per_size and self.size_key else self.results["not_measured"]
        where[step] = why
        self.save()

    def playbook(self, playbook: str, *extra: str, log_name: str, timeout: float = 3600,
                 bench_vars: bool = True) -> tuple[int, float]:
        """Run a playbook (bounded: killed after timeout seconds, exit 124 then)."""
        cmd = ["ansible-playbook", playbook, *(["-e", f"@{HERE / 'vars.yml'}"] if bench_vars else []), *extra]
        t0 = time.monotonic()
        with open(self.out / "logs" / f"{log_name}.log", "w") as fh:
            try:
                rc = subprocess.run(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, timeout=timeout).returncode
            except subprocess.TimeoutExpired:
                fh.write(f"\nmsg: killed by the benchmark after {timeout:.0f} s\n")
                rc = 124
        return rc, time.monotonic() - t0

    # ---- lab state ------------------------------------------------------------------------------
    def wait_server(self, host: str) -> None:
        self.lab.sh(host, "for i in $(seq 1 120); do mysqladmin ping >/dev/null 2>&1 && exit 0; sleep 0.5; done; "
                          "echo 'server does not answer' >&2; exit 1")

    def source_up(self) -> None:
        self.lab.sh("app", "systemctl enable --now mariadb >/dev/null 2>&1")
        self.wait_server("app")
        self.lab.sql("app", "SET GLOBAL read_only = 0")

    def reset_source(self, method: str | None = None) -> None:
        """The application host as the lab made it, before any run: the production application's
        settings pointing at the local server again (a cutover rewired them), the local server
        running and writable with binary logging off (as Debian ships it), listening on all its
        addresses for the replica method only (replication needs the source's port; the role leaves
        that to the user)."""
        listen = method == "replica"
        listen_cnf = (f"printf '[mysqld]\\nbind_address = 0.0.0.0\\n' > {LISTEN_CNF}; chmod 0644 {LISTEN_CNF}"
                      if listen else f"rm -f {LISTEN_CNF}")
        self.lab.sh("app", f"""
cp -p {APP_ENV}.tiersplit-bench-pristine {APP_ENV}
rm -f {APP_FACT}
state="$(cat {BINLOG_CNF} 2>/dev/null; cat {LISTEN_CNF} 2>/dev/null; systemctl is-active mariadb || true)"
rm -f {BINLOG_CNF}
{listen_cnf}
new="$(cat {LISTEN_CNF} 2>/dev/null; echo active)"
if [ "$state" != "$new" ]; then systemctl restart mariadb; fi
""")
        self.source_up()
        if self.lab.sql("app", "SELECT @@global.log_bin").strip() != "0":
            raise RuntimeError("the source still has binary logging on after its reset")

    def reset_target(self) -> None:
        self.lab.sh("db", f"""
systemctl stop mariadb || true
rm -rf {DATADIR} {DATADIR}.tiersplit-incoming {DATADIR}.tiersplit-before-stage* /var/lib/tiersplit/datadir-migration \
  {RAW_DIR} {DUMP_DIR}
cp -a {FRESH} {DATADIR}
find /etc/mysql -name 'zz-tiersplit-*.cnf' -delete
systemctl start mariadb
""")
        self.wait_server("db")

    def dataset(self) -> None:
        q = ("SELECT ROUND(SUM(data_length + index_length)), SUM(table_rows) FROM information_schema.tables "
             "WHERE engine = 'InnoDB' AND table_schema IN ('shop_development', 'shop_production')")
        innodb_bytes, rows = self.lab.sql("app", q).split()
        datadir_bytes = int(self.lab.sh("app", f"du -sb {DATADIR} | cut -f1").strip())
        files = int(self.lab.sh("app", f"find {DATADIR} -type f | wc -l").strip())
        version = self.lab.sql("app", "SELECT VERSION()").strip()
        nproc = {h: int(self.lab.sh(h, "nproc").strip()) for h in ("app", "db")}
        self.size["dataset"] = {"innodb_bytes": int(innodb_bytes), "approx_rows": int(rows),
                                "datadir_bytes": datadir_bytes, "datadir_files": files, "server": version,
                                "schemas": SCHEMAS, "nproc": nproc,
                                "started_utc": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        log(f"dataset: {int(innodb_bytes) / 1048576:.0f} MiB InnoDB data+index, datadir "
            f"{datadir_bytes / 1048576:.0f} MiB, ~{rows} rows, {version}")
        self.save()

    # ---- (a) dump and reload --------------------------------------------------------------------
    def run_dump(self, r: int) -> dict[str, Any]:
        self.reset_target()
        self.reset_source()
        script = ("mysqldump --single-transaction --routines --events --triggers "
                  f"--databases {' '.join(SCHEMAS)} | tee >(wc -c > /tmp/bench-dump-bytes) "
                  f"| ssh {SSH_OPTS} root@db mysql")
        t = self.lab.timed("app", script)
        size = int(self.lab.sh("app", "sleep 0.5; cat /tmp/bench-dump-bytes").strip())
        log(f"dump and reload run {r + 1}: {t:.1f} s, {size / 1048576:.0f} MiB of SQL")
        return {"total_s": round(t, 3), "bytes": size}

    # ---- (a') mydumper / myloader ---------------------------------------------------------------
    def run_mydumper(self, r: int) -> dict[str, Any]:
        """mydumper runs where the data is (the source) and writes one file per table chunk into a
        directory; that directory goes to the target over the same ssh path; myloader loads it on the
        target through the local socket. Threads: the host's cores."""
        self.reset_target()
        self.reset_source()
        self.lab.sh("app", f"rm -rf {DUMP_DIR}")
        regex = "^(" + "|".join(SCHEMAS) + r")\."
        dump_s = self.lab.timed("app", f"mydumper --threads $(nproc) --outputdir {DUMP_DIR} "
                                       f"--regex '{regex}' --triggers --events --routines")
        size = int(self.lab.sh("app", f"du -sb {DUMP_DIR} | cut -f1").strip())
        copy_s = self.lab.timed("app", f"tar -C {DUMP_DIR} -cf - . | ssh {SSH_OPTS} root@db "
                                       f"'mkdir -p {DUMP_DIR} && tar -C {DUMP_DIR} -xf - && sync'")
        load_s = self.lab.timed("db", f"myloader --threads $(nproc) --directory {DUMP_DIR} --overwrite-tables")
        tables = int(self.lab.sql("db", "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema IN "
                                        "('shop_development', 'shop_production')").strip())
        self.lab.sh("app", f"rm -rf {DUMP_DIR}")
        self.lab.sh("db", f"rm -rf {DUMP_DIR}")
        total = dump_s + copy_s + load_s
        log(f"mydumper run {r + 1}: {total:.1f} s (dump {dump_s:.1f}, copy {copy_s:.1f}, load {load_s:.1f}), "
            f"{size / 1048576:.0f} MiB of files, {tables} tables on the target")
        return {"total_s": round(total, 3), "dump_s": round(dump_s, 3), "copy_s": round(copy_s, 3),
                "load_s": round(load_s, 3), "bytes": size, "tables_loaded": tables}

    # ---- (b) the raw limit ----------------------------------------------------------------------
    def run_raw(self, r: int) -> dict[str, Any]:
        self.reset_source()  # the datadir as the lab made it (after a cutover the source is stopped, disabled)
        self.lab.sh("app", "systemctl stop mariadb")
        try:
            self.lab.sh("db", f"rm -rf {RAW_DIR}")
            size = int(self.lab.sh("app", f"du -sb {DATADIR} | cut -f1").strip())
            ssh_t = self.lab.timed("app", f"tar -C {DATADIR} -cf - . | ssh {SSH_OPTS} root@db "
                                          f"'mkdir -p {RAW_DIR} && tar -C {RAW_DIR} -xf - && sync'")
            landed = int(self.lab.sh("db", f"du -sb {RAW_DIR} | cut -f1").strip())
            self.lab.sh("db", f"rm -rf {RAW_DIR}")
            # GNU tar skips reading when its archive is /dev/null itself: pipe through cat.
            local_t = self.lab.timed("app", f"tar -C {DATADIR} -cf - . | cat > /dev/null")
        finally:
            self.source_up()
        log(f"raw run {r + 1}: tar over ssh extracted on the target {ssh_t:.2f} s "
            f"({landed / 1048576:.0f} MiB landed), local read {local_t:.2f} s")
        return {"total_s": round(ssh_t, 3), "local_read_s": round(local_t, 3), "bytes": size,
                "bytes_landed": landed}

    # ---- (c) the migration methods --------------------------------------------------------------
    def start_writer(self, tag: str, seq_start: int) -> tuple[str, str]:
        logf, stop = f"/root/bench-writer-{tag}.log", f"/root/bench-writer-{tag}.stop"
        self.lab.sh("app", f"rm -f {logf} {stop}")
        self.lab.sh("app", f"exec /usr/bin/python3 /usr/local/bin/tiersplit-bench-writer --env-file {APP_ENV} "
                           f"--log {logf} --stop-file {stop} --table {WRITER_TABLE} --seq-start {seq_start} "
                           "--max-seconds 7200", detach=True)
        return logf, stop

    def stop_writer(self, logf: str, stop: str) -> list[Entry]:
        self.lab.sh("app", f"touch {stop}; sleep 1")
        entries = []
        for line in self.lab.sh("app", f"cat {logf}").splitlines():
            parts = line.split()
            if len(parts) >= 4:
                entries.append((int(parts[0]), float(parts[1]), parts[2] == "ok", parts[3]))
        return entries

    def run_method(self, method: str, r: int) -> dict[str, Any]:
        self.lab.copy_in("app", HERE / "writer.py", "/usr/local/bin/tiersplit-bench-writer")
        self.reset_target()
        self.reset_source(method)
        target_host = self.lab.sql("db", "SELECT @@hostname").strip()
        tag = f"{self.size_key}-{method}-{r + 1}-{int(time.time())}"
        mig_id = f"bench-{tag}"
        report_dir = self.out / "reports"
        seq_start = self.seq_base
        self.seq_base += 10_000_000
        logf, stop = self.start_writer(tag, seq_start)
        try:
            time.sleep(self.args.writer_lead)
            common = ["-e", f"datadir_migration_method={method}", "-e", f"datadir_migration_id={mig_id}",
                      "-e", f"datadir_migration_report_dir={report_dir}"]
            extra1 = list(common)
            if method == "replica":
                # The source has binary logging off (reset_source): the role enables it. Stage 1 keeps the
                # target replicating so that stage 2 finishes it in place (the method's shortest cutover).
                extra1 += ["-e", json.dumps({"datadir_migration_enable_source_binlog": True,
                                             "datadir_migration_replica_keep_replicating": True})]
            rc1, wall1 = self.playbook(str(HERE / "migrate.yml"), *extra1, log_name=f"stage1-{tag}")
            if rc1 != 0:
                raise RuntimeError(f"stage 1 failed (exit {rc1}): "
                                   + failure_reason(self.out / "logs" / f"stage1-{tag}.log"))
            time.sleep(self.args.writer_lead)
            t2 = time.time()
            rc2, wall2 = self.playbook(str(HERE / "cutover.yml"), *common, log_name=f"stage2-{tag}")
            if rc2 != 0:
                raise RuntimeError(f"stage 2 failed (exit {rc2}): "
                                   + failure_reason(self.out / "logs" / f"stage2-{tag}.log"))
            time.sleep(self.args.writer_lead)
        finally:
            entries = self.stop_writer(logf, stop)
        rep1 = json.loads((report_dir / f"{mig_id}-stage1.json").read_text())
        rep2 = json.loads((report_dir / f"{mig_id}-stage2.json").read_text())
        s1_refused = float((rep1.get("downtime") or {}).get("first_refused_write") or 0) or None
        stage1_window = refused_window([e for e in entries if e[1] < t2], s1_refused)
        s2 = cutover_view(entries, t2, target_host)
        present = self.present_on_target(seq_start)
        accepted = [e for e in entries if e[2]]
        lost = sorted(seq for seq, _, _, _ in accepted if seq not in present)
        role_end2 = float((rep2.get("downtime") or {}).get("first_accepted_write") or 0) or None
        binlog = rep1.get("binlog_restart") or {}
        run = {
            "stage1": {"playbook_s": round(wall1, 2), "role_run_s": num(rep1.get("run_seconds")),
                       "copy_s": num(rep1.get("copy_seconds")), "final_pass_s": num(rep1.get("final_pass_seconds")),
                       "role_downtime_s": num((rep1.get("downtime") or {}).get("seconds")),
                       "writer_downtime_s": round(stage1_window[0], 2) if stage1_window else 0.0,
                       "binlog_restart_s": num(binlog.get("seconds")) if binlog else None,
                       "bytes_sent": rep1.get("bytes_sent"), "verified_equal": verified(rep1)},
            "stage2": {"playbook_s": round(wall2, 2), "role_run_s": num(rep2.get("run_seconds")),
                       "copy_s": num(rep2.get("copy_seconds")), "final_pass_s": num(rep2.get("final_pass_seconds")),
                       "role_downtime_s": num((rep2.get("downtime") or {}).get("seconds")),
                       "verified_equal": verified(rep2), "path": rep2.get("path"), **s2},
            "rows_lost": len(lost), "rows_lost_seqs": lost[:50], "writes_accepted": len(accepted),
            "writes_refused": sum(1 for e in entries if not e[2]),
        }
        if role_end2 and s2.get("first_accepted_new_ts"):
            # From the role's end of its window (the target serves) to the application's first write there:
            # the record and the switch of production (datadir_migration_cutover_tasks), as phase 2 runs them;
            # after a failed switch, the rest of the role and the rewiring after the database role.
            run["stage2"]["rewiring_s"] = round(s2["first_accepted_new_ts"] - role_end2, 2)
        run["total_s"] = round((run["stage1"]["role_run_s"] or wall1) + wall2, 2)
        log(f"{method} run {r + 1}: stage 1 {wall1:.1f} s (role {rep1.get('run_seconds')} s, copy "
            f"{rep1.get('copy_seconds')} s); stage 2 {wall2:.1f} s (role {rep2.get('run_seconds')} s, final pass "
            f"{rep2.get('final_pass_seconds')} s, role window {run['stage2']['role_downtime_s']} s); downtime as the "
            f"application saw it {s2.get('downtime_s')} s (rewiring {run['stage2'].get('rewiring_s')} s); rows lost "
            f"{len(lost)} of {len(accepted)}")
        return run

    def present_on_target(self, seq_start: int) -> set[int]:
        out = self.lab.sql("db", f"SELECT seq FROM shop_production.{WRITER_TABLE} "
                                 f"WHERE seq > {seq_start} AND seq <= {seq_start + 10_000_000}")
        return {int(x) for x in out.split()}

    # ---- (d) permissions ------------------------------------------------------------------------
    def bench_perms(self) -> None:
        cmd = [sys.executable, str(HERE / "datadir_permissions.py"), "--files", str(self.args.perm_files),
               "--rounds", str(self.args.runs)]
        res = subprocess.run(cmd, capture_output=True, text=True)
        (self.out / "logs" / "perms.log").write_text(res.stdout + res.stderr)
        if res.returncode != 0:
            self.not_measured("perms", f"bench/datadir_permissions.py exit {res.returncode}: "
                                       f"{(res.stderr or res.stdout).strip().splitlines()[-1:]}", per_size=False)
            return
        mod, shell, rerun = [], [], []
        for m in re.finditer(r"round \d+: module ([\d.]+) s, chown .*? ([\d.]+) s, module rerun ([\d.]+) s",
                             res.stdout):
            mod.append(float(m.group(1)))
            shell.append(float(m.group(2)))
            rerun.append(float(m.group(3)))
        print(res.stdout, end="")
        self.results["perms"] = {
            "files": self.args.perm_files,
            "module_s": summary(mod), "shell_s": summary(shell), "module_rerun_s": summary(rerun),
            "what": "datadir_permissions core (plugins/module_utils/datadir.py) vs chown -R + "
                    "find -exec chmod {} +, on the controller's /tmp"}
        self.save()

    # ---- (e) fixed cost -------------------------------------------------------------------------
    def bench_fixed(self) -> None:
        """One role run (stage 1, method auto, as phase 1 runs it) on the default 2 MiB lab."""
        runs = []
        for r in range(self.args.runs):
            self.reset_target()
            self.reset_source()
            mig_id = f"bench-fixed-{r + 1}-{int(time.time())}"
            rc, wall = self.playbook(str(HERE / "migrate.yml"), "-e", f"datadir_migration_id={mig_id}",
                                     "-e", f"datadir_migration_report_dir={self.out / 'reports'}",
                                     log_name=f"fixed-{r + 1}")
            if rc != 0:
                self.not_measured("fixed", "the role failed (exit "
                                  f"{rc}): {failure_reason(self.out / 'logs' / f'fixed-{r + 1}.log')}", per_size=False)
                return
            rep = json.loads((self.out / "reports" / f"{mig_id}-stage1.json").read_text())
            runs.append({"playbook_s": round(wall, 2), "role_run_s": num(rep.get("run_seconds")),
                         "method": rep.get("method"), "copy_s": num(rep.get("copy_seconds"))})
            log(f"fixed cost run {r + 1}: playbook {wall:.1f} s, role run {rep.get('run_seconds')} s, "
                f"method {rep.get('method')}")
            walls = [x["playbook_s"] for x in runs]
            self.results["fixed"] = {
                "what": "bench/migrate.yml (stage 1, method auto, as phase 1 runs the role) on the default "
                        "lab (2 MiB seed per application database): ansible-playbook wall time",
                "playbook_s": summary(walls), "role_run_s": summary([x["role_run_s"] for x in runs
                                                                     if x["role_run_s"] is not None]),
                "runs": runs}
            self.results["fixed_cost_s"] = round(statistics.median(walls), 2)
            self.save()

    # ---- (f) the phase playbooks ----------------------------------------------------------------
    def bench_phases(self) -> None:
        for p in ("playbooks/phase1.yml", "playbooks/phase2.yml"):
            if not (ROOT / p).exists():
                self.not_measured("phases", f"{p} does not exist", per_size=False)
                return
        report = ["-e", f"datadir_migration_report_dir={self.out / 'reports'}"]
        res: dict[str, Any] = {"what": "playbooks/phase1.yml + phase2.yml on a new default lab (2 MiB seed), as "
                                       "from a fresh clone, then both again with nothing to change",
                               "first": {}, "rerun": {"phase1": [], "phase2": []}}
        for phase in ("phase1", "phase2"):
            rc, wall = self.playbook(f"playbooks/{phase}.yml", *report, log_name=f"{phase}-first", bench_vars=False)
            if rc != 0:
                why = failure_reason(self.out / "logs" / f"{phase}-first.log")
                self.not_measured("phases", f"{phase} first run failed (exit {rc}): {why}", per_size=False)
                return
            res["first"][phase] = round(wall, 1)
            log(f"{phase} first run: {wall:.1f} s")
        res["first_total_s"] = round(sum(res["first"].values()), 1)
        self.results["phases"] = res
        self.results["phases_first_s"] = res["first_total_s"]
        self.save()
        totals = []
        for r in range(self.args.runs):
            for phase in ("phase1", "phase2"):
                rc, wall = self.playbook(f"playbooks/{phase}.yml", *report, log_name=f"{phase}-rerun{r + 1}",
                                         bench_vars=False)
                changed = changed_count(self.out / "logs" / f"{phase}-rerun{r + 1}.log")
                res["rerun"][phase].append({"s": round(wall, 1), "rc": rc, "changed": changed})
                log(f"{phase} rerun {r + 1}: {wall:.1f} s, exit {rc}, changed={changed}")
            totals.append(res["rerun"]["phase1"][-1]["s"] + res["rerun"]["phase2"][-1]["s"])
            res["rerun_total_s"] = summary(totals)
            self.results["phases_rerun_s"] = round(statistics.median(totals), 1)
            self.save()

    # ---- the lab steps, interleaved -------------------------------------------------------------
    def bench_lab(self, steps: list[str]) -> None:
        self.size["config"] = {"runs": self.args.runs, "steps": steps, "lab": self.args.lab_name}
        self.reset_target()
        self.reset_source()
        self.dataset()
        runs: dict[str, list[dict[str, Any]]] = {s: [] for s in steps}
        failures: dict[str, list[str]] = {}
        do = {"dump": self.run_dump, "mydumper": self.run_mydumper, "raw": self.run_raw}
        for r in range(self.args.runs):
            for step in steps:
                if len(failures.get(step, [])) >= 2:
                    continue  # failed twice: not again in this size
                log(f"--- {step} run {r + 1} of {self.args.runs}")
                t0 = time.monotonic()
                try:
                    run = self.run_method(step, r) if step in METHODS else do[step](r)
                except Exception as exc:  # one broken measurement must not lose the others
                    why = f"{exc}".strip().splitlines()[0][:400] if str(exc).strip() else type(exc).__name__
                    log(f"{step} run {r + 1} failed: {why}")
                    failures.setdefault(step, []).append(why)
                    with contextlib.suppress(RuntimeError):
                        self.reset_source()
                    run = None
                if run is not None:
                    run["step_wall_s"] = round(time.monotonic() - t0, 1)
                    runs[step].append(run)
                self.size["measurements"] = {s: step_summary(s, runs[s], failures.get(s, [])) for s in steps}
                self.size.update(size_medians(self.size["measurements"]))
                self.save()
        for step in steps:
            if not runs[step]:
                self.not_measured(step, "; ".join(failures.get(step, ["no run"]))[:600])

    # ---- main -----------------------------------------------------------------------------------
    def run(self) -> None:
        self.results["config"]["runs"] = self.args.runs
        self.save()
        lab_steps = [s for s in LAB_STEPS if s in self.args.only]
        if lab_steps:
            self.bench_lab(lab_steps)
        for step, fn in (("perms", self.bench_perms), ("fixed", self.bench_fixed), ("phases", self.bench_phases)):
            if step not in self.args.only:
                continue
            log(f"--- {step}")
            try:
                fn()
            except Exception as exc:
                self.not_measured(step, f"harness error: {exc}".splitlines()[0][:300], per_size=False)
        self.results["machine"]["end"] = machine_snapshot()
        self.results["finished_utc"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.save()


def num(v: Any) -> float | None:
    try:
        return round(float(v), 3)
    except (TypeError, ValueError):
        return None


def verified(report: dict[str, Any]) -> bool | None:
    v = report.get("verification")
    return bool(v.get("equal")) if isinstance(v, dict) and "equal" in v else None


def refused_windows(entries: list[Entry]) -> list[tuple[float, float | None, float | None, int]]:
    """Every run of refused writes: (span s, last accepted before, first accepted after, refused count)."""
    out = []
    i = 0
    while i < len(entries):
        if entries[i][2]:
            i += 1
            continue
        j = i
        while j < len(entries) and not entries[j][2]:
            j += 1
        last_ok = entries[i - 1][1] if i > 0 else None
        first_ok = entries[j][1] if j < len(entries) else None
        span = (first_ok or entries[j - 1][1]) - (last_ok or entries[i][1])
        out.append((span, last_ok, first_ok, j - i))
        i = j
    return out


def refused_window(entries: list[Entry], at: float | None) -> tuple[float, float | None, float | None, int] | None:
    """The run of refused writes around the time at (the role's own start of a window), else the longest."""
    windows = refused_windows(entries)
    if not windows:
        return None
    if at is not None:
        around = [w for w in windows
                  if (w[1] is None or w[1] - 1.0 <= at) and (w[2] is None or at <= w[2] + 1.0)]
        if around:
            return max(around, key=lambda w: w[0])
    return max(windows, key=lambda w: w[0])


def cutover_view(entries: list[Entry], since: float, new_server: str) -> dict[str, Any]:
    """The cutover as the application saw it: from its first refused write after since (the start of
    stage 2) to its first write accepted on the new server after that. Writes accepted by any other
    server after the first refusal are counted apart (each one would be a write the old server took
    after it was fenced)."""
    later = [e for e in entries if e[1] >= since]
    first_refused = next((e for e in later if not e[2]), None)
    if first_refused is None:
        return {"downtime_s": None, "note": "no refused write after the start of stage 2"}
    after = [e for e in later if e[1] >= first_refused[1]]
    first_new = next((e for e in after if e[2] and e[3] == new_server), None)
    elsewhere = [e for e in after if e[2] and e[3] != new_server and (first_new is None or e[1] < first_new[1])]
    last_ok_before = max((e[1] for e in later if e[2] and e[1] < first_refused[1]), default=None)
    return {"downtime_s": round(first_new[1] - first_refused[1], 2) if first_new else None,
            "first_refused_ts": first_refused[1], "first_accepted_new_ts": first_new[1] if first_new else None,
            "first_refused_utc": iso(first_refused[1]),
            "first_accepted_new_utc": iso(first_new[1] if first_new else None),
            "last_accepted_old_utc": iso(last_ok_before),
            "writes_refused": sum(1 for e in after if not e[2] and (first_new is None or e[1] < first_new[1])),
            "accepted_elsewhere_after_fence": len(elsewhere),
            "refusal_codes": sorted({e[3] for e in after if not e[2]})[:10]}


def iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds") if ts else None


def pick(runs: list[dict[str, Any]], *path: str) -> list[float]:
    out = []
    for run in runs:
        v: Any = run
        for k in path:
            v = v.get(k) if isinstance(v, dict) else None
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append(float(v))
    return out


def step_summary(step: str, runs: list[dict[str, Any]], failures: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"runs": runs, "failures": failures}
    if step in ("dump", "mydumper", "raw"):
        keys = {"dump": ["total_s"], "mydumper": ["total_s", "dump_s", "copy_s", "load_s"],
                "raw": ["total_s", "local_read_s"]}[step]
        for k in keys:
            out[k] = summary(pick(runs, k))
        sizes = pick(runs, "bytes")
        out["bytes"] = int(statistics.median(sizes)) if sizes else None
        out["what"] = {
            "dump": "mysqldump --single-transaction (both application schemas) | ssh (aes128-gcm) | mysql on the "
                    "target; writes must stop for all of it",
            "mydumper": "mydumper --threads <cores> on the source into a directory, tar of it over ssh (aes128-gcm) "
                        "extracted on the target, myloader --threads <cores> on the target; writes must stop for "
                        "all of it",
            "raw": "stopped source datadir: tar | ssh (aes128-gcm, no compression) | tar -x on the target's disk, "
                   "then sync"}[step]
        return out
    out["what"] = (f"tiersplit.maintenance.datadir_migration method {step}: stage 1 (bench/migrate.yml), then the "
                   "cutover (bench/cutover.yml), under a writer that follows the application's settings")
    for stage in ("stage1", "stage2"):
        out[stage] = {k: summary(pick(runs, stage, k)) for k in (
            "playbook_s", "role_run_s", "copy_s", "final_pass_s", "role_downtime_s", "writer_downtime_s",
            "binlog_restart_s", "downtime_s", "rewiring_s")}
    out["total_s"] = summary(pick(runs, "total_s"))
    out["rows_lost"] = [r["rows_lost"] for r in runs]
    out["writes_accepted"] = [r["writes_accepted"] for r in runs]
    out["accepted_elsewhere_after_fence"] = [r["stage2"].get("accepted_elsewhere_after_fence") for r in runs]
    out["verified_equal"] = [[r["stage1"].get("verified_equal"), r["stage2"].get("verified_equal")] for r in runs]
    return out


def size_medians(m: dict[str, Any]) -> dict[str, Any]:
    """The per-size figures the targets are computed from (medians, seconds; rows_lost: the worst run)."""
    def med(d: Any) -> float | None:
        return d.get("median") if isinstance(d, dict) and d.get("n") else None
    out: dict[str, Any] = {
        "dump_reload_s": med(m.get("dump", {}).get("total_s")),
        "mydumper_s": med(m.get("mydumper", {}).get("total_s")),
        "raw_limit_s": med(m.get("raw", {}).get("total_s")),
        "methods": {}}
    for meth in METHODS:
        x = m.get(meth)
        if not x or not x.get("runs"):
            continue
        out["methods"][meth] = {
            "stage1_total_s": med(x["stage1"]["role_run_s"]) or med(x["stage1"]["playbook_s"]),
            "stage1_playbook_s": med(x["stage1"]["playbook_s"]),
            "stage2_playbook_s": med(x["stage2"]["playbook_s"]),
            "stage2_downtime_s": med(x["stage2"]["downtime_s"]),
            "stage2_role_downtime_s": med(x["stage2"]["role_downtime_s"]),
            "stage2_final_pass_s": med(x["stage2"]["final_pass_s"]),
            "stage2_rewiring_s": med(x["stage2"]["rewiring_s"]),
            "total_s": med(x["total_s"]),
            "rows_lost": max(x["rows_lost"]) if x["rows_lost"] else None,
            "runs": len(x["runs"])}
    return out


def failure_reason(path: Path) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    msgs = re.findall(r'"msg": "([^"]{0,400})', text) + re.findall(r"msg: (.{0,400})", text)
    fatal = [line for line in text.splitlines() if line.startswith("fatal:")]
    why = (msgs[-1] if msgs else (fatal[-1] if fatal else "see the log")).strip()
    return f"{why[:400]} (log: {path.name})"


def changed_count(path: Path) -> int | None:
    text = path.read_text(errors="replace") if path.exists() else ""
    counts = [int(m) for m in re.findall(r"changed=(\d+)", text)]
    return sum(counts) if counts else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--lab-name", default=os.environ.get("TIERSPLIT_LAB_NAME", "tiersplit-bench"))
    ap.add_argument("--size-mb", type=int, default=0, help="the lab's size (the key of the lab steps' figures)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", default=",".join(ALL_STEPS))
    ap.add_argument("--perm-files", type=int, default=200000)
    ap.add_argument("--writer-lead", type=float, default=3.0, help="seconds of writes before, between and after")
    args = ap.parse_args()
    args.only = [s for s in args.only.split(",") if s]
    unknown = set(args.only) - set(ALL_STEPS)
    if unknown:
        ap.error(f"unknown steps {sorted(unknown)}; known: {','.join(ALL_STEPS)}")
    if any(s in LAB_STEPS for s in args.only) and not args.size_mb:
        ap.error("--size-mb is needed for the lab steps")
    Bench(args).run()


if __name__ == "__main__":
    main()
