#!/bin/bash
# podman container checkpoint / restore through the runtime's checkpoint and restore:
#   a workload counting in a shell variable prints "tick PID N" (PID: its pid in the container);
#   checkpoint stops it (podman shows it exited), restore brings it back running, and its log goes
#   on with the very next number from the same in-container pid; --leave-running keeps it
#   running; stop and rm work after.
#   podman-checkpoint.sh [RUNTIME]     (CRYO_ENGINE_RUNTIME overrides RUNTIME)
# podman 4.3 refuses to checkpoint unless a criu >= 3.11 binary answers its version request
# (criu swrk); Debian's criu package does, though it cannot dump on this kernel: the
# checkpointing is the runtime's (docs/engines.md).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/podman-env.sh"
need_packages criu
podman_setup "${1:-}"

ticks() { bounded 10 "${pm[@]}" logs ticker 2>/dev/null | grep '^tick'; }
last_tick() { ticks | tail -n1; }
ticks_past() { [ "$(ticks | wc -l)" -gt "$1" ]; }

step "run -d" 20 "${pm[@]}" run -d --name ticker "${run_opts[@]}" "$image" \
	sh -c 'i=0; while :; do i=$((i+1)); echo tick $$ $i; sleep 0.1; done'
expect_rc "run -d" 0
track_pid "$(bounded 30 "${pm[@]}" inspect --format '{{.State.Pid}}' ticker)"
wait_until 30 "the workload ticks" ticks_past 3

step "checkpoint --leave-running" 60 "${pm[@]}" container checkpoint --leave-running ticker
expect_rc "checkpoint --leave-running" 0
step "inspect after checkpoint --leave-running" 20 "${pm[@]}" inspect --format '{{.State.Status}}' ticker
expect_out "still running" '^running$'
n=$(ticks | wc -l)
wait_until 30 "the workload ticks on after checkpoint --leave-running" ticks_past "$n"

step "checkpoint" 60 "${pm[@]}" container checkpoint ticker
expect_rc "checkpoint" 0
step "inspect after checkpoint" 20 "${pm[@]}" inspect --format '{{.State.Status}}' ticker
expect_out "exited after checkpoint" '^(exited|stopped)$'
before=$(last_tick)
n=$(ticks | wc -l)
sleep 0.5
[ "$(ticks | wc -l)" = "$n" ] || fail "checkpoint: the workload still ticks"

step "restore" 60 "${pm[@]}" container restore ticker
expect_rc "restore" 0
step "inspect after restore" 20 "${pm[@]}" inspect --format '{{.State.Status}} {{.State.Pid}}' ticker
expect_out "running after restore" '^running [1-9][0-9]*$'
track_pid "${out#running }"
wait_until 30 "the restored workload ticks" ticks_past "$n"
after=$(ticks | sed -n "$((n + 1))p")
read -r _ pid_before n_before <<<"$before"
read -r _ pid_after n_after <<<"$after"
[ "$pid_after" = "$pid_before" ] || fail "restore: the workload was pid $pid_before in the container, now $pid_after"
[ "$n_after" = $((n_before + 1)) ] || fail "restore: after tick $n_before came tick $n_after (memory not restored?)"

step "stop" 20 "${pm[@]}" stop --time 2 ticker
expect_rc "stop" 0
step "rm" 20 "${pm[@]}" rm ticker
expect_rc "rm" 0

# A terminal container: restore hands the runtime a new --console-socket (conmon's).
tty_ticks() { bounded 10 "${pm[@]}" logs tty 2>/dev/null | tr -d '\r' | grep '^tick'; }
tty_past() { [ "$(tty_ticks | wc -l)" -gt "$1" ]; }
step "run -dt" 20 "${pm[@]}" run -dt --name tty "${run_opts[@]}" "$image" \
	sh -c 'i=0; while :; do i=$((i+1)); echo tick $$ $i; sleep 0.1; done'
expect_rc "run -dt" 0
track_pid "$(bounded 30 "${pm[@]}" inspect --format '{{.State.Pid}}' tty)"
wait_until 30 "the terminal workload ticks" tty_past 3
step "checkpoint (terminal)" 60 "${pm[@]}" container checkpoint tty
expect_rc "checkpoint (terminal)" 0
tbefore=$(tty_ticks | tail -n1)
n=$(tty_ticks | wc -l)
step "restore (terminal)" 60 "${pm[@]}" container restore tty
expect_rc "restore (terminal)" 0
track_pid "$(bounded 30 "${pm[@]}" inspect --format '{{.State.Pid}}' tty)"
wait_until 30 "the restored terminal workload ticks" tty_past "$n"
tafter=$(tty_ticks | sed -n "$((n + 1))p")
read -r _ p1 n1 <<<"$tbefore"
read -r _ p2 n2 <<<"$tafter"
[ "$p1" = "$p2" ] && [ "$n2" = $((n1 + 1)) ] || fail "terminal restore: '$tafter' after '$tbefore'"
step "exec -t in the restored container" 20 "${pm[@]}" exec -t tty tty
expect_rc "exec -t after restore" 0
step "rm -f" 20 "${pm[@]}" rm -f -t 0 tty
expect_rc "rm -f" 0

print_runtime_calls
say "PASS"
