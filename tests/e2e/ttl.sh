#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# An entry with --ttl stops dropping when it expires: the kernel checks the expiry (no daemon
# and no sweep runs here), and list shows the time left, then "expired".
set -u
source "$(dirname "$0")/common.sh"
e2e_setup

# Seconds left on an entry, from list --json (the kernel's stored expiry against now).
left() {
	fw list --json | python3 -c '
import json, sys
e = [x for x in json.load(sys.stdin)["entries"] if x["cidr"] == sys.argv[1]]
print(e[0]["expires_in"] if e and e[0]["expires_in"] is not None else -1)' "$1"
}

fw_ok block $LAB_V4_A --ttl 8s
fw_ok block $LAB_V6_A --ttl 1h
t=$(left $LAB_V4_A/32)
[ "$t" -ge 1 ] && [ "$t" -le 8 ] || e2e_fail "list --json shows $t s left of an 8s TTL"
fw list | grep "$LAB_V4_A/32" | grep -Eq " [1-8]s " || e2e_fail "list does not show 1-8s left"
lab_no_ping $LAB_V4_A $LAB_V4_GW 2 || e2e_fail "ping from $LAB_V4_A answered inside its TTL"
drops=$(counter xdp drop block-src)
[ "$drops" -ge 2 ] || e2e_fail "no XDP drops while the entry was live"
e2e_ok "entry with --ttl 8s drops ($drops packets)"

t=$(left $LAB_V4_A/32)
sleep $((t + 1))
lab_ping $LAB_V4_A $LAB_V4_GW || e2e_fail "ping from $LAB_V4_A still dropped after the TTL"
expect_same "$drops" "$(counter xdp drop block-src)" "XDP drop counter after expiry"
fw list --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
v4 = [x for x in d["entries"] if x["cidr"] == sys.argv[1] + "/32"][0]
v6 = [x for x in d["entries"] if x["cidr"] == sys.argv[2] + "/128"][0]
assert v4["expired"] is True and v4["expires_in"] == 0, v4
assert v6["expired"] is False and 3500 < v6["expires_in"] <= 3600, v6
' $LAB_V4_A $LAB_V6_A || e2e_fail "list --json does not show the expiry state"
lab_no_ping $LAB_V6_A $LAB_V6_GW 2 || e2e_fail "the 1h IPv6 entry stopped dropping"
e2e_ok "expired entry no longer drops; the 1h entry still does"

# Re-adding updates the expiry: the expired entry comes back to life.
fw_ok block $LAB_V4_A --ttl 1h
lab_no_ping $LAB_V4_A $LAB_V4_GW 2 || e2e_fail "re-added entry does not drop"
e2e_ok "re-adding an expired entry renews it"
