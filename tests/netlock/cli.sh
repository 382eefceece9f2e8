#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# cryo-netlock on a private network namespace, cross-checked with the nft
# binary: clear errors, unlock of a missing table, atomic batches (a batch the
# kernel rejects leaves nothing behind, and does not delete an older table).
. "$(dirname "$0")/../lib/require.sh"
require_feature nftables cap-net-admin cap-sys-admin   # namespaces: ip netns add
for tool in ip nft; do
	command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: '$tool' missing (contrib/deps/test.txt)"; exit 77; }
done
NL=${CRYO_NETLOCK:?CRYO_NETLOCK must name cryo-netlock}

ns=nlkcli$$
table=cryo-lock-cli
failures=0
out=$(mktemp)
cleanup() {
	ip netns del "$ns" 2>/dev/null
	rm -f "$out"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
ip netns add "$ns" || { echo "FAIL: cannot add network namespace $ns"; exit 1; }
nsp=/run/netns/$ns

ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# expect STATUS WHAT CMD... : run CMD, its output in $out, status must be STATUS
expect() {
	want=$1 what=$2
	shift 2
	timeout 10 "$@" >"$out" 2>&1
	got=$?
	if [ "$got" -eq "$want" ]; then ok "$what"; else fail "$what (exit $got, want $want): $(cat "$out")"; fi
}
has() { if grep -q -- "$1" "$out"; then ok "$2"; else fail "$2: no '$1' in: $(cat "$out")"; fi; }
nft_tables() { ip netns exec "$ns" nft list tables >"$out" 2>&1; }

expect 0 "lock" "$NL" lock --netns "$nsp" --table "$table"
nft_tables; has "table inet $table" "nft sees the table"
ip netns exec "$ns" nft list table inet "$table" >"$out" 2>&1
has "hook input priority raw; policy drop" "input chain: hook input, priority raw (-300), policy drop"
has "hook output priority raw; policy drop" "output chain: hook output, priority raw (-300), policy drop"
has "meta mark 0x0000c114 accept" "packets with the restore's mark (NETLOCK_PASS_MARK) pass"

expect 1 "a second lock fails" "$NL" lock --netns "$nsp" --table "$table"
has "table inet $table exists already" "the error names the table and says it exists"
expect 0 "the first lock is still there" "$NL" exists --netns "$nsp" --table "$table"

# Reuse + a fault at the end: the kernel rejects the batch, so its delete of
# the old table must not have happened either.
expect 1 "reuse with an injected fault fails" "$NL" lock --reuse --fault-last --netns "$nsp" --table "$table"
has "kernel refused 'add rule to an over-long chain name (injected fault)' (" "the error names the refused message and gives the kernel's extended ack"
ip netns exec "$ns" nft list table inet "$table" >"$out" 2>&1
has "chain output" "the old table survives the rejected batch whole"

expect 0 "unlock" "$NL" unlock --netns "$nsp" --table "$table"
nft_tables
if grep -q "$table" "$out"; then fail "table still listed after unlock"; else ok "nft: table gone after unlock"; fi
expect 0 "unlock of a missing table succeeds" "$NL" unlock --netns "$nsp" --table "$table"
expect 0 "... and says so at debug level" "$NL" -v4 unlock --netns "$nsp" --table "$table"
has "was not there; nothing to unlock" "debug message for the missing table"

expect 1 "a lock the kernel rejects half way fails" "$NL" lock --fault-last --netns "$nsp" --table "$table"
nft_tables
if [ -s "$out" ]; then fail "tables left behind by a rejected batch: $(cat "$out")"; else ok "nothing left behind by a rejected batch"; fi
expect 1 "... read back over netlink too" "$NL" exists --netns "$nsp" --table "$table"

long=$(printf 'a%.0s' $(seq 1 300))
expect 1 "a 300-byte table name is refused" "$NL" lock --netns "$nsp" --table "$long"
has "at most 255" "the error gives the limit"
nft_tables
if [ -s "$out" ]; then fail "tables left behind: $(cat "$out")"; else ok "no table after the refused name"; fi

expect 1 "a non-network namespace is refused" "$NL" lock --netns /proc/self/ns/mnt --table "$table"
has "is not a network namespace" "the error says what is wrong"
expect 1 "a missing namespace file is refused" "$NL" lock --netns /run/netns/nlk-no-such-$$ --table "$table"
has "cannot open network namespace" "the error names the path"

expect 0 "parse-mode nftables" "$NL" parse-mode nftables
expect 0 "parse-mode skip" "$NL" parse-mode skip
expect 2 "parse-mode iptables is refused" "$NL" parse-mode iptables
has "unknown mode 'iptables' (use 'nftables' or 'skip')" "the error names the value and the choices"
expect 2 "missing --table" "$NL" lock --netns "$nsp"
has "--table NAME is required" "the error says what is missing"
expect 2 "unknown verb" "$NL" frobnicate --table x
expect 2 "bad connection" ip netns exec "$ns" "$NL" lock-conns --table "$table" 10.0.0.1:80
has "bad connection '10.0.0.1:80'" "the error names the connection"
expect 2 "mixed families" ip netns exec "$ns" "$NL" lock-conns --table "$table" "10.0.0.1:80,[fd00::1]:80"
expect 0 "lock-conns in the namespace" ip netns exec "$ns" "$NL" lock-conns --table "$table" \
	"10.0.0.1:80,10.0.0.2:4000" "[fd00::1]:22,[fd00::2]:4001"
ip netns exec "$ns" nft list table inet "$table" >"$out" 2>&1
has "ip saddr 10.0.0.2 ip daddr 10.0.0.1 tcp sport 4000 tcp dport 80 counter packets 0 bytes 0 drop" "IPv4 rule, incoming direction"
has "ip6 saddr fd00::1 ip6 daddr fd00::2 tcp sport 22 tcp dport 4001 counter packets 0 bytes 0 drop" "IPv6 rule, outgoing direction"
has "policy accept" "connection lock leaves other traffic alone"
has "meta mark 0x0000c114 accept" "the connection lock lets the restore's marked packets through"
expect 0 "unlock conns" ip netns exec "$ns" "$NL" unlock --table "$table"

if [ "$failures" -ne 0 ]; then
	echo "FAIL: $failures checks failed"
	exit 1
fi
echo PASS
