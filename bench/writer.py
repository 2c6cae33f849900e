#!/usr/bin/python3
"""Steady writer for the benchmark: runs on the application host during a migration.

It writes the way the production application does, and follows it when it is rewired: before
every attempt it reads the application's own .env again (the file the application's config.php
reads with getenv(), and the file the app role rewires), then opens a new connection with those
settings, as each PHP request does (DB_HOST localhost: the server's unix socket, as PDO does;
any other host: TCP to DB_HOST:DB_PORT), inserts one numbered, timestamped row through the
application's own user and asks which server took it (@@hostname).

One log line per attempt: "<seq> <unix time> ok <server hostname>" once the INSERT committed,
"<seq> <unix time> err <code>" when it was refused or no server answered. Stops by itself when
the stop file appears or after --max-seconds.

    writer.py --env-file /var/www/production/.env --log FILE --stop-file FILE --seq-start N
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import time

import pymysql

ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


def read_env(path: str) -> dict[str, str]:
    """KEY=VALUE lines as the lab application's bootstrap reads them (quotes, export, comments)."""
    out: dict[str, str] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            m = ENV_LINE.match(line.rstrip("\n"))
            if not m:
                continue
            value = m.group(2)
            q = re.match(r'^"(.*)"$', value) or re.match(r"^'(.*)'$", value)
            value = q.group(1) if q else re.sub(r"\s+#.*$", "", value)
            out[m.group(1)] = value
    return out


def connect(env: dict[str, str], socket: str) -> pymysql.connections.Connection:
    host = env.get("DB_HOST") or "localhost"
    where = {"unix_socket": socket} if host == "localhost" else {"host": host, "port": int(env.get("DB_PORT") or 3306)}
    return pymysql.connect(user=env.get("DB_USERNAME", ""), password=env.get("DB_PASSWORD", ""),
                           database=env.get("DB_DATABASE", ""), connect_timeout=5, read_timeout=5,
                           write_timeout=5, autocommit=True, **where)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--env-file", default="/var/www/production/.env")
    ap.add_argument("--log", required=True)
    ap.add_argument("--stop-file", required=True)
    ap.add_argument("--seq-start", type=int, required=True, help="first sequence number minus one")
    ap.add_argument("--table", default="tiersplit_bench_writer")
    ap.add_argument("--socket", default="/run/mysqld/mysqld.sock", help="PDO's socket for DB_HOST=localhost")
    ap.add_argument("--interval", type=float, default=0.02)
    ap.add_argument("--max-seconds", type=float, default=3600)
    args = ap.parse_args()
    seq = args.seq_start
    deadline = time.monotonic() + args.max_seconds
    with open(args.log, "a", buffering=1) as log:
        while time.monotonic() < deadline and not os.path.exists(args.stop_file):
            seq += 1
            conn = None
            try:
                conn = connect(read_env(args.env_file), args.socket)
                with conn.cursor() as cur:
                    cur.execute("SELECT @@hostname")
                    server = cur.fetchone()[0]
                    cur.execute(f"INSERT INTO `{args.table}` (seq, written_at) VALUES (%s, NOW(6))", (seq,))
                log.write(f"{seq} {time.time():.3f} ok {server}\n")
            except (pymysql.MySQLError, OSError) as exc:
                code = exc.args[0] if exc.args and isinstance(exc, pymysql.MySQLError) else type(exc).__name__
                log.write(f"{seq} {time.time():.3f} err {code}\n")
            finally:
                if conn is not None:
                    with contextlib.suppress(Exception):
                        conn.close()
            time.sleep(args.interval)


if __name__ == "__main__":
    main()
