"""s3strict.py: the AWS S3 rules test/s3-proxy.py --strict enforces.

Ceph RGW 16 accepts requests AWS refuses (it ignores the region, the
additional checksums, and answers 500 where AWS says NoSuchUpload).  The
strict proxy plays AWS in front of it: it reads the addressing style and
region from Host, verifies the client's SigV4 signature exactly as sent,
applies the rules below, then re-signs the request in path style for RGW
and adds to RGW's answer what AWS would say.

Each rule is one function `rule_*(x)` that raises S3Error; its comment
names the AWS documentation page it comes from.  HEAD_RULES run on the
request head (before the body is read when the client sent Expect:
100-continue); BODY_RULES run once the body is in.  An Exchange `x` holds
one request and what the rules found out about it.
"""
import base64
import hashlib
import os
import re
import threading
import urllib.parse
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

import s3checksums
import s3sigv4 as sigv4

STREAMING = "STREAMING-"
XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"


class S3Error(Exception):
    """An S3 error answer: STATUS, CODE, MESSAGE, extra <Error> elements
    (name, value) and extra response headers (name, value)."""

    def __init__(self, status, code, message, extra=(), headers=()):
        super().__init__(code)
        self.status, self.code, self.message = status, code, message
        self.extra, self.headers = list(extra), list(headers)

    def body(self):
        extra = "".join("<%s>%s</%s>" % (n, escape(v), n)
                        for n, v in self.extra)
        rid = os.urandom(8).hex().upper()
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s'
                '</Code><Message>%s</Message>%s<RequestId>%s</RequestId>'
                '<HostId>cb-test-proxy</HostId></Error>' % (
                    self.code, escape(self.message), extra, rid)).encode()


def invalid_request(message):
    return S3Error(400, "InvalidRequest", message)


# --- state shared by all connections -----------------------------------------

class Upload:
    """A multipart upload seen through the proxy: the checksum algorithm
    declared at CreateMultipartUpload (lowercase, or None), the stored
    checksum of each part (header value by part number), and its state."""

    def __init__(self, algorithm):
        self.algorithm = algorithm
        self.parts = {}
        self.state = "open"          # open | completed | aborted


class Config:
    """What --strict knows: secret keys by access key, bucket regions."""

    def __init__(self, keys, regions, default_region):
        self.keys = keys
        self.regions = regions
        self.default_region = default_region
        self.uploads = {}
        self.lock = threading.Lock()

    def region_of(self, bucket):
        return self.regions.get(bucket, self.default_region)

    def upload(self, upload_id):
        with self.lock:
            return self.uploads.get(upload_id)

    def add_upload(self, upload_id, algorithm):
        with self.lock:
            self.uploads[upload_id] = Upload(algorithm)


# --- addressing --------------------------------------------------------------

# "Amazon S3 User Guide, Virtual hosting of buckets" and "AWS General
# Reference, Amazon S3 endpoints (Regions and endpoints)":
# BUCKET.s3.REGION.amazonaws.com is virtual-hosted style, s3.REGION.
# amazonaws.com/BUCKET/KEY path style; the China regions use
# amazonaws.com.cn; the legacy s3.amazonaws.com is us-east-1.
AWS_HOST = re.compile(r"^(?:(?P<bucket>.+)\.)?s3(?:\.(?P<region>[a-z0-9-]+))?"
                      r"\.amazonaws\.com(?:\.cn)?$")


class Address:
    """Where a request goes: STYLE (virtual|path), BUCKET (or None), KEY
    (the raw path after the bucket, '' or starting with '/'), and the
    REGION its host names (None for a host that is not an AWS name)."""

    def __init__(self, style, bucket, key, region):
        self.style, self.bucket, self.key, self.region = \
            style, bucket, key, region


def address(host, raw_path):
    """The Address of a request for HOST (port ignored) and RAW_PATH."""
    name = re.sub(r":\d+$", "", (host or "").lower())
    m = AWS_HOST.match(name)
    region = None
    if m:
        region = m.group("region") or "us-east-1"
        if m.group("bucket"):
            key = raw_path if raw_path != "/" else ""
            return Address("virtual", m.group("bucket"), key, region)
    seg, slash, rest = raw_path[1:].partition("/")
    bucket = urllib.parse.unquote(seg) or None
    return Address("path", bucket, slash + rest if bucket else "", region)


