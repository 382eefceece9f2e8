#!/bin/bash
# containerd with a terminal: the shim passes --console-socket and takes the pty master. ctr
# wants its own stdin to be a terminal for -t, so those calls run under script(1).
# run --rm -t in the foreground (a pts, exit code comes back), run -d, exec -t (a pts, exit
# code), kill, rm.
#   containerd-terminal.sh [RUNTIME]     (CRYO_ENGINE_RUNTIME overrides RUNTIME)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/containerd-env.sh"
need_packages script
containerd_setup "${1:-}"

# in_terminal CMD...: the command line that runs CMD with a pty on its stdio (script -e passes
# its exit code back).
in_terminal() {
	printf '%s\n' script -qec "$(printf '%q ' "$@")" /dev/null
}

mapfile -t cmd < <(in_terminal "${ct[@]}" run --rm -t --runc-binary "$engine_runtime" \
	--fifo-dir "$work/fifo" "$image" fg sh -c 'echo "tty=$(tty)"; exit 4')
step "run --rm -t in the foreground" 20 "${cmd[@]}"
expect_rc "run --rm -t" 4
out=$(printf '%s' "$out" | tr -d '\r')
expect_out "run --rm -t has a pts" 'tty=/dev/pts/[0-9]+$'

ct_run_detached ticker sh -c 'trap "exit 0" TERM; while :; do sleep 0.2; done'
expect_rc "run -d" 0
track_pid "$(bounded 10 "${ct[@]}" task ls | awk '$1 == "ticker" {print $2}')"

mapfile -t cmd < <(in_terminal "${ct[@]}" task exec -t --fifo-dir "$work/fifo" --exec-id e1 ticker tty)
step "exec -t: a terminal" 20 "${cmd[@]}"
expect_rc "exec -t tty" 0
out=$(printf '%s' "$out" | tr -d '\r')
expect_out "exec -t runs on a pts" '/dev/pts/[0-9]+$'

mapfile -t cmd < <(in_terminal "${ct[@]}" task exec -t --fifo-dir "$work/fifo" --exec-id e2 \
	ticker sh -c 'exit 7')
step "exec -t: exit code" 20 "${cmd[@]}"
expect_rc "exec -t exit 7" 7

step "kill" 20 "${ct[@]}" task kill ticker
expect_rc "task kill" 0
wait_until 30 "ticker STOPPED after SIGTERM" task_status_is ticker STOPPED
step "task rm" 20 "${ct[@]}" task rm ticker
expect_rc "task rm" 0
step "container rm" 20 "${ct[@]}" container rm ticker
expect_rc "container rm" 0
step "container ls after rm" 20 "${ct[@]}" container ls -q
[ -z "$out" ] || fail "containers still listed: $out"

print_runtime_calls
stop_containerd
say "PASS"
