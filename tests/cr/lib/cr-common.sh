# SPDX-License-Identifier: GPL-2.0-or-later
# Shell helpers shared by the C/R test runners (docs/testing.md, "Runners").
#
# The runner defines log() and die() and the globals W (work dir), pid (root
# of the tested tree, empty until started), result (1, 0 on PASS, 77 on SKIP)
# before using the functions below that name them.

# cr_dump_logs DIR LINES: the tail of every log and output a failed run left in DIR.
cr_dump_logs() {
	local f
	for f in "$1"/*.log "$1"/prog.out "$1"/prog.err "$1"/result; do
		[ -s "$f" ] || continue
		echo "----- $f" >&2
		tail -n "$2" "$f" >&2
	done
}

# --- Whole-tree tracking -----------------------------------------------------
#
# cr_track_begin moves the runner itself into a fresh cgroup of its own in a
# hierarchy without controllers (v1 name=systemd; else the v2 hierarchy), so
# everything it starts is in it: the test tree, children that called setsid()
# or were reparented to init, cryo-cr, and the tree cryo-cr restore creates
# (with the same pids).  No controller is involved, so the tests' own pids,
# memory and freezer cgroups are untouched; a test that moves its tree to
# another cgroup of that hierarchy leaves the tracking (the ns tests move to v2
# cryo-ns-PID; they kill their own cgroups).  cr_track_kill (run from the EXIT
# trap that cr_track_begin installs, whatever ended the runner) moves the
# runner out, kills every task left in the cgroup until none is, and removes
# it.  Without such a hierarchy the tree is found by its session and parentage.
# A runner killed by SIGKILL leaves its cgroup: the next runner removes it
# (the name holds the runner's pid).
CR_TRACK_DIR=
CR_TRACK_HOME=
CR_TRACK_PRE=	# the runner's cleanup to run (EXIT trap) before the tree is killed
CR_TRACK_POST=	# ... and after

cr_track_hierarchy() {
	awk '$3 == "cgroup" && $4 ~ /(^|,)name=systemd(,|$)/ {print $2; exit}' /proc/mounts
}

# The cgroup (path in the hierarchy) the runner is in.
cr_track_current() {
	local h=$1
	if [ "$(stat -f -c %T "$h")" = cgroup2fs ]; then
		awk -F: '$1 == 0 {print $3; exit}' /proc/self/cgroup
	else
		awk -F: '$2 == "name=systemd" {print $3; exit}' /proc/self/cgroup
	fi
}

# cr_thaw PID: thaw the v1 freezer cgroup PID is in (a frozen task cannot die).
cr_thaw() {
	local m c
	c=$(awk -F: '$2 ~ /(^|,)freezer(,|$)/ {print $3; exit}' "/proc/$1/cgroup" 2>/dev/null)
	[ -n "$c" ] && [ "$c" != / ] || return 0
	m=$(awk '$3 == "cgroup" && $4 ~ /(^|,)freezer(,|$)/ {print $2; exit}' /proc/mounts)
	[ -n "$m" ] && echo THAWED >"$m$c/freezer.state" 2>/dev/null
}

# cr_track_kill_dir DIR: kill every task of a tracking cgroup until it is empty.
cr_track_kill_dir() {
	local d=$1 i t left
	for ((i = 0; i < 100; i++)); do
		left=
		for t in $(cat "$d/cgroup.procs" 2>/dev/null); do
			[ "$t" = "$$" ] && continue
			kill -KILL "$t" 2>/dev/null
			[ $i -eq 10 ] && cr_thaw "$t"
			left=1
		done
		[ -z "$left" ] && rmdir "$d" 2>/dev/null && return 0
		[ -d "$d" ] || return 0
		sleep 0.05
	done
	echo "cr-common: cannot empty $d: $(cat "$d/cgroup.procs" 2>/dev/null | tr '\n' ' ')" >&2
	return 1
}

# cr_track_begin [--no-cgroup]: --no-cgroup when the tree's cgroups are what
# is tested (--manage-cgroups strict needs every cgroup of the image absent at
# restore): then the session and parentage only.
cr_track_begin() {
	local h d owner
	trap cr_track_exit EXIT
	trap 'exit 143' TERM	# a timeout: still run the EXIT trap
	trap 'exit 130' INT
	trap 'exit 129' HUP
	[ "${1:-}" = --no-cgroup ] && return 0
	h=$(cr_track_hierarchy)
	if [ -z "$h" ]; then
		h=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
		# Only an empty v2 hierarchy (hybrid) or a leaf we may create under.
		[ -n "$h" ] && [ -w "$h" ] || h=
	fi
	[ -n "$h" ] || return 0
	# Cgroups left by runners that were SIGKILLed.
	for d in "$h"/cryo-test.*; do
		[ -d "$d" ] || continue
		owner=${d##*/cryo-test.}
		owner=${owner%%.*}
		kill -0 "$owner" 2>/dev/null || cr_track_kill_dir "$d"
	done
	CR_TRACK_HOME=$h$(cr_track_current "$h")
	CR_TRACK_HOME=${CR_TRACK_HOME%/}
	d=$h/cryo-test.$$.$RANDOM
	mkdir "$d" 2>/dev/null || return 0
	if ! echo $$ >"$d/cgroup.procs" 2>/dev/null; then
		rmdir "$d"
		return 0
	fi
	CR_TRACK_DIR=$d
}

