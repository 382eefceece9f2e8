#!/bin/bash
# A terminal container: the pty master arrives over --console-socket; the process sees a tty.
. "$(dirname "$0")/lib.sh"
RECV=${CONSOLE_RECV:?}
B=$T/bundle
make_bundle "$B" sh -c 'tty; stty size; read line; echo "got:$line"'
edit_config "$B" 'c["process"]["terminal"] = True; c["process"]["consoleSize"] = {"height": 33, "width": 101}'
id=$(new_id a)
"$RECV" "$T/sock" "$T/out" $'hello-tty\n' &
rpid=$!
for _ in $(seq 100); do [ -e "$T/out" ] && break; sleep 0.05; done
c run -d --console-socket "$T/sock" --bundle "$B" "$id" || fail "run with console socket"
wait "$rpid" || fail "console-recv failed ($?)"
tr -d '\r' < "$T/out" > "$T/clean"
grep -q "^/dev/pts/[0-9]" "$T/clean" || fail "process has no tty: $(cat "$T/clean")"
grep -q "^33 101$" "$T/clean" || fail "consoleSize not applied: $(cat "$T/clean")"
grep -q "got:hello-tty" "$T/clean" || fail "input through the pty did not arrive: $(cat "$T/clean")"
wait_status "$id" stopped
c delete "$id"

# terminal without --console-socket is refused clearly, and leaves nothing
id2=$(new_id b)
expect_fail c create --bundle "$B" "$id2" | grep -q "console-socket" || fail "terminal without console socket"
[ -e "$ROOT/$id2" ] && fail "state left behind"

# exec -t through a console socket
make_bundle "$T/b2" sleep 1000
id3=$(new_id c)
c run -d --bundle "$T/b2" "$id3" || fail "run"
"$RECV" "$T/sock2" "$T/out2" &
rpid=$!
for _ in $(seq 100); do [ -e "$T/out2" ] && break; sleep 0.05; done
c exec -t --console-socket "$T/sock2" "$id3" tty || fail "exec -t"
wait "$rpid" || fail "console-recv (exec) failed"
tr -d '\r' < "$T/out2" | grep -q "^/dev/pts/" || fail "exec -t has no tty: $(cat "$T/out2")"

# Foreground run and exec -t without --console-socket: cryo holds the terminal itself.
command -v script >/dev/null || skip "script (util-linux) is missing for the foreground terminal checks"
make_bundle "$T/b3" sh -c 'tty; read x; echo "got:$x"; exit 5'
edit_config "$T/b3" 'c["process"]["terminal"] = True'
id4=$(new_id d)
(sleep 1; echo typed-in) | timeout 60 script -qec "$CRYO --root $ROOT run --bundle $T/b3 $id4" "$T/ts" > "$T/fg.out"
rc=$?
[ $rc = 5 ] || fail "foreground terminal run: exit $rc, expected 5 ($(cat "$T/fg.out"))"
tr -d "\r" < "$T/fg.out" | grep -q "/dev/pts/" || fail "foreground run has no tty: $(cat "$T/fg.out")"
tr -d '\r' < "$T/fg.out" | grep -q "got:typed-in" || fail "input did not reach the container: $(cat "$T/fg.out")"
[ -e "$ROOT/$id4" ] && fail "foreground run left state behind"
timeout 60 script -qec "$CRYO --root $ROOT exec -t $id3 sh -c 'tty; exit 4'" "$T/ts2" < /dev/null > "$T/fg2.out"
rc=$?
[ $rc = 4 ] || fail "exec -t in the foreground: exit $rc, expected 4 ($(cat "$T/fg2.out"))"
tr -d "\r" < "$T/fg2.out" | grep -q "/dev/pts/" || fail "exec -t (foreground) has no tty"
pass
