#!/usr/bin/python3
"""s3-proxy.py: an HTTP(S) proxy in front of the test S3 server (Ceph RGW)
that injects faults and, with --strict, checks what AWS S3 checks.

    s3-proxy.py --upstream http://127.0.0.1:7480 --port-file F --log L
        [--port N] [--tls-cert CERT --tls-key KEY]
        [--plan SPEC] [--always SPEC]
        [--strict --keys AK:SK[,AK:SK...]|@FILE [--bucket-region B=R]...
         [--default-region REGION]]
    s3-proxy.py --self-test

It listens on 127.0.0.1:N (default: a free port), writes the port to F
once it listens, and serves HTTP/1.1 with keep-alive (TLS with --tls-cert
and --tls-key; upstream stays plain http).  Request bodies are read whole
before they go upstream; answers are streamed back.

Without --strict the client talks to it as to the S3 endpoint itself
(path-style URLs); requests go upstream unchanged, Host included, so their
SigV4 signatures stay valid.

With --strict it plays AWS S3 (test/s3strict.py has the rules, each with
the AWS documentation page it comes from): it takes the Host names of AWS
(BUCKET.s3.REGION.amazonaws.com virtual-hosted, s3.REGION.amazonaws.com
path style, .amazonaws.com.cn in China, s3.amazonaws.com = us-east-1; any
other Host is path style with no region), verifies the client's signature
with the --keys secrets, checks regions (--bucket-region, others in
--default-region, us-east-1 by default), checksums, Content-MD5 and
multipart upload state, then re-signs the request for RGW in path style
and adds to RGW's answer what AWS sends (x-amz-bucket-region, echoed
checksums, the COMPOSITE checksum of a completed upload).  With Expect:
100-continue the head rules run before the body is read; a refused
request is answered at once and the connection closed.

Faults.  SPEC is `KEY=F1,F2,...;KEY=...`.  KEY is a METHOD, or METHOD?NAME
for the requests of that METHOD whose query has the parameter NAME:
POST?uploads (CreateMultipartUpload), POST?uploadId (Complete),
PUT?partNumber (UploadPart), GET?list-type (ListObjectsV2), GET?uploads
(ListMultipartUploads), DELETE?uploadId (AbortMultipartUpload).  A request
takes the next fault of the first --plan list it matches that has faults
left (METHOD?NAME lists first, in SPEC order, then METHOD), else passes;
--always KEY=FAULT faults every request it matches.  With --strict, a
request the rules refuse takes no fault (reset-req and stall-req act
before the body rules, so they are taken).
  500        answer 500 InternalError without forwarding
  503        answer 503 SlowDown without forwarding
  expired    answer 400 ExpiredToken without forwarding
  200err     answer 200 OK with an <Error> body (InternalError)
  200err-ws  answer 200 OK, whitespace and newlines, then an <?xml ...?>
             <Error> InternalError body (as AWS streams on a slow Complete)
  archived   answer 403 InvalidObjectState (a GLACIER object) to a GET
  nosuchupload  answer 404 NoSuchUpload without forwarding
  404-page   answer 404 with an HTML page, no S3 error body (a load
             balancer's or a wrong endpoint's answer)
  notimpl    answer 501 NotImplemented (a server without a feature, e.g.
             conditional writes)
  reset      forward, send the head and half the body, then reset (RST)
  stall      forward, send the head and half the body, then go silent
  lost       forward, then reset without answering (a lost reply)
  ok-ws      forward; put whitespace and newlines before a 2xx body
  list-raw   forward a ListObjectsV2 without encoding-type=url, so the
             keys come back raw (needs --strict, to re-sign)
  key-denied a DeleteObjects (POST?delete): the keys holding "denied" are
             taken out of the request (needs --strict, to re-sign; its
             Content-MD5, x-amz-checksum-* and payload hash are made
             anew), and the answer gets an <Error> AccessDenied for each,
             as S3 reports a key the policy does not let go
  bad-size   forward; in a 2xx answer, append "x" to the total of
             Content-Range (a GET), to Content-Length (a HEAD), and to
             each <Size> of a listing: a size no client may read
  together   forward once another request for the same object (PATH
             without the query) is in flight at the proxy, waiting at
             most 3 s; logged `together`, or `alone` when none came: a
             client that sends parts or ranges of one object one at a
             time is told from one that sends them concurrently, whatever
             the timing
  reset-req  read half the request body, then reset
  stall-req  read half the request body, then go silent
  pass       forward unchanged

Log: one line per request, written before the answer goes out:
    METHOD PATH STYLE HOST STATUS BYTES FAULT
PATH is the target as sent, percent-decoded but for whitespace (%20);
STYLE virtual or path (from Host); HOST the Host header (- if none);
STATUS what the client was answered (- if nothing: lost, reset-req,
stall-req, or the client went away mid-body); BYTES the request body bytes
read from the client (0 for a request refused after Expect: 100-continue);
FAULT the fault applied, or pass (also for a request the strict rules
refused: its STATUS says so).  Parse it by spaces (no field holds one).
E.g.
    PUT /k?partNumber=1&uploadId=2~x virtual b.s3.amazonaws.com 400 0 pass
"""
import argparse
import base64
import hashlib
import http
import http.client
import os
import re
import socket
import ssl
import struct
import sys
import threading
import time
import traceback
import urllib.parse
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import s3checksums  # noqa: E402
import s3sigv4 as sigv4  # noqa: E402
import s3strict  # noqa: E402
from s3strict import S3Error  # noqa: E402

