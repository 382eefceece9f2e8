#!/bin/bash
# Bad input: each gets a clear error, exit 1, and leaves no state dir, cgroup or process behind.
. "$(dirname "$0")/lib.sh"
B=$T/bundle
make_bundle "$B" sleep 1000

no_leftovers() { # ID
	[ -e "$ROOT/$1" ] && fail "$1: state dir left behind"
	local d
	d=$(find /sys/fs/cgroup -maxdepth 8 -type d -name "$1" 2>/dev/null | head -1)
	[ -n "$d" ] && fail "$1: cgroup $d left behind"
	pgrep -f "sleep 1000" | while read -r p; do
		grep -q "$1" "/proc/$p/cgroup" 2>/dev/null && fail "$1: process $p left behind"
	done
	return 0
}
check() { # NAME EXPECTED-TEXT CMD...
	local name=$1 text=$2; shift 2
	local out rc
	"$@" >"$T/check.out" 2>&1 </dev/null; rc=$?
	out=$(cat "$T/check.out")
	[ $rc = 1 ] || fail "$name: exit code $rc, expected 1 (output: $out)"
	echo "$out" | grep -q -- "$text" || fail "$name: error does not say \"$text\": $out"
}

id=$(new_id missing)
check "missing bundle" "$T/nope" c create --bundle "$T/nope" "$id"
no_leftovers "$id"

mkdir -p "$T/nocfg/rootfs"
check "missing config.json" "config.json" c create --bundle "$T/nocfg" "$id"
no_leftovers "$id"

bad() { # NAME EXPECTED PYTHON-EDIT
	rm -rf "$T/bad"; cp -a "$B" "$T/bad"
	edit_config "$T/bad" "$3"
	check "$1" "$2" c create --bundle "$T/bad" "$id"
	no_leftovers "$id"
}
bad "uid type" "process.user.uid: expected integer" 'c["process"]["user"]["uid"] = "root"'
bad "args type" "process.args\[1\]: expected string" 'c["process"]["args"] = ["sleep", 5]'
bad "mounts type" "mounts: expected array" 'c["mounts"] = {}'
bad "namespace type" "linux.namespaces\[0\].type: unknown namespace type" 'c["linux"]["namespaces"][0]["type"] = "bogus"'
bad "memory limit type" "linux.resources.memory.limit: expected integer" 'c["linux"]["resources"]["memory"] = {"limit": "1g"}'
bad "missing ociVersion" "ociVersion: required" 'del c["ociVersion"]'
bad "missing rootfs dir" "root.path" 'c["root"]["path"] = "nonexistent"'
bad "missing executable" "executable file not found" 'c["process"]["args"] = ["/bin/does-not-exist"]'
# Failures inside the init (after namespaces and cgroups exist) clean up too.
bad "bad mount" "cannot mount" 'c["mounts"].append({"destination": "/x", "type": "nosuchfs", "source": "none"})'
bad "bad sysctl" "sysctl" 'c["linux"]["sysctl"] = {"net.nonexistent.knob": "1"}'
bad "host sysctl" "vm.swappiness is not namespaced" 'c["linux"]["sysctl"] = {"vm.swappiness": "1"}'
bad "net sysctl in the host netns" "needs the container's own net namespace" 'c["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}; [n.update(path="/proc/'"$$"'/ns/net") for n in c["linux"]["namespaces"] if n["type"] == "network"]'
bad "net sysctl without netns" "needs the container's own net namespace" 'c["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}; c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]'
bad "bad rlimit" "rlimit" 'c["process"]["rlimits"] = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]'
printf '{"ociVersion": "1.0.2", "process": {' > "$T/bad/config.json"
check "truncated JSON" "invalid JSON" c create --bundle "$T/bad" "$id"
no_leftovers "$id"

# Unknown fields are ignored.
rm -rf "$T/ok"; cp -a "$B" "$T/ok"
edit_config "$T/ok" 'c["process"]["someFutureField"] = {"x": 1}; c["vendorThing"] = [1, 2]'
id2=$(new_id unknown)
c create --bundle "$T/ok" "$id2" || fail "unknown fields must be ignored"

# Duplicate id: refused, and the existing container is untouched.
check "duplicate id" "already exists" c create --bundle "$B" "$id2"
[ "$(status "$id2")" = created ] || fail "duplicate create damaged the existing container"
c delete --force "$id2" || fail "delete"
no_leftovers "$id2"

# What a create killed half-way leaves (a dir without state.json) blocks the id until
# delete --force removes it.
mkdir -p "$ROOT/halfmade$$"
check "half-made id" "already exists" c create --bundle "$B" "halfmade$$"
c delete --force "halfmade$$" || fail "delete --force of a half-made container"
[ -e "$ROOT/halfmade$$" ] && fail "half-made dir not removed"

# Unknown ids and invalid ids
for verb in state start kill delete pause resume ps exec events update; do
	check "$verb unknown id" "does not exist" c $verb nosuchcontainer$$ $( [ $verb = exec ] && echo true)
done
check "invalid id" "invalid container id" c create --bundle "$B" "../escape"
check "missing id" "container id cannot be empty" c state
pass
