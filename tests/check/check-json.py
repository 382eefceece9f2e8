#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""'cryo-cr check --json' parses, agrees with the screen and with
'--feature NAME' for every feature, and its facts agree with what this
process sees for itself (its own maps, rlimits, CapEff, /proc/mounts, nft)."""
import json
import os
import re
import resource
import shutil
import subprocess
import sys

cryo_cr = sys.argv[1]
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL:", msg)


def run(*args):
    return subprocess.run([cryo_cr, "check", *args], capture_output=True, text=True)


js = run("--json")
check(js.returncode == 0, f"--json exited {js.returncode}")
tool = subprocess.run([sys.executable, "-m", "json.tool"], input=js.stdout,
                      capture_output=True, text=True)
check(tool.returncode == 0, f"json.tool rejects the output: {tool.stderr}")
doc = json.loads(js.stdout)
features = doc["features"]
facts = doc["facts"]

# --- the screen says the same -------------------------------------------
screen = run()
check(screen.returncode == 0, f"check exited {screen.returncode}")
on_screen = {}
for line in screen.stdout.splitlines():
    m = re.match(r"^  (\S+) +(yes|no|error)(\s|$)", line)
    if m:
        on_screen[m.group(1)] = m.group(2)
listed = run("--feature", "list").stdout.split()
check(set(listed) == set(features), "--feature list and JSON name different features")
check(set(on_screen) == set(features), "screen and JSON list different features: "
      f"{sorted(set(on_screen) ^ set(features))}")
for name, f in features.items():
    check(f["result"] in ("yes", "no", "error"), f"{name}: result {f['result']}")
    check(f["present"] == (f["result"] == "yes"), f"{name}: present/result disagree")
    check(on_screen.get(name) == f["result"],
          f"{name}: screen says {on_screen.get(name)}, JSON {f['result']}")
    check(bool(f["cost"]) and bool(f["detail"]), f"{name}: empty cost or detail")
    rc = run("--feature", name).returncode
    check(rc == (0 if f["present"] else 1), f"{name}: --feature exited {rc}, JSON {f['result']}")

# --- facts against what this process sees ---------------------------------
want_vmas = []
with open("/proc/self/maps") as maps:
    for line in maps:
        parts = line.split()
        if len(parts) == 6 and (parts[5].startswith("[vvar") or parts[5] == "[vdso]"):
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            want_vmas.append({"name": parts[5], "size": hi - lo})
check(facts["vdso"] == want_vmas, f"vdso layout {facts['vdso']} but this process has {want_vmas}")
check(features["vdso"]["present"] == any(v["name"] == "[vdso]" for v in want_vmas),
      "vdso feature disagrees with /proc/self/maps")

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
inf = "unlimited"
check(facts["rlimit_nofile"]["hard"] == (inf if hard == resource.RLIM_INFINITY else hard),
      f"nofile hard {facts['rlimit_nofile']['hard']}, this process has {hard}")
check(facts["rlimit_nofile"]["soft"] == (inf if soft == resource.RLIM_INFINITY else soft),
      f"nofile soft {facts['rlimit_nofile']['soft']}, this process has {soft}")

with open("/proc/self/status") as status:
    capeff = int(next(l for l in status if l.startswith("CapEff:")).split()[1], 16)
check(len(facts["capabilities"]["effective"]) == bin(capeff).count("1"),
      f"{len(facts['capabilities']['effective'])} effective caps, CapEff {capeff:#x}")
check(("cap_sys_resource" in facts["capabilities"]["effective"]) == bool(capeff >> 24 & 1),
      "cap_sys_resource listed wrongly")

v1, v2 = set(), False
generic = {"rw", "ro", "relatime", "noatime", "nosuid", "nodev", "noexec", "noprefix",
           "clone_children", "xattr", "cpuset_v2_mode", "favordynmods", "none"}
with open("/proc/mounts") as mounts:
    for line in mounts:
        _, _, fstype, opts = line.split()[:4]
        if fstype == "cgroup":
            v1 |= {o for o in opts.split(",")
                   if o not in generic and not o.startswith("release_agent=")}
        elif fstype == "cgroup2":
            v2 = True
mode = {(True, True): "hybrid", (True, False): "v1", (False, True): "v2",
        (False, False): "none"}[(bool(v1), v2)]
check(facts["cgroup"]["mode"] == mode, f"cgroup mode {facts['cgroup']['mode']}, /proc/mounts says {mode}")
check(set(facts["cgroup"]["v1_controllers"]) == v1,
      f"v1 controllers {facts['cgroup']['v1_controllers']}, /proc/mounts has {sorted(v1)}")
check(features["cgroup-v1"]["present"] == bool(v1), "cgroup-v1 disagrees with /proc/mounts")
check(features["cgroup-v2"]["present"] == v2, "cgroup-v2 disagrees with /proc/mounts")

nft = shutil.which("nft")
if nft:
    nft_ok = subprocess.run([nft, "list", "tables"], capture_output=True).returncode == 0
    check(features["nftables"]["present"] == nft_ok,
          f"nftables: cryo-cr says {features['nftables']['result']}, 'nft list tables' "
          f"{'works' if nft_ok else 'fails'}")
else:
    print("note: no nft binary; nftables not cross-checked")

# --- docs/kerndat.md documents every row, with the same cost line --------
doc_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "kerndat.md")
with open(doc_path) as f:
    rows = {}
    for line in f:
        m = re.match(r"^\| `([a-z0-9-]+)` \|.*\| ([^|]+) \|$", line.rstrip("\n"))
        if m:
            rows[m.group(1)] = m.group(2)
for name, feat in features.items():
    check(rows.get(name) == feat["cost"],
          f"docs/kerndat.md: row of {name} missing or its cost differs from the table")
check(set(rows) <= set(features), f"docs/kerndat.md documents unknown features {set(rows) - set(features)}")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print(f"PASS: {len(features)} features agree across JSON, screen and --feature; facts agree")
