#!/bin/bash
# ctr run options, each turned by containerd into config.json (a relative root.path, its own
# device rules, noNewPrivileges on by default) and applied by the runtime; the task shows the
# result. All options are checked even after one fails; failures are listed together.
#   containerd-options.sh [RUNTIME]     (CRYO_ENGINE_RUNTIME overrides RUNTIME)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/containerd-env.sh"
containerd_setup "${1:-}"

failures=""
n=0
# check NAME WANT_REGEX CTR_RUN_OPTIONS... -- COMMAND...: ctr run --rm with the options;
# COMMAND's output (newlines as spaces) must match WANT_REGEX as a whole.
check() {
	local name=$1 want=$2 opts=() flat
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	n=$((n + 1))
	step "$name" 20 "${ct[@]}" run --rm --runc-binary "$engine_runtime" --fifo-dir "$work/fifo" \
		"${opts[@]}" "$image" "opt$n" "$@"
	flat=$(printf '%s' "$out" | tr '\n' ' ' | sed 's/ *$//')
	# A runtime that hangs would make every further check wait its full time.
	[ "$runtime_hung" = 1 ] && fail "$name: timed out; not trying the other options.$failures"
	if [ "$rc" -ne 0 ] || ! printf '%s' "$flat" | grep -Eqx -- "$want"; then
		say "FAILED: $name: exit $rc, output '$flat', wanted /$want/"
		failures="$failures
  $name: exit $rc, output '$flat', wanted /$want/"
	fi
}
status_field() { echo "awk '/^$1:/ {print \$2}' /proc/self/status"; }

check "exit code and output" 'hello' -- sh -c 'echo hello; exit 0'
check "--env" 'one two' --env A=one --env B=two -- sh -c 'echo $A $B'
check "--cwd" '/tmp' --cwd /tmp -- pwd
check "--read-only" 'refused' --read-only -- sh -c 'touch /x 2>/dev/null && echo written || echo refused'
check "root is writable by default" 'written' -- sh -c 'touch /x 2>/dev/null && echo written || echo refused'
mkdir -p "$work/vol" && echo from-host >"$work/vol/file"
check "--mount bind, ro" 'from-host refused' \
	--mount "type=bind,src=$work/vol,dst=/data,options=rbind:ro" -- \
	sh -c 'cat /data/file; touch /data/x 2>/dev/null && echo written || echo refused'
check "noNewPrivileges by default" '1' -- sh -c "$(status_field NoNewPrivs)"
check "--allow-new-privs" '0' --allow-new-privs -- sh -c "$(status_field NoNewPrivs)"
check "no seccomp filter by default" '0' -- sh -c "$(status_field Seccomp)"
check "--seccomp" '2' --seccomp -- sh -c "$(status_field Seccomp)"
check "--cap-drop CAP_CHOWN" 'lacks' --cap-drop CAP_CHOWN -- \
	sh -c 'e=$(awk "/^CapEff/ {print \$2}" /proc/self/status); [ $((0x$e & 1)) = 1 ] && echo has || echo lacks'
check "--cap-add CAP_SYS_ADMIN" 'has' --cap-add CAP_SYS_ADMIN -- \
	sh -c 'e=$(awk "/^CapEff/ {print \$2}" /proc/self/status); [ $((0x$e >> 21 & 1)) = 1 ] && echo has || echo lacks'
check "no host devices by default" 'no' -- sh -c '[ -e /dev/kmsg ] && echo yes || echo no'
check "--privileged sees host devices" 'yes' --privileged -- sh -c '[ -e /dev/kmsg ] && echo yes || echo no'
check "default devices usable" 'ok' -- sh -c 'head -c 4 /dev/urandom >/dev/null && echo -n >/dev/null && echo ok'
check "--net-host" 'host' --net-host -- \
	sh -c "[ \"\$(readlink /proc/self/ns/net)\" = '$(readlink /proc/self/ns/net)' ] && echo host || echo own"
check "own net namespace by default" 'own' -- \
	sh -c "[ \"\$(readlink /proc/self/ns/net)\" = '$(readlink /proc/self/ns/net)' ] && echo host || echo own"

[ -z "$failures" ] || fail "options not applied:$failures"
print_runtime_calls
stop_containerd
say "PASS"
