#!/bin/bash
# checkpoint/restore of a running busybox container with cryo:
#   - a counter in a shell variable (memory), written to a file, by a process
#     that is pid 2 in the container; checkpoint stops the container, restore
#     brings it back: same in-container pids, counting on from the very next
#     value, "running" in state and list with the restored init;
#   - --leave-running keeps it running and its image restores too.
# Refused options and broken images: checkpoint-opts.sh.
. "$(dirname "$0")/lib.sh"
B=$T/bundle
# pid 1 waits; pid 2 counts.  i lives only in memory: the file is written, never read.
make_bundle "$B" sh -c 'sh -c "i=0; while :; do i=\$((i+1)); echo \$\$ \$i >> /tmp/count; sleep 0.05; done" & wait'
# the restore needs the dump: skip (loudly) only when the kernel lacks what C/R needs
"$CRYO_CR" check >/dev/null 2>&1 || skip "cryo-cr check fails: this kernel cannot do C/R ($("$CRYO_CR" check 2>&1 | tail -1))"

# the last line of the counter's log; lines N: its Nth line
count() { tail -n1 "$B/rootfs/tmp/count" 2>/dev/null; }
lines() { wc -l < "$B/rootfs/tmp/count"; }
# wait_count_change OLD: until the file differs from OLD (bounded), print it
wait_count_change() {
	local v
	for _ in $(seq 200); do
		v=$(count)
		[ -n "$v" ] && [ "$v" != "$1" ] && { echo "$v"; return 0; }
		sleep 0.02
	done
	return 1
}
state_pid() { c state "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])'; }
# a process that exists and is not a zombie (an init nobody reaps stays a zombie)
alive() { [ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
nspid() { awk '/^NSpid:/ {print $NF}' "/proc/$1/status"; }
show_logs() { for f in "$@"; do [ -f "$f" ] && { echo "--- $f"; tail -n 25 "$f"; }; done; }

id=$(new_id a)
c run -d --bundle "$B" "$id" </dev/null >"$T/out" 2>&1 || fail "run: $(cat "$T/out")"
wait_status "$id" running
wait_count_change "" >/dev/null || fail "the container does not count"
pid=$(state_pid "$id")

# 1. checkpoint: the container stops
c checkpoint --image-path "$T/img" --work-path "$T/work" "$id" ||
	{ show_logs "$T/work/dump.log"; fail "checkpoint"; }
[ -s "$T/img/cryo-checkpoint.json" ] && [ -s "$T/img/config.json" ] || fail "no cryo-checkpoint.json/config.json next to the images"
[ -s "$T/work/dump.log" ] || fail "no dump.log in the work path"
[ "$(status "$id")" = stopped ] || fail "status after checkpoint: $(status "$id")"
alive "$pid" && fail "the init $pid still runs after checkpoint"
last=$(count)
n=$(lines)
sleep 0.3
[ "$(count)" = "$last" ] || fail "the counter moved after checkpoint ($last -> $(count))"

# 2. restore: same in-container pids, counting on from the next value
c restore -d --image-path "$T/img" --work-path "$T/work2/sub" --bundle "$B" --pid-file "$T/pid" "$id" \
	</dev/null >"$T/out2" 2>&1 || { show_logs "$T/work2/sub/restore.log"; cat "$T/out2"; fail "restore"; }
[ -s "$T/work2/sub/restore.log" ] || fail "no restore.log in the (new) work path"
[ "$(status "$id")" = running ] || fail "status after restore: $(status "$id")"
npid=$(state_pid "$id")
[ "$(cat "$T/pid")" = "$npid" ] || fail "--pid-file says $(cat "$T/pid"), state says $npid"
[ "$(nspid "$npid")" = 1 ] || fail "the restored init is pid $(nspid "$npid") in the container, not 1"
c list | grep -q "^$id *$npid *running" || fail "list: $(c list)"
wait_count_change "$last" >/dev/null || fail "the restored container does not count (still $last)"
next=$(sed -n "$((n + 1))p" "$B/rootfs/tmp/count")
read -r p_before n_before <<<"$last"
read -r p_after n_after <<<"$next"
[ "$p_after" = "$p_before" ] || fail "the counting process was pid $p_before in the container, now $p_after"
[ "$n_after" = $((n_before + 1)) ] || fail "the counter went on from $n_after, not $((n_before + 1)) (before: $n_before)"

# 3. --leave-running: still running and counting; that image restores too
c checkpoint --leave-running --image-path "$T/img2" "$id" || { show_logs "$T/img2/dump.log"; fail "checkpoint --leave-running"; }
[ "$(status "$id")" = running ] || fail "status after --leave-running: $(status "$id")"
[ "$(state_pid "$id")" = "$npid" ] || fail "the init changed with --leave-running"
v=$(count)
wait_count_change "$v" >/dev/null || fail "not counting after --leave-running"
c delete --force "$id" || fail "delete"
c restore -d --image-path "$T/img2" --bundle "$B" "$id" </dev/null >"$T/out3" 2>&1 ||
	{ show_logs "$T/img2/restore.log"; fail "restore of the --leave-running image"; }
[ "$(status "$id")" = running ] || fail "status after the second restore"
v=$(count)
wait_count_change "$v" >/dev/null || fail "not counting after the second restore"

c delete --force "$id"

# 4. a terminal container: restore gives it a new pty whose master goes to --console-socket
RECV=${CONSOLE_RECV:?}
make_bundle "$T/tb" sh -c 'i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.05; done'
edit_config "$T/tb" 'c["process"]["terminal"] = True'
tid=$(new_id tty)
"$RECV" "$T/sock1" "$T/tty1" &
r1=$!
for _ in $(seq 100); do [ -e "$T/tty1" ] && break; sleep 0.05; done
c run -d --console-socket "$T/sock1" --bundle "$T/tb" "$tid" || fail "run with a terminal"
for _ in $(seq 100); do grep -q "tick 3" "$T/tty1" && break; sleep 0.05; done
c checkpoint --image-path "$T/timg" "$tid" || { show_logs "$T/timg/dump.log"; fail "checkpoint of a terminal container"; }
wait "$r1"	# the old pty closed with the container
lastt=$(tr -d '\r' < "$T/tty1" | grep '^tick' | tail -n1)
expect_fail c restore -d --image-path "$T/timg" --bundle "$T/tb" "$tid" | grep -q "needs --console-socket" ||
	fail "restore of a terminal container without --console-socket must be refused"
"$RECV" "$T/sock2" "$T/tty2" &
r2=$!
for _ in $(seq 100); do [ -e "$T/tty2" ] && break; sleep 0.05; done
c restore -d --console-socket "$T/sock2" --image-path "$T/timg" --bundle "$T/tb" "$tid" </dev/null >/dev/null 2>&1 ||
	{ show_logs "$T/timg/restore.log"; fail "restore of a terminal container"; }
tpid=$(state_pid "$tid")
# (readlink only: opening it here could make it this shell's controlling terminal)
[ "$(readlink "/proc/$tpid/fd/1" | cut -c1-9)" = /dev/pts/ ] ||
	fail "the restored init's stdout is $(readlink "/proc/$tpid/fd/1"), not a pty"
for _ in $(seq 100); do [ "$(grep -c '^tick' "$T/tty2")" -ge 2 ] && break; sleep 0.05; done
firstt=$(tr -d '\r' < "$T/tty2" | grep '^tick' | head -n1)
[ "$firstt" = "tick $((${lastt#tick } + 1))" ] || fail "the new terminal starts with '$firstt' after '$lastt'"
c delete --force "$tid"
wait "$r2"

# 5. a network namespace joined by path, a bind mount from config.json and a prestart hook;
#    restored from a new bundle (a copy of the rootfs, another bind source): the tree joins the
#    same namespace again, writes through the new bind, and the hook sees the restored init
command -v ip >/dev/null || skip "ip (iproute2) is missing for the joined network namespace"
netns=cryo-ck-$$
ip netns add "$netns" || fail "ip netns add"
trap 'ip netns del "$netns" 2>/dev/null; cleanup' EXIT
mkdir -p "$T/data1"
make_bundle "$T/nb" sh -c 'i=0; while :; do i=$((i+1)); echo $$ $i >> /data/count; sleep 0.05; done'
edit_config "$T/nb" '
import os
for n in c["linux"]["namespaces"]:
    if n["type"] == "network":
        n["path"] = "/run/netns/'"$netns"'"
c["mounts"].append({"destination": "/data", "type": "bind", "source": "'"$T/data1"'", "options": ["rbind", "rw"]})
c["hooks"] = {"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", "cat >> '"$T/hook.log"'; echo >> '"$T/hook.log"'"]}]}
'
nid=$(new_id net)
c run -d --bundle "$T/nb" "$nid" </dev/null >/dev/null 2>&1 || fail "run with a joined network namespace"
for _ in $(seq 100); do [ -s "$T/data1/count" ] && break; sleep 0.05; done
c checkpoint --image-path "$T/nimg" "$nid" || { show_logs "$T/nimg/dump.log"; fail "checkpoint with a joined netns"; }
grep -q "netns-" <(ls "$T/nimg") && fail "the joined network namespace was dumped"
nlast=$(tail -n1 "$T/data1/count")
nn=$(wc -l < "$T/data1/count")
cp -a "$T/nb" "$T/nb2"
cp -a "$T/data1" "$T/data2"
edit_config "$T/nb2" '
for m in c["mounts"]:
    if m["destination"] == "/data":
        m["source"] = "'"$T/data2"'"
