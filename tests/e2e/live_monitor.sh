#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# fwctl's monitoring and rule commands against a live daemon: `rules list` shows both engines'
# rules (kind, file:line, enabled, alerts); `rules disable` stops a rule's alerts and bans at
# once, and it stays disabled across a reload and a restart; `rules enable` brings it back,
# seen by `alerts --follow` as it happens; SecRule alerts carry their msg in `alerts` and `top
# rules`; `stats --watch` prints per-second rates; `stats --prometheus` is a valid exposition
# with the daemon up and down; bad input exits 2, an unknown rule 1, no daemon 3.
set -u
source "$(dirname "$0")/live_common.sh"
live_setup
live_attack_rule # sid 9000001, priority 1: one alert bans (threshold 10)
cat >"$LIVE_DIR/rules/20-sec.conf" <<'EOF'
SecRuleEngine On
SecRule REQUEST_URI "@contains /secattack" "id:9200001,phase:1,deny,status:403,log,msg:'MOAT-TEST secrule attack'"
EOF
live_config "[autoban]
ban-time = 60s"
live_start

json_check() { # json_check PYTHON-ASSERTIONS: over `d`, the JSON on stdin
	python3 -c "
import json, sys
d = json.load(sys.stdin)
$1"
}

# ---- rules list: both engines ----
out=$(fw rules list --json) || e2e_fail "rules list failed: $out"
echo "$out" | json_check '
r = {x["sid"]: x for x in d["rules"]}
assert set(r) == {9000001, 9200001} and d["total"] == 2 and d["disabled"] == 0, d
s, m = r[9000001], r[9200001]
assert s["kind"] == "suricata" and s["gid"] == 1 and s["action"] == "alert", s
assert s["msg"] == "MOAT-TEST attack path" and s["file"].endswith("/rules/test.rules"), s
assert s["line"] == 1 and s["enabled"] is True and s["alerts"] == 0, s
assert m["kind"] == "secrule" and m["action"] == "deny" and "gid" not in m, m
assert m["msg"] == "MOAT-TEST secrule attack" and m["file"].endswith("/rules/20-sec.conf"), m
assert m["line"] == 2 and m["enabled"] is True, m
assert s["priority"] == 1 and s["rev"] == 1, s' || e2e_fail "rules list --json: $out"
out=$(fw rules list)
echo "$out" | head -1 | grep -Eq "^KIND +SID +ACTION +STATE +ALERTS +WHERE +MSG$" ||
	e2e_fail "human rules list header: $out"
echo "$out" | grep -Eq "^secrule +9200001 +deny +enabled +0 +/.*/20-sec.conf:2 +MOAT-TEST secrule attack$" ||
	e2e_fail "human rules list lacks the SecRule row: $out"
e2e_ok "rules list: Suricata and SecRule rules with kind, action, file:line, state, alerts, msg"

# ---- disable: no alert, no ban; kept across reload and restart ----
out=$(fw rules disable 9000001) || e2e_fail "rules disable 9000001 failed: $out"
echo "$out" | grep -q "rule 9000001 disabled (generation 2 in use)" || e2e_fail "rules disable output: $out"
fw rules list --sid 9000001 --json | json_check '
[x] = d["rules"]
assert x["enabled"] is False and x["msg"] == "MOAT-TEST attack path" and d["disabled"] == 1, d' ||
	e2e_fail "rules list --sid 9000001 after disable: $(fw rules list --sid 9000001 --json)"
fw rules status --json | json_check '
[x] = d["disabled"]
assert x["sid"] == 9000001 and x["kind"] == "suricata" and x["line"] == 1, d["disabled"]
assert d["installed"]["disabled"] == 1 and d["installed"]["loaded"] == 1, d["installed"]' ||
	e2e_fail "rules status after disable: $(fw rules status --json)"
fw rules status | grep -Eq "^  9000001 +suricata +/.*/rules/test.rules:1  MOAT-TEST attack path$" ||
	e2e_fail "human rules status lacks the disabled rule: $(fw rules status)"
