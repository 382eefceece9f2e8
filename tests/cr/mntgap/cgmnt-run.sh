#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cgroup mounts inside a tree's mount namespace, across a full C/R: the tree
# is started as a container would be, in a memory and a pids cgroup made
# here (limits 64 MiB and 100), in new mount and cgroup namespaces, on a
# prepared root with /cg/memory (rw), /cg/pids (read-only, only the pids
# cgroup "psub", limit 50: the one mount of that hierarchy does not show its
# root), /cg/unified (cgroup2) and /cg/memsub (a bind of the memory cgroup
# "sub", limit 32 MiB); then pivot_root and exec of zt-cgmnt, which checks
# its side.
#
#   cgmnt-run.sh ZT-CGMNT [cgns|host]
#
# host: the tree keeps the host's cgroup namespace (unshare -m only): its
# cgroup mounts show the host paths of the test cgroups.
#
# Checked here: the dump names no cgroup mount as external (none is
# given), the image holds them as cgroup mounts with the roots seen from
# the namespace, the restore gives the same pid and the program's verdict.
set -u
. "$(dirname "$0")/../../lib/require.sh"
require_feature cap-sys-admin
for tool in unshare pivot_root mount umount; do
	command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: '$tool' missing (contrib/deps/test.txt)"; exit 77; }
done
ZT=${1:?usage: cgmnt-run.sh ZT-CGMNT [cgns|host]}
MODE=${2:-cgns}
case $MODE in cgns) UNSHARE_CG=-C CGP=;; host) UNSHARE_CG= CGP=host;; *) echo "unknown mode $MODE" >&2; exit 1;; esac
CR=${CRYO_CR:?CRYO_CR must name cryo-cr}
CGV1=/sys/fs/cgroup
for c in memory pids; do
	[ -e "$CGV1/$c/cgroup.procs" ] || { echo "SKIP: no cgroup v1 $c hierarchy at $CGV1/$c"; exit 77; }
done
[ "$(stat -f -c %T "$CGV1/unified" 2>/dev/null)" = cgroup2fs ] || { echo "SKIP: no cgroup2 at $CGV1/unified"; exit 77; }
[ -e /proc/self/ns/cgroup ] || { echo "SKIP: no cgroup namespaces"; exit 77; }

tag=cryo-mg-$$
[ "$MODE" = host ] && CGP=/$tag
W=$(mktemp -d /tmp/cryo-mg.XXXXXX)
ROOT=$W/root SHARE=$W/share
MEM=$CGV1/memory/$tag PIDS=$CGV1/pids/$tag
pid= result=1

log() { echo "[cr-mntgap-cgroup-$MODE] $*" >&2; }
die() { log "FAIL: $*"; exit 1; }

cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	if [ $result -ne 0 ]; then
		for f in "$W"/dump.log "$W"/restore.log "$W"/setup.err "$SHARE"/prog.err; do
			[ -s "$f" ] && { echo "--- $f (tail)"; tail -n 40 "$f"; }
		done
		[ -s "$SHARE/result" ] && { echo "--- verdict"; cat "$SHARE/result"; }
	fi
	# The cgroups go once their tasks are gone.
	for ((i = 0; i < 100; i++)); do
		[ -n "$(cat "$MEM/cgroup.procs" "$PIDS/cgroup.procs" 2>/dev/null)" ] || break
		sleep 0.05
	done
	rmdir "$MEM/sub" "$MEM" "$PIDS/psub" "$PIDS" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

