#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# roundtrip-sample.sh MKSAMPLE: write the sample image (every kind) and check that
# every file of it round-trips through cryo-image decode/encode byte for byte, and
# that a whole decoded directory encodes back to the same structured files.
set -eu
mksample=$1
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$mksample" "$tmp/img"
"$here/roundtrip-dir.sh" "$tmp/img"
"$CRYO_IMAGE" decode "$tmp/img" -o "$tmp/dir.json"
"$CRYO_IMAGE" encode -i "$tmp/dir.json" -o "$tmp/back" 2>/dev/null
n=0
for f in "$tmp"/img/*.img; do
	b=$(basename "$f")
	case $b in pages-*) continue ;; esac
	cmp "$f" "$tmp/back/$b"
	n=$((n + 1))
done
[ "$n" -ge 6 ] || { echo "only $n files in the sample" >&2; exit 1; }
# The decoded directory reports the page file with its size.
grep -q '"pages-4242.img"' "$tmp/dir.json"
echo PASS
