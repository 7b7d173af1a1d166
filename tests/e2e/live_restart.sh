#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Enforcement outlives moatd: kill -9 mid-ban keeps the ban enforced at XDP; a restarted daemon
# adopts the pinned maps and the ban's history; SIGTERM leaves programs and entries pinned
# (keep-enforcement, the default); after a simulated reboot (programs detached, pins removed)
# the daemon restores the ban and a manual entry from its state file and later unbans on
# expiry.
set -u
source "$(dirname "$0")/live_common.sh"
live_setup
live_attack_rule
live_config "[autoban]
ban-time = 50s
ban-max = 50s"
live_start

fw_ok block 198.18.0.99 --ttl 1h
http_code $LAB_V4_A /attack >/dev/null
wait_until 5 is_banned $LAB_V4_A || e2e_fail "attacker not banned"
e2e_ok "attacker banned"

# kill -9: no cleanup ran, the kernel keeps dropping
live_stop KILL
drops0=$(counter xdp drop block-src)
[ "$(http_code $LAB_V4_A /index.html)" = 000 ] || e2e_fail "ban not enforced after kill -9"
expect_increase "$drops0" "$(counter xdp drop block-src)" "xdp/drop/block-src after kill -9"
fw stats --json | python3 -c '
import json, sys
names = {a["ifname"] for a in json.load(sys.stdin)["attachments"]}
assert {"gw0", "gw1"} <= names, names
' || e2e_fail "attachments gone after kill -9"
e2e_ok "kill -9 mid-ban: attachments and ban stay, packets dropped at XDP"

# restart: adopt the pins, take over the ban
live_start
grep -q "datapath: adopted the pinned maps" "$LIVE_DIR/moatd.log" ||
	e2e_fail "restarted daemon did not adopt the pinned maps"
grep -q "state: .*1 bans (pinned maps adopted" "$LIVE_DIR/moatd.log" ||
	e2e_fail "restarted daemon did not take over the ban's history"
is_banned $LAB_V4_A || e2e_fail "ban lost across the restart"
[ "$(http_code $LAB_V4_A /index.html)" = 000 ] || e2e_fail "ban not enforced after restart"
e2e_ok "restarted daemon adopted the pinned maps and the ban"

# SIGTERM: clean stop, enforcement stays
live_stop TERM || e2e_fail "moatd exited with an error on SIGTERM"
[ "$(http_code $LAB_V4_A /index.html)" = 000 ] || e2e_fail "ban not enforced after SIGTERM"
fw stats --json | python3 -c '
import json, sys
names = {a["ifname"] for a in json.load(sys.stdin)["attachments"]}
assert {"gw0", "gw1"} <= names, names
' || e2e_fail "SIGTERM detached the programs (keep-enforcement is the default)"
python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
cidrs = {e["cidr"] for e in s["entries"]}
assert {"198.18.0.2/32", "198.18.0.99/32"} <= cidrs, cidrs
assert any(b["prefix"] == "198.18.0.2/32" for b in s["bans"]), s["bans"]
' "$LIVE_DIR/state.json" || e2e_fail "state file lacks the ban or the manual entry"
e2e_ok "SIGTERM left the programs and the ban in place; state saved"

# reboot: nothing pinned any more; the state file brings the entries back
fw_ok detach gw0
fw_ok detach gw1
rm -rf -- "$LAB_PIN_ROOT"
[ "$(http_code $LAB_V4_A /index.html)" = 200 ] || e2e_fail "lab still blocking without moat"
live_start
grep -q "datapath: created pinned maps" "$LIVE_DIR/moatd.log" || e2e_fail "maps not recreated"
grep -q "state: .* 2 restored" "$LIVE_DIR/moatd.log" || e2e_fail "entries not restored"
is_banned $LAB_V4_A || e2e_fail "ban not restored from the state file"
fw list | grep -q "198.18.0.99/32" || e2e_fail "manual entry not restored"
[ "$(http_code $LAB_V4_A /index.html)" = 000 ] || e2e_fail "restored ban not enforced"
e2e_ok "after the simulated reboot the ban and the manual entry came back from the state file"

wait_until 60 eve_has 'e["event_type"] == "unban" and e["ban"]["prefix"] == "198.18.0.2/32"' ||
	e2e_fail "the restored ban was never unbanned"
[ "$(http_code $LAB_V4_A /index.html)" = 200 ] || e2e_fail "traffic does not pass after expiry"
e2e_ok "the restored ban expired and was unbanned by the new daemon"
live_stop TERM || e2e_fail "moatd exited with an error"
