#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# fwctl's daemon-backed ban commands against a live moatd: `fwctl list bans` lists both banned
# clients with prefix, rule ids, score, offences, trigger, time left and the kernel entry's hits
# (validated in --json and in the human table); --sort hits puts the client whose dropped
# packets hit its entry most first, --sort expiry the one banned first; --reason SID filters;
# bad values exit 2 and the daemon down exits 3.
set -u
source "$(dirname "$0")/live_common.sh"
live_setup
live_attack_rule
live_config "[autoban]
ban-time = 10m
ban-max = 10m"
live_start

banned_list() { # banned_list N: fwctl list bans --json has N bans
	[ "$(fw list bans --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')" = "$1" ]
}
fw list bans --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d == {"count": 0, "unlisted": 0, "bans": []}, d' || e2e_fail "list bans before any ban"

# ban A, then B; A's later packets hit its entry (dropped at XDP), B's only once
http_code $LAB_V4_A /attack >/dev/null
wait_until 15 is_banned $LAB_V4_A || e2e_fail "client A not banned"
sleep 1.1 # B's ban expires at least a second later than A's
http_code $LAB_V4_B /attack >/dev/null
wait_until 15 is_banned $LAB_V4_B || e2e_fail "client B not banned"
for i in 1 2 3; do HTTP_TIMEOUT=1 http_code $LAB_V4_A /index.html >/dev/null; done
wait_until 5 banned_list 2 || e2e_fail "list bans does not show 2 bans: $(fw list bans --json)"

out=$(fw list bans --json --sort hits) || e2e_fail "list bans --sort hits failed"
echo "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["count"] == 2 and d["unlisted"] == 0, d
a, b = d["bans"]
assert [a["prefix"], b["prefix"]] == ["198.18.0.2/32", "198.18.0.3/32"], d
for x in (a, b):
    assert x["rule_ids"] == [9000001] and x["score"] >= 10 and x["offences"] == 1, x
    assert x["trigger"] == "score" and x["in_kernel"] is True, x
    assert 500 <= x["expires_in_s"] <= 600 and x["banned_at_us"] > 1.7e15, x
assert a["hits"] > b["hits"] >= 0, d
' || e2e_fail "list bans --sort hits --json: $out"
fw list bans --json --sort expiry | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert [x["prefix"] for x in d["bans"]] == ["198.18.0.2/32", "198.18.0.3/32"], d
assert d["bans"][0]["expires_in_s"] <= d["bans"][1]["expires_in_s"], d
' || e2e_fail "list bans --sort expiry"
e2e_ok "list bans --json: prefixes, rule ids, score, offences, time left, kernel hits; sorted by hits and expiry"

out=$(fw list bans --sort hits) || e2e_fail "human list bans failed"
echo "$out" | head -1 | grep -Eq "^PREFIX +SCORE +OFFENCES +TRIGGER +RULES +EXPIRES +HITS$" ||
	e2e_fail "human list bans: bad header: $out"
echo "$out" | sed -n 2p | grep -Eq "^198\.18\.0\.2/32 +[0-9.]+ +1 +score +9000001 +(9m|10m)[0-9s]* +[1-9][0-9]*$" ||
	e2e_fail "human list bans: bad first row: $out"
echo "$out" | tail -1 | grep -qx "2 bans" || e2e_fail "human list bans: no count line: $out"
e2e_ok "list bans: aligned human table with time left"

[ "$(fw list bans --reason 9000001 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')" = 2 ] ||
	e2e_fail "--reason 9000001 must list both bans"
[ "$(fw list bans --reason 42 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')" = 0 ] ||
	e2e_fail "--reason 42 must list no ban"
[ "$(fw list bans --reason auto --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')" = 2 ] ||
	e2e_fail "--reason auto must list both bans"
e2e_ok "list bans --reason auto|SID filters"

for args in "bans --sort bogus" "bans --reason manual" "bans --reason 0" "bans --reason x1" \
	"bogus" "bans extra" "--sort hits"; do
	# shellcheck disable=SC2086
	out=$(fw list $args 2>&1)
	rc=$?
	[ "$rc" = 2 ] || e2e_fail "fwctl list $args exited $rc, want 2: $out"
	echo "$out" | grep -q "list" || e2e_fail "fwctl list $args: error does not name the command: $out"
done
e2e_ok "list bans: bad sort, reason, list name or stray option exit 2"

live_stop TERM || e2e_fail "moatd exited with an error on SIGTERM"
out=$(fw list bans 2>&1)
rc=$?
[ "$rc" = 3 ] || e2e_fail "list bans with the daemon down exited $rc, want 3: $out"
echo "$out" | grep -q "daemon" || e2e_fail "list bans with the daemon down: unexplained: $out"
e2e_ok "list bans with the daemon down exits 3"
