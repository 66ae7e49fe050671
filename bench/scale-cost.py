#!/usr/bin/python3
"""Monthly S3 cost of nightly backups from requests counted (bench data).

usage: scale-cost.py RAW FILES STORED DIR CHANGE TB_FILES PRICE_GB PRICE_A
           PRICE_B

RAW bytes in FILES files: the node measured; STORED: what its full backup
put in S3.  DIR holds req.LABEL files of bench_log_reqs lines (kind:NAME
TAB COUNT) for the four runs below.  CHANGE: % of a node's bytes in new
sstables a night; TB_FILES: files of a 1 TB node.  Prices in dollars: a
GB-month, 1,000 class A requests (PUT, COPY, POST, LIST), 1,000 class B
(GET, HEAD and all other requests).  Prints the requests by kind, the
model with its arithmetic, and the table for 10 nodes of 1 TB, a backup a
night, kept 14 days (bench/README.md says how to read it).
"""
import os
import sys

STEPS = ["full backup", "differential, +2%", "quick verify",
         "purge --keep 1"]
# Class A.  DeleteObjects is a POST and counted here (an upper bound: AWS
# bills DELETE requests nothing).
CLASS_A = {"PutObject", "UploadPart", "CreateMultipartUpload",
           "CompleteMultipartUpload", "ListObjectsV2", "ListObjects",
           "ListMultipartUploads", "ListBuckets", "DeleteObjects",
           "CopyObject", "POST"}
FREE = {"DeleteObject", "AbortMultipartUpload"}
# What a backup sends for the files it uploads: these grow with the new
# data of a night.  HeadObject: cb-s3put asks for the ETag of a completed
# multipart upload when the answer has none, as Ceph's does (lib/s3up.c);
# AWS sends it, so on AWS these are not sent: an upper bound.
UPLOAD = {"PutObject", "UploadPart", "CreateMultipartUpload",
          "CompleteMultipartUpload", "HeadObject"}
TB = 10 ** 12
NODES, NIGHTS, KEEP = 10, 30, 14


def load(path):
    kinds = {}
    for line in open(path):
        key, _, value = line.rstrip("\n").partition("\t")
        if key.startswith("kind:"):
            kinds[key[5:]] = int(value)
    return kinds


def cls(kind):
    return "free" if kind in FREE else "A" if kind in CLASS_A else "B"


def scaled(req, by_files, by_bytes, kinds=None):
    """Class A and B requests of one run (of KINDS only, if given), scaled
    to a 1 TB node: UploadPart with the bytes, all else with the files."""
    a = b = 0.0
    for kind, n in req.items():
        if kinds is not None and kind not in kinds:
            continue
        x = n * (by_bytes if kind == "UploadPart" else by_files)
        if cls(kind) == "A":
            a += x
        elif cls(kind) == "B":
            b += x
    return a, b


def main():
    raw, files, stored = map(int, sys.argv[1:4])
    tmp = sys.argv[4]
    change, tb_files = float(sys.argv[5]) / 100, int(sys.argv[6])
    gb, pa, pb = map(float, sys.argv[7:10])
    req = {s: load(os.path.join(tmp, "req." + s)) for s in STEPS}

    print("\n== requests by kind, counted in RGW's log (A: PUT, COPY, POST,"
          " LIST $%g per 1,000; B: GET, HEAD, other $%g per 1,000; free:"
          " DELETE, abort)" % (pa, pb))
    print("%-26s %5s" % ("kind", "class") +
          "".join("%18s" % s for s in STEPS))
    for k in sorted(set(k for s in STEPS for k in req[s])):
        print("%-26s %5s" % (k, cls(k)) +
              "".join("%18d" % req[s].get(k, 0) for s in STEPS))
    print("%-26s %5s" % ("all", "") +
          "".join("%18d" % sum(req[s].values()) for s in STEPS))

    by_files, by_bytes = tb_files / files, TB / raw
    # A night: what the +2% run sent but its uploads, and the uploads of
    # the full backup for CHANGE of the node's files and bytes.
    other = set(req[STEPS[1]]) - UPLOAD
    d_a, d_b = scaled(req[STEPS[1]], by_files, by_bytes, other)
    u_a, u_b = scaled(req[STEPS[0]], by_files * change, by_bytes * change,
                      UPLOAD)
    d_a, d_b = d_a + u_a, d_b + u_b
    v_a, v_b = scaled(req[STEPS[2]], by_files, by_bytes)
    p_a, p_b = scaled(req[STEPS[3]], by_files, by_bytes)
    f_a, f_b = scaled(req[STEPS[0]], by_files, by_bytes)
    mon_a = NIGHTS * (d_a + v_a + p_a)
    mon_b = NIGHTS * (d_b + v_b + p_b)
    ratio = stored / raw
    gbm = TB / 1e9 * ratio * (1 + (KEEP - 1) * change)

    print("\n== monthly cost: %d nodes of 1 TB, a differential backup, a"
          " quick verify and a purge --keep %d a night" % (NODES, KEEP))
    print("model: the node measured is %.2f GiB in %d files; a 1 TB node is"
          " taken as %d files (SCALE_TB_FILES):" % (raw / 2**30, files,
                                                    tb_files))
    print("       requests x%.1f (files), UploadPart x%.0f (bytes); a night"
          " writes new sstables of %.0f%% of the node (SCALE_CHANGE):" %
          (by_files, by_bytes, change * 100))
    print("       its uploads cost what %.0f%% of the full backup's did (%.0f"
          " A), its other requests are the +2%% run's" % (change * 100, u_a))
    print("       stored = 1 TB x %.3f (stored/raw of the full backup) x (1 +"
          " %d x %.2f) = %.0f GB a node:" % (ratio, KEEP - 1, change, gbm))
    print("       the newest backup, and the replaced sstables the %d older"
          " kept ones still hold" % (KEEP - 1))
    print("       1 TB = 1000 GB; a month = %d nights; prices: S3 Standard"
          " us-east-1 list prices as of 2026-12-02" % NIGHTS)
    rows = [
        ("storage", "%.0f GB-month" % gbm, gbm * gb),
        ("class A (PUT, LIST, POST)", "%.0f requests" % mon_a,
         mon_a / 1000 * pa),
        ("class B (GET, HEAD)", "%.0f requests" % mon_b, mon_b / 1000 * pb),
    ]
    print("%-28s %22s %12s %14s" % ("", "a node, a month", "$ a node",
                                    "$ %d nodes" % NODES))
    for name, q, c in rows:
        print("%-28s %22s %12.2f %14.2f" % (name, q, c, c * NODES))
    total = sum(c for _, _, c in rows)
    print("%-28s %22s %12.2f %14.2f" % ("total", "", total, total * NODES))
    print("arithmetic: a night = backup %.0f A + %.0f B, verify %.0f A + %.0f"
          " B, purge %.0f A + %.0f B; x %d nights;" % (d_a, d_b, v_a, v_b,
                                                      p_a, p_b, NIGHTS))
    print("            requests are %.2f%% of the cost; the first full"
          " backup, once: %.0f A + %.0f B, $%.2f a node" % (
              100 * (total - rows[0][2]) / total, f_a, f_b,
              f_a / 1000 * pa + f_b / 1000 * pb))


if __name__ == "__main__":
    main()
