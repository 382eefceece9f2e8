#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --shell-job: a task whose stdio is a terminal (a pty from script(1)) is
# refused without the option, dumped with it (the terminal is not recorded)
# and restored with the same pid, taking cryo-cr's own stdio instead.
# Usage: shell-job.sh DEMO-COUNTER   (env: CRYO_CR)
set -u
counter=$1
command -v script >/dev/null || { echo "SKIP: script(1) (bsdutils) is missing: no pty for the test"; exit 77; }
W=$(mktemp -d /tmp/cryo-shelljob.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
die() { echo "FAIL: $*"; for f in "$W"/img/*.log "$W"/*.out; do [ -f "$f" ] && { echo "--- $f"; cat "$f"; }; done; exit 1; }

script -qfc "exec $counter $W/count" /dev/null </dev/null >/dev/null 2>&1 &
for ((i = 0; i < 100; i++)); do [ -s "$W/count" ] && break; sleep 0.05; done
[ -s "$W/count" ] || die "the counter did not start"
pid=$(awk '{print $2}' "$W/count")
[ -t 0 ] < "/proc/$pid/fd/0" || die "the counter's stdin is not a terminal"

"$CRYO_CR" dump -t "$pid" -D "$W/img" -o dump.log --log-format text && die "a terminal was dumped without --shell-job"
kill -0 "$pid" 2>/dev/null || die "a refused dump killed the task"
rm -rf "$W/img"
"$CRYO_CR" dump -t "$pid" -D "$W/img" -o dump.log --log-format text --shell-job || die "dump --shell-job"
kill -0 "$pid" 2>/dev/null && die "the task still runs after dump"
"$CRYO_CR" restore -D "$W/img" -d --shell-job -o restore.log --log-format text </dev/null >"$W/restore.out" 2>&1 ||
	die "restore --shell-job"
before=$(cat "$W/count")
sleep 1.5
after=$(cat "$W/count")
[ "$(awk '{print $2}' <<<"$after")" = "$pid" ] || die "restored as another pid: $after"
[ "$before" != "$after" ] || die "the restored task does not run"
[ "$(readlink "/proc/$pid/fd/1")" = "$W/restore.out" ] || die "stdout is not cryo-cr's: $(readlink "/proc/$pid/fd/1")"
echo PASS
