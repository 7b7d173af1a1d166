#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# SecRequestBodyLimitAction Reject in live mode: a form body over SecRequestBodyLimit is
# intercepted with 413 before phase 2 (EVE alert, signature_id 0, naming the directive, with
# in_iface) and takes the normal intercept path: the client is banned at once and its next
# packets die at XDP. A client whose body is under the limit is not touched.
set -u
source "$(dirname "$0")/live_common.sh"
live_setup
cat >"$LIVE_DIR/rules/00-limits.conf" <<EOF2
SecRuleEngine On
SecRequestBodyAccess On
SecRequestBodyLimit 2000
SecRequestBodyLimitAction Reject
SecRule ARGS_POST:p "@streq probe" "id:100,phase:2,pass,log,msg:'phase 2 ran'"
EOF2
live_config "[autoban]
ban-time = 60s"
live_start
grep -q "secrules: 1 loaded" "$LIVE_DIR/moatd.log" ||
	e2e_fail "the SecRule file did not load (no 'secrules: 1 loaded' line)"

# post SRC BYTES: a urlencoded form of about BYTES bytes from client address SRC
post() {
	lab_cli curl -s -o /dev/null -m 3 --interface "$1" \
		--data-binary "p=probe&pad=$(head -c "$2" /dev/zero | tr '\0' a)" \
		-H 'Content-Type: application/x-www-form-urlencoded' \
		"http://$LIVE_SRV:$LIVE_PORT/form" || true
}

post $LAB_V4_B 500
wait_until 15 eve_has 'e["event_type"] == "alert" and e["src_ip"] == "198.18.0.3" and e["alert"]["signature_id"] == 100' ||
	e2e_fail "a body under the limit did not reach phase 2"
eve_has 'e["event_type"] == "alert" and e["src_ip"] == "198.18.0.3" and e["alert"]["signature_id"] == 0' &&
	e2e_fail "a body under the limit was refused"
e2e_ok "a body under SecRequestBodyLimit is evaluated in phase 2"

drops0=$(counter xdp drop block-src)
post $LAB_V4_A 3000
wait_until 15 eve_has 'e["event_type"] == "alert" and e["src_ip"] == "198.18.0.2" and e["alert"]["signature_id"] == 0 and "(SecRequestBodyLimit 2000)" in e["alert"]["signature"] and e["alert"]["metadata"].get("intercept_status") == ["413"] and e["in_iface"] == "gw0"' ||
	e2e_fail "no 413 alert naming SecRequestBodyLimit for the big body"
eve_has 'e["event_type"] == "alert" and e["src_ip"] == "198.18.0.2" and e["alert"]["signature_id"] == 100' &&
	e2e_fail "phase 2 ran for the refused body"
wait_until 15 is_banned $LAB_V4_A || e2e_fail "the refused body did not ban the client"
e2e_ok "a body over SecRequestBodyLimit: 413 before phase 2, client banned"

[ "$(http_code $LAB_V4_A /index.html)" = 000 ] || e2e_fail "banned client still served"
expect_increase "$drops0" "$(counter xdp drop block-src)" "xdp/drop/block-src"
[ "$(http_code $LAB_V4_B /index.html)" = 200 ] || e2e_fail "the other client address was hit"
e2e_ok "banned client's packets dropped at XDP; the other address still served"

live_stop TERM || e2e_fail "moatd exited with an error on SIGTERM"
e2e_ok "moatd stopped cleanly"
