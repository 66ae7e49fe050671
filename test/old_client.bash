# The S3 client as it was before issue 8 (commit a99429c), built once per
# test run, so a test can show the old behaviour failing against the
# strict proxy where the new one passes: load old_client.
#
# old_client_build: sets OLD_BIN (its bin/), or skips the test when the
# checkout has no such commit (a shallow clone).

OLD_CLIENT_COMMIT=a99429c

old_client_build() {
	local dir=${CB_TEST_STATE:-$BATS_FILE_TMPDIR}/old-client
	OLD_BIN=$dir/src/bin
	[ -x "$OLD_BIN/cb-s3put" ] && [ -x "$OLD_BIN/cb-s3get" ] && return 0
	command -v git >/dev/null ||
	    skip "no git to take commit $OLD_CLIENT_COMMIT out of (test/deps.sh installs it)"
	git -C "$REPO" cat-file -e "$OLD_CLIENT_COMMIT^{commit}" 2>/dev/null ||
	    skip "no commit $OLD_CLIENT_COMMIT here (shallow clone)"
	rm -rf "$dir"
	mkdir -p "$dir/src"
	git -C "$REPO" archive "$OLD_CLIENT_COMMIT" | tar -x -C "$dir/src" &&
	    make -s -C "$dir/src" -j2 bin/cb-s3put bin/cb-s3get \
	    >"$dir/build.log" 2>&1 || {
		echo "# cannot build the old client:" >&3
		tail -5 "$dir/build.log" >&3
		return 1
	}
}
