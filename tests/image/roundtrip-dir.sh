#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# roundtrip-dir.sh DIR...: every structured image file under each DIR (*.img but
# the raw pages-*.img) must survive 'cryo-image decode | cryo-image encode' byte
# for byte.  Exit 0 when all do, 1 naming the first file that does not.
# The tool is $CRYO_IMAGE, else cryo-image from PATH, else ../../build/cr/cryo-image.
set -u
here=$(dirname "$0")
tool=${CRYO_IMAGE:-}
if [ -z "$tool" ]; then
	tool=$(command -v cryo-image 2>/dev/null || echo "$here/../../build/cr/cryo-image")
fi
if [ ! -x "$tool" ]; then
	echo "roundtrip-dir: cryo-image not found (set CRYO_IMAGE)" >&2
	exit 1
fi
[ $# -ge 1 ] || { echo "usage: roundtrip-dir.sh DIR..." >&2; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0
for dir in "$@"; do
	if [ ! -d "$dir" ]; then
		echo "roundtrip-dir: $dir: not a directory" >&2
		exit 1
	fi
	# Staging and old-image leftovers are not part of an image.
	find "$dir" -name '.staging-*' -prune -o -name '.old-*' -prune -o \
		-type f -name '*.img' ! -name 'pages-*.img' -print > "$tmp/list"
	while IFS= read -r f; do
		if ! "$tool" decode "$f" -o "$tmp/j.json"; then
			echo "roundtrip-dir: $f: decode failed" >&2
			exit 1
		fi
		if ! "$tool" encode -i "$tmp/j.json" -o "$tmp/back.img"; then
			echo "roundtrip-dir: $f: encode failed" >&2
			exit 1
		fi
		if ! cmp -s "$f" "$tmp/back.img"; then
			echo "roundtrip-dir: $f: re-encoded file differs:" >&2
			cmp "$f" "$tmp/back.img" >&2
			exit 1
		fi
		n=$((n + 1))
	done < "$tmp/list"
done
if [ "$n" -eq 0 ]; then
	echo "roundtrip-dir: no image files in $*" >&2
	exit 1
fi
echo "roundtrip-dir: $n files round-trip"
exit 0