FAULTS = {"500", "503", "expired", "200err", "200err-ws", "archived",
          "nosuchupload", "404-page", "notimpl",
          "reset", "stall", "lost", "ok-ws", "list-raw", "bad-size",
          "key-denied", "together",
          "reset-req",
          "stall-req", "pass"}
PRE_BODY_FAULTS = {"reset-req", "stall-req"}
ANSWER_FAULTS = {"500", "503", "expired", "200err", "200err-ws",
                 "archived", "nosuchupload", "404-page", "notimpl"}
WHITESPACE = b"\n \n  \n\n   \n"
TOGETHER_WAIT = 3
IDLE_TIMEOUT = 300
UPSTREAM_TIMEOUT = 300


# --- faults ------------------------------------------------------------------

def parse_plan(spec):
    """{KEY: [FAULT...]} in SPEC order; KEY is METHOD or METHOD?NAME."""
    plan = {}
    for part in filter(None, (spec or "").split(";")):
        key, _, faults = part.partition("=")
        method, q, name = key.strip().partition("?")
        faults = [f.strip() for f in faults.split(",") if f.strip()]
        bad = [f for f in faults if f not in FAULTS]
        if bad or not method:
            raise ValueError("bad fault spec %r" % part)
        plan[method.upper() + q + name] = faults
    return plan


class Faults:
    """The --plan lists and --always faults, shared by all connections."""

    def __init__(self, plan, always):
        self.plan, self.always = plan, always
        self.lock = threading.Lock()

    def take(self, req):
        """(key, fault) for REQ; key None when nothing was planned."""
        with self.lock:
            for key in matching_keys(self.always, req):
                return None, self.always[key][0]
            for key in matching_keys(self.plan, req):
                if self.plan[key]:
                    return key, self.plan[key].pop(0)
        return None, "pass"

    def give_back(self, key, fault):
        if key is not None:
            with self.lock:
                self.plan[key].insert(0, fault)


def matching_keys(table, req):
    """Keys of TABLE that REQ matches: METHOD?NAME ones, then METHOD."""
    sel = [k for k in table if "?" in k and k.partition("?")[0] ==
           req.method and k.partition("?")[2] in req.params]
    return sel + ([req.method] if req.method in table else [])


# --- HTTP --------------------------------------------------------------------

class Request:
    """One request: METHOD, raw PATH and QUERY as sent, HEADERS as a list
    of (name, value), BODY once read, RECEIVED body bytes read so far."""

    def __init__(self, method, target, version, headers):
        self.method, self.target, self.version = method, target, version
        self.path, _, self.query = target.partition("?")
        self.headers = headers
        self.params = {}
        for n, v in sigv4.query_pairs(self.query):
            self.params.setdefault(n.decode("utf-8", "replace"),
                                   v.decode("utf-8", "replace"))
        self.body = b""
        self.received = 0

    def header(self, name):
        return sigv4.header_value(self.headers, name)

    def expects_continue(self):
        return (self.header("expect") or "").lower() == "100-continue"

    def wants_close(self):
        c = (self.header("connection") or "").lower()
        return c == "close" or (self.version == "HTTP/1.0" and
                                c != "keep-alive")

    def body_length(self):
        """Content-Length, or None for a chunked body."""
        if "chunked" in (self.header("transfer-encoding") or "").lower():
            return None
        return int(self.header("content-length") or 0)


