#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tools.sh MKSAMPLE: cryo-image show, stats and anonymise on the sample image.
set -u
mksample=$1
tool=$CRYO_IMAGE
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$mksample" "$tmp/img" || fail "mksample"
"$tool" show "$tmp/img" > "$tmp/show" || fail "show exit $?"
grep -q "process tree: 2 processes" "$tmp/show" || fail "show: no process tree"
grep -q "4242 (sample)" "$tmp/show" || fail "show: no comm"
grep -q "2 VMAs, 68.0 KiB" "$tmp/show" || fail "show: no VMAs"
grep -q "pages: 13 stored (52.0 KiB), 2 zero, 1 lazy, 0 in parent" "$tmp/show" || fail "show: pages"
grep -q "zombie" "$tmp/show" || fail "show: zombie"

"$tool" stats "$tmp/img" > "$tmp/stats" || fail "stats exit $?"
grep -Eq "pages_written +13" "$tmp/stats" || fail "stats: pages_written"
grep -Eq "pages stored +13" "$tmp/stats" || fail "stats: pagemap totals"

# A page file shorter than its pagemap says: show fails and names it.
cp -a "$tmp/img" "$tmp/short"
truncate -s 8192 "$tmp/short/pages-4242.img"
"$tool" show "$tmp/short" > /dev/null 2> "$tmp/err"
rc=$?
[ $rc -eq 1 ] || fail "show on a short page file: exit $rc"
grep -q "pagemap-4242.img: record" "$tmp/err" || fail "show: error does not name the record: $(cat "$tmp/err")"
"$tool" stats "$tmp/nonexistent" 2> /dev/null && fail "stats on a missing dir succeeded"

# anonymise: no names, no page data, same layout; the source is untouched.
cp -a "$tmp/img" "$tmp/orig"
"$tool" anonymise "$tmp/img" -o "$tmp/img" 2> /dev/null && fail "anonymise into the source succeeded"
"$tool" anonymise "$tmp/img" -o "$tmp/anon" || fail "anonymise exit $?"
diff -r "$tmp/img" "$tmp/orig" > /dev/null || fail "anonymise changed the source"
"$tool" decode "$tmp/anon" -o "$tmp/anon.json" || fail "decode of the anonymised image"
grep -q '"hostname"' "$tmp/anon.json" || fail "no hostname field to check"
for s in sample /usr/bin "\"$(hostname)\""; do
	if grep -arlF -- "$s" "$tmp/anon" "$tmp/anon.json" > /dev/null; then
		fail "anonymised image still holds '$s'"
	fi
done
[ "$(stat -c %s "$tmp/anon/pages-4242.img")" = 0 ] || fail "page data kept"
"$tool" show "$tmp/anon" > "$tmp/ashow" || fail "show on the anonymised image"
grep -q "pages: 0 stored (0 B), 15 zero, 1 lazy" "$tmp/ashow" || fail "anonymised pages: $(grep pages: "$tmp/ashow")"
grep -q "root pid: 4242" "$tmp/ashow" || fail "pids not kept"
grep -q "kernel $(uname -r)" "$tmp/ashow" || fail "kernel release not kept"
[ "$(stat -c %a "$tmp/anon/mm-4242.img")" = 600 ] || fail "mode of anonymised files"
"$here/roundtrip-dir.sh" "$tmp/anon" > /dev/null || fail "anonymised image does not round-trip"
echo PASS
