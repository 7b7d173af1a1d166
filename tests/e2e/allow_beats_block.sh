#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Allow beats block: an allowlisted source passes a blocklist prefix that covers it (counted as
# "allow"), its neighbour in the same prefix is dropped; disallow brings the block back.
set -u
source "$(dirname "$0")/common.sh"
e2e_setup

fw_ok block 198.18.0.2/31
fw_ok allow $LAB_V4_A --reason "management host"
allow0=$(counter xdp pass allow)
lab_ping $LAB_V4_A $LAB_V4_GW || e2e_fail "allowlisted $LAB_V4_A dropped by a covering block"
lab_tcp $LAB_V4_A $LAB_V4_GW 8080 || e2e_fail "allowlisted $LAB_V4_A: tcp dropped"
expect_increase "$allow0" "$(counter xdp pass allow)" "XDP pass/allow counter"
lab_no_ping $LAB_V4_B $LAB_V4_GW || e2e_fail "$LAB_V4_B (blocked, not allowed) answered"
e2e_ok "allowlisted $LAB_V4_A passes a /31 block, $LAB_V4_B is dropped"

# Exact block of the same address: allow still wins.
fw_ok block $LAB_V4_A
lab_ping $LAB_V4_A $LAB_V4_GW || e2e_fail "allowlisted $LAB_V4_A dropped by an exact block"
e2e_ok "allow beats an exact block of the same host"

# IPv6 too.
fw_ok block fd00:6d6f:6174::2/127
fw_ok allow $LAB_V6_B
lab_ping $LAB_V6_B $LAB_V6_GW || e2e_fail "allowlisted $LAB_V6_B dropped"
lab_no_ping $LAB_V6_A $LAB_V6_GW || e2e_fail "$LAB_V6_A (blocked, not allowed) answered"
e2e_ok "IPv6 allow beats block"

fw_ok disallow $LAB_V4_A
lab_no_ping $LAB_V4_A $LAB_V4_GW || e2e_fail "$LAB_V4_A still passes after disallow"
e2e_ok "disallow: the block applies again"