class Conn:
    """A client connection: buffered reads, raw writes."""

    def __init__(self, sock):
        self.sock = sock
        self.rfile = sock.makefile("rb", buffering=65536)

    def read_head(self):
        """The next Request, or None at the end of the connection."""
        line = self.rfile.readline(65537)
        while line in (b"\r\n", b"\n"):
            line = self.rfile.readline(65537)
        if not line:
            return None
        method, target, version = line.decode("latin-1").split()
        headers = []
        while True:
            line = self.rfile.readline(65537).decode("latin-1")
            if line in ("\r\n", "\n", ""):
                break
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
        return Request(method, target, version, headers)

    def read(self, req, n):
        """Up to N body bytes (short only at EOF), counted in REQ."""
        data = self.rfile.read(n) if n > 0 else b""
        req.received += len(data)
        return data

    def read_body(self, req):
        """Read REQ's whole body into req.body; False at a premature EOF."""
        n = req.body_length()
        if n is None:
            return self.read_chunked(req)
        req.body = self.read(req, n)
        return len(req.body) == n

    def read_chunked(self, req):
        """A Transfer-Encoding: chunked body; False at a premature EOF."""
        parts = []
        while True:
            size = int(self.rfile.readline(1024).split(b";")[0], 16)
            if size == 0:
                break
            data = self.read(req, size)
            if len(data) != size:
                return False
            parts.append(data)
            self.rfile.readline(1024)           # the CRLF after the data
        while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
            pass                                # trailers
        req.body = b"".join(parts)
        return True

    def send(self, data):
        self.sock.sendall(data)

    def close(self):
        try:
            self.rfile.close()
        finally:
            self.sock.close()

    def reset(self):
        """Close with a TCP RST."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack("ii", 1, 0))
        self.close()

    def stall(self):
        """Go silent: read and drop until the client gives up (or 120 s)."""
        self.sock.settimeout(120)
        try:
            while self.rfile.read1(65536):
                pass
        except OSError:
            pass
        self.close()

    def linger(self):
        """Before closing with a body unread: drop what comes for up to
        2 s, so the client reads the answer instead of a reset."""
        deadline = time.monotonic() + 2
        self.sock.settimeout(0.5)
        try:
            while time.monotonic() < deadline and self.rfile.read1(65536):
                pass
        except OSError:
            pass


def head_bytes(status, headers, length, close):
    """The head of an answer: status line, HEADERS, Content-Length LENGTH
    and Connection."""
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    lines = ["HTTP/1.1 %d %s" % (status, phrase)]
    lines += ["%s: %s" % nv for nv in headers]
    lines.append("Content-Length: %s" % length)
    lines.append("Connection: %s" % ("close" if close else "keep-alive"))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


# --- the proxy ---------------------------------------------------------------

class Proxy:
    """Options and state shared by all connections."""

    def __init__(self, args):
        u = urllib.parse.urlparse(args.upstream)
        self.upstream = (u.hostname, u.port or 80)
        self.upstream_host = "%s:%d" % self.upstream
        self.faults = Faults(parse_plan(args.plan), parse_plan(args.always))
        self.logfile = args.log
        self.log_lock = threading.Lock()
        self.inflight = InFlight()
        self.strict = None
        if args.strict:
            keys = dict(kv.split(":", 1)
                        for kv in filter(None, args.keys.split(",")))
            regions = dict(br.split("=", 1) for br in args.bucket_region)
            self.strict = s3strict.Config(keys, regions,
                                          args.default_region)
        self.tls = None
        if args.tls_cert:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(args.tls_cert, args.tls_key)
            self.tls.set_alpn_protocols(["http/1.1"])


class InFlight:
    """Requests in flight at the proxy, per object PATH (`together`)."""

    def __init__(self):
        self.count = {}
        self.cv = threading.Condition()

    def enter(self, path):
        with self.cv:
            self.count[path] = self.count.get(path, 0) + 1
            self.cv.notify_all()

    def leave(self, path):
        with self.cv:
            self.count[path] -= 1

    def together(self, path):
        """`together` once another request for PATH is in flight, or
        `alone` after TOGETHER_WAIT seconds."""
        with self.cv:
            ok = self.cv.wait_for(lambda: self.count[path] >= 2,
                                  TOGETHER_WAIT)
        return "together" if ok else "alone"


class Exchange:
    """One request, its fault and what was answered."""

    def __init__(self, proxy, req):
        self.proxy, self.req = proxy, req
        self.strict = s3strict.Exchange(req, proxy.strict) \
            if proxy.strict else None
        self.addr = self.strict.addr if self.strict else \
            s3strict.address(req.header("host"), req.path)
        self.fault_key, self.fault = None, "pass"
        self.status = "-"
        self.denied = []

    def log(self):
        r = self.req
        path = "".join("%%%02X" % ord(c) if c.isspace() else c
                       for c in urllib.parse.unquote(r.target))
        line = "%s %s %s %s %s %d %s\n" % (
            r.method, path, self.addr.style,
            (r.header("host") or "-").replace(" ", ""), self.status,
            r.received, self.fault)
        with self.proxy.log_lock:
            with open(self.proxy.logfile, "a") as f:
                f.write(line)

    def answer(self, conn, status, headers, body, close):
        """Log, then send a whole answer (no body for HEAD)."""
        self.status = status
        self.log()
        if self.req.method == "HEAD":
            body = b""
        conn.send(head_bytes(status, headers, len(body), close) + body)
        return not close


def error_headers(err):
    return [("Content-Type", "application/xml"),
            ("x-amz-request-id", "CBTESTPROXY")] + err.headers


def answer_error(conn, x, err, close=False):
    headers = error_headers(err)
    if x.strict:
        headers = s3strict.error_headers(x.strict, headers)
    return x.answer(conn, err.status, headers, err.body(),
                    close or x.req.wants_close())


def refuse(conn, x, err):
    """A request the head rules refused.  With Expect: 100-continue the
    body is never read: answer, then close.  Else read it, then answer."""
    if x.req.expects_continue():
        answer_error(conn, x, err, close=True)
        conn.linger()
        return False
    if not conn.read_body(x.req):
        return False
    return answer_error(conn, x, err)


def pre_body_fault(conn, x):
    """reset-req, stall-req: read half the body, then reset or stall."""
    if x.req.expects_continue():
        conn.send(b"HTTP/1.1 100 Continue\r\n\r\n")
    n = x.req.body_length() or 0
    conn.read(x.req, n // 2)
    x.log()
    if x.fault == "reset-req":
        conn.reset()
    else:
        conn.stall()
    return False


def fault_answer(conn, x):
    """The faults answered without going upstream."""
    f = x.fault
    if f == "404-page":
        return x.answer(conn, 404, [("Content-Type", "text/html")],
                        b"<html><body><h1>404 Not Found</h1></body></html>",
                        True)
    if f in ("500", "200err"):
        err = S3Error(500, "InternalError", "")
    elif f == "503":
        err = S3Error(503, "SlowDown", "")
    elif f == "expired":
        err = S3Error(400, "ExpiredToken", "")
    elif f == "notimpl":
        err = S3Error(501, "NotImplemented", "A header you provided implies "
                      "functionality that is not implemented")
    elif f == "nosuchupload":
        err = S3Error(404, "NoSuchUpload", "The specified upload does not "
                      "exist. The upload ID may be invalid, or the upload "
                      "may have been aborted or completed.")
    elif f == "200err-ws":
        err = S3Error(500, "InternalError", "We encountered an internal "
                      "error. Please try again.")
    else:
        err = S3Error(403, "InvalidObjectState", "The operation is not "
                      "valid for the object's storage class",
                      extra=[("StorageClass", "GLACIER")])
    status = 200 if f in ("200err", "200err-ws") else err.status
    body = (WHITESPACE if f == "200err-ws" else b"") + err.body()
    return x.answer(conn, status, error_headers(err)[:2], body, True)


DENIED_MARK = "denied"


def key_denied_request(x):
    """key-denied: take the marked keys out of a DeleteObjects body and
    make its checksum headers and payload hash match.  True when every
    key is marked: then nothing goes upstream (key_denied_answer)."""
    r = x.req
    keys = s3strict.delete_keys(r.body)
    denied = [k for k in keys if DENIED_MARK in k]
    kept = [k for k in keys if DENIED_MARK not in k]
    x.denied = denied
    if not kept:
        return True
    r.body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Delete xmlns="%s">'
              '<Quiet>false</Quiet>%s</Delete>' % (s3strict.XMLNS, "".join(
                  "<Object><Key>%s</Key></Object>" % xml_key(k)
                  for k in kept))).encode()
    headers = []
    for n, v in r.headers:
        low = n.lower()
        if low == "content-md5":
            v = base64.b64encode(hashlib.md5(r.body).digest()).decode()
        elif low == "x-amz-content-sha256" and v != sigv4.UNSIGNED:
            v = hashlib.sha256(r.body).hexdigest()
        elif low.startswith(s3strict.CHECKSUM_HEADER) and \
                low[len(s3strict.CHECKSUM_HEADER):] in \
                s3checksums.ALGORITHMS:
            v = s3checksums.encode(low[len(s3strict.CHECKSUM_HEADER):],
                                   r.body)
        headers.append((n, v))
    r.headers = headers
    return False


def xml_key(k):
    return escape(k).replace("\t", "&#9;").replace("\n", "&#10;") \
        .replace("\r", "&#13;")


def denied_errors(x):
    """The <Error> elements key-denied adds to a DeleteResult."""
    return "".join("<Error><Key>%s</Key><Code>AccessDenied</Code><Message>"
                   "Access Denied</Message></Error>" % xml_key(k)
                   for k in x.denied).encode()


def key_denied_answer(conn, x):
    """key-denied with every key marked: S3's answer, made here."""
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult '
            'xmlns="%s">' % s3strict.XMLNS).encode() + denied_errors(x) + \
        b"</DeleteResult>"
    return x.answer(conn, 200, [("Content-Type", "application/xml")], body,
                    x.req.wants_close())


