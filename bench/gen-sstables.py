#!/usr/bin/python3
"""Write about SIZE MiB of SSTable-like files into DIR (bench data).

usage: gen-sstables.py DIR SIZE_MIB

Four SSTables of the Cassandra 4 "nb-N-big-*" layout.  Data.db is the bulk
(about 85%) and stands for LZ4-compressed chunks: random bytes, so
incompressible.  Index.db (about 12%) and Summary.db hold sorted partition
keys with positions, CompressionInfo.db rising chunk offsets, all
compressible like the real ones; Filter.db is bloom filter bits
(incompressible), Statistics.db and TOC.txt are small.
"""
import os
import random
import struct
import sys

MIB = 1024 * 1024


def write_random(path, size):
    with open(path, "wb") as f:
        left = size
        while left > 0:
            n = min(left, 4 * MIB)
            f.write(os.urandom(n))
            left -= n


def index_entries(rng, first, count):
    out = []
    pos = first * 173
    for i in range(first, first + count):
        key = b"user:%010d:%s" % (i, b"abcdefgh"[i % 8:i % 8 + 3])
        pos += 100 + rng.randrange(400)
        out.append(struct.pack(">H", len(key)) + key + struct.pack(">QI", pos, 0))
    return b"".join(out)


def write_index(path, size, rng, step=1):
    with open(path, "wb") as f:
        i = 0
        while f.tell() < size:
            chunk = index_entries(rng, i * step, 20000)
            f.write(chunk[: size - f.tell()])
            i += 20000


def write_offsets(path, size):
    with open(path, "wb") as f:
        f.write(b"LZ4Compressor\x00\x00\x00\x01\x00\x00\x40\x00")
        off = 0
        buf = []
        while f.tell() + len(buf) * 8 < size:
            off += 9000 + (off * 7919) % 7000
            buf.append(struct.pack(">Q", off))
            if len(buf) == 65536:
                f.write(b"".join(buf))
                buf = []
        f.write(b"".join(buf)[: max(0, size - f.tell())])


def main():
    out, total = sys.argv[1], int(sys.argv[2]) * MIB
    rng = random.Random(2026)
    os.makedirs(out, exist_ok=True)
    per = total // 4
    for n in range(1, 5):
        base = os.path.join(out, "nb-%d-big-" % n)
        write_random(base + "Data.db", per * 85 // 100)
        write_index(base + "Index.db", per * 12 // 100, rng)
        write_index(base + "Summary.db", per * 1 // 100, rng, step=128)
        write_offsets(base + "CompressionInfo.db", per * 1 // 100)
        write_random(base + "Filter.db", per * 1 // 100)
        with open(base + "Statistics.db", "wb") as f:
            f.write(bytes(range(256)) * 64)
        with open(base + "TOC.txt", "w") as f:
            f.write("Data.db\nIndex.db\nSummary.db\nFilter.db\n"
                    "CompressionInfo.db\nStatistics.db\nTOC.txt\n")


if __name__ == "__main__":
    main()
