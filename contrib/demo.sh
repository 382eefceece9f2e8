#!/bin/sh
# The main job: install, build, then show cryo at work on this machine:
#   1. cryo-cr check: what this kernel gives cryo;
#   2. checkpoint and restore of a running container: a busybox container run by cryo
#      counts in memory; `cryo checkpoint` writes an image and stops it; `cryo restore`
#      brings it back where it was: same pids inside, counting on from the next number;
#   3. the C/R core on its own: a plain process dumped and restored by cryo-cr.
set -u
cd "$(dirname "$0")/.." || exit 1
./contrib/install-deps.sh --test || exit 1
[ -f build/build.ninja ] || meson setup build >/dev/null || exit 1
ninja -C build >/dev/null || exit 1

top=$(pwd)
cryo="$top/build/shim/cryo"
work=$(mktemp -d /tmp/cryo-demo.XXXXXX)
cleanup() {
	[ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null
	"$cryo" --root "$work/run" delete --force demo >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "demo: FAILED: $*" >&2; exit 1; }
c() { "$cryo" --root "$work/run" "$@"; }
state() { c state demo | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["status"], s["pid"])'; }
count() { tail -n1 "$work/bundle/rootfs/tmp/count"; }
show_log() { [ -f "$1" ] && tail -n 15 "$1" >&2; }

echo "== 1. cryo-cr check: what this kernel gives cryo"
./build/cr/cryo-cr check

echo
echo "== 2. checkpoint and restore of a running container"
mkdir -p "$work/bundle/rootfs/bin" "$work/bundle/rootfs/tmp"
cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
for t in sh sleep; do ln -s busybox "$work/bundle/rootfs/bin/$t"; done
(cd "$work/bundle" && "$cryo" spec) || fail "cryo spec"
# pid 1 of the container waits; its child (pid 2 there) counts in a shell variable and appends
# "PID N" to /tmp/count: after the restore it goes on from memory, not from the file.
python3 - "$work/bundle/config.json" <<'PY' || fail "editing config.json"
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["args"] = ["sh", "-c", 'sh -c "i=0; while :; do i=\\$((i+1)); echo \\$\\$ \\$i >> /tmp/count; sleep 0.2; done" & wait']
c["root"]["readonly"] = False
c["hostname"] = "cryo-demo"
json.dump(c, open(p, "w"), indent=1)
PY
c run -d --bundle "$work/bundle" demo </dev/null >/dev/null 2>&1 || fail "cryo run"
sleep 1
[ -n "$(count 2>/dev/null)" ] || fail "the container does not count"
echo "running:     $(state) (status, init pid on the host); counter in the container: $(count)"
c checkpoint --image-path "$work/img" demo ||
	{ show_log "$work/img/dump.log"; fail "cryo checkpoint (log: $work/img/dump.log)"; }
last=$(count)
echo "checkpoint:  $(du -sh "$work/img" | cut -f1) of images in $work/img; the container is $(state | cut -d' ' -f1), counter stopped at: $last"
sleep 1
[ "$(count)" = "$last" ] || fail "the counter moved after checkpoint"
c restore -d --image-path "$work/img" --bundle "$work/bundle" demo </dev/null >/dev/null 2>&1 ||
	{ show_log "$work/img/restore.log"; fail "cryo restore (log: $work/img/restore.log)"; }
echo "restored:    $(state)"
sleep 1
next=$(grep -A1 -x "$last" "$work/bundle/rootfs/tmp/count" | sed -n 2p)
[ "${next% *}" = "${last% *}" ] || fail "after restore the counter is pid '${next% *}' in the container, was '${last% *}'"
[ "${next#* }" = $((${last#* } + 1)) ] || fail "after '$last' came '$next'"
echo "counting on: $last -> $next -> ... $(count) (same pid in the container, memory restored)"
c delete --force demo

echo
echo "== 3. the C/R core on its own: a plain process with cryo-cr"
setsid ./build/contrib/demo-counter "$work/count" </dev/null >/dev/null 2>&1 &
pid=$!
sleep 1
./build/cr/cryo-cr dump -t "$pid" -D "$work/pimg" -o dump.log -v4 || fail "dump (log: build/cr/cryo-image log decode $work/pimg/dump.log)"
kill -0 "$pid" 2>/dev/null && fail "the process still runs after dump"
./build/cr/cryo-cr restore -D "$work/pimg" -d --pidfile "$work/pid" || fail "restore"
[ "$(cat "$work/pid")" = "$pid" ] || fail "restored as pid $(cat "$work/pid"), not $pid"
before=$(cat "$work/count")
sleep 1.5
[ "$before" != "$(cat "$work/count")" ] || fail "the restored process does not count"
echo "dumped and restored pid $pid; it counts on: $(cat "$work/count")"
kill -9 "$pid"; pid=
echo
echo "demo: OK"
