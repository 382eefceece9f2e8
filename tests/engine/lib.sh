# Shared by the engine tests (bash; sourced, not run).
#
# Each test drives a real engine (podman, containerd) against an OCI runtime given as the
# test's first argument (meson passes the cryo built in this tree) or CRYO_ENGINE_RUNTIME
# (e.g. /usr/sbin/runc, to check the test itself). Everything the engine writes goes under one
# private temp dir, removed at exit along with any process, mount and cgroup left behind.
#
# Exit codes: 0 pass, 1 fail (the engine step that failed is named), 77 skip: only for causes
# outside the runtime under test (engine not installable, engine cannot start, image import),
# never because a step that involves the runtime failed.

set -u
set -o pipefail

engine_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source_root=$(cd "$engine_dir/../.." && pwd)
test_name=$(basename "$0" .sh)

say() { echo "[$(date -u +%H:%M:%S)] $test_name: $*"; }

skip() {
	echo "" >&2
	echo "******** SKIP $test_name: $* ********" >&2
	echo "******** (not a runtime failure; the engine cannot run on this machine) ********" >&2
	exit 77
}

# Hooks a test sets: diagnose (print what helps explain a failure), cleanup (undo everything).
diagnose() { :; }
cleanup() { :; }

fail() {
	echo "" >&2
	echo "FAIL $test_name: $*" >&2
	echo "  runtime: $runtime" >&2
	diagnose >&2
	exit 1
}

# bounded SECONDS CMD...: run CMD with a deadline; a hung engine becomes a failure, not a hang.
bounded() {
	local secs=$1
	shift
	timeout -k 5 "$secs" "$@"
	local rc=$?
	if [ $rc -eq 124 ]; then
		echo "timed out after ${secs}s: $*" >&2
	elif [ $rc -eq 137 ]; then
		echo "exit 137: SIGKILLed (by timeout after ${secs}+5s, or by someone else): $*" >&2
	fi
	return $rc
}

