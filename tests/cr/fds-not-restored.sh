#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Until restore rebuilds open files, nothing may lose them silently:
#  - a dump that would kill the tree refuses a task with fds beyond stdio,
#    naming the fd, and leaves the task running;
#  - a --leave-running dump succeeds (the image is complete), and a restore of
#    that image refuses it, naming the fd.
# Usage: fds-not-restored.sh ZT-OPENFD   (env: CRYO_CR)
set -u
prog=$1
W=$(mktemp -d /tmp/cryo-fdsnr.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
die() { echo "FAIL: $*"; for f in "$W"/*.log; do [ -f "$f" ] && { echo "--- $f"; cat "$f"; }; done; exit 1; }

ZT_PIDFILE=$W/pid ZT_OUT=$W/result setsid "$prog" </dev/null >/dev/null 2>&1 &
pid=$!
for ((i = 0; i < 100; i++)); do [ -s "$W/pid" ] && break; sleep 0.05; done
[ -s "$W/pid" ] || die "the test task did not get ready"
pid=$(cat "$W/pid")

"$CRYO_CR" dump -t "$pid" -D "$W/img" -o "$W/dump.log" --log-format text && die "a killing dump took a task with fd 3"
grep -q "fd 3 (pipe:" "$W/dump.log" || die "the dump's error does not name fd 3"
kill -0 "$pid" 2>/dev/null || die "the task died after a refused dump"
[ -e "$W/img/inventory.img" ] && die "a refused dump committed an image"

"$CRYO_CR" dump -t "$pid" -D "$W/img" -R -o "$W/dump-r.log" --log-format text || die "a --leave-running dump failed"
"$CRYO_CR" restore -D "$W/img" -d -o "$W/restore.log" --log-format text && die "restore of an image with fd 3 succeeded"
grep -q "fd 3 is in the image" "$W/restore.log" || die "the restore's error does not name fd 3"

kill -TERM "$pid"
for ((i = 0; i < 100; i++)); do [ -s "$W/result" ] && break; sleep 0.05; done
grep -q '^PASS' "$W/result" || die "the task's own check after the dumps: $(cat "$W/result" 2>/dev/null)"
echo PASS
