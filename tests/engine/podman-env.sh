# Podman set up for the engine tests (bash; sourced after lib.sh).
#
# A private podman: storage, run and tmp dirs under $work, no network config from the host,
# cgroupfs (PID 1 here is not systemd), events to a file, and the runtime handed over with
# --runtime PATH. The engine config is contrib/podman/containers.conf, as a user would install it.
# Calls go through "${pm[@]}", with the ulimits this machine needs in $ulimits (root lacks
# CAP_SYS_RESOURCE, so podman's default nofile of 1048576 cannot be set).

ulimits=(--ulimit nofile=20000:20000 --ulimit nproc=1000:1000)
# Options for every container: the ulimits, no network (no CNI needed, nothing to reach), and a
# cgroup parent of the test's own.
run_opts=()
image=localhost/cryo-busybox:latest

pm=()	# the podman command line, set by podman_setup once $work exists

podman_setup() {
	resolve_runtime "${1:-}"
	need_packages podman conmon busybox
	make_workdir
	setup_runtime_for_engine

	# Host paths podman touches even with a private store; removed at exit if we made them.
	remember_absent /var/lib/containers /dev/shm/libpod_lock /run/libpod /run/runc/ /run/cryo/ \
		$(cgroup_v1_dirs libpod_parent) $(test_cgroup_dirs "$cgroup_parent")
	run_opts=(--network none --cgroup-parent "/$cgroup_parent" "${ulimits[@]}")

	export CONTAINERS_CONF=$source_root/contrib/podman/containers.conf
	export CONTAINERS_STORAGE_CONF=$work/storage.conf
	export CONTAINERS_REGISTRIES_CONF=$work/registries.conf
	printf '[storage]\ndriver = "overlay"\ngraphroot = "%s/root"\nrunroot = "%s/run"\n' \
		"$work" "$work" >"$CONTAINERS_STORAGE_CONF"
	: >"$CONTAINERS_REGISTRIES_CONF"
	mkdir -p "$work/tmp" "$work/net"
	pm=(podman --tmpdir "$work/tmp" --network-config-dir "$work/net"
		--cgroup-manager cgroupfs --events-backend file
		--runtime "$engine_runtime")
	step_prefix="${pm[*]}"
	step_label=podman

	say "runtime $runtime (engine calls $engine_runtime); work dir $work"
	bounded 60 "$engine_dir/make-image.sh" "$work/image" "$image" ||
		skip "cannot build the busybox image (busybox-static missing?)"
	# Loading an image does not involve the runtime: a failure here is the engine's or the host's.
	bounded 120 "${pm[@]}" load -i "$work/image/image.tar" >"$work/load.log" 2>&1 ||
		skip "podman cannot load a local image here: $(tail -3 "$work/load.log")"
}

podman_cleanup() {
	local ids="" id
	if [ -n "${work:-}" ] && [ -d "$work/root" ]; then
		ids=$(bounded "$(cleanup_secs 10)" "${pm[@]}" ps -a -q --no-trunc 2>/dev/null)
		bounded "$(cleanup_secs 30)" "${pm[@]}" rm --force --all --time 0 >/dev/null 2>&1
		wait_engine_quiet "$(cleanup_secs 10)"
	fi
	kill_leftovers
	# Once the processes are gone, let the runtime drop any state podman could not delete.
	for id in $ids; do
		bounded "$(cleanup_secs 10)" "$runtime" delete --force "$id" >/dev/null 2>&1
	done
	remove_if_was_absent
	# conmon makes its console sockets in /tmp whatever we set; one left from a run that went
	# wrong and bound by nobody is stale.
	for id in /tmp/conmon-term.*; do
		[ -S "$id" ] && [ "$id" -nt "$work" ] && ! grep -qF " $id" /proc/net/unix && rm -f "$id"
	done
	return 0
}
cleanup() { podman_cleanup; }

# What podman and the runtime said: the runtime's own JSON log for each container and exec,
# conmon's view via the container's state, and every runtime call the spy saw.
podman_diagnose() {
	local f
	for f in $(find "$work/run" "$work/root" -name oci-log -size +0 2>/dev/null | head -5); do
		echo "  runtime log $f:"
		tail -20 "$f" | sed 's/^/    /'
	done
	bounded "$(cleanup_secs 20)" "${pm[@]}" ps -a --format '{{.Names}} {{.Status}}' 2>&1 | sed 's/^/  podman ps -a: /'
	print_runtime_calls
}
diagnose() { podman_diagnose; }
