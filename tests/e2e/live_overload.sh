#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A ring-buffer overload is counted, not fatal: with 4 KiB rings and no inspection depth limit,
# a 32 MiB download through the gateway overflows the rings; the losses are counted per worker
# (moatd's copy counters), the download itself is unharmed (copies never hold packets back),
# and moatd keeps running and still bans an attacker afterwards.
set -u
source "$(dirname "$0")/live_common.sh"
live_setup
live_attack_rule
head -c $((32 << 20)) /dev/zero >"$LIVE_DIR/www/big.bin"
live_config "ring-size = 4kb
depth = 1gb"
live_start

size=$(lab_cli curl -s -o /dev/null -m 30 --interface $LAB_V4_B -w '%{size_download}' \
	"http://$LIVE_SRV:$LIVE_PORT/big.bin")
[ "$size" = $((32 << 20)) ] || e2e_fail "download through the gateway broken ($size bytes)"
kill -0 "$LIVE_MOATD_PID" 2>/dev/null || e2e_fail "moatd died under overload"
e2e_ok "32 MiB downloaded through 4 KiB rings; moatd alive"

http_code $LAB_V4_A /attack >/dev/null
wait_until 5 is_banned $LAB_V4_A || e2e_fail "no ban after the overload"
e2e_ok "detection and bans still work after the overload"

live_stop TERM || e2e_fail "moatd exited with an error"
lost=$(sed -n 's/.*kernel copies: [0-9]* copied, \([0-9]*\) lost.*/\1/p' "$LIVE_DIR/moatd.log" | tail -1)
[ "${lost:-0}" -gt 0 ] || e2e_fail "no ring-buffer loss counted (lost=${lost:-none})"
e2e_ok "ring-buffer losses counted: $lost records"
