#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Tests of the log engine that need more than one program.
#   log-tests.sh CRYO_IMAGE TEST_CASE LOG_TEST_BINARY [ARGS]
set -u

IMG=$1
CASE=$2
BIN=$3
W=$(mktemp -d /tmp/cryo-log-test.XXXXXX)
trap 'rm -rf "$W"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

decode() {
	"$IMG" log decode "$1"
}

# Write the same call sites in text and in binary mode; the decode of the
# binary file must equal the text file byte for byte.
roundtrip() {
	"$BIN" "$@" text "$W/text.log" || fail "$BIN text mode failed"
	"$BIN" "$@" binary "$W/bin.log" || fail "$BIN binary mode failed"
	[ -s "$W/text.log" ] || fail "empty text log"
	head -c 7 "$W/bin.log" | grep -q '^CRYOLOG' || fail "binary log has no CRYOLOG magic"
	decode "$W/bin.log" > "$W/decoded.log" || fail "decode failed"
	cmp "$W/text.log" "$W/decoded.log" || fail "decode of $BIN's binary log differs from its text log"
	echo "$(wc -l < "$W/text.log") lines, text $(wc -c < "$W/text.log") bytes," \
	     "binary $(wc -c < "$W/bin.log") bytes, decode identical"
}

case_roundtrip() {
	if [ "$(basename "$BIN")" = log-test-other ]; then
		roundtrip
	else
		roundtrip write
		# spot checks, so that "identical" cannot mean "both empty or both wrong"
		for want in 'I: int 0 -1 2147483647 -2147483648 77' \
			    'I: hex abc ABC 123456789abc FF 0xff 0XFF 0 0' \
			    'I: strings [abc] [left      ] [     right] [tru] [short] [] [toolong]' \
			    'I: null strings [(null)] [    (null)] [(null)  ] [] [(null)]' \
			    'E: cannot open /nonexistent: No such file or directory' \
			    'I: errno text: Permission denied (13)' \
			    'D: loop 19999 of 20000: odd 4e1f000'; do
			grep -qF -- "$want" "$W/text.log" || fail "text log lacks '$want'"
		done
	fi
	echo "PASS: $(basename "$BIN") round trip"
}

# -v2 shows errors and warnings only, in both modes.
case_level_filter() {
	"$BIN" write text "$W/t2.log" 2 || fail "write -v2"
	"$BIN" write binary "$W/b2.log" 2 || fail "write -v2 binary"
	decode "$W/b2.log" > "$W/d2.log" || fail "decode -v2"
	cmp "$W/t2.log" "$W/d2.log" || fail "-v2 decode differs from text"
	grep -q ') E: ' "$W/t2.log" || fail "-v2 lost errors"
	grep -q ') W: ' "$W/t2.log" || fail "-v2 lost warnings"
	! grep -q ') [ID]: ' "$W/t2.log" || fail "-v2 shows info or debug records"
	"$BIN" write text "$W/t0.log" 0 || fail "write -v0"
	[ ! -s "$W/t0.log" ] || fail "-v0 wrote records"
	echo "PASS: level filter"
}

