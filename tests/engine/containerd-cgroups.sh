#!/bin/bash
# containerd's resource options reach the task's cgroups: ctr run --memory-limit and
# --cpu-shares are in force in the cgroups the task's init is in, and those cgroups are where
# config.json's cgroupsPath puts them (/<namespace>/<id>), where the shim and tools look.
#   containerd-cgroups.sh [RUNTIME]     (CRYO_ENGINE_RUNTIME overrides RUNTIME)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/containerd-env.sh"
containerd_setup "${1:-}"

step "run -d with --memory-limit, --cpu-shares" 20 "${ct[@]}" run -d \
	--runc-binary "$engine_runtime" --fifo-dir "$work/fifo" \
	--memory-limit 67108864 --cpu-shares 512 "$image" limited sleep 60
expect_rc "run -d" 0
pid=$(task_status limited >/dev/null; bounded 10 "${ct[@]}" task ls | awk '$1 == "limited" {print $2}')
[ -n "$pid" ] && [ -d "/proc/$pid" ] || fail "task ls: no live pid for the task"
track_pid "$pid"

limits="memory $(cat "/sys/fs/cgroup/memory$(cgroup_of "$pid" memory)/memory.limit_in_bytes")"
limits="$limits cpu $(cat "/sys/fs/cgroup/cpu$(cgroup_of "$pid" cpu)/cpu.shares")"
say "limits in the task's cgroups: $limits"
[ "$limits" = "memory 67108864 cpu 512" ] ||
	fail "cgroup limits: '$limits', wanted 'memory 67108864 cpu 512'"

# The shim reads the task's cgroup for this.
step "task metrics" 20 "${ct[@]}" task metrics limited
expect_rc "task metrics" 0
expect_out "metrics show the memory limit" 'memory\.limit_in_bytes +67108864'

check_cgroup_placement "$pid" "/$ns/limited" "cgroup placement"

step "kill" 20 "${ct[@]}" task kill --signal SIGKILL limited
expect_rc "task kill" 0
wait_until 30 "task STOPPED" task_status_is limited STOPPED
step "task rm" 20 "${ct[@]}" task rm limited
step "container rm" 20 "${ct[@]}" container rm limited
expect_rc "container rm" 0

print_runtime_calls
stop_containerd
say "PASS"
