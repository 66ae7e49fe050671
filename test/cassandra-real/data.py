"""test/cassandra-real/data.py: data for the tests on real Cassandra.

Run with the python of the cqlsh virtualenv that test/services/cassandra.sh
installs (it holds cassandra-driver, which cqlsh needs):

    python data.py --host IP --ks KS [--rf N] schema
    python data.py --host IP --ks KS write FIRST COUNT
    python data.py --host IP --ks KS recreate TABLE
    python data.py --host IP --ks KS digest
    python data.py --host IP --ks KS tabledir TABLE

schema (re)creates keyspace KS (SimpleStrategy, RF N, default 1) and KS_b (RF
1) with tables that a backup must carry as Cassandra writes them: a
clustering key in descending order with a set, a legacy secondary index
and an SAI index (KS.users); a composite clustering key with a map and a
list (KS.events); a counter table (KS.counts); a table dropped and created
again under the same name, so it has a new table id and the old one's
directory is left behind (KS.reborn); and a blob table (KS_b.kv).
Compaction is off on them, so the sstables that the flushes between
writes make are the ones a backup holds (nothing merges them between a
reference snapshot and the backup).

write adds rows FIRST..FIRST+COUNT-1 to every table (counters are
incremented, so they sum over the writes); the caller flushes between
writes (nodetool flush) to get several sstables per table.  recreate
drops TABLE and creates it again, empty, with its indexes.

digest prints one line per table, "KS.TABLE ROWS SHA256", the SHA-256 over
all rows in a canonical form (values as text, sets and maps sorted, rows
sorted), read at consistency ALL.  tabledir prints the live table's
directory name, TABLE-ID (the id without dashes).
"""
import argparse
import hashlib
import sys
import uuid

from cassandra import ConsistencyLevel
from cassandra.cluster import Cluster, ExecutionProfile, EXEC_PROFILE_DEFAULT
from cassandra.concurrent import execute_concurrent_with_args
from cassandra.policies import RoundRobinPolicy

NO_COMPACTION = ("compaction = {{'class': 'SizeTieredCompactionStrategy', "
                 "'enabled': 'false'}}")

TABLES = {
    "users": [
        "CREATE TABLE {ks}.users (id int, seq int, name text, "
        "tags set<text>, PRIMARY KEY (id, seq)) "
        "WITH CLUSTERING ORDER BY (seq DESC) AND " + NO_COMPACTION,
        "CREATE INDEX users_name_idx ON {ks}.users (name)",
        "CREATE INDEX users_seq_sai ON {ks}.users (seq) USING 'sai'",
    ],
    "events": [
        "CREATE TABLE {ks}.events (day text, hour int, ts timeuuid, "
        "attrs map<text, int>, notes list<text>, "
        "PRIMARY KEY (day, hour, ts)) WITH " + NO_COMPACTION,
    ],
    "counts": [
        "CREATE TABLE {ks}.counts (id int PRIMARY KEY, hits counter) "
        "WITH " + NO_COMPACTION,
    ],
    "reborn": [
        "CREATE TABLE {ks}.reborn (id int PRIMARY KEY, v text) "
        "WITH " + NO_COMPACTION,
    ],
}
KV = ("CREATE TABLE {ks}_b.kv (k text PRIMARY KEY, v blob) WITH "
      + NO_COMPACTION)

WRITES = {
    "users": ("INSERT INTO {ks}.users (id, seq, name, tags) "
              "VALUES (?, ?, ?, ?)",
              lambda i: (i // 4, i % 4, "name%d" % (i % 97),
                         {"t%d" % (i % 5), "u%d" % (i % 3)})),
    "events": ("INSERT INTO {ks}.events (day, hour, ts, attrs, notes) "
               "VALUES (?, ?, ?, ?, ?)",
               lambda i: ("d%d" % (i % 7), i % 24,
                          uuid.UUID(int=(i << 64) | 0x1000 | (1 << 63),
                                    version=1),
                          {"a": i, "b": i * 2}, ["n%d" % i, "m"])),
    "counts": ("UPDATE {ks}.counts SET hits = hits + ? WHERE id = ?",
               lambda i: (i % 13 + 1, i % 50)),
    "reborn": ("INSERT INTO {ks}.reborn (id, v) VALUES (?, ?)",
               lambda i: (i, "v%d" % i)),
    "kv": ("INSERT INTO {ks}_b.kv (k, v) VALUES (?, ?)",
           lambda i: ("k%d" % i, hashlib.sha256(b"%d" % i).digest() * 8)),
}


