#!/bin/bash
# podman's resource options reach the container's cgroups: --memory, --pids-limit and
# --cpu-shares are in force in the cgroups the container's init is in, and those cgroups are
# where config.json's cgroupsPath puts them (/<cgroup-parent>/libpod-<id>), which is where
# podman and other tools look for them.
#   podman-cgroups.sh [RUNTIME]     (CRYO_ENGINE_RUNTIME overrides RUNTIME)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/podman-env.sh"
podman_setup "${1:-}"

step "run -d with --memory, --pids-limit, --cpu-shares" 20 "${pm[@]}" run -d --name limited \
	"${run_opts[@]}" --memory 64m --pids-limit 77 --cpu-shares 512 "$image" sleep 60
expect_rc "run -d" 0
id=$out
step "inspect" 20 "${pm[@]}" inspect --format '{{.State.Pid}}' limited
expect_out "inspect: a pid" '^[1-9][0-9]*$'
pid=$out
track_pid "$pid"

# Limits, read where the process really is.
limits="memory $(cat "/sys/fs/cgroup/memory$(cgroup_of "$pid" memory)/memory.limit_in_bytes")"
limits="$limits pids $(cat "/sys/fs/cgroup/pids$(cgroup_of "$pid" pids)/pids.max")"
limits="$limits cpu $(cat "/sys/fs/cgroup/cpu$(cgroup_of "$pid" cpu)/cpu.shares")"
say "limits in the container's cgroups: $limits"
[ "$limits" = "memory 67108864 pids 77 cpu 512" ] ||
	fail "cgroup limits: '$limits', wanted 'memory 67108864 pids 77 cpu 512'"

step "stats" 20 "${pm[@]}" stats --no-stream --format '{{.MemUsage}}' limited
expect_rc "stats" 0
expect_out "stats shows the memory limit" '/ 67\.11MB$'

check_cgroup_placement "$pid" "/$cgroup_parent/libpod-$id" "cgroup placement"

step "rm -f" 20 "${pm[@]}" rm -f -t 0 limited
expect_rc "rm -f" 0

print_runtime_calls
say "PASS"
