#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# moatd never bans a protected source: an allowlisted client (kernel allowlist) and a client in
# a configured never-ban network attack, alerts are logged, each refusal is logged and written
# as an EVE ban event with action "refused", and both clients keep being served. A third,
# unprotected address of the same host is banned (the check is per source, not global). With
# keep-enforcement = no, SIGTERM removes moat's programs (and the ban stops applying).
set -u
source "$(dirname "$0")/live_common.sh"
live_setup
live_attack_rule
# 198.18.0.3 is never-ban by config; 198.18.0.2 gets a kernel allowlist entry
live_config "keep-enforcement = no
[autoban]
never-ban = 198.18.0.3/32"
fw_ok allow $LAB_V4_A
live_start

http_code $LAB_V4_A /attack >/dev/null
wait_until 5 eve_has 'e["event_type"] == "ban" and e["ban"]["action"] == "refused" and e["src_ip"] == "198.18.0.2" and e["ban"]["reason"] == "allowlist"' ||
	e2e_fail "no refused ban event for the allowlisted client"
eve_has 'e["event_type"] == "alert" and e["src_ip"] == "198.18.0.2"' ||
	e2e_fail "the allowlisted client's attack was not logged as an alert"
is_banned $LAB_V4_A && e2e_fail "allowlisted client banned"
[ "$(http_code $LAB_V4_A /index.html)" = 200 ] || e2e_fail "allowlisted client not served"
grep -q "ban refused: 198.18.0.2/32 is protected (allowlist)" "$LIVE_DIR/moatd.log" ||
	e2e_fail "refusal not logged"
e2e_ok "allowlisted client alerted, never banned, refusal logged (log + EVE)"

http_code $LAB_V4_B /attack >/dev/null
wait_until 5 eve_has 'e["event_type"] == "ban" and e["ban"]["action"] == "refused" and e["src_ip"] == "198.18.0.3" and e["ban"]["reason"] == "never-ban"' ||
	e2e_fail "no refused ban event for the never-ban client"
is_banned $LAB_V4_B && e2e_fail "never-ban client banned"
[ "$(http_code $LAB_V4_B /index.html)" = 200 ] || e2e_fail "never-ban client not served"
e2e_ok "never-ban network client never banned"

# an unprotected address of the client host is banned
lab_cli ip addr add 198.18.0.4/24 dev cli0
http_code 198.18.0.4 /attack >/dev/null
wait_until 5 is_banned 198.18.0.4 || e2e_fail "unprotected address not banned"
[ "$(http_code $LAB_V4_A /index.html)" = 200 ] || e2e_fail "allowlisted client hit by the ban"
e2e_ok "unprotected address banned while the protected ones stay served"

live_stop TERM || e2e_fail "moatd exited with an error"
fw stats --json | python3 -c '
import json, sys
a = json.load(sys.stdin)["attachments"]
assert not a, a
' || e2e_fail "keep-enforcement = no: programs still attached after SIGTERM"
[ "$(http_code 198.18.0.4 /index.html)" = 200 ] || e2e_fail "detached, yet still blocked"
e2e_ok "keep-enforcement = no: SIGTERM detached moat"
