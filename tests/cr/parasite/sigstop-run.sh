#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A SIGSTOP that arrives while the parasite runs in the task is not lost: the
# dump (--leave-running) keeps it and sends it again when it puts the threads
# back, so the tree is stopped afterwards, as it would be without the dump.
# CRYO_FAULT_SIGNAL sends the SIGSTOP at a known moment (parasite in).
#
#   sigstop-run.sh ok|failed PROG
#     ok      the dump succeeds
#     failed  the dump fails afterwards (CRYO_FAULT=before-write-inventory)
# Then SIGCONT, and the program checks itself.
# Environment: CRYO_CR, CR_KEEP=1.  Exit 0 PASS, 77 SKIP, 1 FAIL.
set -u
[ $# -eq 2 ] || { echo "usage: $0 ok|failed PROG" >&2; exit 1; }
how=$1
CRYO_CR=${CRYO_CR:-cryo-cr}
W=$(mktemp -d "/tmp/cr-sigstop.XXXXXX")
pid=
result=1

log() { echo "[cr-sigstop/$how] $*" >&2; }
die() { log "FAIL: $*"; result=1; exit 1; }
. "$(dirname "$0")/../lib/cr-common.sh"
CR_TRACK_POST="cr_cleanup 60"
cr_track_begin	# the whole tree is killed on exit (cr-common.sh)
cr_close_fds

state() { sed 's/^.*) \(.\).*/\1/' "/proc/$pid/stat" 2>/dev/null; }

cr_start "$2"
[ "$(state)" != T ] || die "pid $pid is stopped before the dump"
case "$how" in
ok) CRYO_FAULT_SIGNAL=before-pages:19 cr_dump -R || die "dump failed";;
failed) CRYO_FAULT_SIGNAL=before-pages:19 CRYO_FAULT=before-write-inventory cr_dump -R && die "the dump did not fail";;
*) die "unknown mode $how";;
esac
grep -q "signal 19 sent to $pid at before-pages" "$W/dump.log" || die "the SIGSTOP was not sent during the dump"
grep -q "a SIGSTOP came during the dump: sent again" "$W/dump.log" ||
	die "the dump did not see the SIGSTOP while the parasite ran"
for ((i = 0; i < 40; i++)); do [ "$(state)" = T ] && break; sleep 0.05; done
[ "$(state)" = T ] || die "pid $pid is in state $(state) after the dump, not stopped: the SIGSTOP was lost"
grep -q "^TracerPid:[[:space:]]*0$" "/proc/$pid/status" || die "pid $pid is still traced"
kill -CONT "$pid"
cr_finish
