#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Usage: blobgen-reject.sh PATTERN BLOBGEN ARGS...
# Passes only if blobgen exits with status 1 (a rejection, not a usage error or a
# crash) and its error output matches PATTERN (an extended regex): a check that
# fails for the wrong reason must not count as a pass.
set -u
pattern=$1
shift
err=$("$@" 2>&1 >/dev/null)
status=$?
printf '%s\n' "$err"
if [ "$status" -ne 1 ]; then
	echo "FAIL: expected blobgen to reject with status 1, got $status" >&2
	exit 1
fi
if ! printf '%s\n' "$err" | grep -Eq -- "$pattern"; then
	echo "FAIL: blobgen's error does not match '$pattern'" >&2
	exit 1
fi
echo "PASS: rejected as expected ('$pattern')"
