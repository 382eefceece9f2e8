#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# C/R figures (a benchmark, never a pass/fail on time): a task holding
# BENCH_MB MiB (default 2048) of random anonymous memory is dumped to and
# restored from a tmpfs image directory; prints dump and restore GB/s and
# cryo-cr's own peak RSS (wait4 ru_maxrss) for each.  Builds nothing: run
# 'ninja -C build' first.  Targets for 2 GiB: dump <= 0.31 s, restore <= 0.27 s,
# peak RSS <= 64 MiB.  The machine's floor under these figures (what the kernel
# alone charges here to fill that much page cache and anonymous memory):
# build/bench/cr/mem-floor (docs/cr-restore.md, "The machine's floor").
#
#   bench/cr/run.sh [BUILD_DIR]       (default: build)
# Environment: BENCH_MB, BENCH_DIR (a tmpfs directory; default /dev/shm),
# CRYO_RESTORE_FILL=move|copy|inplace (how restore fills pages; default: cryo-cr
# decides, docs/cr-restore.md "Filling pages"), CRYO_DUMP_STREAMS=one (one page
# writing stream, docs/cr-dump.md), BENCH_DUMPS (default 2).
# The task is dumped BENCH_DUMPS times: all but the last with --leave-running
# and the image removed again, the last one kills it.  On this VM the first
# dump's page file takes fresh pages, which the host hands back slowly (free
# page reporting, see mem-floor); the later ones get the pages the removed
# image freed.  Each figure is printed, labelled.
set -u
B=${1:-build}
MB=${BENCH_MB:-2048}
CR=$B/cr/cryo-cr
RUN=$B/bench/cr/cr-bench-run
PROG=$B/bench/cr/zt-randmem
for f in "$CR" "$RUN" "$PROG"; do
	[ -x "$f" ] || { echo "run.sh: $f is missing: build first (ninja -C $B)" >&2; exit 1; }
done
W=$(mktemp -d "${BENCH_DIR:-/dev/shm}/cryo-crbench.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT

BENCH_MB=$MB ZT_PIDFILE=$W/pid ZT_OUT=$W/result setsid "$PROG" </dev/null >/dev/null 2>&1 &
pid=$!
for ((i = 0; i < 600; i++)); do [ -s "$W/pid" ] && break; sleep 0.1; done
[ -s "$W/pid" ] || { echo "run.sh: the task did not get ready" >&2; exit 1; }

figures() { # NAME RUN-OUTPUT
	local wall rss
	wall=$(sed -n 's/.*wall_s=\([0-9.]*\).*/\1/p' <<<"$2")
	rss=$(sed -n 's/.*maxrss_kib=\([0-9]*\).*/\1/p' <<<"$2")
	awk -v n="$1" -v w="$wall" -v r="$rss" -v mb="$MB" \
		'BEGIN { printf "%-25s %8.1f MiB  %7.3f s  %6.2f GB/s  peak RSS %6.1f MiB\n", n, mb, w, mb * 1048576 / w / 1e9, r / 1024 }'
}

# Figures go to files: the restored task inherits cryo-cr's stdout, and a pipe
# it holds open would keep a $(...) waiting forever.
DUMPS=${BENCH_DUMPS:-2}
for ((d = 1; d <= DUMPS; d++)); do
	rm -rf "$W/img"
	keep=(-R)
	[ "$d" -eq "$DUMPS" ] && keep=()
	"$RUN" "$CR" dump -t "$pid" -D "$W/img" "${keep[@]}" -v2 -o "$W/dump.log" --log-format text >"$W/dump.fig" ||
		{ echo "run.sh: dump failed: $(cat "$W/dump.fig")" >&2; cat "$W/dump.log" >&2; exit 1; }
	label="dump $d"
	[ "$d" -eq 1 ] && [ "$DUMPS" -gt 1 ] && label="dump 1 (fresh pages)"
	[ "$d" -gt 1 ] && label="dump $d (recycled pages)"
	figures "$label" "$(cat "$W/dump.fig")"
done
wait "$pid" 2>/dev/null
for ((i = 0; i < 250; i++)); do [ -e "/proc/$pid" ] || break; sleep 0.02; done

"$RUN" "$CR" restore -D "$W/img" -d -v${BENCH_V:-2} -o "$W/restore.log" --log-format text >"$W/restore.fig" ||
	{ echo "run.sh: restore failed: $(cat "$W/restore.fig")" >&2; cat "$W/restore.log" >&2; exit 1; }
figures restore "$(cat "$W/restore.fig")"
# The restored task's own CPU time so far is the page filling (both of its
# threads): a figure that does not depend on how loaded the machine is.
awk -v t="$(getconf CLK_TCK)" '{ s = $0; sub(/^.*\) /, "", s); split(s, f, " ");
	printf "restore  CPU of the restored task (filling its pages): %.2f s (fill mode: %s)\n", (f[12] + f[13]) / t, m }' \
	m="${CRYO_RESTORE_FILL:-auto}" "/proc/$pid/stat"

kill -TERM "$pid"
for ((i = 0; i < 300; i++)); do [ -s "$W/result" ] && break; sleep 0.1; done
echo "verdict of the restored task: $(head -n1 "$W/result" 2>/dev/null || echo none)"
