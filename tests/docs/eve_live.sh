#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# docs/eve.md against a live moatd's eve.json: benign HTTP, an attack that bans its client, a
# never-ban client's refused ban, the ban's expiry (unban) and the stop (flow events); then
# every field of every event written must be documented with its type (eve_fields.py --eve).
# Root, namespaces and veths of the e2e lab (tests/e2e/live_common.sh); exits 77 without root.
set -u
here=$(dirname "$0")
# shellcheck source=../e2e/live_common.sh
source "$here/../e2e/live_common.sh"
live_setup
live_attack_rule
live_config "[autoban]
ban-time = 3s
ban-max = 3s
never-ban = $LAB_V4_B/32"
live_start

[ "$(http_code $LAB_V4_A /index.html)" = 200 ] || e2e_fail "benign request did not pass"
http_code $LAB_V4_A /attack >/dev/null
wait_until 15 eve_has 'e["event_type"] == "ban" and e["ban"]["action"] == "ban"' ||
	e2e_fail "the attack did not ban its client"
http_code $LAB_V4_B /attack >/dev/null
wait_until 15 eve_has 'e["event_type"] == "ban" and e["ban"]["action"] == "refused"' ||
	e2e_fail "no refused ban for the never-ban client"
wait_until 20 eve_has 'e["event_type"] == "unban"' || e2e_fail "the ban did not expire"
live_stop TERM || e2e_fail "moatd exited with an error on SIGTERM"

python3 "$here/eve_fields.py" --eve "$LIVE_DIR/log/eve.json" "$SOURCE_ROOT" \
	alert http ban unban || e2e_fail "eve.json of the live run and docs/eve.md disagree"
eve_has '"in_iface" in e' || e2e_fail "no in_iface in live events"
e2e_ok "every field of the live eve.json is documented"
