#!/bin/bash
# podman run options, each turned by podman into config.json and applied by the runtime; the
# container shows the result. Every option is checked even after one fails, and all failures
# are listed at the end. (Cgroup limits: podman-cgroups.)
#   podman-options.sh [RUNTIME]     (CRYO_ENGINE_RUNTIME overrides RUNTIME)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/podman-env.sh"
podman_setup "${1:-}"

failures=""
# check NAME WANT_REGEX PODMAN_RUN_OPTIONS... -- COMMAND...: podman run --rm with the options,
# COMMAND's output must match WANT_REGEX (extended regex, whole output, newlines as spaces).
check() {
	local name=$1 want=$2
	shift 2
	local opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	step "$name" 20 "${pm[@]}" run --rm "${run_opts[@]}" "${opts[@]}" "$image" "$@"
	local flat
	flat=$(printf '%s' "$out" | tr '\n' ' ' | sed 's/ *$//')
	# A runtime that hangs would make every further check wait its full time.
	[ "$runtime_hung" = 1 ] && fail "$name: timed out; not trying the other options.$failures"
	if [ "$rc" -ne 0 ] || ! printf '%s' "$flat" | grep -Eqx -- "$want"; then
		say "FAILED: $name: exit $rc, output '$flat', wanted /$want/"
		failures="$failures
  $name: exit $rc, output '$flat', wanted /$want/"
	fi
}

check "--user" '65534 65534' --user 65534:65534 -- sh -c 'echo $(id -u) $(id -g)'
check "--workdir" '/tmp' --workdir /tmp -- pwd
check "--env" 'one two' --env A=one --env B=two -- sh -c 'echo $A $B'
check "--hostname" 'cryo-host' --hostname cryo-host -- hostname
check "--read-only" 'refused' --read-only -- sh -c 'touch /x 2>/dev/null && echo written || echo refused'
check "--tmpfs" 'tmpfs ok' --tmpfs /scratch -- \
	sh -c 'echo $(awk "\$2 == \"/scratch\" {print \$3}" /proc/mounts) $(touch /scratch/f && echo ok)'
mkdir -p "$work/vol" && echo from-host >"$work/vol/file"
check "--volume (bind mount)" 'from-host' --volume "$work/vol:/data:ro" -- cat /data/file
check "--volume :ro is read-only" 'refused' --volume "$work/vol:/data:ro" -- \
	sh -c 'touch /data/x 2>/dev/null && echo written || echo refused'
check "--cap-drop ALL" '0000000000000000' --cap-drop ALL -- \
	sh -c 'awk "/^CapEff/ {print \$2}" /proc/self/status'
check "--cap-add SYS_ADMIN" 'has' --cap-add SYS_ADMIN -- \
	sh -c 'e=$(awk "/^CapEff/ {print \$2}" /proc/self/status); [ $((0x$e >> 21 & 1)) = 1 ] && echo has || echo lacks'
check "default seccomp filter" '2' -- sh -c 'awk "/^Seccomp:/ {print \$2}" /proc/self/status'
check "--security-opt seccomp=unconfined" '0' --security-opt seccomp=unconfined -- \
	sh -c 'awk "/^Seccomp:/ {print \$2}" /proc/self/status'
check "--security-opt no-new-privileges" '1' --security-opt no-new-privileges -- \
	sh -c 'awk "/^NoNewPrivs:/ {print \$2}" /proc/self/status'
check "--ulimit core" '0 0' --ulimit core=0:0 -- sh -c 'echo $(ulimit -c) $(ulimit -Hc)'
check "pid namespace: sh is pid 1" '1' -- sh -c 'echo $$'
check "--pid host" 'host' --pid host -- sh -c '[ $$ -ne 1 ] && echo host || echo own'
check "own ipc, uts, mount and net namespaces" 'ipc uts mnt net' -- sh -c "
	for n in ipc uts mnt net; do
		case \$n in ipc) h='$(readlink /proc/self/ns/ipc)' ;; uts) h='$(readlink /proc/self/ns/uts)' ;;
		mnt) h='$(readlink /proc/self/ns/mnt)' ;; net) h='$(readlink /proc/self/ns/net)' ;; esac
		[ \"\$(readlink /proc/self/ns/\$n)\" != \"\$h\" ] && printf '%s ' \$n
	done"
# /dev/kmsg is a host device no container gets by default.
check "no host devices by default" 'no' -- sh -c '[ -e /dev/kmsg ] && echo yes || echo no'
check "--privileged sees host devices" 'yes' --privileged -- \
	sh -c '[ -e /dev/kmsg ] && echo yes || echo no'

[ -z "$failures" ] || fail "options not applied:$failures"
print_runtime_calls
say "PASS"