# Every truncation is refused with exit 1 and "FILE: offset N:", or, when it
# falls on a record boundary, decodes to a prefix of the full output.
case_corrupt() {
	"$BIN" write binary "$W/full.log" 3 || fail "write"
	decode "$W/full.log" > "$W/full.txt" || fail "decode of the intact log"
	size=$(wc -c < "$W/full.log")
	checked=0 refused=0
	for n in $(seq 0 1 64) $(seq 65 $((size / 300 + 1)) "$size") $((size - 13)) $((size - 1)); do
		head -c "$n" "$W/full.log" > "$W/cut.log"
		"$IMG" log decode "$W/cut.log" > "$W/cut.txt" 2> "$W/cut.err"
		rc=$?
		checked=$((checked + 1))
		case $rc in
		0) head -c "$(wc -c < "$W/cut.txt")" "$W/full.txt" | cmp -s - "$W/cut.txt" ||
			fail "cut at $n: output is not a prefix of the full decode" ;;
		1) refused=$((refused + 1))
		   grep -q "cut.log: offset [0-9]*: " "$W/cut.err" ||
			fail "cut at $n: message does not name the file and offset: $(cat "$W/cut.err")"
		   head -c "$(wc -c < "$W/cut.txt")" "$W/full.txt" | cmp -s - "$W/cut.txt" ||
			fail "cut at $n: lines before the error are not a prefix of the full decode" ;;
		*) fail "cut at $n: exit status $rc" ;;
		esac
		if [ "$n" -le 64 ] || [ "$n" -eq $((size - 1)) ]; then
			[ $rc -eq 1 ] || fail "cut at $n (inside the header or the last record) was accepted"
		fi
	done
	echo "truncation: $checked cuts, $refused refused"

	# flipped bytes: any outcome but a crash; errors must name the offset
	checked=0
	for n in $(seq 0 3 400) $(seq 401 4099 "$size"); do
		cp "$W/full.log" "$W/flip.log"
		printf '\377' | dd of="$W/flip.log" bs=1 seek="$n" conv=notrunc status=none
		"$IMG" log decode "$W/flip.log" > /dev/null 2> "$W/flip.err"
		rc=$?
		checked=$((checked + 1))
		[ $rc -le 1 ] || fail "flipped byte at $n: exit status $rc"
		[ $rc -eq 0 ] || grep -q "flip.log: offset [0-9]*: " "$W/flip.err" ||
			fail "flipped byte at $n: unclear message: $(cat "$W/flip.err")"
	done
	echo "flipped bytes: $checked files, no crash"

	# specific damage with a known message
	printf 'NOTALOG!and some more bytes' > "$W/text.bin"
	"$IMG" log decode "$W/text.bin" 2> "$W/e" && fail "garbage accepted"
	grep -q "text.bin: offset 0: not a cryo binary log" "$W/e" || fail "bad magic message: $(cat "$W/e")"
	: > "$W/empty.log"
	"$IMG" log decode "$W/empty.log" 2> "$W/e" && fail "empty file accepted"
	grep -q "empty.log: offset 0: empty file" "$W/e" || fail "empty file message: $(cat "$W/e")"
	"$IMG" log decode "$W/missing.log" 2> "$W/e" && fail "missing file accepted"
	grep -q "missing.log" "$W/e" || fail "missing file message: $(cat "$W/e")"
	# a record whose format id is past the table (level 3, id 0x1fffffff)
	cp "$W/full.log" "$W/badid.log"
	printf '\373\377\377\377\000\000\000\000\000\000\000\000' >> "$W/badid.log"
	"$IMG" log decode "$W/badid.log" > /dev/null 2> "$W/e" && fail "bad format id accepted"
	grep -q "badid.log: offset $size: record uses format" "$W/e" || fail "bad id message: $(cat "$W/e")"
	"$IMG" log 2> /dev/null && fail "'log' without a subcommand accepted"
	echo "PASS: corrupt and truncated logs"
}

case_threads() {
	"$BIN" threads "$W/th.log" || fail "threads run"
	decode "$W/th.log" | "$BIN" verify-threads || fail "thread records lost or reordered"
	echo "PASS: threads"
}

case_fork() {
	"$BIN" fork "$W/fork.log" || fail "fork run"
	decode "$W/fork.log" > "$W/fork.txt" || fail "decode"
	[ "$(grep -c 'parent before fork' "$W/fork.txt")" = 1 ] || fail "record before fork not exactly once"
	[ "$(grep -c 'child line' "$W/fork.txt")" = 100 ] || fail "child records missing"
	[ "$(sed -n '2p' "$W/fork.txt" | grep -c 'child line 0$')" = 1 ] || fail "order: $(head -3 "$W/fork.txt")"
	tail -n 1 "$W/fork.txt" | grep -q 'parent after child' || fail "parent's last record missing"
	echo "PASS: fork"
}

# Two logs of two different binaries, concatenated, decode as one.
case_concat() {
	OTHER=$4
	"$BIN" write binary "$W/a.log" 3 || fail "write a"
	"$OTHER" binary "$W/b.log" || fail "write b"
	cat "$W/a.log" "$W/b.log" > "$W/ab.log"
	{ decode "$W/a.log" && decode "$W/b.log"; } > "$W/want.txt" || fail "decode parts"
	decode "$W/ab.log" > "$W/got.txt" || fail "decode concatenation"
	cmp "$W/want.txt" "$W/got.txt" || fail "concatenated decode differs"
	"$IMG" log formats "$W/a.log" | grep -q 'log-test.c:.*"int %d %d %d %d %i"' || fail "formats of a"
	"$IMG" log formats "$W/b.log" | grep -q 'log-test-other.c' || fail "formats of b"
	! "$IMG" log formats "$W/b.log" | grep -q 'log-test.c:' || fail "b's table has a's call sites"
	echo "PASS: concatenated logs of two binaries"
}

case "$CASE" in
roundtrip) case_roundtrip ;;
level-filter) case_level_filter ;;
corrupt) case_corrupt ;;
threads) case_threads ;;
fork) case_fork ;;
concat) case_concat "$@" ;;
*) fail "unknown case $CASE" ;;
esac
