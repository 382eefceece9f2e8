#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# corrupt.py CRYO_IMAGE MKSAMPLE: corrupted images give exit 1 and an error that
# names the file (and the record, where there is one); odd but valid images
# (unknown fields, non-canonical encodings) still round-trip byte for byte.
import os, shutil, struct, subprocess, sys, tempfile

tool, mksample = sys.argv[1], sys.argv[2]
tmp = tempfile.mkdtemp(prefix="cryo-image-corrupt-")
failures = 0

def fail(msg):
    global failures
    failures += 1
    print("FAIL:", msg)

def run(*args):
    return subprocess.run([tool, *args], capture_output=True, text=True)

def records(data):
    """(offset, length) of each record of an image file."""
    pos, out = 8, []
    while pos < len(data):
        (n,) = struct.unpack_from("<I", data, pos)
        out.append((pos, n))
        pos += 4 + n
    return out

sample = os.path.join(tmp, "sample")
subprocess.run([mksample, sample], check=True)

def case(name, fname, mutate, *expect):
    path = os.path.join(tmp, name + "-" + fname)
    data = bytearray(open(os.path.join(sample, fname), "rb").read())
    open(path, "wb").write(mutate(data))
    for target in (path,):
        r = run("decode", target)
        if r.returncode != 1:
            fail(f"{name}: exit {r.returncode}, want 1 (stderr: {r.stderr.strip()})")
            continue
        if r.returncode < 0 or "Traceback" in r.stderr:
            fail(f"{name}: crashed")
        for e in (os.path.basename(path),) + expect:
            if e not in r.stderr:
                fail(f"{name}: error does not mention '{e}': {r.stderr.strip()}")
        print(f"ok {name}: {r.stderr.strip()}")

def set_len(data, idx, n):
    off, _ = records(data)[idx]
    struct.pack_into("<I", data, off, n)
    return data

def garbage(data):
    off, n = records(data)[0]
    data[off + 4: off + 4 + n] = b"\xff" * n
    return data

def dup_record(data):
    off, n = records(data)[0]
    return data + data[off: off + 4 + n]

case("truncated", "core-4242.img", lambda d: d[:-3], "record 1", "exceeds file size")
case("truncated-header", "pstree.img", lambda d: d[:5], "truncated header")
case("bad-magic", "mm-4242.img", lambda d: b"XXXX" + d[4:], "bad magic")
case("huge-length", "core-4242.img", lambda d: set_len(d, 0, 0xffffffff), "record 0", "length 4294967295")
case("long-length", "pstree.img", lambda d: set_len(d, 1, 1000), "record 1", "exceeds file size")
case("garbage", "pstree.img", garbage, "record 0", "do not unpack")
case("newer-version", "inventory.img", lambda d: d[:4] + struct.pack("<I", 2 << 16) + d[8:], "newer")
case("zero-version", "inventory.img", lambda d: d[:4] + struct.pack("<I", 0) + d[8:], "version")
case("trailing", "pagemap-4242.img", lambda d: d + b"\x01\x02", "record 6", "trailing")
case("too-many", "inventory.img", dup_record, "record 1", "at most 1 record")
case("empty", "inventory.img", lambda d: b"", "truncated header")

# A file whose name says one kind and whose magic says another.
shutil.copy(os.path.join(sample, "pstree.img"), os.path.join(tmp, "core-1.img"))
r = run("decode", os.path.join(tmp, "core-1.img"))
if r.returncode != 1 or "magic" not in r.stderr:
    fail(f"name/magic mismatch: exit {r.returncode}: {r.stderr}")

# A FIFO under an image name is refused, not waited on.
fifo = os.path.join(tmp, "core-9.img")
os.mkfifo(fifo)
try:
    r = subprocess.run([tool, "decode", fifo], capture_output=True, text=True, timeout=20)
    if r.returncode != 1 or "not a regular file" not in r.stderr:
        fail(f"fifo: exit {r.returncode}: {r.stderr}")
except subprocess.TimeoutExpired:
    fail("fifo: decode hangs")
os.unlink(fifo)

