#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A process big enough for two page-writing streams (cr/mem-stripes.h):
# dump (tree killed), the image must have two page files, both with data,
# and say so through 'cryo-image show'; restore; the program checks every
# page itself.
#
#   stripes-run.sh PROG [ARGS...]
# Environment: CRYO_CR, CRYO_IMAGE, CR_KEEP=1.  Exit 0 PASS, 77 SKIP, 1 FAIL.
set -u
[ $# -ge 1 ] || { echo "usage: $0 PROG [ARGS...]" >&2; exit 1; }
CRYO_CR=${CRYO_CR:-cryo-cr}
CRYO_IMAGE=${CRYO_IMAGE:-cryo-image}
W=$(mktemp -d "/tmp/cr-stripes.XXXXXX")
pid=
result=1

log() { echo "[cr-stripes] $*" >&2; }
die() { log "FAIL: $*"; result=1; exit 1; }
. "$(dirname "$0")/../lib/cr-common.sh"
CR_TRACK_POST="cr_cleanup 60"
cr_track_begin	# the whole tree is killed on exit (cr-common.sh)
cr_close_fds

cr_start "$@"
cr_dump || die "dump failed"
for ((i = 0; i < 100; i++)); do [ -e "/proc/$pid" ] || break; sleep 0.05; done
grep -q "in two streams" "$W/dump.log" || die "the dump did not write the pages in two streams"
# Every process of the tree (the root, and its child with "tree").
n=0
for f in "$W"/img/mm-*.img; do
	p=${f##*/mm-}
	p=${p%.img}
	second=$W/img/pages-$((0x20000000 + p)).img
	[ -s "$W/img/pages-$p.img" ] || die "pages-$p.img is missing or empty"
	[ -s "$second" ] || die "the second page file of $p, ${second##*/}, is missing or empty"
	n=$((n + 1))
done
[ "$n" -eq "${STRIPES_PROCS:-1}" ] || die "$n processes with two page files, expected ${STRIPES_PROCS:-1}"
"$CRYO_IMAGE" show "$W/img" >"$W/show.out" 2>&1 || die "cryo-image show failed: $(tail -n3 "$W/show.out")"
[ "$(grep -c "in 2 page files" "$W/show.out")" -eq "${STRIPES_PROCS:-1}" ] ||
	die "cryo-image show does not name the 2 page files of each process: $(grep pages: "$W/show.out")"
cr_restore
cr_finish
