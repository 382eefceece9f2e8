#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Full C/R of a tree in its own mount and network namespaces, started as a
# container would be: unshare -m -n, a prepared root (binds of host
# directories, tmpfs, proc, sysfs, devpts, a read-only tmpfs, shared/slave binds, an
# over-mount), a veth whose peer is in another namespace, an address, a
# route, a sysctl and an nftables table; then pivot_root and exec of the test
# program (zt-mntnet.c), which checks its side after restore.
#
#   mntnet-run.sh ZT-MNTNET
#
# Checked here: an external mount nobody named is refused naming it; failed
# dumps (CRYO_FAULT) leave the tree running and no lock table; after the
# killing dump the network lock holds the old namespace (kept alive by a bind
# mount for the check): ping gets no answer and a connect to the dead listener
# gets no RST; restore with --root, --external mnt[KEY]:PATH and
# --external veth[IFNAME]:OUTER@BRIDGE (cryo-cr run in the peer namespace,
# which has the bridge) gives the same pid, the same network
# shape (addresses, routes, links, sysctl, nft table), no lock table, and
# traffic flows (ping, TCP connect to the restored listener).
set -u
. "$(dirname "$0")/../../lib/require.sh"
require_feature nftables cap-net-admin cap-sys-admin
for tool in ip nft unshare pivot_root nsenter ping mount umount python3; do
	command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: '$tool' missing (contrib/deps/test.txt)"; exit 77; }
done
ZT=${1:?usage: mntnet-run.sh ZT-MNTNET}
CR=${CRYO_CR:?CRYO_CR must name cryo-cr}

tag=cryo-mn-$$
PEERNS=$tag-peer HELD=$tag-held OUTER=cryo-mn-p$$ INNER=cryo-mn-v0 BRIDGE=cryo-mn-br
ADDR=10.231.7.1 PEERADDR=10.231.7.2
W=$(mktemp -d /tmp/cryo-mn.XXXXXX)
ROOT=$W/root SHARE=$W/share DATA=$W/data
pid= result=1

log() { echo "[cr-mntnet] $*" >&2; }
die() { log "FAIL: $*"; exit 1; }

cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	if [ $result -ne 0 ]; then
		for f in "$W"/dump-refuse.log "$W"/dump-fault.log "$W"/dump.log "$W"/restore.log "$W"/setup.err "$SHARE"/prog.err; do
			[ -s "$f" ] && { echo "--- $f (tail)"; tail -n 40 "$f"; }
		done
		[ -s "$SHARE/result" ] && { echo "--- verdict"; cat "$SHARE/result"; }
	fi
	if [ -e "/run/netns/$HELD" ]; then umount "/run/netns/$HELD" 2>/dev/null; rm -f "/run/netns/$HELD"; fi
	ip netns del "$PEERNS" 2>/dev/null
	[ -n "$pid" ] && nft delete table inet "cryo-lock-$pid" 2>/dev/null
	rm -rf "$W"
}
. "$(dirname "$0")/../lib/cr-common.sh"
CR_TRACK_POST=cleanup
cr_track_begin	# the whole tree is killed on exit (cr-common.sh)

mkdir -p "$ROOT"/{usr,proc,sys,dev,tmp,share,data,ro,shr,peer,slv,over,oldroot} "$SHARE" "$DATA" ||
	die "cannot make the root"
for l in bin lib lib64 sbin; do [ -e "/usr/$l" ] && ln -s "usr/$l" "$ROOT/$l"; done
cp "$ZT" "$SHARE/zt-mntnet" || die "cannot copy the test program"
echo "from the host" >"$DATA/host.txt"
# The peer namespace stands for the host: a bridge with the peer address, which the
# outside end of the veth joins (at restore: --external veth[...]:OUTER@BRIDGE,
# with cryo-cr run in this namespace).
ip netns add "$PEERNS" && ip -n "$PEERNS" link set lo up || die "cannot make the peer namespace"
ip -n "$PEERNS" link add "$BRIDGE" type bridge && ip -n "$PEERNS" addr add "$PEERADDR/24" dev "$BRIDGE" &&
	ip -n "$PEERNS" link set "$BRIDGE" up || die "cannot make the bridge"

