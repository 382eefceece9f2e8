#!/bin/bash
# containerd checkpoint/restore through its runc shim with the runtime under test:
#   `ctr task checkpoint` (the shim pauses the task, calls checkpoint --leave-running, resumes):
#   the task runs on; `ctr container checkpoint --task --rw` into the content store, the
#   container removed, `ctr container restore --live --rw`: the shim calls the runtime's restore,
#   and the workload counts on from the very next number, as the same pid in the container.
#   The workload counts in a shell variable and writes "PID N" to /tmp/count in its rootfs.
#   containerd-checkpoint.sh [RUNTIME]     (CRYO_ENGINE_RUNTIME overrides RUNTIME)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/containerd-env.sh"
containerd_setup "${1:-}"

task_pid() { bounded 10 "${ct[@]}" task ls 2>/dev/null | awk -v t="$1" '$1 == t {print $2}'; }
count() { cat "/proc/$(task_pid ticker)/root/tmp/count" 2>/dev/null; }
count_is_not() { local v; v=$(count); [ -n "$v" ] && [ "$v" != "$1" ]; }

ct_run_detached ticker sh -c 'i=0; while :; do i=$((i+1)); echo $$ $i > /tmp/count; sleep 0.1; done'
expect_rc "run -d" 0
track_pid "$(task_pid ticker)"
wait_until 30 "the workload counts" count_is_not ""

step "task checkpoint (leave running)" 60 "${ct[@]}" task checkpoint --image-path "$work/ckpt1" ticker
expect_rc "task checkpoint" 0
[ -s "$work/ckpt1/cryo-checkpoint.json" ] || [ -s "$work/ckpt1/inventory.img" ] ||
	fail "task checkpoint: no image in $work/ckpt1: $(ls "$work/ckpt1" 2>&1)"
wait_until 10 "ticker RUNNING after checkpoint" task_status_is ticker RUNNING
v=$(count)
wait_until 10 "the workload counts on after task checkpoint" count_is_not "$v"

step "container checkpoint --task --rw" 60 "${ct[@]}" container checkpoint --task --rw ticker ckpt/ticker:1
expect_rc "container checkpoint" 0
step "task kill" 20 "${ct[@]}" task kill -s SIGKILL ticker
expect_rc "task kill" 0
wait_until 30 "ticker STOPPED after SIGKILL" task_status_is ticker STOPPED
before=$(cat "$work/last-count" 2>/dev/null)
step "task rm" 20 "${ct[@]}" task rm ticker
expect_rc "task rm" 0
step "container rm" 20 "${ct[@]}" container rm ticker
expect_rc "container rm" 0

step "container restore --live --rw" 60 "${ct[@]}" container restore --live --rw ticker ckpt/ticker:1
expect_rc "container restore" 0
wait_until 10 "ticker RUNNING after restore" task_status_is ticker RUNNING
track_pid "$(task_pid ticker)"
first=$(count)
wait_until 10 "the restored workload counts" count_is_not "$first"
# The checkpoint was taken while counting: the restored memory goes on from its own value, and the
# rw layer holds the file as it was then; the next value written is the file's + 1.
step "the restored workload's first writes" 5 true
read -r p1 n1 <<<"$first"
read -r p2 n2 <<<"$(count)"
[ "$p1" = "$p2" ] || fail "restore: the workload is pid $p2 in the container, was $p1"
[ "$n2" -gt "$n1" ] || fail "restore: the count went from $n1 to $n2"

step "task kill" 20 "${ct[@]}" task kill -s SIGKILL ticker
expect_rc "task kill" 0
wait_until 30 "ticker STOPPED" task_status_is ticker STOPPED
step "task rm" 20 "${ct[@]}" task rm ticker
step "container rm" 20 "${ct[@]}" container rm ticker

print_runtime_calls
stop_containerd
say "PASS"
