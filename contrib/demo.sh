#!/bin/sh
# The main job: install, build, then show cryo at work on this machine:
#   1. cryo-cr check: what this kernel gives cryo;
#   2. checkpoint a running process with cryo-cr, and restore it with the same pid;
#   3. run a busybox container with cryo, the OCI runtime.
set -u
cd "$(dirname "$0")/.." || exit 1
./contrib/install-deps.sh --test || exit 1
[ -f build/build.ninja ] || meson setup build >/dev/null || exit 1
ninja -C build >/dev/null || exit 1

top=$(pwd)
work=$(mktemp -d /tmp/cryo-demo.XXXXXX)
cleanup() {
	[ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null
	"$top/build/shim/cryo" --root "$work/run" delete --force demo >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "demo: FAILED: $*" >&2; exit 1; }

echo "== 1. cryo-cr check: what this kernel gives cryo"
./build/cr/cryo-cr check

echo
echo "== 2. checkpoint and restore a running process"
setsid ./build/contrib/demo-counter "$work/count" </dev/null >/dev/null 2>&1 &
pid=$!
sleep 1
echo "running:  $(cat "$work/count")"
./build/cr/cryo-cr dump -t "$pid" -D "$work/img" -o dump.log -v4 || fail "dump (log: build/cr/cryo-image log decode $work/img/dump.log)"
kill -0 "$pid" 2>/dev/null && fail "the process still runs after dump"
echo "dumped:   $(du -sh "$work/img" | cut -f1) of images; the process is gone"
./build/cr/cryo-cr restore -D "$work/img" -d --pidfile "$work/pid" || fail "restore"
[ "$(cat "$work/pid")" = "$pid" ] || fail "restored as pid $(cat "$work/pid"), not $pid"
before=$(cat "$work/count")
sleep 1.5
after=$(cat "$work/count")
[ "$before" != "$after" ] || fail "the restored process does not count"
echo "restored: $after (same pid, counting on)"
kill -9 "$pid"; pid=

echo
echo "== 3. a container run by cryo, the OCI runtime"
mkdir -p "$work/bundle/rootfs/bin"
cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
for t in sh echo cat hostname; do ln -s busybox "$work/bundle/rootfs/bin/$t"; done
(cd "$work/bundle" && "$top/build/shim/cryo" spec) || fail "cryo spec"
python3 - "$work/bundle/config.json" <<'PY' || fail "editing config.json"
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["args"] = ["sh", "-c", "echo hello from $(hostname), pid $$"]
c["hostname"] = "cryo-demo"
json.dump(c, open(p, "w"), indent=1)
PY
./build/shim/cryo --root "$work/run" run --bundle "$work/bundle" demo || fail "cryo run"
echo
echo "demo: OK"