def connect(host):
    prof = ExecutionProfile(load_balancing_policy=RoundRobinPolicy(),
                            consistency_level=ConsistencyLevel.ALL,
                            request_timeout=60)
    cluster = Cluster([host], execution_profiles={EXEC_PROFILE_DEFAULT: prof},
                      protocol_version=5)
    return cluster, cluster.connect()


def schema(s, ks, rf):
    rep = "{'class': 'SimpleStrategy', 'replication_factor': %d}"
    s.execute("DROP KEYSPACE IF EXISTS %s" % ks)
    s.execute("DROP KEYSPACE IF EXISTS %s_b" % ks)
    s.execute("CREATE KEYSPACE %s WITH replication = %s" % (ks, rep % rf))
    s.execute("CREATE KEYSPACE %s_b WITH replication = %s" % (ks, rep % 1))
    for stmts in TABLES.values():
        for q in stmts:
            s.execute(q.format(ks=ks))
    s.execute(KV.format(ks=ks))
    # The first reborn: rows, then dropped (auto_snapshot keeps them in a
    # dropped-* snapshot of the old id) and created anew.
    s.execute("INSERT INTO %s.reborn (id, v) VALUES (-1, 'old')" % ks)
    recreate(s, ks, "reborn")


def recreate(s, ks, table):
    s.execute("DROP TABLE %s.%s" % (ks, table))
    for q in TABLES[table]:
        s.execute(q.format(ks=ks))


def write(s, ks, first, count):
    for table, (q, row) in WRITES.items():
        ps = s.prepare(q.format(ks=ks))
        args = [row(i) for i in range(first, first + count)]
        for ok, res in execute_concurrent_with_args(s, ps, args,
                                                    concurrency=32):
            if not ok:
                raise res


def canon(v):
    if v is None:
        return "null"
    if isinstance(v, (bytes, bytearray)):
        return "0x" + bytes(v).hex()
    if isinstance(v, dict) or hasattr(v, "items"):
        return "{" + ",".join(sorted("%s:%s" % (canon(k), canon(x))
                                     for k, x in v.items())) + "}"
    if isinstance(v, (set, frozenset)) or type(v).__name__ == "SortedSet":
        return "{" + ",".join(sorted(canon(x) for x in v)) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(canon(x) for x in v) + "]"
    return repr(v)


def digest(s, ks):
    for table in list(TABLES) + ["kv"]:
        name = "%s_b.kv" % ks if table == "kv" else "%s.%s" % (ks, table)
        rows = sorted("\x1f".join(canon(v) for v in r)
                      for r in s.execute("SELECT * FROM %s" % name))
        h = hashlib.sha256()
        for r in rows:
            h.update(r.encode() + b"\n")
        print(name, len(rows), h.hexdigest())


def tabledir(s, ks, table):
    r = s.execute("SELECT id FROM system_schema.tables WHERE "
                  "keyspace_name = %s AND table_name = %s", (ks, table)).one()
    print("%s-%s" % (table, r.id.hex))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--ks", required=True)
    ap.add_argument("--rf", type=int, default=1)
    ap.add_argument("cmd", choices=["schema", "write", "recreate", "digest",
                                    "tabledir"])
    ap.add_argument("args", nargs="*")
    a = ap.parse_args()
    cluster, s = connect(a.host)
    try:
        if a.cmd == "schema":
            schema(s, a.ks, a.rf)
        elif a.cmd == "write":
            write(s, a.ks, int(a.args[0]), int(a.args[1]))
        elif a.cmd == "recreate":
            recreate(s, a.ks, a.args[0])
        elif a.cmd == "tabledir":
            tabledir(s, a.ks, a.args[0])
        else:
            digest(s, a.ks)
    finally:
        cluster.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
