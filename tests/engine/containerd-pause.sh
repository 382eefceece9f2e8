#!/bin/bash
# containerd pause/resume: the shim calls the runtime's pause and resume. The task shows PAUSED,
# a ticking workload stops ticking, then RUNNING and ticking again; kill and rm after.
#   containerd-pause.sh [RUNTIME]     (CRYO_ENGINE_RUNTIME overrides RUNTIME)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/containerd-env.sh"
containerd_setup "${1:-}"

ticks() { grep -c '^tick' "$work/ticker.out" 2>/dev/null; }
ticks_above() { [ "$(ticks)" -gt "$1" ]; }

ct_run_detached ticker sh -c 'trap "exit 0" TERM; while :; do echo tick; sleep 0.1; done'
expect_rc "run -d" 0
track_pid "$(bounded 10 "${ct[@]}" task ls | awk '$1 == "ticker" {print $2}')"
wait_until 30 "the workload ticks" ticks_above 2

step "pause" 20 "${ct[@]}" task pause ticker
expect_rc "task pause" 0
wait_until 10 "ticker PAUSED" task_status_is ticker PAUSED
before=$(ticks)
sleep 1
after=$(ticks)
[ "$before" = "$after" ] || fail "pause: the workload kept running ($before ticks, then $after)"

step "resume" 20 "${ct[@]}" task resume ticker
expect_rc "task resume" 0
wait_until 10 "ticker RUNNING" task_status_is ticker RUNNING
wait_until 30 "the workload ticks again after resume" ticks_above "$after"

step "kill" 20 "${ct[@]}" task kill ticker
expect_rc "task kill" 0
wait_until 30 "ticker STOPPED after SIGTERM" task_status_is ticker STOPPED
step "task rm" 20 "${ct[@]}" task rm ticker
expect_rc "task rm" 0
step "container rm" 20 "${ct[@]}" container rm ticker
expect_rc "container rm" 0

print_runtime_calls
stop_containerd
say "PASS"
