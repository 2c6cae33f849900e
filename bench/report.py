#!/usr/bin/env python3
"""Turn a benchmark's results.json into results.md and chart.png (bench/run.sh calls this).

    python3 bench/report.py bench/results/<timestamp> [--latest docs/benchmarks-latest.md]
        [--latest-chart bench/chart-latest.png] [--latest-json bench/results-latest.json]

--latest-json merges the run into that file (sizes keyed by MiB: a size this run measured replaces
the file's; the others stay, each with its own date), and the --latest table and chart are drawn
from the merged file. The targets of issue 13 (bench/targets.py) are printed against the figures,
never asserted: where one is missed the report says so and by how much; where a figure is missing
it says "not measured" and why.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from targets import METHODS, evaluate, verdict

MIB = 1048576


def fmt_s(d: Any) -> str:
    if not isinstance(d, dict) or not d.get("n"):
        return "-"
    if d["n"] == 1:
        return f"{d['median']:.2f}"
    return f"{d['median']:.2f} ({d['min']:.2f}-{d['max']:.2f})"


def fmt_v(v: Any, unit: str = "") -> str:
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        return "-"
    return f"{v:.2f}{unit}" if unit != "rows" else f"{v:.0f}"


def merge(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """new, plus the sizes and the top-level figures that only old has."""
    if not old:
        return new
    out = dict(new)
    sizes = dict(old.get("sizes", {}))
    sizes.update(new.get("sizes", {}))
    out["sizes"] = dict(sorted(sizes.items(), key=lambda kv: int(kv[0])))
    for key in ("fixed_cost_s", "fixed", "phases_first_s", "phases_rerun_s", "phases", "perms"):
        if key not in new and key in old:
            out[key] = old[key]
    return out


def vs(t: float | None, ref: float | None) -> str:
    if not t or not ref:
        return "-"
    return f"{ref / t:.1f}x faster" if t <= ref else f"{t / ref:.1f}x slower"


def size_section(key: str, sz: dict[str, Any]) -> list[str]:
    m, ds = sz.get("measurements", {}), sz.get("dataset", {})
    runs = sz.get("config", {}).get("runs", "?")
    lines = [f"## {int(key):,} MiB", "",
             f"Dataset: {ds.get('innodb_bytes', 0) / MIB:,.0f} MiB of InnoDB data and indexes (lab seed, "
             f"shop_development + shop_production, ~{ds.get('approx_rows', 0):,} rows), datadir "
             f"{ds.get('datadir_bytes', 0) / MIB:,.0f} MiB in {ds.get('datadir_files', 0):,} files, "
             f"{ds.get('server', '?')}; source `app` to target `db` ({ds.get('nproc', {}).get('app', '?')} cores "
             f"each), measured from {ds.get('started_utc', '?')}, {runs} interleaved runs of each: median (min-max).",
             ""]
    dump, myd = sz.get("dump_reload_s"), sz.get("mydumper_s")
    lines += ["| way | total s | stage-2 downtime s (application) | rows lost | vs dump and reload | vs mydumper |",
              "| --- | --- | --- | --- | --- | --- |"]
    if "dump" in m:
        lines.append(f"| dump and reload (mysqldump \\| ssh \\| mysql) | {fmt_s(m['dump'].get('total_s'))} "
                     "| = total | - | 1x | " + vs(dump, myd) + " |")
    if "mydumper" in m:
        lines.append(f"| mydumper + copy + myloader (one thread per core) | {fmt_s(m['mydumper'].get('total_s'))} "
                     f"| = total | - | {vs(myd, dump)} | 1x |")
    for meth in METHODS:
        x, s = m.get(meth), (sz.get("methods") or {}).get(meth)
        if not x or not s:
            continue
        lines.append(f"| `{meth}`: stage 1 + stage 2 | {fmt_s(x.get('total_s'))} "
                     f"| {fmt_s(x['stage2'].get('downtime_s'))} "
                     f"| {', '.join(map(str, x.get('rows_lost', [])))} | {vs(s.get('total_s'), dump)} "
                     f"| {vs(s.get('total_s'), myd)} |")
    if "raw" in m:
        lines.append(f"| raw limit: tar \\| ssh \\| tar -x + sync (stopped datadir) | {fmt_s(m['raw'].get('total_s'))} "
                     f"| - | - | {vs(sz.get('raw_limit_s'), dump)} | {vs(sz.get('raw_limit_s'), myd)} |")
        lines.append(f"| local read: tar \\| cat > /dev/null | {fmt_s(m['raw'].get('local_read_s'))} | - | - | - | - |")
    lines.append("")
    meths = [k for k in METHODS if m.get(k, {}).get("runs")]
    if meths:
        lines += ["Per phase (s), median (min-max):", "",
                  "| method | stage 1 playbook | stage 1 role run | copy | stage-1 downtime (writer) "
                  "| stage 2 playbook | stage 2 role run | final pass | role's window | rewiring after it "
                  "| downtime (application) |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for k in meths:
            a, b = m[k]["stage1"], m[k]["stage2"]
            lines.append(f"| `{k}` | {fmt_s(a['playbook_s'])} | {fmt_s(a['role_run_s'])} | {fmt_s(a['copy_s'])} "
                         f"| {fmt_s(a['writer_downtime_s'])} | {fmt_s(b['playbook_s'])} | {fmt_s(b['role_run_s'])} "
                         f"| {fmt_s(b['final_pass_s'])} | {fmt_s(b['role_downtime_s'])} | {fmt_s(b['rewiring_s'])} "
                         f"| {fmt_s(b['downtime_s'])} |")
        if "replica" in meths and m["replica"]["stage1"]["binlog_restart_s"].get("n"):
            lines += ["", "`replica`: the source had binary logging off before every run (as Debian ships MariaDB); "
                      "the role enabled it in stage 1 (one restart of the source before the copy, "
                      f"{fmt_s(m['replica']['stage1']['binlog_restart_s'])} s, a separate outage)."]
        lines.append("")
    if "mydumper" in m:
        x = m["mydumper"]
        lines += [f"mydumper phases (s): dump {fmt_s(x.get('dump_s'))}, copy {fmt_s(x.get('copy_s'))}, "
                  f"load {fmt_s(x.get('load_s'))}; {(x.get('bytes') or 0) / MIB:,.0f} MiB of files.", ""]
    fails = {k: v.get("failures") for k, v in m.items() if v.get("failures")}
    nm = sz.get("not_measured", {})
    if fails or nm:
        lines += ["Failed runs / not measured:", ""]
        lines += [f"- `{k}`: {v}" for k, v in nm.items()]
        lines += [f"- `{k}` failed runs: {'; '.join(v)}" for k, v in fails.items() if k not in nm]
        lines.append("")
    return lines


def markdown(res: dict[str, Any]) -> str:
    mach = res.get("machine", {})
    start, end = mach.get("start", {}), mach.get("end", {})
    lines = [f"# tiersplit benchmark, {res.get('started_utc', '?')}", ""]
    if start:
        lines += [f"Machine: {start['nproc']} cores, {start['mem_gib']} GiB, {start['kernel']} (the lab's hosts are "
                  "Docker containers on it), load average "
                  f"{', '.join(f'{x:.2f}' for x in start['loadavg'])} at the start"
                  + (f" and {', '.join(f'{x:.2f}' for x in end['loadavg'])} at the end" if end else "")
                  + ". Compare ratios within one run.", ""]
    lines += ["Total for a method = its stage 1 (the role's `run_seconds`) + its cutover (`bench/cutover.yml`: "
              "stage 2, the accounts again, the production application rewired; `ansible-playbook` wall time). Stage-2 "
              "downtime (application) = from the writer's first refused write to its first write accepted on the "
              "new server; the writer follows the production application's own settings (.env), as rewired. "
              "Rows lost = writes the writer saw accepted (before, during and after both stages) that are missing "
              "on the target at the end.", ""]
    for key, sz in res.get("sizes", {}).items():
        lines += size_section(key, sz)
    if "fixed" in res:
        f = res["fixed"]
        lines += ["## Fixed cost and the phase playbooks", "",
                  f"One role run on the default lab (2 MiB per application database; `bench/migrate.yml`, "
                  f"method auto): playbook {fmt_s(f.get('playbook_s'))} s, role's own `run_seconds` "
                  f"{fmt_s(f.get('role_run_s'))} s.", ""]
    if "phases" in res:
        ph = res["phases"]
        if "fixed" not in res:
            lines += ["## The phase playbooks", ""]
        lines += ["Phase playbooks on a new default lab (wall time of `ansible-playbook`):", "",
                  "| run | phase1 s | phase2 s | total s | changed |", "| --- | --- | --- | --- | --- |",
                  f"| first | {ph['first'].get('phase1', '-')} | {ph['first'].get('phase2', '-')} "
                  f"| {ph.get('first_total_s', '-')} | - |"]
        for i, (a, b) in enumerate(zip(ph["rerun"]["phase1"], ph["rerun"]["phase2"], strict=False)):
            lines.append(f"| rerun {i + 1} | {a['s']} | {b['s']} | {round(a['s'] + b['s'], 1)} "
                         f"| {a['changed']} + {b['changed']} |")
        lines.append("")
    if "perms" in res:
        p = res["perms"]
        lines += [f"Permission repair on {p['files']:,} files (controller's /tmp): datadir_permissions "
                  f"{fmt_s(p['module_s'])} s, `chown -R` + `find -exec chmod` {fmt_s(p['shell_s'])} s, "
                  f"module rerun {fmt_s(p['module_rerun_s'])} s.", ""]
    rows = evaluate(res)
    missed = [r for r in rows if r["met"] is False]
    lines += ["## Targets (issue 13; reported, not asserted)", "",
              f"{sum(1 for r in rows if r['met'])} met, {len(missed)} missed, "
              f"{sum(1 for r in rows if r['met'] is None)} not measured.", "",
              "| target | size | measured | limit | verdict | note |", "| --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        unit = {"s": " s", "x": "x", "%": " %", "rows": "rows"}[r["unit"]]
        limit = ("-" if r["limit"] is None else
                 (f">= {r['limit']:.0f}x" if r["unit"] == "x" and r["limit"] > 1 else
                  ("faster" if r["unit"] == "x" else f"<= {fmt_v(r['limit'], unit)}")))
        size = f"{r['size_mb']:,} MiB" if r["size_mb"] else "-"
        lines.append(f"| {r['target']} | {size} "
                     f"| {fmt_v(r['value'], unit)} | {limit} | {verdict(r)} | {r['detail']} |")
    lines.append("")
    nm = res.get("not_measured", {})
    if nm:
        lines += ["## Not measured", "", *[f"- `{k}`: {v}" for k, v in nm.items()], ""]
    return "\n".join(lines).rstrip() + "\n"


def chart(res: dict[str, Any], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = list(res.get("sizes", {}).items())
    rows = evaluate(res)
    n = max(1, len(sizes))
    fig, axes = plt.subplots(n, 2, figsize=(13, 4.6 * n), squeeze=False,
                             gridspec_kw={"width_ratios": [3, 2]})
    for i, (key, sz) in enumerate(sizes):
        meths = sz.get("methods") or {}
        ax = axes[i][0]
        bars = [("dump and\nreload", sz.get("dump_reload_s"), "#c0392b"),
                ("mydumper\nmyloader", sz.get("mydumper_s"), "#e67e22")]
        bars += [(f"{k}\n(stage 1+2)", meths.get(k, {}).get("total_s"), "#2471a3") for k in METHODS]
        bars += [("raw limit\n(tar|ssh|tar -x)", sz.get("raw_limit_s"), "#7f8c8d")]
        bars = [b for b in bars if isinstance(b[1], (int, float))]
        if bars:
            ax.bar([b[0] for b in bars], [b[1] for b in bars], color=[b[2] for b in bars])
            for j, b in enumerate(bars):
                ax.text(j, b[1], f"{b[1]:.1f} s", ha="center", va="bottom", fontsize=8)
            ax.set_yscale("log")
            dump = sz.get("dump_reload_s")
            factor = 10 if int(key) >= 4096 else 5
            if dump:
                ax.axhline(dump / factor, color="#c0392b", ls="--", lw=1)
                ax.text(len(bars) - 0.5, dump / factor, f"target: dump / {factor}", color="#c0392b",
                        fontsize=8, ha="right", va="bottom")
        ax.set_ylabel("seconds (median; log scale)")
        ax.set_title(f"{int(key):,} MiB: moving the instance, total time", fontsize=10)
        ax = axes[i][1]
        down = [r for r in rows if r["size_mb"] == int(key) and "stage-2 downtime" in r["target"]]
        labels, vals, cols = [], [], []
        for r, meth in zip(down, METHODS, strict=False):
            labels.append(meth)
            vals.append(r["value"] or 0.0)
            cols.append({True: "#27ae60", False: "#c0392b", None: "#bdc3c7"}[r["met"]])
        ax.bar(labels, vals, color=cols)
        tops = vals + [r["limit"] for r in down if r["limit"] is not None]
        ax.set_ylim(0, max([*tops, 1.0]) * 1.25)
        for j, r in enumerate(down):
            if r["limit"] is not None:
                ax.hlines(r["limit"], j - 0.4, j + 0.4, colors="black", linestyles="--", lw=1)
            txt = ("not measured" if r["met"] is None else
                   f"{r['value']:.1f} s\n" + ("met" if r["met"] else f"missed +{r['value'] - r['limit']:.1f} s"))
            ax.text(j, vals[j], txt, ha="center", va="bottom", fontsize=8)
        ax.set_ylabel("seconds (median)")
        ax.set_title("stage-2 downtime as the application saw it\n(dashed: target; green met, red missed)",
                     fontsize=10)
    extra = [r for r in rows if r["size_mb"] is None]
    note = "; ".join(f"{r['target']}: {fmt_v(r['value'])} -> " + ("not measured" if r["met"] is None else
                     ("met" if r["met"] else f"MISSED ({r['gap']})")) for r in extra)
    fig.suptitle(f"tiersplit benchmark {res.get('started_utc', '')}\n{note}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write(res: dict[str, Any], md_path: Path, chart_path: Path) -> None:
    md = markdown(res)
    try:
        chart(res, chart_path)
        rel = os.path.relpath(chart_path, md_path.resolve().parent)
        md += f"\n![benchmark chart]({rel})\n"
    except ImportError as exc:
        print(f"no chart: {exc} (pip install -r bench/requirements.txt)")
    md_path.write_text(md)
    print(md)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--latest", help="also write the (merged) table here")
    ap.add_argument("--latest-chart", help="and the (merged) chart here")
    ap.add_argument("--latest-json", help="merge the run into this results file")
    args = ap.parse_args()
    d = Path(args.dir)
    if not (d / "results.json").exists():
        raise SystemExit(f"{d}/results.json does not exist: no step measured anything (see the run's log)")
    res = json.loads((d / "results.json").read_text())
    write(res, d / "results.md", d / "chart.png")
    if args.latest_json:
        p = Path(args.latest_json)
        res = merge(json.loads(p.read_text()) if p.exists() else None, res)
        p.write_text(json.dumps(res, indent=2) + "\n")
    if args.latest and args.latest_chart:
        write(res, Path(args.latest), Path(args.latest_chart))


if __name__ == "__main__":
    main()
