#!/bin/bash
# A user-namespace container: root inside maps to an unprivileged host uid.
. "$(dirname "$0")/lib.sh"
[ -e /proc/self/ns/user ] || skip "no user namespaces"
[ "$(cat /proc/sys/user/max_user_namespaces)" -gt 0 ] || skip "user namespaces disabled"
B=$T/bundle
make_bundle "$B" sleep 1000
chown -R 100000:100000 "$B/rootfs"
chmod 755 "$T"
edit_config "$B" '
c["linux"]["namespaces"].append({"type": "user"})
c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
c["linux"].pop("resources", None)
'
id=$(new_id a)
c run -d --bundle "$B" "$id" > "$T/run.out" 2>&1 || fail "run: $(cat "$T/run.out")"
wait_status "$id" running
pid=$(c state "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
huid=$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")
[ "$huid" = 100000 ] || fail "host uid of the container init is $huid, expected 100000"
[ "$(c exec "$id" id -u)" = 0 ] || fail "uid inside is not 0"
c exec "$id" cat /proc/self/uid_map | grep -q "0 *100000 *65536" || fail "uid_map: $(c exec "$id" cat /proc/self/uid_map)"
c exec "$id" touch /tmp/x || fail "root in the container cannot write its rootfs"
[ "$(stat -c %u "$B/rootfs/tmp/x")" = 100000 ] || fail "file made inside is not owned by host uid 100000"
c exec "$id" sh -c 'cat /dev/null && echo ok' | grep -q ok || fail "devices in a user namespace"
c exec --user 1000:1000 "$id" id -u | grep -qx 1000 || fail "exec --user in a user namespace"
c delete --force "$id" || fail "delete"
pass
