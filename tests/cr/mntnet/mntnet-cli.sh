#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The command line of the mount/network options of cryo-cr dump and restore:
# bad values are refused naming them, and options that do not fit the image
# (a tree that kept cryo-cr's namespaces) are refused before anything runs.
set -u
CR=${CRYO_CR:?CRYO_CR must name cryo-cr}
W=$(mktemp -d /tmp/cryo-mn-cli.XXXXXX)
pid= failures=0
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
ok() { echo "ok: $1"; }
fail() { echo "FAIL: $1"; failures=$((failures + 1)); }
# expect STATUS TEXT WHAT CMD...: exit status and a text in the output
expect() {
	local want=$1 text=$2 what=$3 got
	shift 3
	"$@" >"$W/out" 2>&1
	got=$?
	if [ "$got" -ne "$want" ]; then fail "$what: exit $got, want $want: $(cat "$W/out")"; return; fi
	if [ -n "$text" ] && ! grep -qF -- "$text" "$W/out" "$W/log" 2>/dev/null; then
		fail "$what: no '$text' in: $(cat "$W/out" "$W/log" 2>/dev/null)"
		return
	fi
	ok "$what"
}

setsid sleep 1000 </dev/null >/dev/null 2>&1 &
pid=$!
sleep 0.2
expect 1 "unknown mode 'iptables'" "dump --network-lock iptables" "$CR" dump -t "$pid" -D "$W/img" --network-lock iptables
expect 1 "only mnt[MOUNTPOINT]:KEY" "dump --external veth[...]" "$CR" dump -t "$pid" -D "$W/img" --external "veth[eth0]:x"
expect 1 "expected mnt[MOUNTPOINT]:KEY" "dump --external mnt[/x] without a key" "$CR" dump -t "$pid" -D "$W/img" --external "mnt[/x]"
expect 1 "must not contain '/'" "dump --external mnt[/x]:a/b" "$CR" dump -t "$pid" -D "$W/img" --external "mnt[/x]:a/b"
expect 1 "shares cryo-cr's mount namespace" "dump --external for a tree in cryo-cr's mount namespace" \
	"$CR" dump -t "$pid" -D "$W/img" -R -o "$W/log" --log-format text --external "mnt[/x]:k"
kill -0 "$pid" || fail "the refused dumps killed the tree"
expect 0 "" "dump with --network-lock skip" "$CR" dump -t "$pid" -D "$W/img" -R --network-lock skip
kill -KILL "$pid"; wait "$pid" 2>/dev/null; pid=	# the restores below must reach the image's checks
expect 1 "unknown mode 'x'" "restore --network-lock x" "$CR" restore -D "$W/img" --network-lock x
expect 1 "expected mnt[KEY]:PATH or veth[IFNAME]:OUTER[@BRIDGE]" "restore --external tcp[...]" \
	"$CR" restore -D "$W/img" --external "tcp[1.2.3.4:5]"
expect 1 "--root or --external mnt[...] given" "restore --root for a tree in cryo-cr's mount namespace" \
	"$CR" restore -D "$W/img" -o "$W/log" --log-format text --root /
expect 1 "--external veth[eth0] given" "restore --external veth for a tree in cryo-cr's network namespace" \
	"$CR" restore -D "$W/img" -o "$W/log" --log-format text --external "veth[eth0]:x"
if [ "$failures" -ne 0 ]; then
	echo "FAIL: $failures checks failed"
	exit 1
fi
echo PASS
