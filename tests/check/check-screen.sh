#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# 'cryo-cr check' exits 0 and its screen lists every feature once, with
# yes/no/error, a cost text for each missing one and a consistent summary.
set -u
CRYO_CR=$1
fail() { echo "FAIL: $*"; exit 1; }

screen=$("$CRYO_CR" check) || fail "cryo-cr check exited $?"
names=$("$CRYO_CR" check --feature list) || fail "--feature list exited $?"
total=$(printf '%s\n' "$names" | wc -l)
[ "$total" -ge 30 ] || fail "only $total features listed"
[ "$(printf '%s\n' "$names" | sort -u | wc -l)" -eq "$total" ] || fail "duplicate feature names"

yes=0
for name in $names; do
	lines=$(printf '%s\n' "$screen" | grep -cE "^  $name +(yes|no|error)( |\$)")
	[ "$lines" -eq 1 ] || fail "'$name' appears $lines times on the screen"
	line=$(printf '%s\n' "$screen" | grep -E "^  $name +(yes|no|error)( |\$)")
	case $line in
	*" yes") yes=$((yes + 1)) ;;
	*" no "*[a-z]*|*" error "*[a-z]*) ;; # a cost text follows
	*) fail "no cost text for missing feature: $line" ;;
	esac
done
summary=$(printf '%s\n' "$screen" | grep -E '^[0-9]+ of [0-9]+ features present')
[ "$summary" != "${summary#"$yes of $total "}" ] ||
	fail "summary '$summary' does not match $yes of $total counted"
for fact in "vdso area" capabilities "rlimit nofile" cgroups; do
	printf '%s\n' "$screen" | grep -q "^  $fact  " || fail "fact '$fact' missing"
done

details=$("$CRYO_CR" check --details) || fail "--details exited $?"
[ "$(printf '%s\n' "$details" | grep -c '^  *(.*)$')" -ge "$total" ] ||
	fail "--details does not show a detail line per feature"
echo "PASS: $total features listed, $yes present"