[ -s "$LIVE_DIR/disabled-rules.json" ] || e2e_fail "no disabled-rules.json in the state directory"
out=$(fw rules disable 9000001) || e2e_fail "disabling twice must succeed"
echo "$out" | grep -qx "rule 9000001 is disabled already" || e2e_fail "second disable: $out"

attack_unseen() { # attack_unseen N: /attack?n=N passes, is logged as http, raises no alert
	[ "$(http_code $LAB_V4_A "/attack?n=$1")" = 404 ] || e2e_fail "attack $1 did not pass (want 404)"
	wait_until 15 eve_has "e['event_type'] == 'http' and e['http'].get('url') == '/attack?n=$1'" ||
		e2e_fail "attack $1 was not inspected (no http event)"
	sleep 0.3
	eve_has 'e["event_type"] == "alert" and e["alert"]["signature_id"] == 9000001' &&
		e2e_fail "the disabled rule alerted (attack $1)"
	is_banned $LAB_V4_A && e2e_fail "client banned by a disabled rule (attack $1)"
	[ "$(fw alerts --json --sid 9000001 | json_check 'print(d["count"])')" = 0 ] ||
		e2e_fail "the daemon's ring has an alert of the disabled rule"
}
attack_unseen 1
e2e_ok "rules disable: applied at once (generation 2), persisted; its attack passes unalerted, unbanned"

out=$(fw rules reload) || e2e_fail "rules reload failed: $out"
attack_unseen 2
live_stop || e2e_fail "moatd did not stop cleanly"
live_start
grep -q "rules: 1 disabled by the operator" "$LIVE_DIR/moatd.log" ||
	e2e_fail "the restarted daemon did not restore the disabled rule"
attack_unseen 3
fw rules list --json | json_check '
r = {x["sid"]: x for x in d["rules"]}
assert r[9000001]["enabled"] is False and r[9200001]["enabled"] is True, r' ||
	e2e_fail "rules list after the restart"
e2e_ok "the rule stays disabled across a reload and a restart"

# ---- enable, followed by alerts --follow ----
follow_out=$LIVE_DIR/follow.out
lab_gw timeout 30 "$FWCTL" --pin-root "$LAB_PIN_ROOT" alerts --follow --count 1 --sid 9000001 \
	--json >"$follow_out" 2>"$LIVE_DIR/follow.err" &
follow_pid=$!
sleep 0.5
out=$(fw rules enable 9000001) || e2e_fail "rules enable failed: $out"
echo "$out" | grep -Eq "^rule 9000001 enabled \(generation [0-9]+ in use\)$" || e2e_fail "rules enable: $out"
http_code $LAB_V4_A "/attack?n=4" >/dev/null
wait "$follow_pid"
rc=$?
[ "$rc" = 0 ] || e2e_fail "alerts --follow --count 1 exited $rc: $(cat "$LIVE_DIR/follow.err")"
[ "$(wc -l <"$follow_out")" = 1 ] || e2e_fail "alerts --follow printed $(wc -l <"$follow_out") lines"
json_check '
assert d["sid"] == 9000001 and d["src_ip"] == "198.18.0.2" and d["kind"] == "suricata", d
assert d["msg"] == "MOAT-TEST attack path" and d["seq"] >= 1, d' <"$follow_out" ||
	e2e_fail "alerts --follow line: $(cat "$follow_out")"
wait_until 15 is_banned $LAB_V4_A || e2e_fail "the enabled rule did not ban"
[ ! -s "$LIVE_DIR/disabled-rules.json" ] || python3 -c '
import json, sys
sys.exit(1 if json.load(open(sys.argv[1]))["disabled"] else 0)' "$LIVE_DIR/disabled-rules.json" ||
	e2e_fail "the state file still lists the enabled rule"
e2e_ok "rules enable: the rule alerts and bans again; alerts --follow streamed it (JSON line)"

