#!/bin/bash
# The runc-compatible command line: option spellings, errors engines grep for, help probes.
. "$(dirname "$0")/lib.sh"
B=$T/bundle
make_bundle "$B" sleep 1000

out=$("$CRYO" --root 2>&1) && fail "--root without a value must fail"
echo "$out" | grep -q "flag needs an argument" || fail "missing value message: $out"
out=$(c create --bundle 2>&1) && fail "create --bundle without value must fail"
echo "$out" | grep -q "flag needs an argument" || fail "missing value message: $out"
out=$(c create --nosuchflag x 2>&1) && fail "unknown flag must fail"
echo "$out" | grep -q "flag provided but not defined" || fail "unknown flag message: $out"

"$CRYO" --version | grep -q "cryo version" || fail "--version"
"$CRYO" --help | grep -q "checkpoint" || fail "--help"
for verb in create start run state kill delete list ps exec pause resume update events spec features checkpoint restore; do
	c $verb --help >/dev/null || fail "$verb --help must exit 0"
done
help=$(c checkpoint --help)
for o in --image-path --work-path --leave-running --tcp-established --file-locks --pre-dump --manage-cgroups-mode --lazy-pages --ext-unix-sk --shell-job --parent-path; do
	echo "$help" | grep -q -- "$o" || fail "checkpoint --help lacks $o"
done
c restore --help | grep -q -- "--image-path" || fail "restore --help lacks --image-path"
out=$(c checkpoint --image-path "$T/img" x 2>&1) && fail "checkpoint of an unknown container must fail"
echo "$out" | grep -q 'container "x" does not exist' || fail "checkpoint message: $out"
out=$(c restore --image-path "$T/noimg" x 2>&1) && fail "restore without an image must fail"
echo "$out" | grep -q "$T/noimg" || fail "restore message: $out"
out=$("$CRYO" --systemd-cgroup --root "$ROOT" create --bundle "$B" x 2>&1) && fail "--systemd-cgroup must fail"
echo "$out" | grep -q "systemd" || fail "systemd message: $out"

# --root=X, -root X, repeated flags (last wins), single-dash long options
id=$(new_id a)
"$CRYO" -root="$ROOT" --log "$T/log" --log-format=json create -bundle /nonexistent -bundle="$B" -no-new-keyring "$id" || fail "create with runc spellings"
[ "$(status "$id")" = created ] || fail "status"
c run -d -no-subreaper --bundle "$B" "$(new_id b)" || fail "run -no-subreaper"

# --log-format json: the last error is a json line with level/msg/time
"$CRYO" --root "$ROOT" --log "$T/log" --log-format json state nosuch 2>/dev/null && fail "state nosuch"
tail -1 "$T/log" | python3 -c '
import json, sys, re
r = json.loads(sys.stdin.read())
assert r["level"] == "error", r
assert "does not exist" in r["msg"], r
assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", r["time"]), r
' || fail "json log line: $(tail -1 "$T/log")"
"$CRYO" --root "$ROOT" --log-format yaml state x 2>&1 | grep -q "log format" || fail "bad --log-format"

# A --root whose parents do not exist yet (containerd passes /run/containerd/runc/NS).
"$CRYO" --root "$T/deep/er/root" create --bundle "$B" deep$$ || fail "create with a nested new --root"
"$CRYO" --root "$T/deep/er/root" delete --force deep$$ || fail "delete deep"

out=$(c kill "$id" NOSUCHSIG 2>&1) && fail "bad signal must fail"
echo "$out" | grep -q "invalid signal" || fail "bad signal message: $out"
c list --format yaml 2>&1 | grep -q "invalid format" || fail "bad list format"

# bash completion: verbs, a verb's options, and container ids from --root
if [ -n "${CRYO_SRC:-}" ]; then
	complete() { :; }
	. "$CRYO_SRC/contrib/completion/cryo.bash" || fail "completion script does not load"
	COMP_WORDS=(cryo cre); COMP_CWORD=1; _cryo
	[[ " ${COMPREPLY[*]} " == *" create "* ]] || fail "completion of verbs: ${COMPREPLY[*]}"
	COMP_WORDS=(cryo exec --); COMP_CWORD=2; _cryo
	[[ " ${COMPREPLY[*]} " == *" --process "* ]] || fail "completion of exec options: ${COMPREPLY[*]}"
	COMP_WORDS=(cryo --root "$ROOT" state ""); COMP_CWORD=4; _cryo
	[[ " ${COMPREPLY[*]} " == *" $id "* ]] || fail "completion of container ids: ${COMPREPLY[*]}"
fi
pass
