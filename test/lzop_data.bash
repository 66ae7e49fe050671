# Test data shared by cb-pack.bats and cb-unpack.bats (load lzop_data).
#
# lzop_make_data DIR: random files of the boundary sizes, 3 MiB of random
# and of compressible text, all with the mtime of the reference vectors.
lzop_make_data() {
	local d=$1 n
	for n in 0 1 262143 262144 262145; do
		head -c "$n" /dev/urandom >"$d/rand$n"
	done
	head -c 3145728 /dev/urandom >"$d/rand3m"
	/usr/bin/python3 - "$d/text3m" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    i = 0
    while f.tell() < 3 * 1024 * 1024:
        f.write("row %d key-%d value %d ts 17%08d\n" % (i, i % 97, i * 7, i))
        i += 1
PY
	touch -d 2020-01-01T00:00:00Z "$d"/rand* "$d"/text3m
}
