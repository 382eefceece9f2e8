#!/bin/bash
# Fuzz the config.json parser briefly with libFuzzer (ASan + UBSan), seeded with cryo's default specs.
# Built here rather than by meson so a missing fuzzer runtime is a loud SKIP, not a broken build.
set -u
SRC=${OCI_SRC:?}
CRYO=${CRYO:?}
CLANG=${CLANG:-clang}
command -v "$CLANG" >/dev/null || { echo "SKIP: clang is not installed (contrib/deps/build.txt lists it)"; exit 77; }
T=$(mktemp -d /tmp/cryo-fuzz-XXXXXX)
trap 'rm -rf "$T"' EXIT
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long s) { (void)d; return (int)(s & 0); }' > "$T/probe.c"
if ! "$CLANG" -fsanitize=fuzzer "$T/probe.c" -o "$T/probe" 2>"$T/probe.err"; then
	echo "SKIP: clang's libFuzzer runtime is missing (install libclang-rt-*-dev): $(head -2 "$T/probe.err")"
	exit 77
fi
"$CLANG" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-D_GNU_SOURCE -DCRYO_VERSION='"fuzz"' -I"$SRC" -I"$SRC/oci" \
	"$SRC"/oci/fuzz-spec.c "$SRC"/oci/spec-parse.c "$SRC"/oci/spec-free.c "$SRC"/oci/error.c \
	-lyajl -o "$T/fuzz" || { echo "FAIL: cannot build the fuzzer"; exit 1; }
mkdir "$T/corpus" "$T/s1" "$T/s2"
(cd "$T/s1" && "$CRYO" spec) && (cd "$T/s2" && "$CRYO" spec --rootless) || { echo "FAIL: cryo spec"; exit 1; }
cp "$T/s1/config.json" "$T/corpus/default.json"
cp "$T/s2/config.json" "$T/corpus/rootless.json"
cat > "$T/corpus/full.json" <<'J'
{"ociVersion":"1.0.2","process":{"terminal":true,"consoleSize":{"height":1,"width":2},"user":{"uid":1,"gid":2,"umask":18,"additionalGids":[3]},"args":["a"],"env":["A=b"],"cwd":"/","capabilities":{"bounding":["CAP_KILL"]},"rlimits":[{"type":"RLIMIT_NOFILE","soft":1,"hard":2}],"noNewPrivileges":true,"oomScoreAdj":5},
"root":{"path":"r","readonly":true},"hostname":"h","domainname":"d","mounts":[{"destination":"/x","type":"bind","source":"/y","options":["rbind","ro"]}],
"hooks":{"prestart":[{"path":"/p","args":["p"],"env":["E=1"],"timeout":3}],"poststop":[{"path":"/q"}]},"annotations":{"k":"v"},
"linux":{"namespaces":[{"type":"pid"},{"type":"network","path":"/n"}],"uidMappings":[{"containerID":0,"hostID":1,"size":2}],"gidMappings":[{"containerID":0,"hostID":1,"size":2}],
"devices":[{"path":"/dev/x","type":"c","major":1,"minor":2,"fileMode":438,"uid":0,"gid":0}],"cgroupsPath":"/c","resources":{"devices":[{"allow":false,"access":"rwm"}],"memory":{"limit":1,"swap":2,"swappiness":3},"cpu":{"shares":1,"quota":2,"period":3,"cpus":"0"},"pids":{"limit":4},
"blockIO":{"weight":10,"weightDevice":[{"major":1,"minor":2,"weight":3}],"throttleReadBpsDevice":[{"major":1,"minor":2,"rate":3}]},"hugepageLimits":[{"pageSize":"2MB","limit":1}],"unified":{"a":"b"}},
"rootfsPropagation":"rslave","seccomp":{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],"flags":["SECCOMP_FILTER_FLAG_LOG"],"syscalls":[{"names":["kill"],"action":"SCMP_ACT_ERRNO","errnoRet":1,"args":[{"index":1,"value":18446744073709551615,"valueTwo":0,"op":"SCMP_CMP_EQ"}]}]},
"sysctl":{"a.b":"1"},"maskedPaths":["/m"],"readonlyPaths":["/r"],"timeOffsets":{"monotonic":{"secs":1,"nanosecs":2}}}}
J
# Bounded by runs, not by time: the figure is the same on any machine.
"$T/fuzz" -runs=${FUZZ_RUNS:-200000} -max_len=8192 "$T/corpus" 2>"$T/fuzz.log"
rc=$?
tail -3 "$T/fuzz.log"
[ $rc = 0 ] || { echo "FAIL: the fuzzer found a crash:"; grep -A20 "ERROR\|SUMMARY" "$T/fuzz.log" | head -40; exit 1; }
echo "PASS: fuzz-config"
