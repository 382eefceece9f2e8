#!/bin/bash
# Hooks: each kind runs at its point with the state JSON on stdin; a failing or
# hanging createRuntime hook aborts create and leaves nothing behind.
. "$(dirname "$0")/lib.sh"
B=$T/bundle
H=$T/hooks
mkdir -p "$H"
chmod 755 "$T"
make_bundle "$B" sleep 1000
hook() { # NAME [where-to-write]
	printf '{"path": "/bin/sh", "args": ["sh", "-c", "cat > %s/%s"]}' "${2:-$H}" "$1"
}
edit_config "$B" '
c["annotations"] = {"big": "y" * 30000}
c["hooks"] = {
  "prestart": ['"$(hook prestart)"'],
  "createRuntime": ['"$(hook createRuntime)"'],
  "createContainer": ['"$(hook createContainer)"'],
  "startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "cat > /tmp/startContainer"]}],
  "poststart": ['"$(hook poststart)"'],
  "poststop": ['"$(hook poststop)"'],
}'
id=$(new_id a)
c create --bundle "$B" "$id" || fail "create"
for h in prestart createRuntime createContainer; do [ -s "$H/$h" ] || fail "$h hook did not run at create"; done
[ -e "$H/poststart" ] && fail "poststart ran before start"
c start "$id" || fail "start"
wait_status "$id" running
[ -s "$H/poststart" ] || fail "poststart hook did not run"
for _ in $(seq 50); do [ -s "$B/rootfs/tmp/startContainer" ] && break; sleep 0.05; done
cp "$B/rootfs/tmp/startContainer" "$H/startContainer" || fail "startContainer hook did not run in the container"
c kill "$id" KILL; wait_status "$id" stopped
c delete "$id" || fail "delete"
[ -s "$H/poststop" ] || fail "poststop hook did not run at delete"
for h in prestart createRuntime createContainer startContainer poststart poststop; do
	python3 - "$H/$h" "$id" "$B" "$h" <<'PY' || fail "state given to the $h hook"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["id"] == sys.argv[2] and s["bundle"] == sys.argv[3], s
assert s["ociVersion"] and isinstance(s["pid"], int), s
assert s["annotations"]["big"] == "y" * 30000, "annotations cut short"
want = {"prestart": "creating", "createRuntime": "creating", "createContainer": "creating",
        "startContainer": "creating", "poststart": "running", "poststop": "stopped"}[sys.argv[4]]
assert s["status"] == want, (sys.argv[4], s["status"])
if sys.argv[4] != "poststop":
    assert s["pid"] > 0, s
PY
done

# A failing hook and a hanging hook (timeout) abort create without leftovers.
for kind in fail hang; do
	rm -rf "$T/b-$kind"; cp -a "$B" "$T/b-$kind"
	if [ $kind = fail ]; then h='{"path": "/bin/sh", "args": ["sh", "-c", "exit 3"]}'
	else h='{"path": "/bin/sh", "args": ["sh", "-c", "sleep 30 & echo $! > '"$H"'/hang.pid; wait"], "timeout": 1}'; fi
	edit_config "$T/b-$kind" 'c["hooks"] = {"createRuntime": ['"$h"']}'
	idk=$(new_id $kind)
	out=$(expect_fail c create --bundle "$T/b-$kind" "$idk")
	case $kind in
	fail) echo "$out" | grep -q "createRuntime hook /bin/sh failed (exit status 3)" || fail "failing hook: $out" ;;
	hang) echo "$out" | grep -q "timed out" || fail "hanging hook: $out" ;;
	esac
	[ -e "$ROOT/$idk" ] && fail "$kind hook: state left behind"
	if [ $kind = hang ]; then
		hp=$(cat "$H/hang.pid") || fail "the hanging hook did not start"
		for _ in $(seq 50); do [ -e "/proc/$hp" ] || break; sleep 0.05; done
		[ -e "/proc/$hp" ] && [ "$(awk '/^State/ {print $2}' /proc/$hp/status)" != Z ] && fail "hung hook's child $hp left running"
	fi
done
pass
