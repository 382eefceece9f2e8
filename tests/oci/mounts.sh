#!/bin/bash
# The container's filesystem: read-only root, bind mounts with options, masked and read-only
# paths, default devices, hostname, sysctl, tmpfs; --no-pivot.
. "$(dirname "$0")/lib.sh"
B=$T/bundle
make_bundle "$B" sleep 1000
mkdir -p "$T/share" && echo shared-data > "$T/share/file"
edit_config "$B" '
c["root"]["readonly"] = True
c["hostname"] = "cryo-test-host"
c["domainname"] = "cryo.test"
c["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777"]})
c["mounts"].append({"destination": "/share-ro", "type": "bind", "source": "'"$T/share"'", "options": ["rbind", "ro"]})
c["mounts"].append({"destination": "/share-rw", "source": "'"$T/share"'", "options": ["bind", "rw"]})
c["mounts"].append({"destination": "/share-file", "source": "'"$T/share/file"'", "options": ["bind", "ro"]})
c["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}
c["linux"]["devices"] = [{"path": "/dev/mydev", "type": "c", "major": 1, "minor": 3, "fileMode": 438}]
'
id=$(new_id a)
c run -d --bundle "$B" "$id" || fail "run"
x() { c exec "$id" sh -c "$1" </dev/null; }

x 'touch /newfile' 2>/dev/null && fail "root must be read-only"
x 'touch /tmp/ok' || fail "tmpfs on /tmp must be writable"
[ "$(x 'cat /share-ro/file')" = shared-data ] || fail "bind mount content"
x 'touch /share-ro/x' 2>/dev/null && fail "ro bind must be read-only"
x 'touch /share-rw/made-inside' || fail "rw bind must be writable"
[ -e "$T/share/made-inside" ] || fail "rw bind does not reach the host directory"
[ "$(x 'cat /share-file')" = shared-data ] || fail "file bind mount"
[ "$(x hostname)" = cryo-test-host ] || fail "hostname"
[ "$(x 'cat /proc/sys/kernel/domainname')" = cryo.test ] || fail "domainname"
[ "$(x 'cat /proc/sys/net/ipv4/ip_forward')" = 1 ] || fail "sysctl"
[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ] && echo "note: host ip_forward is 1 too"
x 'echo 1 > /proc/sys/kernel/domainname' 2>/dev/null && fail "/proc/sys must be read-only"
[ -z "$(x 'cat /proc/kcore' 2>/dev/null | head -c 10)" ] || fail "/proc/kcore must be masked"
x 'ls /sys/firmware' | grep -q . && fail "/sys/firmware must be masked (empty)"
x 'echo hi > /dev/null && head -c 4 /dev/zero | wc -c' | grep -q 4 || fail "default devices"
x 'echo hi > /dev/mydev' || fail "linux.devices entry"
x 'readlink /dev/fd' | grep -q /proc/self/fd || fail "/dev/fd symlink"
x 'ls /sys/fs/cgroup' | grep -q . || fail "cgroup mount is empty"
x 'cat /proc/self/mountinfo' | awk '$5 == "/" && $6 ~ /^ro/ {ok=1} END {exit !ok}' || fail "rootfs mount is not ro in mountinfo"
# Only the container's mounts are visible: no mount point names a host path.
x 'cat /proc/self/mountinfo' | awk -v t="$T" 'index($5, t) {bad=1} END {exit bad}' || fail "host mount points leak into the container"
c delete --force "$id" || fail "delete"

id2=$(new_id nopivot)
make_bundle "$T/b2" sh -c 'cat /proc/self/mountinfo | head -1; ls /bin/busybox'
c create --no-pivot --bundle "$T/b2" "$id2" > "$T/np.out" 2>&1 || fail "create --no-pivot: $(cat "$T/np.out")"
c start "$id2" || fail "start --no-pivot"
wait_status "$id2" stopped
grep -q /bin/busybox "$T/np.out" || fail "--no-pivot container did not run: $(cat "$T/np.out")"
pass
