#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A TCP connection to a peer outside the dumped tree (issue 6, "done means"):
#   tcp-ext.sh PEER RUNNER ZT-FDSOCK MODE
# starts PEER (tests/cr/fdsock/tcp-peer.c) in this shell, not in the tree, and
# runs ZT-FDSOCK MODE (tcp-ext, all) through RUNNER (run-cr-test.sh, full C/R
# with CRYO_CR=cr-wrap.sh and --tcp-established).  Both the task and the peer
# must say PASS.  The peer sends while the task is dumped and gone
# (cr-wrap.sh makes $FDSOCK_GAP_FILE after the dump and waits for the
# peer's FILE.sent before the restore): cryo-cr's network lock must keep
# those bytes from the closed port (no RST) until the restored socket gets
# them again.
set -u
peer=$1 runner=$2 prog=$3 mode=${4:-tcp-ext}
W=$(mktemp -d /tmp/cr-fdsock-tcp-ext.XXXXXX)
peer_pid=
cleanup() {
	[ -n "$peer_pid" ] && kill "$peer_pid" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
"$peer" "$W/port" "$W/gap" 2>"$W/peer.err" &
peer_pid=$!
for ((i = 0; i < 100; i++)); do [ -s "$W/port" ] && break; sleep 0.05; done
[ -s "$W/port" ] || { echo "tcp-ext: the peer did not start" >&2; cat "$W/peer.err" >&2; exit 1; }
FDSOCK_GAP_FILE=$W/gap ZT_PEER_PORT=$(cat "$W/port") "$runner" --mode full "$prog" "$mode"
rc=$?
wait "$peer_pid"
prc=$?
peer_pid=
cat "$W/peer.err" >&2
[ $rc -eq 0 ] || exit $rc
[ $prc -eq 0 ] || { echo "tcp-ext: the peer outside the tree failed" >&2; exit 1; }
exit 0
