#!/bin/bash
# checkpoint/restore without the core doing the work: options cryo does not
# implement are refused by name before anything is done; a container that
# is not running cannot be checkpointed; a broken or corrupt image fails the
# restore with an error naming it and leaves no state, cgroup or process.
. "$(dirname "$0")/lib.sh"
B=$T/bundle
make_bundle "$B" sh -c 'echo $$ > /tmp/started; exec sleep 1000'

id=$(new_id a)
c create --bundle "$B" "$id" </dev/null >/dev/null 2>&1 || fail "create"
expect_fail c checkpoint --image-path "$T/img0" "$id" | grep -q "it is created, not running" ||
	fail "checkpoint of a created container must be refused"
c start "$id" || fail "start"
wait_status "$id" running

# every runc option cryo does not implement: refused by name, nothing done
for o in --lazy-pages --pre-dump --auto-dedup \
	"--parent-path=$T/p" "--page-server=127.0.0.1:1" "--status-fd=3" "--empty-ns=network" \
	"--manage-cgroups-mode=strict"; do
	out=$(expect_fail c checkpoint "$o" --image-path "$T/img1" "$id") || exit 1
	echo "$out" | grep -q -- "option ${o%%=*} is not supported" || fail "checkpoint $o: not refused by name: $out"
	[ ! -e "$T/img1" ] || fail "a refused checkpoint ($o) made its image directory"
done
c checkpoint --manage-cgroups-mode soft --image-path "$T/x" nosuch 2>&1 | grep -q 'container "nosuch" does not exist' ||
	fail "--manage-cgroups-mode soft must be accepted"
[ "$(status "$id")" = running ] || fail "a refused checkpoint changed the container"
for o in --lazy-pages --auto-dedup --no-pivot \
	"--empty-ns=network" "--lsm-profile=apparmor:x" "--lsm-mount-context=x" "--manage-cgroups-mode=full"; do
	out=$(expect_fail c restore "$o" --image-path "$T/img1" --bundle "$B" x) || exit 1
	echo "$out" | grep -q -- "option ${o%%=*} is not supported" || fail "restore $o: not refused by name: $out"
done
expect_fail c restore --bogus x | grep -q "flag provided but not defined: -bogus" || fail "unknown option"

# a process exec'd into the container is not in its init's tree: refused, not lost
c exec -d "$id" sleep 1000 || fail "exec -d"
out=$(expect_fail c checkpoint --image-path "$T/img2" "$id") || exit 1
echo "$out" | grep -q "not a descendant of its init" || fail "an exec'd process is not refused: $out"
[ "$(status "$id")" = running ] || fail "a refused checkpoint changed the container"

# images that are not cryo's, or broken: a clear error, nothing left behind
left_behind() {
	expect_fail c state "$1" | grep -q "does not exist" || fail "a failed restore left state for $1"
	for d in /sys/fs/cgroup/*/cryo/"$1" /sys/fs/cgroup/cryo/"$1"; do
		[ -e "$d" ] && fail "a failed restore left the cgroup $d"
	done
}
bid=$(new_id bad)
mkdir -p "$T/notimg"
expect_fail c restore -d --image-path "$T/notimg" --bundle "$B" "$bid" | grep -q "is not a container checkpoint of cryo" ||
	fail "an empty directory is not named as not a checkpoint"
left_behind "$bid"
mkdir -p "$T/bad"
echo '{"version": 1, "id": ' > "$T/bad/cryo-checkpoint.json"
expect_fail c restore -d --image-path "$T/bad" --bundle "$B" "$bid" | grep -q "cryo-checkpoint.json: not a JSON object" ||
	fail "a broken cryo-checkpoint.json is not named"
left_behind "$bid"
echo '{"version": 7}' > "$T/bad/cryo-checkpoint.json"
expect_fail c restore -d --image-path "$T/bad" --bundle "$B" "$bid" | grep -q "unknown version" ||
	fail "a future version is not refused"
# a valid description over a corrupt core image: the core's error, named
cat > "$T/bad/cryo-checkpoint.json" <<JSON
{"version": 1, "id": "$bid", "bundle": "$B", "rootfs": "$B/rootfs", "pid": 4242, "terminal": false,
 "stdio": ["/dev/null", "/dev/null", "/dev/null"], "external": [], "mounts": [], "nsJoined": 0, "nsOwn": 0}
JSON
printf 'CYIMgarbage-not-an-image' > "$T/bad/inventory.img"
printf 'garbage' > "$T/bad/pstree.img"
out=$(expect_fail c restore -d --image-path "$T/bad" --bundle "$B" "$bid") || exit 1
echo "$out" | grep -q "restore of container \"$bid\" failed: .*\.img" || fail "unclear error for a corrupt image: $out"
echo "$out" | grep -q "log: $T/bad/restore.log" || fail "the error does not point at the log: $out"
left_behind "$bid"
pass