def aws_endpoint(bucket, region):
    domain = "amazonaws.com.cn" if region.startswith("cn-") else \
        "amazonaws.com"
    return "%s.s3.%s.%s" % (bucket, region, domain)


# --- what a request is -------------------------------------------------------

def classify(req, addr):
    """The S3 operation of a request, as far as the rules care."""
    p, m = req.params, req.method
    if not addr.bucket:
        return "service"
    if not addr.key.strip("/"):
        if m == "HEAD":
            return "head-bucket"
        if m == "POST" and "delete" in p:
            return "delete-objects"
        if m == "GET" and "location" in p:
            return "location"
        if m == "GET" and "uploads" in p:
            return "list-uploads"
        return "bucket"
    if m == "POST" and "uploads" in p:
        return "create"
    if m == "POST" and "uploadId" in p:
        return "complete"
    if m == "PUT" and "uploadId" in p and "partNumber" in p:
        return "copy" if req.header("x-amz-copy-source") else "part"
    if m == "DELETE" and "uploadId" in p:
        return "abort"
    if m == "GET" and "uploadId" in p:
        return "list-parts"
    if m == "PUT":
        return "copy" if req.header("x-amz-copy-source") else "put"
    return "object"


CHECKSUM_HEADER = "x-amz-checksum-"


def request_checksum(req):
    """(algorithm, value) of the x-amz-checksum-ALG header, or None."""
    found = []
    for name, value in req.headers:
        alg = name.lower()[len(CHECKSUM_HEADER):]
        if name.lower().startswith(CHECKSUM_HEADER) and \
                alg in s3checksums.ALGORITHMS:
            found.append((alg, value.strip()))
    if len(found) > 1:
        # AWS S3 API Reference, PutObject / UploadPart: one checksum.
        raise invalid_request("Expecting a single x-amz-checksum- header. "
                              "Multiple checksum Types are not allowed.")
    return found[0] if found else None


class Exchange:
    """One request through the strict proxy and what the rules learnt."""

    def __init__(self, req, cfg):
        self.req, self.cfg = req, cfg
        self.addr = address(req.header("host"), req.path)
        self.kind = classify(req, self.addr)
        self.auth = self.secret = None
        self.upload_id = req.params.get("uploadId")
        self.upload = cfg.upload(self.upload_id) if self.upload_id else None
        self.checksum = None
        self.part_checksums = []     # of a Complete body, in part order

    @property
    def bucket_region(self):
        return self.cfg.region_of(self.addr.bucket)


# --- head rules --------------------------------------------------------------

def rule_authorization(x):
    """AWS S3 API Reference, Authenticating Requests (AWS Signature Version
    4) / Signature Calculations for the Authorization Header: a signed
    request carries a well-formed Authorization header and x-amz-date of
    the credential's day.  (Presigned URLs are not supported here.)"""
    value = x.req.header("authorization")
    if value is None:
        raise S3Error(403, "AccessDenied", "Access Denied")
    auth = sigv4.parse_authorization(value)
    if auth is None:
        raise S3Error(400, "AuthorizationHeaderMalformed",
                      "The authorization header is malformed; the "
                      "authorization header requires three components: "
                      "Credential, SignedHeaders, and Signature.")
    date = x.req.header("x-amz-date")
    if not date:
        raise S3Error(403, "AccessDenied", "AWS authentication requires a "
                      "valid Date or x-amz-date header")
    if auth["date"] != date[:8]:
        raise S3Error(400, "AuthorizationHeaderMalformed",
                      "The authorization header is malformed; Invalid "
                      "credential date. Date is not the same as X-Amz-Date.")
    if auth["service"] != "s3" or auth["terminator"] != "aws4_request":
        raise S3Error(400, "AuthorizationHeaderMalformed",
                      "The authorization header is malformed; incorrect "
                      "service or terminator in the credential scope.")
    x.auth = auth


def rule_region_redirect(x):
    """Amazon S3 User Guide, Virtual hosting of buckets / Making requests
    (Regions and endpoints): a bucket asked at another region's endpoint
    answers 301 PermanentRedirect with x-amz-bucket-region."""
    a = x.addr
    if not a.bucket or a.region is None or a.region == x.bucket_region:
        return
    raise S3Error(301, "PermanentRedirect",
                  "The bucket you are attempting to access must be "
                  "addressed using the specified endpoint. Please send all "
                  "future requests to this endpoint.",
                  extra=[("Endpoint", aws_endpoint(a.bucket,
                                                   x.bucket_region)),
                         ("Bucket", a.bucket)],
                  headers=[("x-amz-bucket-region", x.bucket_region)])


