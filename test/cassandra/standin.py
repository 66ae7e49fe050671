#!/usr/bin/python3
"""A Cassandra stand-in for the tests: nodes made of files, and the nodetool
and cqlsh a backup tool talks to.  See test/cassandra/README.

Invoked as `nodetool`, `cqlsh` (symlinks in test/cassandra/bin/) or
`standin` (mknode, write, stop, start).  Like the real tools, nodetool and
cqlsh find their node through CASSANDRA_CONF (default /etc/cassandra):
cassandra.yaml and cassandra-rackdc.properties there, plus the stand-in's
own state, standin.json, which holds what a real node keeps in its system
tables (host id, tokens, schema, live sstables, pending memtable writes).
"""

import fcntl
import hashlib
import json
import os
import random
import shutil
import sys
import time
import uuid
import zlib

import yaml

RELEASES = {"2.1": "2.1.22", "3.11": "3.11.16", "4.1": "4.1.3", "5.0": "5.0.9"}
LETTERS = {"2.1": "ka", "3.11": "me", "4.1": "nb", "5.0": "oa"}
# 5.0 writes BIG sstables as nb while storage_compatibility_mode is
# CASSANDRA_4 (BigFormat.BigVersion: isBefore(5) ? "nb" : "oa"; UPGRADING
# and NONE give oa).  BTI is always da.
COMPAT_LETTERS = {"CASSANDRA_4": "nb", "UPGRADING": "oa", "NONE": "oa"}
CQLSH_BUILT_AGAINST = "5.0.0"     # PyPI cqlsh 6.2.x
SYSTEM_TABLES = {
    "2.1": {"system": ["local", "peers", "schema_keyspaces",
                       "schema_columnfamilies", "schema_columns",
                       "compaction_history", "size_estimates"],
            "system_auth": ["users", "credentials", "permissions"],
            "system_traces": ["sessions", "events"]},
    "3.11": {"system": ["local", "peers", "compaction_history",
                        "size_estimates", "sstable_activity"],
             "system_schema": ["keyspaces", "tables", "columns", "indexes",
                               "dropped_columns", "types"],
             "system_auth": ["roles", "role_members", "role_permissions"],
             "system_distributed": ["repair_history",
                                    "parent_repair_history"],
             "system_traces": ["sessions", "events"]},
}
SYSTEM_TABLES["4.1"] = {k: list(v) for k, v in SYSTEM_TABLES["3.11"].items()}
SYSTEM_TABLES["4.1"]["system"] += ["peers_v2", "top_partitions"]
SYSTEM_TABLES["5.0"] = SYSTEM_TABLES["4.1"]
TOKEN_MIN, TOKEN_MAX = -(2 ** 63), 2 ** 63 - 1


class NodetoolError(Exception):
    """A failure nodetool reports as `error: ...` with a stack trace."""


class UsageError(Exception):
    """Bad arguments: nodetool prints them and `See 'nodetool help'`."""


# ---------------------------------------------------------------- the node