# ---- a second follower: backlog, filters, human lines ----
out=$(fw alerts --follow --count 1 --since 10m --sid 9000001) || e2e_fail "follow with backlog failed"
echo "$out" | grep -Eq "^20[0-9-]+ [0-9:]+ +198\.18\.0\.2 +9000001 +1 +alert +MOAT-TEST attack path$" ||
	e2e_fail "alerts --follow --since backlog line: $out"
e2e_ok "alerts --follow --since prints the matching backlog first"

# ---- SecRule messages in alerts and top rules ----
# (moat sees copies: the request is not stopped, its client gets banned)
http_code $LAB_V4_B /secattack >/dev/null
has_sec() { fw alerts --json --sid 9200001 | json_check 'sys.exit(0 if d["count"] else 1)'; }
wait_until 15 has_sec || e2e_fail "no alert of the SecRule in the ring"
fw alerts --json --sid 9200001 | json_check '
a = d["alerts"][0]
assert a["msg"] == "MOAT-TEST secrule attack" and a["kind"] == "secrule", a
assert a["src_ip"] == "198.18.0.3", a' || e2e_fail "SecRule alert: $(fw alerts --json --sid 9200001)"
fw top rules --json | json_check '
r = {x["sid"]: x for x in d["top"]}
assert r[9200001]["msg"] == "MOAT-TEST secrule attack" and r[9200001]["kind"] == "secrule", r
assert r[9000001]["msg"] == "MOAT-TEST attack path", r' || e2e_fail "top rules: $(fw top rules --json)"
fw rules list --sid 9200001 --json | json_check 'assert d["rules"][0]["alerts"] >= 1, d' ||
	e2e_fail "rules list does not count the SecRule's alert"
e2e_ok "SecRule alerts carry their msg in alerts, top rules; rules list counts them"

# ---- unknown and bad SIDs ----
for sub in disable enable; do
	out=$(fw rules $sub 12345 2>&1)
	rc=$?
	[ "$rc" = 1 ] || e2e_fail "rules $sub 12345 exited $rc, want 1: $out"
	echo "$out" | grep -q "no rule 12345" || e2e_fail "rules $sub 12345: $out"
done
out=$(fw rules list --sid 12345 2>&1)
[ $? = 1 ] || e2e_fail "rules list --sid 12345 must exit 1: $out"
for args in "disable" "disable abc" "disable 0" "disable 4294967296" "disable -5" "disable 1 2" \
	"enable $(printf 'sid\xff')" "enable 99999999999999999999" "list --sid x" "status --no-wait"; do
	# shellcheck disable=SC2086
	out=$(fw rules $args 2>&1)
	rc=$?
	[ "$rc" = 2 ] || e2e_fail "rules $args exited $rc, want 2: $out"
done
for args in "--count 1" "--follow --count 0" "--follow --count x" "--follow --count 99999999999"; do
	# shellcheck disable=SC2086
	out=$(fw alerts $args 2>&1)
	rc=$?
	[ "$rc" = 2 ] || e2e_fail "alerts $args exited $rc, want 2: $out"
done
e2e_ok "unknown SID exits 1 naming it; malformed, huge or non-UTF-8 arguments exit 2"

# ---- stats --watch ----
out=$(fw stats --watch 1 --count 2) || e2e_fail "stats --watch failed"
[ "$(echo "$out" | grep -c "^moat stats at ")" = 2 ] || e2e_fail "stats --watch --count 2: $out"
echo "$out" | grep -Eq "^HOOK +VERDICT +REASON +PKT/S +BYTE/S +PACKETS$" || e2e_fail "stats --watch table: $out"
echo "$out" | grep -q "^copies/s: " || e2e_fail "stats --watch copies line: $out"
# client A is banned: its packets are dropped at XDP (block-src)
lab_cli ping -c 40 -i 0.1 -W 1 -I $LAB_V4_A $LIVE_SRV >"$LIVE_DIR/ping.out" 2>&1 &
traffic=$!
sleep 0.5
out=$(fw stats --watch=1 --count 3 --json) || e2e_fail "stats --watch --json failed"
wait $traffic
echo "$out" | python3 -c '
import json, sys
lines = sys.stdin.read().splitlines()
assert len(lines) == 3, lines
for l in lines:
    d = json.loads(l)
    assert 0.9 < d["interval_s"] < 2, d
    assert all(c["packets_per_s"] >= 0 for c in d["counters"]), d
    assert "copied_per_s" in d["copy"] and "lost_per_s" in d["copy"], d
