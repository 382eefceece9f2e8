#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Full C/R of a tree that lives in its own namespaces (docs/namespaces.md).
#
#   ns-run.sh [--ns "LAUNCH FLAGS"] [--cgroup MODE] [--features "F..."] [--faults] PROG [ARGS...]
#
# PROG (a zt program) is started by ns-launch as the init of the namespaces in
# --ns (--user --pid --uts --ipc --cgroupns --time MONO,BOOT); it sets up its
# state, creates its children, signals ready (ZT_PIDFILE), waits for SIGTERM
# and checks everything itself.  The runner dumps it (the tree is killed),
# restores it with -d, sends SIGTERM to the new root and takes the verdict.
#
# --cgroup MODE: the tree starts in v1 pids and memory cgroups cryo-ns-PID with
# pids.max 77 and memory.limit_in_bytes 256M (and in the v2 cgroup cryo-ns-PID
# when a cgroup2 hierarchy is mounted: membership only); after the dump the runner
# prepares the host for the --manage-cgroups MODE and checks, after restore,
# the membership and pids.max from outside:
#   none   cgroups kept, pids.max reset to max: restore keeps max
#   ignore cgroups kept: the restored tree stays in cryo-cr's cgroups
#   strict cgroups removed: restore creates them with 77 (they must not exist)
#   props  cgroups kept, pids.max reset: restore writes 77 back
#   soft   cgroups removed: restore creates them with 77
#   full   cgroups kept, pids.max reset: restore writes 77 back
#   root   --cgroup-root pids:/cryo-ns-PID-moved: restored there (soft), 77
#   frozen also a v1 freezer cgroup, FROZEN by the runner before the dump (a
#          paused container), dumped with --freeze-cgroup; cgroups removed;
#          restore (soft) must leave it FROZEN; the runner thaws it to verify
#   frozen-v2  the v2 cgroup frozen by the runner (cgroup.freeze 1): the dump
#          must refuse it by name (not hang), the tree left alive and frozen;
#          then it is thawed and the test ends there (no restore)
# --faults: first restore once at each restore fault point (CRYO_FAULT): it must
# fail and leave no task of the tree behind (the pid namespace goes with its init);
# with --cgroup also at restore-cgroup (a task just put in its cgroups), and the
# cgroups the failed restore created must be gone, those that were there before
# it must still be there.
# Exit: 0 PASS, 77 SKIP, 1 FAIL.  Everything created is removed on exit.
set -u

ns_flags=
cg_mode=
features="clone3-set-tid"
faults=0
while [ $# -gt 0 ]; do
	case "$1" in
	--ns) ns_flags=$2; shift 2;;
	--cgroup) cg_mode=$2; shift 2;;
	--features) features="$features $2"; shift 2;;
	--faults) faults=1; shift;;
	*) break;;
	esac
