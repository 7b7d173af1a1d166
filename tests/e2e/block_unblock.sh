#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Traffic passes; `fwctl block` drops it at XDP (the XDP drop counter moves) while another
# host still passes; `fwctl unblock` restores it.
set -u
source "$(dirname "$0")/common.sh"
e2e_setup

lab_ping $LAB_V4_A $LAB_V4_GW || e2e_fail "ping from $LAB_V4_A before any block"
lab_tcp $LAB_V4_A $LAB_V4_GW 8080 || e2e_fail "tcp from $LAB_V4_A before any block"
e2e_ok "traffic passes with moat attached"

drops0=$(counter xdp drop block-src)
fw_ok block $LAB_V4_A --reason "e2e test"
lab_no_ping $LAB_V4_A $LAB_V4_GW || e2e_fail "ping from blocked $LAB_V4_A still answered"
lab_tcp $LAB_V4_A $LAB_V4_GW 8080 && e2e_fail "tcp from blocked $LAB_V4_A got through"
drops1=$(counter xdp drop block-src)
expect_increase "$drops0" "$drops1" "XDP block-src drop counter"
[ "$drops1" -ge 3 ] || e2e_fail "expected at least 3 XDP drops, got $drops1"
lab_ping $LAB_V4_B $LAB_V4_GW || e2e_fail "unblocked host $LAB_V4_B was dropped too"
e2e_ok "block $LAB_V4_A: dropped at XDP ($drops1 packets), $LAB_V4_B still passes"

# The entry shows up with its hits and note.
fw list --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
e = [x for x in d["entries"] if x["cidr"] == sys.argv[1] + "/32"]
assert len(e) == 1, d
e = e[0]
assert e["kind"] == "block" and e["dir"] == "src" and e["expires_in"] is None, e
assert e["hits"] >= 3 and e["note"] == "e2e test" and e["reason"] == "manual", e
' $LAB_V4_A || e2e_fail "fwctl list --json does not show the entry as expected"
fw list | grep -q "$LAB_V4_A/32" || e2e_fail "fwctl list does not show $LAB_V4_A/32"

fw_ok unblock $LAB_V4_A
lab_ping $LAB_V4_A $LAB_V4_GW || e2e_fail "ping from $LAB_V4_A after unblock"
lab_tcp $LAB_V4_A $LAB_V4_GW 8080 || e2e_fail "tcp from $LAB_V4_A after unblock"
drops2=$(counter xdp drop block-src)
expect_same "$drops1" "$drops2" "XDP drop counter after unblock"
# Unblocking what is not there is an error.
fw unblock $LAB_V4_A 2>/dev/null && e2e_fail "second unblock succeeded"
e2e_ok "unblock restores traffic"

# A prefix entry (LPM trie) drops the whole range: .2/31 holds both client addresses (and not
# the gateway's .1, whose own packets would match a source entry at TC egress).
fw_ok block 198.18.0.2/31
lab_no_ping $LAB_V4_A $LAB_V4_GW 2 || e2e_fail "prefix 198.18.0.2/31 does not drop $LAB_V4_A"
lab_no_ping $LAB_V4_B $LAB_V4_GW 2 || e2e_fail "prefix 198.18.0.2/31 does not drop $LAB_V4_B"
fw_ok unblock 198.18.0.2/31
lab_ping $LAB_V4_B $LAB_V4_GW 2 || e2e_fail "ping from $LAB_V4_B after prefix unblock"
e2e_ok "prefix block and unblock"

# Port entry: tcp/8080 blocked for everyone, ping and other ports still pass.
fw_ok block --proto tcp --port 8080
lab_tcp $LAB_V4_A $LAB_V4_GW 8080 && e2e_fail "tcp/8080 got through a port block"
lab_tcp $LAB_V4_A $LAB_V4_GW 8081 || e2e_fail "tcp/8081 blocked by a tcp/8080 entry"
lab_ping $LAB_V4_A $LAB_V4_GW 2 || e2e_fail "ping blocked by a tcp/8080 entry"
[ "$(counter xdp drop port-block)" -gt 0 ] || e2e_fail "no XDP port-block drops counted"
fw_ok unblock --proto tcp --port 8080
lab_tcp $LAB_V4_A $LAB_V4_GW 8080 || e2e_fail "tcp/8080 after port unblock"
e2e_ok "port block tcp/8080 and unblock"

# UDP port entry scoped to one source: only that source's datagrams to udp/5353 drop.
fw_ok block $LAB_V4_A/32 --proto udp --port 5353
lab_udp $LAB_V4_A $LAB_V4_GW 5353 && e2e_fail "udp/5353 from $LAB_V4_A got through"
lab_udp $LAB_V4_B $LAB_V4_GW 5353 || e2e_fail "udp/5353 from $LAB_V4_B (out of scope) dropped"
lab_udp $LAB_V4_A $LAB_V4_GW 5354 || e2e_fail "udp/5354 from $LAB_V4_A dropped"
fw_ok unblock $LAB_V4_A/32 --proto udp --port 5353
lab_udp $LAB_V4_A $LAB_V4_GW 5353 || e2e_fail "udp/5353 after unblock"
e2e_ok "scoped udp/5353 block and unblock"

# ICMP echo request ("block ping") for all IPv4 sources: pings die, TCP still passes.
fw_ok block 0.0.0.0/0 --proto icmp
lab_no_ping $LAB_V4_B $LAB_V4_GW 2 || e2e_fail "ping answered despite an icmp block"
lab_tcp $LAB_V4_B $LAB_V4_GW 8080 || e2e_fail "tcp dropped by an icmp entry"
lab_ping $LAB_V6_B $LAB_V6_GW 2 || e2e_fail "ICMPv6 dropped by an IPv4 icmp entry"
fw_ok unblock 0.0.0.0/0 --proto icmp
lab_ping $LAB_V4_B $LAB_V4_GW 2 || e2e_fail "ping after icmp unblock"
e2e_ok "icmp echo block and unblock"
