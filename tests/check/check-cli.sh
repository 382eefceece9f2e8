#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Command line of 'cryo-cr check': unknown names and options are clear errors
# (exit 2), --help works, -v/-o/--log-format log the probes.
set -u
CRYO_CR=$1
CRYO_IMAGE=$2
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

"$CRYO_CR" check --feature no-such-thing >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] || fail "unknown feature exited $rc, want 2"
grep -q "unknown feature 'no-such-thing'" "$tmp/err" || fail "error does not name the feature: $(cat "$tmp/err")"

"$CRYO_CR" check --feature memfd,no-such-thing >/dev/null 2>&1
rc=$?
[ $rc -eq 2 ] || fail "list with an unknown feature exited $rc, want 2"

"$CRYO_CR" check --no-such-option >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] || fail "unknown option exited $rc, want 2"

"$CRYO_CR" check stray-argument >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] || fail "stray argument exited $rc, want 2"
grep -q "stray-argument" "$tmp/err" || fail "stray argument not named"

"$CRYO_CR" check -v9 >/dev/null 2>&1
[ $? -eq 2 ] || fail "-v9 accepted"

"$CRYO_CR" check --help >"$tmp/help" || fail "--help exited $?"
grep -q -- "--feature" "$tmp/help" || fail "--help does not mention --feature"

nfeatures=$("$CRYO_CR" check --feature list | wc -l)
"$CRYO_CR" check -v4 -o "$tmp/log" --log-format text --feature memfd >/dev/null
rc=$?
[ $rc -le 1 ] || fail "-v4 -o --log-format text exited $rc"
grep -q "kerndat: soft-dirty: " "$tmp/log" || fail "text log file has no probe results"
[ "$(grep -c ' kerndat: ' "$tmp/log")" -eq "$nfeatures" ] ||
	fail "text log does not have one line per probe"

# A log file is binary by default; decoded it says the same.
"$CRYO_CR" check -v4 -o "$tmp/bin.log" --feature memfd >/dev/null
rc=$?
[ $rc -le 1 ] || fail "-v4 -o exited $rc"
grep -q "kerndat: soft-dirty: " "$tmp/bin.log" && fail "default log file is text, not binary"
"$CRYO_IMAGE" log decode "$tmp/bin.log" >"$tmp/decoded" || fail "cannot decode the binary log"
[ "$(grep -c ' kerndat: ' "$tmp/decoded")" -eq "$nfeatures" ] ||
	fail "decoded binary log does not have one line per probe"

"$CRYO_CR" check -o "$tmp/quiet" --log-format text --feature memfd >/dev/null
grep -q "kerndat:" "$tmp/quiet" 2>/dev/null && fail "probe results logged without -v"

"$CRYO_CR" check --log-format xml >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "--log-format xml accepted"
grep -q "xml" "$tmp/err" || fail "bad log format not named"

# Several features at once: 0 only if all are present.
present=$("$CRYO_CR" check --json | python3 -c '
import json, sys
f = json.load(sys.stdin)["features"]
print(",".join(n for n in f if f[n]["present"]))')
missing=$("$CRYO_CR" check --json | python3 -c '
import json, sys
f = json.load(sys.stdin)["features"]
print(",".join(n for n in f if not f[n]["present"]))')
"$CRYO_CR" check --feature "$present" >/dev/null || fail "all present features together exited $?"
if [ -n "$missing" ]; then
	"$CRYO_CR" check --feature "$present,$missing" >/dev/null
	[ $? -eq 1 ] || fail "present+missing features did not exit 1"
fi
echo "PASS"