done
[ $# -ge 1 ] || { echo "usage: $0 [--ns FLAGS] [--cgroup MODE] PROG [ARGS...]" >&2; exit 1; }

CRYO_CR=${CRYO_CR:?CRYO_CR must name cryo-cr}
NS_LAUNCH=${NS_LAUNCH:?NS_LAUNCH must name ns-launch}
TIMEOUT=${CR_TEST_TIMEOUT:-20}
name=$(basename "$1")${cg_mode:+-$cg_mode}
W=$(mktemp -d "/tmp/cr-ns.$name.XXXXXX")
result=1
cg_dirs=()

log() { echo "[$name] $*" >&2; }
. "$(dirname "$0")/../lib/cr-common.sh"
. "$(dirname "$0")/../../lib/require.sh"

kill_tree() {	# kill_tree PID: the task and, if it is a pid namespace's init, everything in it
	[ -n "$1" ] && kill -KILL "$1" 2>/dev/null
}

cleanup() {
	kill_tree "$(cat "$W/launched.pid" 2>/dev/null)"
	kill_tree "$(cat "$W/restored.pid" 2>/dev/null)"
	local d t i
	for d in "${cg_dirs[@]}"; do
		[ -e "$d/freezer.state" ] && echo THAWED >"$d/freezer.state" 2>/dev/null
		[ -e "$d/cgroup.freeze" ] && echo 0 >"$d/cgroup.freeze" 2>/dev/null
		for t in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -KILL "$t" 2>/dev/null; done
		for ((i = 0; i < 100; i++)); do [ -d "$d" ] || break; rmdir "$d" 2>/dev/null && break; sleep 0.05; done
	done
	[ $result -eq 0 ] || [ $result -eq 77 ] || cr_dump_logs "$W" 60
	if [ "${CR_KEEP:-0}" = 1 ]; then log "work dir kept: $W"; else rm -rf "$W"; fi
}
CR_TRACK_PRE=cleanup
# The whole tree is killed on exit (cr-common.sh); a tree whose cgroups are
# tested is not put in a tracking cgroup (cleanup kills its own cgroups).
cr_track_begin ${cg_mode:+--no-cgroup}

die() { log "FAIL: $*"; result=1; exit 1; }
skip() { log "SKIP: $*"; result=77; exit 77; }

# shellcheck disable=SC2086
require_feature $features

cg_mount() { awk -v c="$1" '$3 == "cgroup" && $4 ~ "(^|,)" c "(,|$)" {print $2; exit}' /proc/mounts; }
cg2_mount() { awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts; }

cg_setup() {
	local c m ctl=(pids memory)
	[ "$cg_mode" = frozen ] && ctl+=(freezer)
	for c in "${ctl[@]}"; do
		m=$(cg_mount $c)
		[ -n "$m" ] || skip "no v1 $c cgroup mounted"
		mkdir "$m/cryo-ns-$$" || die "cannot create $m/cryo-ns-$$"
		cg_dirs+=("$m/cryo-ns-$$")
	done
	[ "$cg_mode" = root ] && cg_dirs+=("$(cg_mount pids)/cryo-ns-$$-moved")
	m=$(cg2_mount)
	[ -n "$m" ] || [ "$cg_mode" != frozen-v2 ] || skip "no cgroup2 hierarchy mounted"
	if [ -n "$m" ]; then
		mkdir "$m/cryo-ns-$$" || die "cannot create $m/cryo-ns-$$"
		cg_dirs+=("$m/cryo-ns-$$")
	fi
	echo 77 >"$(cg_mount pids)/cryo-ns-$$/pids.max" || die "cannot set pids.max"
	echo 268435456 >"$(cg_mount memory)/cryo-ns-$$/memory.limit_in_bytes" || die "cannot set memory.limit_in_bytes"
}

# After the dump, before the restore: the host as the mode expects it.
cg_before_restore() {
	local p
	p=$(cg_mount pids)/cryo-ns-$$
	case "$cg_mode" in
	none|props|full) echo max >"$p/pids.max" || die "cannot reset pids.max";;
	ignore) ;;
	soft|root|frozen|strict)
		local d i
		for d in "${cg_dirs[@]}"; do
			for ((i = 0; i < 100; i++)); do [ -d "$d" ] || break; rmdir "$d" 2>/dev/null && break; sleep 0.05; done
			[ ! -d "$d" ] || die "cannot remove $d"
		done;;
	*) die "unknown cgroup mode $cg_mode";;
	esac
}

cg_restore_args() {
	case "$cg_mode" in
	root) echo "--manage-cgroups=soft --cgroup-root pids:/cryo-ns-$$-moved";;
	frozen) echo "--manage-cgroups=soft";;
	*) echo "--manage-cgroups=$cg_mode";;
	esac
}

# After a failed restore: the cgroups it created are gone, the others are still there.
cg_check_after_fault() {
	local d
	for d in "${cg_dirs[@]}"; do
		case "$cg_mode" in
		soft|root|frozen|strict) [ -d "$d" ] && die "cgroup $d created by the restore that failed at $1 is still there";;
		*) case "$d" in *-moved) ;; *) [ -d "$d" ] || die "cgroup $d, there before the restore that failed at $1, is gone";; esac;;
		esac
	done
}

