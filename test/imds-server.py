#!/usr/bin/python3
"""imds-server.py: EC2 instance metadata (IMDSv2) and container
credentials for the credential tests, on 127.0.0.1.

    imds-server.py --port-file F --log L --keys AK1:SK1,AK2:SK2 \
        [--lifetime SECONDS] [--auth TOKEN | --auth-file F [--rotate]] \
        [--token-put ok|hang|drop|STATUS]

IMDSv2: PUT /latest/api/token (needs X-aws-ec2-metadata-token-ttl-seconds)
issues a session token; every GET under /latest/meta-data/ must carry it
in X-aws-ec2-metadata-token (else 401).  The role's credentials rotate
through --keys at each fetch and expire --lifetime seconds later.
--token-put makes the token PUT fail the way it does on EC2 when the
answer cannot reach the caller (a container behind the default hop limit
of 1): hang (read the request, answer nothing until the client gives up),
drop (close the connection without an answer), or STATUS (answer with that
HTTP status).  The server then serves IMDSv1: GETs without a token work.
Container: GET /container/creds needs "Authorization: --auth", or the
contents of --auth-file at the time of the request (trailing white space
dropped); with --rotate the server writes a new token "tok-N" to that file
(atomically, by rename) after each fetch it answers, as EKS Pod Identity
rotates its token file.
The Token field is empty: the test S3 server knows no session tokens.
One line per request goes to the log: METHOD PATH RESULT.  RESULT is
token, hang, drop, the status, role, "creds AK", or 401; GETs served
without a token say "v1 role" and "v1 creds AK"; container fetches say
"creds AK auth TOKEN" (the Authorization value they carried).
"""
import argparse
import datetime
import http.server
import json
import os
import secrets
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import credsrv  # noqa: E402

lock = threading.Lock()
state = {"fetches": 0, "tokens": set(), "rotations": 0}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def note(self, result):
        with lock, open(self.server.args.log, "a") as f:
            f.write("%s %s %s\n" % (self.command, self.path, result))

    def answer(self, code, body, ctype="text/plain"):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def creds(self):
        args = self.server.args
        with lock:
            n = state["fetches"]
            state["fetches"] += 1
        ak, sk = args.keys[n % len(args.keys)]
        exp = (datetime.datetime.utcnow() +
               datetime.timedelta(seconds=args.lifetime))
        return ak, json.dumps({
            "Code": "Success", "Type": "AWS-HMAC",
            "LastUpdated": datetime.datetime.utcnow().strftime(
                "%Y-%m-%dT%H:%M:%SZ"),
            "AccessKeyId": ak, "SecretAccessKey": sk, "Token": "",
            "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ")})

    def hang(self):
        """Answer nothing: wait until the client hangs up (at most 60 s)."""
        self.note("hang")
        self.connection.settimeout(60)
        try:
            while self.connection.recv(4096):
                pass
        except OSError:
            pass
        self.close_connection = True

    def do_PUT(self):
        mode = self.server.args.token_put
        if self.path != "/latest/api/token":
            return self.answer(404, "")
        if mode == "hang":
            return self.hang()
        if mode == "drop":
            self.note("drop")
            self.close_connection = True
            return
        if mode != "ok":
            self.note(mode)
            return self.answer(int(mode), "")
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        if not ttl or not ttl.isdigit():
            self.note("400")
            return self.answer(400, "missing ttl")
        tok = secrets.token_hex(16)
        with lock:
            state["tokens"].add(tok)
        self.note("token")
        self.answer(200, tok)

    def container_auth(self):
        args = self.server.args
        if args.auth_file is None:
            return args.auth
        with open(args.auth_file) as f:
            return f.read().rstrip()

    def rotate(self):
        path = self.server.args.auth_file
        with lock:
            state["rotations"] += 1
            n = state["rotations"]
        with open(path + ".tmp", "w") as f:
            f.write("tok-%d\n" % n)
        os.rename(path + ".tmp", path)

    def container(self):
        args = self.server.args
        auth = self.headers.get("Authorization")
        if auth != self.container_auth():
            self.note("401")
            return self.answer(401, "")
        ak, body = self.creds()
        self.note("creds %s auth %s" % (ak, auth))
        if args.rotate:
            self.rotate()
        self.answer(200, body, "application/json")

    def do_GET(self):
        base = "/latest/meta-data/iam/security-credentials/"
        if self.path == "/container/creds":
            return self.container()
        if not self.path.startswith("/latest/meta-data/"):
            return self.answer(404, "")
        tok = self.headers.get("X-aws-ec2-metadata-token")
        with lock:
            ok = tok in state["tokens"]
        v1 = tok is None and self.server.args.token_put != "ok"
        if not ok and not v1:
            self.note("401")
            return self.answer(401, "")
        pre = "v1 " if v1 else ""
        if self.path == base:
            self.note(pre + "role")
            return self.answer(200, "cb-test-role")
        if self.path == base + "cb-test-role":
            ak, body = self.creds()
            self.note(pre + "creds " + ak)
            return self.answer(200, body)
        self.answer(404, "")


def main():
    ap = argparse.ArgumentParser()
    credsrv.add_common(ap)
    ap.add_argument("--auth", default="container-secret-token")
    ap.add_argument("--auth-file")
    ap.add_argument("--rotate", action="store_true")
    ap.add_argument("--token-put", default="ok")
    args = ap.parse_args()
    if args.token_put not in ("ok", "hang", "drop") and \
            not args.token_put.isdigit():
        ap.error("--token-put: ok, hang, drop or an HTTP status")
    if args.rotate and args.auth_file is None:
        ap.error("--rotate needs --auth-file")
    credsrv.serve(Handler, args)


if __name__ == "__main__":
    main()
