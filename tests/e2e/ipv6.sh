#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# IPv6: a /128 and a prefix block drop ICMPv6 and TCP at XDP; neighbour discovery keeps
# working; the other host and IPv4 are unaffected; unblock restores.
set -u
source "$(dirname "$0")/common.sh"
e2e_setup

lab_ping $LAB_V6_A $LAB_V6_GW || e2e_fail "ping6 from $LAB_V6_A before any block"
lab_tcp $LAB_V6_A $LAB_V6_GW 8080 || e2e_fail "tcp6 from $LAB_V6_A before any block"

drops0=$(counter xdp drop block-src)
fw_ok block $LAB_V6_A
lab_no_ping $LAB_V6_A $LAB_V6_GW || e2e_fail "ping6 from blocked $LAB_V6_A answered"
lab_tcp $LAB_V6_A $LAB_V6_GW 8080 && e2e_fail "tcp6 from blocked $LAB_V6_A got through"
expect_increase "$drops0" "$(counter xdp drop block-src)" "XDP block-src drops (IPv6 /128)"
lab_ping $LAB_V6_B $LAB_V6_GW || e2e_fail "ping6 from $LAB_V6_B dropped by a /128 entry"
lab_ping $LAB_V4_A $LAB_V4_GW || e2e_fail "IPv4 from the same host dropped by an IPv6 entry"
fw_ok unblock $LAB_V6_A
lab_ping $LAB_V6_A $LAB_V6_GW || e2e_fail "ping6 from $LAB_V6_A after unblock"
e2e_ok "IPv6 /128 block, unblock"

# Prefix (LPM trie): ::2/127 holds both client addresses, not the gateway's ::1.
fw_ok block fd00:6d6f:6174::2/127
lab_no_ping $LAB_V6_A $LAB_V6_GW 2 || e2e_fail "prefix ::2/127 does not drop $LAB_V6_A"
lab_no_ping $LAB_V6_B $LAB_V6_GW 2 || e2e_fail "prefix ::2/127 does not drop $LAB_V6_B"
lab_ping $LAB_V4_B $LAB_V4_GW 2 || e2e_fail "IPv4 dropped by an IPv6 prefix"
fw_ok unblock fd00:6d6f:6174::2/127
lab_ping $LAB_V6_B $LAB_V6_GW || e2e_fail "ping6 from $LAB_V6_B after prefix unblock"
e2e_ok "IPv6 prefix block, unblock"

# Non-canonical IPv6 prefix: refused, canonical form suggested, nothing added.
out=$(fw block fd00:6d6f:6174::2/64 2>&1) && e2e_fail "non-canonical IPv6 prefix accepted"
echo "$out" | grep -q "fd00:6d6f:6174::/64" || e2e_fail "no canonical suggestion in: $out"
e2e_ok "non-canonical IPv6 prefix refused: $out"
