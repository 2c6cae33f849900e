#!/usr/bin/env python3
"""Tiny beanstalkd client for the worker scenario's checks (plain socket).

usage: beanstalk_client.py HOST PORT connect
       beanstalk_client.py HOST PORT put TUBE DELAY BODY   -> prints the job id
       beanstalk_client.py HOST PORT stats-job ID          -> prints the job's state or NOT_FOUND
Exit 0 on success; 3 when the connection is refused, reset or times out.
"""
import socket
import sys


def main() -> int:
    host, port, action = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    try:
        conn = socket.create_connection((host, port), timeout=3)
        f = conn.makefile("rwb")
        if action == "connect":
            f.write(b"stats\r\n")
            f.flush()
            line = f.readline()
            if not line.startswith(b"OK"):
                raise ConnectionError(line)
            print("connected")
        elif action == "put":
            tube, delay, body = sys.argv[4], int(sys.argv[5]), sys.argv[6].encode()
            f.write(b"use " + tube.encode() + b"\r\n")
            f.flush()
            assert f.readline().startswith(b"USING"), "use failed"
            f.write(b"put 1024 %d 60 %d\r\n%s\r\n" % (delay, len(body), body))
            f.flush()
            line = f.readline().decode().split()
            assert line[0] == "INSERTED", line
            print(line[1])
        elif action == "stats-job":
            f.write(b"stats-job %s\r\n" % sys.argv[4].encode())
            f.flush()
            line = f.readline().decode().split()
            if line[0] != "OK":
                print(line[0])
                return 0
            data = f.read(int(line[1]) + 2).decode()
            state = [x.split(":", 1)[1].strip() for x in data.splitlines() if x.startswith("state:")]
            print(state[0] if state else "UNKNOWN")
        conn.close()
    except (OSError, ConnectionError) as exc:
        print(f"connection failed: {exc!r}")
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
