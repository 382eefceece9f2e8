#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 'cryo-cr restore' command line, CRIU semantics:
#  - missing or bad -D, unknown options and unsupported CRIU options fail by name;
#  - without -d cryo-cr waits for the root and exits with its status;
#  - a pid of the image that is in use fails the restore naming it, nothing created;
#  - --shell-job restores a job of the caller's session (own group, caller's session).
# Needs: CRYO_CR, ZT_EXIT_PROG (zt-rst-exit).
set -u
CR=${CRYO_CR:?}
PROG=${ZT_EXIT_PROG:?}
W=$(mktemp -d /tmp/restore-cli.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$W"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$W"/*.log "$W"/*.err; do [ -s "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }; done; exit 1; }

expect_fail() { # TEXT CMD...
	local text=$1
	shift
	"$@" >"$W/out.log" 2>&1 && fail "'$*' succeeded"
	[ $? -eq 1 ] || fail "'$*' did not exit with 1"
	grep -q -- "$text" "$W/out.log" || fail "'$*' does not say '$text': $(cat "$W/out.log")"
}

wait_file() { local i; for ((i = 0; i < 200; i++)); do [ -s "$1" ] && return 0; sleep 0.05; done; return 1; }
gone() { local i; for ((i = 0; i < 250; i++)); do [ -e "/proc/$1" ] || return 0; sleep 0.02; done; return 1; }

expect_fail "-D DIR" "$CR" restore
expect_fail "$W/nothing" "$CR" restore -D "$W/nothing"
expect_fail "expected fd.N.:KEY" "$CR" restore -D "$W" --inherit-fd=fd[x]:y
expect_fail "fd 77 is not open" "$CR" restore -D "$W" --inherit-fd=fd[77]:y
expect_fail "option --tcp-close is not supported" "$CR" restore -D "$W" --tcp-close
expect_fail "unknown option" "$CR" restore -D "$W" --no-such-option
expect_fail "bad verbosity" "$CR" restore -D "$W" -v9

for fd in /proc/$$/fd/*; do
	n=${fd##*/}
	[ "$n" -gt 2 ] 2>/dev/null && [ "$n" != 255 ] && eval "exec $n>&-" 2>/dev/null
done

start() { # DIR [setsid]
	mkdir -p "$1"
	if [ "${2:-}" = setsid ]; then
		ZT_PIDFILE=$1/pid ZT_OUT=$1/result ZT_EXIT=3 setsid "$PROG" </dev/null >"$1/prog.err" 2>&1 &
	else
		ZT_PIDFILE=$1/pid ZT_OUT=$1/result ZT_EXIT=3 "$PROG" </dev/null >"$1/prog.err" 2>&1 &
	fi
	pid=$!
	pids+=("$pid")
	wait_file "$1/pid" || fail "program not ready"
}

# 1. Without -d: cryo-cr waits for the root and exits with its status (3).
start "$W/a" setsid
"$CR" dump -t "$pid" -D "$W/a/img" -o "$W/dump-a.log" --log-format text || fail "dump failed"
wait "$pid" 2>/dev/null
gone "$pid" || fail "dumped task still there"
"$CR" restore -D "$W/a/img" --pidfile "$W/a/rpid" -o "$W/restore-a.log" --log-format text &
crpid=$!
pids+=("$crpid")
wait_file "$W/a/rpid" || fail "no pid file"
[ "$(cat "$W/a/rpid")" = "$pid" ] || fail "pid file says $(cat "$W/a/rpid"), expected $pid"
kill -0 "$crpid" 2>/dev/null || fail "cryo-cr restore without -d did not wait"
[ "$(awk '{sub(/^.*\) /, ""); print $2}' /proc/$pid/stat)" = "$crpid" ] || fail "the root is not a child of cryo-cr"
kill -TERM "$pid"
wait "$crpid"
st=$?
[ $st -eq 3 ] || fail "cryo-cr restore exited with $st, the root with 3"
echo "ok: restore without -d exits with the root's status"

# 2. A pid of the image in use: the restore fails naming it, creates nothing.
start "$W/b" setsid
"$CR" dump -t "$pid" -D "$W/b/img" -R -o "$W/dump-b.log" --log-format text || fail "dump -R failed"
expect_fail "pid $pid needed by the image" "$CR" restore -D "$W/b/img" -d
kill -0 "$pid" || fail "the running original is gone"
kill -TERM "$pid"
wait "$pid"
[ $? -eq 3 ] || fail "the original did not run on normally"
echo "ok: a pid in use is named"

# 3. --shell-job: a job of our session with its own process group.
set -m
start "$W/c"
set +m
[ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$pid" ] || fail "job control did not give the job its own group"
mysid=$(ps -o sid= -p $$ | tr -d ' ')
"$CR" dump -t "$pid" -D "$W/c/img" -j -o "$W/dump-c.log" --log-format text || fail "dump --shell-job failed"
wait "$pid" 2>/dev/null
gone "$pid" || fail "dumped task still there"
expect_fail "shell-job" "$CR" restore -D "$W/c/img" -d
"$CR" restore -D "$W/c/img" -d -j -o "$W/restore-c.log" --log-format text || fail "restore --shell-job failed"
[ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$pid" ] || fail "the job lost its process group"
[ "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$mysid" ] || fail "the job is not in the caller's session"
grep -q '^SigCgt:.*4000$' "/proc/$pid/status" || fail "the job lost its SIGTERM handler"
kill -TERM "$pid"
for ((i = 0; i < 250; i++)); do
	[ "$(awk '/^State:/ {print $2}' /proc/$pid/status 2>/dev/null)" = S ] || break
	sleep 0.02
done
[ "$(awk '/^State:/ {print $2}' /proc/$pid/status 2>/dev/null)" != S ] || fail "the job does not end on SIGTERM"
echo "ok: --shell-job"

# 4. A task dumped in a job-control stop comes back stopped, and runs on with SIGCONT.
start "$W/d" setsid
kill -STOP "$pid"
for ((i = 0; i < 100; i++)); do [ "$(awk '/^State:/ {print $2}' /proc/$pid/status)" = T ] && break; sleep 0.02; done
"$CR" dump -t "$pid" -D "$W/d/img" -o "$W/dump-d.log" --log-format text || fail "dump of a stopped task failed"
wait "$pid" 2>/dev/null
gone "$pid" || fail "dumped task still there"
"$CR" restore -D "$W/d/img" -d -o "$W/restore-d.log" --log-format text || fail "restore of a stopped task failed"
for ((i = 0; i < 100; i++)); do [ "$(awk '/^State:/ {print $2}' /proc/$pid/status)" = T ] && break; sleep 0.02; done
[ "$(awk '/^State:/ {print $2}' /proc/$pid/status)" = T ] || fail "the task is not stopped after restore"
[ "$(awk '/^TracerPid:/ {print $2}' /proc/$pid/status)" = 0 ] || fail "the restored task is still traced"
kill -CONT "$pid"
kill -TERM "$pid"
for ((i = 0; i < 250; i++)); do [ -e /proc/$pid ] && [ "$(awk '/^State:/ {print $2}' /proc/$pid/status)" != Z ] || break; sleep 0.02; done
[ "$(awk '/^State:/ {print $2}' /proc/$pid/status 2>/dev/null)" != S ] || fail "the task does not run on after SIGCONT"
echo "ok: a stopped task stays stopped"
echo PASS
