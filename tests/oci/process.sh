#!/bin/bash
# process: user (uid, gid, additionalGids, umask), capabilities (all five sets), rlimits,
# noNewPrivileges, oomScoreAdj, env, cwd; --preserve-fds.
. "$(dirname "$0")/lib.sh"
B=$T/bundle
make_bundle "$B" sh -c 'cat /proc/self/status; echo "limits:"; cat /proc/self/limits; echo "umask=$(umask)"; echo "oom=$(cat /proc/self/oom_score_adj)"; echo "cwd=$(pwd)"; echo "env=$MYVAR"; echo "fd3=$(cat <&3)"'
mkdir -p "$B/rootfs/work"
edit_config "$B" '
p = c["process"]
p["user"] = {"uid": 1234, "gid": 2345, "additionalGids": [7, 8], "umask": 23}
p["capabilities"] = {
  "bounding": ["CAP_NET_RAW", "CAP_KILL", "CAP_CHOWN"],
  "effective": ["CAP_KILL", "CAP_NET_RAW"],
  "permitted": ["CAP_KILL", "CAP_NET_RAW"],
  "inheritable": ["CAP_NET_RAW"],
  "ambient": ["CAP_NET_RAW"]}
p["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 1000, "hard": 2000}, {"type": "RLIMIT_NPROC", "soft": 500, "hard": 600}]
p["noNewPrivileges"] = True
p["oomScoreAdj"] = 123
p["cwd"] = "/work"
p["env"] = ["PATH=/bin", "MYVAR=hello env"]
'
echo "preserved-fd-content" > "$T/fd3"
id=$(new_id a)
c run --preserve-fds 1 --bundle "$B" "$id" > "$T/out" 2>&1 3< "$T/fd3" || fail "run: $(cat "$T/out")"
o=$T/out
grep -q "^Uid:[[:space:]]*1234[[:space:]]1234[[:space:]]1234" $o || fail "uid: $(grep ^Uid $o)"
grep -q "^Gid:[[:space:]]*2345[[:space:]]2345[[:space:]]2345" $o || fail "gid: $(grep ^Gid $o)"
grep -q "^Groups:[[:space:]]*7 8" $o || fail "additionalGids: $(grep ^Groups $o)"
# CAP_CHOWN=0 CAP_KILL=5 CAP_NET_RAW=13.  A non-root process keeps across execve only
# its ambient set (KILL, permitted but not ambient, is gone): the kernel's rule, as with runc.
grep -q "^CapBnd:[[:space:]]*0000000000002021" $o || fail "bounding: $(grep ^CapBnd $o)"
grep -q "^CapEff:[[:space:]]*0000000000002000" $o || fail "effective: $(grep ^CapEff $o)"
grep -q "^CapPrm:[[:space:]]*0000000000002000" $o || fail "permitted: $(grep ^CapPrm $o)"
grep -q "^CapInh:[[:space:]]*0000000000002000" $o || fail "inheritable: $(grep ^CapInh $o)"
grep -q "^CapAmb:[[:space:]]*0000000000002000" $o || fail "ambient: $(grep ^CapAmb $o)"
grep -q "^NoNewPrivs:[[:space:]]*1" $o || fail "noNewPrivileges"
grep -q "^Max open files *1000 *2000" $o || fail "RLIMIT_NOFILE: $(grep 'open files' $o)"
grep -q "^Max processes *500 *600" $o || fail "RLIMIT_NPROC: $(grep 'Max processes' $o)"
grep -qx "umask=0027" $o || fail "umask: $(grep umask= $o)"
grep -qx "oom=123" $o || fail "oomScoreAdj: $(grep oom= $o)"
grep -qx "cwd=/work" $o || fail "cwd: $(grep cwd= $o)"
grep -qx "env=hello env" $o || fail "env: $(grep env= $o)"
grep -qx "fd3=preserved-fd-content" $o || fail "--preserve-fds: $(grep fd3= $o)"

# Without capabilities the process has none; without --preserve-fds fd 3 is closed.
make_bundle "$T/b2" sh -c 'grep ^Cap /proc/self/status; [ -e /proc/$$/fd/3 ] && echo fd3-open; true'
edit_config "$T/b2" 'del c["process"]["capabilities"]'
id2=$(new_id b)
c run --bundle "$T/b2" "$id2" > "$T/out2" 2>&1 3< "$T/fd3" || fail "run b2"
grep -q "^CapEff:[[:space:]]*0000000000000000" "$T/out2" || fail "no capabilities expected: $(cat "$T/out2")"
grep -q fd3-open "$T/out2" && fail "fd 3 leaked without --preserve-fds"
id2b=$(new_id b2)
c run --preserve-fds 1 --bundle "$T/b2" "$id2b" > "$T/out2b" 2>&1 3< "$T/fd3" || fail "run b2 --preserve-fds"
grep -q fd3-open "$T/out2b" || fail "the fd 3 probe does not see a preserved fd"
# rlimit above the hard limit we may raise is a clear error
make_bundle "$T/b3" true
edit_config "$T/b3" 'c["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 10, "hard": 5}]'
id3=$(new_id c)
expect_fail c run --bundle "$T/b3" "$id3" | grep -q "RLIMIT_NOFILE" || fail "bad rlimit error"
[ -e "$ROOT/$id3" ] && fail "state left behind"
pass