def upstream_request(x):
    """(method, target, headers, body) to send upstream."""
    p, r = x.proxy, x.req
    if x.strict:
        drop = ("encoding-type",) if x.fault == "list-raw" else ()
        return s3strict.upstream_request(x.strict, p.upstream_host, drop)
    headers = [(n, v) for n, v in r.headers if n.lower() not in
               ("connection", "keep-alive", "transfer-encoding",
                "content-length")]
    if r.body or r.method in ("PUT", "POST"):
        headers.append(("Content-Length", str(len(r.body))))
    return r.method, r.target, headers, r.body


def send_upstream(x):
    """Send the request upstream: (connection, response)."""
    method, target, headers, body = upstream_request(x)
    up = http.client.HTTPConnection(*x.proxy.upstream,
                                    timeout=UPSTREAM_TIMEOUT)
    up.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
    for n, v in headers:
        up.putheader(n, v)
    up.endheaders(body or None)
    return up, up.getresponse()


HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding",
              "content-length"}


def upstream_exists(x):
    """Whether the request's key exists upstream (a HEAD)."""
    amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    method, target, headers = s3strict.upstream_head(
        x.strict, x.proxy.upstream_host, amz_date)
    up = http.client.HTTPConnection(*x.proxy.upstream,
                                    timeout=UPSTREAM_TIMEOUT)
    try:
        up.putrequest(method, target, skip_host=True,
                      skip_accept_encoding=True)
        for n, v in headers:
            up.putheader(n, v)
        up.endheaders()
        resp = up.getresponse()
        resp.read()
        return resp.status == 200
    finally:
        up.close()


