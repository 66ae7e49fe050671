"""s3sigv4.py: AWS Signature Version 4 for S3, shared by the test tools.

The one home of SigV4 in the test suite: test/s3-proxy.py verifies what
clients send with it and re-signs for the upstream, test/s3-raw.py signs
the requests it sends.  Follows "AWS S3 API Reference, Authenticating
Requests (AWS Signature Version 4)": canonical request, string to sign,
signing key.  Checked against the AWS examples by `s3-proxy.py --self-test`
(the vectors of /work/shared/reference/s3-protocol.md section 2.1).

A request is described by plain values: METHOD, the raw path and query as
they go on the wire, and a list of (name, value) header pairs.
"""
import hashlib
import hmac
import re
import urllib.parse

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED = "UNSIGNED-PAYLOAD"
_SAFE = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"


def uri_encode(raw, keep_slash):
    """UriEncode of bytes or str: every byte outside A-Za-z0-9-._~ as %XX
    (uppercase); '/' kept when keep_slash."""
    if isinstance(raw, str):
        raw = raw.encode()
    out = []
    for b in raw:
        if b in _SAFE or (keep_slash and b == 0x2F):
            out.append(chr(b))
        else:
            out.append("%%%02X" % b)
    return "".join(out)


def canonical_uri(raw_path):
    """The canonical URI of a path as sent: decoded once, then UriEncoded
    once with '/' kept; S3 never normalises '//', '.' or '..'."""
    path = urllib.parse.unquote_to_bytes(raw_path) or b"/"
    return uri_encode(path, True)


def query_pairs(raw_query):
    """The decoded (name, value) pairs of a raw query string, in order."""
    pairs = []
    for item in filter(None, raw_query.split("&")):
        name, _, value = item.partition("=")
        pairs.append((urllib.parse.unquote_to_bytes(name),
                      urllib.parse.unquote_to_bytes(value)))
    return pairs


def canonical_query(pairs):
    """Names and values UriEncoded, sorted by name then value, n=v joined
    with '&'.  PAIRS are bytes or str; a presigned X-Amz-Signature is
    left out."""
    enc = sorted((uri_encode(n, False), uri_encode(v, False))
                 for n, v in pairs if n not in (b"X-Amz-Signature",
                                                "X-Amz-Signature"))
    return "&".join("%s=%s" % nv for nv in enc)


def header_value(headers, name):
    """Values of header NAME (any case) joined with ',', or None."""
    vals = [v for n, v in headers if n.lower() == name.lower()]
    return ",".join(vals) if vals else None


def canonical_headers(headers, signed):
    """`name:value\\n` for each signed header: trimmed, inner runs of
    spaces collapsed, repeats joined with ','."""
    lines = []
    for name in signed:
        vals = [re.sub(r"\s+", " ", v.strip()) for n, v in headers
                if n.lower() == name]
        lines.append("%s:%s\n" % (name, ",".join(vals)))
    return "".join(lines)


def canonical_request(method, raw_path, pairs, headers, signed, payload):
    """The canonical request; SIGNED is the sorted lowercase name list."""
    return "\n".join([method, canonical_uri(raw_path),
                      canonical_query(pairs),
                      canonical_headers(headers, signed), ";".join(signed),
                      payload])


def scope(date, region):
    return "%s/%s/s3/aws4_request" % (date[:8], region)


def string_to_sign(amz_date, region, creq):
    return "\n".join([ALGORITHM, amz_date, scope(amz_date, region),
                      hashlib.sha256(creq.encode()).hexdigest()])


def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signing_key(secret, date, region):
    """kSigning for SECRET, DATE (YYYYMMDD) and REGION, service s3."""
    k = _hmac(("AWS4" + secret).encode(), date[:8])
    return _hmac(_hmac(_hmac(k, region), "s3"), "aws4_request")


def signature(secret, amz_date, region, creq):
    """Lowercase hex signature of canonical request CREQ."""
    sts = string_to_sign(amz_date, region, creq)
    return hmac.new(signing_key(secret, amz_date, region), sts.encode(),
                    hashlib.sha256).hexdigest()


def parse_authorization(value):
    """Fields of `AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/s3/
    aws4_request, SignedHeaders=a;b, Signature=hex` as a dict with keys
    access_key, date, region, service, terminator, signed (list),
    signature; None if VALUE has not that shape."""
    m = re.match(r"AWS4-HMAC-SHA256\s+(.*)$", value or "", re.S)
    if not m:
        return None
    fields = {}
    for part in m.group(1).split(","):
        name, eq, val = part.strip().partition("=")
        if eq:
            fields[name] = val.strip()
    cred = fields.get("Credential", "").split("/")
    if len(cred) != 5 or "SignedHeaders" not in fields or \
            "Signature" not in fields:
        return None
    return {"access_key": cred[0], "date": cred[1], "region": cred[2],
            "service": cred[3], "terminator": cred[4],
            "signed": fields["SignedHeaders"].split(";"),
            "signature": fields["Signature"]}


def authorization(access_key, amz_date, region, signed, sig):
    return "%s Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        ALGORITHM, access_key, scope(amz_date, region), ";".join(signed),
        sig)


def sign(method, raw_path, raw_query, headers, access_key, secret, region,
         signed=None):
    """Sign a request whose headers already hold Host, x-amz-date and
    x-amz-content-sha256: return its Authorization value.  SIGNED defaults
    to host, content-md5, content-type and every x-amz-* header."""
    names = sorted({n.lower() for n, _ in headers})
    if signed is None:
        signed = [n for n in names if n in ("host", "content-md5",
                                            "content-type")
                  or n.startswith("x-amz-")]
    signed = sorted(signed)
    amz_date = header_value(headers, "x-amz-date")
    payload = header_value(headers, "x-amz-content-sha256") or UNSIGNED
    creq = canonical_request(method, raw_path, query_pairs(raw_query),
                             headers, signed, payload)
    return authorization(access_key, amz_date, region, signed,
                         signature(secret, amz_date, region, creq))
