#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# fuzz.sh SRCDIR BUILDDIR MKSAMPLE CORELIB [SECONDS]: build the image reader fuzzer
# with clang -fsanitize=fuzzer,address and run it for SECONDS (25) from a corpus
# seeded with the sample image.  The image code and schemas are compiled here,
# instrumented; the rest (the log engine) comes uninstrumented from CORELIB, the
# gcc-built libcryo-core.a, so the fuzzer follows changes of the log engine.  Exit 77 (SKIP) when clang cannot build
# libFuzzer programs; any crash, leak or sanitizer report fails.
set -u
src=$1 build=$2 mksample=$3 corelib=$4 secs=${5:-25}
clang=${CLANG:-clang}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

skip() {
	echo "SKIP: *** the image fuzzer cannot run: $* ***" >&2
	echo "SKIP: install clang and libclang-rt-14-dev (contrib/deps/build.txt)" >&2
	exit 77
}

command -v "$clang" >/dev/null 2>&1 || skip "$clang not found"
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' > "$tmp/probe.c"
"$clang" -fsanitize=fuzzer,address "$tmp/probe.c" -o "$tmp/probe" 2> "$tmp/probe.log" ||
	skip "$clang -fsanitize=fuzzer,address does not link: $(head -3 "$tmp/probe.log")"

set -e
cflags="-g -O1 -std=gnu11 -D_GNU_SOURCE -DCRYO_VERSION=\"fuzz\" -fsanitize=fuzzer,address,undefined
	-fno-sanitize-recover=all -Wall -Werror -I$src -I$src/cr -I$build -I$build/proto -Wno-unused-parameter"
# shellcheck disable=SC2086
"$clang" $cflags -o "$tmp/fuzz-image" \
	"$src/tests/image/fuzz-image.c" \
	"$src/cr/image.c" "$src/cr/image-dir.c" "$src/cr/image-kinds.c" "$src/cr/pages.c" \
	"$src/cr/image-json.c" "$build"/proto/*.pb-c.c "$corelib" -lprotobuf-c -lyajl -lpthread

# Seeds: every file of the sample image (mode 0), its JSON (mode 2), its pagemap (mode 1).
mkdir "$tmp/corpus" "$tmp/sample"
"$mksample" "$tmp/sample/img" >/dev/null
i=0
for f in "$tmp"/sample/img/*.img; do
	case $f in */pages-*) continue ;; esac
	{ printf '\000'; cat "$f"; } > "$tmp/corpus/seed-$i"
	# and its JSON, for the encoder's parser
	if [ -x "$build/cr/cryo-image" ]; then
		{ printf '\002'; "$build/cr/cryo-image" decode "$f"; } > "$tmp/corpus/seed-json-$i"
	fi
	i=$((i + 1))
done
pm=$(ls "$tmp"/sample/img/pagemap-*.img | head -1)
size=$(stat -c %s "$pm")
{ printf '\377'; printf "\\$(printf %o $((size & 255)))\\$(printf %o $((size >> 8)))"; cat "$pm" "$pm"; } > "$tmp/corpus/seed-pages"

mkdir "$tmp/run"
set +e
TMPDIR="$tmp/run" "$tmp/fuzz-image" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 "$tmp/corpus" > "$tmp/fuzz.log" 2>&1
rc=$?
set -e
if [ $rc -ne 0 ]; then
	tail -60 "$tmp/fuzz.log" >&2
	for c in crash-* leak-* timeout-* oom-*; do
		[ -e "$c" ] && echo "reproducer kept: $PWD/$c" >&2
	done
	echo "FAIL: the fuzzer found a problem (exit $rc)" >&2
	exit 1
fi
grep -E 'stat::number_of_executed_units|cov:' "$tmp/fuzz.log" | tail -3
echo PASS
