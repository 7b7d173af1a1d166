#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Default-deny mode: only allowlisted sources and allowed services pass ingress; ARP and IPv6
# neighbour discovery keep working; switching back to allow restores everything.
set -u
source "$(dirname "$0")/common.sh"
e2e_setup

[ "$(fw mode)" = "mode: allow" ] || e2e_fail "fresh datapath not in allow mode: $(fw mode)"
fw_ok mode deny
[ "$(fw mode --json)" = '{"mode":"deny"}' ] || e2e_fail "mode --json: $(fw mode --json)"
deny0=$(counter xdp drop default-deny)
lab_no_ping $LAB_V4_A $LAB_V4_GW || e2e_fail "default-deny: ping from $LAB_V4_A answered"
lab_tcp $LAB_V4_A $LAB_V4_GW 8080 && e2e_fail "default-deny: tcp from $LAB_V4_A got through"
expect_increase "$deny0" "$(counter xdp drop default-deny)" "XDP default-deny drops"
e2e_ok "default-deny drops unlisted traffic"

fw_ok allow $LAB_V4_A
fw_ok allow $LAB_V6_A
# Flush neighbour caches so ARP and ND must really go through the deny-mode gateway.
lab_cli ip neigh flush dev cli0
lab_gw ip neigh flush dev gw0
lab_ping $LAB_V4_A $LAB_V4_GW || e2e_fail "default-deny: allowlisted $LAB_V4_A dropped (ARP?)"
lab_ping $LAB_V6_A $LAB_V6_GW || e2e_fail "default-deny: allowlisted $LAB_V6_A dropped (ND?)"
lab_no_ping $LAB_V4_B $LAB_V4_GW 2 || e2e_fail "default-deny: $LAB_V4_B answered"
lab_no_ping $LAB_V6_B $LAB_V6_GW 2 || e2e_fail "default-deny: $LAB_V6_B answered"
e2e_ok "allowlisted sources pass in default-deny, with ARP and ND working"

# A service opened for everyone: tcp/8080 from $LAB_V4_B passes, its ping still does not.
fw_ok allow --proto tcp --port 8080
lab_tcp $LAB_V4_B $LAB_V4_GW 8080 || e2e_fail "default-deny: allowed tcp/8080 from $LAB_V4_B"
lab_tcp $LAB_V4_B $LAB_V4_GW 8081 && e2e_fail "default-deny: tcp/8081 from $LAB_V4_B passed"
[ "$(counter xdp pass port-allow)" -gt 0 ] || e2e_fail "no XDP port-allow passes counted"
e2e_ok "port allow tcp/8080 opens only that service"

fw_ok mode allow
lab_ping $LAB_V4_B $LAB_V4_GW || e2e_fail "mode allow: $LAB_V4_B still dropped"
e2e_ok "mode allow restores default-allow"
