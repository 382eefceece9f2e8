# containerd set up for the engine tests (bash; sourced after lib.sh).
#
# The test starts its own containerd with root, state, sockets and opt dir under $work (no CRI
# plugin: ctr talks to containerd's own API) and stops it at exit. The runtime reaches
# containerd's runc shim (io.containerd.runc.v2) through `ctr run --runc-binary PATH`, the same
# option that BinaryName sets in contrib/containerd/config.toml. Calls go through "${ct[@]}".

ct=()
image=localhost/cryo-busybox:latest
containerd_pid=""

containerd_setup() {
	resolve_runtime "${1:-}"
	need_packages containerd ctr containerd-shim-runc-v2 busybox
	make_workdir
	setup_runtime_for_engine

	# A namespace of our own: it also names the cgroup parent and the shim's runtime root.
	ns=$cgroup_parent
	# Host paths containerd and its shim use whatever the config says.
	remember_absent /run/containerd/ $(test_cgroup_dirs "$ns")

	cat >"$work/config.toml" <<-EOF
	version = 2
	root = "$work/root"
	state = "$work/state"
	disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
	  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
	  "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp",
	  "io.containerd.internal.v1.tracing"]
	[grpc]
	  address = "$work/containerd.sock"
	[ttrpc]
	  address = "$work/containerd.sock.ttrpc"
	[plugins."io.containerd.internal.v1.opt"]
	  path = "$work/opt"
	EOF
	ct=(ctr --address "$work/containerd.sock" --namespace "$ns")
	step_prefix="${ct[*]}"
	step_label=ctr

	say "runtime $runtime (engine calls $engine_runtime); work dir $work"
	bounded 60 "$engine_dir/make-image.sh" "$work/image" "$image" ||
		skip "cannot build the busybox image (busybox-static missing?)"

	containerd --config "$work/config.toml" >"$work/containerd.log" 2>&1 &
	containerd_pid=$!
	local i
	for i in $(seq 100); do
		bounded 5 "${ct[@]}" version >/dev/null 2>&1 && break
		kill -0 "$containerd_pid" 2>/dev/null ||
			skip "containerd exited at start: $(tail -3 "$work/containerd.log")"
		sleep 0.1
	done
	bounded 5 "${ct[@]}" version >/dev/null 2>&1 ||
		skip "containerd did not answer within 10s: $(tail -3 "$work/containerd.log")"
	# Importing does not involve the runtime: a failure here is containerd's or the host's.
	bounded 120 "${ct[@]}" images import "$work/image/image.tar" >"$work/import.log" 2>&1 ||
		skip "ctr cannot import a local image here: $(tail -3 "$work/import.log")"
}

# ctr run -d with the runtime under test; stdout and stderr go to $work/NAME.out.
ct_run_detached() {
	local name=$1
	shift
	step "run -d $name" 20 "${ct[@]}" run -d --runc-binary "$engine_runtime" \
		--fifo-dir "$work/fifo" --log-uri "file://$work/$name.out" "$image" "$name" "$@"
}

# The task's status as `ctr task ls` prints it (RUNNING, STOPPED, ...), empty if none.
task_status() {
	bounded 10 "${ct[@]}" task ls 2>/dev/null | awk -v t="$1" '$1 == t {print $3}'
}

task_status_is() { [ "$(task_status "$1")" = "$2" ]; }

stop_containerd() {
	[ -n "$containerd_pid" ] || return 0
	kill -TERM "$containerd_pid" 2>/dev/null
	local i
	for i in $(seq 100); do
		kill -0 "$containerd_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$containerd_pid" 2>/dev/null
	wait "$containerd_pid" 2>/dev/null
	containerd_pid=""
}

containerd_cleanup() {
	local t
	if [ -n "$containerd_pid" ]; then
		for t in $(bounded "$(cleanup_secs 10)" "${ct[@]}" task ls -q 2>/dev/null); do
			bounded "$(cleanup_secs 10)" "${ct[@]}" task kill -s SIGKILL "$t" >/dev/null 2>&1
			bounded "$(cleanup_secs 20)" "${ct[@]}" task rm -f "$t" >/dev/null 2>&1
		done
		for t in $(bounded "$(cleanup_secs 10)" "${ct[@]}" container ls -q 2>/dev/null); do
			bounded "$(cleanup_secs 20)" "${ct[@]}" container rm "$t" >/dev/null 2>&1
		done
	fi
	stop_containerd
	kill_leftovers
	# The shim's runtime root is /run/containerd/runc/NS whatever our config says; once the
	# processes are gone, let the runtime drop any state the shim could not delete.
	for t in $(ls "/run/containerd/runc/$ns" 2>/dev/null); do
		bounded "$(cleanup_secs 10)" "$runtime" --root "/run/containerd/runc/$ns" delete --force "$t" >/dev/null 2>&1
	done
	rmdir "/run/containerd/runc/$ns" 2>/dev/null
	# A shim killed above leaves its socket file; one nobody is bound to any more is stale.
	for t in /run/containerd/s/*; do
		[ -S "$t" ] && ! grep -qF " $t" /proc/net/unix && rm -f "$t"
	done
	remove_if_was_absent
}
cleanup() { containerd_cleanup; }

containerd_diagnose() {
	local f
	for f in $(find "$work/state" -name log.json -size +0 2>/dev/null | head -5); do
		echo "  runtime log $f:"
		tail -20 "$f" | sed 's/^/    /'
	done
	echo "  containerd log (last lines):"
	grep -v 'level=info msg="loading plugin' "$work/containerd.log" | tail -25 | sed 's/^/    /'
	print_runtime_calls
}
diagnose() { containerd_diagnose; }
