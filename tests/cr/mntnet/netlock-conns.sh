#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The connection lock of a tree in the host network namespace: zt-tcp holds
# an established TCP connection to tcp-peer.py (outside the tree, over lo).
#  - failed dumps (CRYO_FAULT) and a --leave-running dump leave no lock;
#  - the killing dump keeps table cryo-lock-PID with rules for the connection:
#    the peer's data gets no answer and no reset;
#  - restore (TCP repair) takes the lock over and removes it once the tree
#    runs: the held data is answered, the connection carries on.
#
#   netlock-conns.sh ZT-TCP TCP-PEER.PY
set -u
. "$(dirname "$0")/../../lib/require.sh"
require_feature nftables cap-net-admin tcp-repair
for tool in nft python3; do
	command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: '$tool' missing (contrib/deps/test.txt)"; exit 77; }
done
ZT=${1:?usage: netlock-conns.sh ZT-TCP TCP-PEER.PY}
PEER=${2:?usage: netlock-conns.sh ZT-TCP TCP-PEER.PY}
CR=${CRYO_CR:?CRYO_CR must name cryo-cr}
W=$(mktemp -d /tmp/cryo-mn-conns.XXXXXX)
pid= peer= result=1

log() { echo "[cr-netlock-conns] $*" >&2; }
die() { log "FAIL: $*"; exit 1; }
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	[ -n "$peer" ] && kill "$peer" 2>/dev/null
	if [ $result -ne 0 ]; then
		for f in "$W"/*.log "$W"/prog.err "$W"/peer.err "$W"/peer.fail "$W"/result; do
			[ -s "$f" ] && { echo "--- $f (tail)"; tail -n 30 "$f"; }
		done
	fi
	[ -n "$pid" ] && nft delete table inet "cryo-lock-$pid" 2>/dev/null
	rm -rf "$W"
}
. "$(dirname "$0")/../lib/cr-common.sh"
CR_TRACK_POST=cleanup
cr_track_begin	# the whole tree is killed on exit (cr-common.sh)

# wait_for FILE SECONDS: the peer's progress (or its failure)
wait_for() {
	for ((i = 0; i < $2 * 20; i++)); do
		[ -e "$W/$1" ] && return 0
		[ -s "$W/peer.fail" ] && die "peer: $(cat "$W/peer.fail")"
		sleep 0.05
	done
	die "no $1 from the peer in $2 s"
}
has_lock() { nft list table inet "cryo-lock-$pid" >/dev/null 2>&1; }

python3 "$PEER" "$W" 2>"$W/peer.err" &
peer=$!
wait_for port 10
port=$(cat "$W/port")
ZT_PIDFILE=$W/pid ZT_OUT=$W/result setsid "$ZT" 127.0.0.1 "$port" 3 </dev/null >"$W/prog.out" 2>"$W/prog.err" &
pid=$!
wait_for pid 10
[ "$(cat "$W/pid")" = "$pid" ] || die "pidfile says $(cat "$W/pid"), started $pid"
wait_for a.ok 10

for point in after-seize mid-memory before-release; do
	rm -rf "$W/img"
	CRYO_FAULT=$point "$CR" dump -t "$pid" -D "$W/img" --tcp-established -R -v4 -o "$W/dump-fault.log" --log-format text &&
		die "dump succeeded despite CRYO_FAULT=$point"
	grep -q "fault injected at $point" "$W/dump-fault.log" || die "fault point $point not reached"
	grep -q "1 TCP connections locked" "$W/dump-fault.log" || die "the connection was not locked before $point"
	has_lock && die "the lock stayed after the dump failed at $point"
done
rm -rf "$W/img"
"$CR" dump -t "$pid" -D "$W/img" --tcp-established -R -v4 -o "$W/dump-running.log" --log-format text || die "dump --leave-running failed"
has_lock && die "the lock stayed after a dump that left the tree running"

rm -rf "$W/img"
"$CR" dump -t "$pid" -D "$W/img" --tcp-established -v4 -o "$W/dump.log" --log-format text || die "dump failed"
for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$pid" 2>/dev/null && die "pid $pid still exists after the dump"
has_lock || die "no lock table after the dump"
nft list table inet "cryo-lock-$pid" | grep -q "dport $port" || die "the lock has no rule for port $port"
touch "$W/locked"
wait_for locked.ok 10
log "locked: the peer's data got no answer and no reset"

"$CR" restore -D "$W/img" --tcp-established -d --pidfile "$W/restored.pid" -v4 -o "$W/restore.log" --log-format text || die "restore failed"
[ "$(cat "$W/restored.pid" 2>/dev/null)" = "$pid" ] || die "restored pid is not $pid"
has_lock && die "the lock stayed after restore"
touch "$W/restored"
wait_for restored.ok 40
log "restored: the held data was answered, the connection carries on"

kill -TERM "$pid" || die "cannot signal $pid"
for ((i = 0; i < 200; i++)); do [ -s "$W/result" ] && break; sleep 0.05; done
verdict=$(head -n1 "$W/result" 2>/dev/null)
case "$verdict" in
PASS*) log PASS; result=0; exit 0;;
*) die "test says: ${verdict:-nothing}";;
esac
