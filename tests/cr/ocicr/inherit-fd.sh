#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --external fd[KEY] at dump, --inherit-fd fd[N]:KEY at restore: a task (and
# its child) whose stdout is a pipe to this script is dumped with the pipe
# left out; a restore without the pipe is refused naming it; restored with a
# new pipe, both tasks hold the new pipe on fd 1 and the counter goes on
# there from where it stopped on the old one.
# Usage: inherit-fd.sh INHERIT-WRITER   (env: CRYO_CR)
set -u
writer=$1
W=$(mktemp -d /tmp/cryo-inherit.XXXXXX)
pid= child=
cleanup() {
	for p in $pid $child; do kill -KILL "$p" 2>/dev/null; done
	exec 3>&- 4>&-
	rm -rf "$W"
}
trap cleanup EXIT
die() { echo "FAIL: $*"; for f in "$W"/img/*.log "$W"/*.out; do [ -f "$f" ] && { echo "--- $f"; tail -n 30 "$f"; }; done; exit 1; }
wait_lines() { for ((i = 0; i < 200; i++)); do [ "$(wc -l < "$1")" -ge "$2" ] && return 0; sleep 0.05; done; return 1; }

touch "$W/out1" "$W/out2"
exec 3> >(cat > "$W/out1")
setsid "$writer" >&3 </dev/null 2>/dev/null &
pid=$!
exec 3>&-
wait_lines "$W/out1" 10 || die "the writer does not write"
read -r child _ < /proc/"$pid"/task/"$pid"/children
[ -n "$child" ] || die "no child"
key=$(readlink "/proc/$pid/fd/1")
case "$key" in pipe:*) ;; *) die "stdout is not a pipe: $key";; esac

"$CRYO_CR" dump -t "$pid" -D "$W/img" -o dump.log --log-format text -v4 --external "fd[$key]" ||
	die "dump --external fd[$key]"
kill -0 "$pid" 2>/dev/null && die "the task still runs after dump"
sleep 0.2
last=$(tail -n1 "$W/out1")
grep -q "outside the dump" "$W/img/dump.log" || die "the dump log does not mention the inherited pipe"

# Without the pipe: refused, naming it, nothing left.
"$CRYO_CR" restore -D "$W/img" -d -o restore1.log --log-format text </dev/null >"$W/r1.out" 2>&1 &&
	die "restore without --inherit-fd succeeded"
grep -qF -- "--inherit-fd fd[N]:$key" "$W/img/restore1.log" || die "the refusal does not name the pipe"
kill -0 "$pid" 2>/dev/null && die "a failed restore left the task"

exec 4> >(cat > "$W/out2")
newkey=$(readlink /proc/self/fd/4)
"$CRYO_CR" restore -D "$W/img" -d -o restore.log --log-format text --inherit-fd "fd[4]:$key" </dev/null >"$W/r2.out" 2>&1 ||
	die "restore --inherit-fd fd[4]:$key"
exec 4>&-
kill -0 "$pid" 2>/dev/null || die "the task is not back"
[ "$(readlink "/proc/$pid/fd/1")" = "$newkey" ] || die "task fd 1 is $(readlink "/proc/$pid/fd/1"), not $newkey"
[ "$(readlink "/proc/$child/fd/1")" = "$newkey" ] || die "child fd 1 is $(readlink "/proc/$child/fd/1"), not $newkey"
wait_lines "$W/out2" 5 || die "nothing written to the new pipe"
first=$(head -n1 "$W/out2")
[ "$first" = $((last + 1)) ] || die "the new pipe starts at $first, the old one ended at $last"
echo PASS
