#!/bin/bash
# cryo state and cryo features match the runtime-spec shapes (fields and types).
. "$(dirname "$0")/lib.sh"
B=$T/bundle
make_bundle "$B" sleep 1000
edit_config "$B" 'c["annotations"] = {"org.example.key": "value", "org.example.big": "x" * 40000}'
id=$(new_id s)
c create --bundle "$B" "$id" || fail "create"
check_state() {
	c state "$id" | python3 -c '
import json, sys, re
s = json.load(sys.stdin)
want = {"ociVersion": str, "id": str, "status": str, "pid": int, "bundle": str,
        "annotations": dict, "rootfs": str, "created": str, "owner": str}
for k, t in want.items():
    assert k in s, "missing " + k
    assert isinstance(s[k], t), "%s: %r is not %s" % (k, s[k], t.__name__)
assert s["status"] == sys.argv[1], s["status"]
assert s["id"] == sys.argv[2]
assert s["bundle"] == sys.argv[3], s["bundle"]
assert s["annotations"]["org.example.key"] == "value", s["annotations"]
assert s["annotations"]["org.example.big"] == "x" * 40000
assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", s["created"]), s["created"]
assert (s["pid"] > 0) == (s["status"] != "stopped")
' "$1" "$id" "$B" || fail "state JSON while $1"
}
check_state created
c start "$id" || fail start
wait_status "$id" running
check_state running
c pause "$id" || fail pause
check_state paused
c resume "$id" || fail resume
check_state running
c kill "$id" KILL
wait_status "$id" stopped
check_state stopped
c delete "$id" || fail delete

c features | python3 -c '
import json, sys
f = json.load(sys.stdin)
for k in ("ociVersionMin", "ociVersionMax"): assert isinstance(f[k], str)
for k in ("hooks", "mountOptions"): assert isinstance(f[k], list) and all(isinstance(x, str) for x in f[k])
assert "createRuntime" in f["hooks"] and "poststop" in f["hooks"]
l = f["linux"]
assert set(l["namespaces"]) >= {"pid", "network", "mount", "ipc", "uts", "user", "cgroup"}
assert "CAP_SYS_ADMIN" in l["capabilities"]
assert isinstance(l["cgroup"]["v1"], bool) and isinstance(l["cgroup"]["v2"], bool)
s = l["seccomp"]
assert s["enabled"] is True and "SCMP_ACT_ERRNO" in s["actions"] and "SCMP_CMP_EQ" in s["operators"]
assert isinstance(l["apparmor"]["enabled"], bool) and isinstance(l["selinux"]["enabled"], bool)
assert isinstance(f["annotations"], dict)
' || fail "features JSON"

# cryo spec writes a config.json cryo itself accepts, and refuses to overwrite it.
mkdir "$T/spec" && (cd "$T/spec" && c spec) || fail "spec"
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); assert c["process"]["args"] and c["root"]["path"]' "$T/spec/config.json" || fail "spec JSON"
(cd "$T/spec" && expect_fail c spec | grep -q "exists") || fail "spec must not overwrite"
c spec --rootless --bundle "$T/spec2" 2>/dev/null && fail "spec into a missing dir must fail"
mkdir "$T/spec2" && c spec --rootless --bundle "$T/spec2" || fail "spec --rootless"
grep -q uidMappings "$T/spec2/config.json" || fail "rootless spec has no uidMappings"
pass
