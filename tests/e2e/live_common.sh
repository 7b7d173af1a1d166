#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Shared helpers for the moatd live-mode e2e tests: sourced. Builds a three-host lab on top of
# ../lab/lab.sh: client (cli0: 198.18.0.2, .3) -- gateway (gw0 198.18.0.1, gw1 198.18.1.1,
# forwarding, moatd on both) -- server (srv0 198.18.1.2, python3 http.server on port 8080).
# Needs $FWCTL and $MOATD. Everything (namespaces, pins, processes, files) goes on exit.

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
: "${MOATD:?MOATD must point at the built moatd}"

LIVE_SRV=198.18.1.2
LIVE_GW_SRV=198.18.1.1
LIVE_PORT=8080
LIVE_MOATD_PID=
LIVE_HTTP_PID=

live_cleanup() {
	if [ -n "$LIVE_MOATD_PID" ]; then
		kill -KILL "$LIVE_MOATD_PID" 2>/dev/null
		wait "$LIVE_MOATD_PID" 2>/dev/null
	fi
	if [ -n "$LIVE_HTTP_PID" ]; then
		kill "$LIVE_HTTP_PID" 2>/dev/null
		wait "$LIVE_HTTP_PID" 2>/dev/null
	fi
	[ -n "${LAB_NS_SRV:-}" ] && ip netns del "$LAB_NS_SRV" 2>/dev/null
	if [ -n "${LIVE_DIR:-}" ] && [ -d "$LIVE_DIR" ]; then
		if [ -n "${LIVE_KEEP:-}" ]; then
			echo "live: files kept in $LIVE_DIR" >&2
		else
			rm -rf -- "$LIVE_DIR"
		fi
	fi
}

lab_srv() {
	nsenter --net=/run/netns/"$LAB_NS_SRV" "$@"
}

# live_setup: the three-host lab, the web server and the working directory.
live_setup() {
	lab_require_root
	[ -x "$MOATD" ] || e2e_fail "moatd not found at $MOATD"
	command -v curl >/dev/null || {
		echo "SKIP: curl not installed" >&2
		exit 77
	}
	LAB_CLEANUP_HOOK=live_cleanup
	lab_setup || e2e_fail "cannot build the lab"
	LAB_NS_SRV=moat-$LAB_ID-srv
	LIVE_DIR=$(mktemp -d "/tmp/moat-live-$LAB_ID.XXXXXX")
	export MOAT_SOCKET=$LIVE_DIR/moatd.sock # fwctl talks to this run's moatd
	mkdir -p "$LIVE_DIR/www" "$LIVE_DIR/rules" "$LIVE_DIR/log"
	echo "hello from the moat lab" >"$LIVE_DIR/www/index.html"

	ip netns add "$LAB_NS_SRV" || e2e_fail "cannot create $LAB_NS_SRV"
	ip link add gw1 netns "$LAB_NS_GW" type veth peer name srv0 netns "$LAB_NS_SRV" ||
		e2e_fail "cannot create the server veth"
	lab_srv ip link set lo up
	lab_srv ip addr add $LIVE_SRV/24 dev srv0
	lab_srv ip link set srv0 up
	lab_srv ip route add default via $LIVE_GW_SRV
	lab_gw ip addr add $LIVE_GW_SRV/24 dev gw1
	lab_gw ip link set gw1 up
	lab_gw sysctl -qw net.ipv4.ip_forward=1
	lab_cli ip route add 198.18.1.0/24 via "$LAB_V4_GW"

	nsenter --net=/run/netns/"$LAB_NS_SRV" python3 -m http.server --bind $LIVE_SRV \
		--directory "$LIVE_DIR/www" $LIVE_PORT >"$LIVE_DIR/http.log" 2>&1 &
	LIVE_HTTP_PID=$!
	local i
	for i in $(seq 1 50); do
		lab_srv ss -Hltn "sport = :$LIVE_PORT" 2>/dev/null | grep -q . && break
		sleep 0.1
	done
	[ "$(http_code "$LAB_V4_A" /index.html)" = 200 ] ||
		e2e_fail "the web server is not reachable through the gateway"
}

