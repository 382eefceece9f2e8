#!/bin/sh
# anon-sock.sh TASK CRYO_CR CRYO_IMAGE: cryo-image anonymise hides unix socket
# names (bytes fields) of a real dump, and keeps which sockets share a name.
set -u
task=$1 cr=$2 tool=$3
fail() { echo "FAIL: $*"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to dump a task"; exit 77; }
tmp=$(mktemp -d /tmp/anon-sock.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2> /dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
setsid "$task" "$tmp" & pid=$!
for i in $(seq 100); do [ -e "$tmp/ready" ] && break; sleep 0.05; done
[ -e "$tmp/ready" ] || fail "task not ready"
"$cr" dump -t "$pid" -D "$tmp/img" --leave-running > "$tmp/dump.log" 2>&1 || fail "dump: $(tail -3 "$tmp/dump.log")"
grep -aqF secretabstract "$tmp/img/files.img" || fail "the dump holds no abstract name to hide"
"$tool" anonymise "$tmp/img" -o "$tmp/anon" || fail "anonymise exit $?"
"$tool" decode "$tmp/anon" -o "$tmp/anon.json" || fail "decode of the anonymised image"
for s in secretpath secretabstract "$(basename "$tmp")"; do
	grep -arlF -- "$s" "$tmp/anon" "$tmp/anon.json" > /dev/null && fail "anonymised image still holds '$s'"
done
# The bound socket's name and its client's peer_name hash alike; the abstract name keeps its NUL.
python3 - "$tmp/anon.json" <<'PY' || fail "socket names in the anonymised image"
import base64, json, sys
names, peers = [], []
def walk(o):
    if isinstance(o, dict):
        u = o.get("unix_sk")
        if u:
            if "name" in u: names.append(base64.b64decode(u["name"]))
            if "peer_name" in u: peers.append(base64.b64decode(u["peer_name"]))
        for v in o.values(): walk(v)
    elif isinstance(o, list):
        for v in o: walk(v)
walk(json.load(open(sys.argv[1])))
paths = [n for n in names if n[:1] == b"/"]
abstract = [n for n in names if n[:1] == b"\0"]
assert len(paths) == 1 and len(abstract) == 1 and len(peers) == 1, (names, peers)
assert peers[0].rstrip(b"\0") == paths[0].rstrip(b"\0"), (peers, paths)
assert abstract[0][1:2] == b"h" and paths[0].count(b"/") >= 2, names
PY
"$(dirname "$0")/roundtrip-dir.sh" "$tmp/anon" > /dev/null || fail "anonymised image does not round-trip"
echo PASS
