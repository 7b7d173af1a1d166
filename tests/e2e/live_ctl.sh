#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# moatd's control plane end to end: `fwctl status --json` validated against a live daemon; a
# rule file dropped into the rules directory while traffic flows takes effect (its rule fires
# on the next request) and every request made during the reload is still logged; `fwctl rules
# reload` with a broken file reports file:line and loads the rest, and with a vanished rule
# path fails and keeps the old rules working; the metrics endpoint is a valid Prometheus
# exposition whose counters move; `fwctl config show`, `rules list`; status with the daemon
# down (exit 3, pinned maps shown); usage errors exit 2.
set -u
source "$(dirname "$0")/live_common.sh"
live_setup
mkdir -p "$LIVE_DIR/rules.d"
METRICS=127.0.0.1:9567
rule() { # rule SID URI-CONTENT
	echo "alert http any any -> any any (msg:\"MOAT-CTL $1\"; flow:to_server; http.uri; content:\"$2\"; priority:4; sid:$1; rev:1;)"
}
rule 9100001 /first >"$LIVE_DIR/rules.d/10-first.rules"
live_config "rules-dir = $LIVE_DIR/rules.d
[metrics]
listen = $METRICS
[autoban]
enabled = no"
live_start

# ---- status ----
out=$(fw status --json) || e2e_fail "fwctl status failed: $out"
echo "$out" | python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
assert d["daemon"]["running"] is True and d["daemon"]["version"] and d["daemon"]["pid"] > 0, d["daemon"]
assert d["daemon"]["workers"] == 2, d["daemon"]
ifs = {i["ifname"]: i for i in d["interfaces"]}
assert set(ifs) == {"gw0", "gw1"}, ifs
for i in ifs.values():
    assert i["xdp_mode"] in ("native", "generic"), i
    assert i["tc_mode"] in ("tcx", "clsact"), i
assert d["mode"] == "allow"
r = d["rules"]
assert r["loaded"] == 1 and r["invalid"] == 0 and r["generation"] == 1, r
assert [f["path"].rsplit("/", 1)[1] for f in r["files"]] == ["10-first.rules"], r["files"]
assert r["last_reload"]["ok"] is True and r["last_reload"]["trigger"] == "startup", r
assert d["bans"]["active"] == 0 and isinstance(d["copies"]["ring_losses"], int), d
' || e2e_fail "fwctl status --json: unexpected content: $out"
fw status | grep -q "^daemon: *running" || e2e_fail "human status lacks the running daemon"
e2e_ok "fwctl status --json: daemon, interfaces (xdp/tc), mode, ruleset, bans, losses"

# ---- metrics before ----
scrape() { lab_gw curl -s -m 2 "http://$METRICS/metrics"; }
metric() { # metric NAME: sum of the samples of NAME
	scrape | python3 "$E2E_DIR/promcheck.py" --sum "$1"
}
scrape | python3 "$E2E_DIR/promcheck.py" || e2e_fail "metrics exposition invalid"
alerts0=$(metric moat_alerts_total) || e2e_fail "no moat_alerts_total"
copies0=$(metric moat_copies_total) || e2e_fail "no moat_copies_total"
reloads0=$(metric moat_rules_reloads_total)
[ "$reloads0" = 1 ] || e2e_fail "moat_rules_reloads_total is $reloads0, want 1"
e2e_ok "metrics: a valid exposition (strict parser)"

# ---- a rule dropped in while traffic flows ----
bg_log=$LIVE_DIR/bg.codes
(
	for i in $(seq 1 60); do
		echo "$i $(http_code $LAB_V4_B "/index.html?bg=$i")"
		sleep 0.05
	done
) >"$bg_log" &
bg_pid=$!
sleep 0.5
rule 9100002 /second >"$LIVE_DIR/rules.d/20-second.rules.tmp"
mv "$LIVE_DIR/rules.d/20-second.rules.tmp" "$LIVE_DIR/rules.d/20-second.rules"
gen2() {
	fw rules status --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if d["installed"]["generation"] >= 2 and d["installed"]["loaded"] == 2 else 1)'
}
wait_until 10 gen2 || e2e_fail "the dropped rule file was not loaded"
wait "$bg_pid"
[ "$(http_code $LAB_V4_A "/index.html?p=/second")" = 200 ] || e2e_fail "request for /second failed"
wait_until 5 eve_has 'e["event_type"] == "alert" and e["alert"]["signature_id"] == 9100002' ||
	e2e_fail "the new rule did not fire on the next request"
served=$(awk '$2 == 200' "$bg_log" | wc -l)
[ "$served" -ge 50 ] || e2e_fail "only $served of 60 background requests were served"
# every served request has its http event (workers may lag a little behind the client)
bg_missing() {
	python3 - "$LIVE_DIR/log/eve.json" "$bg_log" <<'PY'
import json, sys
seen, bad = set(), 0
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        bad += 1
        continue
    url = e.get("http", {}).get("url", "") if e.get("event_type") == "http" else ""
    if url.startswith("/index.html?bg="):
        seen.add(url.split("=", 1)[1])
served = [l.split()[0] for l in open(sys.argv[2]) if l.split()[1:] == ["200"]]
missing = [i for i in served if i not in seen]
if missing or bad:
    print(f"missing bg={','.join(missing)}; {bad} unparsable eve.json lines")
    sys.exit(1)
PY
}
wait_until 10 bg_missing >/dev/null || e2e_fail "served during the reload but not logged: $(bg_missing)"