# A directory holding a corrupted file fails as a whole, naming the file.
bad = os.path.join(tmp, "baddir")
shutil.copytree(sample, bad)
with open(os.path.join(bad, "mm-4242.img"), "r+b") as f:
    f.truncate(20)
r = run("decode", bad)
if r.returncode != 1 or "mm-4242.img" not in r.stderr:
    fail(f"corrupt dir: exit {r.returncode}: {r.stderr}")

# Valid but unusual records still round-trip exactly.
def varint(n):
    out = b""
    while True:
        b = n & 0x7f
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])

def pstree_file(*recs):
    hdr = open(os.path.join(sample, "pstree.img"), "rb").read()[:8]
    return hdr + b"".join(struct.pack("<I", len(r)) + r for r in recs)

canon = b"\x08" + varint(7) + b"\x10\x00\x18\x07\x20\x07"        # pid ppid pgid sid
unknown = canon + b"\xf8\x06" + varint(12345)                     # field 111, varint
reordered = b"\x10\x00\x08" + varint(7) + b"\x18\x07\x20\x07"      # ppid before pid
packed = canon + b"\x2a\x02\x07\x08"                              # threads [7, 8] packed
for name, rec, marker in (("unknown-field", unknown, "_unknown"), ("reordered", reordered, "_raw"),
                          ("packed", packed, "_raw"), ("canonical", canon, None)):
    path = os.path.join(tmp, name + ".img")
    open(path, "wb").write(pstree_file(rec, canon))
    r = run("decode", path, "-o", path + ".json")
    if r.returncode != 0:
        fail(f"{name}: decode failed: {r.stderr}")
        continue
    text = open(path + ".json").read()
    if marker and marker not in text:
        fail(f"{name}: JSON lacks {marker}")
    if not marker and ("_raw" in text or "_unknown" in text):
        fail(f"{name}: canonical record decoded with _raw/_unknown")
    r = run("encode", "-i", path + ".json", "-o", path + ".back")
    if r.returncode != 0 or open(path, "rb").read() != open(path + ".back", "rb").read():
        fail(f"{name}: no byte-identical round trip ({r.stderr.strip()})")
    else:
        print(f"ok {name} round-trips")

# Bad JSON gives a clear error naming the field.
def encode_error(name, text, expect):
    p = os.path.join(tmp, name + ".json")
    open(p, "w").write(text)
    open(p + ".img", "w").write("keep")      # a failed encode must not touch it
    r = run("encode", "-i", p, "-o", p + ".img")
    if r.returncode != 1 or expect not in r.stderr:
        fail(f"encode {name}: exit {r.returncode}, stderr {r.stderr.strip()!r} lacks {expect!r}")
    elif open(p + ".img").read() != "keep" or [f for f in os.listdir(tmp) if ".tmp-" in f]:
        fail(f"encode {name}: clobbered the output or left a temporary file")
    else:
        print(f"ok encode {name}: {r.stderr.strip()}")

hdr = '{"kind": "pstree", "version": "1.0", "records": [%s]}'
encode_error("not-json", "{", "not valid JSON")
encode_error("newer-major", '{"kind": "pstree", "version": "2.0", "records": []}', "major")
encode_error("bad-kind", '{"kind": "nope", "version": "1.0", "records": []}', "kind")
encode_error("missing-required", hdr % '{"pid": 1}', "required")
encode_error("bad-field", hdr % '{"pid": 1, "ppid": 0, "pgid": 1, "sid": 1, "bogus": 2}', "bogus")
encode_error("out-of-range", hdr % '{"pid": 4294967296, "ppid": 0, "pgid": 1, "sid": 1}', "pid")
encode_error("negative", hdr % '{"pid": -1, "ppid": 0, "pgid": 1, "sid": 1}', "pid")
encode_error("bad-type", hdr % '{"pid": 1, "ppid": 0, "pgid": 1, "sid": 1, "threads": 3}', "threads")

shutil.rmtree(tmp)
if failures:
    print(f"FAIL ({failures})")
    sys.exit(1)
print("PASS")
