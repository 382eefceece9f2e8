#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# image-roundtrip.sh NS-STATE: the namespace images ns-state writes are shown by
# 'cryo-image show' and survive 'cryo-image decode | encode' byte for byte.
set -u
here=$(dirname "$0")
. "$here/../lib/require.sh"
require_feature timens cap-sys-admin
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
if ! NS_TEST_IMAGE_DIR="$tmp/img" "$1" > "$tmp/out" 2>&1; then
	cat "$tmp/out"
	echo "FAIL: ns-state did not pass" >&2
	exit 1
fi
"$CRYO_IMAGE" show "$tmp/img" > "$tmp/show" || { echo "FAIL: cryo-image show"; exit 1; }
for kind in ns-ids utsns ipcns timens userns; do
	if ! grep -q " $kind\$" "$tmp/show"; then
		cat "$tmp/show"
		echo "FAIL: cryo-image show lists no $kind file"
		exit 1
	fi
	echo "PASS: cryo-image show lists the $kind file"
done
"$here/../image/roundtrip-dir.sh" "$tmp/img" || { echo "FAIL: round trip"; exit 1; }
echo "PASS: every namespace image survives decode | encode"
