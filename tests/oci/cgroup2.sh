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
c events --stats "$id" | python3 -c 'import json,sys; e=json.load(sys.stdin); assert e["data"]["cpu"]["usage"]["total"] > 0, e' || fail "events --stats on v2"
c delete --force "$id" || fail "delete"
[ -d "$dir" ] && fail "cgroup $dir left behind"
rmdir "/sys/fs/cgroup${own%/}/cryo-v2-test" 2>/dev/null
pass
