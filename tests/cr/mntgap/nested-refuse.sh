#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Nested namespaces are refused at dump, clearly: a tree one of whose tasks
# unshared its own mount namespace (below a root in the host's, and below a
# root in a mount namespace of its own, as in a container), or its own
# network namespace.  Each dump fails naming the task, the kind and the
# root; the tree runs on untraced and no lock table is left.
#
#   nested-refuse.sh
set -u
. "$(dirname "$0")/../../lib/require.sh"
require_feature cap-sys-admin
command -v unshare >/dev/null 2>&1 || { echo "SKIP: 'unshare' missing (contrib/deps/test.txt)"; exit 77; }
CR=${CRYO_CR:?CRYO_CR must name cryo-cr}
W=$(mktemp -d /tmp/cryo-mg-nested.XXXXXX)
pid= result=1

log() { echo "[cr-mntgap-nested] $*" >&2; }
die() { log "FAIL: $*"; exit 1; }
cleanup() {
	[ -n "$pid" ] && kill -KILL -- -"$pid" 2>/dev/null
	if [ $result -ne 0 ]; then
		for f in "$W"/*.log; do [ -s "$f" ] && { echo "--- $f (tail)"; tail -n 20 "$f"; }; done
	fi
	[ -n "$pid" ] && nft delete table inet "cryo-lock-$pid" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# refuse NAME KIND OUTER INNER: the root runs under OUTER (a command
# prefix, may be empty), its child under INNER; the dump must refuse with
# "nested KIND namespaces".
refuse() {
	local name=$1 kind=$2 outer=$3 inner=$4
	rm -f "$W/child"
	setsid $outer sh -c "$inner sh -c 'echo \$\$ >$W/child; exec sleep 1000' & wait" </dev/null >/dev/null 2>&1 &
	pid=$!
	for ((i = 0; i < 200; i++)); do [ -s "$W/child" ] && break; sleep 0.05; done
	[ -s "$W/child" ] || die "$name: the tree did not start"
	child=$(cat "$W/child")
	[ "$(readlink /proc/$child/ns/$kind)" != "$(readlink /proc/$pid/ns/$kind)" ] || die "$name: the child shares the root's $kind namespace"
	"$CR" dump -t "$pid" -D "$W/img-$name" -R -v4 -o "$W/$name.log" --log-format text &&
		die "$name: the dump of a tree with a nested $kind namespace succeeded"
	grep -q "process $child is in another .* namespace than the tree's root $pid: nested .* namespaces are not supported" "$W/$name.log" ||
		die "$name: the refusal does not name the task and the root"
	case $kind in
	mnt) grep -q "nested mount namespaces" "$W/$name.log" || die "$name: the refusal does not say mount";;
	net) grep -q "nested network namespaces" "$W/$name.log" || die "$name: the refusal does not say network";;
	esac
	kill -0 "$pid" && kill -0 "$child" || die "$name: the refused dump killed the tree"
	[ "$(awk '/^TracerPid:/ {print $2}' "/proc/$child/status")" = 0 ] || die "$name: the child is still traced"
	! nft list tables 2>/dev/null | grep -q "cryo-lock-$pid" || die "$name: a lock table was left"
	kill -KILL -- -"$pid"
	wait "$pid" 2>/dev/null
	pid=
	log "$name: refused"
}

refuse host-root-mnt mnt "" "unshare -m --propagation private"
refuse own-root-mnt mnt "unshare -m --propagation private" "unshare -m --propagation private"
refuse own-root-net net "unshare -m -n --propagation private" "unshare -n"
log PASS
result=0
exit 0
