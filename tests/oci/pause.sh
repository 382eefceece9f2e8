#!/bin/bash
# pause/resume through the freezer, kill --all, update and events.
. "$(dirname "$0")/lib.sh"
B=$T/bundle
make_bundle "$B" sh -c 'sleep 1000 & sleep 1000 & i=0; while true; do i=$((i+1)); echo $i > /tmp/counter; sleep 0.05; done'
edit_config "$B" 'c["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"})'
id=$(new_id a)
c run -d --bundle "$B" "$id" || fail "run"
wait_status "$id" running
sleep 0.3
c pause "$id" || fail "pause"
[ "$(status "$id")" = paused ] || fail "status after pause: $(status "$id")"
pid=$(c state "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
grep -q "^State:.*(stopped)\|^State:.*D\|^State:" "/proc/$pid/status"
v1=$(cat "$B/rootfs/tmp/counter" 2>/dev/null || nsenter -t "$pid" -m cat /tmp/counter)
sleep 0.3
v2=$(nsenter -t "$pid" -m cat /tmp/counter)
[ "$v1" = "$v2" ] || fail "counter moved while paused ($v1 -> $v2)"
expect_fail c pause "$id" | grep -q "paused" || fail "pausing twice must fail"
expect_fail c exec "$id" true | grep -q paused || fail "exec into a paused container must fail"
c resume "$id" || fail "resume"
[ "$(status "$id")" = running ] || fail "status after resume"
sleep 0.3
v3=$(nsenter -t "$pid" -m cat /tmp/counter)
[ "$v3" -gt "$v2" ] || fail "counter did not move after resume ($v2 -> $v3)"

# update: new limits reach the cgroup
c update --memory 64m --pids-limit 50 "$id" || fail "update"
n=$(c ps --format json "$id" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$n" -ge 3 ] || fail "ps shows $n processes, expected >= 3"
cg=$(grep -E '^[0-9]+:pids:' "/proc/$pid/cgroup" | cut -d: -f3)
if [ -n "$cg" ]; then
	[ "$(cat /sys/fs/cgroup/pids$cg/pids.max)" = 50 ] || fail "pids.max not updated"
fi
echo '{"pids": {"limit": 77}}' > "$T/res.json"
c update --resources "$T/res.json" "$id" || fail "update --resources"
[ -z "$cg" ] || [ "$(cat /sys/fs/cgroup/pids$cg/pids.max)" = 77 ] || fail "pids.max not updated from --resources"
echo '{"pids": {"limit": "x"}}' > "$T/bad.json"
expect_fail c update --resources "$T/bad.json" "$id" | grep -q "pids.limit: expected integer" || fail "bad resources file"

# events --stats: one JSON object with data
c events --stats "$id" | python3 -c '
import json, sys
e = json.loads(sys.stdin.readline())
assert e["type"] == "stats" and "data" in e and "memory" in e["data"], e
assert e["data"]["pids"]["current"] >= 3, e
' || fail "events --stats"
timeout 5 "$CRYO" --root "$ROOT" events --interval 100ms "$id" > "$T/events.out" &
sleep 0.5
[ "$(wc -l < "$T/events.out")" -ge 2 ] || fail "events --interval printed $(wc -l < "$T/events.out") lines"

# kill --all reaches every process of the container
pids=$(c ps --format json "$id" | python3 -c 'import json,sys; print(" ".join(map(str, json.load(sys.stdin))))')
c kill --all "$id" KILL || fail "kill --all"
wait_status "$id" stopped
for p in $pids; do
	[ -e "/proc/$p" ] && grep -q "$id" "/proc/$p/cgroup" 2>/dev/null && fail "process $p survived kill --all"
done
c delete "$id" || fail "delete"

# delete --force of a paused container thaws and kills it
id2=$(new_id p)
c run -d --bundle "$B" "$id2" || fail "run p"
wait_status "$id2" running
p2=$(c state "$id2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
c pause "$id2" || fail "pause p"
expect_fail c delete "$id2" | grep -q "force" || fail "delete of a paused container without --force"
c delete --force "$id2" || fail "delete --force of a paused container"
[ -e "$ROOT/$id2" ] && fail "state left behind"
[ -n "$(find /sys/fs/cgroup -maxdepth 8 -type d -name "$id2" 2>/dev/null)" ] && fail "cgroup left behind"
grep -q "sleep\|sh" "/proc/$p2/cmdline" 2>/dev/null && [ "$(awk '/^State/ {print $2}' /proc/$p2/status)" != Z ] && fail "paused init survived"
pass