# What runs inside unshare: build the container's namespaces, pivot, exec the program.
setup='set -e
mount --bind "$ROOT" "$ROOT"
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
mkdir "$ROOT/dev/pts"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$ROOT/dev/pts"
mount -t tmpfs -o size=1m,nosuid,nodev,noexec cryo-mn-ro "$ROOT/ro"
echo ro >"$ROOT/ro/inside"
mount -o remount,bind,ro,nosuid,nodev,noexec "$ROOT/ro"
mount -t tmpfs cryo-mn-shr "$ROOT/shr"
mount --make-shared "$ROOT/shr"
mount --bind "$ROOT/shr" "$ROOT/peer"
mount --bind "$ROOT/shr" "$ROOT/slv"
mount --make-slave "$ROOT/slv"
mount -t tmpfs -o size=1m cryo-mn-under "$ROOT/over"
echo under >"$ROOT/over/under"
mount -t tmpfs -o size=1m cryo-mn-top "$ROOT/over"
echo top >"$ROOT/over/top"
ip link set lo up
ip link add "$INNER" type veth peer name "$OUTER" netns "$PEERNS"
ip link set "$INNER" address 02:00:00:00:31:01 mtu 1400
ip addr add "$ADDR/24" dev "$INNER"
ip link set "$INNER" up
ip route add 10.232.0.0/16 via "$PEERADDR" dev "$INNER" onlink
ip -n "$PEERNS" link set "$OUTER" master "$BRIDGE" up
echo 1 >/proc/sys/net/ipv4/ip_forward
nft -f - <<EOF
table inet cryo-mn-t {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport 9 drop
	}
}
EOF
cd "$ROOT"
pivot_root . oldroot
exec /usr/bin/sh -c "umount -l /oldroot && exec /share/zt-mntnet $ADDR </dev/null >/share/prog.out 2>/share/prog.err"'

export ROOT SHARE DATA PEERNS OUTER INNER ADDR PEERADDR BRIDGE
ZT_PIDFILE=/share/pid ZT_OUT=/share/result setsid unshare -m -n --propagation private sh -c "$setup" \
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
log "tree $pid runs in its own mount and network namespaces"

peer() { ip netns exec "$PEERNS" "$@"; }
# connect ADDR PORT: prints ok, refused or timeout
tcp_connect() {
	peer python3 -c '
import socket, sys
s = socket.socket()
s.settimeout(2)
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
    print("ok")
except ConnectionRefusedError:
    print("refused")
except (socket.timeout, TimeoutError):
    print("timeout")
except OSError as e:
    print("error", e)' "$1" "$2"
}
net_shape() {
	nsenter -t "$1" -n sh -c '
		ip -br link show | awk "{sub(/@.*/, \"\", \$1); print \$1, \$3}"
		ip -o link show | awk "{sub(/@.*/, \"\", \$2); print \$2, \$4, \$5}"
		ip -o addr show | awk "{print \$2, \$3, \$4}" | grep -v " fe80:"
		ip route show
		cat /proc/sys/net/ipv4/ip_forward
		nft list table inet cryo-mn-t'
}
lock_tables() { nsenter -t "$1" -n nft list tables 2>&1 | grep cryo-lock; }

for ((i = 0; i < 50; i++)); do peer ping -c1 -W1 "$ADDR" >/dev/null 2>&1 && break; sleep 0.1; done
peer ping -c1 -W1 "$ADDR" >/dev/null 2>&1 || die "no ping through the veth before the dump"
# (No connect before the dump: a connection waiting in accept() is refused by the dump.)
before=$(net_shape "$pid")
ext=(--external "mnt[/share]:share" --external "mnt[/usr]:usr" --external "mnt[/dev/null]:devnull")

# An external mount nobody named is refused, naming it; the tree runs on, no lock is left.
"$CR" dump -t "$pid" -D "$W/img-refused" -R -v4 -o "$W/dump-refuse.log" --log-format text "${ext[@]}" &&
	die "a dump with /data unnamed succeeded"
grep -q "mount /data .*--external mnt" "$W/dump-refuse.log" || die "the refusal does not name /data"
kill -0 "$pid" || die "the refused dump killed the tree"
[ -z "$(lock_tables "$pid")" ] || die "a refused dump left a lock table: $(lock_tables "$pid")"
ext+=(--external "mnt[/data]:data")

