#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# In-kernel HTTP checks through fwctl: with a blocked Host, a request naming it (any case, with
# a port) gets no response and is counted as drop/http at TC ingress, while another Host gets
# its page; blocked methods and URI prefixes likewise; unblocking restores service.
set -u
source "$(dirname "$0")/common.sh"
command -v curl >/dev/null || { echo "SKIP: curl not installed" >&2; exit 77; }

HTTP_PID=
HTTP_DIR=
http_stop() {
	[ -n "$HTTP_PID" ] && kill "$HTTP_PID" 2>/dev/null && wait "$HTTP_PID" 2>/dev/null
	[ -n "$HTTP_DIR" ] && rm -rf -- "$HTTP_DIR"
	HTTP_PID=
}
LAB_CLEANUP_HOOK=http_stop
e2e_setup

# A bounded HTTP server in the gateway namespace (moat's TC ingress sees the requests).
HTTP_DIR=$(mktemp -d)
echo "moat-e2e-page" >"$HTTP_DIR/index.html"
mkdir -p "$HTTP_DIR/admin" "$HTTP_DIR/public"
echo "moat-e2e-admin" >"$HTTP_DIR/admin/index.html"
echo "moat-e2e-public" >"$HTTP_DIR/public/index.html"
nsenter --net=/run/netns/"$LAB_NS_GW" timeout 120 python3 -m http.server --bind $LAB_V4_GW \
	--directory "$HTTP_DIR" 8080 >/dev/null 2>&1 &
HTTP_PID=$!
for _ in $(seq 1 50); do
	lab_cli curl -s -o /dev/null --max-time 1 "http://$LAB_V4_GW:8080/" && break
	sleep 0.1
done

# get HOST PATH [curl args]: prints the body (empty when no response within 3s).
get() {
	local host=$1 path=$2
	shift 2
	lab_cli curl -s --max-time 3 -H "Host: $host" "$@" "http://$LAB_V4_GW:8080$path" || true
}

[ "$(get good.example /)" = "moat-e2e-page" ] || e2e_fail "no page before any check"
e2e_ok "HTTP server reachable through moat"

fw_ok http block-host evil.example
d0=$(counter tc-ingress drop http)
[ -z "$(get Evil.EXAMPLE:8080 /)" ] || e2e_fail "blocked Host got a response"
[ -z "$(get evil.example /public/)" ] || e2e_fail "blocked Host (lower case) got a response"
[ "$(get good.example /)" = "moat-e2e-page" ] || e2e_fail "another Host was blocked too"
[ "$(get evil.example.org /)" = "moat-e2e-page" ] || e2e_fail "a longer host name was blocked"
d1=$(counter tc-ingress drop http)
# Each blocked request: its segment and the client's retransmissions/FIN all drop.
[ "$d1" -ge $((d0 + 2)) ] || e2e_fail "drop/http counter $d0 -> $d1, want at least +2"
fw http list --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
e = [x for x in d["entries"] if x["check"] == "host" and x["value"] == "evil.example"]
assert len(e) == 1 and e[0]["hits"] == 2, d
assert d["counters"]["http_blocked"] >= 2, d
' || e2e_fail "fwctl http list --json does not show the host with 2 hits"
fw http list | grep -q "evil.example" || e2e_fail "fwctl http list does not show the host"
fw stats --json | python3 -c '
import json, sys
assert json.load(sys.stdin)["copy"]["http_blocked"] >= 2
' || e2e_fail "fwctl stats --json does not count the HTTP drops"
e2e_ok "blocked Host gets no response ($((d1 - d0)) packets dropped), other Hosts do"

fw_ok http block-method DELETE
[ -z "$(get good.example / -X DELETE)" ] || e2e_fail "blocked method got a response"
[ "$(get good.example /)" = "moat-e2e-page" ] || e2e_fail "GET blocked by a DELETE entry"
fw_ok http block-uri /admin/
[ -z "$(get good.example /admin/)" ] || e2e_fail "blocked URI prefix got a response"
[ "$(get good.example /public/)" = "moat-e2e-public" ] || e2e_fail "/public/ blocked by /admin/"
e2e_ok "blocked method and URI prefix get no response, others do"

fw_ok http limits 40 0
[ -z "$(get good.example "/public/?q=$(printf 'a%.0s' $(seq 1 60))")" ] ||
	e2e_fail "a request line over the limit got a response"
[ "$(get good.example /public/)" = "moat-e2e-public" ] || e2e_fail "short request line blocked"
fw_ok http limits 0 0
e2e_ok "request-line limit"

fw_ok http unblock-host evil.example
fw_ok http unblock-method DELETE
fw_ok http unblock-uri /admin/
[ "$(get evil.example /admin/)" = "moat-e2e-admin" ] || e2e_fail "no page after unblocking"
fw http unblock-host evil.example 2>/dev/null && e2e_fail "second unblock succeeded"
fw http block-host "bad host" 2>/dev/null
[ $? -eq 2 ] || e2e_fail "an invalid host is not a usage error"
e2e_ok "unblock restores service; bad values are usage errors"
