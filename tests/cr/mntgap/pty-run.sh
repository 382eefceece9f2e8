#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A tree with its own devpts instance and ptys in it, across a full C/R:
# started in a new mount namespace on a prepared root whose /dev is a tmpfs
# with /dev/pts a devpts of its own (newinstance, ptmxmode=0666, mode=620)
# and /dev/ptmx a symlink to pts/ptmx, as container runtimes make it; then
# pivot_root and exec of zt-pty, which opens ptys 0, 1, 2 there, closes 1,
# sets modes and window sizes and gives pty 2 to a child's session as its
# controlling terminal, opens pty 1 of a second devpts instance at
# /dev/xpts (its 0 closed), and checks all that after restore.
#
#   pty-run.sh ZT-PTY
set -u
. "$(dirname "$0")/../../lib/require.sh"
require_feature cap-sys-admin
for tool in unshare pivot_root mount umount; do
	command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: '$tool' missing (contrib/deps/test.txt)"; exit 77; }
done
ZT=${1:?usage: pty-run.sh ZT-PTY}
CR=${CRYO_CR:?CRYO_CR must name cryo-cr}

W=$(mktemp -d /tmp/cryo-mg.XXXXXX)
ROOT=$W/root SHARE=$W/share
pid= result=1

log() { echo "[cr-mntgap-pty] $*" >&2; }
die() { log "FAIL: $*"; exit 1; }

cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	if [ $result -ne 0 ]; then
		for f in "$W"/dump.log "$W"/restore.log "$W"/setup.err "$SHARE"/prog.err; do
			[ -s "$f" ] && { echo "--- $f (tail)"; tail -n 40 "$f"; }
		done
		[ -s "$SHARE/result" ] && { echo "--- verdict"; cat "$SHARE/result"; }
	fi
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

mkdir -p "$ROOT"/{usr,proc,dev,share,oldroot} "$SHARE" || die "cannot make the root"
for l in bin lib lib64 sbin; do [ -e "/usr/$l" ] && ln -s "usr/$l" "$ROOT/$l"; done
cp "$ZT" "$SHARE/zt-pty" || die "cannot copy the test program"
# What runs inside unshare: the container's mounts, pivot, exec the program.
setup='set -e
mount --bind "$ROOT" "$ROOT"
mount -t proc proc "$ROOT/proc"
mount --bind /usr "$ROOT/usr"
mount -o remount,bind,ro "$ROOT/usr"
mount --bind "$SHARE" "$ROOT/share"
mount -t tmpfs -o size=64k,mode=755 cryo-mg-dev "$ROOT/dev"
touch "$ROOT/dev/null"
mount --bind /dev/null "$ROOT/dev/null"
mkdir "$ROOT/dev/pts"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$ROOT/dev/pts"
ln -s pts/ptmx "$ROOT/dev/ptmx"
mkdir "$ROOT/dev/xpts"
mount -t devpts -o newinstance,ptmxmode=0666,mode=600 devpts "$ROOT/dev/xpts"
cd "$ROOT"
pivot_root . oldroot
exec /usr/bin/sh -c "umount -l /oldroot && exec /share/zt-pty </dev/null >/share/prog.out 2>/share/prog.err"'

export ROOT SHARE
ZT_PIDFILE=/share/pid ZT_OUT=/share/result setsid unshare -m --propagation private sh -c "$setup" \
	</dev/null >"$W/setup.out" 2>"$W/setup.err" &
pid=$!
for ((i = 0; i < 200; i++)); do
	[ -s "$SHARE/pid" ] && break
	[ -s "$SHARE/result" ] && die "program failed before it was ready: $(cat "$SHARE/result")"
	kill -0 "$pid" 2>/dev/null || die "the container setup failed"
	sleep 0.05
done
[ -s "$SHARE/pid" ] || die "program did not become ready in 10s"
[ "$(cat "$SHARE/pid")" = "$pid" ] || die "pidfile says $(cat "$SHARE/pid"), started $pid"
log "tree $pid runs in its own mount namespace with its own devpts"

"$CR" dump -t "$pid" -D "$W/img" -v4 -o "$W/dump.log" --log-format text \
	--external "mnt[/share]:share" --external "mnt[/usr]:usr" --external "mnt[/dev/null]:devnull" || die "dump failed"
for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$pid" 2>/dev/null && die "pid $pid still exists after the dump"
"$(dirname "$0")/../../image/roundtrip-dir.sh" "$W/img" >"$W/roundtrip.log" 2>&1 || { cat "$W/roundtrip.log" >&2; die "image round trip failed"; }

"$CR" restore -D "$W/img" -d --pidfile "$W/restored.pid" -v4 -o "$W/restore.log" --log-format text \
	--root "$ROOT" --external "mnt[share]:$SHARE" --external "mnt[usr]:/usr" --external "mnt[devnull]:/dev/null" || die "restore failed"
[ "$(cat "$W/restored.pid" 2>/dev/null)" = "$pid" ] || die "restored pid is not $pid"

kill -TERM "$pid" || die "cannot signal $pid"
for ((i = 0; i < 200; i++)); do [ -s "$SHARE/result" ] && break; sleep 0.05; done
verdict=$(head -n1 "$SHARE/result" 2>/dev/null)
case "$verdict" in
PASS*) ;;
*) die "test says: ${verdict:-nothing}";;
esac
log PASS
result=0
exit 0
