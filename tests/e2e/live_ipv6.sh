#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# moatd live mode over IPv6: an attack from fd00:6d6f:6174::2 is detected and banned. IPv6
# sources aggregate to their /64 by default, but this /64 also holds the gateway's own address
# (fd00:6d6f:6174::1), so the ban is narrowed to the attacking host: the attacker is dropped at
# XDP, the other client address of the /64 is still served.
set -u
source "$(dirname "$0")/live_common.sh"
live_setup
live_attack_rule
SRV6=fd00:6d6f:6174:1::2
lab_gw ip -6 addr add fd00:6d6f:6174:1::1/64 dev gw1 nodad
lab_srv ip -6 addr add $SRV6/64 dev srv0 nodad
lab_srv ip -6 route add default via fd00:6d6f:6174:1::1
lab_gw sysctl -qw net.ipv6.conf.all.forwarding=1
lab_cli ip -6 route add fd00:6d6f:6174:1::/64 via "$LAB_V6_GW"
nsenter --net=/run/netns/"$LAB_NS_SRV" python3 -m http.server --bind $SRV6 \
	--directory "$LIVE_DIR/www" 8081 >"$LIVE_DIR/http6.log" 2>&1 &
HTTP6_PID=$!
trap 'kill $HTTP6_PID 2>/dev/null; lab_cleanup' EXIT

code6() {
	lab_cli curl -s -o /dev/null -m 2 --interface "$1" -w '%{http_code}' \
		"http://[$SRV6]:8081$2" 2>/dev/null
}
ipv6_up() {
	[ "$(code6 $LAB_V6_B /index.html)" = 200 ]
}
wait_until 10 ipv6_up || e2e_fail "IPv6 server unreachable"
live_start

[ "$(code6 $LAB_V6_A /index.html)" = 200 ] || e2e_fail "benign IPv6 request failed"
drops0=$(counter xdp drop block-src)
code6 $LAB_V6_A /attack >/dev/null
wait_until 15 eve_has 'e["event_type"] == "ban" and e["ban"]["action"] == "ban" and e["ban"]["prefix"] == "fd00:6d6f:6174::2/128" and e["src_ip"] == "fd00:6d6f:6174:0000:0000:0000:0000:0002"' ||
	e2e_fail "no ban narrowed to fd00:6d6f:6174::2/128"
fw list | grep -q "fd00:6d6f:6174::2/128" || e2e_fail "no /128 entry in the kernel"
[ "$(code6 $LAB_V6_A /index.html)" = 000 ] || e2e_fail "banned IPv6 client still served"
expect_increase "$drops0" "$(counter xdp drop block-src)" "xdp/drop/block-src"
[ "$(code6 $LAB_V6_B /index.html)" = 200 ] || e2e_fail "the other address of the /64 was hit"
e2e_ok "IPv6 attacker banned at XDP; /64 narrowed to the host (gateway's own address inside)"
live_stop TERM || e2e_fail "moatd exited with an error"