moving = [c for l in lines for c in json.loads(l)["counters"] if c["packets_per_s"] > 0]
assert moving, lines
drops = [json.loads(l)["drops_per_s"] for l in lines]
assert any(x.get("block-src", 0) > 0 for x in drops), drops' ||
	e2e_fail "stats --watch --json: $out; ping: $(cat "$LIVE_DIR/ping.out")"
for args in "--watch 0" "--watch -1" "--watch 3601" "--watch x" "--count 2" "--watch 1 --count 0" \
	"--prometheus --watch" "--prometheus --json" "extra"; do
	# shellcheck disable=SC2086
	out=$(fw stats $args 2>&1)
	rc=$?
	[ "$rc" = 2 ] || e2e_fail "stats $args exited $rc, want 2: $out"
done
e2e_ok "stats --watch: frames with per-second rates (drops by reason, copies, losses); bad values exit 2"

# ---- stats --prometheus, daemon up then down ----
out=$(fw stats --prometheus) || e2e_fail "stats --prometheus failed"
echo "$out" | python3 "$E2E_DIR/promcheck.py" || e2e_fail "stats --prometheus: invalid exposition"
[ "$(echo "$out" | python3 "$E2E_DIR/promcheck.py" --sum moat_daemon_up)" = 1 ] ||
	e2e_fail "moat_daemon_up is not 1 with the daemon up"
echo "$out" | python3 "$E2E_DIR/promcheck.py" --sum moat_rules_loaded >/dev/null ||
	e2e_fail "the daemon's own metrics are missing"
up_pkts=$(echo "$out" | python3 "$E2E_DIR/promcheck.py" --sum moat_packets_total)
live_stop || e2e_fail "moatd did not stop cleanly"
out=$(fw stats --prometheus 2>"$LIVE_DIR/prom.err")
rc=$?
[ "$rc" = 0 ] || e2e_fail "stats --prometheus with the daemon down exited $rc"
grep -q "cannot reach moatd" "$LIVE_DIR/prom.err" || e2e_fail "no warning with the daemon down"
echo "$out" | python3 "$E2E_DIR/promcheck.py" || e2e_fail "stats --prometheus (daemon down): invalid"
[ "$(echo "$out" | python3 "$E2E_DIR/promcheck.py" --sum moat_daemon_up)" = 0 ] ||
	e2e_fail "moat_daemon_up is not 0 with the daemon down"
down_pkts=$(echo "$out" | python3 "$E2E_DIR/promcheck.py" --sum moat_packets_total)
python3 -c "import sys; sys.exit(0 if float(sys.argv[2]) >= float(sys.argv[1]) > 0 else 1)" \
	"$up_pkts" "$down_pkts" || e2e_fail "pinned packet counters $down_pkts < $up_pkts"
echo "$out" | python3 "$E2E_DIR/promcheck.py" --sum moat_copies_total >/dev/null ||
	e2e_fail "no moat_copies_total from the pinned maps"
e2e_ok "stats --prometheus: valid with the daemon up (its metrics) and down (pinned maps, same names)"
out=$(fw rules disable 9000001 2>&1)
[ $? = 3 ] || e2e_fail "rules disable with the daemon down must exit 3: $out"
out=$(fw alerts --follow --count 1 2>&1)
[ $? = 3 ] || e2e_fail "alerts --follow with the daemon down must exit 3: $out"
e2e_ok "daemon down: rules disable and alerts --follow exit 3"
