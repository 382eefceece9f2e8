#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# restore logging to stderr (no -o) at -v4: what cryo-cr logs inside a task
# after its fds are restored must not land in the task's own stderr file, and
# the task still passes (tests/cr/zt-rst-fds.c eventfd).
#   rst-fds-log.sh ZT-RST-FDS      (CRYO_CR: cryo-cr binary)
set -u
CRYO_CR=${CRYO_CR:?CRYO_CR must name cryo-cr}
prog=${1:?usage: rst-fds-log.sh ZT-RST-FDS}
W=$(mktemp -d /tmp/cr-test.rst-fds-log.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$W"/*; do echo "----- $f" >&2; tail -n 30 "$f" >&2; done; exit 1; }

ZT_PIDFILE=$W/pid ZT_OUT=$W/result setsid "$prog" eventfd </dev/null >"$W/prog.out" 2>"$W/prog.err" &
for ((i = 0; i < 200; i++)); do [ -s "$W/pid" ] && break; sleep 0.05; done
pid=$(cat "$W/pid" 2>/dev/null) || fail "the test program did not get ready"
"$CRYO_CR" dump -t "$pid" -D "$W/img" -o "$W/dump.log" || fail "dump failed"
for ((i = 0; i < 200; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
"$CRYO_CR" restore -D "$W/img" -d -v4 2>"$W/restore.err" || fail "restore failed"
grep -q "step ts-proc" "$W/restore.err" || fail "the task's own log lines are not in cryo-cr's stderr"
[ -s "$W/prog.err" ] && fail "cryo-cr logged into the task's stderr file"
rm -f "$W/result"
kill -TERM "$pid"
for ((i = 0; i < 200; i++)); do [ -s "$W/result" ] && break; sleep 0.05; done
[ "$(cat "$W/result" 2>/dev/null)" = PASS ] || fail "the task says: $(cat "$W/result" 2>/dev/null)"
echo PASS
