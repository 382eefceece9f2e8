#!/bin/bash
# Namespaces: new ones are new, a path joins an existing one, time offsets apply,
# the cgroup namespace is rooted at the container's cgroup; resources reach the cgroup.
. "$(dirname "$0")/lib.sh"
B=$T/bundle
make_bundle "$B" sleep 1000
edit_config "$B" '
c["linux"]["namespaces"].append({"type": "time"})
c["linux"]["timeOffsets"] = {"monotonic": {"secs": 86400, "nanosecs": 0}, "boottime": {"secs": 86400, "nanosecs": 0}}
c["linux"]["resources"]["memory"] = {"limit": 67108864}
c["linux"]["resources"]["pids"] = {"limit": 42}
c["linux"]["resources"]["cpu"] = {"shares": 512}
'
a=$(new_id a)
c run -d --bundle "$B" "$a" || fail "run a"
pa=$(c state "$a" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
for ns in pid net ipc uts mnt cgroup time; do
	[ "$(readlink /proc/$pa/ns/$ns)" != "$(readlink /proc/self/ns/$ns)" ] || fail "$ns namespace is not new"
done
[ "$(readlink /proc/$pa/ns/user)" = "$(readlink /proc/self/ns/user)" ] || fail "unexpected user namespace"
# time namespace: the boot-time clock (uptime) moved a day ahead
up_in=$(c exec "$a" cat /proc/uptime | cut -d. -f1)
up_out=$(cut -d. -f1 /proc/uptime)
[ $((up_in - up_out)) -ge 86000 ] || fail "boottime offset not applied ($up_in vs $up_out)"
# cgroup namespace: the container sees itself at the root
c exec "$a" cat /proc/self/cgroup | grep -q ":/$" || fail "cgroup namespace not rooted at the container: $(c exec "$a" cat /proc/self/cgroup)"
# resources from config.json
cg=$(grep -E '^[0-9]+:memory:' "/proc/$pa/cgroup" | cut -d: -f3)
if [ -d "/sys/fs/cgroup/memory$cg" ]; then
	[ "$(cat /sys/fs/cgroup/memory$cg/memory.limit_in_bytes)" = 67108864 ] || fail "memory limit"
	pcg=$(grep -E '^[0-9]+:pids:' "/proc/$pa/cgroup" | cut -d: -f3)
	[ "$(cat /sys/fs/cgroup/pids$pcg/pids.max)" = 42 ] || fail "pids limit"
	ccg=$(grep -E '^[0-9]+:cpu[,:]' "/proc/$pa/cgroup" | cut -d: -f3)
	[ "$(cat /sys/fs/cgroup/cpu$ccg/cpu.shares)" = 512 ] || fail "cpu shares"
	dcg=$(grep -E '^[0-9]+:devices:' "/proc/$pa/cgroup" | cut -d: -f3)
	grep -q "^c 1:3 rwm" /sys/fs/cgroup/devices$dcg/devices.list || fail "default device /dev/null not allowed"
	grep -q "^a " /sys/fs/cgroup/devices$dcg/devices.list && fail "deny-all rule not applied"
elif [ -f /sys/fs/cgroup/cgroup.controllers ]; then
	echo "note: cgroup v2 host; v1 resource checks skipped"
fi

# b joins a's network, ipc and uts namespaces by path
make_bundle "$T/b2" sleep 1000
edit_config "$T/b2" '
for ns in c["linux"]["namespaces"]:
    if ns["type"] in ("network", "ipc", "uts"):
        ns["path"] = "/proc/'"$pa"'/ns/" + {"network": "net", "ipc": "ipc", "uts": "uts"}[ns["type"]]
c.pop("hostname", None)
'
b=$(new_id b)
c run -d --bundle "$T/b2" "$b" || fail "run b (joining a)"
pb=$(c state "$b" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
for ns in net ipc uts; do
	[ "$(readlink /proc/$pb/ns/$ns)" = "$(readlink /proc/$pa/ns/$ns)" ] || fail "b did not join a's $ns namespace"
done
[ "$(readlink /proc/$pb/ns/pid)" != "$(readlink /proc/$pa/ns/pid)" ] || fail "b shares a's pid namespace"
# a bad namespace path fails clearly
make_bundle "$T/b3" sleep 1000
edit_config "$T/b3" '
for ns in c["linux"]["namespaces"]:
    if ns["type"] == "network": ns["path"] = "/nonexistent/ns"
'
x=$(new_id x)
expect_fail c create --bundle "$T/b3" "$x" | grep -q "/nonexistent/ns" || fail "bad namespace path"
[ -e "$ROOT/$x" ] && fail "state left behind"
pass
