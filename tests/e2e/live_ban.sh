#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# moatd live mode closes the loop: benign HTTP through the gateway passes and is logged; an
# attack request fires its rule, the client is banned (kernel entry, reason auto, rule id) and
# its next packets die at XDP (the xdp/drop/block-src counter proves where); the ban expires
# and traffic passes again; EVE has the alert, ban and unban events; SIGHUP reopens eve.json.
set -u
source "$(dirname "$0")/live_common.sh"
live_setup
live_attack_rule
live_config "[autoban]
ban-time = 15s
ban-max = 15s"
live_start

# after setup only CAP_NET_ADMIN (12), CAP_PERFMON (38) and CAP_BPF (39) are left
for set in CapEff CapPrm CapBnd; do
	v=$(sed -n "s/^$set:\t//p" /proc/$LIVE_MOATD_PID/status)
	[ "$v" = 000000c000001000 ] || e2e_fail "$set of moatd is $v, want 000000c000001000"
done
e2e_ok "capabilities dropped to CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON"

# benign traffic passes and is logged
[ "$(http_code $LAB_V4_A /index.html)" = 200 ] || e2e_fail "benign request did not pass"
wait_until 5 eve_has 'e["event_type"] == "http" and e["http"].get("url") == "/index.html" and e["http"].get("status") == 200' ||
	e2e_fail "benign request not logged as an http event"
is_banned $LAB_V4_A && e2e_fail "benign client banned"
e2e_ok "benign request passed (200) and was logged"

# attack: alert, ban, drop at XDP
drops0=$(counter xdp drop block-src)
code=$(http_code $LAB_V4_A /attack)
wait_until 5 is_banned $LAB_V4_A || e2e_fail "attacker not banned (request got $code)"
eve_has 'e["event_type"] == "alert" and e["alert"]["signature_id"] == 9000001 and e["src_ip"] == "198.18.0.2"' ||
	e2e_fail "no alert event for sid 9000001"
eve_has 'e["event_type"] == "ban" and e["ban"]["action"] == "ban" and e["ban"]["prefix"] == "198.18.0.2/32" and 9000001 in e["ban"]["rule_ids"] and e["ban"]["score"] >= 10 and "expires" in e["ban"]' ||
	e2e_fail "no EVE ban event with prefix, rule ids, score, expiry"
fw list --json | python3 -c '
import json, sys
e = [x for x in json.load(sys.stdin)["entries"] if x["cidr"] == "198.18.0.2/32"][0]
assert e["reason"] == "auto" and e["rule_id"] == 9000001, e
' || e2e_fail "kernel entry lacks reason auto / rule id 9000001"
e2e_ok "attack request alerted and banned the client (kernel entry: auto, sid 9000001)"

[ "$(http_code $LAB_V4_A /index.html)" = 000 ] || e2e_fail "banned client still served"
expect_increase "$drops0" "$(counter xdp drop block-src)" "xdp/drop/block-src"
[ "$(http_code $LAB_V4_B /index.html)" = 200 ] || e2e_fail "the other client address was hit"
e2e_ok "banned client's packets dropped at XDP; the other address still served"

# expiry: the kernel stops matching at once, the sweep removes the entry and logs the unban
wait_until 25 eve_has 'e["event_type"] == "unban" and e["ban"]["prefix"] == "198.18.0.2/32" and e["ban"]["reason"] == "expired"' ||
	e2e_fail "no unban event after the ban time"
is_banned $LAB_V4_A && e2e_fail "expired ban still in the map after the sweep"
[ "$(http_code $LAB_V4_A /index.html)" = 200 ] || e2e_fail "traffic does not pass after expiry"
e2e_ok "ban expired, unban logged, traffic passes again"

# SIGHUP reopens eve.json (logrotate) and reloads the rules: a rule added meanwhile fires
echo 'alert http any any -> any any (msg:"MOAT-TEST new rule"; flow:to_server; http.uri; content:"/newattack"; priority:1; sid:9000002; rev:1;)' \
	>"$LIVE_DIR/rules/new.rules"
mv "$LIVE_DIR/log/eve.json" "$LIVE_DIR/log/eve.json.1"
kill -HUP "$LIVE_MOATD_PID"
wait_until 5 test -f "$LIVE_DIR/log/eve.json" || e2e_fail "eve.json not recreated on SIGHUP"
wait_until 10 grep -q "rules: 2 loaded" "$LIVE_DIR/moatd.log" || e2e_fail "rules not reloaded"
[ "$(http_code $LAB_V4_B /index.html)" = 200 ] || e2e_fail "request after SIGHUP failed"
wait_until 5 eve_has 'e["event_type"] == "http"' || e2e_fail "no event in the reopened eve.json"
e2e_ok "SIGHUP reopened eve.json"
http_code $LAB_V4_B /newattack >/dev/null
wait_until 5 is_banned $LAB_V4_B || e2e_fail "the reloaded rule did not ban"
eve_has 'e["event_type"] == "alert" and e["alert"]["signature_id"] == 9000002' ||
	e2e_fail "no alert of the reloaded rule"
e2e_ok "SIGHUP reloaded the rules: the new rule alerted and banned"

live_stop TERM || e2e_fail "moatd exited with an error on SIGTERM"
grep -q "kernel copies: [1-9]" "$LIVE_DIR/moatd.log" || e2e_fail "no copy counters logged"
e2e_ok "moatd stopped cleanly"
