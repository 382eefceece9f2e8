#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Restores the task state cannot honour fail clearly, and leave nothing behind:
#
#   ts-refused.sh creds ZT_TS_CREDS      the image's permitted set holds cap_kill;
#       a cryo-cr without cap_kill (setpriv drops it from its bounding set)
#       fails naming cap_kill, one without cap_setuid naming uid 1000; then a
#       plain restore passes the test's checks.
#   ts-refused.sh rlimits ZT_TS_RLIMITS  the image's RLIMIT_NOFILE hard limit is
#       4000; a cryo-cr whose hard limit is 512 (it cannot raise it: no
#       CAP_SYS_RESOURCE) fails naming RLIMIT_NOFILE; with --keep-rlimits the
#       task runs with the 512 it got.
#
# Environment: CRYO_CR, CR_KEEP=1.  Exit 0 PASS, 77 SKIP, 1 FAIL.
set -u
[ $# -eq 2 ] || { echo "usage: $0 creds|rlimits PROG" >&2; exit 1; }
what=$1
prog=$2
CRYO_CR=${CRYO_CR:-cryo-cr}
W=$(mktemp -d "/tmp/ts-refused.$what.XXXXXX")
pid=
result=1

log() { echo "[ts-refused/$what] $*" >&2; }
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
gone() {
	local i
	for ((i = 0; i < 100; i++)); do [ -e "/proc/$1" ] || return 0; sleep 0.05; done
	return 1
}

command -v setpriv >/dev/null || { log "SKIP: setpriv (util-linux) missing"; exit 77; }
command -v prlimit >/dev/null || { log "SKIP: prlimit (util-linux) missing"; exit 77; }
for fd in /proc/$$/fd/*; do
	n=${fd##*/}
	[ "$n" -gt 2 ] 2>/dev/null && [ "$n" != 255 ] && eval "exec $n>&-" 2>/dev/null
done

ZT_PIDFILE=$W/pid ZT_OUT=$W/result setsid "$prog" </dev/null >"$W/prog.out" 2>"$W/prog.err" &
pid=$!
wait_file "$W/pid" 10 || die "program did not become ready: $(cat "$W/result" 2>/dev/null)"
"$CRYO_CR" dump -t "$pid" -D "$W/img" -v4 -o "$W/dump.log" --log-format text || die "dump failed"
wait "$pid" 2>/dev/null
gone "$pid" || die "pid $pid still exists after dump"

restore() { "$CRYO_CR" restore -D "$W/img" -d -v4 --log-format text "$@"; }

case $what in
creds)
	setpriv --bounding-set -kill --inh-caps -kill -- "$CRYO_CR" restore -D "$W/img" -d -v4 \
		--log-format text -o "$W/refused.log" && die "restore without cap_kill succeeded"
	grep -q "cap_kill, which the restorer does not hold" "$W/refused.log" ||
		die "the refusal does not name cap_kill"
	gone "$pid" || die "pid $pid left behind by the refused restore"
	setpriv --bounding-set -setuid --inh-caps -setuid -- "$CRYO_CR" restore -D "$W/img" -d -v4 \
		--log-format text -o "$W/refused-setuid.log" && die "restore without cap_setuid succeeded"
	grep -q "uid 1000 needs cap_setuid, which the restorer does not hold" "$W/refused-setuid.log" ||
		die "the refusal does not name uid 1000 and cap_setuid"
	gone "$pid" || die "pid $pid left behind by the refused restore"
	restore -o "$W/restore.log" || die "restore failed"
	;;
rlimits)
	prlimit --nofile=512:512 -- "$CRYO_CR" restore -D "$W/img" -d -v4 --log-format text \
		-o "$W/refused.log" && die "restore above the hard RLIMIT_NOFILE succeeded"
	grep -q "RLIMIT_NOFILE: hard limit 4000 is above the restorer's hard limit 512" "$W/refused.log" ||
		die "the refusal does not name RLIMIT_NOFILE"
	gone "$pid" || die "pid $pid left behind by the refused restore"
	prlimit --nofile=512:512 -- "$CRYO_CR" restore -D "$W/img" -d -v4 --log-format text \
		-o "$W/restore.log" --keep-rlimits || die "restore with --keep-rlimits failed"
	grep -Eq "^Max open files +512 +512 " "/proc/$pid/limits" ||
		die "RLIMIT_NOFILE after --keep-rlimits: $(grep 'open files' "/proc/$pid/limits")"
	grep -q "RLIMIT_NOFILE" "$W/restore.log" || die "--keep-rlimits did not warn about RLIMIT_NOFILE"
	kill -KILL "$pid"
	gone "$pid"
	log PASS
	result=0
	exit 0
	;;
*) die "unknown case $what";;
esac

kill -TERM "$pid" || die "cannot signal $pid"
wait_file "$W/result" 20 || die "no result from the test"
case $(head -n1 "$W/result") in
PASS*) log PASS; result=0; exit 0;;
*) die "test says: $(head -n1 "$W/result")";;
esac
