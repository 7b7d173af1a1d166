#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# TC egress: a destination block drops what the gateway itself sends (XDP never sees egress),
# counted at tc-egress; without TC (--no-tc) the same entry cannot drop egress traffic.
set -u
source "$(dirname "$0")/common.sh"
e2e_setup

gw_ping() { # gw_ping DST COUNT: 0 when all replies came back
	local got
	got=$(lab_gw timeout 10 ping -n -q -c "$2" -i 0.2 -W 1 "$1" 2>/dev/null |
		sed -n 's/.* \([0-9]\+\) received.*/\1/p')
	[ "${got:-0}" = "$2" ]
}

gw_ping $LAB_V4_A 3 || e2e_fail "gateway cannot ping $LAB_V4_A before any block"
fw attach "$LAB_IF" --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["tc_mode"] in ("tcx", "clsact"), r
assert r["xdp_mode"] in ("native", "generic"), r
' || e2e_fail "attach --json does not report both hooks"

drops0=$(counter tc-egress drop block-dst)
fw_ok block --dir dst $LAB_V4_A
gw_ping $LAB_V4_A 3 && e2e_fail "gateway's ping to blocked destination $LAB_V4_A answered"
expect_increase "$drops0" "$(counter tc-egress drop block-dst)" "tc-egress block-dst drops"
gw_ping $LAB_V4_B 3 || e2e_fail "gateway's ping to $LAB_V4_B dropped by a $LAB_V4_A entry"
e2e_ok "dst block drops the gateway's own packets at TC egress"

fw_ok block --dir dst $LAB_V6_A
gw_ping $LAB_V6_A 2 && e2e_fail "gateway's ping6 to blocked destination $LAB_V6_A answered"
gw_ping $LAB_V6_B 2 || e2e_fail "gateway's ping6 to $LAB_V6_B dropped"
e2e_ok "IPv6 dst block at TC egress"

fw_ok unblock --dir dst $LAB_V4_A
gw_ping $LAB_V4_A 3 || e2e_fail "gateway cannot ping $LAB_V4_A after unblock"
e2e_ok "unblock --dir dst restores egress"

# Without TC there is no egress hook: the feature above is what made the difference.
fw_ok detach "$LAB_IF"
fw_ok attach "$LAB_IF" --no-tc
fw_ok block --dir dst $LAB_V4_A
gw_ping $LAB_V4_A 3 || e2e_fail "XDP-only attach dropped egress traffic (no TC expected)"
e2e_ok "with --no-tc, egress is not filtered (as expected)"
