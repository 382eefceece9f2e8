#!/usr/bin/env python3
"""Print one closing line 'N passed, N failed, N skipped' from meson's testlog.json.

meson's own summary stays above it; this line counts skips apart so a skipped
test is never read as a pass.  Each skipped test is named above it with the
reason it printed (its last line containing "SKIP").
"""
import json
import sys

counts = {"passed": 0, "failed": 0, "skipped": 0}
skips = []
try:
    with open(sys.argv[1]) as f:
        for line in f:
            if not line.strip():
                continue
            t = json.loads(line)
            result = t.get("result", "")
            if result in ("OK", "EXPECTEDFAIL"):
                counts["passed"] += 1
            elif result == "SKIP":
                counts["skipped"] += 1
                out = (t.get("stdout") or "") + "\n" + (t.get("stderr") or "")
                why = [ln.strip() for ln in out.splitlines() if "SKIP" in ln]
                skips.append((t.get("name", "?"), why[-1] if why else "(no reason printed)"))
            else:
                counts["failed"] += 1
except OSError as e:
    print(f"test-summary: cannot read {sys.argv[1]}: {e}", file=sys.stderr)
    sys.exit(1)
for name, why in skips:
    print(f"skipped: {name}: {why}")
print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
