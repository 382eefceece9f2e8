#!/bin/bash
# The cgroup v2 code path.  On a v1 (hybrid) host the test runs itself in a private mount
# namespace with the unified hierarchy mounted on /sys/fs/cgroup, so cryo detects v2 there.
# Controllers stay bound to v1 on such a host, so this covers layout detection, creation,
# cgroup.procs, the v2 freezer, the cgroup namespace and cleanup, not resource limits.
if [ -z "${CRYO_CG2_INNER:-}" ]; then
	if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
		command -v unshare >/dev/null || { echo "SKIP: unshare (util-linux) missing"; exit 77; }
		exec unshare -m env CRYO_CG2_INNER=1 bash "$0" "$@"
	fi
else
	mount --make-rprivate / && mount -t cgroup2 none /sys/fs/cgroup ||
		{ echo "SKIP: cannot mount cgroup2 in a private mount namespace"; exit 77; }
fi
. "$(dirname "$0")/lib.sh"
[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || fail "setup: /sys/fs/cgroup is not cgroup2"
B=$T/bundle
make_bundle "$B" sleep 1000
edit_config "$B" 'c["linux"]["cgroupsPath"] = "/cryo-v2-test/'"$$"'"'
# A host device outside the default list, for the eBPF device rules.
have_tun=false
if [ -c /dev/net/tun ]; then
	have_tun=true
	edit_config "$B" 'c["mounts"].append({"destination": "/dev/tuntest", "source": "/dev/net/tun", "options": ["bind"]})'
fi
id=$(new_id a)
c run -d --bundle "$B" "$id" > "$T/run.out" 2>&1 || fail "run: $(cat "$T/run.out")"
pid=$(c state "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
own=$(sed -n 's/^0:://p' /proc/self/cgroup)
dir=/sys/fs/cgroup${own%/}/cryo-v2-test/$$
[ -d "$dir" ] || fail "no cgroup at $dir"
grep -qx "$pid" "$dir/cgroup.procs" || fail "init $pid is not in $dir"
c exec "$id" cat /proc/self/cgroup | grep -qx "0::/" || fail "cgroup namespace not rooted at the container"
c exec "$id" ls /sys/fs/cgroup | grep -q cgroup.procs || fail "cgroup2 not mounted in the container"
c pause "$id" || fail "pause"
[ "$(cat "$dir/cgroup.freeze")" = 1 ] || fail "cgroup.freeze not set"
[ "$(status "$id")" = paused ] || fail "status while frozen: $(status "$id")"
c resume "$id" || fail "resume"
[ "$(status "$id")" = running ] || fail "status after thaw"
c ps --format json "$id" | grep -q "$pid" || fail "ps"
# Device rules (deny all, then the defaults) as an eBPF program on the cgroup.
c exec "$id" sh -c 'echo x > /dev/null && head -c 1 /dev/zero | wc -c' | grep -q 1 || fail "default devices denied"
if $have_tun; then
	out=$(c exec "$id" cat /dev/tuntest 2>&1) && fail "a device outside the rules must be denied"
	echo "$out" | grep -q "Operation not permitted" || fail "device denial: $out"
fi
c events --stats "$id" | python3 -c 'import json,sys; e=json.load(sys.stdin); assert e["data"]["cpu"]["usage"]["total"] > 0, e' || fail "events --stats on v2"
c delete --force "$id" || fail "delete"
[ -d "$dir" ] && fail "cgroup $dir left behind"
if $have_tun; then
	# The same device with an allow rule opens (tun then says it is not set up).
	edit_config "$B" 'c["linux"]["resources"]["devices"].append({"allow": True, "type": "c", "major": 10, "minor": 200, "access": "rw"})'
	id2=$(new_id b)
	c run -d --bundle "$B" "$id2" > "$T/run2.out" 2>&1 || fail "run b: $(cat "$T/run2.out")"
	out=$(c exec "$id2" cat /dev/tuntest 2>&1)
	echo "$out" | grep -q "bad state" || fail "allowed device still denied: $out"
	c delete --force "$id2" || fail "delete b"
fi
rmdir "/sys/fs/cgroup${own%/}/cryo-v2-test" 2>/dev/null
pass