mkdir -p "$ROOT"/{usr,proc,dev,cg,share,oldroot} "$SHARE" || die "cannot make the root"
for l in bin lib lib64 sbin; do [ -e "/usr/$l" ] && ln -s "usr/$l" "$ROOT/$l"; done
cp "$ZT" "$SHARE/zt-cgmnt" || die "cannot copy the test program"
mkdir "$MEM" "$MEM/sub" "$PIDS" "$PIDS/psub" || die "cannot make the test cgroups"
echo $((64 << 20)) >"$MEM/memory.limit_in_bytes" && echo $((32 << 20)) >"$MEM/sub/memory.limit_in_bytes" &&
	echo 100 >"$PIDS/pids.max" && echo 50 >"$PIDS/psub/pids.max" || die "cannot set the cgroup limits"

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
mount -t tmpfs -o size=64k,mode=755 cryo-mg-cg "$ROOT/cg"
mkdir "$ROOT/cg/memory" "$ROOT/cg/pids" "$ROOT/cg/unified" "$ROOT/cg/memsub"
# The test cgroups as the mounter sees them: the roots of its cgroup
# namespace, or (host) their host paths below the hierarchies.
mkdir "$ROOT/cg/allmem"
mount -t cgroup -o memory cgroup "$ROOT/cg/allmem"
mount --bind "$ROOT/cg/allmem$CGP" "$ROOT/cg/memory"
umount "$ROOT/cg/allmem"
rmdir "$ROOT/cg/allmem"
mkdir "$ROOT/cg/allpids"
mount -t cgroup -o pids cgroup "$ROOT/cg/allpids"
mount --bind "$ROOT/cg/allpids$CGP/psub" "$ROOT/cg/pids"
mount -o remount,bind,ro "$ROOT/cg/pids"
umount "$ROOT/cg/allpids"
rmdir "$ROOT/cg/allpids"
mount -t cgroup2 cgroup2 "$ROOT/cg/unified"
mount --bind "$ROOT/cg/memory/sub" "$ROOT/cg/memsub"
cd "$ROOT"
pivot_root . oldroot
exec /usr/bin/sh -c "umount -l /oldroot && exec /share/zt-cgmnt $MODE </dev/null >/share/prog.out 2>/share/prog.err"'

export ROOT SHARE MODE CGP
# Join the cgroups first: the new cgroup namespace is rooted where we are.
ZT_PIDFILE=/share/pid ZT_OUT=/share/result setsid sh -c \
	'echo $$ >"$1/cgroup.procs" && echo $$ >"$2/cgroup.procs" && exec unshare -m $4 --propagation private sh -c "$3"' \
	sh "$MEM" "$PIDS" "$setup" "$UNSHARE_CG" </dev/null >"$W/setup.out" 2>"$W/setup.err" &
pid=$!
for ((i = 0; i < 200; i++)); do
	[ -s "$SHARE/pid" ] && break
	[ -s "$SHARE/result" ] && die "program failed before it was ready: $(cat "$SHARE/result")"
	kill -0 "$pid" 2>/dev/null || die "the container setup failed"
	sleep 0.05
done
[ -s "$SHARE/pid" ] || die "program did not become ready in 10s"
[ "$(cat "$SHARE/pid")" = "$pid" ] || die "pidfile says $(cat "$SHARE/pid"), started $pid"
log "tree $pid runs in its own mount namespace (cgroup namespace: $MODE)"

"$CR" dump -t "$pid" -D "$W/img" -v4 -o "$W/dump.log" --log-format text \
	--external "mnt[/share]:share" --external "mnt[/usr]:usr" --external "mnt[/dev/null]:devnull" || die "dump failed"
for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$pid" 2>/dev/null && die "pid $pid still exists after the dump"
# The cgroup mounts are in the image as cgroup mounts, roots as the namespace sees them.
"$(dirname "$0")/../../image/roundtrip-dir.sh" "$W/img" >"$W/roundtrip.log" 2>&1 || { cat "$W/roundtrip.log" >&2; die "image round trip failed"; }

"$CR" restore -D "$W/img" -d --pidfile "$W/restored.pid" -v4 -o "$W/restore.log" --log-format text \
	--root "$ROOT" --external "mnt[share]:$SHARE" --external "mnt[usr]:/usr" --external "mnt[devnull]:/dev/null" || die "restore failed"
[ "$(cat "$W/restored.pid" 2>/dev/null)" = "$pid" ] || die "restored pid is not $pid"
grep -qx "$pid" "$MEM/cgroup.procs" || die "the restored tree is not in $MEM"

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
