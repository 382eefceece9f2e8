#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A process big enough for two page-writing streams (cr/mem-stripes.h):
# dump (tree killed), the image must have two page files, both with data,
# and say so through 'cryo-image show'; restore; the program checks every
# page itself.
#
#   stripes-run.sh PROG
# Environment: CRYO_CR, CRYO_IMAGE, CR_KEEP=1.  Exit 0 PASS, 77 SKIP, 1 FAIL.
set -u
[ $# -eq 1 ] || { echo "usage: $0 PROG" >&2; exit 1; }
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

cr_start "$1"
cr_dump || die "dump failed"
for ((i = 0; i < 100; i++)); do [ -e "/proc/$pid" ] || break; sleep 0.05; done
grep -q "in two streams" "$W/dump.log" || die "the dump did not write the pages in two streams"
second=$W/img/pages-$((0x20000000 + pid)).img
[ -s "$W/img/pages-$pid.img" ] || die "pages-$pid.img is missing or empty"
[ -s "$second" ] || die "the second page file ${second##*/} is missing or empty"
"$CRYO_IMAGE" show "$W/img" >"$W/show.out" 2>&1 || die "cryo-image show failed: $(tail -n3 "$W/show.out")"
grep -q "in 2 page files" "$W/show.out" || die "cryo-image show does not name the 2 page files: $(grep pages: "$W/show.out")"
cr_restore
cr_finish
