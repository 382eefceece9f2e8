#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 7's "done means", end to end: a tree started as a container would be,
# in new pid, mount, network, uts, ipc and cgroup namespaces (unshare --fork,
# pivot_root into an overlayfs root), with a tmpfs, a bind mount of a host
# directory, a veth pair to a peer namespace, a SysV shm segment shared with
# a child and an established TCP connection to tcp-peer.py in the peer
# namespace, is dumped (the old tree goes) and restored, and carries on:
# same in-namespace pids, same mounts and contents, the TCP
# connection still exchanging data (what the peer sent while the tree was
# gone is answered), and no network lock left.  zt-done.c checks the inside.
#
#   done.sh ZT-DONE TCP-PEER.PY
set -u
. "$(dirname "$0")/../../lib/require.sh"
require_feature nftables cap-net-admin cap-sys-admin tcp-repair
for tool in ip nft unshare pivot_root nsenter mount umount setsid python3; do
	command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: '$tool' missing (contrib/deps/test.txt)"; exit 77; }
done
ZT=${1:?usage: done.sh ZT-DONE TCP-PEER.PY}
PEER=${2:?usage: done.sh ZT-DONE TCP-PEER.PY}
CR=${CRYO_CR:?CRYO_CR must name cryo-cr}

tag=cryo-mn-$$
PEERNS=$tag-dpeer OUTER=cryo-mn-d$$ INNER=cryo-mn-v0
ADDR=10.231.9.1 PEERADDR=10.231.9.2
W=$(mktemp -d /tmp/cryo-mn-done.XXXXXX)
ROOT=$W/root SHARE=$W/share DATA=$W/data LOWER=$W/lower UPPER=$W/upper WORKD=$W/work
upid= root= child= peer= result=1 host_root_mounted=

log() { echo "[cr-mntnet-done] $*" >&2; }
die() { log "FAIL: $*"; exit 1; }
cleanup() {
	for p in $root $child $upid; do kill -KILL "$p" 2>/dev/null; done
	[ -n "$peer" ] && kill "$peer" 2>/dev/null
	if [ $result -ne 0 ]; then
		for f in "$W"/dump.log "$W"/restore.log "$W"/setup.err "$SHARE"/prog.err "$W"/peer.err "$W"/peer.fail; do
			[ -s "$f" ] && { echo "--- $f (tail)"; tail -n 40 "$f"; }
		done
		[ -s "$SHARE/result" ] && { echo "--- verdict"; cat "$SHARE/result"; }
	fi
	ip netns del "$PEERNS" 2>/dev/null
	[ -n "$host_root_mounted" ] && umount "$ROOT"
	rm -rf "$W"
}
. "$(dirname "$0")/../lib/cr-common.sh"
CR_TRACK_POST=cleanup
cr_track_begin	# the whole tree is killed on exit (cr-common.sh)

wait_for() {
	for ((i = 0; i < $2 * 20; i++)); do
		[ -e "$1" ] && return 0
		[ -s "$W/peer.fail" ] && die "peer: $(cat "$W/peer.fail")"
		sleep 0.05
	done
	die "no $1 in $2 s"
}
children_of() { local c; read -r c _ <"/proc/$1/task/$1/children" 2>/dev/null; echo "$c"; }
nspid() { awk '/^NSpid:/ {print $NF}' "/proc/$1/status" 2>/dev/null; }

# The root is an overlay (an image's layer below, the container's writes above),
# mounted in the container's namespace only; restore gets it from --root.
mkdir -p "$LOWER"/{usr,proc,sys,dev,tmp,share,data,oldroot} "$ROOT" "$UPPER" "$WORKD" "$SHARE" "$DATA" ||
	die "cannot make the root"
for l in bin lib lib64 sbin; do [ -e "/usr/$l" ] && ln -s "usr/$l" "$LOWER/$l"; done
echo "from the image" >"$LOWER/image.txt"
cp "$ZT" "$SHARE/zt-done" || die "cannot copy the test program"
echo "from the host" >"$DATA/host.txt"
ip netns add "$PEERNS" && ip -n "$PEERNS" link set lo up || die "cannot make the peer namespace"
ip netns exec "$PEERNS" python3 "$PEER" "$W" 0.0.0.0 2>"$W/peer.err" &
peer=$!
wait_for "$W/port" 10
PORT=$(cat "$W/port")

# Inside unshare --fork: pid 1 of the new pid namespace builds the container and becomes zt-done.
setup='set -e
mount -t overlay cryo-mn-root -o "lowerdir=$LOWER,upperdir=$UPPER,workdir=$WORKD,uuid=on" "$ROOT"
mount -t proc proc "$ROOT/proc"
mount -t sysfs sysfs "$ROOT/sys"
mount --bind /usr "$ROOT/usr"
mount -o remount,bind,ro "$ROOT/usr"
mount --bind "$SHARE" "$ROOT/share"
mount --bind "$DATA" "$ROOT/data"
mount -t tmpfs -o size=16m,mode=1777 cryo-mn-tmp "$ROOT/tmp"
mount -t tmpfs -o size=64k,mode=755 cryo-mn-dev "$ROOT/dev"
touch "$ROOT/dev/null"
mount --bind /dev/null "$ROOT/dev/null"
mkdir "$ROOT/dev/mqueue"
mount -t mqueue mqueue "$ROOT/dev/mqueue"
ip link set lo up
ip link add "$INNER" type veth peer name "$OUTER" netns "$PEERNS"
ip addr add "$ADDR/24" dev "$INNER"
ip link set "$INNER" up
ip -n "$PEERNS" addr add "$PEERADDR/24" dev "$OUTER"
ip -n "$PEERNS" link set "$OUTER" up
cd "$ROOT"
pivot_root . oldroot
exec /usr/bin/sh -c "umount -l /oldroot && exec setsid /share/zt-done $PEERADDR $PORT 3 </dev/null >/share/prog.out 2>/share/prog.err"'

