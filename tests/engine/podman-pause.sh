#!/bin/bash
# podman pause/unpause: the runtime's pause and resume freeze and thaw the whole container.
# A ticking workload stops ticking while paused and goes on after unpause; stop and rm work
# after.
#   podman-pause.sh [RUNTIME]     (CRYO_ENGINE_RUNTIME overrides RUNTIME)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/podman-env.sh"
podman_setup "${1:-}"

ticks() { bounded 10 "${pm[@]}" logs ticker 2>/dev/null | grep -c '^tick'; }
ticks_above() { [ "$(ticks)" -gt "$1" ]; }

step "run -d" 20 "${pm[@]}" run -d --name ticker "${run_opts[@]}" "$image" \
	sh -c 'trap "exit 0" TERM; while :; do echo tick; sleep 0.1; done'
expect_rc "run -d" 0
track_pid "$(bounded 30 "${pm[@]}" inspect --format '{{.State.Pid}}' ticker)"
wait_until 30 "the workload ticks" ticks_above 2

step "pause" 20 "${pm[@]}" pause ticker
expect_rc "pause" 0
step "inspect while paused" 20 "${pm[@]}" inspect --format '{{.State.Status}}' ticker
expect_out "status paused" '^paused$'
before=$(ticks)
sleep 1
after=$(ticks)
[ "$before" = "$after" ] || fail "pause: the workload kept running ($before ticks, then $after)"

step "unpause" 20 "${pm[@]}" unpause ticker
expect_rc "unpause" 0
step "inspect after unpause" 20 "${pm[@]}" inspect --format '{{.State.Status}}' ticker
expect_out "status running" '^running$'
wait_until 30 "the workload ticks again after unpause" ticks_above "$after"

step "stop" 20 "${pm[@]}" stop --time 10 ticker
expect_rc "stop" 0
step "rm" 20 "${pm[@]}" rm ticker
expect_rc "rm" 0

print_runtime_calls
say "PASS"
