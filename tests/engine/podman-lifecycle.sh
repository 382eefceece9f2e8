#!/bin/bash
# podman drives the runtime through a container's whole life:
#   run --rm (foreground, exit code comes back), run -d, ps, inspect, exec (output, exit code,
#   same pid namespace, rlimits applied), logs, stop (SIGTERM honoured; SIGTERM ignored so
#   SIGKILL after the grace time), rm.
#   podman-lifecycle.sh [RUNTIME]     (CRYO_ENGINE_RUNTIME overrides RUNTIME)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/podman-env.sh"
podman_setup "${1:-}"

# A workload that says where it is, ticks to stdout, and exits 0 on SIGTERM.
ticker='trap "echo got-sigterm; exit 0" TERM; i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.2; done'
# Same without the trap: as PID 1 of its namespace it ignores SIGTERM, so only SIGKILL stops it.
stubborn='while :; do sleep 0.2; done'

step "run --rm in the foreground" 20 \
	"${pm[@]}" run --rm "${run_opts[@]}" "$image" sh -c 'echo hello-from-run; exit 3'
expect_rc "run --rm" 3
expect_out "run --rm" '^hello-from-run$'
step "ps -a after run --rm" 20 "${pm[@]}" ps -a --format '{{.Names}}'
expect_rc "ps -a" 0
[ -z "$out" ] || fail "run --rm left a container behind: $out"

step "run -d (traps SIGTERM)" 20 \
	"${pm[@]}" run -d --name ticker "${run_opts[@]}" "$image" sh -c "$ticker"
expect_rc "run -d ticker" 0
step "run -d (ignores SIGTERM)" 20 \
	"${pm[@]}" run -d --name stubborn "${run_opts[@]}" "$image" sh -c "$stubborn"
expect_rc "run -d stubborn" 0

step "ps" 20 "${pm[@]}" ps --format '{{.Names}} {{.Status}}'
expect_rc "ps" 0
expect_out "ps shows ticker running" '^ticker Up'
expect_out "ps shows stubborn running" '^stubborn Up'

step "inspect" 20 "${pm[@]}" inspect --format '{{.State.Status}} {{.State.Pid}}' ticker
expect_rc "inspect" 0
expect_out "inspect: running with a pid" '^running [1-9][0-9]*$'
ticker_pid=${out#running }
track_pid "$ticker_pid"
track_pid "$(bounded 30 "${pm[@]}" inspect --format '{{.State.Pid}}' stubborn)"
[ -d "/proc/$ticker_pid" ] || fail "inspect: pid $ticker_pid of the running container does not exist"
[ "$(readlink "/proc/$ticker_pid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ] ||
	fail "container init $ticker_pid is in the host's pid namespace"

step "exec: output and exit code" 20 \
	"${pm[@]}" exec ticker sh -c 'echo exec-out-$((6 * 7)); echo exec-err >&2; exit 5'
expect_rc "exec" 5
expect_out "exec stdout" '^exec-out-42$'
expect_out "exec stderr" '^exec-err$'

step "exec: in the container's pid namespace" 20 "${pm[@]}" exec ticker sh -c 'tr "\\0" " " </proc/1/cmdline'
expect_rc "exec cat /proc/1/cmdline" 0
expect_out "exec sees the workload as pid 1" 'tick'

step "exec: rlimits from the engine are applied" 20 "${pm[@]}" exec ticker sh -c 'ulimit -n; ulimit -u'
expect_rc "exec ulimit" 0
[ "$out" = "20000
1000" ] || fail "exec: container rlimits are not nofile=20000 nproc=1000: $out"

logs_have() { bounded 10 "${pm[@]}" logs "$1" 2>/dev/null | grep -qx -- "$2"; }
wait_until 30 "logs show the fourth tick" logs_have ticker 'tick 3'
step "logs" 20 "${pm[@]}" logs ticker
expect_rc "logs" 0
expect_out "logs start at the first tick" '^tick 0$'

step "stop (SIGTERM is enough)" 20 "${pm[@]}" stop --time 10 ticker
expect_rc "stop ticker" 0
step "inspect after stop" 20 "${pm[@]}" inspect --format '{{.State.Status}} {{.State.ExitCode}}' ticker
expect_out "ticker exited 0 after its SIGTERM trap" '^(exited|stopped) 0$'
step "logs after stop" 20 "${pm[@]}" logs ticker
expect_out "the workload got SIGTERM" '^got-sigterm$'
[ -d "/proc/$ticker_pid" ] && fail "stop: container init $ticker_pid still exists"

step "stop (SIGTERM ignored, SIGKILL after 2s)" 20 "${pm[@]}" stop --time 2 stubborn
expect_rc "stop stubborn" 0
step "inspect after stop" 20 "${pm[@]}" inspect --format '{{.State.Status}} {{.State.ExitCode}}' stubborn
expect_out "stubborn was killed by SIGKILL" '^(exited|stopped) 137$'

step "ps -a before rm" 20 "${pm[@]}" ps -a --format '{{.Names}} {{.Status}}'
expect_out "ps -a lists ticker exited" '^ticker Exited \(0\)'
expect_out "ps -a lists stubborn exited" '^stubborn Exited \(137\)'

step "rm" 20 "${pm[@]}" rm ticker stubborn
expect_rc "rm" 0
step "ps -a after rm" 20 "${pm[@]}" ps -a --format '{{.Names}}'
expect_rc "ps -a" 0
[ -z "$out" ] || fail "rm: containers still listed: $out"

print_runtime_calls
say "PASS"
