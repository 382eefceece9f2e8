#!/bin/bash
# Record how an engine calls the OCI runtime, for docs/engines.md and for debugging a runtime.
# Not a test: it runs a wide scenario (more verbs than the tests check) through runtime-spy.sh
# and keeps going when a step fails, then writes a readable summary.
#
#   record-calls.sh podman|containerd RUNTIME OUTDIR
# OUTDIR gets raw.log (every call: argv, cwd, fds, env), files/ (config.json and process.json
# as handed over) and summary.txt (per step: the calls, paths and ids shortened).
engine=${1:?usage: record-calls.sh podman|containerd RUNTIME OUTDIR}
outdir=${3:?usage: record-calls.sh podman|containerd RUNTIME OUTDIR}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
export CRYO_ENGINE_RUNTIME=${2:?usage: record-calls.sh podman|containerd RUNTIME OUTDIR}
. "$(dirname "$0")/lib.sh"
test_name=record-$engine
fail() { echo "record-calls: $*" >&2; exit 1; }

# mark TEXT: a heading in the call log, so the summary says which engine step made which calls.
mark() { echo "### $*" >>"$spy_log"; }
# try NAME CMD...: a step that may fail (the recording is the point), bounded like the tests.
try() {
	local name=$1
	shift
	mark "$name"
	step "$name" 60 "$@"
	[ "$rc" -eq 0 ] || echo "### (exit $rc: $(printf '%s' "$out" | tail -1 | cut -c1-200))" >>"$spy_log"
}

record_podman() {
	. "$engine_dir/podman-env.sh"
	podman_setup
	try "podman version" "${pm[@]}" version
	try "podman info" "${pm[@]}" info --format '{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Version}}'
	try "podman run --rm (foreground, exit 3)" "${pm[@]}" run --rm "${run_opts[@]}" "$image" sh -c 'echo hi; exit 3'
	try "podman run --rm -i (stdin from a pipe)" bash -c 'echo piped | "$@"' _ "${pm[@]}" run --rm -i "${run_opts[@]}" "$image" cat
	try "podman run -d" "${pm[@]}" run -d --name c1 "${run_opts[@]}" "$image" sh -c 'trap "exit 0" TERM; while :; do sleep 0.2; done'
	try "podman exec" "${pm[@]}" exec c1 true
	try "podman exec --user --workdir --env" "${pm[@]}" exec --user nobody --workdir /tmp --env X=1 c1 sh -c 'id; pwd; echo $X'
	try "podman exec -i (stdin from a pipe)" bash -c 'echo piped | "$@"' _ "${pm[@]}" exec -i c1 cat
	try "podman exec -t (a terminal)" "${pm[@]}" exec -t c1 tty
	try "podman pause" "${pm[@]}" pause c1
	try "podman unpause" "${pm[@]}" unpause c1
	try "podman kill -s USR1" "${pm[@]}" kill -s USR1 c1
	try "podman top" "${pm[@]}" top c1
	try "podman stop" "${pm[@]}" stop -t 5 c1
	try "podman start (again)" "${pm[@]}" start c1
	try "podman restart" "${pm[@]}" restart -t 1 c1
	try "podman rm -f (running)" "${pm[@]}" rm -f -t 1 c1
	try "podman run -dt (a terminal)" "${pm[@]}" run -dt --name c2 "${run_opts[@]}" "$image" sh -c 'while :; do sleep 0.2; done'
	try "podman stop (SIGTERM ignored by pid 1: SIGKILL)" "${pm[@]}" stop -t 1 c2
	try "podman rm" "${pm[@]}" rm c2
	try "podman create" "${pm[@]}" create --name c3 "${run_opts[@]}" "$image" sleep 30
	try "podman init" "${pm[@]}" init c3
	try "podman start" "${pm[@]}" start c3
	try "podman container checkpoint" "${pm[@]}" container checkpoint c3
	try "podman rm -f" "${pm[@]}" rm -f -t 0 c3
}

record_containerd() {
	. "$engine_dir/containerd-env.sh"
	containerd_setup
	local run=("${ct[@]}" run --runc-binary "$engine_runtime" --fifo-dir "$work/fifo")
	try "ctr run --rm (foreground, exit 3)" "${run[@]}" --rm "$image" r1 sh -c 'echo hi; exit 3'
	try "ctr run -d" "${run[@]}" -d --log-uri "file://$work/t1.out" "$image" t1 sh -c 'trap "exit 0" TERM; while :; do sleep 0.2; done'
	try "ctr task ps" "${ct[@]}" task ps t1
	try "ctr task exec" "${ct[@]}" task exec --fifo-dir "$work/fifo" --exec-id e1 t1 true
	try "ctr task exec -t (a terminal, via script)" script -qec "$(printf '%q ' "${ct[@]}" task exec -t --fifo-dir "$work/fifo" --exec-id e2 t1 tty)" /dev/null
	try "ctr task pause" "${ct[@]}" task pause t1
	try "ctr task resume" "${ct[@]}" task resume t1
	try "ctr task metrics" "${ct[@]}" task metrics t1
	try "ctr task checkpoint" "${ct[@]}" task checkpoint t1
	try "ctr task kill" "${ct[@]}" task kill t1
	sleep 1
	try "ctr task rm" "${ct[@]}" task rm t1
	try "ctr container rm" "${ct[@]}" container rm t1
	try "ctr run -dt (a terminal, via script)" script -qec "$(printf '%q ' "${run[@]}" -d -t "$image" t2 sh -c 'while :; do sleep 0.2; done')" /dev/null
	try "ctr task kill -s SIGKILL" "${ct[@]}" task kill -s SIGKILL t2
	sleep 1
	try "ctr task rm" "${ct[@]}" task rm t2
	try "ctr container rm" "${ct[@]}" container rm t2
}

summarise() {
	# Shorten: the work dir to $WORK, 64-hex ids to <id>, the runtime path to RUNTIME.
	sed -e "s|$work|\$WORK|g" -e 's/[0-9a-f]\{64\}/<id>/g' -e "s|$engine_runtime|RUNTIME|g" "$spy_log" |
	awk '
		/^### / { flush(); print ""; print; next }
		/^=== / { flush(); line = "  RUNTIME"; fds = ""; envs = ""; next }
		/^argv: / { sub(/^argv: /, ""); line = line " " $0; next }
		/^fd [0-9]+ -> / { fds = fds " " $2 "=" $4; next }
		/^env: (_OCI|LISTEN|NOTIFY|XDG_RUNTIME|GOMAXPROCS|TTRPC|_CONTAINERS|container)/ {
			sub(/^env: /, ""); envs = envs " " $0; next }
		END { flush() }
		function flush() {
			if (line == "") return
			print line
			print "      fds:" fds
			if (envs != "") print "      env:" envs
			line = ""
		}'
}

case "$engine" in
podman) record_podman ;;
containerd) record_containerd ;;
*) echo "record-calls: unknown engine '$engine' (podman or containerd)" >&2; exit 1 ;;
esac
cp "$spy_log" "$outdir/raw.log"
rm -rf "$outdir/files"
[ -d "$spy_log.files" ] && cp -r "$spy_log.files" "$outdir/files"
summarise >"$outdir/summary.txt"
say "wrote $outdir/summary.txt, raw.log, files/"
