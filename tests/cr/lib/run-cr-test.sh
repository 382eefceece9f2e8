#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Run one C/R test program through cryo-cr (protocol: docs/testing.md).
#
#   run-cr-test.sh [--mode MODE] PROG [ARGS...]
#
# MODE:
#   full        dump (tree killed), restore -d, same pid, verify   (default)
#   dump-only   dump --leave-stopped, compare the image with the stopped
#               tree (img-check), resume, verify
#   leave-running  dump --leave-running; the tree runs on untouched (same
#               maps, not traced), the image is complete, verify
#   fault=POINT CRYO_FAULT=POINT dump must fail; the tree must be untouched
#               (not traced, same maps, no image committed), verify
#   refuse      the dump must fail (unsupported state) and leave the tree
#               untouched, verify
# Environment: CRYO_CR (cryo-cr binary), IMG_CHECK (img-check binary),
# CR_TEST_TIMEOUT (seconds, default 20), CR_KEEP=1 keeps the work dir,
# CR_EXPECT (refuse mode: text the dump log must contain), CR_FREEZER=1 (put
# the tree in a v1 freezer cgroup and dump with --freeze-cgroup), CR_MAX_RSS_KB
# (leave-running: bound on the dumper's peak RSS), CR_STOPPED=1 (leave-running:
# the tree is in a job-control stop when dumped and must still be after),
# CR_FREEZER_FROZEN=1 (with CR_FREEZER, leave-running: the cgroup is frozen
# before the dump and must be frozen after).
# Exit: 0 PASS, 77 SKIP, 1 FAIL.
set -u

mode=full
if [ "${1:-}" = --mode ]; then mode=$2; shift 2; fi
case "${1:-}" in --mode=*) mode=${1#--mode=}; shift;; esac
[ $# -ge 1 ] || { echo "usage: $0 [--mode MODE] PROG [ARGS...]" >&2; exit 1; }

CRYO_CR=${CRYO_CR:-cryo-cr}
TIMEOUT=${CR_TEST_TIMEOUT:-20}
name=$(basename "$1")
W=$(mktemp -d "/tmp/cr-test.$name.XXXXXX")
pid=
result=1

log() { echo "[$name/$mode] $*" >&2; }
die() { log "FAIL: $*"; result=1; exit 1; }

. "$(dirname "$0")/cr-common.sh"

# Before the tree is killed: a frozen freezer cgroup is thawed (frozen tasks
# cannot die); after: the cgroup removed, logs on failure, work dir removed.
thaw_freezer() {
	[ -n "${freezer_dir:-}" ] && echo THAWED >"$freezer_dir/freezer.state" 2>/dev/null
}
cleanup() {
	local t i
	if [ -n "${freezer_dir:-}" ]; then
		for t in $(cat "$freezer_dir/tasks" 2>/dev/null); do kill -KILL "$t" 2>/dev/null; done
		for ((i = 0; i < 100; i++)); do rmdir "$freezer_dir" 2>/dev/null && break; sleep 0.05; done
	fi
	cr_cleanup 60
}
CR_TRACK_PRE=thaw_freezer
CR_TRACK_POST=cleanup
cr_track_begin

tracer_of() { awk '/^TracerPid:/ {print $2}' "/proc/$1/status" 2>/dev/null; }
state_of() { awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null; }

cr_close_fds
cr_start "$@"
log "started pid $pid"

# CR_FREEZER=1: put the tree in a v1 freezer cgroup and dump with --freeze-cgroup.
freezer_args=()
freezer_dir=
if [ "${CR_FREEZER:-0}" = 1 ]; then
	mnt=$(awk '$3 == "cgroup" && $4 ~ /(^|,)freezer(,|$)/ {print $2; exit}' /proc/mounts)
	if [ -z "$mnt" ]; then log "SKIP: no v1 freezer cgroup mounted"; result=77; exit 77; fi
	freezer_dir=$mnt/cryo-test-$$.$RANDOM
	mkdir "$freezer_dir" || die "cannot create $freezer_dir"
	# The whole tree, not only the root: a child left outside would be seized
	# live, which is not what these tests are about.
	for t in /proc/"$pid"/task/*; do echo "${t##*/}" >"$freezer_dir/tasks" || die "cannot move $pid to $freezer_dir"; done
	for p in $(cr_track_by_session "$pid"); do
		[ "$p" = "$pid" ] && continue
		for t in /proc/"$p"/task/*; do echo "${t##*/}" >"$freezer_dir/tasks" 2>/dev/null; done	# (a zombie cannot move)
	done
	freezer_args=(--freeze-cgroup "$freezer_dir")
	# CR_FREEZER_FROZEN=1: the cgroup is already frozen by the user; it must be again after.
	if [ "${CR_FREEZER_FROZEN:-0}" = 1 ]; then
		echo FROZEN >"$freezer_dir/freezer.state"
		for ((i = 0; i < 200; i++)); do [ "$(cat "$freezer_dir/freezer.state")" = FROZEN ] && break; sleep 0.01; done
	fi
fi

fd_table() { # PID: "fd -> target" lines
	local f
	for f in /proc/$1/fd/*; do echo "${f##*/} -> $(readlink "$f")"; done | sort -n
}

