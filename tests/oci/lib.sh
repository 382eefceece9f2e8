# Shared helpers of the oci suite (sourced by each test).
# Each test gets its own state root and bundle dir under a temp dir, and an
# EXIT trap that force-deletes every container it made, even on failure.
set -u
CRYO=${CRYO:?CRYO must point at the cryo binary}
T=$(mktemp -d /tmp/cryo-oci-XXXXXX)
ROOT=$T/state
TEST=$(basename "$0" .sh)
# Ids made by new_id, one a line (a file: new_id runs in command substitutions).
touch "$T.ids"

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
pass() { echo "PASS: $TEST"; exit 0; }

cleanup() {
	while read -r id; do "$CRYO" --root "$ROOT" delete --force "$id" >/dev/null 2>&1 </dev/null; done < "$T.ids"
	rm -rf "$T" "$T.ids"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || skip "needs root"
BUSYBOX=${BUSYBOX:-/bin/busybox}
[ -x "$BUSYBOX" ] || skip "busybox-static is not installed ($BUSYBOX)"
file_is_static() { ! ldd "$1" >/dev/null 2>&1; }
file_is_static "$BUSYBOX" || skip "$BUSYBOX is not static (install busybox-static)"
command -v python3 >/dev/null || skip "python3 is missing"

# cryo with this test's root.
c() { "$CRYO" --root "$ROOT" "$@"; }

# A unique container id, registered for cleanup.
new_id() {
	local id="$TEST-$1-$$"
	echo "$id" >> "$T.ids"
	echo "$id"
}

# make_bundle DIR ARGS...: a busybox rootfs and a config.json (from cryo spec) running ARGS.
make_bundle() {
	local b=$1; shift
	mkdir -p "$b/rootfs/bin" "$b/rootfs/tmp" "$b/rootfs/etc"
	cp "$BUSYBOX" "$b/rootfs/bin/busybox"
	for l in sh sleep cat ls mkdir echo ps id hostname mount touch rm grep wc true false kill stat readlink env pwd tty stty head; do
		ln -sf busybox "$b/rootfs/bin/$l"
	done
	(cd "$b" && "$CRYO" spec) || fail "cryo spec failed"
	python3 - "$b/config.json" "$@" <<'PY'
import json, sys
path, args = sys.argv[1], sys.argv[2:]
c = json.load(open(path))
c["process"]["args"] = args
c["process"]["terminal"] = False
c["root"]["readonly"] = False
json.dump(c, open(path, "w"), indent=1)
PY
}

# edit_config DIR PYTHON: run PYTHON with `c` bound to the config dict, then save.
edit_config() {
	python3 - "$1/config.json" "$2" <<'PY'
import json, sys
path, code = sys.argv[1], sys.argv[2]
c = json.load(open(path))
exec(code)
json.dump(c, open(path, "w"), indent=1)
PY
}

# status ID: the status field of cryo state.
status() { c state "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])'; }

# wait_status ID STATUS: poll (bounded) until the container reaches STATUS.
wait_status() {
	for _ in $(seq 100); do
		[ "$(status "$1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.05
	done
	fail "$1 did not reach status $2 (is $(status "$1" 2>&1))"
}

# Output goes through a file, never a pipe: a container's init inherits
# cryo's stdout, and a pipe would stay open for as long as it lives.
expect_fail() {
	if "$@" >"$T/expect.out" 2>&1; then fail "expected failure: $* (output: $(cat "$T/expect.out"))"; fi
	cat "$T/expect.out"
}