def rule_scope_region(x):
    """AWS S3 API Reference, Authenticating Requests (AWS Signature Version
    4): the credential scope names the bucket's region, else 400
    AuthorizationHeaderMalformed with the expected <Region>."""
    want = x.bucket_region if x.addr.bucket else x.addr.region
    got = x.auth["region"]
    if want is None or got == want:
        return
    raise S3Error(400, "AuthorizationHeaderMalformed",
                  "The authorization header is malformed; the region '%s' "
                  "is wrong; expecting '%s'" % (got, want),
                  extra=[("Region", want)])


def rule_content_sha256_present(x):
    """AWS S3 API Reference, Common Request Headers (x-amz-content-sha256):
    required in every SigV4-signed request."""
    value = x.req.header("x-amz-content-sha256")
    if value is None:
        raise invalid_request("Missing required header for this request: "
                              "x-amz-content-sha256")
    if value.startswith(STREAMING):
        raise S3Error(501, "NotImplemented", "The test proxy does not "
                      "verify aws-chunked streaming payloads")
    if value != sigv4.UNSIGNED and not re.fullmatch(r"[0-9a-f]{64}", value):
        raise S3Error(400, "InvalidArgument", "x-amz-content-sha256 must be "
                      "UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, "
                      "or a valid sha256 value.")


def rule_access_key(x):
    """AWS S3 API Reference, Error responses (InvalidAccessKeyId)."""
    x.secret = x.cfg.keys.get(x.auth["access_key"])
    if x.secret is None:
        raise S3Error(403, "InvalidAccessKeyId", "The AWS Access Key Id you "
                      "provided does not exist in our records.",
                      extra=[("AWSAccessKeyId", x.auth["access_key"])])


def rule_headers_signed(x):
    """AWS S3 API Reference, Signature Calculations for the Authorization
    Header: host and every x-amz-* header sent must be signed (S3 lets
    x-amz-content-sha256 through unsigned)."""
    signed = set(x.auth["signed"]) | {"x-amz-content-sha256"}
    missing = sorted({n.lower() for n, _ in x.req.headers
                      if n.lower().startswith("x-amz-")} - signed)
    if "host" not in signed:
        missing.insert(0, "host")
    if missing:
        raise S3Error(403, "AccessDenied", "There were headers present in "
                      "the request which were not signed",
                      extra=[("HeadersNotSigned", ", ".join(missing))])


def client_canonical_request(x):
    r = x.req
    return sigv4.canonical_request(
        r.method, r.path, sigv4.query_pairs(r.query), r.headers,
        x.auth["signed"], r.header("x-amz-content-sha256"))


def rule_signature(x):
    """AWS S3 API Reference, Signature Calculations for the Authorization
    Header: the signature is recomputed from the request as sent (path
    and query as on the wire, the signed headers, the declared payload
    hash); any difference is 403 SignatureDoesNotMatch."""
    a = x.auth
    creq = client_canonical_request(x)
    date = x.req.header("x-amz-date")
    if sigv4.signature(x.secret, date, a["region"], creq) == a["signature"]:
        return
    raise S3Error(403, "SignatureDoesNotMatch", "The request signature we "
                  "calculated does not match the signature you provided. "
                  "Check your key and signing method.",
                  extra=[("AWSAccessKeyId", a["access_key"]),
                         ("StringToSign", sigv4.string_to_sign(
                             date, a["region"], creq)),
                         ("SignatureProvided", a["signature"]),
                         ("CanonicalRequest", creq)])


def rule_content_length(x):
    """AWS S3 API Reference, PutObject / UploadPart (Content-Length):
    a PUT without Content-Length is 411 MissingContentLength."""
    if x.req.method == "PUT" and x.req.header("content-length") is None:
        raise S3Error(411, "MissingContentLength", "You must provide the "
                      "Content-Length HTTP header.")


