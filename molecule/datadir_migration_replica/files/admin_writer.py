#!/usr/bin/python3
"""A writer with ALL PRIVILEGES ON *.* (it passes read_only), over TCP, on one kept connection.

Each line of the log: "<seq> <unix time> ok" once the INSERT committed, or
"<seq> <unix time> err <code>" when it was refused, its session ended or the
server was away (then it reconnects). Every "ok" row must be on the target.
"""
import sys
import time

import pymysql

LOG, HOST = sys.argv[1], sys.argv[2]
seq = int(time.time()) * 100000  # unique across restarts
conn = None
with open(LOG, "a", buffering=1) as log:
    while True:
        seq += 1
        try:
            if conn is None:
                conn = pymysql.connect(host=HOST, port=3306, user="mig_admin", password="admin-Lab-pw",
                                       database="shop_production", connect_timeout=2, read_timeout=5,
                                       write_timeout=5, autocommit=True)
            with conn.cursor() as cur:
                cur.execute("INSERT INTO tiersplit_writer_admin (seq, written_at) VALUES (%s, NOW(6))", (seq,))
            log.write(f"{seq} {time.time():.3f} ok\n")
        except pymysql.MySQLError as exc:
            code = exc.args[0] if exc.args else "?"
            log.write(f"{seq} {time.time():.3f} err {code}\n")
            try:
                if conn is not None:
                    conn.close()
            except pymysql.MySQLError:
                pass
            conn = None
        time.sleep(0.05)
