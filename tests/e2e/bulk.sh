#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Bulk load: 100,000 entries from a file (comments, blank lines, IPv4 and IPv6, hosts and
# prefixes) go in with one command; a host from the file is dropped, one outside is not. A file
# with one bad line is refused whole (file:line named, nothing added).
set -u
source "$(dirname "$0")/common.sh"
e2e_setup

dir=$(mktemp -d)
LAB_CLEANUP_HOOK="rm -rf -- $dir"
python3 - "$dir/list.txt" <<'PY'
import ipaddress, sys
with open(sys.argv[1], "w") as f:
    f.write("# e2e bulk list: 100,000 entries\n\n")
    f.write("198.18.0.2   # the lab's client A\n")
    n = 1
    base = int(ipaddress.IPv4Address("198.18.1.0"))
    for i in range(70000):  # 198.18.1.0 .. inside 198.18.0.0/15
        f.write(f"{ipaddress.IPv4Address(base + i)}\n")
    n += 70000
    for i in range(1000):   # /28 prefixes in 198.19.128.0/17
        f.write(f"{ipaddress.IPv4Address(int(ipaddress.IPv4Address('198.19.128.0')) + 16 * i)}/28\n")
    n += 1000
    v6 = int(ipaddress.IPv6Address("fd00:6d6f:6174:1::"))
    for i in range(100000 - n - 1000):
        f.write(f"{ipaddress.IPv6Address(v6 + i)}\n")
    for i in range(1000):
        f.write(f"fd00:6d6f:6174:{0x100 + i:x}::/64\n")
PY
n=$(grep -cv '^\(#\|$\)' "$dir/list.txt")
[ "$n" = 100000 ] || e2e_fail "generator wrote $n entries"

start=$(date +%s%N)
out=$(fw block --file "$dir/list.txt" --ttl 1h) || e2e_fail "bulk load failed: $out"
ms=$((($(date +%s%N) - start) / 1000000))
echo "$out" | grep -q "100000 entries added" || e2e_fail "unexpected bulk output: $out"
echo "  bulk load of 100000 entries: ${ms} ms (fwctl, end to end)"
# "Under a few seconds" per the issue; 30 s is a guard against a pathological path (one
# syscall per entry with a full map walk), not a benchmark.
[ "$ms" -lt 30000 ] || e2e_fail "bulk load took ${ms} ms"

count=$(fw list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
[ "$count" = 100000 ] || e2e_fail "list shows $count entries, expected 100000"
lab_no_ping $LAB_V4_A $LAB_V4_GW || e2e_fail "$LAB_V4_A from the bulk file not dropped"
lab_ping $LAB_V4_B $LAB_V4_GW || e2e_fail "$LAB_V4_B (not in the file) dropped"
e2e_ok "100000 entries loaded in ${ms} ms, enforced"

# stdin, and unblock --file.
printf '198.18.0.3\n' | fw block --file - >/dev/null || e2e_fail "block --file - failed"
lab_no_ping $LAB_V4_B $LAB_V4_GW || e2e_fail "$LAB_V4_B from stdin not dropped"
out=$(fw unblock --file "$dir/list.txt") || e2e_fail "bulk unblock failed: $out"
echo "$out" | grep -q "100000 entries removed" || e2e_fail "unexpected bulk unblock output: $out"
lab_ping $LAB_V4_A $LAB_V4_GW || e2e_fail "$LAB_V4_A dropped after bulk unblock"
e2e_ok "block --file -, unblock --file"

# One bad line: refused whole, with file:line.
printf '198.18.0.2\n# fine\n198.18.0.300\n198.18.0.3\n' >"$dir/bad.txt"
fw unblock 198.18.0.3 >/dev/null
out=$(fw block --file "$dir/bad.txt" 2>&1)
rc=$?
[ $rc = 2 ] || e2e_fail "bad file: exit $rc, expected 2"
echo "$out" | grep -q "$dir/bad.txt:3: invalid CIDR '198.18.0.300'" || e2e_fail "bad file message: $out"
lab_ping $LAB_V4_A $LAB_V4_GW || e2e_fail "a refused file still added 198.18.0.2"
e2e_ok "a file with a bad line is refused whole: $(echo "$out" | head -1)"