class Node:
    def __init__(self, conf):
        self.conf = conf
        path = os.path.join(conf, "cassandra.yaml")
        try:
            with open(path) as f:
                self.yaml = yaml.safe_load(f) or {}
        except OSError as e:
            sys.exit("standin: cannot read '%s': %s" % (path, e.strerror))
        self.state_path = os.path.join(conf, "standin.json")
        with open(self.state_path) as f:
            self.st = json.load(f)
        self.dc, self.rack = "dc1", "rack1"
        try:
            with open(os.path.join(conf, "cassandra-rackdc.properties")) as f:
                for line in f:
                    k, _, v = line.strip().partition("=")
                    if k.strip() == "dc":
                        self.dc = v.strip()
                    elif k.strip() == "rack":
                        self.rack = v.strip()
        except OSError:
            pass
        self.series = self.st["series"]
        self.rng = random.Random(self.st["seed"] + self.st["ops"])

    def save(self):
        self.st["ops"] += 1
        tmp = self.state_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.st, f, indent=1, sort_keys=True)
        os.rename(tmp, self.state_path)

    def data_dirs(self):
        d = self.yaml.get("data_file_directories")
        if not d:
            return ["/var/lib/cassandra/data"]
        return [x.rstrip("/") or "/" for x in d]

    def backups_enabled(self):
        if self.st.get("backup_override") is not None:
            return self.st["backup_override"]
        return bool(self.yaml.get("incremental_backups", False))

    def vnum(self):
        return tuple(int(x) for x in self.series.split("."))

    # -- schema helpers
    def keyspaces(self):
        return self.st["keyspaces"]

    def table(self, ks, t):
        return self.st["keyspaces"][ks]["tables"][t]

    def tables(self, kss=None, tbls=None):
        """(ks, name, table) for the keyspaces/tables asked for."""
        out = []
        for ks in sorted(self.keyspaces()):
            if kss and ks not in kss:
                continue
            for t in sorted(self.keyspaces()[ks]["tables"]):
                if tbls and t not in tbls:
                    continue
                out.append((ks, t, self.table(ks, t)))
        return out

    def table_dir(self, dd, ks, t, tid):
        return os.path.join(dd, ks, "%s-%s" % (t, tid))

    # -- sstables
    def new_gen(self, tab):
        tab["next_gen"] += 1
        if self.yaml.get("uuid_sstable_identifiers_enabled"):
            return uuid_gen(self.rng)
        return str(tab["next_gen"])

    def components(self, compressed):
        fmt = self.st["format"]
        comps = ["Data.db", "Filter.db", "Statistics.db", "TOC.txt"]
        if fmt == "bti":
            comps += ["Partitions.db", "Rows.db"]
        else:
            comps += ["Index.db", "Summary.db"]
        comps.append("CompressionInfo.db" if compressed else "CRC.db")
        comps.append("Digest.sha1" if self.series == "2.1" else
                     "Digest.crc32")
        return sorted(comps)

    def prefix(self, ks, t, gen, index=None):
        """File name prefix of an sstable (its components follow)."""
        if self.series == "2.1":
            cf = t if index is None else "%s.%s" % (t, index)
            return "%s-%s-ka-%s-" % (ks, cf, gen)
        fmt = self.st["format"]
        letters = self.st["letters"]
        return "%s-%s-%s-" % (letters, gen, fmt)

    def sstable_files(self, ks, t, tab, sst):
        """Relative paths (to the table dir) of every file of sstable sst,
        its legacy index sstables and SAI components included."""
        if "files" in sst:
            return list(sst["files"])
        gen = sst["gen"]
        out = [self.prefix(ks, t, gen) + c
               for c in self.components(tab["compressed"])]
        for idx in tab.get("indexes", []):
            if self.series == "2.1":
                out += [self.prefix(ks, t, gen, idx) + c
                        for c in self.components(False)]
            else:
                out += [".%s/%s" % (idx, self.prefix(ks, t, gen) + c)
                        for c in self.components(False)]
        sai = tab.get("sai", [])
        if sai:
            p = self.prefix(ks, t, gen)
            # The per-sstable SAI components of 5.0.9 (a table without
            # clustering columns), as a real node's snapshot holds them.
            out += [p + "SAI+aa+" + c for c in
                    ("GroupComplete.db", "GroupMeta.db",
                     "PartitionKeyBlockOffsets.db", "PartitionKeyBlocks.db",
                     "RowToPartition.db", "RowToToken.db")]
            for idx in sai:
                out += [p + "SAI+aa+%s+%s" % (idx, c) for c in
                        ("ColumnComplete.db", "Meta.db", "TermsData.db",
                         "PostingLists.db")]
        return out

    def write_sstable(self, ks, t, tab, sst, size):
        tdir = self.table_dir(self.data_dirs()[sst["dd"]], ks, t, tab["id"])
        data = self.rng.randbytes(size)
        files = self.sstable_files(ks, t, tab, sst)
        for rel in files:
            path = os.path.join(tdir, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            name = os.path.basename(rel)
            comp = name[name.rfind("-") + 1:]
            if comp == "Data.db":
                body = data
            elif comp.startswith("Digest"):
                body = str(zlib.crc32(data)).encode()
            elif comp == "TOC.txt":
                body = "\n".join(self.components(tab["compressed"])).encode()
            else:
                body = self.rng.randbytes(16 + size // 16)
            with open(path, "wb") as f:
                f.write(body)
        return [os.path.join(tdir, rel) for rel in files]

    def add_sstable(self, ks, t, size=None):
        tab = self.table(ks, t)
        gen = self.new_gen(tab)
        ndd = len(self.data_dirs())
        sst = {"gen": gen, "dd": tab["next_gen"] % ndd}
        if size is None:
            size = self.rng.randint(64, 4096) * self.st["scale"]
        paths = self.write_sstable(ks, t, tab, sst, size)
        tab["live"].append(sst)
        return sst, paths

    def link_backups(self, ks, t, tab, sst):
        tdir = self.table_dir(self.data_dirs()[sst["dd"]], ks, t, tab["id"])
        for rel in self.sstable_files(ks, t, tab, sst):
            dst = os.path.join(tdir, "backups", rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            os.link(os.path.join(tdir, rel), dst)

    def flush(self, kss=None, tbls=None):
        for ks, t, tab in self.tables(kss, tbls):
            if tab["pending"] <= 0:
                continue
            sst, _ = self.add_sstable(ks, t, size=tab.pop("pending_size", None))
            tab["pending"] = 0
            if self.backups_enabled():
                self.link_backups(ks, t, tab, sst)

    def remove_sstable(self, ks, t, tab, sst):
        tdir = self.table_dir(self.data_dirs()[sst["dd"]], ks, t, tab["id"])
        for rel in self.sstable_files(ks, t, tab, sst):
            os.unlink(os.path.join(tdir, rel))

    # -- snapshots
    def snapshot_exists(self, ks, t, tag):
        tab = self.table(ks, t)
        return any(os.path.isdir(os.path.join(
            self.table_dir(dd, ks, t, tab["id"]), "snapshots", tag))
            for dd in self.data_dirs())

    def snapshot_table(self, ks, t, tag, ttl=None):
        tab = self.table(ks, t)
        dds = self.data_dirs()
        names = []
        for sst in tab["live"]:
            tdir = self.table_dir(dds[sst["dd"]], ks, t, tab["id"])
            sdir = os.path.join(tdir, "snapshots", tag)
            for rel in self.sstable_files(ks, t, tab, sst):
                dst = os.path.join(sdir, rel)
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                os.link(os.path.join(tdir, rel), dst)
                if rel.endswith("-Data.db"):
                    names.append(rel)
        # Each file goes where getDirectoryForNewSSTables() points when it
        # is written: a weighted random pick per file, so the two can land
        # in different data directories.
        sdir = self.snapshot_dir_for_new_file(ks, t, tab, tag)
        with open(os.path.join(sdir, "manifest.json"), "w") as f:
            f.write(self.manifest_json(names, ttl))
        if self.series != "2.1" and not ks.startswith("system"):
            sdir = self.snapshot_dir_for_new_file(ks, t, tab, tag)
            with open(os.path.join(sdir, "schema.cql"), "w") as f:
                f.write(self.table_cql(ks, t, tab, snapshot=True))

    def snapshot_dir_for_new_file(self, ks, t, tab, tag):
        """Directories.getWriteableLocation: one data directory, chosen at
        random with weights by free space (pickWriteableDirectory)."""
        dds = self.data_dirs()
        free = []
        for dd in dds:
            try:
                v = os.statvfs(dd)
                free.append(v.f_bavail * v.f_frsize)
            except OSError:
                free.append(0)
        total = sum(free)
        pick = 0
        if len(dds) > 1 and total > 0:
            order = sorted(range(len(dds)), key=lambda i: -free[i])
            rnd = self.rng.random()
            pick = order[0]
            for i in order:
                rnd -= free[i] / total
                if rnd <= 0:
                    pick = i
                    break
        sdir = os.path.join(self.table_dir(dds[pick], ks, t, tab["id"]),
                            "snapshots", tag)
        os.makedirs(sdir, exist_ok=True)
        return sdir

    def manifest_json(self, names, ttl):
        now = time.time()
        if self.vnum() < (4, 1):
            return json.dumps({"files": names}, separators=(",", ":"))
        exp = now + ttl if ttl else None
        if self.vnum() < (5, 0):
            return ('{"files":%s,"created_at":%.9f,"expires_at":%s}' % (
                json.dumps(names, separators=(",", ":")), now,
                "null" if exp is None else "%.9f" % exp))

        def iso(t):
            return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + \
                ".%03dZ" % int((t % 1) * 1000)
        # Jackson's default pretty printer: " : ", arrays on one line,
        # no final newline.
        files = "[ %s ]" % ", ".join(json.dumps(x) for x in names) \
            if names else "[ ]"
        return ('{\n  "files" : %s,\n  "created_at" : "%s",\n'
                '  "expires_at" : %s,\n  "ephemeral" : false\n}' % (
                    files, iso(now),
                    "null" if exp is None else '"%s"' % iso(exp)))

    # -- schema text
    def table_options(self, tab):
        """The WITH options as the release's DESCRIBE prints them."""
        comp = "{'class': 'org.apache.cassandra.db.compaction." \
            "SizeTieredCompactionStrategy'%s}"
        if self.vnum() < (5, 0):
            return ["bloom_filter_fp_chance = 0.01",
                    "compaction = " + comp % "",
                    "gc_grace_seconds = 864000"]
        compression = "{'chunk_length_in_kb': '16', 'class': " \
            "'org.apache.cassandra.io.compress.LZ4Compressor'}" \
            if tab["compressed"] else "{'enabled': 'false'}"
        return ["additional_write_policy = '99p'",
                "allow_auto_snapshot = true",
                "bloom_filter_fp_chance = 0.01",
                "caching = {'keys': 'ALL', 'rows_per_partition': 'NONE'}",
                "cdc = false",
                "comment = ''",
                "compaction = " + comp % (", 'max_threshold': '32', "
                                          "'min_threshold': '4'"),
                "compression = " + compression,
                "memtable = 'default'",
                "crc_check_chance = 1.0",
                "default_time_to_live = 0",
                "extensions = {}",
                "gc_grace_seconds = 864000",
                "incremental_backups = true",
                "max_index_interval = 2048",
                "memtable_flush_period_in_ms = 0",
                "min_index_interval = 128",
                "read_repair = 'BLOCKING'",
                "speculative_retry = '99p'"]

    def table_stmts(self, ks, t, tab, snapshot=False, internals=False):
        """CREATE TABLE and CREATE INDEX statements, each ending in ;."""
        cols = tab["columns"]
        body = ",\n".join("    %s %s%s" % (c, ty,
                                            " PRIMARY KEY" if i == 0 else "")
                          for i, (c, ty) in enumerate(cols))
        # 5.0's snapshot schema.cql says IF NOT EXISTS on indexes too.
        ine = "IF NOT EXISTS " if snapshot else ""
        iine = ine if self.vnum() >= (5, 0) else ""
        opts = self.table_options(tab)
        if (snapshot or internals) and self.vnum() >= (4, 0):
            opts.insert(0, "ID = %s" % str(uuid.UUID(tab["id"])))
        out = ["CREATE TABLE %s%s.%s (\n%s\n) WITH %s;" % (
            ine, ks, t, body, "\n    AND ".join(opts))]
        for idx in tab.get("indexes", []):
            out.append("CREATE INDEX %s%s ON %s.%s (%s);" % (
                iine, idx, ks, t, cols[1][0]))
        for idx in tab.get("sai", []):
            out.append("CREATE CUSTOM INDEX %s%s ON %s.%s (%s) USING "
                       "'sai';" % (iine, idx, ks, t, cols[-1][0]))
        return out

    def table_cql(self, ks, t, tab, snapshot=False, internals=False):
        stmts = self.table_stmts(ks, t, tab, snapshot, internals)
        if snapshot and self.vnum() >= (5, 0):
            # 5.0 schema.cql: one statement a line, a final newline.
            return "\n".join(stmts) + "\n"
        return "".join(x + "\n" if i == 0 else "\n" + x + "\n"
                       for i, x in enumerate(stmts))

    def describe(self, full=False, only=None, internals=False):
        out = []
        for ks in sorted(self.keyspaces()):
            k = self.keyspaces()[ks]
            if only is not None and ks != only:
                continue
            if k["system"] and not full and only is None:
                continue
            rep = ", ".join("'%s': '%s'" % kv for kv in
                            sorted(k["replication"].items()))
            ksq = "CREATE KEYSPACE %s WITH replication = {%s}  AND " \
                "durable_writes = true;" % (ks, rep)
            if self.vnum() < (5, 0):
                out.append(ksq + "\n")
                for t in sorted(k["tables"]):
                    out.append(self.table_cql(ks, t, k["tables"][t],
                                              internals=internals))
                continue
            out.append(ksq)
            for t in sorted(k["tables"]):
                out += self.table_stmts(ks, t, k["tables"][t],
                                        internals=internals)
        if self.vnum() < (5, 0):
            return "\n" + "\n".join(out) + "\n"
        # 5.0 (server-side DESCRIBE, cqlsh 6.2): a blank line before and
        # between the statements, one newline at the end.
        return "\n" + "\n\n".join(out) + "\n"

    def live_bytes(self):
        n = 0
        for ks, t, tab in self.tables():
            for sst in tab["live"]:
                tdir = self.table_dir(self.data_dirs()[sst["dd"]], ks, t,
                                      tab["id"])
                for rel in self.sstable_files(ks, t, tab, sst):
                    try:
                        n += os.stat(os.path.join(tdir, rel)).st_size
                    except OSError:
                        pass
        return n


def time_uuid(n):
    """A version 1 UUID as TimeUUID makes them for new tables: the time
    now, then a clock sequence and node fixed for the node."""
    ts = int(time.time() * 1e7) + 0x01b21dd213814000
    ts = max(ts, n.st.get("last_uuid_ts", 0) + 1)
    n.st["last_uuid_ts"] = ts
    r = random.Random(n.st["seed"])
    clock_seq, node = r.getrandbits(14), r.getrandbits(48)
    return uuid.UUID(fields=(ts & 0xffffffff, (ts >> 32) & 0xffff,
                             0x1000 | ((ts >> 48) & 0x0fff),
                             0x80 | (clock_seq >> 8), clock_seq & 0xff,
                             node))


def uuid_gen(rng):
    """A 4.1 time-based sstable id: %4s_%4s_%5s%13s in base 36."""
    def b36(n, width):
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"
        s = ""
        while n:
            n, r = divmod(n, 36)
            s = digits[r] + s
        return s.rjust(width, "0")[-width:]
    now = time.time()
    return "%s_%s_%s%s" % (b36(int(now // 86400), 4),
                          b36(int(now % 86400), 4),
                          b36(int((now % 1) * 1e9) + rng.randrange(10**6), 5),
                          b36(rng.getrandbits(64), 13))


def human(n, si_units):
    """FileUtils.stringifyFileSize: DecimalFormat("#.##"), so 1.3 KiB and
    1018 bytes, not 1.30 KiB."""
    units = ["bytes", "KB", "MB", "GB"] if si_units else \
        ["bytes", "KiB", "MiB", "GiB"]
    x = float(n)
    for u in units:
        if x < 1024 or u == units[-1]:
            v = ("%.2f" % x).rstrip("0").rstrip(".")
            return "%s %s" % (v, u)
        x /= 1024
    return str(n)


def table_rows(rows, sep):
    """nodetool's TableBuilder: each column as wide as its widest cell,
    every cell padded (so lines can end in blanks), joined by sep."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [sep.join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]


def with_node(fn):
    conf = os.environ.get("CASSANDRA_CONF", "/etc/cassandra")
    lockpath = os.path.join(conf, "standin.lock")
    try:
        lock = open(lockpath, "a")
    except OSError as e:
        sys.stderr.write("nodetool: cannot open node config '%s': %s\n" %
                         (conf, e.strerror))
        return 1
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return fn(Node(conf))


# ------------------------------------------------------------------ mknode

def mknode(argv):
    import argparse
    p = argparse.ArgumentParser(prog="standin mknode")
    p.add_argument("--root", default="/")
    p.add_argument("--version", default="4.1", choices=sorted(RELEASES))
    p.add_argument("--letters", help="sstable version letters (e.g. mc)")
    p.add_argument("--format", default="big", choices=["big", "bti"])
    p.add_argument("--storage-compat", default="CASSANDRA_4",
                   choices=sorted(COMPAT_LETTERS),
                   help="5.0 storage_compatibility_mode (CASSANDRA_4: nb)")
    p.add_argument("--uuid-ids", action="store_true")
    p.add_argument("--data-dirs", type=int, default=1)
    p.add_argument("--data-dir", action="append", default=[])
    p.add_argument("--flow-list", action="store_true")
    p.add_argument("--incremental-backups", action="store_true")
    p.add_argument("--auth-user")
    p.add_argument("--auth-password-file")
    p.add_argument("--jmx-user")
    p.add_argument("--jmx-password-file")
    p.add_argument("--address", default="127.0.0.1")
    p.add_argument("--native-port", type=int)
    p.add_argument("--dc", default="dc1")
    p.add_argument("--rack", default="rack1")
    p.add_argument("--cluster", default="Test Cluster")
    p.add_argument("--num-tokens", type=int)
    p.add_argument("--seed", type=int,
                   help="default: derived from --root and --address")
    p.add_argument("--keyspaces", type=int, default=0,
                   help="extra generated keyspaces bulkN")
    p.add_argument("--tables", type=int, default=4)
    p.add_argument("--sstables", type=int, default=3)
    p.add_argument("--scale", type=int, default=1)
    p.add_argument("--no-sample", action="store_true",
                   help="leave out the sample keyspaces ks1/ks2")
    p.add_argument("--add-table", action="append", default=[],
                   metavar="KS.TABLE",
                   help="a user table of 2 sstables (repeatable)")
    a = p.parse_args(argv)

    root = a.root
    conf = os.path.join(root, "etc/cassandra")
    var = os.path.join(root, "var/lib/cassandra")
    if a.data_dir:
        dds = [os.path.abspath(d) for d in a.data_dir]
    elif a.data_dirs == 0:
        dds = None
    elif a.data_dirs == 1:
        dds = [os.path.join(var, "data")]
    else:
        dds = [os.path.join(var, "data%d" % i)
               for i in range(1, a.data_dirs + 1)]
    os.makedirs(conf, exist_ok=True)
    for d in (dds or ["/var/lib/cassandra/data"]) + [
            os.path.join(var, x) for x in ("commitlog", "saved_caches",
                                           "hints")]:
        os.makedirs(d, exist_ok=True)
    ver = a.version
    vnum = tuple(int(x) for x in ver.split("."))
    ntok = a.num_tokens or (16 if vnum >= (4, 0) else 256)
    if a.seed is None:
        a.seed = zlib.crc32(("%s %s" % (os.path.abspath(root),
                                        a.address)).encode())
    rng = random.Random(a.seed)
    lines = ["# cassandra.yaml written by the test stand-in (%s)" % ver,
             "cluster_name: '%s'" % a.cluster,
             "num_tokens: %d" % ntok,
             "partitioner: org.apache.cassandra.dht.Murmur3Partitioner"]
    if dds is not None:
        if a.flow_list:
            lines.append("data_file_directories: [%s]" % ", ".join(dds))
        else:
            lines.append("data_file_directories:")
            lines += ["    - %s" % d for d in dds]
    else:
        lines.append("# data_file_directories: default")
    lines += ["commitlog_directory: %s/commitlog" % var,
              "saved_caches_directory: %s/saved_caches" % var]
    if vnum >= (3, 0):
        lines.append("hints_directory: %s/hints" % var)
    lines += ["incremental_backups: %s" %
              ("true" if a.incremental_backups else "false"),
              "snapshot_before_compaction: false",
              "auto_snapshot: true",
              "listen_address: %s" % a.address,
              "rpc_address: %s" % a.address,
              "endpoint_snitch: GossipingPropertyFileSnitch",
              "authenticator: %s" % ("PasswordAuthenticator" if a.auth_user
                                     else "AllowAllAuthenticator")]
    if a.native_port:
        lines.append("native_transport_port: %d" % a.native_port)
    if vnum >= (4, 1):
        lines.append("uuid_sstable_identifiers_enabled: %s" %
                     ("true" if a.uuid_ids else "false"))
    if vnum >= (5, 0):
        lines += ["storage_compatibility_mode: %s" % a.storage_compat,
                  "sstable:", "  selected_format: %s" % a.format]
    with open(os.path.join(conf, "cassandra.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(conf, "cassandra-rackdc.properties"), "w") as f:
        f.write("dc=%s\nrack=%s\n" % (a.dc, a.rack))

    auth = None
    if a.auth_user:
        with open(a.auth_password_file) as f:
            auth = {"user": a.auth_user, "password": f.read().rstrip("\n")}
    jmx = None
    if a.jmx_user:
        with open(a.jmx_password_file) as f:
            jmx = {"user": a.jmx_user, "password": f.read().rstrip("\n")}
    st = {"series": ver, "release": RELEASES[ver],
          "letters": a.letters or (COMPAT_LETTERS[a.storage_compat]
                                   if vnum >= (5, 0) else LETTERS[ver]),
          "format": a.format if vnum >= (5, 0) else "big",
          "host_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
          "tokens": sorted(rng.randint(TOKEN_MIN, TOKEN_MAX)
                           for _ in range(ntok)),
          "address": a.address, "seed": a.seed, "ops": 0, "scale": a.scale,
          "schema_version": str(uuid.UUID(int=rng.getrandbits(128),
                                          version=4)),
          "up": True, "backup_override": None, "auth": auth,
          "jmx": jmx,
          "keyspaces": {}}
    if a.format == "bti" and vnum >= (5, 0):
        st["letters"] = a.letters or "da"
    with open(os.path.join(conf, "standin.json"), "w") as f:
        json.dump(st, f)
    os.environ["CASSANDRA_CONF"] = conf
    return with_node(lambda n: populate(n, a))


def new_table(n, ks, t, system=False, **kw):
    if system:
        # TableId.forSystemTable: UUID.nameUUIDFromBytes(ks + table), v3.
        tid = uuid.UUID(bytes=hashlib.md5((ks + t).encode()).digest(),
                        version=3).hex
    else:
        tid = time_uuid(n).hex
    tab = {"id": tid, "live": [], "pending": 0, "next_gen": 0,
           "compressed": kw.get("compressed", True),
           "indexes": kw.get("indexes", []), "sai": kw.get("sai", []),
           "uuid_ids": kw.get("uuid_ids", False),
           "columns": kw.get("columns", [["id", "uuid"], ["v", "text"]])}
    n.keyspaces().setdefault(ks, {
        "system": system, "tables": {},
        "replication": {"class": "LocalStrategy"} if system else
        {"class": "NetworkTopologyStrategy", n.dc: "3"}})
    n.keyspaces()[ks]["tables"][t] = tab
    for dd in n.data_dirs():
        os.makedirs(n.table_dir(dd, ks, t, tid), exist_ok=True)
    return tab


def populate(n, a):
    uuid_ids = bool(a.uuid_ids and n.vnum() >= (4, 1))
    for ks, tables in SYSTEM_TABLES[n.series].items():
        for t in tables:
            tab = new_table(n, ks, t, system=True)
            if t in ("local", "peers", "keyspaces", "tables", "columns",
                     "roles", "schema_keyspaces", "schema_columnfamilies"):
                n.add_sstable(ks, t)
                tab["pending"] = 1
    if not a.no_sample:
        populate_sample(n, uuid_ids)
    for kt in a.add_table:
        ks, _, t = kt.partition(".")
        new_table(n, ks, t, uuid_ids=uuid_ids)
        for _ in range(2):
            n.add_sstable(ks, t)
    for k in range(a.keyspaces):
        for t in range(a.tables):
            tab = new_table(n, "bulk%d" % k, "t%d" % t, uuid_ids=uuid_ids)
            for _ in range(a.sstables):
                n.add_sstable("bulk%d" % k, "t%d" % t,
                              size=16 * n.st["scale"])
    n.save()
    return 0


def populate_sample(n, uuid_ids):
    """ks1: users (legacy 2i; SAI too on 5.0), events (dropped and recreated:
    the old directory stays with its auto-snapshot), counters;
    ks2: t1 (truncated once: auto-snapshot), t2 (empty, never flushed).
    Live directories also hold temp and transaction-log litter."""
    cols = [["id", "uuid"], ["email", "text"], ["name", "text"]]
    sai = ["users_name_sai"] if n.vnum() >= (5, 0) else []
    users = new_table(n, "ks1", "users", columns=cols,
                      indexes=["users_by_email"], sai=sai, uuid_ids=uuid_ids)
    for _ in range(3):
        n.add_sstable("ks1", "users")
    users["pending"] = 5
    # events, first incarnation: backed up, then dropped.
    old = new_table(n, "ks1", "events", uuid_ids=uuid_ids)
    for _ in range(2):
        sst, _ = n.add_sstable("ks1", "events")
        n.link_backups("ks1", "events", old, sst)
    ms = int(time.time() * 1000) - 86400000
    tag = ("dropped-%d-events" if n.vnum() >= (4, 1) else "%d-events") % ms
    n.snapshot_table("ks1", "events", tag)
    for sst in list(old["live"]):
        n.remove_sstable("ks1", "events", old, sst)
    events = new_table(n, "ks1", "events", uuid_ids=uuid_ids)
    events["old_ids"] = [old["id"]]
    for _ in range(2):
        n.add_sstable("ks1", "events")
    events["pending"] = 2
    c = new_table(n, "ks1", "counters", compressed=False,
                  columns=[["id", "text"], ["n", "counter"]])
    n.add_sstable("ks1", "counters")
    t1 = new_table(n, "ks2", "t1", uuid_ids=uuid_ids)
    n.add_sstable("ks2", "t1")
    tag = ("truncated-%d-t1" if n.vnum() >= (4, 1) else "%d-t1") % ms
    n.snapshot_table("ks2", "t1", tag)
    for sst in list(t1["live"]):
        n.remove_sstable("ks2", "t1", t1, sst)
    t1["live"] = []
    n.add_sstable("ks2", "t1")
    t1["pending"] = 1
    new_table(n, "ks2", "t2")
    c["pending"] = 0
    litter(n)


def litter(n):
    """Temp files and transaction logs in live dirs, as a busy node has."""
    for ks, t, tab in n.tables(["ks1"], ["users", "counters"]):
        tdir = n.table_dir(n.data_dirs()[0], ks, t, tab["id"])
        if n.series == "2.1":
            names = ["%s-%s-tmp-ka-99-Data.db" % (ks, t),
                     "%s-%s-tmplink-ka-98-Index.db" % (ks, t)]
        else:
            names = ["%s_txn_compaction_%s.log" % (n.st["letters"],
                                                   uuid.UUID(int=n.rng.getrandbits(128), version=4)),
                     n.prefix(ks, t, "97") + "Data.db.tmp"]
        for name in names:
            with open(os.path.join(tdir, name), "wb") as f:
                f.write(b"partial")


# ---------------------------------------------------------------- nodetool

def nt_err(msg, exc="java.io.IOException"):
    raise NodetoolError(msg, exc)


def split_opts(args, flags, valued):
    """Parse airline-style options; returns (opts, positional)."""
    opts, pos = {}, []
    i = 0
    while i < len(args):
        x = args[i]
        if x == "--":
            pos += args[i + 1:]
            break
        if x in valued:
            if i + 1 >= len(args):
                raise UsageError("Required values for option '%s' not "
                                 "provided" % x)
            opts[valued[x]] = args[i + 1]
            i += 2
            continue
        if x in flags:
            opts[flags[x]] = True
        elif x.startswith("-"):
            raise UsageError("Found unexpected parameters: [%s]" % x)
        else:
            pos.append(x)
        i += 1
    return opts, pos


def check_keyspaces(n, kss):
    for ks in kss:
        if ks not in n.keyspaces():
            nt_err("Keyspace %s does not exist" % ks,
                   "java.lang.IllegalArgumentException")


def cmd_snapshot(n, args):
    flags = {"-sf": "sf", "--skip-flush": "sf"}
    valued = {"-t": "tag", "--tag": "tag", "-cf": "cf",
              "--column-family": "cf", "--table": "cf", "-kt": "kt",
              "--kt-list": "kt", "-kc": "kt", "--kc.list": "kt",
              "--ttl": "ttl"}
    if n.series == "2.1":
        flags = {}
        valued = {k: v for k, v in valued.items() if v in ("tag", "cf")}
    elif n.vnum() < (4, 1):
        del valued["--ttl"]
    o, kss = split_opts(args, flags, valued)
    tag = o.get("tag") or str(int(time.time() * 1000))
    targets = []
    if o.get("kt"):
        if kss:
            raise UsageError("When specifying the Keyspace columfamily list "
                             "for a snapshot, you should not specify "
                             "columnfamily")
        for kt in o["kt"].split(","):
            ks, _, t = kt.strip().partition(".")
            check_keyspaces(n, [ks])
            if t not in n.keyspaces()[ks]["tables"]:
                nt_err("Table %s does not exist" % t,
                       "java.lang.IllegalArgumentException")
            targets.append((ks, t))
    elif o.get("cf"):
        if len(kss) != 1:
            raise UsageError("When specifying the table for a snapshot, "
                             "you must specify one and only one keyspace")
        check_keyspaces(n, kss)
        if o["cf"] not in n.keyspaces()[kss[0]]["tables"]:
            nt_err("Table %s does not exist" % o["cf"],
                   "java.lang.IllegalArgumentException")
        targets.append((kss[0], o["cf"]))
    else:
        check_keyspaces(n, kss)
        targets = [(ks, t) for ks, t, _ in n.tables(kss or None)]
    what = "[all keyspaces]" if not kss and not o.get("kt") else \
        "[%s]" % ", ".join(kss or [o["kt"]])
    print("Requested creating snapshot(s) for %s with snapshot name [%s] "
          "and options {skipFlush=%s}" % (what, tag,
                                          "true" if o.get("sf") else "false")
          if n.series != "2.1" else
          "Requested creating snapshot(s) for %s with snapshot name [%s]" %
          (what, tag))
    for ks, t in targets:
        if n.snapshot_exists(ks, t, tag):
            nt_err("Snapshot %s already exists." % tag)
    if not o.get("sf"):
        for ks, t in targets:
            n.flush([ks], [t])
    ttl = parse_ttl(o["ttl"]) if o.get("ttl") else None
    for ks, t in targets:
        n.snapshot_table(ks, t, tag, ttl)
    print("Snapshot directory: %s" % tag)
    n.save()
    return 0


def parse_ttl(s):
    mult = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if not s or s[-1] not in mult or not s[:-1].isdigit():
        raise UsageError("Invalid duration: %s" % s)
    return int(s[:-1]) * mult[s[-1]]


def table_dirs(n, kss=None):
    """Every table directory on disk (dropped tables' included)."""
    for dd in n.data_dirs():
        if not os.path.isdir(dd):
            continue
        for ks in sorted(os.listdir(dd)):
            if kss and ks not in kss:
                continue
            kdir = os.path.join(dd, ks)
            if not os.path.isdir(kdir):
                continue
            for td in sorted(os.listdir(kdir)):
                if os.path.isdir(os.path.join(kdir, td)):
                    yield ks, td, os.path.join(kdir, td)


def cmd_clearsnapshot(n, args):
    o, kss = split_opts(args, {"--all": "all"},
                        {"-t": "tag", "--tag": "tag"})
    if n.vnum() >= (4, 0) and not o.get("tag") and not o.get("all"):
        raise UsageError("Specify snapshot name or --all")
    if o.get("tag") and o.get("all"):
        raise UsageError("Specify only one of snapshot name or --all")
    check_keyspaces(n, kss)
    what = "[all keyspaces]" if not kss else "[%s]" % ", ".join(kss)
    name = "[%s]" % o["tag"] if o.get("tag") else "[all snapshots]"
    print("Requested clearing snapshot(s) for %s with snapshot name %s" %
          (what, name))
    for ks, td, path in table_dirs(n, kss):
        sdir = os.path.join(path, "snapshots")
        if o.get("tag"):
            shutil.rmtree(os.path.join(sdir, o["tag"]), ignore_errors=True)
        else:
            shutil.rmtree(sdir, ignore_errors=True)
    return 0


def cmd_listsnapshots(n, args):
    rows = {}
    for ks, td, path in table_dirs(n):
        sdir = os.path.join(path, "snapshots")
        if not os.path.isdir(sdir):
            continue
        for tag in sorted(os.listdir(sdir)):
            key = (tag, ks, td.rpartition("-")[0])
            true, total = rows.get(key, (0, 0))
            for dp, _, fns in os.walk(os.path.join(sdir, tag)):
                for fn in fns:
                    s = os.stat(os.path.join(dp, fn))
                    total += s.st_size
                    if s.st_nlink == 1:
                        true += s.st_size
            rows[key] = (true, total)
    if not rows:
        print("Snapshot Details: ")
        print("There are no snapshots")
        return 0
    si = n.vnum() < (4, 0)
    head = ["Snapshot name", "Keyspace name", "Column family name",
            "True size", "Size on disk"]
    if n.vnum() >= (4, 1):
        head += ["Creation time", "Expiration time"]
    table = [head]
    total_true = 0
    for (tag, ks, t), (true, total) in sorted(rows.items()):
        total_true += true
        r = [tag, ks, t, human(true, si), human(total, si)]
        if n.vnum() >= (4, 1):
            r += snapshot_times(n, ks, t, tag)
        table.append(r)
    print("Snapshot Details: ")
    if n.vnum() >= (5, 0):
        for line in table_rows(table, " "):
            print(line)
    else:
        widths = [max(len(r[i]) for r in table) for i in range(len(head))]
        for r in table:
            print(" ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    print("")
    print("Total TrueDiskSpaceUsed: %s" % human(total_true, si))
    print("")
    return 0


def snapshot_times(n, ks, t, tag):
    """Creation and expiration time (Instant.toString, milliseconds) from
    the snapshot's manifest.json, in whichever data directory it is."""
    def iso(x):
        if isinstance(x, str):
            return x
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(x)) + \
            ".%03dZ" % int((x % 1) * 1000)
    for ks_, td, path in table_dirs(n, [ks]):
        if td.rpartition("-")[0] != t:
            continue
        try:
            with open(os.path.join(path, "snapshots", tag,
                                   "manifest.json")) as f:
                m = json.load(f)
        except (OSError, ValueError):
            continue
        if m.get("created_at") is None:
            continue
        exp = m.get("expires_at")
        return [iso(m["created_at"]), "" if exp is None else iso(exp)]
    return [time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()), ""]


def cmd_flush(n, args):
    _, pos = split_opts(args, {}, {})
    kss = pos[:1]
    check_keyspaces(n, kss)
    tbls = pos[1:]
    for t in tbls:
        if t not in n.keyspaces()[kss[0]]["tables"]:
            nt_err("Unknown table %s in keyspace %s" % (t, kss[0]),
                   "java.lang.IllegalArgumentException")
    n.flush(kss or None, tbls or None)
    n.save()
    return 0


def cmd_compact(n, args):
    _, pos = split_opts(args, {"-s": "split", "--split-output": "split"}, {})
    kss, tbls = pos[:1], pos[1:]
    check_keyspaces(n, kss)
    n.flush(kss or None, tbls or None)
    for ks, t, tab in n.tables(kss or None, tbls or None):
        if len(tab["live"]) < 2:
            continue
        old = list(tab["live"])
        size = 0
        for sst in old:
            tdir = n.table_dir(n.data_dirs()[sst["dd"]], ks, t, tab["id"])
            size += os.path.getsize(os.path.join(
                tdir, n.prefix(ks, t, sst["gen"]) + "Data.db"))
        for sst in old:
            n.remove_sstable(ks, t, tab, sst)
        tab["live"] = []
        n.add_sstable(ks, t, size=size)
    n.save()
    return 0


def sstable_groups(d):
    """Prefixes of the sstables whose Data.db is in directory d."""
    out = []
    for fn in sorted(os.listdir(d)):
        if fn.endswith("-Data.db") and "tmp" not in fn:
            out.append(fn[:-len("Data.db")])
    return out


def adopt(n, ks, t, src_dir, move):
    """Give the sstables found in src_dir new generations in the table."""
    tab = n.table(ks, t)
    count = 0
    for pre in sstable_groups(src_dir):
        gen = n.new_gen(tab)
        sst = {"gen": gen, "dd": tab["next_gen"] % len(n.data_dirs())}
        tdir = n.table_dir(n.data_dirs()[sst["dd"]], ks, t, tab["id"])
        os.makedirs(tdir, exist_ok=True)
        newpre = n.prefix(ks, t, gen)
        sst["files"] = []
        for fn in sorted(os.listdir(src_dir)):
            if fn.startswith(pre):
                sst["files"].append(newpre + fn[len(pre):])
                dst = os.path.join(tdir, newpre + fn[len(pre):])
                src = os.path.join(src_dir, fn)
                if move:
                    shutil.move(src, dst)
                else:
                    os.rename(src, dst)
        tab["live"].append(sst)
        if n.backups_enabled():
            n.link_backups(ks, t, tab, sst)
        count += 1
    return count


def sstable_prefix_gen(n, ks, t, pre):
    """The generation in a table's own sstable prefix, or None (an index
    sstable of 2.1, another table's name)."""
    parts = pre.rstrip("-").split("-")
    if n.series == "2.1":
        return parts[3] if len(parts) == 4 and parts[:2] == [ks, t] else None
    return parts[1] if len(parts) == 3 else None


def rescan(n):
    """At start a node reads its live sstables from disk, as Cassandra
    does: what was moved in while it was down is live, what was moved out
    is gone.  Entries still on disk keep their order."""
    for ks, t, tab in n.tables():
        found = {}
        for i, dd in enumerate(n.data_dirs()):
            tdir = n.table_dir(dd, ks, t, tab["id"])
            if not os.path.isdir(tdir):
                continue
            subs = [x for x in os.listdir(tdir) if x.startswith(".") and
                    os.path.isdir(os.path.join(tdir, x))]
            for pre in sstable_groups(tdir):
                gen = sstable_prefix_gen(n, ks, t, pre)
                if gen is None:
                    continue
                files = [fn for fn in os.listdir(tdir)
                         if fn.startswith(pre) or (
                             n.series == "2.1" and fn.startswith(
                                 "%s-%s." % (ks, t)) and
                             fn.split("-")[3:4] == [gen])]
                for sub in subs:
                    files += [sub + "/" + fn for fn in
                              os.listdir(os.path.join(tdir, sub))
                              if fn.startswith(pre)]
                found[(i, gen)] = sorted(files)
        keep = []
        for sst in tab["live"]:
            k = (sst["dd"], sst["gen"])
            if k in found and sorted(n.sstable_files(ks, t, tab, sst)) == \
                    found[k]:
                keep.append(sst)
                del found[k]
        for (i, gen), files in sorted(found.items(),
                                      key=lambda kv: (kv[0][0], len(
                                          kv[0][1]), kv[0][1])):
            keep.append({"gen": gen, "dd": i, "files": files})
            if gen.isdigit():
                tab["next_gen"] = max(tab["next_gen"], int(gen))
        tab["live"] = keep


def live_prefixes(n, ks, t, tab, dd):
    return {n.prefix(ks, t, s["gen"]) for s in tab["live"] if s["dd"] == dd}


def cmd_refresh(n, args):
    _, pos = split_opts(args, {}, {})
    if len(pos) != 2:
        raise UsageError("refresh requires ks and cf args")
    ks, t = pos
    check_keyspaces(n, [ks])
    if t not in n.keyspaces()[ks]["tables"]:
        nt_err("Unknown table %s" % t, "java.lang.IllegalArgumentException")
    tab = n.table(ks, t)
    for i, dd in enumerate(n.data_dirs()):
        tdir = n.table_dir(dd, ks, t, tab["id"])
        live = live_prefixes(n, ks, t, tab, i)
        live_files = {f for s in tab["live"] if s["dd"] == i
                      for f in n.sstable_files(ks, t, tab, s)}
        stage = os.path.join(tdir, ".refresh-stage")
        os.makedirs(stage, exist_ok=True)
        for pre in sstable_groups(tdir):
            if pre in live or pre + "Data.db" in live_files:
                continue
            for fn in os.listdir(tdir):
                if fn.startswith(pre):
                    os.rename(os.path.join(tdir, fn),
                              os.path.join(stage, fn))
        adopt(n, ks, t, stage, move=False)
        os.rmdir(stage)
    n.save()
    return 0


def cmd_import(n, args):
    if n.vnum() < (4, 0):
        raise UsageError("Found unexpected parameters: [import]")
    flags = {f: f for f in ("-l", "--keep-level", "-r", "--keep-repaired",
                            "-v", "--no-verify", "-t", "--no-tokens", "-c",
                            "--no-invalidate-caches", "-q", "--quick", "-e",
                            "--extended-verify", "--copy-data")}
    _, pos = split_opts(args, flags, {})
    if len(pos) < 3:
        raise UsageError("import requires keyspace, table name and "
                         "directories")
    ks, t, dirs = pos[0], pos[1], pos[2:]
    check_keyspaces(n, [ks])
    if t not in n.keyspaces()[ks]["tables"]:
        nt_err("Unknown table %s" % t, "java.lang.IllegalArgumentException")
    failed = [d for d in dirs if not os.path.isdir(d)]
    for d in dirs:
        if d not in failed:
            adopt(n, ks, t, d, move=True)
    n.save()
    if failed:
        print("Some directories failed to import, check server logs for "
              "details:")
        for d in failed:
            print(d)
        return 1
    return 0


def cmd_drain(n, args):
    """Flush every memtable; the node still answers nodetool after."""
    split_opts(args, {}, {})
    n.flush()
    n.st["drained"] = True
    n.save()
    return 0


def cmd_version(n, args):
    print("ReleaseVersion: %s" % n.st["release"])
    return 0


def cmd_info(n, args):
    o, _ = split_opts(args, {"-T": "T", "--tokens": "T"}, {})
    si = n.vnum() < (4, 0)
    rows = [("ID", n.st["host_id"]), ("Gossip active", "true")]
    if n.vnum() < (4, 0):
        rows.append(("Thrift active", "false"))
    rows += [("Native Transport active", "true"),
             ("Load", human(n.live_bytes(), si))]
    if n.vnum() >= (5, 0):
        rows.append(("Uncompressed load", human(n.live_bytes() * 4 // 3,
                                                 si)))
    rows += [("Generation No", "1700000000"),
             ("Uptime (seconds)", "86400"),
             ("Heap Memory (MB)", "512.00 / 1024.00"),
             ("Off Heap Memory (MB)", "0.00"),
             ("Data Center", n.dc), ("Rack", n.rack), ("Exceptions", "0"),
             ("Key Cache", "entries 0, size 0 bytes, capacity 50 MiB, 0 "
              "hits, 0 requests, NaN recent hit rate, 14400 save period in "
              "seconds"),
             ("Row Cache", "entries 0, size 0 bytes, capacity 0 bytes, 0 "
              "hits, 0 requests, NaN recent hit rate, 0 save period in "
              "seconds"),
             ("Counter Cache", "entries 0, size 0 bytes, capacity 25 MiB, "
              "0 hits, 0 requests, NaN recent hit rate, 7200 save period "
              "in seconds")]
    if n.vnum() >= (4, 0):
        rows.append(("Network Cache", "size 8 MiB, overflow size: 0 bytes, "
                     "capacity 16 MiB"))
    rows.append(("Percent Repaired", "100.0%"))
    if o.get("T"):
        rows += [("Token", str(t)) for t in n.st["tokens"]]
    else:
        rows.append(("Token", "(invoke with -T/--tokens to see all %d "
                     "tokens)" % len(n.st["tokens"])))
    if n.vnum() >= (5, 0):
        rows += [("Bootstrap state", "COMPLETED"),
                 ("Bootstrap failed", "false"), ("Decommissioning", "false"),
                 ("Decommission failed", "false")]
    for k, v in rows:
        print("%-23s: %s" % (k, v))
    return 0


def cmd_status(n, args):
    si = n.vnum() < (4, 0)
    load = human(n.live_bytes(), si)
    ntok = len(n.st["tokens"])
    # The node itself, then its ring peers (standin peers), one section
    # per datacenter in the order they first appear.
    rows = [("UN", n.st["address"], load, n.st["host_id"], n.dc, n.rack)]
    for p in n.st.get("peers", []):
        rows.append((p["state"], p["address"], load,
                     str(uuid.uuid3(uuid.NAMESPACE_DNS, p["address"])),
                     p["dc"], n.rack))
    dcs = []
    for r in rows:
        if r[4] not in dcs:
            dcs.append(r[4])
    for dc in dcs:
        title = "Datacenter: %s" % dc
        print(title)
        print("=" * len(title))
        print("Status=Up/Down")
        print("|/ State=Normal/Leaving/Joining/Moving")
        mine = [r for r in rows if r[4] == dc]
        if n.vnum() >= (5, 0):
            for line in table_rows(
                    [["--", "Address", "Load", "Tokens", "Owns (effective)",
                      "Host ID", "Rack"]] +
                    [[r[0], r[1], r[2], str(ntok), "100.0%", r[3], r[5]]
                     for r in mine], "  "):
                print(line)
            print("")
            continue
        print("--  %-13s  %-10s  %-6s  %-16s  %-36s  %s" % (
            "Address", "Load", "Tokens", "Owns (effective)", "Host ID",
            "Rack"))
        for r in mine:
            print("%s  %-13s  %-10s  %-6d  %-16s  %-36s  %s" % (
                r[0], r[1], r[2], ntok, "100.0%", r[3], r[5]))
        print("")
    return 0


def cmd_ring(n, args):
    si = n.vnum() < (4, 0)
    print("")
    title = "Datacenter: %s" % n.dc
    print(title)
    print("=" * len(title))
    print("%-11s %-12s %-6s %-7s %-15s %-19s %s" % (
        "Address", "Rack", "Status", "State", "Load", "Owns", "Token"))
    print("%-11s %-12s %-6s %-7s %-15s %-19s %s" % (
        "", "", "", "", "", "", n.st["tokens"][-1]))
    load = human(n.live_bytes(), si)
    for t in n.st["tokens"]:
        print("%-11s %-12s %-6s %-7s %-15s %-19s %s" % (
            n.st["address"], n.rack, "Up", "Normal", load, "100.00%", t))
    print("")
    return 0


def cmd_describecluster(n, args):
    print("Cluster Information:")
    print("\tName: %s" % n.yaml.get("cluster_name", "Test Cluster"))
    snitch = "DynamicEndpointSnitch"
    if n.vnum() >= (5, 0):
        snitch = n.yaml.get("endpoint_snitch", "SimpleSnitch")
    if "." not in snitch:
        snitch = "org.apache.cassandra.locator." + snitch
    print("\tSnitch: %s" % snitch)
    print("\tDynamicEndPointSnitch: enabled")
    print("\tPartitioner: %s" % n.yaml.get(
        "partitioner", "org.apache.cassandra.dht.Murmur3Partitioner"))
    print("\tSchema versions:")
    print("\t\t%s: [%s]" % (n.st["schema_version"], n.st["address"]))
    print("")
    if n.vnum() < (4, 0):
        return 0
    # 4.0+: the cluster's stats, data centers, versions and keyspaces.
    print("Stats for all nodes:")
    for k, v in (("Live", 1), ("Joining", 0), ("Moving", 0), ("Leaving", 0),
                 ("Unreachable", 0)):
        print("\t%s: %d" % (k, v))
    print("")
    print("Data Centers: ")
    print("\t%s #Nodes: 1 #Down: 0" % n.dc)
    print("")
    print("Database versions:")
    print("\t%s: [%s:7000]" % (n.st["release"], n.st["address"]))
    print("")
    print("Keyspaces:")
    for ks in sorted(n.keyspaces()):
        r = dict(n.keyspaces()[ks]["replication"])
        cls = r.pop("class")
        print("\t%s -> Replication class: %s {%s}" % (
            ks, cls, ", ".join("%s=%s" % kv for kv in sorted(r.items()))))
    return 0


def cmd_backup(n, args, which):
    if which == "status":
        print("running" if n.backups_enabled() else "not running")
        return 0
    n.st["backup_override"] = which == "enable"
    n.save()
    return 0


NODETOOL = {
    "snapshot": cmd_snapshot, "clearsnapshot": cmd_clearsnapshot,
    "listsnapshots": cmd_listsnapshots, "flush": cmd_flush,
    "compact": cmd_compact, "refresh": cmd_refresh, "import": cmd_import,
    "drain": cmd_drain, "version": cmd_version, "info": cmd_info, "status": cmd_status,
    "ring": cmd_ring, "describecluster": cmd_describecluster,
    "statusbackup": lambda n, a: cmd_backup(n, a, "status"),
    "enablebackup": lambda n, a: cmd_backup(n, a, "enable"),
    "disablebackup": lambda n, a: cmd_backup(n, a, "disable"),
}


def nodetool(argv):
    # Global JMX options come before the command, as in the real one.
    names = {"-h": "host", "--host": "host", "-p": "port", "--port": "port",
             "-u": "user", "--username": "user", "-pw": "password",
             "--password": "password", "-pwf": "pwfile",
             "--password-file": "pwfile"}
    i, g = 0, {}
    while i + 1 < len(argv) and argv[i] in names:
        g[names[argv[i]]] = argv[i + 1]
        i += 2
    argv = argv[i:]
    if not argv or argv[0] not in NODETOOL:
        sys.stderr.write("nodetool: Found unexpected parameters: [%s]\n"
                         "See 'nodetool help' or 'nodetool help "
                         "<command>'.\n" % ", ".join(argv))
        return 1

    def run(n):
        if not n.st["up"]:
            sys.stderr.write("nodetool: Failed to connect to '127.0.0.1:7199' "
                             "- ConnectException: 'Connection refused "
                             "(Connection refused)'.\n")
            return 1
        if n.st.get("jmx") and not jmx_login(n.st["jmx"], g):
            return 1
        try:
            return NODETOOL[argv[0]](n, argv[1:])
        except UsageError as e:
            sys.stderr.write("nodetool: %s\nSee 'nodetool help' or "
                             "'nodetool help <command>'.\n" % e)
            return 1
        except NodetoolError as e:
            msg, exc = e.args
            sys.stderr.write("error: %s\n-- StackTrace --\n%s: %s\n\tat "
                             "org.apache.cassandra.service.StorageService."
                             "takeSnapshot(StorageService.java:3870)\n" %
                             (msg, exc, msg))
            return 2
    return with_node(run)


def jmx_login(jmx, g):
    """JMX authentication: -u USER with -pw PASS, or -pwf FILE of
    `user password` lines as nodetool reads it."""
    user, pw = g.get("user"), g.get("password")
    if g.get("pwfile"):
        with open(g["pwfile"]) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2 and parts[0] == user:
                    pw = parts[1]
    if user is None or pw is None:
        why = "Credentials required"
    elif user != jmx["user"] or pw != jmx["password"]:
        why = "Invalid username or password"
    else:
        return True
    sys.stderr.write("nodetool: Failed to connect to '127.0.0.1:7199' - "
                     "SecurityException: 'Authentication failed! %s'.\n" %
                     why)
    return False


# ------------------------------------------------------------------- cqlsh

def read_ini(path):
    import configparser
    c = configparser.RawConfigParser()
    if path and os.path.exists(path):
        c.read(path)
    return c


def cqlsh(argv):
    import argparse
    p = argparse.ArgumentParser(prog="cqlsh", add_help=False)
    p.add_argument("host", nargs="?")
    p.add_argument("port", nargs="?", type=int)
    p.add_argument("-e", "--execute")
    p.add_argument("-f", "--file")
    p.add_argument("-u", "--username")
    p.add_argument("-p", "--password")
    p.add_argument("-k", "--keyspace")
    p.add_argument("--cqlshrc")
    p.add_argument("--ssl", action="store_true")
    p.add_argument("--version", action="store_true")
    p.add_argument("--request-timeout")
    p.add_argument("--connect-timeout")
    a = p.parse_args(argv)

    def run(n):
        if a.version:
            print("cqlsh %s" % {"2.1": "5.0.1", "3.11": "5.0.1",
                                "4.1": "6.1.0", "5.0": "6.2.0"}[n.series])
            return 0
        host = a.host or os.environ.get("CQLSH_HOST", "127.0.0.1")
        port = a.port or int(os.environ.get("CQLSH_PORT", "9042"))
        want = (str(n.yaml.get("rpc_address", "localhost")),
                int(n.yaml.get("native_transport_port", 9042)))
        if host == "localhost":
            host = "127.0.0.1"
        if want[0] == "localhost":
            want = ("127.0.0.1", want[1])
        where = "%s:%d" % (host, port)
        if not n.st["up"] or (host, port) != want:
            sys.stderr.write("Connection error: ('Unable to connect to any "
                             "servers', {'%s': ConnectionRefusedError(111, "
                             "\"Tried connecting to [('%s', %d)]. Last error: "
                             "Connection refused\")})\n" % (where, host, port))
            return 1
        if not tls_settings(n, a, argv):
            return 1
        if n.st["auth"] and not authenticate(n, a, where):
            return 1
        if n.series == "5.0" and n.st["release"] != CQLSH_BUILT_AGAINST:
            # PyPI cqlsh 6.2 on connecting to a server of another release:
            # on stdout, before any output (cqlsh.py, Shell.__init__).
            print("WARNING: cqlsh was built against %s, but this server is "
                  "%s.  All features may not work!" % (CQLSH_BUILT_AGAINST,
                                                       n.st["release"]))
        if a.file:
            return cql_file(n, a.file)
        stmt = (a.execute or sys.stdin.read()).strip().rstrip(";").split()
        words = [w.upper() for w in stmt]
        if words[:1] == ["SELECT"]:
            return cql_select(n, " ".join(stmt))
        if words[:1] in (["DESCRIBE"], ["DESC"]):
            if words[1:] == ["SCHEMA"]:
                sys.stdout.write(n.describe())
                return 0
            if words[1:] == ["SCHEMA", "WITH", "INTERNALS"]:
                if n.vnum() >= (4, 0):
                    # 4.0+: DESCRIBE runs on the server, ids included.
                    sys.stdout.write(n.describe(internals=True))
                    return 0
                # Before 4.0 cqlsh describes on the client and its grammar
                # ends at SCHEMA: handle_parse_error, statement error, exit
                # 2 (the token's repr is approximate).
                sys.stderr.write("<stdin>:1:Improper %s command (problem at "
                                 "('identifier', '%s', (%d, %d))).\n" %
                                 (stmt[0], stmt[2], len(stmt[0]) + 8,
                                  len(stmt[0]) + 12))
                return 2
            if words[1:] == ["FULL", "SCHEMA"]:
                sys.stdout.write(n.describe(full=True))
                return 0
            if words[1:2] == ["KEYSPACE"] and len(stmt) == 3 and \
                    stmt[2] in n.keyspaces():
                sys.stdout.write(n.describe(only=stmt[2]))
                return 0
        sys.stderr.write("<stdin>:1:SyntaxException: line 1:0 no viable "
                         "alternative at input '%s'\n" % " ".join(stmt[:1]))
        return 2
    return with_node(run)


def cql_table(cols, rows):
    """cqlsh's tabular output: header (left-justified), rule, rows
    (right-justified), a blank line and (N rows)."""
    w = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in
         enumerate(cols)]
    out = ["", " " + " | ".join(c.ljust(x) for c, x in zip(cols, w)).rstrip(),
           "-" + "-+-".join("-" * x for x in w) + "-"]
    out += [" " + " | ".join(c.rjust(x) for c, x in zip(r, w)) for r in rows]
    out += ["", "(%d rows)" % len(rows)]
    return "\n".join(out) + "\n"


def cql_select(n, stmt):
    """The two table-id queries a load reads, in the release's schema
    tables: system_schema.tables (3.0+), system.schema_columnfamilies
    (2.1/2.2)."""
    new = "SELECT keyspace_name, table_name, id FROM system_schema.tables"
    old = ("SELECT keyspace_name, columnfamily_name, cf_id FROM "
           "system.schema_columnfamilies")
    legacy = n.vnum() < (3, 0)
    if stmt == new and legacy:
        sys.stderr.write('<stdin>:1:InvalidRequest: code=2200 [Invalid '
                         'query] message="Keyspace system_schema does not '
                         'exist"\n')
        return 2
    if stmt == old and not legacy:
        sys.stderr.write('<stdin>:1:InvalidRequest: Error from server: '
                         'code=2200 [Invalid query] message="unconfigured '
                         'table schema_columnfamilies"\n')
        return 2
    if stmt not in (new, old):
        sys.stderr.write("<stdin>:1:SyntaxException: line 1:0 no viable "
                         "alternative at input 'SELECT'\n")
        return 2
    rows = [[ks, t, str(uuid.UUID(tab["id"]))] for ks, t, tab in n.tables()]
    cols = ["keyspace_name", "table_name", "id"] if not legacy else \
        ["keyspace_name", "columnfamily_name", "cf_id"]
    sys.stdout.write(cql_table(cols, rows))
    return 0


def cql_statements(text):
    """Statements of a CQL file, split at ';' outside quotes; -- and //
    comments dropped."""
    out, cur, q = [], [], None
    i = 0
    while i < len(text):
        c = text[i]
        if q is None and text[i:i + 2] in ("--", "//"):
            j = text.find("\n", i)
            i = len(text) if j < 0 else j
            continue
        if q is None and c in "'\"":
            q = c
        elif q == c:
            q = None
        if q is None and c == ";":
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    if "".join(cur).strip():
        out.append("".join(cur).strip())
    return [x for x in out if x]


def cql_file(n, path):
    """cqlsh -f: CREATE KEYSPACE and CREATE TABLE (IF NOT EXISTS or not)
    make the keyspace and a table with its id (WITH ID = ..., else a new
    one); USE sets the keyspace; other statements are taken and ignored.
    An error is printed as FILE:LINE:... and cqlsh goes on, exiting 2."""
    import re
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        sys.stderr.write("Can't open %r: %s\n" % (path, e))
        return 1
    cur, rc, changed = None, 0, False
    for st in cql_statements(text):
        words = st.split()
        up = [w.upper() for w in words]
        if up[:1] == ["USE"] and len(words) == 2:
            cur = words[1].strip('"')
            continue
        m = re.match(r"CREATE\s+KEYSPACE\s+(IF\s+NOT\s+EXISTS\s+)?"
                     r"(\w+)\s+WITH\s+replication\s*=\s*(\{[^}]*\})", st,
                     re.I | re.S)
        if m:
            ks = m.group(2)
            if ks in n.keyspaces():
                if not m.group(1):
                    sys.stderr.write("%s:1:AlreadyExists: Keyspace '%s' "
                                     "already exists\n" % (path, ks))
                    rc = 2
                continue
            rep = yaml.safe_load(m.group(3).replace("'", '"'))
            n.keyspaces()[ks] = {"system": False, "tables": {},
                                 "replication": {k: str(v) for k, v in
                                                 rep.items()}}
            changed = True
            continue
        m = re.match(r"CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?"
                     r"(?:(\w+)\.)?(\w+)\s*\((.*)\)\s*(WITH\s+(.*))?$", st,
                     re.I | re.S)
        if m:
            ks, t = m.group(2) or cur, m.group(3)
            if ks not in n.keyspaces():
                sys.stderr.write("%s:1:InvalidRequest: Keyspace '%s' does "
                                 "not exist\n" % (path, ks))
                rc = 2
                continue
            if t in n.keyspaces()[ks]["tables"]:
                if not m.group(1):
                    sys.stderr.write("%s:1:AlreadyExists: Table '%s.%s' "
                                     "already exists\n" % (path, ks, t))
                    rc = 2
                continue
            body = m.group(4)
            cols = []
            for part in re.split(r",(?![^(]*\))", body):
                w = part.split()
                if len(w) >= 2 and w[0].upper() != "PRIMARY":
                    cols.append([w[0], w[1]])
            tab = new_table(n, ks, t, columns=cols or
                            [["id", "uuid"], ["v", "text"]])
            idm = re.search(r"\bID\s*=\s*([0-9a-f-]{36})", m.group(6) or "",
                            re.I)
            if idm:
                old = tab["id"]
                tab["id"] = uuid.UUID(idm.group(1)).hex
                for dd in n.data_dirs():
                    os.rmdir(n.table_dir(dd, ks, t, old))
                    os.makedirs(n.table_dir(dd, ks, t, tab["id"]),
                                exist_ok=True)
            changed = True
    if changed:
        n.st["schema_version"] = str(uuid.UUID(int=n.rng.getrandbits(128),
                                               version=4))
        n.save()
    return rc


def tls_settings(n, a, argv):
    """TLS as cqlsh takes it: --ssl or [connection] ssl; then [ssl]
    validate (or SSL_VALIDATE: anything but false validates), which needs
    a certfile ([ssl] certfile or SSL_CERTFILE) (cqlsh.py read_options,
    sslhandling.ssl_settings).  The stand-in has no TLS listener: it
    checks the settings, and where CASSANDRA_CONF/cqlsh-runs exists,
    appends what this run was given (argv, the cqlshrc's text) to it."""
    import configparser
    rc = a.cqlshrc or os.path.expanduser("~/.cassandra/cqlshrc")
    text = None
    if os.path.exists(rc):
        with open(rc) as f:
            text = f.read()
    conf = configparser.ConfigParser()
    conf.read(rc)
    record = os.path.join(n.conf, "cqlsh-runs")
    if os.path.exists(record):
        with open(record, "a") as f:
            f.write(json.dumps({"argv": argv, "cqlshrc": text}) + "\n")
    ssl = a.ssl or conf.getboolean("connection", "ssl", fallback=False)
    if not ssl:
        return True
    validate = os.environ.get("SSL_VALIDATE",
                              conf.get("ssl", "validate", fallback=None))
    certfile = os.environ.get("SSL_CERTFILE",
                              conf.get("ssl", "certfile", fallback=None))
    if (validate is None or validate.lower() != "false") and not certfile:
        sys.stderr.write("Validation is enabled; SSL transport factory "
                         "requires a valid certfile to be specified. Please "
                         "provide path to the certfile in [ssl] section as "
                         "'certfile' option in %s (or use [certfiles] "
                         "section) or set SSL_CERTFILE environment "
                         "variable.\n" % rc)
        return False
    return True


def authenticate(n, a, where):
    rc = a.cqlshrc or os.path.expanduser("~/.cassandra/cqlshrc")
    conf = read_ini(rc)
    user, pw = a.username, a.password
    if conf.has_section("authentication"):
        sec = conf["authentication"]
        user = user or sec.get("username")
        pw = pw or sec.get("password")
        if n.vnum() >= (4, 1):
            cred = os.path.expanduser(sec.get(
                "credentials", "~/.cassandra/credentials"))
            c = read_ini(cred)
            if c.has_section("PlainTextAuthProvider"):
                user = a.username or c["PlainTextAuthProvider"].get(
                    "username", user)
                pw = a.password or c["PlainTextAuthProvider"].get(
                    "password", pw)
    if user is None or pw is None:
        sys.stderr.write("Connection error: ('Unable to connect to any "
                         "servers', {'%s': AuthenticationFailed('Remote end "
                         "requires authentication')})\n" % where)
        return False
    if user != n.st["auth"]["user"] or pw != n.st["auth"]["password"]:
        sys.stderr.write("Connection error: ('Unable to connect to any "
                         "servers', {'%s': AuthenticationFailed('Failed to "
                         "authenticate to %s: Error from server: code=0100 "
                         "[Bad credentials] message=\"Provided username %s "
                         "and/or password are incorrect\"')})\n" %
                         (where, where, user))
        return False
    return True


# ------------------------------------------------------------ standin tool

def standin(argv):
    usage = ("usage: standin mknode [options]  (see standin mknode --help)\n"
             "       standin write KS TABLE [N [SIZE]]  pending writes to flush\n"
             "                                    (SIZE: bytes of its Data.db)\n"
             "       standin stop | start         take the node down / up\n"
             "       standin sstables KS TABLE    live sstables, one a line\n"
             "       standin peers [ADDRESS,DC,STATE]...  the ring peers nodetool\n"
             "                                    status shows (STATE: UN, DN...)\n")
    if not argv:
        sys.stderr.write(usage)
        return 64
    cmd, args = argv[0], argv[1:]
    if cmd == "mknode":
        return mknode(args)
    if cmd == "write" and len(args) in (2, 3, 4):
        def w(n):
            n.table(args[0], args[1])["pending"] += int(
                args[2]) if len(args) >= 3 else 1
            if len(args) == 4:
                # the size of the Data.db of the next flush
                n.table(args[0], args[1])["pending_size"] = int(args[3])
            n.save()
            return 0
        return with_node(w)
    if cmd in ("stop", "start") and not args:
        def s(n):
            n.st["up"] = cmd == "start"
            if cmd == "start":
                rescan(n)
                n.st.pop("drained", None)
            n.save()
            return 0
        return with_node(s)
    if cmd == "peers":
        peers = []
        for a in args:
            f = a.split(",")
            if len(f) != 3 or len(f[2]) != 2 or f[2][0] not in "UD" or \
                    f[2][1] not in "NLJM":
                sys.stderr.write(usage)
                return 64
            peers.append({"address": f[0], "dc": f[1], "state": f[2]})

        def pe(n):
            n.st["peers"] = peers
            n.save()
            return 0
        return with_node(pe)
    if cmd == "sstables" and len(args) == 2:
        def ls(n):
            tab = n.table(args[0], args[1])
            for sst in tab["live"]:
                print(n.prefix(args[0], args[1], sst["gen"]))
            return 0
        return with_node(ls)
    sys.stderr.write(usage)
    return 64


def main():
    prog = os.path.basename(sys.argv[0])
    if prog == "nodetool":
        return nodetool(sys.argv[1:])
    if prog == "cqlsh":
        return cqlsh(sys.argv[1:])
    return standin(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
