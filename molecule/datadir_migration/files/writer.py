#!/usr/bin/python3
"""Insert one numbered row after another into the source; log each attempt.

Each line of the log: "<seq> <unix time> ok" once the INSERT committed, or
"<seq> <unix time> err <code>" when it was refused or the server was away.
Every "ok" row must be on the target after the migration.
"""
import sys
import time

import pymysql

LOG = sys.argv[1]
seq = int(time.time()) * 100000  # unique across restarts
with open(LOG, "a", buffering=1) as log:
    while True:
        seq += 1
        try:
            conn = pymysql.connect(unix_socket="/run/mysqld/mysqld.sock", user="mig_writer",
                                   password="writer-Lab-pw", database="shop_production",
                                   connect_timeout=2, autocommit=True)
            try:
                with conn.cursor() as cur:
                    cur.execute("INSERT INTO tiersplit_writer (seq, written_at) VALUES (%s, NOW(6))", (seq,))
            finally:
                conn.close()
            log.write(f"{seq} {time.time():.3f} ok\n")
        except pymysql.MySQLError as exc:
            code = exc.args[0] if exc.args else "?"
            log.write(f"{seq} {time.time():.3f} err {code}\n")
        time.sleep(0.05)