'
c restore -d --image-path "$T/nimg" --bundle "$T/nb2" "$nid" </dev/null >/dev/null 2>&1 ||
	{ show_logs "$T/nimg/restore.log"; fail "restore with a joined netns"; }
npid=$(state_pid "$nid")
[ "$(readlink "/proc/$npid/ns/net")" = "$(ip netns exec "$netns" readlink /proc/self/ns/net)" ] ||
	fail "the restored container is not in the network namespace of its config"
[ "$(stat -Lc %d:%i "/proc/$npid/root")" = "$(stat -c %d:%i "$T/nb2/rootfs")" ] ||
	fail "the restored container's root is not the new bundle's rootfs"
for _ in $(seq 100); do [ "$(wc -l < "$T/data2/count")" -gt "$nn" ] && break; sleep 0.05; done
nnext=$(sed -n "$((nn + 1))p" "$T/data2/count")
[ "${nnext#* }" = $((${nlast#* } + 1)) ] || fail "through the new bind: '$nnext' after '$nlast'"
[ "$(wc -l < "$T/data1/count")" = "$nn" ] || fail "the restored container still writes to the old bind source"
c state "$nid" | python3 -c 'import json,sys; s=json.load(sys.stdin); assert s["bundle"] == sys.argv[1], s' "$T/nb2" ||
	fail "state does not name the new bundle"
python3 - "$T/hook.log" "$npid" <<'PY' || fail "the prestart hook did not see the restored init: $(cat "$T/hook.log")"
import json, sys
states = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert len(states) == 2, states
assert states[1]["pid"] == int(sys.argv[2]), states
PY
c delete --force "$nid"
pass
