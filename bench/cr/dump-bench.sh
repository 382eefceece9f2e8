#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Figures of 'cryo-cr dump' of a task with BENCH_MB MiB (default 2048) of
# anonymous memory into a tmpfs image directory.  Prints figures; never fails on time.
set -u
CRYO_CR=${CRYO_CR:-cryo-cr}
PROG=${1:?usage: dump-bench.sh ZT-BIGMEM}
W=$(mktemp -d /dev/shm/cryo-bench.XXXXXX)
trap 'kill -KILL $pid 2>/dev/null; rm -rf "$W"' EXIT
ZT_PIDFILE=$W/pid ZT_OUT=$W/result setsid "$PROG" </dev/null >/dev/null 2>&1 &
pid=$!
for ((i = 0; i < 600; i++)); do [ -s "$W/pid" ] && break; sleep 0.1; done
[ -s "$W/pid" ] || { echo "dump-bench: task not ready" >&2; exit 1; }
TIMEFORMAT="dump of ${BENCH_MB:-2048} MiB: %R s wall, %U s user, %S s sys"
time "$CRYO_CR" dump -t "$pid" -D "$W/img" -v3 -o "$W/dump.log" --log-format text -R ||
	{ cat "$W/dump.log"; exit 1; }
grep -E "dump statistics|max RSS" "$W/dump.log"
du -sh "$W/img"