def rule_upload_live(x):
    """AWS S3 API Reference, UploadPart / CompleteMultipartUpload /
    AbortMultipartUpload / ListParts: an upload that was completed or
    aborted is 404 NoSuchUpload (RGW 16 answers 500 after an abort)."""
    if x.upload is None or x.upload.state == "open":
        return
    raise S3Error(404, "NoSuchUpload", "The specified upload does not "
                  "exist. The upload ID may be invalid, or the upload may "
                  "have been aborted or completed.",
                  extra=[("UploadId", x.upload_id)])


def rule_checksum_header(x):
    """Amazon S3 User Guide, Checking object integrity: one
    x-amz-checksum-ALG header, the base64 of a digest of ALG's size."""
    x.checksum = request_checksum(x.req)
    if x.checksum and s3checksums.decode(*x.checksum) is None:
        raise invalid_request("Value for x-amz-checksum-%s header is "
                              "invalid." % x.checksum[0])


def rule_content_md5_header(x):
    """AWS S3 API Reference, Common Request Headers (Content-MD5): the
    base64 of 16 bytes, else 400 InvalidDigest."""
    value = x.req.header("content-md5")
    if value is None:
        return
    try:
        ok = len(base64.b64decode(value.strip(), validate=True)) == 16
    except ValueError:
        ok = False
    if not ok:
        raise S3Error(400, "InvalidDigest", "The Content-MD5 you specified "
                      "was invalid.", extra=[("Content-MD5", value)])


def rule_create_algorithm(x):
    """AWS S3 API Reference, CreateMultipartUpload
    (x-amz-checksum-algorithm): CRC32, CRC32C, CRC64NVME, SHA1, SHA256."""
    value = x.req.header("x-amz-checksum-algorithm")
    if x.kind != "create" or value is None:
        return
    if value.strip().lower() not in s3checksums.ALGORITHMS:
        raise invalid_request("Checksum algorithm provided is unsupported. "
                              "Please try again with any of the valid "
                              "types: [CRC32, CRC32C, CRC64NVME, SHA1, "
                              "SHA256]")


def rule_part_checksum_type(x):
    """AWS S3 API Reference, UploadPart and CreateMultipartUpload: a part
    carries a checksum of exactly the algorithm declared at create (none
    if none was declared).  Uploads created before the proxy started are
    not checked: it does not know their algorithm."""
    if x.kind != "part" or x.upload is None:
        return
    want = x.upload.algorithm
    got = x.checksum[0] if x.checksum else None
    if want != got:
        raise invalid_request("Checksum Type mismatch occurred, expected "
                              "checksum Type: %s, actual checksum Type: %s"
                              % (want or "null", got or "null"))


def rule_delete_objects_md5(x):
    """AWS S3 API Reference, DeleteObjects: Content-MD5 or an
    x-amz-checksum-* header is required."""
    if x.kind != "delete-objects":
        return
    if x.req.header("content-md5") is None and x.checksum is None:
        raise invalid_request("Missing required header for this request: "
                              "Content-MD5")


def rule_if_none_match(x):
    """Amazon S3 User Guide, Add preconditions to S3 operations with
    conditional requests (conditional writes), and the PutObject and
    CompleteMultipartUpload API references: If-None-Match on a write takes
    the value '*' only (upload only if the key does not exist); a header
    whose functionality S3 does not implement is 501 NotImplemented."""
    value = x.req.header("if-none-match")
    if value is None or x.kind not in ("put", "complete"):
        return
    if value.strip() != "*":
        raise S3Error(501, "NotImplemented", "A header you provided implies "
                      "functionality that is not implemented",
                      extra=[("Header", "If-None-Match")])


INT32_MAX = 2147483647


def rule_list_uploads_args(x):
    """AWS S3 API Reference, ListMultipartUploads: encoding-type takes the
    value url only (else 400 InvalidArgument); max-uploads is a number of
    uploads, "from 1 to 1,000" (1,000 the default and most a page holds:
    a larger value is served at 1,000, as RGW 16 does too).  What S3 says
    to a value it cannot take (400 InvalidArgument) is as measured on S3
    (versitygw issue 1794): a negative number, and one that is no integer
    or beyond the 32-bit range."""
    if x.kind != "list-uploads":
        return
    p = x.req.params
    if "encoding-type" in p and p["encoding-type"] != "url":
        raise S3Error(400, "InvalidArgument", "Invalid Encoding Method "
                      "specified in Request",
                      extra=[("ArgumentName", "encoding-type"),
                             ("ArgumentValue", p["encoding-type"])])
    value = p.get("max-uploads")
    if value is None:
        return
    if not re.fullmatch(r"-?[0-9]+", value) or int(value) > INT32_MAX:
        raise S3Error(400, "InvalidArgument", "Provided max-uploads not an "
                      "integer or within integer range",
                      extra=[("ArgumentName", "max-uploads"),
                             ("ArgumentValue", value)])
    if int(value) < 0:
        raise S3Error(400, "InvalidArgument", "Argument max-uploads must be "
                      "an integer between 0 and 2147483647",
                      extra=[("ArgumentName", "max-uploads"),
                             ("ArgumentValue", value)])


