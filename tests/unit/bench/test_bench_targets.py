"""bench/targets.py: issue 13's targets computed from a benchmark's results (met, missed, by how much)."""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

import pytest

TARGETS = Path(__file__).resolve().parents[3] / "bench" / "targets.py"
spec = importlib.util.spec_from_file_location("bench_targets", TARGETS)
targets = importlib.util.module_from_spec(spec)
spec.loader.exec_module(targets)


def method(stage1: float, total: float, downtime: float, final_pass: float = 0.5, lost: int = 0) -> dict:
    return {"stage1_total_s": stage1, "total_s": total, "stage2_downtime_s": downtime,
            "stage2_final_pass_s": final_pass, "rows_lost": lost}


GOOD = {
    "sizes": {
        "1024": {"dump_reload_s": 80.0, "mydumper_s": 30.0, "raw_limit_s": 6.0,
                 "methods": {"cold": method(17.0, 15.0, 8.0), "rsync": method(16.0, 14.0, 3.4, final_pass=0.6),
                             "replica": method(15.0, 12.0, 1.5)}},
        "4096": {"dump_reload_s": 320.0, "mydumper_s": 110.0, "raw_limit_s": 24.0,
                 "methods": {"cold": method(70.0, 60.0, 26.0), "rsync": method(60.0, 31.0, 3.0, final_pass=1.0),
                             "replica": method(50.0, 30.0, 2.0)}},
    },
    "fixed_cost_s": 18.0, "phases_first_s": 400.0, "phases_rerun_s": 80.0,
}


def rows_of(res: dict) -> dict:
    return {(r["target"], r["size_mb"]): r for r in targets.evaluate(res)}


def find(res: dict, needle: str, size: int | None) -> dict:
    hits = [r for (t, s), r in rows_of(res).items() if needle in t and s == size]
    assert len(hits) == 1, (needle, size, hits)
    return hits[0]


def test_all_met() -> None:
    rows = targets.evaluate(GOOD)
    assert [r for r in rows if r["met"] is not True] == []
    # 3 downtimes + stage-1 + dump + mydumper + 3 rows-lost per size, plus fixed cost and rerun ratio
    assert len(rows) == 2 * 9 + 2


def test_replica_downtime_limit_is_two_seconds() -> None:
    res = copy.deepcopy(GOOD)
    res["sizes"]["1024"]["methods"]["replica"]["stage2_downtime_s"] = 2.5
    r = find(res, "`replica` stage-2 downtime", 1024)
    assert r["met"] is False
    assert r["limit"] == 2.0
    assert r["gap"].startswith("0.50 s over")


def test_rsync_limit_adds_its_final_pass() -> None:
    r = find(GOOD, "`rsync` stage-2 downtime", 1024)
    assert r["limit"] == pytest.approx(3.6)
    assert r["met"] is True
    res = copy.deepcopy(GOOD)
    res["sizes"]["1024"]["methods"]["rsync"]["stage2_downtime_s"] = 3.7
    assert find(res, "`rsync` stage-2 downtime", 1024)["met"] is False


def test_cold_limit_is_the_raw_copy_plus_three() -> None:
    r = find(GOOD, "`cold` stage-2 downtime", 1024)
    assert r["limit"] == pytest.approx(9.0)
    res = copy.deepcopy(GOOD)
    res["sizes"]["1024"]["methods"]["cold"]["stage2_downtime_s"] = 9.5
    assert find(res, "`cold` stage-2 downtime", 1024)["met"] is False


def test_stage1_uses_the_best_method_and_three_times_raw() -> None:
    r = find(GOOD, "stage-1 total", 1024)
    assert r["value"] == 15.0
    assert r["limit"] == 18.0
    assert "`replica`" in r["detail"]
    res = copy.deepcopy(GOOD)
    for m in res["sizes"]["1024"]["methods"].values():
        m["stage1_total_s"] = 20.0
    r = find(res, "stage-1 total", 1024)
    assert r["met"] is False
    assert r["gap"].startswith("2.00 s over")


def test_dump_factor_is_five_at_1_gib_and_ten_at_4_gib() -> None:
    one, four = find(GOOD, "than dump and reload", 1024), find(GOOD, "than dump and reload", 4096)
    assert (one["limit"], one["value"]) == (5.0, pytest.approx(80 / 12, abs=0.01))
    assert (four["limit"], four["value"]) == (10.0, pytest.approx(320 / 30, abs=0.01))
    res = copy.deepcopy(GOOD)
    for m in res["sizes"]["4096"]["methods"].values():
        m["total_s"] = max(m["total_s"], 40.0)
    r = find(res, "than dump and reload", 4096)
    assert r["met"] is False
    assert "needs <= 32.0 s, 8.0 s over" in r["gap"]


def test_slower_than_mydumper_is_missed() -> None:
    res = copy.deepcopy(GOOD)
    for m in res["sizes"]["1024"]["methods"].values():
        m["total_s"] = 31.0
    r = find(res, "mydumper", 1024)
    assert r["met"] is False
    assert "1.0 s over" in r["gap"]


def test_rows_lost_is_missed_whatever_the_times() -> None:
    res = copy.deepcopy(GOOD)
    res["sizes"]["1024"]["methods"]["cold"]["rows_lost"] = 3
    r = find(res, "`cold` no row lost", 1024)
    assert r["met"] is False
    assert "3 rows lost" in r["gap"]


def test_fixed_cost_and_rerun_ratio() -> None:
    assert find(GOOD, "default lab", None)["met"] is True
    r = find(GOOD, "rerun of phase 1", None)
    assert r["value"] == 20.0
    res = dict(GOOD, fixed_cost_s=26.5, phases_first_s=413.0, phases_rerun_s=262.0)
    assert find(res, "default lab", None)["gap"].startswith("6.50 s over")
    r = find(res, "rerun of phase 1", None)
    assert r["met"] is False
    assert r["value"] == pytest.approx(63.4)


def test_missing_figures_are_not_measured_never_met() -> None:
    res = {"sizes": {"1024": {"dump_reload_s": None, "raw_limit_s": None, "methods": {}}}}
    rows = targets.evaluate(res)
    assert rows
    assert all(r["met"] is None for r in rows)
    assert all(targets.verdict(r) == "**not measured**" for r in rows)


def test_other_sizes_say_where_the_target_is_set() -> None:
    res = {"sizes": {"64": copy.deepcopy(GOOD["sizes"]["1024"])}}
    r = find(res, "than dump and reload", 64)
    assert r["limit"] == 5.0
    assert "target set at 1024 MiB and 4096 MiB" in r["detail"]


def test_a_raw_copy_over_the_dump_factor_says_the_machine_forbids_it() -> None:
    assert "forbids" not in find(GOOD, "than dump and reload", 4096)["detail"]
    res = copy.deepcopy(GOOD)
    res["sizes"]["4096"]["raw_limit_s"] = 40.0   # 320 / 10 = 32 s allowed
    r = find(res, "than dump and reload", 4096)
    assert "the raw copy alone takes 40.0 s, over the 32.0 s the target allows" in r["detail"]
    assert "forbids" not in find(res, "faster than mydumper", 4096)["detail"]
    res["sizes"]["4096"]["methods"] = {}
    r = find(res, "than dump and reload", 4096)
    assert r["met"] is None and "forbids" in r["detail"]
