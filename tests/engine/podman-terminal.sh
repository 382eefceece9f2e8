#!/bin/bash
# podman with a terminal: the runtime gets --console-socket, makes a pty and hands its master to
# conmon. run -dt (logs show the workload on a pts), exec -t (a pts too, exit code comes back),
# run --rm -t in the foreground (output and exit code), stop, rm.
#   podman-terminal.sh [RUNTIME]     (CRYO_ENGINE_RUNTIME overrides RUNTIME)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/podman-env.sh"
podman_setup "${1:-}"

# Terminal output ends lines with \r\n.
logs_have() { bounded 10 "${pm[@]}" logs "$1" 2>/dev/null | tr -d '\r' | grep -Eq -- "$2"; }

step "run -dt" 20 "${pm[@]}" run -dt --name term "${run_opts[@]}" "$image" \
	sh -c 'trap "exit 0" TERM; echo "tty=$(tty)"; while :; do echo tick; sleep 0.2; done'
expect_rc "run -dt" 0
track_pid "$(bounded 30 "${pm[@]}" inspect --format '{{.State.Pid}}' term)"
wait_until 30 "logs show the workload's terminal" logs_have term '^tty=/dev/pts/[0-9]+$'

step "exec -t: a terminal" 20 "${pm[@]}" exec -t term tty
expect_rc "exec -t tty" 0
out=$(printf '%s' "$out" | tr -d '\r')
expect_out "exec -t runs on a pts" '^/dev/pts/[0-9]+$'

step "exec -t: exit code" 20 "${pm[@]}" exec -t term sh -c 'exit 7'
expect_rc "exec -t exit 7" 7

step "exec without -t: no terminal" 20 "${pm[@]}" exec term sh -c 'tty; true'
expect_out "exec without -t has no tty" 'not a tty'

step "run --rm -t in the foreground" 20 \
	"${pm[@]}" run --rm -t "${run_opts[@]}" "$image" sh -c 'echo "tty=$(tty)"; exit 4'
expect_rc "run --rm -t" 4
out=$(printf '%s' "$out" | tr -d '\r')
expect_out "run --rm -t has a pts" '^tty=/dev/pts/[0-9]+$'

step "stop" 20 "${pm[@]}" stop --time 10 term
expect_rc "stop" 0
step "inspect after stop" 20 "${pm[@]}" inspect --format '{{.State.Status}} {{.State.ExitCode}}' term
expect_out "term exited 0 after its SIGTERM trap" '^(exited|stopped) 0$'
step "rm" 20 "${pm[@]}" rm term
expect_rc "rm" 0
step "ps -a after rm" 20 "${pm[@]}" ps -a --format '{{.Names}}'
[ -z "$out" ] || fail "rm: containers still listed: $out"

print_runtime_calls
say "PASS"
