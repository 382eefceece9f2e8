#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A multi-threaded task in a job-control stop (SIGSTOP) is stopped after a full
# dump and restore, every thread of it, and stays so; after SIGCONT it runs on
# and its own checks pass (its signal state survived the stop too).
#
#   ts-stopped.sh PROG [ARGS...]     (PROG follows the zt protocol)
#
# Environment: CRYO_CR, CR_KEEP=1.  Exit 0 PASS, 1 FAIL.
set -u
[ $# -ge 1 ] || { echo "usage: $0 PROG [ARGS...]" >&2; exit 1; }
CRYO_CR=${CRYO_CR:-cryo-cr}
W=$(mktemp -d "/tmp/ts-stopped.XXXXXX")
pid=
result=1

log() { echo "[ts-stopped] $*" >&2; }
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	if [ $result -ne 0 ]; then
		for f in "$W"/*.log "$W/result"; do [ -f "$f" ] && { echo "----- $f"; tail -n 30 "$f"; }; done >&2
	fi
	if [ "${CR_KEEP:-0}" = 1 ]; then log "work dir kept: $W"; else rm -rf "$W"; fi
}
. "$(dirname "$0")/../lib/cr-common.sh"
CR_TRACK_POST=cleanup
cr_track_begin	# the whole tree is killed on exit (cr-common.sh)
die() { log "FAIL: $*"; exit 1; }
wait_file() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do [ -s "$1" ] && return 0; sleep 0.05; done
	return 1
}
# Every thread of $1 in state T (stopped): all_stopped PID
all_stopped() {
	local s n=0
	for s in /proc/"$1"/task/*/status; do
		[ "$(awk '/^State:/ {print $2}' "$s")" = T ] || return 1
		n=$((n + 1))
	done
	[ $n -ge 1 ]
}
wait_stopped() {
	local i
	for ((i = 0; i < 100; i++)); do all_stopped "$1" && return 0; sleep 0.05; done
	return 1
}

for fd in /proc/$$/fd/*; do
	n=${fd##*/}
	[ "$n" -gt 2 ] 2>/dev/null && [ "$n" != 255 ] && eval "exec $n>&-" 2>/dev/null
done

ZT_PIDFILE=$W/pid ZT_OUT=$W/result setsid "$@" </dev/null >"$W/prog.out" 2>"$W/prog.err" &
pid=$!
wait_file "$W/pid" 10 || die "program did not become ready: $(cat "$W/result" 2>/dev/null)"
threads=$(ls "/proc/$pid/task" | wc -l)
[ "$threads" -ge 2 ] || die "the program has $threads thread(s); this test wants several"
kill -STOP "$pid"
wait_stopped "$pid" || die "pid $pid did not stop"
"$CRYO_CR" dump -t "$pid" -D "$W/img" -v4 -o "$W/dump.log" --log-format text || die "dump failed"
wait "$pid" 2>/dev/null
for ((i = 0; i < 100; i++)); do [ -e "/proc/$pid" ] || break; sleep 0.05; done
[ -e "/proc/$pid" ] && die "pid $pid still exists after dump"
"$CRYO_CR" restore -D "$W/img" -d -v4 -o "$W/restore.log" --log-format text || die "restore failed"
wait_stopped "$pid" || die "pid $pid is not stopped after restore"
[ "$(ls "/proc/$pid/task" | wc -l)" = "$threads" ] || die "not all $threads threads are back"
sleep 0.3
all_stopped "$pid" || die "pid $pid did not stay stopped"
kill -CONT "$pid"
kill -TERM "$pid" || die "cannot signal $pid"
wait_file "$W/result" 20 || die "no result from the test"
case $(head -n1 "$W/result") in
PASS*) log PASS; result=0; exit 0;;
*) die "test says: $(head -n1 "$W/result")";;
esac
