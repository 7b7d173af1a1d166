#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The perf event array transport (older kernels) runs the same loop: benign traffic is logged,
# an attack is banned and its next packets are dropped at XDP.
set -u
source "$(dirname "$0")/live_common.sh"
live_setup
live_attack_rule
live_config "transport = perfbuf"
live_start
grep -q "workers on perfbuf buffers" "$LIVE_DIR/moatd.log" || e2e_fail "perfbuf not in use"

[ "$(http_code $LAB_V4_B /index.html)" = 200 ] || e2e_fail "benign request did not pass"
wait_until 15 eve_has 'e["event_type"] == "http" and e["http"].get("url") == "/index.html"' ||
	e2e_fail "benign request not logged"
drops0=$(counter xdp drop block-src)
http_code $LAB_V4_A /attack >/dev/null
wait_until 15 is_banned $LAB_V4_A || e2e_fail "attacker not banned over perfbuf"
[ "$(http_code $LAB_V4_A /index.html)" = 000 ] || e2e_fail "banned client still served"
expect_increase "$drops0" "$(counter xdp drop block-src)" "xdp/drop/block-src"
e2e_ok "perfbuf transport: logged, banned, dropped at XDP"
live_stop TERM || e2e_fail "moatd exited with an error"
