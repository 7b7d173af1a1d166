#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Enforcement outlives the loader: every fwctl is a process that exits, yet the attachment and
# the entries stay in the kernel (pinned); a new loader adopts the pinned maps (same map ids,
# entries and counters kept) instead of recreating them.
set -u
source "$(dirname "$0")/common.sh"
e2e_setup

[ -d "$LAB_PIN_ROOT" ] || e2e_fail "no pin root $LAB_PIN_ROOT after attach"
fw_ok block $LAB_V4_A --ttl 1h
pgrep -f "$FWCTL" >/dev/null && e2e_fail "an fwctl process is still running"
lab_no_ping $LAB_V4_A $LAB_V4_GW || e2e_fail "block not enforced after the loader exited"
e2e_ok "no moat process runs, the block is enforced"

map_id() {
	bpftool -j map show pinned "$LAB_PIN_ROOT/moat_bs4_h" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
id0=$(map_id) || e2e_fail "no pinned moat_bs4_h"
drops0=$(counter xdp drop block-src)

out=$(fw attach "$LAB_IF" --json) || e2e_fail "second attach failed"
echo "$out" | python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["updated"], r' ||
	e2e_fail "second attach did not update the existing links: $out"
[ "$(map_id)" = "$id0" ] || e2e_fail "the new loader recreated moat_bs4_h instead of adopting"
[ "$(counter xdp drop block-src)" -ge "$drops0" ] || e2e_fail "counters were reset"
fw list | grep -q "$LAB_V4_A/32" || e2e_fail "entry lost across the new loader"
lab_no_ping $LAB_V4_A $LAB_V4_GW || e2e_fail "block not enforced after re-attach"
e2e_ok "a new loader adopts the pins (map id $id0 kept, entry kept, still dropping)"

# The maps are shared with any process: an entry added now is seen by the running programs.
fw_ok unblock $LAB_V4_A
lab_ping $LAB_V4_A $LAB_V4_GW || e2e_fail "unblock through adopted maps not seen"

# Detach removes the programs but keeps the policy.
fw_ok block $LAB_V4_B
fw stats --json | python3 -c '
import json, sys
a = json.load(sys.stdin)["attachments"]
assert [x["ifname"] for x in a] == [sys.argv[1]] and a[0]["xdp_mode"] == "native", a
' "$LAB_IF" || e2e_fail "stats --json does not list the attachment"
fw_ok detach "$LAB_IF"
lab_ping $LAB_V4_B $LAB_V4_GW || e2e_fail "still dropping after detach"
[ "$(fw stats --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["attachments"]))')" = 0 ] ||
	e2e_fail "stats still lists an attachment after detach"
fw list | grep -q "$LAB_V4_B/32" || e2e_fail "detach lost the entries"
fw_ok attach "$LAB_IF"
lab_no_ping $LAB_V4_B $LAB_V4_GW || e2e_fail "re-attach does not enforce the kept entry"
e2e_ok "detach keeps the policy; attach enforces it again"

# Generic XDP on request, and the report says so; enforcement the same.
fw_ok detach "$LAB_IF"
out=$(fw attach "$LAB_IF" --xdp-mode generic --json) || e2e_fail "attach --xdp-mode generic"
echo "$out" | python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["xdp_mode"]=="generic", r' ||
	e2e_fail "generic attach reported: $out"
lab_gw ip link show "$LAB_IF" | grep -q "xdpgeneric" || e2e_fail "ip link shows no xdpgeneric"
lab_no_ping $LAB_V4_B $LAB_V4_GW || e2e_fail "generic XDP does not enforce the kept entry"
e2e_ok "attach --xdp-mode generic: reported and enforced"
