#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Usage: blobgen-truncated.sh BLOBGEN BLOB.elf
# blobgen reads input from the build, but it must still treat a damaged file as bad
# input: every truncation of a good blob is rejected with status 1 (not accepted, not
# a crash). Run under -Db_sanitize=address this also catches out-of-bounds reads.
set -u
blobgen=$1
elf=$2
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
size=$(stat -c %s "$elf")
n=0
failed=0
for len in 0 1 16 63 64 65 128 512 1000 4095 4096 4097 $(seq 5000 1531 "$size") $((size - 1)); do
	[ "$len" -ge "$size" ] && continue
	head -c "$len" "$elf" >"$tmp"
	"$blobgen" --check --name t --entry test_blob_main "$tmp" >/dev/null 2>&1
	status=$?
	n=$((n + 1))
	if [ "$status" -ne 1 ]; then
		echo "FAIL: blob truncated to $len of $size bytes: blobgen status $status" >&2
		failed=1
	fi
done
# The untruncated file passes, so the rejections above are about the damage.
if ! "$blobgen" --check --name t --entry test_blob_main "$elf" >/dev/null; then
	echo "FAIL: the intact blob is rejected" >&2
	exit 1
fi
[ "$failed" -eq 0 ] && echo "PASS: $n truncations of $elf rejected"
exit "$failed"
