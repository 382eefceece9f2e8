#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cryo-cr dump's command line: CRIU options it does not support are refused
# by name with exit 1, bad input is refused with a clear error.
set -u
CRYO_CR=${CRYO_CR:-cryo-cr}
fail=0

expect() {	# expect RC PATTERN ARGS...
	local rc=$1 pat=$2 out got
	shift 2
	out=$("$CRYO_CR" "$@" 2>&1)
	got=$?
	if [ $got -ne "$rc" ] || ! grep -q -- "$pat" <<<"$out"; then
		echo "FAIL: cryo-cr $* -> rc $got (want $rc), output: $out" >&2
		fail=1
	fi
}

for opt in tcp-close cgroup-props track-mem \
	   prev-images-dir=x page-server lazy-pages; do
	expect 1 "option --${opt%%=*} is not supported yet" dump -t 1 -D /tmp/x --$opt
done
expect 1 "--manage-cgroups: unknown mode 'bogus'" dump -t 1 -D /tmp/x --manage-cgroups=bogus
expect 1 "-t PID and -D DIR are required" dump -D /tmp/x
expect 1 "bad pid" dump -t abc -D /tmp/x
expect 1 "bad --ghost-limit '12Q'" dump -t 1 -D /tmp/x --ghost-limit 12Q
expect 1 "xml" dump -t 1 -D /tmp/x --log-format xml
expect 0 "Usage: cryo-cr dump" dump --help
expect 1 "no process 2147483647" dump -t 2147483647 -D /tmp/cryo-cli-none -v4
[ ! -e /tmp/cryo-cli-none/inventory.img ] || { echo "FAIL: image written for a missing pid" >&2; fail=1; }
rm -rf /tmp/cryo-cli-none
# The tree of our own parent shell contains the dumper: refused, shell untouched.
expect 1 "contains the dumper itself" dump -t $$ -D /tmp/cryo-cli-self -v4 -R
[ "$(awk '/^TracerPid:/ {print $2}' /proc/$$/status)" = 0 ] || { echo "FAIL: shell left traced" >&2; fail=1; }
rm -rf /tmp/cryo-cli-self
# A thread id is not a process.
sleep 30 &
sl=$!
python3 - "$CRYO_CR" <<'PY' || fail=1
import subprocess, sys, threading, time, os
ev = threading.Event()
t = threading.Thread(target=ev.wait)
t.start()
tid = t.native_id
r = subprocess.run([sys.argv[1], "dump", "-t", str(tid), "-D", "/tmp/cryo-cli-thread", "-v4", "-R"],
                   capture_output=True, text=True)
ev.set()
t.join()
ok = r.returncode == 1 and "is a thread of process %d" % os.getpid() in r.stderr
if not ok:
    print("FAIL: dump of a thread id:", r.returncode, r.stderr, file=sys.stderr)
sys.exit(0 if ok else 1)
PY
kill $sl 2>/dev/null
rm -rf /tmp/cryo-cli-thread
exit $fail
