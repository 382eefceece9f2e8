#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Restore-side runner for zt test programs (protocol: docs/testing.md).
#
#   rst-run.sh [--faults] PROG [ARGS...]
#
# Starts PROG in its own session, records every pid and tid of its tree,
# dumps it with --leave-stopped and kills the whole tree itself (by pid;
# on exit, whatever happened, the whole test cgroup: lib/cr-common.sh),
# then restores it with -d and checks that exactly the same pids and tids are
# back, the root under its pid; SIGTERM; the program's verdict.
#
# --faults: first, for every restore fault point (CRYO_FAULT=restore-POINT),
# the restore must fail (exit 1, the point named in the log), leave no task of
# the tree behind (none in the runner's cgroup but the runner) and the image files unchanged (sha256 before and after);
# then the real restore as above.
# Environment: CRYO_CR, CR_TEST_TIMEOUT (default 20), CR_KEEP=1.
set -u

faults=0
if [ "${1:-}" = --faults ]; then faults=1; shift; fi
[ $# -ge 1 ] || { echo "usage: $0 [--faults] PROG [ARGS...]" >&2; exit 1; }

CRYO_CR=${CRYO_CR:-cryo-cr}
TIMEOUT=${CR_TEST_TIMEOUT:-20}
FAULT_POINTS="fork mem restorer before-resume"
name=$(basename "$1")
prog_path=$1
W=$(mktemp -d "/tmp/rst-test.$name.XXXXXX")
pid=
result=1

log() { echo "[$name] $*" >&2; }
die() { log "FAIL: $*"; result=1; exit 1; }

. "$(dirname "$0")/lib/cr-common.sh"

# Every pid and tid of the tree rooted at $1 ("pid tid" lines, sorted).
tree_ids() {
	local all p
	all=$(for p in /proc/[0-9]*/stat; do
		awk '{ s = $0; sub(/^.*\) /, "", s); split(s, f, " "); print $1, f[2] }' "$p" 2>/dev/null
	done)
	local todo=$1 seen=" "
	while [ -n "$todo" ]; do
		set -- $todo
		p=$1
		shift
		todo="$*"
		case "$seen" in *" $p "*) continue;; esac
		seen="$seen$p "
		todo="$todo $(echo "$all" | awk -v pp="$p" '$2 == pp {print $1}')"
		todo=$(echo $todo)
	done
	for p in $seen; do
		ls "/proc/$p/task" 2>/dev/null | sed "s/^/$p /"
	done | sort -n
}

kill_tree() {
	local p
	for p in $(tree_ids "$1" | awk '{print $1}' | sort -u); do
		kill -KILL "$p" 2>/dev/null
	done
}

# After the whole test cgroup is killed (cr-common.sh): any process recorded
# at the start that still runs the test program (if the tree left the cgroup).
cleanup() {
	local p t exe
	exe=$(readlink -f "$prog_path")
	if [ -s "$W/ids.before" ]; then
		while read -r p t; do
			[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$exe" ] && kill -KILL "$p" 2>/dev/null
		done <"$W/ids.before"
	fi
	cr_cleanup 40
}
CR_TRACK_POST=cleanup
cr_track_begin

# Wait until no pid of the dumped tree exists any more (killed, then reaped).
wait_tree_gone() {
	local i p t left
	for ((i = 0; i < 200; i++)); do
		left=
		while read -r p t; do [ -e "/proc/$t" ] && left=1; done <"$W/ids.before"
		[ -z "$left" ] && return 0
		sleep 0.05
	done
	return 1
}

checksums() { (cd "$W/img" && sha256sum -- *) ; }

cr_close_fds
cr_start "$@"
tree_ids "$pid" >"$W/ids.before"

cr_dump --leave-stopped ||
	die "dump failed"
kill_tree "$pid"
wait "$pid" 2>/dev/null
wait_tree_gone || die "the dumped tree does not go away"

if [ $faults = 1 ]; then
	checksums >"$W/sums.before"
	for point in $FAULT_POINTS; do
		CRYO_FAULT=restore-$point "$CRYO_CR" restore -D "$W/img" -d -v4 -o "$W/fault-$point.log" \
			--log-format text && die "restore with fault point $point succeeded"
		grep -q "fault injected at restore-$point" "$W/fault-$point.log" ||
			die "fault point $point was not reached"
		# cryo-cr reaped everything it created before exiting.
		# A pid of the tree that exists again and runs our program or cryo-cr (a
		# task still in the making) was left behind; anything else is a reuse by
		# some other process (pids wrap quickly on a busy machine).
		exe=$(readlink -f "$prog_path")
		crexe=$(readlink -f "$(command -v "$CRYO_CR")")
		while read -r p t; do
			e=$(readlink "/proc/$p/task/$t/exe" 2>/dev/null)
			[ -n "$e" ] && { [ "$e" = "$exe" ] || [ "$e" = "$crexe" ]; } &&
				die "fault $point left pid $t of the tree behind ($e)"
		done <"$W/ids.before"
		# Nothing cryo-cr created is left in the runner's cgroup (cr-common.sh).
		cr_track_others
		[ -z "$CR_OTHERS" ] || die "fault $point left tasks behind: $(ps -o pid=,args= -p "${CR_OTHERS// /,}")"
		checksums >"$W/sums.after"
		cmp -s "$W/sums.before" "$W/sums.after" || die "fault $point changed the images"
		log "fault point $point: failed cleanly"
	done
fi

cr_restore
tree_ids "$pid" >"$W/ids.after"
diff -u "$W/ids.before" "$W/ids.after" >&2 || die "the pids and tids of the tree differ after restore"

cr_finish
