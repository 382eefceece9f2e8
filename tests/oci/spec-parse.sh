#!/bin/bash
# The config.json parser on its own: every supported field lands in the structs;
# wrong types and missing required fields fail naming the JSON path.
set -u
DUMP=${SPEC_DUMP:?}
T=$(mktemp -d /tmp/cryo-spec-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cat > "$T/full.json" <<'J'
{"ociVersion":"1.0.2","unknownTopLevel":{"a":[1,2]},
"process":{"terminal":true,"consoleSize":{"height":24,"width":80},"user":{"uid":1,"gid":2,"umask":18,"additionalGids":[3,4]},
 "args":["sh","-c","x"],"env":["A=b"],"cwd":"/w","capabilities":{"bounding":["CAP_KILL"],"effective":["CAP_CHOWN"],"inheritable":["CAP_NET_RAW"],"permitted":["CAP_KILL","CAP_CHOWN"],"ambient":["CAP_KILL"]},
 "rlimits":[{"type":"RLIMIT_NOFILE","soft":1024,"hard":4096}],"noNewPrivileges":true,"oomScoreAdj":-5,"apparmorProfile":"ap","selinuxLabel":"sl","futureField":true},
"root":{"path":"rootfs","readonly":true},"hostname":"h","domainname":"d",
"mounts":[{"destination":"/x","type":"bind","source":"/y","options":["rbind","ro"]},{"destination":"/proc","type":"proc","source":"proc"}],
"hooks":{"prestart":[{"path":"/p","timeout":3}],"createRuntime":[{"path":"/cr"}],"createContainer":[{"path":"/cc"}],"startContainer":[{"path":"/sc"}],"poststart":[{"path":"/ps"}],"poststop":[{"path":"/q","args":["q","1"],"env":["E=1"]}]},
"annotations":{"k":"v"},
"linux":{"namespaces":[{"type":"pid"},{"type":"network","path":"/n"},{"type":"mount"},{"type":"ipc"},{"type":"uts"},{"type":"user"},{"type":"cgroup"},{"type":"time"}],
 "uidMappings":[{"containerID":0,"hostID":1000,"size":10}],"gidMappings":[{"containerID":0,"hostID":2000,"size":20}],
 "devices":[{"path":"/dev/x","type":"c","major":1,"minor":2,"fileMode":438,"uid":5,"gid":6}],"cgroupsPath":"/c/d",
 "resources":{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":3,"access":"rw"}],
  "memory":{"limit":100,"reservation":50,"swap":200,"swappiness":10,"disableOOMKiller":true},
  "cpu":{"shares":512,"quota":-1,"period":100000,"cpus":"0-1","mems":"0"},"pids":{"limit":64},
  "blockIO":{"weight":10,"weightDevice":[{"major":8,"minor":0,"weight":300}],"throttleReadBpsDevice":[{"major":8,"minor":0,"rate":1000}]},
  "hugepageLimits":[{"pageSize":"2MB","limit":1048576}],"unified":{"memory.high":"1G"}},
 "rootfsPropagation":"rslave",
 "seccomp":{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"flags":["SECCOMP_FILTER_FLAG_LOG"],
  "syscalls":[{"names":["kill"],"action":"SCMP_ACT_ALLOW","errnoRet":7,"args":[{"index":1,"value":18446744073709551615,"valueTwo":2,"op":"SCMP_CMP_MASKED_EQ"}]}]},
 "sysctl":{"net.ipv4.ip_forward":"1"},"maskedPaths":["/proc/kcore"],"readonlyPaths":["/proc/sys"],
 "timeOffsets":{"monotonic":{"secs":10,"nanosecs":20},"boottime":{"secs":-30,"nanosecs":0}}}}
J
"$DUMP" "$T/full.json" > "$T/out" || fail "full config: $(cat "$T/out")"
while IFS= read -r want; do
	grep -qxF -- "$want" "$T/out" || fail "parsed output lacks '$want'"
done <<'W'
ociVersion=1.0.2
process.terminal=1
process.consoleSize=24x80
process.user=1:2 umask=22 gids=2:3
process.args[2]=x
process.env[0]=A=b
process.cwd=/w
caps.bounding[0]=CAP_KILL
caps.effective[0]=CAP_CHOWN
caps.inheritable[0]=CAP_NET_RAW
caps.permitted[1]=CAP_CHOWN
caps.ambient[0]=CAP_KILL
rlimit=RLIMIT_NOFILE 1024 4096
process.nnp=1 oom=1:-5 apparmor=ap selinux=sl
root=rootfs ro=1
hostname=h
domainname=d
mount=/x bind /y
mount.options[1]=ro
mount=/proc proc proc
hook.prestart=/p timeout=3
hook.createRuntime=/cr timeout=0
hook.createContainer=/cc timeout=0
hook.startContainer=/sc timeout=0
hook.poststart=/ps timeout=0
hook.poststop=/q timeout=0
annotation=k=v
ns=pid -
ns=net /n
ns=mnt -
ns=ipc -
ns=uts -
ns=user -
ns=cgroup -
ns=time -
uidmap=0 1000 10
gidmap=0 2000 20
device=/dev/x c 1:2 666 5 6
cgroupsPath=/c/d
res.device=0 - -1:-1 rwm
res.device=1 c 1:3 rw
res.memory=100 50 200 10 oom=1
res.cpu=512 -1 100000 0-1 0
res.pids=64
res.blkio=10 1 1
res.hugepage=2MB 1048576
res.unified[0]=memory.high
rootfsPropagation=rslave
seccomp.default=SCMP_ACT_ERRNO
seccomp.arch[0]=SCMP_ARCH_X86_64
seccomp.flags[0]=SECCOMP_FILTER_FLAG_LOG
seccomp.syscall=kill SCMP_ACT_ALLOW 7
seccomp.arg=1 18446744073709551615 2 SCMP_CMP_MASKED_EQ
sysctl=net.ipv4.ip_forward=1
masked[0]=/proc/kcore
readonly[0]=/proc/sys
time.monotonic=10 20
time.boottime=-30 0
W

bad() { # EXPECTED JSON
	printf '%s' "$2" > "$T/bad.json"
	out=$("$DUMP" "$T/bad.json") && fail "accepted bad input: $2"
	echo "$out" | grep -qF -- "$1" || fail "error for $2 does not say '$1': $out"
}
bad "ociVersion: required field missing" '{}'
bad "top level: expected object" '[1]'
bad "invalid JSON" '{"ociVersion": '
bad "ociVersion: expected string" '{"ociVersion": 1}'
bad "process.user.uid: expected integer" '{"ociVersion":"1","process":{"user":{"uid":"0"}}}'
bad "process.user.uid: value -1 out of range" '{"ociVersion":"1","process":{"user":{"uid":-1}}}'
bad "process.user.additionalGids[1]: expected integer" '{"ociVersion":"1","process":{"user":{"additionalGids":[1,"x"]}}}'
bad "process.terminal: expected boolean" '{"ociVersion":"1","process":{"terminal":"yes"}}'
bad "process.rlimits[0].soft: expected unsigned integer" '{"ociVersion":"1","process":{"rlimits":[{"type":"RLIMIT_NOFILE","soft":-1}]}}'
bad "process.oomScoreAdj: value 5000 out of range" '{"ociVersion":"1","process":{"oomScoreAdj":5000}}'
bad "mounts[0].destination: required field missing" '{"ociVersion":"1","mounts":[{"type":"proc"}]}'
bad "mounts[0].options[0]: expected string" '{"ociVersion":"1","mounts":[{"destination":"/x","options":[1]}]}'
bad "hooks.poststop[0]: expected object" '{"ociVersion":"1","hooks":{"poststop":["x"]}}'
bad "annotations.k: expected string" '{"ociVersion":"1","annotations":{"k":1}}'
bad "linux.namespaces[0].type: unknown namespace type 'foo'" '{"ociVersion":"1","linux":{"namespaces":[{"type":"foo"}]}}'
bad "linux.uidMappings[0].size: required field missing" '{"ociVersion":"1","linux":{"uidMappings":[{"containerID":0,"hostID":0}]}}'
bad "linux.devices[0].type: expected one of c, b, u, p" '{"ociVersion":"1","linux":{"devices":[{"path":"/x","type":"z"}]}}'
bad "linux.resources.cpu.shares: expected unsigned integer" '{"ociVersion":"1","linux":{"resources":{"cpu":{"shares":1.5}}}}'
bad "linux.seccomp.syscalls[0].args[0].op: required field missing" '{"ociVersion":"1","linux":{"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["x"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1}]}]}}}'
bad "linux.sysctl.a: expected string" '{"ociVersion":"1","linux":{"sysctl":{"a":1}}}'
bad "linux.timeOffsets.monotonic.secs: expected integer" '{"ociVersion":"1","linux":{"timeOffsets":{"monotonic":{"secs":"1"}}}}'
echo "PASS: spec-parse"