cg_check() {
	local pid=$1 want_pids=77 pdir=/cryo-ns-$$ got
	if [ "$cg_mode" = ignore ]; then
		grep -q "cryo-ns-$$" "/proc/$pid/cgroup" && die "--manage-cgroups ignore: restored task $pid is in its old cgroups"
		grep -qx "[0-9]*:pids:$(awk -F: '$2 == "pids" {print $3}' /proc/self/cgroup)" "/proc/$pid/cgroup" ||
			die "--manage-cgroups ignore: restored task $pid is not in cryo-cr's pids cgroup"
		log "cgroups (ignore): the restored tree is in cryo-cr's cgroups"
		return
	fi
	if [ -n "$(cg2_mount)" ]; then
		grep -qx "0::/cryo-ns-$$" "/proc/$pid/cgroup" || die "restored task $pid is not in the v2 cgroup /cryo-ns-$$"
	fi
	[ "$cg_mode" = none ] && want_pids=max
	[ "$cg_mode" = root ] && pdir=/cryo-ns-$$-moved
	grep -qx "[0-9]*:pids:$pdir" "/proc/$pid/cgroup" || die "restored task $pid is not in pids:$pdir: $(grep pids /proc/$pid/cgroup)"
	grep -qx "[0-9]*:memory:/cryo-ns-$$" "/proc/$pid/cgroup" || die "restored task $pid is not in memory:/cryo-ns-$$"
	got=$(cat "$(cg_mount pids)$pdir/pids.max")
	[ "$got" = "$want_pids" ] || die "pids.max of $pdir is $got, want $want_pids (--manage-cgroups $cg_mode)"
	got=$(cat "$(cg_mount memory)/cryo-ns-$$/memory.limit_in_bytes")
	[ "$got" = 268435456 ] || die "memory.limit_in_bytes is $got after restore"
	log "cgroups ($cg_mode): pids:$pdir pids.max $want_pids, memory:/cryo-ns-$$ limit 256M"
	if [ "$cg_mode" = frozen ]; then
		local f
		f=$(cg_mount freezer)/cryo-ns-$$
		grep -qx "[0-9]*:freezer:/cryo-ns-$$" "/proc/$pid/cgroup" || die "restored task $pid is not in freezer:/cryo-ns-$$"
		got=$(cat "$f/freezer.state")
		[ "$got" = FROZEN ] || die "the paused tree's freezer cgroup is $got after restore, not FROZEN"
		log "freezer:/cryo-ns-$$ FROZEN after restore; thawing it"
		echo THAWED >"$f/freezer.state" || die "cannot thaw $f"
	fi
}

# Close inherited fds > 2 so the tested program does not get them.
for fd in /proc/$$/fd/*; do
	n=${fd##*/}
	[ "$n" -gt 2 ] 2>/dev/null && [ "$n" != 255 ] && eval "exec $n>&-" 2>/dev/null
done

[ -n "$cg_mode" ] && cg_setup
# Root of a --user-shifted namespace is host uid 100000: it writes its verdict here.
case " $ns_flags " in *" --user-shifted "*) chown 100000:100000 "$W" || die "cannot chown $W";; esac
# shellcheck disable=SC2086
(
	if [ -n "$cg_mode" ]; then
		for d in "${cg_dirs[@]}"; do
			case "$d" in *-moved) ;; *) echo "$BASHPID" >"$d/cgroup.procs" || exit 1;; esac
		done
	fi
	exec env ZT_PIDFILE="$W/ready" ZT_OUT="$W/result" "$NS_LAUNCH" $ns_flags --pidfile "$W/launched.pid" -- "$@"
) </dev/null >"$W/prog.out" 2>"$W/prog.err"
[ $? -eq 0 ] || { grep -q "Operation not permitted\|Invalid argument" "$W/prog.err" && skip "cannot create the namespaces: $(cat "$W/prog.err")"; die "ns-launch failed: $(cat "$W/prog.err")"; }
cr_wait_file "$W/ready" 10 || {
	grep -q '^SKIP' "$W/result" 2>/dev/null && skip "$(head -n1 "$W/result")"
	die "program did not become ready in 10s: $(cat "$W/result" "$W/prog.err" 2>/dev/null)"
}
pid=$(cat "$W/launched.pid")
log "started pid $pid (ns: ${ns_flags:-none})"
# Tasks of this run's tree (their environment names this run's result file;
# other runs of the same program may be going on).
tree_tasks() { grep -lazx "ZT_OUT=$W/result" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3; }
[ $faults = 0 ] || tree_tasks | grep -qx "$pid" || die "the tree cannot be found by its environment"