# cr_track_others: set CR_OTHERS to the tasks of the tracking cgroup other than
# the runner (builtins only: a subshell would be one of them).  Empty when
# nothing is tracked.
cr_track_others() {
	local t
	CR_OTHERS=
	[ -n "$CR_TRACK_DIR" ] || return 0
	while read -r t; do
		[ "$t" = "$$" ] || CR_OTHERS="$CR_OTHERS $t"
	done <"$CR_TRACK_DIR/cgroup.procs"
	CR_OTHERS=${CR_OTHERS# }
}

# Pids with session $1 and the descendants of $1 (the fallback without a cgroup).
cr_track_by_session() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v r="$1" '{ s = $0; sub(/^.*\) /, "", s); split(s, x, " ");
		if (x[4] == r || x[2] == r) print $1 }'
}

cr_track_kill() {
	local p i left
	if [ -n "$CR_TRACK_DIR" ]; then
		echo $$ >"$CR_TRACK_HOME/cgroup.procs" 2>/dev/null
		cr_track_kill_dir "$CR_TRACK_DIR"
		CR_TRACK_DIR=
	fi
	# Also by session and parentage: what left the cgroup, or no cgroup at all.
	[ -n "${pid:-}" ] || return 0
	for ((i = 0; i < 20; i++)); do
		left=
		for p in $pid $(cr_track_by_session "$pid"); do
			[ "$p" = "$$" ] && continue
			kill -KILL "$p" 2>/dev/null && left=1
		done
		[ -z "$left" ] && break
		sleep 0.05
	done
}

cr_track_exit() {
	local rc=$?
	[ -n "$CR_TRACK_PRE" ] && $CR_TRACK_PRE
	cr_track_kill
	[ -n "$CR_TRACK_POST" ] && $CR_TRACK_POST
	exit $rc
}

# --- The common steps of a run -----------------------------------------------

# Close inherited fds > 2 so the tested program does not get them.
cr_close_fds() {
	local fd n
	for fd in /proc/$$/fd/*; do
		n=${fd##*/}
		[ "$n" -gt 2 ] 2>/dev/null && [ "$n" != 255 ] && eval "exec $n>&-" 2>/dev/null
	done
}

# cr_wait_file FILE SECONDS: wait until FILE exists and is not empty.
cr_wait_file() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# cr_start PROG [ARGS...]: start the program in its own session, stdio to
# files, ZT_PIDFILE/ZT_OUT in $W; wait for it to be ready (10 s) and set pid.
# A SKIP before ready ends the runner with 77, printing why.
cr_start() {
	local i gone
	ZT_PIDFILE=$W/pid ZT_OUT=$W/result setsid "$@" </dev/null >"$W/prog.out" 2>"$W/prog.err" &
	pid=$!
	for ((i = 0; i < 200; i++)); do
		[ -s "$W/pid" ] && break
		gone=
		kill -0 "$pid" 2>/dev/null || gone=1
		if [ -s "$W/result" ]; then	# it gave up before becoming ready
			grep -q '^SKIP' "$W/result" && { log "$(head -n1 "$W/result")"; result=77; exit 77; }
			die "program failed before it was ready: $(head -n1 "$W/result")"
		fi
		[ -z "$gone" ] || [ -s "$W/pid" ] || die "program exited before it was ready: $(tail -n3 "$W/prog.err")"
		sleep 0.05
	done
	[ -s "$W/pid" ] || die "program did not become ready in 10s"
	[ "$(cat "$W/pid")" = "$pid" ] || die "pidfile says $(cat "$W/pid"), started $pid"
}

# cr_dump ARGS...: cryo-cr dump of $pid into $W/img, text log $W/dump.log.
cr_dump() {
	"$CRYO_CR" dump -t "$pid" -D "$W/img" -v4 -o "$W/dump.log" --log-format text "$@"
}

# cr_pid_taken LOG: a restore failed because a pid of the image was taken by
# another process of the host meanwhile: say so and by whom (not a cryo bug;
# run-cr-test.sh keeps the window between dump and restore short).
cr_pid_taken() {
	local p
	p=$(sed -n 's/.*pid \([0-9]*\) needed by the image.*already in use.*/\1/p; s/.*cannot create task [0-9]*: pid \([0-9]*\) is already in use.*/\1/p' "$1" | head -n1)
	[ -n "$p" ] || return 0
	log "pid $p of the image was taken meanwhile by another process: $(ps -o pid=,ppid=,args= -p "$p" 2>/dev/null || echo gone)"
}

# cr_restore ARGS...: cryo-cr restore -d of $W/img, pid in $W/restored.pid;
# the restored root must have the pid $pid.
cr_restore() {
	if ! "$CRYO_CR" restore -D "$W/img" -d --pidfile "$W/restored.pid" -v4 -o "$W/restore.log" --log-format text "$@"; then
		cr_pid_taken "$W/restore.log"
		die "restore failed"
	fi
	[ "$(cat "$W/restored.pid" 2>/dev/null)" = "$pid" ] || die "restored root pid is not $pid"
}

# cr_finish: SIGTERM to $pid, the program's verdict ends the runner
# (0 PASS, 77 SKIP with the reason, 1 otherwise).
cr_finish() {
	local verdict
	kill -TERM "$pid" || die "cannot signal $pid"
	cr_wait_file "$W/result" "${TIMEOUT:-20}" || die "no result from the test within ${TIMEOUT:-20}s"
	verdict=$(head -n1 "$W/result")
	case "$verdict" in
	PASS*) log "PASS"; result=0; exit 0;;
	SKIP*) log "$verdict"; result=77; exit 77;;
	*) die "test says: $verdict";;
	esac
}

# cr_cleanup LINES: the end of a run: logs on failure, work dir removed
# (CR_KEEP=1 keeps it).  Run after the tree is killed (CR_TRACK_POST).
cr_cleanup() {
	[ "$result" -eq 0 ] || [ "$result" -eq 77 ] || cr_dump_logs "$W" "$1"
	if [ "${CR_KEEP:-0}" = 1 ]; then log "work dir kept: $W"; else rm -rf "$W"; fi
}
