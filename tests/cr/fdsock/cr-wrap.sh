#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# CRYO_CR stand-in for the fdsock tests: runs $FDSOCK_CRYO_CR VERB $FDSOCK_CR_ARGS ARGS...
# With FDSOCK_LOCK=1 (only inside a private network namespace: see netns.sh)
# every TCP packet (but those the restore injects, mark 0xc114) is dropped from before the dump until the restore is done,
# as a network lock does: the restored ends of a connection inside the tree
# do not answer each other's packets with a RST while the other is not back.
set -u
verb=$1
shift
table=zt_fdsock_lock
unlock() { [ "${FDSOCK_LOCK:-0}" != 0 ] && nft delete table inet $table 2>/dev/null; return 0; }
case "$verb" in
dump)
	if [ "${FDSOCK_LOCK:-0}" != 0 ]; then
		nft add table inet $table &&
		nft add chain inet $table in '{ type filter hook input priority -10; }' &&
		# FDSOCK_LOCK=strict: the injected packets are dropped too
		pass='meta mark != 0xc114'
		[ "$FDSOCK_LOCK" = strict ] && pass=
		nft add rule inet $table in $pass meta l4proto tcp drop || { echo "cr-wrap: cannot lock the network" >&2; exit 1; }
	fi
	# shellcheck disable=SC2086
	"$FDSOCK_CRYO_CR" dump ${FDSOCK_CR_ARGS:-} "$@"
	rc=$?
	[ $rc -eq 0 ] || unlock
	# tcp-ext.sh: the peer outside the tree sends while the tree is gone
	[ $rc -eq 0 ] && [ -n "${FDSOCK_GAP_FILE:-}" ] && : >"$FDSOCK_GAP_FILE"
	exit $rc
	;;
restore)
	if [ -n "${FDSOCK_GAP_FILE:-}" ]; then
		for ((i = 0; i < 500; i++)); do [ -e "$FDSOCK_GAP_FILE.sent" ] && break; sleep 0.02; done
		[ -e "$FDSOCK_GAP_FILE.sent" ] || { echo "cr-wrap: the peer did not send during the gap" >&2; exit 1; }
		sleep 0.2	# the bytes are on the wire (and dropped) before the socket is back
	fi
	# shellcheck disable=SC2086
	"$FDSOCK_CRYO_CR" restore ${FDSOCK_CR_ARGS:-} "$@"
	rc=$?
	unlock
	exit $rc
	;;
esac
exec "$FDSOCK_CRYO_CR" "$verb" "$@"
