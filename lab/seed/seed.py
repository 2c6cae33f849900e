#!/usr/bin/env python3
"""Deterministic seed data for one lab application database.

Prints SQL on stdout (pipe it into ``mysql DBNAME``). The same arguments always
print the same bytes. ``--size-mb`` sets the approximate size of the data:
small by default for tests, 1024 or more for benchmarks.

What it makes, so that a physical copy has something to get wrong:
utf8mb4 text with emoji and other scripts, BLOBs, DECIMALs, JSON-ish TEXT,
NULLs, a view, a trigger, a stored function, an event and the notification
tables that the legacy poller and the notification worker share.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys

FIRST = ["Anna", "Björn", "Zoë", "José", "Łukasz", "Søren", "Ἀλέξανδρος", "Марія", "李", "さくら",
         "Chloé", "Ömer", "Nguyễn", "Aoife", "Jürgen", "Ana María", "O'Brien", "Dvořák"]
LAST = ["Müller", "García", "Nakamura", "Kowalski", "Ødegaard", "Smith", "Иванова", "王", "Ferreira",
        "Dubois", "Yılmaz", "Ó Súilleabháin", "Nováková", "Rossi", "Andersson"]  # noqa: RUF001 (a Turkish dotless i)
EMOJI = ["🎉", "📦", "🚚", "✅", "🔥", "💡", "🙂", "🐘", "🐬", "☕", "🧾", "👩‍💻", "🇩🇪", "🇯🇵"]
COUNTRIES = ["DE", "FR", "PL", "JP", "BR", "US", "IE", "TR", "VN", "CZ", "SE", "GR", "UA", "CN"]
WORDS = [
    "order", "parcel", "delivery", "invoice", "refund", "express", "weekend", "fragile", "gift",
    "discount", "customer", "warehouse", "shipping", "tracking", "pallet", "returns", "priority",
    "standard"
]

SCHEMA = """
SET NAMES utf8mb4;
SET foreign_key_checks = 0;
DROP VIEW IF EXISTS v_customer_totals;
DROP TABLE IF EXISTS notification_deliveries, notifications, attachments, orders, customers, poller_runs;
CREATE TABLE customers (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(191) NOT NULL,
  email VARCHAR(191) NOT NULL,
  country CHAR(2) NOT NULL,
  bio TEXT NULL,
  order_count INT UNSIGNED NOT NULL DEFAULT 0,
  created_at DATETIME NOT NULL,
  UNIQUE KEY uq_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE orders (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  customer_id INT UNSIGNED NOT NULL,
  total DECIMAL(12,2) NOT NULL,
  status ENUM('new','paid','shipped','cancelled') NOT NULL,
  note TEXT NULL,
  created_at DATETIME(3) NOT NULL,
  KEY idx_customer (customer_id),
  CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE attachments (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_id BIGINT UNSIGNED NOT NULL,
  filename VARCHAR(191) NOT NULL,
  content MEDIUMBLOB NOT NULL,
  sha1 CHAR(40) NOT NULL,
  KEY idx_order (order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE notifications (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  customer_id INT UNSIGNED NULL,
  channel VARCHAR(16) NOT NULL DEFAULT 'email',
  payload TEXT NOT NULL,
  status ENUM('pending','sent','failed') NOT NULL DEFAULT 'pending',
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  sent_at DATETIME NULL,
  sent_by VARCHAR(64) NULL,
  KEY idx_status_created (status, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE notification_deliveries (
  notification_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  job_id BIGINT UNSIGNED NULL,
  worker VARCHAR(64) NOT NULL,
  deliveries INT UNSIGNED NOT NULL DEFAULT 1,
  delivered_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE poller_runs (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  ran_at DATETIME(6) NOT NULL,
  picked INT UNSIGNED NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
"""

OBJECTS = """
CREATE VIEW v_customer_totals AS
  SELECT c.id AS customer_id, c.name, COUNT(o.id) AS orders, COALESCE(SUM(o.total), 0) AS total
  FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.id, c.name;
DELIMITER ;;
CREATE TRIGGER trg_orders_count AFTER INSERT ON orders FOR EACH ROW
BEGIN
  UPDATE customers SET order_count = order_count + 1 WHERE id = NEW.customer_id;
END;;
CREATE FUNCTION customer_total(cid INT UNSIGNED) RETURNS DECIMAL(14,2)
  READS SQL DATA
BEGIN
  DECLARE t DECIMAL(14,2);
  SELECT COALESCE(SUM(total), 0) INTO t FROM orders WHERE customer_id = cid;
  RETURN t;
END;;
CREATE EVENT ev_purge_old_notifications ON SCHEDULE EVERY 1 DAY DISABLE DO
  DELETE FROM notifications WHERE status = 'sent' AND sent_at < NOW() - INTERVAL 365 DAY;;
DELIMITER ;
SET foreign_key_checks = 1;
"""

BATCH = 500


def q(s: str | None) -> str:
    """Quote a value as a MySQL string literal (NO_BACKSLASH_ESCAPES off)."""
    if s is None:
        return "NULL"
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


def emit_rows(out, table: str, cols: str, rows) -> None:
    buf: list[str] = []
    for r in rows:
        buf.append(r)
        if len(buf) >= BATCH:
            out.write(f"INSERT INTO {table} ({cols}) VALUES\n" + ",\n".join(buf) + ";\n")
            buf = []
    if buf:
        out.write(f"INSERT INTO {table} ({cols}) VALUES\n" + ",\n".join(buf) + ";\n")


def generate(out, size_mb: float, seed: int) -> None:
    rnd = random.Random(seed)
    # About 1 KiB of text per order, 1 attachment (2-6 KiB) per 8 orders.
    orders_n = max(200, int(size_mb * 1024 * 1024 / 1500))
    customers_n = max(50, orders_n // 8)
    out.write(SCHEMA)
    out.write("START TRANSACTION;\n")

    counts = [0] * (customers_n + 1)
    order_customers = [rnd.randint(1, customers_n) for _ in range(orders_n)]
    for cid in order_customers:
        counts[cid] += 1

    def customers():
        for i in range(1, customers_n + 1):
            name = f"{rnd.choice(FIRST)} {rnd.choice(LAST)} {rnd.choice(EMOJI)}"
            bio = None if i % 7 == 0 else " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(3, 30)))
            created = f"20{rnd.randint(15, 18)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d} 10:00:00"
            yield (f"({i},{q(name)},{q(f'customer{i}@example.test')},{q(rnd.choice(COUNTRIES))},"
                   f"{q(bio)},{counts[i]},{q(created)})")

    emit_rows(out, "customers", "id,name,email,country,bio,order_count,created_at", customers())

    def orders():
        for i, cid in enumerate(order_customers, start=1):
            total = f"{rnd.randint(1, 500000) / 100:.2f}"
            note = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(20, 160))) + " " + rnd.choice(EMOJI)
            ms = rnd.randint(0, 999)
            created = f"2018-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d} {rnd.randint(0, 23):02d}:00:00.{ms:03d}"
            status = rnd.choice(["new", "paid", "shipped", "cancelled"])
            yield f"({i},{cid},{total},{q(status)},{q(note)},{q(created)})"

    emit_rows(out, "orders", "id,customer_id,total,status,note,created_at", orders())

    def attachments():
        for i in range(1, orders_n // 8 + 1):
            blob = rnd.randbytes(rnd.randint(2048, 6144))
            yield (f"({i},{rnd.randint(1, orders_n)},{q(f'invoice-{i}.pdf')},0x{blob.hex()},"
                   f"{q(hashlib.sha1(blob).hexdigest())})")

    emit_rows(out, "attachments", "id,order_id,filename,content,sha1", attachments())

    def notifications():
        for i in range(1, customers_n // 2 + 1):
            cid = rnd.randint(1, customers_n)
            payload = json.dumps({"template": "order-shipped", "customer": cid, "note": rnd.choice(EMOJI)},
                                 ensure_ascii=False)
            yield (f"({i},{cid},{q(rnd.choice(['email', 'sms', 'push']))},{q(payload)},'sent',"
                   f"'2018-06-01 12:00:00','2018-06-01 12:01:00','poller:app')")

    emit_rows(out, "notifications", "id,customer_id,channel,payload,status,created_at,sent_at,sent_by",
              notifications())
    out.write("COMMIT;\n")
    out.write(OBJECTS)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size-mb", type=float, default=2.0, help="approximate data size in MiB (default 2)")
    p.add_argument("--seed", type=int, default=2018, help="random seed (default 2018)")
    a = p.parse_args(argv)
    out = sys.stdout
    generate(out, a.size_mb, a.seed)
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
