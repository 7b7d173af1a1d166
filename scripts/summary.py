#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Sums meson test logs (testlog.json, one JSON object per line) into one closing line:
'N passed, N failed, N skipped'. Lists every failed and skipped test with its build."""
import json
import sys

passed = failed = skipped = 0
for path in sys.argv[1:]:
    build = path.split("/meson-logs/")[0]
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError as e:
        print(f"summary: {path}: {e}", file=sys.stderr)
        failed += 1
        continue
    for line in lines:
        if not line.strip():
            continue
        t = json.loads(line)
        res = t.get("result")
        name = f"{build}: {t.get('name')}"
        if res in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif res == "SKIP":
            skipped += 1
            print(f"SKIP {name}")
        else:
            failed += 1
            print(f"FAIL {name} ({res})")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
