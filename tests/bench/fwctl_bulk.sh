#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# fwctl_bulk benchmark: `fwctl block --file` and `fwctl unblock --file` of N host addresses
# (default 100,000) through a live moatd (entries.add/delete in chunks, the daemon's default
# sweep-interval of 10 s) beside the same file written to the pinned maps directly (daemon
# stopped), in the live e2e lab. Median of ROUNDS (default 3) wall-clock runs each; prints one
# JSON object. Root only (exit 77 otherwise).
#   tests/bench/fwctl_bulk.sh [BUILD_DIR] [N] [ROUNDS]
set -u
BUILD=$(cd "${1:-build}" && pwd)
N=${2:-100000}
ROUNDS=${3:-3}
export FWCTL=$BUILD/cli/fwctl MOATD=$BUILD/policyd/moatd
export LAB_QUIET=1
source "$(dirname "$0")/../e2e/live_common.sh"
[ "$N" -ge 1 ] && [ "$N" -le 1000000 ] || e2e_fail "N: 1..1000000"
[ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 9 ] || e2e_fail "ROUNDS: 1..9"
live_setup
live_config ""
sed -i 's/^sweep-interval = 1s$/sweep-interval = 10s/' "$LIVE_DIR/moat.conf" # the default
python3 -c '
import ipaddress, sys
base = ipaddress.ip_address("198.18.64.0")
for i in range(int(sys.argv[1])):
    print(base + i)' "$N" >"$LIVE_DIR/bulk.txt"

ms() { echo $(($(date +%s%N) / 1000000)); }
# run_rounds OUT_ADD OUT_DEL: ROUNDS add+delete pairs, times (ms) appended to two files
run_rounds() {
	local i t0 t1 t2
	for ((i = 0; i < ROUNDS; i++)); do
		t0=$(ms)
		fw block --file "$LIVE_DIR/bulk.txt" --ttl 1h >/dev/null 2>&1 || e2e_fail "block --file"
		t1=$(ms)
		fw unblock --file "$LIVE_DIR/bulk.txt" >/dev/null 2>&1 || e2e_fail "unblock --file"
		t2=$(ms)
		echo $((t1 - t0)) >>"$1"
		echo $((t2 - t1)) >>"$2"
	done
}
live_start
run_rounds "$LIVE_DIR/d_add" "$LIVE_DIR/d_del"
requests=$(grep -c "policy: block [0-9]* entries" "$LIVE_DIR/moatd.log")
saves=$(grep -c "state: saving took" "$LIVE_DIR/moatd.log")
live_stop TERM || e2e_fail "moatd exited with an error"
run_rounds "$LIVE_DIR/p_add" "$LIVE_DIR/p_del"
python3 - "$LIVE_DIR" "$N" "$ROUNDS" "$requests" "$saves" <<'EOF'
import json, statistics, sys
d, n, rounds, requests, saves = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
def med(name):
    return statistics.median(int(x) for x in open(f"{d}/{name}"))
out = {
    "bench": "fwctl_bulk",
    "entries": n,
    "rounds": rounds,
    "daemon": {"add_ms": med("d_add"), "delete_ms": med("d_del"),
               "requests_per_file": requests // rounds, "slow_state_saves": saves},
    "pinned_baseline": {"add_ms": med("p_add"), "delete_ms": med("p_del")},
}
out["daemon_vs_pinned"] = {
    "add": round(out["daemon"]["add_ms"] / max(out["pinned_baseline"]["add_ms"], 1), 2),
    "delete": round(out["daemon"]["delete_ms"] / max(out["pinned_baseline"]["delete_ms"], 1), 2),
}
print(json.dumps(out))
EOF
