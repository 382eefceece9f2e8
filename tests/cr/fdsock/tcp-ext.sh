#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A TCP connection to a peer outside the dumped tree (issue 6, "done means"):
#   tcp-ext.sh PEER RUNNER ZT-FDSOCK
# starts PEER (tests/cr/fdsock/tcp-peer.c) in this shell, not in the tree, and
# runs ZT-FDSOCK tcp-ext through RUNNER (run-cr-test.sh, full C/R with
# --tcp-established).  Both the task and the peer must say PASS.
# No network lock yet (it comes from the netns/netlock work): the peer sends
# nothing while the task is dumped and gone, so nothing hits the closed port.
set -u
peer=$1 runner=$2 prog=$3
W=$(mktemp -d /tmp/cr-fdsock-tcp-ext.XXXXXX)
peer_pid=
cleanup() {
	[ -n "$peer_pid" ] && kill "$peer_pid" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
"$peer" "$W/port" 2>"$W/peer.err" &
peer_pid=$!
for ((i = 0; i < 100; i++)); do [ -s "$W/port" ] && break; sleep 0.05; done
[ -s "$W/port" ] || { echo "tcp-ext: the peer did not start" >&2; cat "$W/peer.err" >&2; exit 1; }
ZT_PEER_PORT=$(cat "$W/port") "$runner" --mode full "$prog" tcp-ext
rc=$?
wait "$peer_pid"
prc=$?
peer_pid=
cat "$W/peer.err" >&2
[ $rc -eq 0 ] || exit $rc
[ $prc -eq 0 ] || { echo "tcp-ext: the peer outside the tree failed" >&2; exit 1; }
exit 0
