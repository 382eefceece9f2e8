#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Network namespace C/R through cr/net*: a namespace with lo, a veth whose peer
# is in another test namespace, a veth pair with both ends inside, IPv4/IPv6 addresses, routes (one through a
# gateway, one in table 100), a rule, MTU, MAC and sysctls.  Dump, delete it,
# restore into a new namespace, compare the shape, and ping across the veth.
# Only private addresses, only between namespaces this test creates.
. "$(dirname "$0")/../lib/require.sh"
require_feature cap-sys-admin cap-net-admin
for tool in ip nsenter ping; do
	command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: '$tool' missing (contrib/deps/test.txt)"; exit 77; }
done
NT=${MNTNET_NET:?MNTNET_NET must name mntnet-net}

S=cryoS$$ P=cryoP$$
work=$(mktemp -d)
holder= restored=
cleanup() {
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	[ -n "$restored" ] && kill "$restored" 2>/dev/null
	wait 2>/dev/null
	ip netns del "$S" 2>/dev/null
	ip netns del "$P" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; exit 1; }

ip netns add "$S" && ip netns add "$P" || fail "cannot make namespaces"
ip -n "$S" link set lo up
ip link add name v0 netns "$S" type veth peer name p0 netns "$P" || fail "cannot make the veth pair"
ip -n "$S" link set v0 address 02:00:00:00:25:01 mtu 1400
ip -n "$S" link set v0 up
ip -n "$S" addr add 192.168.250.1/24 dev v0
ip -n "$S" addr add fd00:250::1/64 dev v0 nodad
ip -n "$S" link add vA type veth peer name vB || fail "cannot make an inner veth pair"
ip -n "$S" addr add 192.168.251.1/24 dev vA
ip -n "$S" link set vA up
ip -n "$S" route add 10.250.0.0/16 via 192.168.250.2
ip -n "$S" route add 10.251.0.0/16 dev v0 metric 50
# A gateway reachable only through a route dumped after the one using it.
ip -n "$S" route add 10.254.0.1/32 dev v0
ip -n "$S" route add 10.253.0.0/16 via 10.254.0.1
ip -n "$S" route add default via 192.168.250.2 table 100
ip -n "$S" rule add from 192.168.250.0/24 table 100 priority 1000
ip netns exec "$S" sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'
ip netns exec "$S" nft -f - <<'NFT' || fail "nft setup"
table inet cryotest {
	set allowed { type ipv4_addr; elements = { 192.168.250.2, 192.168.250.9 } }
	chain input {
		type filter hook input priority 0; policy accept;
		ip saddr @allowed icmp type echo-request counter accept
		tcp dport 9 drop
	}
}
table inet cryo-lock-test { }
NFT
ip -n "$P" addr add 192.168.250.2/24 dev p0
ip -n "$P" link set p0 up
ip netns exec "$S" sleep 1000 &
holder=$!
sleep 0.2

shape() {
	nsenter -t "$1" -n sh -c '
		ip -br link show | awk "{sub(/@.*/, \"\", \$1); print \$1, \$3, \$4}"
		ip -o link show | awk "{sub(/@.*/, \"\", \$2); print \$1, \$2, \$4, \$5}"
		ip -o addr show | awk "{print \$2, \$3, \$4}" | grep -v " fe80:"
		ip route show; ip -6 route show | grep -v "^fe80\|^multicast"
		ip route show table 100; ip rule show
		cat /proc/sys/net/ipv4/ip_forward
		nft list table inet cryotest'
}
for i in $(seq 50); do
	ip -n "$S" -o link show v0 | grep -q NO-CARRIER || break
	sleep 0.1
done
before=$(shape "$holder")

# A device kind cryo does not recreate is refused, naming it.
ip -n "$S" link add dum0 type bridge || fail "cannot make a bridge"
out=$("$NT" dump "$holder" "$work/bad" 2>&1) && fail "dump with a bridge device succeeded"
echo "$out" | grep -q "dum0" || fail "the refusal does not name dum0: $out"
ip -n "$S" link del dum0

"$NT" dump "$holder" "$work/img" || fail "dump"
sh "${ROUNDTRIP:?ROUNDTRIP must name tests/image/roundtrip-dir.sh}" "$work/img" || fail "netns image does not round-trip through cryo-image"
kill "$holder"; wait "$holder" 2>/dev/null; holder=
ip netns del "$S"
sleep 0.2
ip -n "$P" link show p0 >/dev/null 2>&1 && fail "p0 outlived its namespace"

"$NT" restore "$work/img" "veth[v0]:p0@$P" -- sleep 1000 &
restored=$!
for i in 1 2 3 4 5 6 7 8 9 10; do
	ip -n "$P" link show p0 >/dev/null 2>&1 && break
	sleep 0.3
done
sleep 0.3
kill -0 "$restored" 2>/dev/null || fail "restore exited"
ip -n "$P" addr add 192.168.250.2/24 dev p0
ip -n "$P" link set p0 up
# Carrier comes up asynchronously once both ends are up.
for i in $(seq 50); do
	nsenter -t "$restored" -n ip -o link show v0 | grep -q NO-CARRIER || break
	sleep 0.1
done
after=$(shape "$restored")
if [ "$before" != "$after" ]; then
	echo "--- dumped:"; echo "$before"; echo "--- restored:"; echo "$after"
	fail "network shape differs"
fi
echo "$after"
nsenter -t "$restored" -n ip -o link show vA | grep -q "vA@vB" || fail "the inner veth pair vA/vB was not restored as a pair"
nsenter -t "$restored" -n nft list tables | grep -q cryo-lock && fail "cryo's lock table was restored"
ok=
for i in 1 2 3; do
	ip netns exec "$P" ping -c 1 -W 2 192.168.250.1 >/dev/null 2>&1 && { ok=1; break; }
done
[ -n "$ok" ] || fail "no ping reply from the restored veth"
nsenter -t "$restored" -n nft list chain inet cryotest input | grep -q "counter packets [1-9]" ||
	fail "the restored rule did not count the ping"
echo PASS
