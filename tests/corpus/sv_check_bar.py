#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Issue 4's acceptance run: sv-check over the suricata-verify corpus with moatd as the
engine. Prints the pass count and fails when it is below the bar (90% of the 148 cases =
134; Suricata 7.0.10 itself passes 143). Usage: sv_check_bar.py SV_CHECK MOATD CORPUS [BAR]
"""
import re
import subprocess
import sys


def main():
    if len(sys.argv) not in (4, 5):
        print("usage: sv_check_bar.py SV_CHECK MOATD CORPUS [BAR]", file=sys.stderr)
        return 2
    sv_check, moatd, corpus = sys.argv[1:4]
    bar = int(sys.argv[4]) if len(sys.argv) == 5 else 134
    p = subprocess.run([sys.executable, sv_check, "--engine", moatd, "-j", "2", corpus],
                       capture_output=True, text=True, errors="replace")
    print(p.stdout)
    if p.stderr:
        print(p.stderr, file=sys.stderr)
    m = re.search(r"^(\d+) passed, (\d+) failed, (\d+) skipped", p.stdout, re.M)
    if not m:
        print("sv-check printed no summary (exit %d)" % p.returncode)
        return 1
    passed, failed, skipped = (int(x) for x in m.groups())
    total = passed + failed + skipped
    print("suricata-verify: %d/%d passed (bar %d)" % (passed, total, bar))
    return 0 if passed >= bar else 1


if __name__ == "__main__":
    sys.exit(main())
