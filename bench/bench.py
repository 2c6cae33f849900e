#!/usr/bin/env python3
"""tiersplit benchmark suite: the measurements (bench/run.sh calls this; see docs/benchmarks.md).

Runs against the benchmark's lab copy (containers <lab>-app, <lab>-db), on the same hosts in one
run, each measurement --runs times:

  dump     (a) mysqldump on the source piped over ssh into mysql on the target (the 2018 attempt)
  raw      (b) the stopped source datadir: tar over the same ssh transport into /dev/null on the
               target, and a plain local read (tar | cat > /dev/null)
  cold, rsync, replica
           (c) tiersplit.maintenance.datadir_migration, stage 1, under a steady writer on the source
  perms    (d) bench/datadir_permissions.py (module core vs chown -R + find -exec chmod)
  phases   (e) playbooks/phase1.yml + phase2.yml first run, then idempotent reruns (destructive:
               runs last, rolls back afterwards)

Writes results.json after every measurement (a partial run keeps what it measured); bench/report.py
turns it into results.md and chart.png. Prints figures; asserts nothing about time.
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
ALL_STEPS = ["dump", "raw", "cold", "rsync", "replica", "perms", "phases"]
METHODS = ["cold", "rsync", "replica"]
FRESH = "/var/lib/tiersplit-bench-fresh"
DATADIR = "/var/lib/mysql"
SSH_OPTS = "-c aes128-gcm@openssh.com -o Compression=no -o BatchMode=yes -o StrictHostKeyChecking=accept-new"
WRITER_TABLE = "tiersplit_bench_writer"
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


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.lab = Lab(args.lab_name)
        self.out = Path(args.out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.results: dict[str, Any] = {
            "started_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "config": {"size_mb": args.size_mb, "runs": args.runs, "steps": args.only,
                       "lab": args.lab_name},
            "machine": {"start": machine_snapshot()},
            "measurements": {}, "not_measured": {}}
        self.app_pw = app_password()

    # ---- bookkeeping ----------------------------------------------------------------------------
    def save(self) -> None:
        (self.out / "results.json").write_text(json.dumps(self.results, indent=2) + "\n")

    def not_measured(self, step: str, why: str) -> None:
        log(f"{step}: not measured: {why}")
        self.results["not_measured"][step] = why
        self.save()

    def playbook(self, playbook: str, *extra: str, log_name: str, timeout: float = 1800) -> tuple[int, float]:
        """Run a playbook (bounded: killed after timeout seconds, exit 124 then)."""
        cmd = ["ansible-playbook", playbook, "-e", f"@{HERE / 'vars.yml'}", *extra]
        t0 = time.monotonic()
        with open(self.out / "logs" / f"{log_name}.log", "w") as fh:
            try:
                rc = subprocess.run(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, timeout=timeout).returncode
            except subprocess.TimeoutExpired:
                fh.write(f"\nmsg: killed by the benchmark after {timeout:.0f} s\n")
                rc = 124
        return rc, time.monotonic() - t0

    # ---- lab state ------------------------------------------------------------------------------
    def source_up(self) -> None:
        self.lab.sh("app", "systemctl enable --now mariadb >/dev/null 2>&1; "
                           "for i in $(seq 1 60); do mysqladmin ping >/dev/null 2>&1 && break; sleep 1; done; "
                           "mysql -e 'SET GLOBAL read_only = 0'")

    def source_without_binlog(self, listen: bool) -> None:
        """Source as Debian ships it (binary logging off), listening for replication when listen.

        Before every replica run: the role finds binary logging off and enables it itself
        (datadir_migration_enable_source_binlog), so every run pays that restart, as a user's first
        run on a Debian source does. After the replica step (listen=False) the source is as the lab
        made it, for the steps after it (the phase playbooks choose their method by binary logging).
        """
        listen_cnf = (f"printf '[mysqld]\\nbind_address = 0.0.0.0\\n' > {LISTEN_CNF}; chmod 0644 {LISTEN_CNF}"
                      if listen else f"rm -f {LISTEN_CNF}")
        self.lab.sh("app", f"""
rm -f {BINLOG_CNF}
{listen_cnf}
systemctl restart mariadb
for i in $(seq 1 60); do mysqladmin ping >/dev/null 2>&1 && break; sleep 1; done
test "$(mysql -NB -e 'SELECT @@global.log_bin')" = 0
""")
        self.source_up()

    def reset_target(self) -> None:
        self.lab.sh("db", f"""
