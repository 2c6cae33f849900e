"""The targets of issue 13, computed from a benchmark's results (pure: no I/O; bench/report.py uses it).

evaluate(results) takes the dict of bench/results-latest.json (or a run's results.json) and returns
one row per target and size: what was measured, the limit, whether it is met, and by how much it
is missed. A figure that is missing gives met=None ("not measured"), never a pass.
"""

from __future__ import annotations

from typing import Any

METHODS = ["cold", "rsync", "replica"]
TARGET_SIZES = (1024, 4096)


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _row(target: str, size_mb: int | None, value: float | None, limit: float | None, unit: str,
         met: bool | None, gap: str, detail: str = "") -> dict[str, Any]:
    return {"target": target, "size_mb": size_mb, "value": value, "limit": limit, "unit": unit,
            "met": met, "gap": gap, "detail": detail}


def _at_most(target: str, size_mb: int | None, value: float | None, limit: float | None, unit: str = "s",
             detail: str = "") -> dict[str, Any]:
    if value is None or limit is None:
        return _row(target, size_mb, value, limit, unit, None, "not measured", detail)
    if value <= limit:
        return _row(target, size_mb, value, limit, unit, True, f"{limit - value:.2f} {unit} to spare", detail)
    return _row(target, size_mb, value, limit, unit, False, f"{value - limit:.2f} {unit} over "
                f"({value / limit:.1f}x the limit)" if limit > 0 else f"{value - limit:.2f} {unit} over", detail)


def _size_note(size_mb: int, set_at: tuple[int, ...]) -> str:
    return "" if size_mb in set_at else f"target set at {' and '.join(f'{s} MiB' for s in set_at)}; shown for reference"


def best(methods: dict[str, Any], key: str) -> tuple[str | None, float | None]:
    """The method with the smallest figure under key, and that figure."""
    timed = {m: _num(methods.get(m, {}).get(key)) for m in METHODS}
    timed = {m: v for m, v in timed.items() if v is not None}
    if not timed:
        return None, None
    m = min(timed, key=lambda k: timed[k])
    return m, timed[m]


def evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for key in sorted(results.get("sizes", {}), key=int):
        size = int(key)
        sz = results["sizes"][key]
        methods = sz.get("methods") or {}
        raw = _num(sz.get("raw_limit_s"))
        dump = _num(sz.get("dump_reload_s"))
        myd = _num(sz.get("mydumper_s"))
        # Stage-2 downtime as the application sees it, per method.
        for meth in METHODS:
            m = methods.get(meth) or {}
            value = _num(m.get("stage2_downtime_s"))
            if meth == "replica":
                limit, how = 2.0, "<= 2 s"
            elif meth == "rsync":
                fp = _num(m.get("stage2_final_pass_s"))
                limit = None if fp is None else 3.0 + fp
                how = "<= 3 s + its final pass" + (f" ({fp:.2f} s)" if fp is not None else "")
            else:
                limit = None if raw is None else raw + 3.0
                how = "<= the raw copy + 3 s" + (f" ({raw:.2f} s)" if raw is not None else "")
            rows.append(_at_most(f"`{meth}` stage-2 downtime (application) {how}", size, value, limit))
        # Best stage-1 total vs 3x the raw limit.
        bm, bt = best(methods, "stage1_total_s")
        rows.append(_at_most("best stage-1 total <= 3x the raw limit", size, bt,
                             None if raw is None else 3.0 * raw,
                             detail="; ".join(x for x in (f"best: `{bm}`" if bm else "", _size_note(size, (1024,)))
                                             if x)))
        # Best total vs dump and reload, and vs mydumper.
        tm, tt = best(methods, "total_s")
        factor = 10.0 if size >= 4096 else 5.0
        target = f"best total >= {factor:.0f}x faster than dump and reload"
        # The machine's own limit: the copy alone (the raw limit) against the time the target allows.
        forbidden = (f"the raw copy alone takes {raw:.1f} s, over the {dump / factor:.1f} s the target allows: "
                     "this machine forbids it") if raw is not None and dump is not None and raw > dump / factor else ""
        note = "; ".join(x for x in (f"best: `{tm}`" if tm else "", _size_note(size, TARGET_SIZES)) if x)
        dump_note = "; ".join(x for x in (note, forbidden) if x)
        if tt is None or dump is None:
            rows.append(_row(target, size, None, factor, "x", None, "not measured", dump_note))
        else:
            ratio = dump / tt
            rows.append(_row(target, size, round(ratio, 2), factor, "x", ratio >= factor,
                             f"{tt:.1f} s vs {dump:.1f} s" + ("" if ratio >= factor else
                                                                f": needs <= {dump / factor:.1f} s, "
                                                                f"{tt - dump / factor:.1f} s over"), dump_note))
        target = "best total faster than mydumper/myloader"
        if tt is None or myd is None:
            rows.append(_row(target, size, None, 1.0, "x", None, "not measured", note))
        else:
            ratio = myd / tt
            rows.append(_row(target, size, round(ratio, 2), 1.0, "x", tt < myd,
                             f"{tt:.1f} s vs {myd:.1f} s" + ("" if tt < myd else f": {tt - myd:.1f} s over"),
                             note))
        # No row lost.
        for meth in METHODS:
            m = methods.get(meth)
            lost = None if not m else m.get("rows_lost")
            if lost is None:
                rows.append(_row(f"`{meth}` no row lost", size, None, 0, "rows", None, "not measured"))
            else:
                rows.append(_row(f"`{meth}` no row lost", size, float(lost), 0, "rows", lost == 0,
                                 "none lost" if lost == 0 else f"{lost} rows lost (worst run)"))
    rows.append(_at_most("one role run on the default lab (2 MiB) <= 20 s", None,
                         _num(results.get("fixed_cost_s")), 20.0))
    first, rerun = _num(results.get("phases_first_s")), _num(results.get("phases_rerun_s"))
    ratio = None if first is None or rerun is None or first <= 0 else round(100.0 * rerun / first, 1)
    row = _at_most("rerun of phase 1 + phase 2 <= 25% of the first run", None, ratio, 25.0, "%")
    if ratio is not None:
        row["detail"] = f"rerun {rerun:.1f} s, first {first:.1f} s"
    rows.append(row)
    return rows


def verdict(row: dict[str, Any]) -> str:
    """met / **missed** (gap) / **not measured**, for a table cell."""
    if row["met"] is None:
        return "**not measured**"
    return f"met ({row['gap']})" if row["met"] else f"**missed**: {row['gap']}"
