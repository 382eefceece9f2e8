#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/lib/require.sh: a missing feature skips loudly (77), a present one
# passes through, an unknown name is an error and never a skip.
set -u
export CRYO_CR="$1"
lib="$(dirname "$0")/../lib/require.sh"
fail() { echo "FAIL: $*"; exit 1; }

pick() { # pick true|false: one feature with that presence, from the JSON
	"$CRYO_CR" check --json | python3 -c "
import json, sys
f = json.load(sys.stdin)['features']
print(next((n for n in f if f[n]['present'] == $1), ''))"
}
present=$(pick True)
missing=$(pick False)
[ -n "$present" ] || fail "no feature is present at all"

out=$(sh -c ". '$lib'; require_feature '$present'; echo reached")
[ $? -eq 0 ] && [ "$out" = reached ] || fail "require_feature $present did not pass: $out"

out=$(sh -c ". '$lib'; require_feature bogus-feature; echo reached" 2>&1)
rc=$?
[ $rc -eq 1 ] || fail "unknown feature gave exit $rc (77 would hide typos)"
case $out in *reached*) fail "test went on after an unknown feature" ;; esac

if [ -n "$missing" ]; then
	out=$(sh -c ". '$lib'; require_feature '$present' '$missing'; echo reached")
	rc=$?
	[ $rc -eq 77 ] || fail "missing $missing gave exit $rc, want 77"
	case $out in
	"SKIP: kernel feature $missing missing: "?*) ;;
	*) fail "skip message is not loud: $out" ;;
	esac
	echo "skip message: $out"
else
	echo "note: every feature is present here; the skip path was not exercised"
fi

out=$(CRYO_CR=/nonexistent sh -c ". '$lib'; require_feature memfd" 2>&1)
[ $? -eq 1 ] || fail "a missing cryo-cr is not an error"
echo "PASS"