systemctl stop mariadb || true
rm -rf {DATADIR} {DATADIR}.tiersplit-incoming {DATADIR}.tiersplit-before-stage* /var/lib/tiersplit/datadir-migration
cp -a {FRESH} {DATADIR}
find /etc/mysql -name zz-tiersplit-migration.cnf -delete
systemctl start mariadb
for i in $(seq 1 60); do mysqladmin ping >/dev/null 2>&1 && break; sleep 1; done
""")

    def dataset(self) -> None:
        q = ("SELECT ROUND(SUM(data_length + index_length)), SUM(table_rows) FROM information_schema.tables "
             "WHERE engine = 'InnoDB' AND table_schema IN ('shop_development', 'shop_production')")
        innodb_bytes, rows = self.lab.sql("app", q).split()
        datadir_bytes = int(self.lab.sh("app", f"du -sb {DATADIR} | cut -f1").strip())
        files = int(self.lab.sh("app", f"find {DATADIR} -type f | wc -l").strip())
        version = self.lab.sql("app", "SELECT VERSION()").strip()
        self.results["dataset"] = {"innodb_bytes": int(innodb_bytes), "approx_rows": int(rows),
                                   "datadir_bytes": datadir_bytes, "datadir_files": files,
                                   "server": version, "schemas": ["shop_development", "shop_production"]}
        log(f"dataset: {int(innodb_bytes) / 1048576:.0f} MiB InnoDB data+index, datadir "
            f"{datadir_bytes / 1048576:.0f} MiB, ~{rows} rows, {version}")
        self.save()

    # ---- (a) dump and reload --------------------------------------------------------------------
    def bench_dump(self) -> None:
        times, sizes = [], []
        for r in range(self.args.runs):
            self.reset_target()
            self.source_up()
            script = (
                "mysqldump --single-transaction --routines --events --triggers "
                "--databases shop_development shop_production "
                "| tee >(wc -c > /tmp/bench-dump-bytes) "
                f"| ssh {SSH_OPTS} root@db mysql")
            t = self.lab.timed("app", script)
            size = int(self.lab.sh("app", "sleep 0.5; cat /tmp/bench-dump-bytes").strip())
            times.append(t)
            sizes.append(size)
            log(f"dump and reload run {r + 1}: {t:.1f} s, {size / 1048576:.0f} MiB of SQL")
        self.results["measurements"]["dump"] = {
            "what": "mysqldump --single-transaction (both application schemas) | ssh (aes128-gcm) "
                    "| mysql on the target",
            "total_s": summary(times), "bytes_moved": int(statistics.median(sizes)),
            "throughput_mib_s": round(statistics.median(sizes) / statistics.median(times) / 1048576, 1),
            "downtime_note": "writes must stop for the whole dump and reload: downtime = total"}
        self.save()

    # ---- (b) the raw limit ----------------------------------------------------------------------
    def bench_raw(self) -> None:
        ssh_t, local_t = [], []
        self.lab.sh("app", "systemctl stop mariadb")
        try:
            size = int(self.lab.sh("app", f"du -sb {DATADIR} | cut -f1").strip())
            for r in range(self.args.runs):
                ssh_t.append(self.lab.timed(
                    "app", f"tar -C {DATADIR} -cf - . | ssh {SSH_OPTS} root@db 'cat > /dev/null'"))
                # GNU tar skips reading when its archive is /dev/null itself: pipe through cat.
                local_t.append(self.lab.timed("app", f"tar -C {DATADIR} -cf - . | cat > /dev/null"))
                log(f"raw run {r + 1}: tar over ssh {ssh_t[-1]:.2f} s, local read {local_t[-1]:.2f} s")
        finally:
            self.source_up()
        for key, vals, what in (
                ("raw_ssh", ssh_t,
                 "stopped datadir: tar | ssh (aes128-gcm, no compression) | cat > /dev/null on the target"),
                ("raw_local", local_t, "stopped datadir: tar | cat > /dev/null on the source (page cache warm)")):
            self.results["measurements"][key] = {
                "what": what, "total_s": summary(vals), "bytes_moved": size,
                "throughput_mib_s": round(size / statistics.median(vals) / 1048576, 1)}
        self.save()

    # ---- (c) the migration methods --------------------------------------------------------------
    def start_writer(self, tag: str) -> tuple[str, str]:
        logf, stop = f"/root/bench-writer-{tag}.log", f"/root/bench-writer-{tag}.stop"
        self.lab.sh("app", f"rm -f {logf} {stop}")
        self.lab.sh("app", f"exec /usr/bin/python3 /usr/local/bin/tiersplit-bench-writer --log {logf} "
                           f"--stop-file {stop} --table {WRITER_TABLE} --max-seconds 3600",
                    env={"TIERSPLIT_BENCH_PW": self.app_pw}, detach=True)
        return logf, stop

    def stop_writer(self, logf: str, stop: str) -> list[tuple[int, float, bool]]:
        self.lab.sh("app", f"touch {stop}; sleep 1")
        entries = []
        for line in self.lab.sh("app", f"cat {logf}").splitlines():
            parts = line.split()
            if len(parts) >= 3:
                entries.append((int(parts[0]), float(parts[1]), parts[2] == "ok"))
        return entries

    def bench_method(self, method: str) -> None:
        self.lab.copy_in("app", HERE / "writer.py", "/usr/local/bin/tiersplit-bench-writer")
        try:
            self._bench_method(method)
        finally:
            if method == "replica":
                self.source_without_binlog(listen=False)

    def _bench_method(self, method: str) -> None:
        runs: list[dict[str, Any]] = []
        for r in range(self.args.runs):
            self.reset_target()
            if method == "replica":
                self.source_without_binlog(listen=True)
            self.source_up()
            tag = f"{method}-{r + 1}-{int(time.time())}"
            mig_id = f"bench-{tag}"
            report_dir = self.out / "reports"
            logf, stop = self.start_writer(tag)
            time.sleep(self.args.writer_lead)
            extra = ["-e", f"datadir_migration_method={method}", "-e", f"datadir_migration_id={mig_id}",
                     "-e", f"datadir_migration_report_dir={report_dir}"]
            if method == "replica":
                # The source has binary logging off (source_without_binlog): the role enables it.
                extra += ["-e", json.dumps({"datadir_migration_enable_source_binlog": True})]
            rc, wall = self.playbook(str(HERE / "migrate.yml"), *extra, log_name=f"migrate-{tag}")
            time.sleep(self.args.writer_lead)
            entries = self.stop_writer(logf, stop)
            if rc != 0:
                why = failure_reason(self.out / "logs" / f"migrate-{tag}.log")
                self.source_up()
                if not runs:
                    self.not_measured(method, f"the role failed (exit {rc}): {why}")
                    return
                log(f"{method} run {r + 1} failed: {why}; keeping {len(runs)} run(s)")
                self.results["measurements"].setdefault(f"{method}_failures", []).append(why)
                break
            report = json.loads((report_dir / f"{mig_id}-stage1.json").read_text())
            binlog = report.get("binlog_restart") or {}
            run = {"wall_s": round(wall, 2), "report": report,
                   **writer_view(entries, float(report.get("downtime", {}).get("first_refused_write") or 0) or None)}
            if binlog:
                restart_window = refused_window(entries, float(binlog["first_refused_write"]))
                run["writer_binlog_restart_s"] = round(restart_window[0], 2) if restart_window else 0.0
            run["rows_lost"], run["rows_expected"] = self.rows_lost(entries, run)
            runs.append(run)
            log(f"{method} run {r + 1}: playbook {wall:.1f} s, role run {report.get('run_seconds')} s, copy "
                f"{report.get('copy_seconds')} s, downtime (role) {report.get('downtime', {}).get('seconds')} s, "
                f"(writer) {run['writer_downtime_s']} s, rows lost {run['rows_lost']} of {run['rows_expected']}"
                + (f", binlog restart (role) {binlog.get('seconds')} s, (writer) {run.get('writer_binlog_restart_s')} s"
                   if binlog else ""))
        self.results["measurements"][method] = method_summary(method, runs)
        self.save()

    def rows_lost(self, entries: list[tuple[int, float, bool]], run: dict[str, Any]) -> tuple[int, int]:
        """Rows the writer saw accepted before the downtime window that are absent on the target."""
        cut = run.get("window_start_ts")
        expected = {seq for seq, ts, ok in entries if ok and (cut is None or ts < cut)}
        present = set()
        out = self.lab.sql("db", f"SELECT seq FROM shop_production.{WRITER_TABLE}")
        for line in out.split():
            present.add(int(line))
        return len(expected - present), len(expected)

    # ---- (d) permissions ------------------------------------------------------------------------
    def bench_perms(self) -> None:
        cmd = [sys.executable, str(HERE / "datadir_permissions.py"), "--files", str(self.args.perm_files),
               "--rounds", str(self.args.runs)]
        res = subprocess.run(cmd, capture_output=True, text=True)
        (self.out / "logs" / "perms.log").write_text(res.stdout + res.stderr)
        if res.returncode != 0:
            self.not_measured("perms", f"bench/datadir_permissions.py exit {res.returncode}: "
                                       f"{(res.stderr or res.stdout).strip().splitlines()[-1:]}")
            return
        mod, shell, rerun = [], [], []
        for m in re.finditer(r"round \d+: module ([\d.]+) s, chown .*? ([\d.]+) s, module rerun ([\d.]+) s",
                             res.stdout):
            mod.append(float(m.group(1)))
            shell.append(float(m.group(2)))
            rerun.append(float(m.group(3)))
        print(res.stdout, end="")
        self.results["measurements"]["perms"] = {
            "files": self.args.perm_files,
            "module_s": summary(mod), "shell_s": summary(shell), "module_rerun_s": summary(rerun),
            "what": "datadir_permissions core (plugins/module_utils/datadir.py) vs chown -R + "
                    "find -exec chmod {} +, on the controller's /tmp"}
        self.save()

    # ---- (e) the phase playbooks ----------------------------------------------------------------
    def bench_phases(self) -> None:
        for p in ("playbooks/phase1.yml", "playbooks/phase2.yml"):
            if not (ROOT / p).exists():
                self.not_measured("phases", f"{p} does not exist")
                return
        self.reset_target()
        self.source_up()
        res: dict[str, Any] = {"first": {}, "rerun": {"phase1": [], "phase2": []}}
        for phase in ("phase1", "phase2"):
            rc, wall = self.playbook(f"playbooks/{phase}.yml", log_name=f"{phase}-first")
            if rc != 0:
                why = failure_reason(self.out / "logs" / f"{phase}-first.log")
                self.not_measured("phases", f"{phase} first run failed (exit {rc}): {why}")
                self.rollback()
                return
            res["first"][phase] = round(wall, 1)
            log(f"{phase} first run: {wall:.1f} s")
        for r in range(self.args.runs):
            for phase in ("phase1", "phase2"):
                rc, wall = self.playbook(f"playbooks/{phase}.yml", log_name=f"{phase}-rerun{r + 1}")
                changed = changed_count(self.out / "logs" / f"{phase}-rerun{r + 1}.log")
                res["rerun"][phase].append({"s": round(wall, 1), "rc": rc, "changed": changed})
                log(f"{phase} rerun {r + 1}: {wall:.1f} s, exit {rc}, changed={changed}")
        res["first_total_s"] = round(sum(res["first"].values()), 1)
        totals = [sum(res["rerun"][p][i]["s"] for p in ("phase1", "phase2")) for i in range(self.args.runs)]
        res["rerun_total_s"] = summary(totals)
        self.results["measurements"]["phases"] = res
        self.save()
        self.rollback()

    def rollback(self) -> None:
        rc, _ = self.playbook("playbooks/rollback.yml", log_name="rollback")
        log(f"rollback after the phases: exit {rc}")
        self.source_up()
        self.reset_target()

    # ---- main -----------------------------------------------------------------------------------
    def run(self) -> None:
        (self.out / "logs").mkdir(exist_ok=True)
        self.save()
        self.source_up()
        self.dataset()
        steps = {"dump": self.bench_dump, "raw": self.bench_raw, "perms": self.bench_perms,
                 "phases": self.bench_phases}
        for step in ALL_STEPS:
            if step not in self.args.only:
                continue
            log(f"--- {step}")
            try:
                if step in METHODS:
                    self.bench_method(step)
                else:
                    steps[step]()
            except Exception as exc:  # one broken measurement must not lose the others
                self.not_measured(step, f"harness error: {exc}".splitlines()[0][:300])
                with contextlib.suppress(RuntimeError):
                    self.source_up()
        self.results["machine"]["end"] = machine_snapshot()
        self.results["finished_utc"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.save()


def refused_windows(entries: list[tuple[int, float, bool]]) -> list[tuple[float, float | None, float | None, int]]:
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


def refused_window(entries: list[tuple[int, float, bool]],
                   at: float | None) -> tuple[float, float | None, float | None, int] | None:
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


def writer_view(entries: list[tuple[int, float, bool]], at: float | None = None) -> dict[str, Any]:
    """The downtime window the application saw: the refused writes around the role's cutover window
    (a replica run that enabled binary logging has a second, earlier one: its restart)."""
    best = refused_window(entries, at)
    accepted = sum(1 for e in entries if e[2])
    if best is None:
        return {"writer_downtime_s": 0.0, "writes_accepted": accepted, "writes_refused": 0,
                "window_start_ts": None}
    return {"writer_downtime_s": round(best[0], 2), "writes_accepted": accepted,
            "writes_refused": sum(1 for e in entries if not e[2]),
            "window_start_ts": best[1] + 0.0005 if best[1] is not None else None,
            "last_accepted_before_utc": iso(best[1]), "first_accepted_after_utc": iso(best[2])}


def iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds") if ts else None


def method_summary(method: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    def rep(key: str) -> list[float]:
        return [float(r["report"][key]) for r in runs if r["report"].get(key) is not None]
    downtime = [float(r["report"]["downtime"]["seconds"]) for r in runs if r["report"].get("downtime")]
    sent = [int(r["report"]["bytes_sent"]) for r in runs]
    binlog = [float(r["report"]["binlog_restart"]["seconds"]) for r in runs if r["report"].get("binlog_restart")]
    return {"what": f"tiersplit.maintenance.datadir_migration method {method}, stage 1, writer on the source",
            "total_s": summary(rep("run_seconds")), "playbook_wall_s": summary([r["wall_s"] for r in runs]),
            "copy_s": summary(rep("copy_seconds")), "final_pass_s": summary(rep("final_pass_seconds")),
            "downtime_s": summary(downtime),
            "writer_downtime_s": summary([r["writer_downtime_s"] for r in runs]),
            "binlog_restart_s": summary(binlog),
            "writer_binlog_restart_s": summary([r["writer_binlog_restart_s"] for r in runs
                                                if "writer_binlog_restart_s" in r]),
            "bytes_moved": int(statistics.median(sent)) if sent else None,
            "throughput_mib_s": summary(rep("throughput_mb_per_s")),
            "rows_lost": [r["rows_lost"] for r in runs], "rows_expected": [r["rows_expected"] for r in runs],
            "writes_refused": [r["writes_refused"] for r in runs],
            "verified_equal": [bool(r["report"].get("verification", {}).get("equal")) for r in runs],
            "runs": runs}


def failure_reason(path: Path) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    msgs = re.findall(r'"msg": "([^"]{0,400})', text) + re.findall(r"msg: (.{0,400})", text)
    fatal = [line for line in text.splitlines() if line.startswith("fatal:")]
    why = (msgs[-1] if msgs else (fatal[-1] if fatal else "see the log")).strip()
    return why[:400]


def changed_count(path: Path) -> int | None:
    text = path.read_text(errors="replace") if path.exists() else ""
    counts = [int(m) for m in re.findall(r"changed=(\d+)", text)]
    return sum(counts) if counts else None


def app_password() -> str:
    import yaml  # from ansible-core's dependencies in the project venv
    data = yaml.safe_load((ROOT / "inventories/lab/group_vars/app_servers.yml").read_text())
    for app in data["tiersplit_applications"]:
        if app["database"]["name"] == "shop_production":
            return str(app["database"]["password"])
    raise SystemExit("no shop_production application in the lab inventory")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--lab-name", default=os.environ.get("TIERSPLIT_LAB_NAME", "tiersplit-bench"))
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", default=",".join(ALL_STEPS))
    ap.add_argument("--perm-files", type=int, default=200000)
    ap.add_argument("--writer-lead", type=float, default=3.0, help="seconds of writes before and after")
    args = ap.parse_args()
    args.only = [s for s in args.only.split(",") if s]
    unknown = set(args.only) - set(ALL_STEPS)
    if unknown:
        ap.error(f"unknown steps {sorted(unknown)}; known: {','.join(ALL_STEPS)}")
    Bench(args).run()


if __name__ == "__main__":
    main()
