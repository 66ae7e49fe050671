#!/usr/bin/python3
"""s3-fault-proxy.py: an HTTP proxy for the S3 tests that injects faults.

    s3-fault-proxy.py --upstream http://127.0.0.1:7480 --port-file F \
        --log L [--plan 'PUT=500,reset-req;GET=stall'] [--always 'PUT=503']

Clients talk to it as if it were the S3 endpoint (path-style URLs; the
Host header is forwarded unchanged, so SigV4 signatures stay valid).
Each request of a METHOD takes the next fault of that method's --plan
list (then passes through); --always METHOD=FAULT faults every one.
Faults:
  500        answer 500 InternalError without forwarding
  503        answer 503 SlowDown without forwarding
  reset      forward, send the head and half the body, then reset (RST)
  stall      forward, send the head and half the body, then go silent
  reset-req  read half the request body, then reset
  stall-req  read half the request body, then go silent
  200err     answer 200 OK with an <Error> body (InternalError)
  expired    answer 400 ExpiredToken without forwarding
  pass       forward unchanged
One line per request goes to the log: METHOD PATH FAULT.
"""
import argparse
import socket
import struct
import sys
import threading
import time
import urllib.parse

lock = threading.Lock()


def parse_plan(spec):
    plan = {}
    for part in filter(None, (spec or "").split(";")):
        method, _, faults = part.partition("=")
        plan[method.strip().upper()] = [f.strip() for f in faults.split(",")
                                        if f.strip()]
    return plan


def recv_head(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def content_length(head):
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


def reset(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                    struct.pack("ii", 1, 0))
    sock.close()


def stall(sock):
    sock.settimeout(120)
    try:
        while sock.recv(65536):
            pass
    except OSError:
        pass
    sock.close()


def error_answer(sock, status, code):
    body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>%s"
            "</Code><Message></Message></Error>" % code).encode()
    reason = {200: "OK", 400: "Bad Request", 500: "Internal Server Error",
              503: "Slow Down"}[status]
    sock.sendall(b"HTTP/1.1 %d %s\r\nContent-Type: application/xml\r\n"
                 b"Content-Length: %d\r\nConnection: close\r\n\r\n"
                 % (status, reason.encode(), len(body)) + body)
    sock.close()


def forward(upstream, head, body):
    lines = head.split(b"\r\n")
    keep = [l for l in lines[1:]
            if not l.lower().startswith(b"connection:")]
    req = b"\r\n".join([lines[0]] + keep + [b"Connection: close"])
    up = socket.create_connection(upstream)
    up.sendall(req + b"\r\n\r\n" + body)
    parts = []
    while True:
        chunk = up.recv(1 << 20)
        if not chunk:
            break
        parts.append(chunk)
    up.close()
    return b"".join(parts)


def take_fault(args, method):
    with lock:
        if method in args.always:
            return args.always[method]
        faults = args.plan.get(method)
        if faults:
            return faults.pop(0)
    return "pass"


def log(args, method, path, fault):
    with lock:
        with open(args.log, "a") as f:
            f.write("%s %s %s\n" % (method, path, fault))


def handle(sock, args):
    try:
        head, rest = recv_head(sock)
        if head is None:
            sock.close()
            return
        method, path = head.split(b" ")[:2]
        method = method.decode()
        length = content_length(head)
        fault = take_fault(args, method)
        log(args, method, urllib.parse.unquote(path.decode()), fault)
        if fault in ("reset-req", "stall-req"):
            got = len(rest)
            while got < length // 2:
                chunk = sock.recv(min(1 << 20, length // 2 - got))
                if not chunk:
                    break
                got += len(chunk)
            return reset(sock) if fault == "reset-req" else stall(sock)
        parts, got = [rest], len(rest)
        while got < length:
            chunk = sock.recv(1 << 20)
            if not chunk:
                sock.close()
                return
            parts.append(chunk)
            got += len(chunk)
        rest = b"".join(parts)
        if fault == "500":
            return error_answer(sock, 500, "InternalError")
        if fault == "503":
            return error_answer(sock, 503, "SlowDown")
        if fault == "expired":
            return error_answer(sock, 400, "ExpiredToken")
        if fault == "200err":
            return error_answer(sock, 200, "InternalError")
        resp = forward(args.upstream_addr, head, rest)
        if fault in ("reset", "stall"):
            h, _, b = resp.partition(b"\r\n\r\n")
            sock.sendall(h + b"\r\n\r\n" + b[: len(b) // 2])
            return reset(sock) if fault == "reset" else stall(sock)
        sock.sendall(resp)
        sock.close()
    except OSError:
        sock.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--plan", default="")
    ap.add_argument("--always", default="")
    args = ap.parse_args()
    u = urllib.parse.urlparse(args.upstream)
    args.upstream_addr = (u.hostname, u.port or 80)
    args.plan = parse_plan(args.plan)
    args.always = {m: f[0] for m, f in parse_plan(args.always).items()}
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    open(args.log, "a").close()
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    import os
    os.rename(args.port_file + ".tmp", args.port_file)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handle, args=(conn, args),
                         daemon=True).start()


if __name__ == "__main__":
    main()
