#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# In-kernel HTTP checks with the live daemon: a Host blocked at run time (fwctl http
# block-host, pinned maps) drops the request's connection in TC (counted under the http
# reason) and the kernel's event becomes an EVE alert written by the daemon (action blocked,
# in_iface); another Host keeps being served, and the blocked connection's client is not
# banned (a kernel check is not an offence score).
set -u
source "$(dirname "$0")/live_common.sh"
live_setup
live_attack_rule
live_config ""
live_start

host_code() { # host_code SRC HOST: status of GET / with that Host header
	lab_cli curl -s -o /dev/null -m 2 --interface "$1" -H "Host: $2" -w '%{http_code}' \
		"http://$LIVE_SRV:$LIVE_PORT/index.html" 2>/dev/null
}

[ "$(host_code $LAB_V4_A shop.example)" = 200 ] || e2e_fail "request before the block failed"
fw_ok http block-host Evil.Example
drops0=$(counter tc-ingress drop http)
[ "$(host_code $LAB_V4_A evil.example:8080)" = 000 ] || e2e_fail "blocked Host still served"
expect_increase "$drops0" "$(counter tc-ingress drop http)" "tc-ingress/drop/http"
wait_until 15 eve_has 'e["event_type"] == "alert" and e["alert"]["action"] == "blocked" and "host" in e["alert"]["signature"] and e["src_ip"] == "198.18.0.2" and e["in_iface"] == "gw0"' ||
	e2e_fail "no EVE alert for the in-kernel HTTP block"
e2e_ok "blocked Host dropped in TC and logged by the daemon as an alert"

[ "$(host_code $LAB_V4_A shop.example)" = 200 ] || e2e_fail "another Host from the same client failed"
is_banned $LAB_V4_A && e2e_fail "an in-kernel HTTP block banned the client"
e2e_ok "other Hosts still served, no ban"

fw_ok http unblock-host evil.example
[ "$(host_code $LAB_V4_A evil.example)" = 200 ] || e2e_fail "unblocked Host not served"
e2e_ok "unblocked Host served again"
live_stop TERM || e2e_fail "moatd exited with an error on SIGTERM"
