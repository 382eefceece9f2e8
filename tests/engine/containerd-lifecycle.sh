#!/bin/bash
# containerd (1.6, runc shim v2) drives the runtime through a task's life, started and stopped
# by this test: run -d, task ls (RUNNING), task ps, exec (output, exit code, pid namespace),
# kill with SIGTERM (trapped: exits 6) and with SIGKILL, task rm, container rm.
#   containerd-lifecycle.sh [RUNTIME]     (CRYO_ENGINE_RUNTIME overrides RUNTIME)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/containerd-env.sh"
containerd_setup "${1:-}"

ticker='trap "echo got-sigterm; exit 6" TERM; i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.2; done'
stubborn='while :; do sleep 0.2; done'

ct_run_detached ticker sh -c "$ticker"
expect_rc "run -d ticker" 0
ct_run_detached stubborn sh -c "$stubborn"
expect_rc "run -d stubborn" 0

step "task ls" 20 "${ct[@]}" task ls
expect_rc "task ls" 0
expect_out "ticker is RUNNING" '^ticker +[1-9][0-9]* +RUNNING'
expect_out "stubborn is RUNNING" '^stubborn +[1-9][0-9]* +RUNNING'
ticker_pid=$(printf '%s\n' "$out" | awk '$1 == "ticker" {print $2}')
track_pid "$ticker_pid"
track_pid "$(printf '%s\n' "$out" | awk '$1 == "stubborn" {print $2}')"
[ "$(readlink "/proc/$ticker_pid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ] ||
	fail "task ls: ticker's pid $ticker_pid is not a container init in its own pid namespace"

# The shim answers this with the runtime's `ps --format json`.
step "task ps" 20 "${ct[@]}" task ps ticker
expect_rc "task ps" 0
expect_out "task ps lists the init pid" "^$ticker_pid( |\$)"

step "exec: output and exit code" 20 "${ct[@]}" task exec --fifo-dir "$work/fifo" \
	--exec-id e1 ticker sh -c 'echo exec-out-$((6 * 7)); echo exec-err >&2; exit 4'
expect_rc "task exec" 4
expect_out "exec stdout" '^exec-out-42$'
expect_out "exec stderr" '^exec-err$'

step "exec: in the container's pid namespace" 20 "${ct[@]}" task exec --fifo-dir "$work/fifo" \
	--exec-id e2 ticker sh -c 'tr "\\0" " " </proc/1/cmdline'
expect_rc "task exec cmdline" 0
expect_out "exec sees the workload as pid 1" 'tick'

out_has() { grep -qx -- "$2" "$work/$1.out" 2>/dev/null; }
wait_until 30 "ticker's output reaches the log" out_has ticker 'tick 3'

step "kill (SIGTERM)" 20 "${ct[@]}" task kill ticker
expect_rc "task kill ticker" 0
wait_until 30 "ticker STOPPED after SIGTERM" task_status_is ticker STOPPED
wait_until 10 "ticker's SIGTERM trap ran" out_has ticker 'got-sigterm'
[ -d "/proc/$ticker_pid" ] && fail "kill: ticker's init $ticker_pid still exists after STOPPED"

step "kill (SIGKILL)" 20 "${ct[@]}" task kill --signal SIGKILL stubborn
expect_rc "task kill stubborn" 0
wait_until 30 "stubborn STOPPED after SIGKILL" task_status_is stubborn STOPPED

# ctr task rm reports a task's exit status when it is not 0 (in a warning; ctr 1.6 exits 0).
step "task rm ticker" 20 "${ct[@]}" task rm ticker
expect_rc "task rm ticker" 0
expect_out "ticker's exit status is its SIGTERM trap's" 'exit code 6"'
step "task rm stubborn" 20 "${ct[@]}" task rm stubborn
expect_rc "task rm stubborn" 0
expect_out "stubborn's exit status says SIGKILL" 'exit code 137"'
step "task ls after rm" 20 "${ct[@]}" task ls -q
expect_rc "task ls -q" 0
[ -z "$out" ] || fail "task rm: tasks still listed: $out"

step "container rm" 20 "${ct[@]}" container rm ticker stubborn
expect_rc "container rm" 0
step "container ls after rm" 20 "${ct[@]}" container ls -q
expect_rc "container ls -q" 0
[ -z "$out" ] || fail "container rm: containers still listed: $out"

print_runtime_calls
stop_containerd
say "PASS"
