#!/bin/bash
# A seccomp profile: mkdir fails with EPERM, kill with signal 10 fails with a custom errno,
# everything else works.
. "$(dirname "$0")/lib.sh"
B=$T/bundle
make_bundle "$B" sleep 1000
edit_config "$B" '
c["process"]["noNewPrivileges"] = True
c["linux"]["seccomp"] = {
  "defaultAction": "SCMP_ACT_ALLOW",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
  "syscalls": [
    {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
    {"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
     "args": [{"index": 1, "value": 10, "op": "SCMP_CMP_EQ"}]},
    {"names": ["no_such_syscall_anywhere"], "action": "SCMP_ACT_ERRNO"}
  ]
}'
id=$(new_id a)
c run -d --bundle "$B" "$id" || fail "run"
out=$(c exec "$id" mkdir /tmp/denied 2>&1) && fail "mkdir must be denied"
echo "$out" | grep -q "Operation not permitted" || fail "mkdir error: $out"
out=$(c exec "$id" sh -c 'kill -10 $$' 2>&1) && fail "kill -USR1 must be denied"
echo "$out" | grep -qi "permission denied" || fail "kill error: $out"
c exec "$id" sh -c 'kill -0 $$ && touch /tmp/allowed' || fail "other syscalls must work"
[ -e "$B/rootfs/tmp/allowed" ] || fail "touch did not happen"
grep -q "Seccomp:.*2" "/proc/$(c state "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')/status" || fail "init has no seccomp filter"
c delete --force "$id"

# Without noNewPrivileges the filter is loaded while the process still has CAP_SYS_ADMIN.
edit_config "$B" 'c["process"]["noNewPrivileges"] = False; c["process"]["user"] = {"uid": 1000, "gid": 1000}'
id2=$(new_id b)
c run -d --bundle "$B" "$id2" || fail "run without noNewPrivileges"
c exec "$id2" mkdir /tmp/x 2>/dev/null && fail "mkdir must be denied (no nnp)"
c delete --force "$id2"

# A bad profile is refused at create, naming the problem, and leaves nothing behind.
edit_config "$B" 'c["linux"]["seccomp"]["defaultAction"] = "SCMP_ACT_BOGUS"'
id3=$(new_id c)
expect_fail c create --bundle "$B" "$id3" | grep -q "linux.seccomp: .*SCMP_ACT_BOGUS" || fail "bad seccomp action"
[ -e "$ROOT/$id3" ] && fail "state left behind"
pass
