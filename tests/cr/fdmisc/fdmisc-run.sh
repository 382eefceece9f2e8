#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Full C/R tests of fd kinds through cryo-cr (docs/fds.md, docs/testing.md).
#
#   fdmisc-run.sh SCENARIO PROG [ARGS...]
#
# SCENARIO:
#   full        dump (tree killed), restore -d, same pid, the program verifies
#   refuse=TEXT the dump must fail with TEXT in its log and leave the tree
#               running untouched (the program verifies it)
#   restore-refuse=TEXT  the restore without FDM_RESTORE_ARGS must fail
#               with TEXT in its log and leave no task; then the restore
#               with them must work
#   validate    the program names in $W/result.aux a file it holds (open or
#               mapped); after the dump the file is changed (same size and
#               mtime, other content): the restore must refuse it naming it;
#               with --skip-file-validation it is restored
# Environment: CRYO_CR, FDM_DUMP_ARGS / FDM_RESTORE_ARGS (extra options),
# CR_TEST_TIMEOUT (seconds, default 20), CR_KEEP=1 keeps the work dir,
# FDM_TCP_PEER (a fdmisc-tcp-peer binary: started here, outside the tree,
# its port in ZT_PEER_PORT; it must say PASS too).
# Exit: 0 PASS, 77 SKIP, 1 FAIL.
set -u
scenario=$1
shift
CRYO_CR=${CRYO_CR:-cryo-cr}
TIMEOUT=${CR_TEST_TIMEOUT:-20}
read -r -a dump_args <<<"${FDM_DUMP_ARGS:-}"
read -r -a restore_args <<<"${FDM_RESTORE_ARGS:-}"
name="$(basename "$1") ${2:-}"
W=$(mktemp -d "/tmp/cr-fdmisc.$(basename "$1").XXXXXX")
pid=
result=1

. "$(dirname "$0")/../lib/cr-common.sh"
log() { echo "[$name/$scenario] $*" >&2; }
die() { log "FAIL: $*"; result=1; exit 1; }

peer_pid=
# The tree's processes, listed once it is ready (the restore keeps the pids):
# a child may sit in another session and group, orphaned by a failing root.
list_tree() {
	local c
	echo "$1"
	for c in $(pgrep -P "$1" 2>/dev/null); do list_tree "$c"; done
}
cleanup() {
	local p
	[ -n "$peer_pid" ] && kill "$peer_pid" 2>/dev/null
	if [ -n "$pid" ]; then
		kill -KILL -- "-$pid" 2>/dev/null
		kill -KILL "$pid" 2>/dev/null
	fi
	for p in $(cat "$W/tree.pids" 2>/dev/null); do
		grep -qa "zt-fdmisc" "/proc/$p/cmdline" 2>/dev/null && kill -KILL "$p" 2>/dev/null
	done
	[ $result -eq 0 ] || cr_dump_logs "$W" 60
	if [ -s "$W/result.aux" ]; then
		while read -r f; do
			[ -n "$f" ] || continue
			mountpoint -q "$f" 2>/dev/null && umount -l "$f"
			rm -rf "$f"
		done <"$W/result.aux"
	fi
	if [ "${CR_KEEP:-0}" = 1 ]; then log "work dir kept: $W"; else rm -rf "$W"; fi
}
CR_TRACK_POST=cleanup
cr_track_begin	# the whole tree is killed on exit (cr-common.sh)

check_peer() {
	[ -n "$peer_pid" ] || return 0
	wait "$peer_pid"
	local rc=$?
	peer_pid=
	cat "$W/peer.err" >&2
	[ $rc -eq 0 ] || die "the TCP peer outside the tree failed"
}

finish() {
	kill -TERM "$pid" || die "cannot signal $pid"
	cr_wait_file "$W/result" "$TIMEOUT" || die "no result from the test within ${TIMEOUT}s"
	local verdict
	verdict=$(head -n1 "$W/result")
	case "$verdict" in
	PASS*) check_peer; log "PASS"; result=0; exit 0;;
	SKIP*) log "$verdict"; result=77; exit 77;;
	*) die "test says: $verdict";;
	esac
}

for fd in /proc/$$/fd/*; do
	n=${fd##*/}
	[ "$n" -gt 2 ] 2>/dev/null && [ "$n" != 255 ] && eval "exec $n>&-" 2>/dev/null
done