def forward(conn, x):
    """Go upstream, then answer the client (streaming the body)."""
    up, resp = send_upstream(x)
    try:
        if x.fault == "lost":
            body = resp.read()
            if x.strict:
                # upstream did it (a Complete completed): AWS knows it
                s3strict.after_body(x.strict, resp.status, s3strict.after_head(
                    x.strict, resp.status, resp.getheaders()), body)
            x.log()
            conn.reset()
            return False
        return relay(conn, x, resp)
    finally:
        up.close()


def bad_size_headers(headers):
    """bad-size: the total of Content-Range made unreadable."""
    return [(n, v + "x" if n.lower() == "content-range" else v)
            for n, v in headers]


def relay(conn, x, resp):
    """Answer the client with upstream's RESP, as the fault and the strict
    rules say."""
    headers = [(n, v) for n, v in resp.getheaders()
               if n.lower() not in HOP_BY_HOP]
    if x.strict:
        headers = s3strict.after_head(x.strict, resp.status, headers)
    bad_size = x.fault == "bad-size" and 200 <= resp.status < 300
    if bad_size:
        headers = bad_size_headers(headers)
    if x.req.method == "HEAD" or resp.status in (204, 304):
        # a HEAD answer keeps the length of the GET body it describes
        length = resp.getheader("content-length") or "0"
        if bad_size:
            length += "x"
        x.status = resp.status
        x.log()
        close = x.req.wants_close()
        conn.send(head_bytes(resp.status, headers, length, close))
        if x.fault in ("reset", "stall"):
            return cut_short(conn, x, resp.status, headers, b"", 0, False)
        return not close
    buffered = resp.length is None or \
        x.fault in ("ok-ws", "bad-size", "key-denied") or \
        (x.strict and s3strict.needs_body(x.strict))
    if buffered:
        return relay_buffered(conn, x, resp, headers)
    return relay_stream(conn, x, resp, headers)


