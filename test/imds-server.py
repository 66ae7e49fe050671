#!/usr/bin/python3
"""imds-server.py: EC2 instance metadata (IMDSv2) and container
credentials for the credential tests, on 127.0.0.1.

    imds-server.py --port-file F --log L --keys AK1:SK1,AK2:SK2 \
        [--lifetime SECONDS] [--auth TOKEN]

IMDSv2: PUT /latest/api/token (needs X-aws-ec2-metadata-token-ttl-seconds)
issues a session token; every GET under /latest/meta-data/ must carry it
in X-aws-ec2-metadata-token (else 401).  The role's credentials rotate
through --keys at each fetch and expire --lifetime seconds later.
Container: GET /container/creds needs "Authorization: --auth".
The Token field is empty: the test S3 server knows no session tokens.
One line per request goes to the log: METHOD PATH RESULT.
"""
import argparse
import datetime
import http.server
import json
import os
import secrets
import threading

lock = threading.Lock()
state = {"fetches": 0, "tokens": set()}


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

    def do_PUT(self):
        if self.path != "/latest/api/token":
            return self.answer(404, "")
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        if not ttl or not ttl.isdigit():
            self.note("400")
            return self.answer(400, "missing ttl")
        tok = secrets.token_hex(16)
        with lock:
            state["tokens"].add(tok)
        self.note("token")
        self.answer(200, tok)

    def do_GET(self):
        base = "/latest/meta-data/iam/security-credentials/"
        if self.path == "/container/creds":
            if self.headers.get("Authorization") != self.server.args.auth:
                self.note("401")
                return self.answer(401, "")
            ak, body = self.creds()
            self.note("creds " + ak)
            return self.answer(200, body, "application/json")
        if not self.path.startswith("/latest/meta-data/"):
            return self.answer(404, "")
        with lock:
            ok = self.headers.get("X-aws-ec2-metadata-token") in \
                state["tokens"]
        if not ok:
            self.note("401")
            return self.answer(401, "")
        if self.path == base:
            self.note("role")
            return self.answer(200, "cb-test-role")
        if self.path == base + "cb-test-role":
            ak, body = self.creds()
            self.note("creds " + ak)
            return self.answer(200, body)
        self.answer(404, "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--keys", required=True)
    ap.add_argument("--lifetime", type=int, default=3600)
    ap.add_argument("--auth", default="container-secret-token")
    args = ap.parse_args()
    args.keys = [tuple(k.split(":", 1)) for k in args.keys.split(",")]
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.args = args
    open(args.log, "a").close()
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