HEAD_RULES = [rule_authorization, rule_region_redirect, rule_scope_region,
              rule_content_sha256_present, rule_access_key,
              rule_headers_signed, rule_signature, rule_content_length,
              rule_upload_live, rule_checksum_header,
              rule_content_md5_header, rule_create_algorithm,
              rule_part_checksum_type, rule_delete_objects_md5,
              rule_if_none_match, rule_list_uploads_args]


# --- body rules --------------------------------------------------------------

def rule_payload_hash(x):
    """AWS S3 API Reference, Common Request Headers (x-amz-content-sha256):
    a hex value must be the SHA-256 of the body."""
    value = x.req.header("x-amz-content-sha256")
    if value == sigv4.UNSIGNED:
        return
    if hashlib.sha256(x.req.body).hexdigest() != value:
        raise S3Error(400, "XAmzContentSHA256Mismatch", "The provided "
                      "'x-amz-content-sha256' header does not match what "
                      "was computed.",
                      extra=[("ClientComputedContentSHA256", value),
                             ("S3ComputedContentSHA256",
                              hashlib.sha256(x.req.body).hexdigest())])


def rule_content_md5(x):
    """AWS S3 API Reference, PutObject / UploadPart (Content-MD5): a
    mismatch is 400 BadDigest."""
    value = x.req.header("content-md5")
    if value is None:
        return
    if base64.b64decode(value.strip()) != hashlib.md5(x.req.body).digest():
        raise S3Error(400, "BadDigest", "The Content-MD5 you specified did "
                      "not match what we received.",
                      extra=[("ExpectedDigest", value)])


def rule_checksum_value(x):
    """Amazon S3 User Guide, Checking object integrity: the
    x-amz-checksum-ALG value must be the body's, else 400 BadDigest."""
    if x.checksum is None or x.kind in ("copy", "create", "complete"):
        return  # Complete's is the object's checksum, not the body's
    alg, value = x.checksum
    want = s3checksums.encode(alg, x.req.body)
    if want is not None and want != value:
        raise S3Error(400, "BadDigest", "The %s you specified did not match "
                      "the calculated checksum." % alg.upper())


def complete_parts(body):
    """[(part number, {element name: text})] of a Complete body."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise S3Error(400, "MalformedXML", "The XML you provided was not "
                      "well-formed or did not validate against our "
                      "published schema")
    parts = []
    for part in root:
        if part.tag.split("}")[-1] != "Part":
            continue
        fields = {c.tag.split("}")[-1]: (c.text or "").strip()
                  for c in part}
        parts.append((fields.get("PartNumber", "?"), fields))
    return parts


DELETE_MAX = 1000


def malformed_xml():
    return S3Error(400, "MalformedXML", "The XML you provided was not "
                   "well-formed or did not validate against our published "
                   "schema")


def delete_keys(body):
    """The keys a DeleteObjects body names, in order; S3Error
    MalformedXML if it is not a <Delete> of <Object>s with a <Key> each."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise malformed_xml()
    if root.tag.split("}")[-1] != "Delete":
        raise malformed_xml()
    keys = []
    for obj in root:
        if obj.tag.split("}")[-1] != "Object":
            continue
        key = [c for c in obj if c.tag.split("}")[-1] == "Key"]
        if len(key) != 1 or not key[0].text:
            raise malformed_xml()
        keys.append(key[0].text)
    return keys


