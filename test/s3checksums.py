"""s3checksums.py: the S3 additional checksums, shared by the test tools.

"Amazon S3 User Guide, Checking object integrity": x-amz-checksum-ALG is
the base64 of the big-endian digest of the body; a multipart object's
COMPOSITE checksum is the checksum of the concatenated raw part checksums,
base64, then "-N" (N parts).  CRC64NVME is known but not computed.

    python3 s3checksums.py ALG FILE    print x-amz-checksum-ALG of FILE
    python3 s3checksums.py composite ALG VALUE...
                                       print the COMPOSITE checksum of the
                                       parts whose checksums are VALUE...
"""
import base64
import hashlib
import struct
import sys

import crcmod.predefined

_crc32 = crcmod.predefined.mkCrcFun("crc-32")
_crc32c = crcmod.predefined.mkCrcFun("crc-32c")

# Lowercase algorithm name -> (digest function of bytes -> raw bytes,
# digest length).  None: known, accepted, not verified.
ALGORITHMS = {
    "crc32": (lambda b: struct.pack(">I", _crc32(b)), 4),
    "crc32c": (lambda b: struct.pack(">I", _crc32c(b)), 4),
    "sha1": (lambda b: hashlib.sha1(b).digest(), 20),
    "sha256": (lambda b: hashlib.sha256(b).digest(), 32),
    "crc64nvme": (None, 8),
}

# The spelling of each algorithm in XML element names (ChecksumCRC32C).
XML_NAMES = {"crc32": "CRC32", "crc32c": "CRC32C", "sha1": "SHA1",
             "sha256": "SHA256", "crc64nvme": "CRC64NVME"}


def digest(alg, body):
    """Raw digest of BODY, or None for an algorithm not computed here."""
    fn = ALGORITHMS[alg][0]
    return fn(body) if fn else None


def encode(alg, body):
    """The header value (base64) of BODY's ALG checksum, or None."""
    d = digest(alg, body)
    return base64.b64encode(d).decode() if d is not None else None


def decode(alg, value):
    """Raw bytes of header VALUE, or None if it is not the base64 of a
    digest of ALG's length."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (ValueError, TypeError):
        return None
    return raw if len(raw) == ALGORITHMS[alg][1] else None


def composite(alg, part_values):
    """COMPOSITE checksum of the parts (header values, in part order):
    `base64(ALG(raw1 || raw2 ...))-N`, or None if ALG is not computed."""
    d = digest(alg, b"".join(decode(alg, v) or b"" for v in part_values))
    if d is None:
        return None
    return "%s-%d" % (base64.b64encode(d).decode(), len(part_values))


def main(argv):
    if len(argv) >= 3 and argv[0] == "composite" and \
            argv[1].lower() in ALGORITHMS:
        print(composite(argv[1].lower(), argv[2:]))
    elif len(argv) == 2 and argv[0].lower() in ALGORITHMS:
        with open(argv[1], "rb") as f:
            print(encode(argv[0].lower(), f.read()))
    else:
        sys.exit("usage: s3checksums.py ALG FILE | composite ALG VALUE...")


if __name__ == "__main__":
    main(sys.argv[1:])
