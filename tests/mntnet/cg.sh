#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# cgroup v1 C/R through cr/cgroup*: a task in test cgroups with limits
# (memory, cpu, pids, cpuset) is dumped, the cgroups are removed, and a new
# task is restored into recreated cgroups under another name, per
# --manage-cgroups mode: full, soft, props, none, strict.  A task in a frozen
# freezer cgroup is reported frozen.
. "$(dirname "$0")/../lib/require.sh"
require_feature cgroup-v1 cap-sys-admin
CG=${MNTNET_CG:?MNTNET_CG must name mntnet-cg}
R=/sys/fs/cgroup
for c in memory cpu pids cpuset freezer; do
	[ -d "$R/$c" ] || { echo "SKIP: no v1 $c hierarchy at $R/$c"; exit 77; }
done

work=$(mktemp -d)
pids=
# The test's cgroups sit below the ones this shell is in.
base() { sed -n "s/^[0-9]*:$1:\(.*\)/\1/p" /proc/self/cgroup | sed 's|/$||'; }
A=cryoA$$ B=cryoB$$ F=cryoF$$
dirs() { for c in memory cpu pids cpuset; do echo "$R/$c$(base $c)/$1"; done; }
kill_all() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do while kill -0 "$p" 2>/dev/null; do sleep 0.05; done; done
	pids=
}
rm_cg() { for d in $(dirs "$1"); do [ -d "$d" ] && rmdir "$d"; done; return 0; }
cleanup() {
	[ -f "$R/freezer/$F/freezer.state" ] && echo THAWED > "$R/freezer/$F/freezer.state"
	kill_all
	rm_cg "$A"; rm_cg "$B"
	[ -d "$R/freezer/$F" ] && rmdir "$R/freezer/$F"
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; exit 1; }

make_cg() {	# NAME PIDS_MAX
	for d in $(dirs "$1"); do mkdir -p "$d" || fail "mkdir $d"; done
	cs=$R/cpuset$(base cpuset)/$1
	cat "$cs/../cpuset.mems" > "$cs/cpuset.mems"
	echo 0 > "$cs/cpuset.cpus"
	echo "$2" > "$R/pids$(base pids)/$1/pids.max"
}
make_cg "$A" 77
echo 67108864 > "$R/memory$(base memory)/$A/memory.limit_in_bytes"
echo 512 > "$R/cpu$(base cpu)/$A/cpu.shares"
echo 50000 > "$R/cpu$(base cpu)/$A/cpu.cfs_quota_us"

sleep 1000 &
old=$!
pids=$old
for d in $(dirs "$A"); do echo "$old" > "$d/cgroup.procs" || fail "join $d"; done
"$CG" dump "$work/img" "$old" > "$work/out" || fail "dump"
sh "${ROUNDTRIP:?ROUNDTRIP must name tests/image/roundtrip-dir.sh}" "$work/img" || fail "cgroup image does not round-trip through cryo-image"
grep -qx frozen=0 "$work/out" || fail "a running task reported frozen: $(cat "$work/out")"
kill_all
rm_cg "$A"

# A tampered image naming a file that is not a saved property is refused.
mkdir "$work/bad"
cp "$work/img/inventory.img" "$work/bad/"
"$CRYO_IMAGE" decode "$work/img/cgroup.img" | sed 's/"pids.max"/"cgroup.procs"/' > "$work/bad.json"
"$CRYO_IMAGE" encode -i "$work/bad.json" -o "$work/bad/cgroup.img" || fail "cannot encode the tampered image"
"$CG" restore "$work/bad" full "$old" -- true 2>"$work/err" && fail "a tampered cgroup image was restored"
grep -q "cgroup.procs' is not a property" "$work/err" || fail "unclear refusal of a tampered image: $(cat "$work/err")"

remaps="memory:$(base memory)/$A:$(base memory)/$B cpu:$(base cpu)/$A:$(base cpu)/$B"
remaps="$remaps pids:$(base pids)/$A:$(base pids)/$B cpuset:$(base cpuset)/$A:$(base cpuset)/$B"
val() { cat "$R/$1$(base "$1")/$B/$2"; }
alive() { s=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null); [ -n "$s" ] && [ "$s" != Z ]; }
restore() {	# MODE
	# shellcheck disable=SC2086
	"$CG" restore "$work/img" "$1" "$old" $remaps -- sleep 1000 &
	new=$!
	pids=$new
	# Done when the tool has joined every cgroup and exec'ed the command (it
	# joins one controller after the other: pids alone is not enough), or died.
	for i in $(seq 400); do
		[ "$(cat /proc/$new/comm 2>/dev/null)" = sleep ] && break
		alive "$new" || break
		sleep 0.05
	done
	alive "$new" || { pids=; return 1; }
	for c in memory cpu pids cpuset; do
		grep -q "^[0-9]*:$c:$(base $c)/$B\$" /proc/$new/cgroup || fail "$1: restored task not in $c:$B: $(cat /proc/$new/cgroup)"
	done
}
check_props() {	# MODE PIDS_MAX
	[ "$(val pids pids.max)" = "$2" ] || fail "$1: pids.max is $(val pids pids.max), expected $2"
	if [ "$2" = 77 ]; then
		[ "$(val memory memory.limit_in_bytes)" = 67108864 ] || fail "$1: memory.limit_in_bytes $(val memory memory.limit_in_bytes)"
		[ "$(val cpu cpu.shares)" = 512 ] || fail "$1: cpu.shares $(val cpu cpu.shares)"
		[ "$(val cpu cpu.cfs_quota_us)" = 50000 ] || fail "$1: cpu.cfs_quota_us $(val cpu cpu.cfs_quota_us)"
		[ "$(val cpuset cpuset.cpus)" = 0 ] || fail "$1: cpuset.cpus $(val cpuset cpuset.cpus)"
	fi
}

# full: B does not exist; made with every property.
restore full || fail "full: restore failed"
check_props full 77
kill_all; rm_cg "$B"

# soft: an existing B keeps its own properties.
make_cg "$B" 5
restore soft || fail "soft: restore failed"
check_props soft 5
kill_all; rm_cg "$B"
# soft: a missing B is made with the dumped properties.
restore soft || fail "soft (missing): restore failed"
check_props soft 77
kill_all; rm_cg "$B"

# props: B must exist; its properties are overwritten.
make_cg "$B" 5
restore props || fail "props: restore failed"
check_props props 77
kill_all; rm_cg "$B"

# none: B must exist, properties untouched.
restore none 2>"$work/err" && fail "none: restore without the cgroup succeeded"
grep -q "does not exist" "$work/err" || fail "none: unclear refusal: $(cat "$work/err")"
make_cg "$B" 5
restore none || fail "none: restore failed"
check_props none 5
kill_all

# strict: B must not exist.
restore strict 2>"$work/err" && fail "strict: restore over an existing cgroup succeeded"
grep -q "exists" "$work/err" || fail "strict: unclear refusal: $(cat "$work/err")"
rm_cg "$B"

# A paused container: a task in a frozen freezer cgroup is reported frozen.
mkdir "$R/freezer/$F"
sleep 1000 &
frz=$!
pids=$frz
echo "$frz" > "$R/freezer/$F/cgroup.procs"
echo FROZEN > "$R/freezer/$F/freezer.state"
"$CG" dump "$work/frozen" "$frz" > "$work/out" || fail "dump of a frozen task"
grep -qx frozen=1 "$work/out" || fail "a task in a frozen cgroup was not reported frozen"
echo THAWED > "$R/freezer/$F/freezer.state"
echo PASS