export ROOT SHARE DATA LOWER UPPER WORKD PEERNS OUTER INNER ADDR PEERADDR PORT
ZT_PIDFILE=/share/pid ZT_OUT=/share/result setsid unshare -m -n -p -u -i -C --fork --propagation private \
	sh -c "$setup" </dev/null >"$W/setup.out" 2>"$W/setup.err" &
upid=$!
for ((i = 0; i < 200; i++)); do
	[ -s "$SHARE/pid" ] && break
	[ -s "$SHARE/result" ] && die "program failed before it was ready: $(cat "$SHARE/result")"
	kill -0 "$upid" 2>/dev/null || die "the container setup failed"
	sleep 0.05
done
[ "$(cat "$SHARE/pid" 2>/dev/null)" = 1 ] || die "the program is not pid 1 of its namespace ($(cat "$SHARE/pid" 2>/dev/null))"
root=$(children_of "$upid")
child=$(children_of "$root")
[ -n "$root" ] && [ -n "$child" ] || die "cannot find the tree (root '$root', child '$child')"
cns=$(nspid "$child")
[ "$(nspid "$root")" = 1 ] && [ -n "$cns" ] || die "in-namespace pids are $(nspid "$root") and $cns"
wait_for "$W/a.ok" 10
log "tree $root (pid 1) with child $child (pid $cns) talks to its peer"

"$CR" dump -t "$root" -D "$W/img" --tcp-established -v4 -o "$W/dump.log" --log-format text \
	--external "mnt[/share]:share" --external "mnt[/data]:data" --external "mnt[/usr]:usr" \
	--external "mnt[/dev/null]:devnull" || die "dump failed"
for ((i = 0; i < 100; i++)); do kill -0 "$root" 2>/dev/null || kill -0 "$child" 2>/dev/null || break; sleep 0.05; done
kill -0 "$root" 2>/dev/null && die "the old root $root still exists after the dump"
kill -0 "$child" 2>/dev/null && die "the old child $child still exists after the dump"
wait "$upid" 2>/dev/null
upid=
touch "$W/locked"
wait_for "$W/locked.ok" 10
log "old tree gone; the peer's data gets no answer and no reset"

# The images of the namespaces go through cryo-image decode/encode byte for byte.
"$(dirname "$0")/../../image/roundtrip-dir.sh" "$W/img" >"$W/roundtrip.log" 2>&1 || { cat "$W/roundtrip.log" >&2; die "image round trip failed"; }
ls "$W/img" | grep -q '^mounts-1.img$' && ls "$W/img" | grep -q '^netns-1.img$' || die "no mounts-1.img or netns-1.img in the image"
# The runtime brings the rootfs back: the same overlay, mounted here for --root.
mount -t overlay cryo-mn-root -o "lowerdir=$LOWER,upperdir=$UPPER,workdir=$WORKD,uuid=on" "$ROOT" || die "cannot mount the root overlay"
host_root_mounted=1
"$CR" restore -D "$W/img" --tcp-established -d --pidfile "$W/restored.pid" -v4 -o "$W/restore.log" --log-format text \
	--root "$ROOT" --external "mnt[data]:$DATA" --external "mnt[share]:$SHARE" --external "mnt[usr]:/usr" \
	--external "mnt[devnull]:/dev/null" --external "veth[$INNER]:$OUTER@$PEERNS" || die "restore failed"
root=$(cat "$W/restored.pid")
child=$(children_of "$root")
[ "$(nspid "$root")" = 1 ] || die "the restored root is pid $(nspid "$root") in its namespace"
[ -n "$child" ] && [ "$(nspid "$child")" = "$cns" ] || die "the restored child is pid $(nspid "$child") in its namespace, $cns before"
[ -z "$(nsenter -t "$root" -n nft list tables 2>&1 | grep cryo-lock)" ] || die "the network lock stayed after restore"
# The new outside end is like a new one: the runtime (here, this script) configures it.
ip -n "$PEERNS" addr add "$PEERADDR/24" dev "$OUTER" && ip -n "$PEERNS" link set "$OUTER" up ||
	die "cannot configure the new peer end"
touch "$W/restored"
wait_for "$W/restored.ok" 40
log "restored: pids 1 and $cns, the TCP connection carries on, no lock"

kill -TERM "$root" || die "cannot signal $root"
for ((i = 0; i < 200; i++)); do [ -s "$SHARE/result" ] && break; sleep 0.05; done
verdict=$(head -n1 "$SHARE/result" 2>/dev/null)
case "$verdict" in
PASS*) ;;
*) die "test says: ${verdict:-nothing}";;
esac
[ "$(cat "$DATA/from-tree" 2>/dev/null)" = "written after restore" ] || die "the tree's write to /data did not reach the host"
[ "$(cat "$UPPER/rootfile" 2>/dev/null)" = "written to the root" ] || die "the tree's write to / is not in the overlay's upper layer"
log PASS
result=0
exit 0