if [ "$cg_mode" = frozen-v2 ]; then
	f=$(cg2_mount)/cryo-ns-$$
	echo 1 >"$f/cgroup.freeze" || die "cannot freeze $f"
	for ((i = 0; i < 200; i++)); do grep -qx "frozen 1" "$f/cgroup.events" && break; sleep 0.01; done
	grep -qx "frozen 1" "$f/cgroup.events" || die "$f did not freeze"
	timeout -s KILL 20 "$CRYO_CR" dump -t "$pid" -D "$W/img" -v4 -o "$W/dump.log" --log-format text
	rc=$?
	[ $rc = 137 ] && die "the dump of a tree in a frozen cgroup v2 hung (killed after 20 s)"
	[ $rc = 0 ] && die "the dump of a tree in a frozen cgroup v2 succeeded"
	grep -q "is in the frozen cgroup v2 /cryo-ns-$$" "$W/dump.log" || die "the refusal does not name the frozen cgroup: $(grep ' E: ' "$W/dump.log")"
	kill -0 "$pid" 2>/dev/null || die "the tree is gone after the refused dump"
	grep -qx "frozen 1" "$f/cgroup.events" || die "the refused dump thawed $f"
	echo 0 >"$f/cgroup.freeze"
	log "dump of a tree in a frozen cgroup v2: refused by name, the tree left frozen and alive"
	result=0
	exit 0
fi

freeze_args=()
if [ "$cg_mode" = frozen ]; then
	f=$(cg_mount freezer)/cryo-ns-$$
	echo FROZEN >"$f/freezer.state"
	for ((i = 0; i < 200; i++)); do [ "$(cat "$f/freezer.state")" = FROZEN ] && break; sleep 0.01; done
	[ "$(cat "$f/freezer.state")" = FROZEN ] || die "cannot freeze $f"
	freeze_args=(--freeze-cgroup "$f")
fi
"$CRYO_CR" dump -t "$pid" -D "$W/img" -v4 -o "$W/dump.log" --log-format text "${freeze_args[@]}" || die "dump failed"
for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$pid" 2>/dev/null && die "pid $pid still exists after dump"
rt=$(dirname "$0")/../../image/roundtrip-dir.sh
if [ -x "$rt" ]; then "$rt" "$W/img" >"$W/roundtrip.log" 2>&1 || die "image round trip failed"; fi

cg_args=
if [ -n "$cg_mode" ]; then cg_before_restore; cg_args=$(cg_restore_args); fi
if [ $faults = 1 ]; then
	points="fork mem restorer before-resume"
	[ -n "$cg_mode" ] && points="$points cgroup"
	for point in $points; do
		# shellcheck disable=SC2086
		CRYO_FAULT=restore-$point "$CRYO_CR" restore -D "$W/img" -d --pidfile "$W/fault.pid" -v4 -o "$W/restore-fault.log" \
			--log-format text $cg_args && die "restore succeeded despite CRYO_FAULT=$point"
		grep -q "fault injected at restore-$point" "$W/restore-fault.log" || die "restore fault point $point not reached"
		for ((i = 0; i < 100; i++)); do [ -z "$(tree_tasks)" ] && break; sleep 0.05; done
		[ -z "$(tree_tasks)" ] || die "tasks left after the restore failed at $point: $(tree_tasks)"
		[ -e "$W/fault.pid" ] && die "a failed restore wrote its pidfile"
		[ -n "$cg_mode" ] && cg_check_after_fault "$point"
	done
	log "restore faults $points: nothing left behind"
fi
# shellcheck disable=SC2086
"$CRYO_CR" restore -D "$W/img" -d --pidfile "$W/restored.pid" -v4 -o "$W/restore.log" --log-format text $cg_args ||
	die "restore failed"
new=$(cat "$W/restored.pid")
log "restored as pid $new"
[ -n "$cg_mode" ] && cg_check "$new"

kill -TERM "$new" || die "cannot signal $new"
cr_wait_file "$W/result" "$TIMEOUT" || die "no result from the test within ${TIMEOUT}s"
verdict=$(head -n1 "$W/result")
case "$verdict" in
PASS*) log "PASS"; result=0; exit 0;;
SKIP*) skip "$verdict";;
*) die "test says: $verdict";;
esac
