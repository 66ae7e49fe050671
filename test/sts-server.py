#!/usr/bin/python3
"""sts-server.py: AWS STS for the credential tests, on 127.0.0.1.

    sts-server.py --port-file F --log L --keys AK1:SK1,AK2:SK2 \
        [--lifetime SECONDS] [--token TOKEN] [--deny ROLE-ARN]

POST / with a form body (the STS Query API, Version 2011-06-15):
AssumeRole must be signed with SigV4 (service sts, any region) by one of
--keys, carrying x-amz-security-token if those keys came with one;
AssumeRoleWithWebIdentity is unsigned and its WebIdentityToken must be
--token (default web-identity-token).  A RoleArn equal to --deny gets 403
AccessDenied; a bad token 400 InvalidIdentityToken; a bad signature 403
SignatureDoesNotMatch.  The credentials rotate through --keys at each
answer and expire --lifetime seconds later.  Roles named hop* get a
session token "sts-token-N" (which the next AssumeRole must present);
the others get an empty one: the test S3 server knows no session tokens.
One line per request goes to the log:
    ACTION ROLEARN ak=AK ext=EXTERNALID dur=DURATION sess=NAME \
        tok=TOKEN -> RESULT
RESULT is "creds AK" or the error code.
"""
import argparse
import datetime
import hashlib
import hmac
import http.server
import os
import sys
import threading
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import credsrv  # noqa: E402
import s3sigv4 as sigv4  # noqa: E402

lock = threading.Lock()
state = {"n": 0, "tokens": {}}


def sts_signature(secret, amz_date, region, creq):
    """SigV4 of CREQ for service sts (s3sigv4 knows only s3's scope)."""
    scope = "%s/%s/sts/aws4_request" % (amz_date[:8], region)
    sts = "\n".join([sigv4.ALGORITHM, amz_date, scope,
                     hashlib.sha256(creq.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for part in (amz_date[:8], region, "sts", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self, code, body):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, code, err):
        self.answer(code, "<ErrorResponse><Error><Type>Sender</Type>"
                    "<Code>%s</Code><Message>refused by the test STS"
                    "</Message></Error><RequestId>1</RequestId>"
                    "</ErrorResponse>" % err)
        return err

    def signer(self, body):
        """The access key that signed the request, or None."""
        auth = sigv4.parse_authorization(self.headers.get("Authorization"))
        if auth is None or auth["service"] != "sts":
            return None
        secret = dict(self.server.args.keys).get(auth["access_key"])
        if secret is None:
            return None
        headers = list(self.headers.items())
        creq = sigv4.canonical_request(
            "POST", self.path, [], headers, auth["signed"],
            hashlib.sha256(body).hexdigest())
        date = self.headers.get("X-Amz-Date", "")
        sig = sts_signature(secret, date, auth["region"], creq)
        if not hmac.compare_digest(sig, auth["signature"]):
            return None
        return auth["access_key"]

    def creds(self, role):
        args = self.server.args
        with lock:
            n = state["n"]
            state["n"] += 1
        ak, sk = args.keys[n % len(args.keys)]
        tok = ""
        if role.rsplit("/", 1)[-1].startswith("hop"):
            tok = "sts-token-%d" % n
            with lock:
                state["tokens"][ak] = tok
        else:
            with lock:
                state["tokens"].pop(ak, None)
        exp = (datetime.datetime.utcnow() +
               datetime.timedelta(seconds=args.lifetime))
        return ak, ("<Credentials><AccessKeyId>%s</AccessKeyId>"
                    "<SecretAccessKey>%s</SecretAccessKey>"
                    "<SessionToken>%s</SessionToken>"
                    "<Expiration>%s</Expiration></Credentials>" % (
                        ak, sk, tok, exp.strftime("%Y-%m-%dT%H:%M:%SZ")))

    def handle_form(self, form, body):
        args = self.server.args
        action = form.get("Action", "")
        role = form.get("RoleArn", "")
        ak = "-"
        if form.get("Version") != "2011-06-15" or not role or \
                not form.get("RoleSessionName"):
            return self.error(400, "ValidationError")
        if action == "AssumeRole":
            ak = self.signer(body)
            if ak is None:
                return self.error(403, "SignatureDoesNotMatch")
            with lock:
                want = state["tokens"].get(ak)
            if want is not None and \
                    self.headers.get("X-Amz-Security-Token") != want:
                return self.error(403, "InvalidClientTokenId")
        elif action == "AssumeRoleWithWebIdentity":
            if self.headers.get("Authorization") is not None:
                return self.error(400, "IncompleteSignature")
            if form.get("WebIdentityToken") != args.token:
                return self.error(400, "InvalidIdentityToken")
        else:
            return self.error(400, "InvalidAction")
        if role == args.deny:
            return self.error(403, "AccessDenied")
        nak, cred = self.creds(role)
        self.answer(200, "<%sResponse><%sResult>%s</%sResult>"
                    "</%sResponse>" % (action, action, cred, action,
                                       action))
        return "creds " + nak

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        form = dict(urllib.parse.parse_qsl(body.decode()))
        result = self.handle_form(form, body)
        auth = sigv4.parse_authorization(self.headers.get("Authorization"))
        with lock, open(self.server.args.log, "a") as f:
            f.write("%s %s ak=%s ext=%s dur=%s sess=%s tok=%s -> %s\n" % (
                form.get("Action"), form.get("RoleArn"),
                auth["access_key"] if auth else "-",
                form.get("ExternalId", "-"),
                form.get("DurationSeconds", "-"),
                form.get("RoleSessionName", "-"),
                self.headers.get("X-Amz-Security-Token", "-"), result))


def main():
    ap = argparse.ArgumentParser()
    credsrv.add_common(ap)
    ap.add_argument("--token", default="web-identity-token")
    ap.add_argument("--deny", default="")
    args = ap.parse_args()
    credsrv.serve(Handler, args)


if __name__ == "__main__":
    main()
