#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What logging costs a dump (a benchmark: prints figures, never fails on time).
# A task holding BENCH_MB MiB (default 512) of random memory is dumped with
# --leave-running ROUNDS times (default 5) at each setting: -v0, -v4 binary
# (the default with -o) and -v4 text.  Prints the best wall time of each and the
# overhead of -v4 over -v0.  Target: -v4 binary adds <= 3% to a dump.
#
#   bench/log/dump-verbosity.sh [BUILD_DIR]      (default: build; builds nothing)
# Environment: BENCH_MB, BENCH_ROUNDS, BENCH_DIR (a tmpfs; default /dev/shm).
set -u
B=${1:-build}
MB=${BENCH_MB:-512}
ROUNDS=${BENCH_ROUNDS:-5}
CR=$B/cr/cryo-cr
RUN=$B/bench/cr/cr-bench-run
PROG=$B/bench/cr/zt-randmem
for f in "$CR" "$RUN" "$PROG"; do
	[ -x "$f" ] || { echo "dump-verbosity.sh: $f is missing: build first (ninja -C $B)" >&2; exit 1; }
done
W=$(mktemp -d "${BENCH_DIR:-/dev/shm}/cryo-logbench.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

BENCH_MB=$MB ZT_PIDFILE=$W/pid ZT_OUT=$W/result setsid "$PROG" </dev/null >/dev/null 2>&1 &
pid=$!
disown "$pid"
for ((i = 0; i < 600; i++)); do [ -s "$W/pid" ] && break; sleep 0.1; done
[ -s "$W/pid" ] || { echo "dump-verbosity.sh: the task did not get ready" >&2; exit 1; }

best_dump() { # LOG-OPTIONS...: prints the best wall time in seconds and the log size
	local best= out wall size=0
	for ((r = 0; r < ROUNDS; r++)); do
		rm -rf "$W/img" "$W/dump.log"
		out=$("$RUN" "$CR" dump -t "$pid" -D "$W/img" --leave-running -o "$W/dump.log" "$@") ||
			{ echo "dump-verbosity.sh: dump $* failed: $out" >&2; exit 1; }
		wall=$(sed -n 's/.*wall_s=\([0-9.]*\).*/\1/p' <<<"$out")
		[ -z "$best" ] || awk -v a="$wall" -v b="$best" 'BEGIN { exit !(a < b) }' && best=$wall
		size=$(stat -c %s "$W/dump.log" 2>/dev/null || echo 0)
	done
	echo "$best $size"
}

read -r v0 v0size < <(best_dump -v0)
read -r v4b v4bsize < <(best_dump -v4)
read -r v4t v4tsize < <(best_dump -v4 --log-format text)
printf "dump of %d MiB, best of %d rounds each (--leave-running, images on %s)\n" "$MB" "$ROUNDS" "${BENCH_DIR:-/dev/shm}"
awk -v v0="$v0" -v b="$v4b" -v t="$v4t" -v bs="$v4bsize" -v ts="$v4tsize" -v zs="$v0size" 'BEGIN {
	printf "  -v0               %7.4f s   log %8d bytes\n", v0, zs
	printf "  -v4 (binary log)  %7.4f s   log %8d bytes   %+5.1f%% over -v0\n", b, bs, (b - v0) / v0 * 100
	printf "  -v4 (text log)    %7.4f s   log %8d bytes   %+5.1f%% over -v0\n", t, ts, (t - v0) / v0 * 100
}'
