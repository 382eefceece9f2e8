#!/bin/bash
# create -> state(created) -> start -> running -> exec/ps/list -> kill -> stopped -> delete, plus run -d and run.
. "$(dirname "$0")/lib.sh"
B=$T/bundle
make_bundle "$B" sleep 1000
id=$(new_id a)

c create --bundle "$B" --pid-file "$T/pid" "$id" || fail "create"
[ "$(status "$id")" = created ] || fail "status after create: $(status "$id")"
pid=$(cat "$T/pid")
[ -d "/proc/$pid" ] || fail "pid file $pid: no such process"
c start "$id" || fail "start"
wait_status "$id" running
[ "$(c state "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')" = "$pid" ] || fail "pid changed"
grep -q sleep "/proc/$pid/cmdline" || fail "init is not the container process"
expect_fail c start "$id" | grep -q "not created" || fail "second start must fail"

# exec: inside the pid namespace, with args and env, and its exit status
out=$(c exec --env FOO=bar "$id" sh -c 'echo $FOO; echo $$') || fail "exec"
[ "$(echo "$out" | head -1)" = bar ] || fail "exec env: $out"
c exec "$id" sh -c 'exit 7'; [ $? = 7 ] || fail "exec exit status not propagated"
c exec "$id" cat /proc/1/cmdline | grep -q sleep || fail "exec not in the container's pid namespace"
c exec --cwd /tmp "$id" pwd | grep -qx /tmp || fail "exec --cwd"
c exec --user 1000:1000 "$id" id | grep -q "uid=1000 gid=1000" || fail "exec --user"
# exec -d with a pid file; --process from a file
c exec -d --pid-file "$T/epid" "$id" sleep 100 || fail "exec -d"
epid=$(cat "$T/epid"); [ -d "/proc/$epid" ] || fail "exec -d pid $epid missing"
cat > "$T/proc.json" <<'J'
{"args": ["sh", "-c", "echo from-process-file"], "cwd": "/", "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0}}
J
c exec --process "$T/proc.json" "$id" | grep -qx from-process-file || fail "exec --process"

# ps and list
c ps --format json "$id" | python3 -c "import json,sys; p=json.load(sys.stdin); assert $pid in p and $epid in p, p" || fail "ps json"
c ps "$id" | grep -q "sleep 1000" || fail "ps table"
c list | grep -q "$id.*running" || fail "list table"
c list -q | grep -qx "$id" || fail "list -q"
c list --format json | python3 -c "import json,sys; l=json.load(sys.stdin); assert [x for x in l if x['id']=='$id' and x['status']=='running'], l" || fail "list json"

# delete refuses a running container without --force
expect_fail c delete "$id" | grep -q "force" || fail "delete of a running container must fail"
c kill "$id" KILL || fail "kill"
wait_status "$id" stopped
[ -d "/proc/$epid" ] && grep -q sleep "/proc/$epid/cmdline" 2>/dev/null && fail "exec'd process survived its pid namespace"
c delete "$id" || fail "delete"
[ -e "$ROOT/$id" ] && fail "state dir left behind"
expect_fail c state "$id" | grep -q "does not exist" || fail "state after delete"

# kill by name with and without SIG, by number (pid 1 only gets signals it handles)
make_bundle "$T/bt" sh -c 'trap "exit 0" TERM; while true; do sleep 0.1; done'
for sig in TERM SIGTERM 15; do
	id2=$(new_id k$sig)
	c run -d --bundle "$T/bt" "$id2" || fail "run -d"
	wait_status "$id2" running
	c kill "$id2" $sig || fail "kill $sig"
	wait_status "$id2" stopped
	c delete "$id2" || fail "delete $id2"
done

# delete takes several ids
d1=$(new_id m1); d2=$(new_id m2)
c create --bundle "$B" "$d1" && c create --bundle "$B" "$d2" || fail "create m1 m2"
c delete "$d1" "$d2" || fail "delete of two ids"
[ -e "$ROOT/$d1" ] || [ -e "$ROOT/$d2" ] && fail "delete of two ids left state"

# run in the foreground: exit status and cleanup
make_bundle "$T/b2" sh -c 'echo hello-run; exit 3'
id3=$(new_id fg)
out=$(c run --bundle "$T/b2" "$id3"); rc=$?
[ $rc = 3 ] || fail "run exit status $rc, expected 3"
[ "$out" = hello-run ] || fail "run output: $out"
[ -e "$ROOT/$id3" ] && fail "run left its state behind"

# run in the foreground forwards signals to the container
make_bundle "$T/b4" sh -c 'trap "exit 6" TERM; while true; do sleep 0.1; done'
id4=$(new_id fwd)
"$CRYO" --root "$ROOT" run --bundle "$T/b4" "$id4" > /dev/null 2>&1 &
runpid=$!
wait_status "$id4" running
kill -TERM $runpid
wait $runpid; rc=$?
[ $rc = 6 ] || fail "foreground run after SIGTERM: exit $rc, expected the container's 6"
[ -e "$ROOT/$id4" ] && fail "foreground run left state behind after a signal"
pass
