#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A two-stream dump into a tmpfs too small for the pages: the dump fails
# naming the full device, commits no image, and the tree runs on untouched
# (not traced, same maps); then the program checks every page itself.
#
#   stripes-nospace.sh PROG
# Environment: CRYO_CR, CR_KEEP=1.  Needs root (mounts a tmpfs).  Exit 0 PASS, 77 SKIP, 1 FAIL.
set -u
[ $# -eq 1 ] || { echo "usage: $0 PROG" >&2; exit 1; }
CRYO_CR=${CRYO_CR:-cryo-cr}
W=$(mktemp -d "/tmp/cr-stripes-nospace.XXXXXX")
pid=
result=1
small=

log() { echo "[cr-stripes-nospace] $*" >&2; }
die() { log "FAIL: $*"; result=1; exit 1; }
. "$(dirname "$0")/../lib/cr-common.sh"
unmount_small() {
	[ -n "$small" ] && umount "$small" 2>/dev/null
	cr_cleanup 60
}
CR_TRACK_POST=unmount_small
cr_track_begin	# the whole tree is killed on exit (cr-common.sh)
cr_close_fds

[ "$(id -u)" = 0 ] || { log "SKIP: needs root to mount a small tmpfs"; result=77; exit 77; }
mkdir "$W/small"
mount -t tmpfs -o size=64m cryo-nospace "$W/small" || die "cannot mount a tmpfs"
small=$W/small
cr_start "$1"
maps_before=$(cat "/proc/$pid/maps")
"$CRYO_CR" dump -t "$pid" -D "$small/img" -v4 -o "$W/dump.log" --log-format text && die "the dump did not fail"
grep -q "No space left on device" "$W/dump.log" || die "the dump log does not name the full device"
grep -qE "page file|pages-|pagemap-" "$W/dump.log" || die "the dump log does not name the page file"
[ -e "$small/img/inventory.img" ] && die "an image was committed"
grep -q "^TracerPid:[[:space:]]*0$" "/proc/$pid/status" || die "pid $pid is still traced"
[ "$(cat "/proc/$pid/maps")" = "$maps_before" ] || die "the maps of $pid changed"
cr_finish