# Failed dumps at fault points: the tree runs on, the lock is gone.
for point in after-seize mid-memory before-release; do
	rm -rf "$W/img-fault"
	CRYO_FAULT=$point "$CR" dump -t "$pid" -D "$W/img-fault" -R -v4 -o "$W/dump-fault.log" --log-format text "${ext[@]}" &&
		die "dump succeeded despite CRYO_FAULT=$point"
	grep -q "fault injected at $point" "$W/dump-fault.log" || die "fault point $point not reached"
	grep -q "network lock" "$W/dump-fault.log" || die "no network lock was taken before $point"
	[ -z "$(lock_tables "$pid")" ] || die "the lock stayed after the dump failed at $point"
	[ "$(awk '/^TracerPid:/ {print $2}' "/proc/$pid/status")" = 0 ] || die "the tree is traced after $point"
done
peer ping -c1 -W2 "$ADDR" >/dev/null 2>&1 || die "no ping after the failed dumps"

# Keep the tree's network namespace alive past the dump, to see the lock in it.
touch "/run/netns/$HELD" && mount --bind "/proc/$pid/ns/net" "/run/netns/$HELD" || die "cannot hold the namespace"
"$CR" dump -t "$pid" -D "$W/img" -v4 -o "$W/dump.log" --log-format text "${ext[@]}" || die "dump failed"
for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$pid" 2>/dev/null && die "pid $pid still exists after the dump"
ip netns exec "$HELD" nft list table inet "cryo-lock-$pid" >/dev/null 2>&1 || die "no lock table in the dumped namespace after the dump"
peer ping -c2 -W1 "$ADDR" >/dev/null 2>&1 && die "ping answered while the network is locked"
got=$(tcp_connect "$ADDR" 7777)
[ "$got" = timeout ] || die "connect to the dead listener while locked: $got (a RST reached the peer)"
log "locked: no ping answer, connect times out (no RST)"
umount "/run/netns/$HELD" && rm -f "/run/netns/$HELD" || die "cannot release the held namespace"
for ((i = 0; i < 100; i++)); do ip -n "$PEERNS" link show "$OUTER" >/dev/null 2>&1 || break; sleep 0.05; done
ip -n "$PEERNS" link show "$OUTER" >/dev/null 2>&1 && die "the old veth peer is still there"

# The images of the namespaces go through cryo-image decode/encode byte for byte.
"$(dirname "$0")/../../image/roundtrip-dir.sh" "$W/img" >"$W/roundtrip.log" 2>&1 || { cat "$W/roundtrip.log" >&2; die "image round trip failed"; }
ls "$W/img" | grep -q '^mounts-1.img$' && ls "$W/img" | grep -q '^netns-1.img$' || die "no mounts-1.img or netns-1.img in the image"
nsenter --net="/run/netns/$PEERNS" "$CR" restore -D "$W/img" -d --pidfile "$W/restored.pid" -v4 -o "$W/restore.log" --log-format text \
	--root "$ROOT" --external "mnt[data]:$DATA" --external "mnt[share]:$SHARE" --external "mnt[usr]:/usr" --external "mnt[devnull]:/dev/null" \
	--external "veth[$INNER]:$OUTER@$BRIDGE" || die "restore failed"
[ "$(cat "$W/restored.pid" 2>/dev/null)" = "$pid" ] || die "restored pid is not $pid"
[ -z "$(lock_tables "$pid")" ] || die "the lock stayed after restore: $(lock_tables "$pid")"
[ "$(ip -n "$PEERNS" -o link show "$OUTER" | grep -o "master $BRIDGE")" = "master $BRIDGE" ] ||
	die "the new outside end did not join $BRIDGE"
for ((i = 0; i < 50; i++)); do peer ping -c1 -W1 "$ADDR" >/dev/null 2>&1 && break; sleep 0.1; done
peer ping -c1 -W1 "$ADDR" >/dev/null 2>&1 || die "no ping after restore"
after=$(net_shape "$pid")
[ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after") >&2; die "the network namespace differs after restore"; }
got=$(tcp_connect "$ADDR" 7777)
[ "$got" = ok ] || die "connect to the restored listener: $got"
log "restored: same network shape, no lock, ping and connect work"

kill -TERM "$pid" || die "cannot signal $pid"
for ((i = 0; i < 200; i++)); do [ -s "$SHARE/result" ] && break; sleep 0.05; done
verdict=$(head -n1 "$SHARE/result" 2>/dev/null)
case "$verdict" in
PASS*) ;;
*) die "test says: ${verdict:-nothing}";;
esac
[ "$(cat "$DATA/from-tree" 2>/dev/null)" = "written after restore" ] || die "the tree's write to /data did not reach the host directory"
log PASS
result=0
exit 0
