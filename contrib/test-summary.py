#!/usr/bin/env python3
"""Print one closing line 'N passed, N failed, N skipped' from meson's testlog.json.

meson's own summary stays above it; this line counts skips apart so a skipped
test is never read as a pass.
"""
import json
import sys

counts = {"passed": 0, "failed": 0, "skipped": 0}
try:
    with open(sys.argv[1]) as f:
        for line in f:
            if not line.strip():
                continue
            result = json.loads(line).get("result", "")
            if result in ("OK", "EXPECTEDFAIL"):
                counts["passed"] += 1
            elif result == "SKIP":
                counts["skipped"] += 1
            else:
                counts["failed"] += 1
except OSError as e:
    print(f"test-summary: cannot read {sys.argv[1]}: {e}", file=sys.stderr)
    sys.exit(1)
print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
