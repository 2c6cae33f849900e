#!/usr/bin/python3
"""Steady writer for the benchmark: runs on the source host during a migration.

Inserts one numbered, timestamped row after another through the application
user (no SUPER: read_only refuses it) and logs each attempt, one line each:
"<seq> <unix time> ok" once the INSERT committed, "<seq> <unix time> err <code>"
when it was refused or the server was away. Stops by itself when the stop file
appears or after --max-seconds. The password comes from TIERSPLIT_BENCH_PW.

    writer.py --log FILE --stop-file FILE [--interval 0.02] [--max-seconds 1800]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time

import pymysql


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--stop-file", required=True)
    ap.add_argument("--user", default="shop_prod")
    ap.add_argument("--database", default="shop_production")
    ap.add_argument("--table", default="tiersplit_bench_writer")
    ap.add_argument("--socket", default="/run/mysqld/mysqld.sock")
    ap.add_argument("--interval", type=float, default=0.02)
    ap.add_argument("--max-seconds", type=float, default=1800)
    args = ap.parse_args()
    password = os.environ.get("TIERSPLIT_BENCH_PW", "")
    seq = int(time.time() * 1000) * 1000  # unique across runs
    deadline = time.monotonic() + args.max_seconds
    conn = None
    with open(args.log, "a", buffering=1) as log:
        while time.monotonic() < deadline and not os.path.exists(args.stop_file):
            seq += 1
            try:
                if conn is None:
                    conn = pymysql.connect(unix_socket=args.socket, user=args.user, password=password,
                                           database=args.database, connect_timeout=2,
                                           read_timeout=5, write_timeout=5, autocommit=True)
                with conn.cursor() as cur:
                    cur.execute(f"INSERT INTO `{args.table}` (seq, written_at) VALUES (%s, NOW(6))", (seq,))
                log.write(f"{seq} {time.time():.3f} ok\n")
            except pymysql.MySQLError as exc:
                code = exc.args[0] if exc.args else "?"
                log.write(f"{seq} {time.time():.3f} err {code}\n")
                if conn is not None:
                    with contextlib.suppress(Exception):
                        conn.close()
                    conn = None
            time.sleep(args.interval)


if __name__ == "__main__":
    main()
