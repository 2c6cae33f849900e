#!/usr/bin/env python3
"""What an intruder reaches: NAME=HOST:PORT arguments, one JSON object out.

beanstalkd: reached (TCP connection accepted), answered (a reply to "stats").
mysql: reached, handshake (the server offered a login instead of refusing
the host with an error packet), error (the server's error code if any).
health: reached, status (HTTP status of GET /health), served (status 200).
"""
import json
import socket
import sys

TIMEOUT = 4.0


def connect(addr):
    host, port = addr.rsplit(":", 1)
    try:
        return socket.create_connection((host, int(port)), timeout=TIMEOUT)
    except OSError:
        return None


def recv_some(sock):
    try:
        return sock.recv(4096)
    except OSError:
        return b""


def beanstalkd(addr):
    sock = connect(addr)
    if sock is None:
        return {"reached": False, "answered": False}
    with sock:
        try:
            sock.sendall(b"stats\r\n")
        except OSError:
            return {"reached": True, "answered": False}
        return {"reached": True, "answered": recv_some(sock).startswith(b"OK ")}


def mysql(addr):
    sock = connect(addr)
    if sock is None:
        return {"reached": False, "handshake": False, "error": None}
    with sock:
        data = recv_some(sock)
    payload = data[4:]
    if payload[:1] == b"\xff" and len(payload) >= 3:
        return {"reached": True, "handshake": False, "error": int.from_bytes(payload[1:3], "little")}
    return {"reached": True, "handshake": bool(payload[:1]) and payload[:1] != b"\xff", "error": None}


def health(addr):
    sock = connect(addr)
    if sock is None:
        return {"reached": False, "status": None, "served": False}
    with sock:
        host = addr.rsplit(":", 1)[0]
        try:
            sock.sendall(f"GET /health HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
        except OSError:
            return {"reached": True, "status": None, "served": False}
        line = recv_some(sock).split(b"\r\n", 1)[0].split()
    status = int(line[1]) if len(line) > 1 and line[1].isdigit() else None
    return {"reached": True, "status": status, "served": status == 200}


PROBES = {"beanstalkd": beanstalkd, "mysql": mysql, "health": health}

if __name__ == "__main__":
    result = {}
    for arg in sys.argv[1:]:
        name, addr = arg.split("=", 1)
        result[name] = PROBES[name](addr)
    print(json.dumps(result, sort_keys=True))
