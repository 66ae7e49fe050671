#!/usr/bin/python3
"""s3-raw.py: send one S3 request exactly as told, print the answer.

    s3-raw.py [options] METHOD URL

The path and query of URL go on the wire as written (no re-encoding); the
request is signed with SigV4 (test/s3sigv4.py) from AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY, unless --no-sign.  Options:
  --connect-to HOST:PORT  connect there; URL's host stays in Host, in the
                          TLS SNI and in the certificate check
  --cacert FILE           CA bundle for https (default: the system's)
  -H 'Name: value'        a header, sent as given (repeatable)
  --unsigned 'Name: value'  a header added after signing (repeatable)
  --data STRING | --data-file FILE   the body
  --region R              credential scope region (default AWS_REGION,
                          else us-east-1)
  --payload HASH          x-amz-content-sha256: a value, `unsigned`
                          (UNSIGNED-PAYLOAD) or `none` (header left out);
                          default the SHA-256 of the body
  --checksum ALG          add x-amz-checksum-ALG of the body
  --md5                   add Content-MD5 of the body
  --bad-signature         send a signature with one digit changed
  --no-sign               no Authorization header
  --expect                send Expect: 100-continue and the body only
                          after 100 Continue (waits up to 5 s)
  --show H1,H2            the response headers to print (default: all)
Output (stdout): `HTTP STATUS`, the response headers (`name: value`,
lowercase names), `x-raw-body-sent: N` (request body bytes sent), a blank
line, the body.  Exit 0 when an answer came, 1 otherwise.
"""
import argparse
import base64
import datetime
import hashlib
import os
import socket
import ssl
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import s3checksums  # noqa: E402
import s3sigv4 as sigv4  # noqa: E402


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("method")
    ap.add_argument("url")
    ap.add_argument("--connect-to")
    ap.add_argument("--cacert")
    ap.add_argument("-H", dest="headers", action="append", default=[])
    ap.add_argument("--unsigned", action="append", default=[])
    ap.add_argument("--data")
    ap.add_argument("--data-file")
    ap.add_argument("--region",
                    default=os.environ.get("AWS_REGION") or "us-east-1")
    ap.add_argument("--payload")
    ap.add_argument("--checksum")
    ap.add_argument("--md5", action="store_true")
    ap.add_argument("--bad-signature", action="store_true")
    ap.add_argument("--no-sign", action="store_true")
    ap.add_argument("--expect", action="store_true")
    ap.add_argument("--show")
    return ap.parse_args()


def body_of(args):
    if args.data_file:
        with open(args.data_file, "rb") as f:
            return f.read()
    return (args.data or "").encode()


def header_pairs(specs):
    return [(n.strip(), v.strip()) for n, _, v in
            (h.partition(":") for h in specs)]


def build_headers(args, netloc, body):
    """The request headers, signed unless --no-sign."""
    now = datetime.datetime.now(datetime.timezone.utc)
    headers = [("Host", netloc),
               ("x-amz-date", now.strftime("%Y%m%dT%H%M%SZ"))]
    payload = args.payload or hashlib.sha256(body).hexdigest()
    if payload == "unsigned":
        payload = sigv4.UNSIGNED
    if payload != "none":
        headers.append(("x-amz-content-sha256", payload))
    if args.checksum:
        alg = args.checksum.lower()
        headers.append(("x-amz-checksum-" + alg,
                        s3checksums.encode(alg, body)))
    if args.md5:
        headers.append(("Content-MD5",
                        base64.b64encode(hashlib.md5(body).digest()).decode()))
    headers += header_pairs(args.headers)
    if args.expect:
        headers.append(("Expect", "100-continue"))
    return headers


def sign(args, method, path, query, headers):
    auth = sigv4.sign(method, path, query, headers,
                      os.environ["AWS_ACCESS_KEY_ID"],
                      os.environ["AWS_SECRET_ACCESS_KEY"], args.region)
    if args.bad_signature:
        last = auth[-1]
        auth = auth[:-1] + ("0" if last != "0" else "1")
    return auth


def connect(args, url):
    host, port = url.hostname, url.port or (443 if url.scheme == "https"
                                            else 80)
    if args.connect_to:
        h, _, p = args.connect_to.rpartition(":")
        sock = socket.create_connection((h, int(p)), timeout=30)
    else:
        sock = socket.create_connection((host, port), timeout=30)
    if url.scheme == "https":
        ctx = ssl.create_default_context(cafile=args.cacert)
        sock = ctx.wrap_socket(sock, server_hostname=host)
    return sock


class Reader:
    """Buffered reads of a socket that survive a timeout (a makefile()
    does not)."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def fill(self, timeout=None):
        """Read more; False at EOF or when TIMEOUT passes first."""
        self.sock.settimeout(timeout or 30)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            if timeout is None:
                raise
            return False
        finally:
            self.sock.settimeout(30)
        self.buf += data
        return bool(data)

    def readline(self):
        while b"\n" not in self.buf and self.fill():
            pass
        line, nl, self.buf = self.buf.partition(b"\n")
        return line + nl

    def read(self, n=None):
        while (n is None or len(self.buf) < n) and self.fill():
            pass
        data, self.buf = (self.buf, b"") if n is None else \
            (self.buf[:n], self.buf[n:])
        return data


def read_answer(rfile, method):
    """(status, [(name, value)], body) of the next answer."""
    status = int(rfile.readline().split()[1])
    headers = []
    while True:
        line = rfile.readline().decode("latin-1").rstrip("\r\n")
        if not line:
            break
        n, _, v = line.partition(":")
        headers.append((n.strip().lower(), v.strip()))
    length = sigv4.header_value(headers, "content-length")
    if method == "HEAD" or status in (100, 204, 304):
        return status, headers, b""
    if length is not None:
        return status, headers, rfile.read(int(length))
    return status, headers, rfile.read()


def exchange(sock, method, target, headers, body, expect):
    """Send the request; (status, headers, body, body bytes sent).  With
    EXPECT, the body goes after 100 Continue, or after 5 s of silence."""
    rfile = Reader(sock)
    head = "%s %s HTTP/1.1\r\n" % (method, target)
    head += "".join("%s: %s\r\n" % nv for nv in headers)
    head += "Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
    sock.sendall(head.encode("latin-1"))
    sent = 0
    if expect and body and rfile.fill(timeout=5):
        status, h, b = read_answer(rfile, method)
        if status != 100:
            return status, h, b, 0
    try:
        sock.sendall(body)
        sent = len(body)
    except OSError:
        pass
    status = 100
    while status == 100:
        status, h, b = read_answer(rfile, method)
    return status, h, b, sent


def main():
    args = parse_args()
    url = urllib.parse.urlsplit(args.url)
    path = url.path or "/"
    body = body_of(args)
    headers = build_headers(args, url.netloc, body)
    if not args.no_sign:
        headers.append(("Authorization",
                        sign(args, args.method, path, url.query, headers)))
    headers += header_pairs(args.unsigned)
    target = path + ("?" + url.query if url.query else "")
    sock = connect(args, url)
    status, rh, rb, sent = exchange(sock, args.method, target, headers, body,
                                    args.expect)
    show = args.show.lower().split(",") if args.show else None
    out = ["HTTP %d" % status]
    out += ["%s: %s" % (n, v) for n, v in rh if show is None or n in show]
    out.append("x-raw-body-sent: %d" % sent)
    sys.stdout.write("\n".join(out) + "\n\n")
    sys.stdout.flush()
    sys.stdout.buffer.write(rb)
    if rb and not rb.endswith(b"\n"):
        sys.stdout.buffer.write(b"\n")


if __name__ == "__main__":
    main()