def relay_buffered(conn, x, resp, headers):
    body = resp.read()
    if x.strict:
        headers, body = s3strict.after_body(x.strict, resp.status, headers,
                                            body)
    if x.fault == "ok-ws" and 200 <= resp.status < 300:
        body = WHITESPACE + body
    if x.fault == "key-denied" and resp.status == 200:
        body = body.replace(b"</DeleteResult>",
                            denied_errors(x) + b"</DeleteResult>")
    if x.fault == "bad-size" and 200 <= resp.status < 300 and \
            "list-type" in x.req.params:
        body = re.sub(rb"<Size>([0-9]*)</Size>", rb"<Size>\1x</Size>", body)
    if x.fault in ("reset", "stall"):
        return cut_short(conn, x, resp.status, headers, body, len(body))
    return x.answer(conn, resp.status, headers, body, x.req.wants_close())


def relay_stream(conn, x, resp, headers):
    n = resp.length
    if x.fault in ("reset", "stall"):
        return cut_short(conn, x, resp.status, headers, resp.read(n // 2), n)
    x.status = resp.status
    x.log()
    close = x.req.wants_close()
    conn.send(head_bytes(resp.status, headers, n, close))
    while True:
        chunk = resp.read(1 << 20)
        if not chunk:
            break
        conn.send(chunk)
    return not close


def cut_short(conn, x, status, headers, data, length, head=True):
    """reset, stall: the head (for LENGTH bytes; unless HEAD is False:
    sent already), half the body, then a reset or silence."""
    if head:
        x.status = status
        x.log()
        conn.send(head_bytes(status, headers, length, False) +
                  data[: max(length // 2, 0)])
    if x.fault == "reset":
        conn.reset()
    else:
        conn.stall()
    return False


def serve_one(conn, proxy):
    """Serve one request of CONN; True to keep the connection."""
    req = conn.read_head()
    if req is None:
        return False
    proxy.inflight.enter(req.path)
    try:
        return serve_request(conn, proxy, req)
    finally:
        proxy.inflight.leave(req.path)


def serve_request(conn, proxy, req):
    x = Exchange(proxy, req)
    try:
        if x.strict:
            s3strict.check_head(x.strict)
    except S3Error as err:
        return refuse(conn, x, err)
    x.fault_key, x.fault = proxy.faults.take(req)
    if x.fault in PRE_BODY_FAULTS:
        return pre_body_fault(conn, x)
    if x.fault in ANSWER_FAULTS and req.expects_continue():
        # an error answered before the body, as to a client that waits
        # for 100 Continue (the answer closes the connection)
        fault_answer(conn, x)
        conn.linger()
        return False
    if req.expects_continue():
        conn.send(b"HTTP/1.1 100 Continue\r\n\r\n")
    if not conn.read_body(req):
        x.log()                 # the client went away mid-body
        return False
    try:
        if x.strict:
            s3strict.check_body(x.strict)
    except S3Error as err:
        proxy.faults.give_back(x.fault_key, x.fault)
        x.fault = "pass"
        return answer_error(conn, x, err)
    if x.fault in ANSWER_FAULTS:
        return fault_answer(conn, x)
    if x.strict and s3strict.create_only(x.strict) and upstream_exists(x):
        return answer_error(conn, x, s3strict.precondition_failed())
    if x.fault == "key-denied" and x.strict and \
            x.strict.kind == "delete-objects":
        if key_denied_request(x):
            return key_denied_answer(conn, x)
    if x.fault == "together":
        x.fault = proxy.inflight.together(req.path)
    return forward(conn, x)


def handle(sock, proxy):
    """One client connection, as many requests as it sends."""
    conn = None
    try:
        sock.settimeout(IDLE_TIMEOUT)
        # small answers must not wait for the client's delayed ACK (TLS
        # 1.3 session tickets, a head before its body)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if proxy.tls:
            sock = proxy.tls.wrap_socket(sock, server_side=True)
        conn = Conn(sock)
        while serve_one(conn, proxy):
            pass
    except (OSError, http.client.HTTPException):
        pass                    # the client or upstream went away
    except Exception:
        traceback.print_exc()   # a malformed request, or a bug: say so
    finally:
        try:
            (conn or sock).close()
        except OSError:
            pass


# --- self-test ---------------------------------------------------------------

# s3-protocol.md section 2.1: AWS's examples and two of ours.
# (name, method, path, query, extra headers, payload, CR, signature)
VECTORS = [
    ("(a) GET with Range", "GET", "/test.txt", "", [("Range", "bytes=0-9")],
     sigv4.EMPTY_SHA256,
     "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
     "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
    ("(b) PUT of test$file.text", "PUT", "/test$file.text", "",
     [("Date", "Fri, 24 May 2013 00:00:00 GMT"),
      ("x-amz-storage-class", "REDUCED_REDUNDANCY")],
     "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
     "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
     "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
    ("(c) GET ?lifecycle", "GET", "/", "lifecycle", [], sigv4.EMPTY_SHA256,
     "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca",
     "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
    ("(d) GET ?max-keys=2&prefix=J", "GET", "/", "max-keys=2&prefix=J", [],
     sigv4.EMPTY_SHA256,
     "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7",
     "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
    ("(g) UploadPart, UNSIGNED-PAYLOAD, token", "PUT",
     "/backups/node1/ks/t%20x/nb-1-big-Data.db.lzo",
     "partNumber=1&uploadId=EXAMPLEuploadId",
     [("x-amz-security-token", "EXAMPLETOKEN")], sigv4.UNSIGNED,
     "938a985e370b7d74da55580df255358557c85dd3d3a9a498849b77c0b7ffefac",
     "9deef40985d70234410e29b5e33525bc98742a9b361b8af9ec7f201ed0c440db"),
    ("(h) ListObjectsV2 with a token", "GET", "/",
     "prefix=backups%2Fnode1%2F&list-type=2&encoding-type=url&"
     "continuation-token=1%2Fab%2Bcd%3D", [], sigv4.EMPTY_SHA256,
     "81dedb6511b79888f52c3e948e4f1f5735e573597e1aa09ec44643f338f03f92",
     "18a14665f6bab33277ea656e2f12d208b184ae0d680bff0abcc058ad6bab3ad0"),
]
EX_AK = "AKIAIOSFODNN7EXAMPLE"
EX_SK = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
EX_DATE = "20130524T000000Z"


def vector_checks():
    """(name, ok) for each SigV4 vector: the canonical request's hash, the
    signature, and sign() agreeing with both."""
    import hashlib
    for name, method, path, query, extra, payload, cr, sig in VECTORS:
        headers = [("Host", "examplebucket.s3.amazonaws.com"),
                   ("x-amz-content-sha256", payload),
                   ("x-amz-date", EX_DATE)] + extra
        signed = sorted(n.lower() for n, _ in headers)
        creq = sigv4.canonical_request(method, path, sigv4.query_pairs(query),
                                       headers, signed, payload)
        got = sigv4.signature(EX_SK, EX_DATE, "us-east-1", creq)
        auth = sigv4.parse_authorization(sigv4.sign(
            method, path, query, headers, EX_AK, EX_SK, "us-east-1", signed))
        yield name, (hashlib.sha256(creq.encode()).hexdigest() == cr and
                     got == sig and auth["signature"] == sig)


def other_checks():
    """(name, ok) for the signing key, addressing and checksums."""
    yield "signing key", sigv4.signing_key(EX_SK, EX_DATE, "us-east-1").hex() \
        == "dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378"
    cases = [("b.s3.eu-west-1.amazonaws.com", "/k", "virtual b /k eu-west-1"),
             ("a.b.s3.cn-north-1.amazonaws.com.cn", "/", "virtual a.b  "
              "cn-north-1"),
             ("b.s3.amazonaws.com", "/k/x", "virtual b /k/x us-east-1"),
             ("s3.us-east-1.amazonaws.com:443", "/b/k", "path b /k us-east-1"),
             ("127.0.0.1:7480", "/b", "path b  None"),
             ("127.0.0.1:7480", "/", "path None  None")]
    for host, path, want in cases:
        a = s3strict.address(host, path)
        yield "address %s%s" % (host, path), "%s %s %s %s" % (
            a.style, a.bucket, a.key, a.region) == want
    yield "crc32c", s3checksums.encode("crc32c", b"123456789") == "4waSgw=="
    yield "composite", s3checksums.composite(
        "crc32c", ["4waSgw==", "4waSgw=="]) == s3checksums.encode(
            "crc32c", bytes.fromhex("e3069283e3069283")) + "-2"


def self_test():
    """SigV4 against the vectors of s3-protocol.md 2.1, the addressing
    and the checksums.  Prints TAP; returns the exit status."""
    checks = list(vector_checks()) + list(other_checks())
    print("1..%d" % len(checks))
    for i, (name, ok) in enumerate(checks, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, name))
    return 0 if all(ok for _, ok in checks) else 1


# --- main --------------------------------------------------------------------

class ArgumentParser(argparse.ArgumentParser):
    def error(self, message):
        """Misuse exits 64, as everywhere in the suite."""
        self.print_usage(sys.stderr)
        sys.stderr.write("s3-proxy.py: %s\n" % message)
        sys.exit(64)


def parse_args():
    ap = ArgumentParser(description="S3 fault and strict proxy")
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("--upstream")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("--plan", default="")
    ap.add_argument("--always", default="")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--strict", action="store_true")
    ap.add_argument("--keys", default="")
    ap.add_argument("--bucket-region", action="append", default=[])
    ap.add_argument("--default-region", default="us-east-1")
    args = ap.parse_args()
    if args.self_test:
        return args
    if not (args.upstream and args.port_file and args.log):
        ap.error("--upstream, --port-file and --log are required")
    if bool(args.tls_cert) != bool(args.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    try:
        plans = parse_plan(args.plan), parse_plan(args.always)
    except ValueError as e:
        ap.error(str(e))
    for fault in ("list-raw", "key-denied"):
        if not args.strict and any(fault in f for p in plans
                                   for f in p.values()):
            ap.error("%s needs --strict (the request is re-signed)" % fault)
    if args.keys.startswith("@"):       # from a file: secrets off argv
        with open(args.keys[1:]) as f:
            args.keys = f.read().strip()
    if args.strict and not re.fullmatch(r"[^:,]+:[^,]+(,[^:,]+:[^,]+)*",
                                        args.keys):
        ap.error("--strict needs --keys AK:SK[,AK:SK...]")
    if any("=" not in br for br in args.bucket_region):
        ap.error("--bucket-region takes BUCKET=REGION")
    return args


def listen(port, port_file):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(128)
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    os.rename(port_file + ".tmp", port_file)
    return srv


def main():
    args = parse_args()
    if args.self_test:
        sys.exit(self_test())
    proxy = Proxy(args)
    open(args.log, "a").close()
    srv = listen(args.port, args.port_file)
    while True:
        sock, _ = srv.accept()
        threading.Thread(target=handle, args=(sock, proxy),
                         daemon=True).start()


if __name__ == "__main__":
    main()