untouched() {
	local t s
	t=$(tracer_of "$pid")
	[ "$t" = "$tracer_before" ] || die "pid $pid is traced by $t (was $tracer_before before the dump)"
	s=$(state_of "$pid")
	case "$s" in t|Z|X) die "pid $pid is in state $s after the dump";; esac
	if [ -e "$W/maps.before" ]; then
		cat "/proc/$pid/maps" >"$W/maps.after"
		diff -u "$W/maps.before" "$W/maps.after" >&2 || die "the address space of $pid changed"
	fi
	# No fd of the dumper's (the parasite's channel) may stay behind.
	if [ -e "$W/fds.before" ]; then
		fd_table "$pid" >"$W/fds.after"
		diff -u "$W/fds.before" "$W/fds.after" >&2 || die "the fd table of $pid changed"
	fi
}

# CR_MAX_RSS_KB: the dumper's peak RSS (logged) must stay below it.
check_rss() {
	local kb
	[ -n "${CR_MAX_RSS_KB:-}" ] || return 0
	kb=$(sed -n 's/.*dumper max RSS \([0-9]*\) KiB.*/\1/p' "$W/dump.log")
	[ -n "$kb" ] || die "no 'dumper max RSS' in the dump log"
	[ "$kb" -le "$CR_MAX_RSS_KB" ] || die "dumper RSS $kb KiB exceeds $CR_MAX_RSS_KB KiB"
	log "dumper max RSS $kb KiB (limit $CR_MAX_RSS_KB)"
}

roundtrip() {
	local rt
	rt=$(dirname "$0")/../../image/roundtrip-dir.sh
	if [ -x "$rt" ]; then
		"$rt" "$W/img" >"$W/roundtrip.log" 2>&1 || die "image round trip failed"
	fi
}

case "$mode" in
full)
	cr_dump "${freezer_args[@]}" || die "dump failed"
	wait "$pid" 2>/dev/null
	kill -0 "$pid" 2>/dev/null && die "pid $pid still exists after dump"
	# Restore at once, the round trip after (the image is not changed by a
	# restore): while the pids are free, another process may take one
	# (pid_max 32768 wraps in about a minute on a busy host).
	cr_restore
	roundtrip
	cr_finish
	;;
dump-only)
	cr_dump "${freezer_args[@]}" --leave-stopped || die "dump failed"
	[ "$(state_of "$pid")" = T ] || die "pid $pid not stopped after --leave-stopped ($(state_of "$pid"))"
	[ "$(tracer_of "$pid")" = 0 ] || die "pid $pid still traced"
	[ -e "$W/img/inventory.img" ] || die "no inventory.img"
	if [ -n "${IMG_CHECK:-}" ]; then
		"$IMG_CHECK" "$W/img" >"$W/img-check.log" 2>&1 || { cat "$W/img-check.log" >&2; die "image does not match the tree"; }
	fi
	roundtrip
	kill -CONT -- "-$pid"	# the whole process group: children were stopped too
	cr_finish
	;;
leave-running)
	cat "/proc/$pid/maps" >"$W/maps.before"
	fd_table "$pid" >"$W/fds.before"
	tracer_before=$(tracer_of "$pid")
	if [ "${CR_STOPPED:-0}" = 1 ]; then	# dump a task that is in a job-control stop
		kill -STOP -- "-$pid"
		for ((i = 0; i < 200; i++)); do [ "$(state_of "$pid")" = T ] && break; sleep 0.01; done
		[ "$(state_of "$pid")" = T ] || die "pid $pid did not stop"
	fi
	cr_dump "${freezer_args[@]}" -R ||
		die "dump failed"
	[ -e "$W/img/inventory.img" ] || die "no inventory.img"
	if [ "${CR_STOPPED:-0}" = 1 ]; then
		[ "$(state_of "$pid")" = T ] || die "pid $pid was stopped before the dump and runs after it"
		kill -CONT -- "-$pid"
	fi
	if [ "${CR_FREEZER_FROZEN:-0}" = 1 ]; then
		[ "$(cat "$freezer_dir/freezer.state")" = FROZEN ] || die "the frozen cgroup was left $(cat "$freezer_dir/freezer.state")"
		echo THAWED >"$freezer_dir/freezer.state"
	fi
	untouched
	check_rss
	roundtrip
	cr_finish
	;;
fault=*|refuse)
	cat "/proc/$pid/maps" >"$W/maps.before"
	fd_table "$pid" >"$W/fds.before"
	tracer_before=$(tracer_of "$pid")
	if [ "$mode" = refuse ]; then
		cr_dump -R && die "dump succeeded but must refuse"
		if [ -n "${CR_EXPECT:-}" ]; then
			grep -q -- "$CR_EXPECT" "$W/dump.log" || die "dump log does not say '$CR_EXPECT'"
		fi
	else
		CRYO_FAULT=${mode#fault=} cr_dump -R &&
			die "dump succeeded despite CRYO_FAULT=${mode#fault=}"
		grep -q "fault injected at ${mode#fault=}" "$W/dump.log" || die "fault point ${mode#fault=} was not reached"
	fi
	[ -e "$W/img/inventory.img" ] && die "a failed dump committed an image"
	leftovers=$(ls -A "$W/img" 2>/dev/null)
	[ -z "$leftovers" ] || die "a failed dump left files: $leftovers"
	untouched
	cr_finish
	;;
*)
	die "unknown mode $mode"
	;;
esac
