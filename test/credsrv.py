"""What the test credential services (imds-server.py, sts-server.py) share:
their common options, the keys they hand out, and serving on a free
loopback port written to --port-file."""
import http.server
import os


def add_common(ap):
    """The options of every service: where to write the port and the log,
    the keys (ACCESS:SECRET,... or @FILE, to keep secrets off argv) and
    the lifetime of the credentials given."""
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--keys", required=True)
    ap.add_argument("--lifetime", type=int, default=3600)


def serve(handler, args):
    """args.keys as (access, secret) pairs, then serve handler forever on
    127.0.0.1 and a free port (srv.args holds args)."""
    if args.keys.startswith("@"):       # from a file: secrets off argv
        with open(args.keys[1:]) as f:
            args.keys = f.read().strip()
    args.keys = [tuple(k.split(":", 1)) for k in args.keys.split(",")]
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.args = args
    open(args.log, "a").close()
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()
