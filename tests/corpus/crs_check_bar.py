#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Issue 5's acceptance run: crs-check with moatd and Debian's CRS over the CRS request
corpus (paranoia 4) and the benign corpus (paranoia 1). Prints crs-check's per-file tables
and fails when the CRS corpus falls under BAR_PCT percent satisfied, or when more benign
requests than MAX_BENIGN_BLOCKS are blocked (949110; ModSecurity 3.0.9 blocks 154).
Usage: crs_check_bar.py CRS_CHECK MOATD CORPUS_DIR BAR_PCT MAX_BENIGN_BLOCKS
Exits 77 (skip) without Debian's modsecurity-crs package.
"""
import glob
import os
import re
import subprocess
import sys

CRS_DIR = "/usr/share/modsecurity-crs/rules"
CRS_SETUP = "/etc/modsecurity/crs/crs-setup.conf"


def crs_check(tool, moatd, corpus, extra):
    p = subprocess.run([sys.executable, tool, "--engine", moatd] + extra + corpus,
                       capture_output=True, text=True, errors="replace")
    print(p.stdout)
    if p.stderr:
        print(p.stderr, file=sys.stderr)
    m = re.search(r"^(\d+) passed, (\d+) failed$", p.stdout, re.M)
    e = re.search(r"^engine exit (\S+),", p.stdout, re.M)
    if not m or not e or e.group(1) != "0":
        print("crs-check: no summary or the engine failed (exit %d)" % p.returncode)
        return None
    return int(m.group(1)), int(m.group(2))


def main():
    if len(sys.argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    tool, moatd, cdir = sys.argv[1:4]
    bar, max_blocks = float(sys.argv[4]), int(sys.argv[5])
    if not os.path.isdir(CRS_DIR) or not os.path.exists(CRS_SETUP):
        print("Debian's modsecurity-crs is not installed: skipped")
        return 77
    reqs = sorted(glob.glob(os.path.join(cdir, "REQUEST-*.jsonl")))
    r = crs_check(tool, moatd, reqs, ["--paranoia", "4"])
    if r is None:
        return 1
    passed, failed = r
    pct = 100.0 * passed / max(1, passed + failed)
    print("CRS corpus (PL 4): %d/%d satisfied = %.2f%% (bar %.1f%%; ModSecurity 3.0.9: 98.4%%)"
          % (passed, passed + failed, pct, bar))
    b = crs_check(tool, moatd, [os.path.join(cdir, "benign.jsonl")], ["--paranoia", "1"])
    if b is None:
        return 1
    print("benign corpus (PL 1): %d of %d blocked by 949110 (bar %d; ModSecurity 3.0.9: 154)"
          % (b[1], b[0] + b[1], max_blocks))
    return 0 if pct >= bar and b[1] <= max_blocks else 1


if __name__ == "__main__":
    sys.exit(main())
