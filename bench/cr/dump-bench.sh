#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Figures of 'cryo-cr dump' of a task with BENCH_MB MiB (default 2048) of
# anonymous memory into a tmpfs image directory.  Prints figures; never fails on time.
#
#   dump-bench.sh ZT-BIGMEM
# Environment: CRYO_CR, BENCH_MB, BENCH_RUNS (dumps of the same task with
# --leave-running, default 3), BENCH_DIR (a tmpfs directory; default
# /dev/shm), BENCH_HUGE=1 (a private tmpfs mounted huge=always instead:
# page cache allocation of the page file is most of a dump to a 4 KiB-page
# tmpfs on this VM; needs root).
# Per run: wall, the dumper's user/sys CPU, the task's system CPU (the
# parasite writes the pages from inside it), the time the parasite spent
# writing, the dumper's peak RSS.
set -u
CRYO_CR=${CRYO_CR:-cryo-cr}
PROG=${1:?usage: dump-bench.sh ZT-BIGMEM}
RUNS=${BENCH_RUNS:-3}
W=$(mktemp -d "${BENCH_DIR:-/dev/shm}/cryo-bench.XXXXXX")
pid=
huge=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	[ -n "$huge" ] && { rm -rf "$huge"/*; umount "$huge"; }
	rm -rf "$W"
}
trap cleanup EXIT
D=$W
if [ -n "${BENCH_HUGE:-}" ]; then
	mkdir "$W/huge" && mount -t tmpfs -o huge=always,size=$(( ${BENCH_MB:-2048} * 2 + 256 ))M cryo-bench "$W/huge" ||
		{ echo "dump-bench: cannot mount a huge=always tmpfs" >&2; exit 1; }
	huge=$W/huge
	D=$huge
fi
ZT_PIDFILE=$W/pid ZT_OUT=$W/result setsid "$PROG" </dev/null >/dev/null 2>&1 &
pid=$!
for ((i = 0; i < 600; i++)); do [ -s "$W/pid" ] && break; sleep 0.1; done
[ -s "$W/pid" ] || { echo "dump-bench: task not ready" >&2; exit 1; }
tick=$(getconf CLK_TCK)
for ((run = 1; run <= RUNS; run++)); do
	rm -rf "$D/img"
	s0=$(awk '{print $15}' "/proc/$pid/stat")
	/usr/bin/time -o "$W/time" -f "%e %U %S" "$CRYO_CR" dump -t "$pid" -D "$D/img" -v3 -o "$W/dump.log" --log-format text -R ||
		{ cat "$W/dump.log"; exit 1; }
	s1=$(awk '{print $15}' "/proc/$pid/stat")
	read -r wall user sys <"$W/time"
	pw=$(sed -n 's/.*the parasite wrote for \([0-9]*\) us.*/\1/p' "$W/dump.log" | head -n1)
	rss=$(sed -n 's/.*dumper max RSS \([0-9]*\) KiB.*/\1/p' "$W/dump.log")
	awk -v r="$run" -v mb="${BENCH_MB:-2048}" -v w="$wall" -v u="$user" -v s="$sys" \
		-v ts="$(( s1 - s0 ))" -v hz="$tick" -v pw="${pw:-0}" -v rss="${rss:-0}" 'BEGIN {
		printf "dump %d of %d MiB: %.2f s wall (%.2f GB/s), dumper %.2f s user %.2f s sys, task %.2f s sys, parasite writing %.2f s, dumper peak RSS %.1f MiB\n",
			r, mb, w, mb * 1048576 / w / 1e9, u, s, ts / hz, pw / 1e6, rss / 1024 }'
done
grep -E "dump statistics" "$W/dump.log"
du -sh "$D/img"
