#!/usr/bin/env python3
"""Burst of notification jobs with the worker units restarted midway (issue 9, load).

usage: burst.py HOST PORT TUBE FIRST_ID COUNT RESTART_AFTER TIMEOUT UNIT...

Puts COUNT jobs {"notification_id": FIRST_ID + i} on TUBE (pipelined, one
connection), watches the tube, and once RESTART_AFTER jobs have left it
restarts the UNITs with systemctl (they stop gracefully on SIGTERM). Then
waits, at most TIMEOUT seconds, until the tube holds no ready, reserved or
delayed job. Prints one JSON object: what was put (count, ids), the tube at
the restart and after it, the units' PIDs before and after, the final tube.
Exit 0 when it ran to the end (the caller asserts), 1 on a protocol error.
"""
import json
import socket
import subprocess
import sys
import time


class Conn:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.f = self.sock.makefile("rwb")

    def command(self, line):
        self.f.write(line + b"\r\n")
        self.f.flush()
        return self.f.readline().decode().split()

    def stats_tube(self, tube):
        head = self.command(b"stats-tube " + tube)
        if head[0] != "OK":
            raise RuntimeError(f"stats-tube: {head}")
        data = self.f.read(int(head[1]) + 2).decode()
        stats = {}
        for row in data.splitlines():
            if ":" in row and not row.startswith("---"):
                key, value = row.split(":", 1)
                stats[key.strip()] = value.strip()
        return {k: int(stats[k]) for k in (
            "current-jobs-ready", "current-jobs-reserved", "current-jobs-delayed",
            "current-jobs-buried", "total-jobs")}


def pending(stats):
    return stats["current-jobs-ready"] + stats["current-jobs-reserved"] + stats["current-jobs-delayed"]


def pids(units):
    out = subprocess.run(["systemctl", "show", "-p", "MainPID", "--value", *units],
                         check=True, capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line]


def main():
    host, port, tube = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
    first, count, restart_after, timeout = (int(x) for x in sys.argv[4:8])
    units = sys.argv[8:]
    started = time.monotonic()

    producer = Conn(host, port)
    if producer.command(b"use " + tube)[0] != "USING":
        raise RuntimeError("use failed")
    watcher = Conn(host, port)
    tube_before = watcher.stats_tube(tube)

    # Pipelined puts, 500 per round trip.
    job_ids = []
    for start in range(0, count, 500):
        chunk = range(first + start, first + min(start + 500, count))
        for nid in chunk:
            body = json.dumps({"notification_id": nid}).encode()
            producer.f.write(b"put 1024 0 60 %d\r\n%s\r\n" % (len(body), body))
        producer.f.flush()
        for _ in chunk:
            reply = producer.f.readline().decode().split()
            if reply[0] != "INSERTED":
                raise RuntimeError(f"put: {reply}")
            job_ids.append(int(reply[1]))
    put_seconds = time.monotonic() - started

    # Restart the units once RESTART_AFTER jobs have left the tube.
    while True:
        stats = watcher.stats_tube(tube)
        done = count - pending(stats) + pending(tube_before)
        if done >= restart_after or time.monotonic() - started > timeout:
            break
        time.sleep(0.02)
    at_restart = stats
    pids_before = pids(units)
    restart_start = time.monotonic()
    subprocess.run(["systemctl", "restart", *units], check=True)
    restart_seconds = time.monotonic() - restart_start
    after_restart = watcher.stats_tube(tube)
    pids_after = pids(units)

    while pending(stats := watcher.stats_tube(tube)) > 0 and time.monotonic() - started < timeout:
        time.sleep(0.2)

    print(json.dumps({
        "put": len(job_ids),
        "job_ids_distinct": len(set(job_ids)),
        "job_ids_sum": sum(job_ids),
        "put_seconds": round(put_seconds, 2),
        "tube_before": tube_before,
        "at_restart": at_restart,
        "after_restart": after_restart,
        "restart_seconds": round(restart_seconds, 2),
        "pids_before": pids_before,
        "pids_after": pids_after,
        "final": stats,
        "seconds": round(time.monotonic() - started, 2),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