# lab_srv_listening: something listens on TCP port 9000 in the server namespace.
lab_srv_listening() {
	lab_srv ss -Hltn "sport = :9000" 2>/dev/null | grep -q .
}

# http_code SRC PATH: the HTTP status of GET PATH from client address SRC ("000": no answer).
http_code() {
	lab_cli curl -s -o /dev/null -m "${HTTP_TIMEOUT:-2}" --interface "$1" \
		-w '%{http_code}' "http://$LIVE_SRV:$LIVE_PORT$2" 2>/dev/null
}

# live_config TEXT: the moatd config used by live_start (appended to the test defaults).
live_config() {
	cat >"$LIVE_DIR/moat.conf" <<EOF
[control]
socket = $LIVE_DIR/moatd.sock
[daemon]
workers = 2
rules-dir =
cache-dir =
state-file = $LIVE_DIR/state.json
pin-root = $LAB_PIN_ROOT
sweep-interval = 1s
$1
EOF
}

# live_start [ARGS...]: start moatd on gw0 and gw1 and wait until it runs (30 s).
live_start() {
	[ -f "$LIVE_DIR/moat.conf" ] || live_config ""
	local before
	before=$(grep -c "moatd: running" "$LIVE_DIR/moatd.log" 2>/dev/null)
	nsenter --net=/run/netns/"$LAB_NS_GW" "$MOATD" -i gw0 -i gw1 -c "$LIVE_DIR/moat.conf" \
		-S "$LIVE_DIR/rules" -l "$LIVE_DIR/log" "$@" >>"$LIVE_DIR/moatd.log" 2>&1 &
	LIVE_MOATD_PID=$!
	local i
	for i in $(seq 1 300); do
		[ "$(grep -c "moatd: running" "$LIVE_DIR/moatd.log")" -gt "${before:-0}" ] &&
			return 0
		kill -0 "$LIVE_MOATD_PID" 2>/dev/null || {
			cat "$LIVE_DIR/moatd.log" >&2
			e2e_fail "moatd exited during startup"
		}
		sleep 0.1
	done
	cat "$LIVE_DIR/moatd.log" >&2
	e2e_fail "moatd did not start within 30 s"
}

# live_stop [SIGNAL]: stop moatd (default TERM) and wait for it; its exit status is returned.
live_stop() {
	local rc=0
	kill -"${1:-TERM}" "$LIVE_MOATD_PID" 2>/dev/null
	wait "$LIVE_MOATD_PID" 2>/dev/null || rc=$?
	LIVE_MOATD_PID=
	return $rc
}

# wait_until SECONDS CMD...: poll CMD every 0.1 s until it succeeds; non-zero on timeout.
wait_until() {
	local limit=$(($1 * 10)) i
	shift
	for ((i = 0; i < limit; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# eve_count FILTER: how many eve.json events match the python expression FILTER over `e`.
eve_count() {
	python3 - "$LIVE_DIR/log/eve.json" "$1" <<'EOF'
import json, sys
path, expr = sys.argv[1:3]
n = 0
try:
    with open(path) as f:
        for line in f:
            e = json.loads(line)
            if eval(expr, {}, {"e": e}):
                n += 1
except FileNotFoundError:
    pass
print(n)
EOF
}

eve_has() {
	[ "$(eve_count "$1")" -gt 0 ]
}

# is_banned ADDR: an automatic blocklist entry for ADDR is in the kernel.
is_banned() {
	fw list --json 2>/dev/null | python3 -c '
import json, sys
addr = sys.argv[1]
d = json.load(sys.stdin)
entries = d["entries"] if isinstance(d, dict) else d
sys.exit(0 if any(e.get("cidr") in (addr, addr + "/32") and e.get("reason") == "auto"
                  for e in entries) else 1)
' "$1"
}

live_attack_rule() {
	echo 'alert http any any -> any any (msg:"MOAT-TEST attack path"; flow:to_server; http.uri; content:"/attack"; priority:1; sid:9000001; rev:1;)' \
		>"$LIVE_DIR/rules/test.rules"
}