if [ -n "${FDM_TCP_PEER:-}" ]; then
	"$FDM_TCP_PEER" "$W/port" 2>"$W/peer.err" &
	peer_pid=$!
	cr_wait_file "$W/port" 5 || die "the TCP peer did not start"
	export ZT_PEER_PORT=$(cat "$W/port")
fi

ZT_PIDFILE=$W/pid ZT_OUT=$W/result setsid "$@" </dev/null >"$W/prog.out" 2>"$W/prog.err" &
pid=$!
for ((i = 0; i < 200; i++)); do
	[ -s "$W/pid" ] && break
	if [ -s "$W/result" ]; then
		grep -q '^SKIP' "$W/result" && { log "$(head -n1 "$W/result")"; result=77; exit 77; }
		die "program failed before it was ready: $(head -n1 "$W/result")"
	fi
	sleep 0.05
done
[ -s "$W/pid" ] || die "program did not become ready in 10s"
list_tree "$pid" >"$W/tree.pids"

dump() {
	"$CRYO_CR" dump -t "$pid" -D "$W/img" -v4 -o "$W/dump.log" --log-format text "${dump_args[@]}" "$@"
}

restore() {	# restore LOG [OPTIONS]
	local l=$1
	shift
	rm -f "$W/restored.pid"
	"$CRYO_CR" restore -D "$W/img" -d --pidfile "$W/restored.pid" -v4 -o "$W/$l" --log-format text \
		"${restore_args[@]}" "$@"
}

dump_and_kill() {
	dump || die "dump failed"
	wait "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	kill -0 "$pid" 2>/dev/null && die "pid $pid still exists after dump"
	# the tree's other processes die with it (their ptys, pipes and locks are freed)
	sleep 0.2
}

case "$scenario" in
full)
	dump_and_kill
	restore restore.log || die "restore failed"
	[ "$(cat "$W/restored.pid" 2>/dev/null)" = "$pid" ] || die "restored pid is not $pid"
	finish
	;;
refuse=*)
	expect=${scenario#refuse=}
	dump -R && die "dump succeeded but must refuse"
	grep -q -- "$expect" "$W/dump.log" || die "dump log does not say '$expect'"
	[ -e "$W/img/inventory.img" ] && die "a failed dump committed an image"
	kill -0 "$pid" 2>/dev/null || die "the refused dump killed $pid"
	[ "$(awk '/^TracerPid:/ {print $2}' "/proc/$pid/status")" = 0 ] || die "$pid left traced"
	log "refused: $(grep -m1 -- "$expect" "$W/dump.log")"
	finish
	;;
restore-refuse=*)
	expect=${scenario#restore-refuse=}
	dump_and_kill
	saved=("${restore_args[@]}")
	restore_args=()
	restore restore-refused.log && die "restore succeeded without '${saved[*]}'"
	grep -q -- "$expect" "$W/restore-refused.log" || die "the refused restore does not say '$expect'"
	kill -0 "$pid" 2>/dev/null && die "a failed restore left pid $pid"
	log "refused: $(grep -m1 -- "$expect" "$W/restore-refused.log")"
	restore_args=("${saved[@]}")
	restore restore.log || die "restore failed"
	[ "$(cat "$W/restored.pid" 2>/dev/null)" = "$pid" ] || die "restored pid is not $pid"
	finish
	;;
validate)
	[ -s "$W/result.aux" ] || die "the program did not name its file"
	dump_and_kill
	while read -r f; do
		[ -f "$f" ] || continue
		touch -r "$f" "$W/mtime.ref"
		size=$(stat -c %s "$f")
		head -c "$size" /dev/zero | dd of="$f" conv=notrunc status=none || die "cannot change $f"
		touch -r "$W/mtime.ref" "$f"
		[ "$(stat -c %s "$f")" = "$size" ] || die "size of $f changed"
		changed=$f
	done <"$W/result.aux"
	restore restore-refused.log && die "restore accepted a changed file"
	grep -q -- "$changed: not the file that was dumped" "$W/restore-refused.log" ||
		die "the refused restore does not name $changed"
	kill -0 "$pid" 2>/dev/null && die "a failed restore left pid $pid"
	log "refused: $(grep -m1 -- "not the file that was dumped" "$W/restore-refused.log")"
	restore restore.log --skip-file-validation || die "restore --skip-file-validation failed"
	[ "$(cat "$W/restored.pid" 2>/dev/null)" = "$pid" ] || die "restored pid is not $pid"
	finish
	;;
*)
	die "unknown scenario $scenario"
	;;
esac