# step NAME SECONDS CMD...: run one engine step, keep its output in $out (also echoed) and its
# exit code in $rc. Never fails by itself: the caller states what the step must produce.
out=""
rc=0
step_prefix=""	# set to "${engine_cmd[*]}" and step_label to "podman" to shorten the log
step_label=""
step() {
	local name=$1 secs=$2
	shift 2
	local shown="$*"
	# Engine commands carry long private-path prefixes; show them as the bare engine name.
	[ -n "${step_prefix:-}" ] && shown=${shown/#"$step_prefix"/$step_label}
	say "step: $name: $shown"
	local started=$SECONDS
	out=$(bounded "$secs" "$@" 2>&1)
	rc=$?
	# Timed out: 124, or 137 when the engine ignored timeout's SIGTERM (podman run does).
	[ $((SECONDS - started)) -ge "$secs" ] && runtime_hung=1
	[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/    | /'
	say "step: $name: exit $rc"
	return 0
}

# Once a step has timed out the runtime is likely hung: teardown then waits briefly on the
# engine (cleanup_secs) and kills, so a hanging runtime costs each test seconds, not minutes.
runtime_hung=0
cleanup_secs() { [ "$runtime_hung" = 1 ] && echo 3 || echo "$1"; }

# expect_rc NAME WANT: the last step's exit code must be WANT.
expect_rc() {
	[ "$rc" -eq "$2" ] || fail "$1: exit code $rc, expected $2; output: $out"
}

# expect_out NAME PATTERN: the last step's output must match the extended regex PATTERN.
expect_out() {
	printf '%s\n' "$out" | grep -Eq -- "$2" || fail "$1: output does not match /$2/: $out"
}

# wait_until SECONDS DESCRIPTION CMD...: poll CMD until it succeeds. CMD may be a shell
# function; it must bound its own engine calls (with bounded).
wait_until() {
	local secs=$1 what=$2
	shift 2
	local deadline=$(($(date +%s) + secs))
	while [ "$(date +%s)" -lt "$deadline" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	fail "$what: not reached within ${secs}s"
}

# need_packages CMD...: make sure the engine's commands exist, installing the test deps if not.
need_packages() {
	local missing="" c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
	done
	[ -z "$missing" ] && return 0
	say "missing:$missing; running contrib/install-deps.sh --test"
	bounded 900 "$source_root/contrib/install-deps.sh" --test ||
		skip "cannot install$missing (contrib/install-deps.sh --test failed: apt unreachable?)"
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "$c still missing after install-deps"
	done
}

# resolve_runtime DEFAULT: sets $runtime (real path) and $runtime_name. Bad input is an error.
resolve_runtime() {
	local given=${CRYO_ENGINE_RUNTIME:-${1:-}}
	if [ -z "$given" ]; then
		echo "$test_name: no runtime: pass its path as argument 1 or set CRYO_ENGINE_RUNTIME" >&2
		exit 1
	fi
	runtime=$(readlink -f "$given" 2>/dev/null)
	if [ -z "$runtime" ] || [ ! -f "$runtime" ] || [ ! -x "$runtime" ]; then
		echo "$test_name: runtime '$given' is not an executable file" >&2
		exit 1
	fi
	runtime_name=$(basename "$runtime")
}

# make_workdir: $work, a private temp dir, and the EXIT trap that tears everything down.
make_workdir() {
	work=$(mktemp -d "${TMPDIR:-/tmp}/cryo-engine-$test_name.XXXXXX") || exit 1
	trap 'teardown' EXIT
	trap 'exit 1' INT TERM
}

teardown() {
	local status=$?
	trap - EXIT
	cleanup
	kill_leftovers
	unmount_under "$work"
	if grep -q " $work" /proc/self/mountinfo; then
		echo "$test_name: mounts remain under $work; leaving it" >&2
	elif [ "${CRYO_ENGINE_KEEP:-0}" = 1 ]; then
		echo "$test_name: keeping $work (CRYO_ENGINE_KEEP=1)" >&2
	else
		rm -rf "$work"
	fi
	exit $status
}

# The spy: engines call $engine_runtime, a copy of runtime-spy.sh named like the runtime (engines
# key behaviour on that name), which records every call into $spy_log and execs $runtime.
# CRYO_ENGINE_SPY=0 hands engines the runtime itself.
setup_runtime_for_engine() {
	spy_log=$work/runtime-calls.log
	if [ "${CRYO_ENGINE_SPY:-1}" = 0 ]; then
		engine_runtime=$runtime
		return
	fi
	mkdir -p "$work/spy"
	cp "$engine_dir/runtime-spy.sh" "$work/spy/$runtime_name"
	chmod 755 "$work/spy/$runtime_name"
	printf 'SPY_REAL=%q\nSPY_LOG=%q\n' "$runtime" "$spy_log" >"$work/spy/spy.env"
	engine_runtime=$work/spy/$runtime_name
}

# The runtime calls seen so far, argv only, one line per call.
print_runtime_calls() {
	[ -s "${spy_log:-/nonexistent}" ] || return 0
	echo "  runtime calls (from the spy, $spy_log):"
	awk '/^=== /{if (l) print l; l="   "; next} /^argv: /{sub(/^argv: /,""); l=l" "$0} END{if (l) print l}' \
		"$spy_log"
	# Save a copy next to the build's test logs (meson sets CRYO_ENGINE_LOGDIR), where it
	# survives the temp dir.
	if [ -n "${CRYO_ENGINE_LOGDIR:-}" ] && [ -d "$CRYO_ENGINE_LOGDIR" ]; then
		cp "$spy_log" "$CRYO_ENGINE_LOGDIR/engine-$test_name-runtime-calls.log"
	fi
}

# Pids recorded in pid files under DIR (containers' init pids, shims, conmon).
pids_from_files_under() {
	find "$1" -xdev \( -name '*.pid' -o -name pidfile -o -name exec_pid \) -type f \
		-exec cat {} + 2>/dev/null | tr -c '0-9' '\n' | grep -E '^[0-9]+$' | sort -u
}

is_live() {	# is_live PID: the process exists and is not a zombie
	local state
	state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)
	[ -n "$state" ] && [ "$state" != Z ]
}

# Containers get a cgroup parent of their own (podman --cgroup-parent, containerd's namespace),
# so whatever a runtime leaves running in it can be found and killed.
cgroup_parent=cryo-engine-$$

# track_pid PID: a container process the test has seen; killed at exit if still there.
tracked_pids=""
track_pid() { tracked_pids="$tracked_pids $1"; }

# Pids of live processes, other than this shell, whose command line mentions $work.
pids_mentioning_work() {
	local p
	for p in $(grep -laF -- "$work/" /proc/[0-9]*/cmdline 2>/dev/null); do
		p=${p#/proc/}
		p=${p%/cmdline}
		[ "$p" = $$ ] || [ "$p" = "$BASHPID" ] || ! is_live "$p" || echo "$p"
	done
}

# wait_engine_quiet SECONDS: let the engine's own background work finish (conmon runs
# `podman container cleanup` when a container exits, after the podman command returned).
wait_engine_quiet() {
	local deadline=$(($(date +%s) + $1))
	while [ -n "$(pids_mentioning_work)" ] && [ "$(date +%s)" -lt "$deadline" ]; do
		sleep 0.1
	done
}

# Processes started on our behalf that the engine failed to stop: every process in our cgroup
# parent, tracked container pids and pids named in pid files under $work (both only when in
# another pid namespace: a pid may be reused), and every process whose command line mentions
# $work (conmon, shims). Killed one by one, by pid; a container's init takes its pid namespace
# with it.
kill_leftovers() {
	local pids="" p our_pidns
	our_pidns=$(readlink /proc/self/ns/pid)
	pids=$(cat $(find $(test_cgroup_dirs "$cgroup_parent") -name cgroup.procs 2>/dev/null) \
		/dev/null 2>/dev/null)
	for p in $tracked_pids; do
		[ "$(readlink "/proc/$p/ns/pid" 2>/dev/null)" != "$our_pidns" ] && pids="$pids $p"
	done
	for p in $(pids_from_files_under "$work"); do
		[ "$(readlink "/proc/$p/ns/pid" 2>/dev/null)" != "$our_pidns" ] && pids="$pids $p"
	done
	pids="$pids $(pids_mentioning_work)"
	local killed=""
	for p in $(printf '%s\n' $pids | sort -un); do
		# Gone, or a zombie waiting for its parent: nothing to kill.
		is_live "$p" || continue
		say "cleanup: killing leftover pid $p ($({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | cut -c1-100))"
		kill -KILL "$p" 2>/dev/null && killed="$killed $p"
	done
	# Give them a moment to go, so their cgroups can be removed after.
	local i
	for i in $(seq 50); do
		for p in $killed; do
			is_live "$p" && break
			killed=${killed/ $p/}
		done
		[ -z "$killed" ] && break
		sleep 0.1
	done
	return 0
}

unmount_under() {
	local dir=$1 m
	[ -n "$dir" ] || return 0
	# Deepest first.
	for m in $(awk -v d="$dir" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	return 0
}

# remember_absent PATH...: note which of these host paths do not exist yet, so that
# remove_if_was_absent can take away what the engine creates there as a side effect.
# A path ending in "/" is a shared directory (runtime roots, cgroups: other users may appear in
# it meanwhile): only its empty directories are removed. Others are removed whole.
absent_before=""
remember_absent() {
	local p
	for p in "$@"; do
		[ -e "$p" ] || absent_before="$absent_before $p"
	done
}

remove_if_was_absent() {
	local p
	for p in $absent_before; do
		case "$p" in
		*/) [ -d "$p" ] && find "$p" -depth -type d -exec rmdir {} \; 2>/dev/null ;;
		*)
			# Another engine run may have started using it meanwhile (podman maps its shm
			# lock file): leave it then.
			grep -qsF -- "$p" /proc/[0-9]*/maps && continue
			rm -rf "$p"
			;;
		esac
	done
	return 0
}

cgroup_v1_dirs() {	# cgroup_v1_dirs NAME: NAME/ under every cgroup hierarchy mounted
	local h
	for h in /sys/fs/cgroup/*/; do
		[ -e "$h/cgroup.procs" ] && echo "$h$1/"
	done
}

# test_cgroup_dirs NAME: where containers under cgroup parent NAME may land: NAME/ at the root of
# every hierarchy (what the OCI spec says), and NAME/ below this test's own cgroup in each (where
# a runtime that nests cgroupsPath under its caller's cgroup puts them).
test_cgroup_dirs() {
	local h own name
	cgroup_v1_dirs "$1"
	for h in /sys/fs/cgroup/*/; do
		[ -e "$h/cgroup.procs" ] || continue
		name=$(basename "$h")
		[ "$name" = systemd ] && name=name=systemd
		[ "$name" = unified ] && name=""
		own=$(awk -F: -v c="$name" '{ n = split($2, a, ","); if (c == "" && $2 == "") print $3;
			for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' /proc/self/cgroup | head -1)
		[ -n "$own" ] && [ "$own" != / ] && echo "$h${own#/}/$1/"
	done
}

# cgroup_of PID CONTROLLER: the process's cgroup path in the v1 hierarchy holding CONTROLLER.
cgroup_of() {
	awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' \
		"/proc/$1/cgroup" 2>/dev/null | head -1
}

# check_cgroup_placement PID WANT NAME: where the container's cgroup must be. An absolute
# cgroupsPath is relative to the root of each hierarchy (OCI runtime spec, config-linux.md),
# not to the cgroup of whoever called the runtime: engines and tools look for it there.
check_cgroup_placement() {
	local pid=$1 want=$2 name=$3 c got bad=""
	for c in memory pids cpu freezer devices; do
		got=$(cgroup_of "$pid" "$c")
		[ "$got" = "$want" ] || bad="$bad $c:$got"
	done
	[ -z "$bad" ] || fail "$name: container cgroup is not $want (cgroupsPath is relative to the hierarchy root); the container is in$bad"
}