e2e_ok "rule file dropped in: loaded (generation 2), fires on the next request; all $served requests during the reload logged"

# ---- fwctl rules reload with a broken file ----
{
	rule 9100003 /third
	echo 'alert http any any -> any any (msg:"broken"; content:; sid:9100004;)'
} >"$LIVE_DIR/rules.d/30-broken.rules"
out=$(fw rules reload 2>&1)
rc=$?
[ "$rc" = 1 ] || e2e_fail "rules reload with a broken file exited $rc, want 1: $out"
echo "$out" | grep -q "30-broken.rules:2: sid 9100004: " ||
	e2e_fail "rules reload did not report file:line: $out"
[ "$(http_code $LAB_V4_A "/index.html?p=/third")" = 200 ] || e2e_fail "request for /third failed"
wait_until 5 eve_has 'e["event_type"] == "alert" and e["alert"]["signature_id"] == 9100003' ||
	e2e_fail "the good rule beside the broken one did not load"
e2e_ok "rules reload with a broken file: file:line reported (exit 1), the rest loaded"

# ---- a reload that fails as a whole keeps the old rules ----
rmdir "$LIVE_DIR/rules" || e2e_fail "cannot remove the -S directory"
out=$(fw rules reload 2>&1)
rc=$?
[ "$rc" = 1 ] || e2e_fail "failing reload exited $rc, want 1: $out"
echo "$out" | grep -q "FAILED.*$LIVE_DIR/rules" || e2e_fail "failing reload not explained: $out"
n0=$(eve_count 'e["event_type"] == "alert" and e["alert"]["signature_id"] == 9100002')
[ "$(http_code $LAB_V4_A "/index.html?p=/second")" = 200 ] || e2e_fail "request for /second failed"
wait_until 5 eval '[ "$(eve_count "e[\"event_type\"] == \"alert\" and e[\"alert\"][\"signature_id\"] == 9100002")" -gt "$n0" ]' ||
	e2e_fail "the running rules stopped working after a failed reload"
e2e_ok "reload failing as a whole (vanished -S path): reported, old rules still fire"

# ---- rules list, config show ----
fw rules list --sid 9100002 --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert [r["msg"] for r in d["rules"]] == ["MOAT-CTL 9100002"], d' ||
	e2e_fail "rules list --sid 9100002"
fw rules list --sid 1 >/dev/null 2>&1
[ $? = 1 ] || e2e_fail "rules list of a missing sid must exit 1"
fw config show --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["control"]["socket"] == sys.argv[1], d["control"]
assert d["metrics"]["listen"] == "127.0.0.1:9567" and d["autoban"]["enabled"] is False, d
assert d["command-line"]["interfaces"] == ["gw0", "gw1"], d["command-line"]' "$MOAT_SOCKET" ||
	e2e_fail "config show --json"
fw config show | grep -q "^\[daemon\]" || e2e_fail "config show: no [daemon] section"
e2e_ok "rules list and config show"

# ---- metrics moved ----
scrape | python3 "$E2E_DIR/promcheck.py" || e2e_fail "metrics exposition invalid"
alerts1=$(metric moat_alerts_total)
copies1=$(metric moat_copies_total)
reloads1=$(metric moat_rules_reloads_total)
expect_increase "$alerts0" "$alerts1" "moat_alerts_total"
expect_increase "$copies0" "$copies1" "moat_copies_total"
expect_increase "$reloads0" "$reloads1" "moat_rules_reloads_total"
[ "$(metric moat_rules_reload_failures_total)" -ge 1 ] || e2e_fail "reload failure not counted"
e2e_ok "metrics: alerts $alerts0 -> $alerts1, copies $copies0 -> $copies1, reloads $reloads0 -> $reloads1"

# ---- usage errors ----
fw rules bogus >/dev/null 2>&1
[ $? = 2 ] || e2e_fail "unknown rules subcommand must exit 2"
fw rules list --sid abc >/dev/null 2>&1
[ $? = 2 ] || e2e_fail "a malformed --sid must exit 2"
fw config >/dev/null 2>&1
[ $? = 2 ] || e2e_fail "config without subcommand must exit 2"
e2e_ok "usage errors exit 2"

# ---- the daemon down ----
live_stop TERM || e2e_fail "moatd exited with an error on SIGTERM"
[ ! -e "$MOAT_SOCKET" ] || e2e_fail "the control socket was left behind"
out=$(fw status --json)
rc=$?
[ "$rc" = 3 ] || e2e_fail "status with the daemon down exited $rc, want 3"
echo "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["daemon"]["running"] is False and "moatd" in d["daemon"]["error"], d
assert {i["ifname"] for i in d["interfaces"]} == {"gw0", "gw1"}, d
assert d["mode"] == "allow" and "pin_root" in d["pinned"], d' ||
	e2e_fail "status --json with the daemon down: $out"
fw rules status >/dev/null 2>&1
[ $? = 3 ] || e2e_fail "rules status with the daemon down must exit 3"
e2e_ok "daemon down: status exits 3 and shows the pinned maps; rules status exits 3"
