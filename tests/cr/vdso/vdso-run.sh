#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The vDSO across C/R (docs/vdso.md).
#
#   vdso-run.sh same|content|grow|layout|twice PROG
#
# Starts PROG (zt-vdso), dumps it (the task is killed), and for every mode
# but 'same' alters the dumped vDSO in mm-PID.img with vdso-alter MODE; then
# restores with -d and checks:
#   same        the log does not mention trampolines, [vdso] is back at its
#               dumped address;
#   other modes the log says the restore wrote trampolines, [vdso] is
#               elsewhere and the dumped address holds an anonymous r-xp
#               mapping of the dumped vDSO's (altered) size.
#   twice       as content, then the restored task (its vDSO a copy with
#               jumps, the live one elsewhere) is dumped and restored again
#               on the same kernel: the copy comes back as plain memory, the
#               live [vdso] where it was, no trampolines the second time.
# Then SIGTERM: PROG checks its clocks itself and writes its verdict.
# Environment: CRYO_CR, VDSO_ALTER, CR_TEST_TIMEOUT (default 20), CR_KEEP=1.
set -u
how=${1:?usage: vdso-run.sh same|content|grow|layout|twice PROG}
prog=${2:?usage: vdso-run.sh same|content|grow|layout|twice PROG}
CRYO_CR=${CRYO_CR:-cryo-cr}
TIMEOUT=${CR_TEST_TIMEOUT:-20}
W=$(mktemp -d "/tmp/cr-vdso.$how.XXXXXX")
pid=
result=1

log() { echo "[vdso/$how] $*" >&2; }
. "$(dirname "$0")/../lib/cr-common.sh"

cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	[ $result -eq 0 ] || [ $result -eq 77 ] || cr_dump_logs "$W" 60
	if [ "${CR_KEEP:-0}" = 1 ]; then log "work dir kept: $W"; else rm -rf "$W"; fi
}
CR_TRACK_POST=cleanup
cr_track_begin	# the whole tree is killed on exit (cr-common.sh)
die() { log "FAIL: $*"; result=1; exit 1; }
skip() { log "SKIP: $*"; result=77; exit 77; }

# "start end perms name" of the mapping holding hex address $2 in pid $1.
mapping_at() {
	awk -v a="$2" '
		function hex(s,  i, n, c) { n = 0; s = tolower(s)
			for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)) - 1; n = n * 16 + c }
			return n }
		{ split($1, r, "-"); if (hex(r[1]) <= hex(a) && hex(a) < hex(r[2])) { print r[1], r[2], $2, $6; exit } }
	' "/proc/$1/maps"
}

case "$how" in
same) expect=same;;
content|grow|layout|twice) expect=trampoline;;
*) die "unknown mode $how";;
esac

ZT_PIDFILE=$W/pid ZT_OUT=$W/result setsid "$prog" "$expect" </dev/null >"$W/prog.out" 2>"$W/prog.err" &
pid=$!
cr_wait_file "$W/pid" 10 || { grep -q '^SKIP' "$W/result" 2>/dev/null && skip "$(head -n1 "$W/result")"; die "program not ready"; }

range=$(awk '$6 == "[vdso]" { print $1 }' "/proc/$pid/maps")
[ -n "$range" ] || skip "the program has no [vdso]"
vdso=${range%-*}
dumped_pages=$(( (0x${range#*-} - 0x$vdso) / 4096 ))
"$CRYO_CR" dump -t "$pid" -D "$W/img" -v4 -o "$W/dump.log" --log-format text || die "dump failed"
wait "$pid" 2>/dev/null
for ((i = 0; i < 100; i++)); do [ -e "/proc/$pid" ] || break; sleep 0.05; done

if [ "$how" != same ]; then
	alter=$how
	[ "$how" = twice ] && alter=content
	"$VDSO_ALTER" "$alter" "$W/img/mm-$pid.img"
	rc=$?
	[ $rc -eq 77 ] && skip "vdso-alter $how: no room in this address space"
	[ $rc -eq 0 ] || die "vdso-alter $how failed"
fi

"$CRYO_CR" restore -D "$W/img" -d --pidfile "$W/restored.pid" -v4 -o "$W/restore.log" --log-format text ||
	die "restore failed"
[ "$(cat "$W/restored.pid" 2>/dev/null)" = "$pid" ] || die "restored pid is not $pid"

at=$(mapping_at "$pid" "$vdso")
set -- $at
[ $# -ge 3 ] || die "nothing mapped at the dumped vDSO address $vdso"
if [ "$expect" = same ]; then
	grep -q "vDSO differs" "$W/restore.log" && die "the restore wrote trampolines for an unchanged vDSO"
	[ "${4:-}" = "[vdso]" ] && [ "$1" = "$vdso" ] || die "[vdso] is not back at $vdso: $at"
else
	grep -q "vDSO differs from the dumped one" "$W/restore.log" || die "the restore log does not say it wrote trampolines"
	[ -z "${4:-}" ] && [ "$3" = r-xp ] || die "the dumped vDSO at $vdso is not an anonymous r-xp copy: $at"
	pages=$(( (0x$2 - 0x$1) / 4096 ))
	[ "$how" = grow ] && dumped_pages=$((dumped_pages + 1))
	[ "$pages" = "$dumped_pages" ] || die "the dumped vDSO copy has $pages pages, want $dumped_pages"
	live=$(awk '$6 == "[vdso]" { print $1 }' "/proc/$pid/maps")
	[ -n "$live" ] || die "no live [vdso] in the restored task"
	log "dumped vDSO copy at $1-$2, live [vdso] at $live"
fi

if [ "$how" = twice ]; then
	before=$(cat "/proc/$pid/maps")
	"$CRYO_CR" dump -t "$pid" -D "$W/img2" -v4 -o "$W/dump2.log" --log-format text || die "second dump failed"
	for ((i = 0; i < 100; i++)); do [ -e "/proc/$pid" ] || break; sleep 0.05; done
	"$CRYO_CR" restore -D "$W/img2" -d --pidfile "$W/restored.pid" -v4 -o "$W/restore2.log" --log-format text ||
		die "second restore failed"
	grep -q "vDSO differs" "$W/restore2.log" && die "the second restore wrote trampolines on the same kernel"
	after=$(cat "/proc/$pid/maps")
	[ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after") >&2; die "the second C/R changed the address space"; }
fi

kill -TERM "$pid" || die "cannot signal $pid"
cr_wait_file "$W/result" "$TIMEOUT" || die "no result within ${TIMEOUT}s"
verdict=$(head -n1 "$W/result")
case "$verdict" in
PASS*) log PASS; result=0;;
*) die "test says: $verdict";;
esac
