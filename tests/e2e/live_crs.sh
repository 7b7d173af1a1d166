#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The OWASP CRS in live mode: Debian's CRS 3.3.4 loads unmodified into the running daemon
# beside a setup file (SecRuleEngine On, paranoia 1); a benign request passes and is not
# scored; a SQL injection request makes the CRS's anomaly decision (949110, deny) intercept
# the transaction, which bans the client at once (kernel entry reason auto, rule id 949110)
# and its next packets die at XDP; another client keeps being served. A TCP flow that is not
# HTTP is bypassed in the kernel, since nothing in a SecRule-only ruleset reads it.
set -u
source "$(dirname "$0")/live_common.sh"
CRS_SETUP=/etc/modsecurity/crs/crs-setup.conf
CRS_RULES=/usr/share/modsecurity-crs/rules
[ -r "$CRS_SETUP" ] && [ -d "$CRS_RULES" ] || {
	echo "SKIP: modsecurity-crs is not installed"
	exit 77
}
live_setup
cat >"$LIVE_DIR/rules/00-setup.conf" <<EOF2
SecRuleEngine On
SecRequestBodyAccess On
SecArgumentSeparator &
SecCookieFormat 0
Include $CRS_SETUP
SecAction "id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level=1"
EOF2
live_config "[autoban]
ban-time = 60s"
live_start -S "$CRS_RULES"
grep -q "secrules: [1-9][0-9]* loaded" "$LIVE_DIR/moatd.log" ||
	e2e_fail "the CRS did not load (no 'secrules: N loaded' line)"
e2e_ok "CRS 3.3.4 loaded into the live daemon"

[ "$(http_code $LAB_V4_A /index.html)" = 200 ] || e2e_fail "benign request did not pass"
wait_until 15 eve_has 'e["event_type"] == "http" and e["http"].get("url") == "/index.html"' ||
	e2e_fail "benign request not logged"
# (920350 "Host header is a numeric IP address" may log: the lab has no DNS names)
eve_has 'e["event_type"] == "alert" and e["alert"]["signature_id"] != 920350' &&
	e2e_fail "a benign request raised an alert other than 920350"
is_banned $LAB_V4_A && e2e_fail "benign client banned"
e2e_ok "benign request passed, no anomaly decision, no ban"

# a TCP flow that is not HTTP: with only SecRules loaded nothing reads it, so the daemon
# bypasses it in the kernel (its later packets are not copied)
bypassed() { fw stats --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["copy"]["bypassed"])'; }
bypass0=$(bypassed)
lab_cli python3 - "$LIVE_SRV" "$LIVE_PORT" "$LAB_V4_B" <<'PY' || e2e_fail "non-HTTP client failed"
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3,
                             source_address=(sys.argv[3], 0))
s.sendall(b"\x16\x03\x01\x00\x05 not http at all\r\n")
time.sleep(0.5)
for _ in range(20):
    try:
        s.sendall(b"x" * 200)
    except OSError:
        break
    time.sleep(0.02)
s.close()
PY
wait_until 10 test "$(bypassed)" -gt "$bypass0" || e2e_fail "the non-HTTP flow was not bypassed"
e2e_ok "a non-HTTP TCP flow was bypassed in the kernel (SecRule-only ruleset)"

drops0=$(counter xdp drop block-src)
http_code $LAB_V4_A "/index.html?id=1%27%20OR%20%271%27%3D%271" >/dev/null
wait_until 15 is_banned $LAB_V4_A || e2e_fail "SQL injection did not ban the client"
eve_has 'e["event_type"] == "alert" and e["alert"]["signature_id"] == 949110 and e["src_ip"] == "198.18.0.2" and e["in_iface"] == "gw0" and e["alert"]["metadata"].get("intercept_status") == ["403"]' ||
	e2e_fail "no intercepting 949110 alert with in_iface"
eve_has 'e["event_type"] == "alert" and e["alert"]["signature_id"] in (942100, 942130, 942180, 942190)' ||
	e2e_fail "no SQL injection detection alert"
eve_has 'e["event_type"] == "ban" and e["ban"]["action"] == "ban" and 949110 in e["ban"]["rule_ids"]' ||
	e2e_fail "no EVE ban event naming 949110"
fw list --json | python3 -c '
import json, sys
e = [x for x in json.load(sys.stdin)["entries"] if x["cidr"] == "198.18.0.2/32"][0]
assert e["reason"] == "auto" and e["rule_id"] == 949110, e
' || e2e_fail "kernel entry lacks reason auto / rule id 949110"
e2e_ok "SQL injection: CRS 949110 intercepted and banned the client at once"

[ "$(http_code $LAB_V4_A /index.html)" = 000 ] || e2e_fail "banned client still served"
expect_increase "$drops0" "$(counter xdp drop block-src)" "xdp/drop/block-src"
[ "$(http_code $LAB_V4_B /index.html)" = 200 ] || e2e_fail "the other client address was hit"
e2e_ok "banned client's packets dropped at XDP; the other address still served"

# A form body longer than libhtp's default 100 KiB body limit: the ruleset's
# SecRequestBodyLimit (the CRS's 13 MB, capped at 1 MiB per transaction) decides how much of
# it the SecRules see, in live mode as offline. The injection sits after 150 KB of padding.
lab_srv timeout 15 python3 - "$LIVE_SRV" <<'PY' &
import socket, sys
srv = socket.create_server((sys.argv[1], 9000))
c, _ = srv.accept()
c.settimeout(10)
buf = b""
while b"\r\n\r\n" not in buf:
    buf += c.recv(65536)
head, body = buf.split(b"\r\n\r\n", 1)
n = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0])
while len(body) < n:
    d = c.recv(65536)
    if not d:
        break
    body += d
c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
c.close()
PY
big_pid=$!
wait_until 5 lab_srv_listening || e2e_fail "the body sink did not start"
python3 -c 'import sys; sys.stdout.write("pad=" + "a" * 150000 + "&id=1%27%20OR%20%271%27%3D%271")' >"$LIVE_DIR/big.body"
lab_cli curl -s -o /dev/null -m 10 --interface $LAB_V4_B --data-binary @"$LIVE_DIR/big.body" \
	-H 'Content-Type: application/x-www-form-urlencoded' "http://$LIVE_SRV:9000/form" || true
wait "$big_pid" 2>/dev/null
wait_until 15 eve_has 'e["event_type"] == "alert" and e["src_ip"] == "198.18.0.3" and e["alert"]["signature_id"] in (942100, 942130, 942180, 942190)' ||
	e2e_fail "SQL injection after 150 KB of form body not seen (body cut at libhtp's 100 KiB?)"
wait_until 15 is_banned $LAB_V4_B || e2e_fail "SQL injection after 150 KB of body did not ban"
e2e_ok "a form body past 100 KiB is inspected up to SecRequestBodyLimit (injection at 150 KB)"

live_stop TERM || e2e_fail "moatd exited with an error on SIGTERM"
e2e_ok "moatd stopped cleanly"