def rule_delete_objects_body(x):
    """AWS S3 API Reference, DeleteObjects: the body is a <Delete> naming
    up to 1,000 objects, each by its <Key> ("The request can contain a list
    of up to 1,000 keys"); a body that does not validate, more keys
    included, is 400 MalformedXML."""
    if x.kind != "delete-objects":
        return
    keys = delete_keys(x.req.body)
    if not keys or len(keys) > DELETE_MAX:
        raise malformed_xml()


def rule_complete_checksums(x):
    """AWS S3 API Reference, CompleteMultipartUpload: when the upload was
    created with a checksum algorithm, every <Part> carries
    <ChecksumALG> equal to the part's checksum (missing: InvalidRequest;
    different: InvalidPart); without one, no part may carry one.  (RGW
    16 ignores these elements, so they are passed on.)"""
    if x.kind != "complete" or x.upload is None:
        return
    alg = x.upload.algorithm
    for number, fields in complete_parts(x.req.body):
        given = {n: v for n, v in fields.items() if n.startswith("Checksum")}
        if alg is None and given:
            raise invalid_request(
                "The upload was created without a checksum algorithm. The "
                "complete request must not include a checksum for part %s."
                % number)
        if alg is None:
            continue
        value = given.get("Checksum" + s3checksums.XML_NAMES[alg])
        if value is None:
            raise invalid_request(
                "The upload was created using a %s checksum. The complete "
                "request must include the checksum for each part. It was "
                "missing for part %s in the request." % (alg, number))
        if value != x.upload.parts.get(number):
            raise S3Error(400, "InvalidPart", "One or more of the specified "
                          "parts could not be found.  The part may not have "
                          "been uploaded, or the specified entity tag may "
                          "not match the part's entity tag.",
                          extra=[("PartNumber", number)])
        x.part_checksums.append(value)


BODY_RULES = [rule_payload_hash, rule_content_md5, rule_checksum_value,
              rule_delete_objects_body, rule_complete_checksums]


def check_head(x):
    for rule in HEAD_RULES:
        rule(x)


def check_body(x):
    for rule in BODY_RULES:
        rule(x)


# --- the request RGW gets --------------------------------------------------

DROP_UPSTREAM = {"host", "authorization", "expect", "connection",
                 "keep-alive", "transfer-encoding", "content-length",
                 "proxy-connection"}


def upstream_request(x, upstream_host, drop_params=()):
    """(method, target, headers, body) for RGW: path style, Host
    UPSTREAM_HOST, the client's other headers, body and payload hash,
    re-signed with the client's key and scope.  DROP_PARAMS: query
    parameter names left out (the list-raw fault)."""
    r, body = x.req, x.req.body
    path = "/" + x.addr.bucket + x.addr.key if x.addr.bucket else r.path
    query = "&".join(i for i in r.query.split("&") if i and
                     urllib.parse.unquote(i.partition("=")[0])
                     not in drop_params)
    headers = [("Host", upstream_host)]
    headers += [(n, v) for n, v in r.headers
                if n.lower() not in DROP_UPSTREAM]
    headers.append(("Content-Length", str(len(body))))
    signed = [n for n in x.auth["signed"] if n not in DROP_UPSTREAM]
    signed = sorted(set(signed) | {"host"})
    auth = sigv4.sign(r.method, path, query, headers, x.auth["access_key"],
                      x.secret, x.auth["region"], signed)
    headers.append(("Authorization", auth))
    return r.method, path + ("?" + query if query else ""), headers, body


def create_only(x):
    """Amazon S3 User Guide, conditional writes: a multipart upload with
    If-None-Match: * is checked at CompleteMultipartUpload, which fails
    412 PreconditionFailed if the key exists.  RGW 16 ignores the header
    there (it honours it on PutObject): the proxy asks upstream first."""
    return x.kind == "complete" and \
        (x.req.header("if-none-match") or "").strip() == "*"


def precondition_failed():
    return S3Error(412, "PreconditionFailed", "At least one of the "
                   "pre-conditions you specified did not hold",
                   extra=[("Condition", "If-None-Match")])


def upstream_head(x, upstream_host, amz_date):
    """(method, target, headers) of a HEAD of the request's key for RGW,
    signed with the client's key and scope."""
    path = "/" + x.addr.bucket + x.addr.key
    headers = [("Host", upstream_host), ("x-amz-date", amz_date),
               ("x-amz-content-sha256", hashlib.sha256(b"").hexdigest())]
    auth = sigv4.sign("HEAD", path, "", headers, x.auth["access_key"],
                      x.secret, x.auth["region"])
    return "HEAD", path, headers + [("Authorization", auth)]


