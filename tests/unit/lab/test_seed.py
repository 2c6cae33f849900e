"""The lab's seed generator: deterministic, sized, and carrying every kind of object."""

from __future__ import annotations

import importlib.util
import io
import re
from pathlib import Path

import pytest

SEED = Path(__file__).resolve().parents[3] / "lab" / "seed" / "seed.py"
spec = importlib.util.spec_from_file_location("lab_seed", SEED)
seed = importlib.util.module_from_spec(spec)
spec.loader.exec_module(seed)


def render(size_mb: float = 0.5, seed_value: int = 2018) -> str:
    out = io.StringIO()
    seed.generate(out, size_mb, seed_value)
    return out.getvalue()


def test_same_arguments_give_the_same_bytes() -> None:
    assert render() == render()


def test_another_seed_gives_other_data() -> None:
    assert render(seed_value=1) != render(seed_value=2)


def test_size_scales_with_the_parameter() -> None:
    small, large = len(render(0.5)), len(render(4))
    assert 6 < large / small < 10


@pytest.mark.parametrize(
    "pattern",
    [
        r"CREATE VIEW v_customer_totals",
        r"CREATE TRIGGER trg_orders_count",
        r"CREATE FUNCTION customer_total",
        r"CREATE EVENT ev_purge_old_notifications",
        r"FOREIGN KEY \(customer_id\)",
        r"CREATE TABLE notification_deliveries",
        r"INSERT INTO attachments \(id,order_id,filename,content,sha1\) VALUES\n\(1,\d+,'invoice-1.pdf',0x[0-9a-f]+,",
    ],
)
def test_sql_carries_every_kind_of_object(pattern: str) -> None:
    assert re.search(pattern, render())


def test_text_is_utf8mb4_with_emoji() -> None:
    sql = render()
    assert any(ord(ch) > 0xFFFF for ch in sql), "no 4-byte character (emoji) in the data"


def test_order_counts_match_the_orders() -> None:
    sql = render()
    # customers rows: (id,name,email,country,bio,order_count,created_at)
    text = r"'(?:[^'\\]|\\.)*'"
    cust = re.findall(r"^\((\d+)," + text + r",'customer\d+@example\.test','[A-Z]{2}',(?:NULL|" + text + r"),(\d+),",
                      sql, re.M)
    counts = {int(i): int(n) for i, n in cust}
    orders = re.findall(r"^\(\d+,(\d+),\d+\.\d{2},'(?:new|paid|shipped|cancelled)',", sql, re.M)
    assert counts and orders
    seen: dict[int, int] = {}
    for cid in orders:
        seen[int(cid)] = seen.get(int(cid), 0) + 1
    assert {k: v for k, v in counts.items() if v} == seen


@pytest.mark.parametrize(
    ("raw", "quoted"),
    [("O'Brien", "'O\\'Brien'"), ("a\\b", "'a\\\\b'"), ("x\ny", "'x\\ny'"), (None, "NULL")],
)
def test_quoting(raw: str | None, quoted: str) -> None:
    assert seed.q(raw) == quoted