# --- what AWS adds to the answer -------------------------------------------

def needs_body(x):
    """Whether after_body wants the whole upstream body."""
    return x.kind in ("create", "complete", "location")


def error_headers(x, headers):
    """AWS S3 API Reference, HeadBucket: x-amz-bucket-region comes with
    every answer to a HeadBucket, errors too."""
    if x.kind == "head-bucket" and not any(
            n.lower() == "x-amz-bucket-region" for n, _ in headers):
        headers = headers + [("x-amz-bucket-region", x.bucket_region)]
    return headers


def after_head(x, status, headers):
    """Headers AWS sends that RGW 16 does not; upload bookkeeping."""
    if x.kind == "head-bucket":
        # AWS S3 API Reference, HeadBucket: x-amz-bucket-region always.
        headers.append(("x-amz-bucket-region", x.bucket_region))
    if x.kind in ("put", "part") and x.checksum and status == 200:
        # Amazon S3 User Guide, Checking object integrity: the checksum
        # is echoed in the PutObject / UploadPart response.
        headers.append(("x-amz-checksum-" + x.checksum[0], x.checksum[1]))
    if x.kind == "part" and x.upload and status == 200:
        with x.cfg.lock:
            x.upload.parts[x.req.params.get("partNumber")] = \
                x.checksum[1] if x.checksum else None
    if x.kind == "abort" and x.upload and status == 204:
        x.upload.state = "aborted"
    return headers


def after_body(x, status, headers, body):
    """Rewrite buffered answers: remember uploads, add checksums."""
    if status != 200:
        return headers, body
    if x.kind == "create":
        return after_create(x, headers, body)
    if x.kind == "complete":
        return headers, after_complete(x, body)
    if x.kind == "location":
        return headers, after_location(x)
    return headers, body


def after_create(x, headers, body):
    """AWS S3 API Reference, CreateMultipartUpload: remember the upload
    id and its declared algorithm; echo x-amz-checksum-algorithm."""
    m = re.search(rb"<UploadId>([^<]+)</UploadId>", body)
    value = x.req.header("x-amz-checksum-algorithm")
    alg = value.strip().lower() if value else None
    if m:
        x.cfg.add_upload(m.group(1).decode(), alg)
    if alg:
        headers.append(("x-amz-checksum-algorithm", alg.upper()))
        headers.append(("x-amz-checksum-type", "COMPOSITE"))
    return headers, body


def after_complete(x, body):
    """AWS S3 API Reference, CompleteMultipartUpload: the upload is gone;
    the result carries the object's quoted ETag (RGW 16 leaves it empty)
    and, with an algorithm, its COMPOSITE checksum."""
    if b"<CompleteMultipartUploadResult" not in body:
        return body
    body = body.replace(b"<ETag></ETag>", b"<ETag>%s</ETag>"
                        % escape(multipart_etag(x.req.body)).encode())
    if x.upload is None:
        return body
    x.upload.state = "completed"
    alg = x.upload.algorithm
    value = alg and s3checksums.composite(alg, x.part_checksums)
    if not value:
        return body
    name = "Checksum" + s3checksums.XML_NAMES[alg]
    add = ("<%s>%s</%s><ChecksumType>COMPOSITE</ChecksumType>"
           % (name, value, name)).encode()
    return body.replace(b"</CompleteMultipartUploadResult>",
                        add + b"</CompleteMultipartUploadResult>")


def multipart_etag(complete_body):
    """The ETag of a multipart object (de facto: MD5 of the parts' raw
    MD5s, then -N), quoted, from the part ETags of a Complete body."""
    etags = [f.get("ETag", "").strip('"') for _, f in
             complete_parts(complete_body)]
    try:
        raw = b"".join(bytes.fromhex(e) for e in etags)
    except ValueError:
        return ""
    return '"%s-%d"' % (hashlib.md5(raw).hexdigest(), len(etags))


def after_location(x):
    """AWS S3 API Reference, GetBucketLocation: the bucket's region (empty
    for us-east-1)."""
    region = x.bucket_region
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint '
            'xmlns="%s">%s</LocationConstraint>'
            % (XMLNS, "" if region == "us-east-1" else region)).encode()
