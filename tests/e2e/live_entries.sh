#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# fwctl block/unblock/allow/disallow and attach/detach through a live moatd, and without it.
# With the daemon up the change is made by moatd: enforced, answered with the kernel's entry,
# logged (log line and EVE "policy" event naming uid, reason and ttl) and saved in the state
# file, so it survives a simulated reboot. With the daemon down the pinned maps change with a
# warning, and the restarted daemon adopts the entry (listed with its reason) and the
# interface. A 100k-line --file goes through the daemon in chunks (timed beside the pinned-map
# path). `fwctl list blocks|allows|ports --reason --sort` filter and sort. Bad input of every
# argument kind exits 2 with the documented message and changes nothing (the maps are
# compared), also when sent to the control socket directly.
set -u
source "$(dirname "$0")/live_common.sh"
live_setup
live_config ""
# the default sweep interval: a state save of 100k entries (the bulk below) takes about a
# second and runs in the main loop at every sweep, which at the tests' usual 1 s would starve
# the control socket
sed -i 's/^sweep-interval = 1s$/sweep-interval = 10s/' "$LIVE_DIR/moat.conf"
live_start

# entries: the number of kernel entries (every kind), from the pinned maps
entries() {
	fw list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])'
}
# state_has CIDR [NOTE]: the daemon's state file holds a manual entry for CIDR (with NOTE)
state_has() {
	python3 - "$LIVE_DIR/state.json" "$@" <<'EOF'
import json, sys
path, cidr = sys.argv[1:3]
note = sys.argv[3] if len(sys.argv) > 3 else None
try:
    s = json.load(open(path))
except (OSError, ValueError):
    sys.exit(1)
ok = any(e["cidr"] == cidr and (note is None or e.get("note") == note) for e in s["entries"])
sys.exit(0 if ok else 1)
EOF
}

# ---- block through the daemon: enforced, answered, logged, saved ----
[ "$(http_code $LAB_V4_B /index.html)" = 200 ] || e2e_fail "B cannot reach the server"
out=$(fw block $LAB_V4_B --ttl 1h --reason "scanner from ticket 42" 2>&1) ||
	e2e_fail "block through the daemon failed: $out"
[ "$out" = "blocked $LAB_V4_B/32 (src), expires: 1h" ] || e2e_fail "block output: $out"
[ "$(http_code $LAB_V4_B /index.html)" = 000 ] || e2e_fail "block through the daemon not enforced"
[ "$(http_code $LAB_V4_A /index.html)" = 200 ] || e2e_fail "A blocked too"
grep -Eq "policy: block $LAB_V4_B/32 \(src\) by uid 0 \(root\) pid [0-9]+, ttl 1h, reason: scanner from ticket 42" \
	"$LIVE_DIR/moatd.log" || e2e_fail "no log line for the block: $(grep policy "$LIVE_DIR/moatd.log")"
wait_until 5 eve_has "e['event_type'] == 'policy' and e['policy']['action'] == 'block' and \
e['policy']['cidrs'] == ['$LAB_V4_B/32'] and e['policy']['reason'] == 'scanner from ticket 42' and \
e['policy']['ttl_s'] == 3600 and e['policy']['by']['uid'] == 0 and e['policy']['count'] == 1" ||
	e2e_fail "no EVE policy event for the block"
wait_until 5 state_has $LAB_V4_B/32 "scanner from ticket 42" || e2e_fail "block not saved in the state file"
e2e_ok "block through moatd: enforced, logged with who/reason/ttl, EVE event, state file"

out=$(fw block 198.18.7.0/24 --dir dst --json) || e2e_fail "block --dir dst --json: $out"
echo "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["command"] == "block" and d["added"] == 1 and d["daemon"] is True, d
e = d["entry"]
assert e["kind"] == "block" and e["dir"] == "dst" and e["cidr"] == "198.18.7.0/24", e
assert e["expires_in"] is None and e["reason"] == "manual" and e["hits"] == 0, e' ||
	e2e_fail "block --json through the daemon: $out"
out=$(fw allow 198.18.9.0/24 --proto tcp --port 443 --ttl 10m --json) || e2e_fail "allow port: $out"
echo "$out" | python3 -c '
import json, sys
e = json.load(sys.stdin)["entry"]
assert e["kind"] == "port-allow" and e["proto"] == "tcp" and e["port"] == 443, e
assert 590 <= e["expires_in"] <= 600, e' || e2e_fail "allow --proto --port --json: $out"
fw_ok allow fd00:6d6f:6174::77 --reason "v6 admin"
fw_ok block 198.18.8.0/24 --proto udp --port 53 --ttl 5m
e2e_ok "dst blocks, port allows, IPv6 allows and ttls through moatd (--json entry as the kernel holds it)"

# ---- list kinds, filters, sorts ----
fw list blocks --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert {e["cidr"] for e in d["entries"]} == {"198.18.0.3/32", "198.18.7.0/24"}, d
assert all(e["kind"] == "block" for e in d["entries"]), d' || e2e_fail "list blocks: $(fw list blocks)"
fw list allows --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert [e["cidr"] for e in d["entries"]] == ["fd00:6d6f:6174::77/128"], d
assert d["entries"][0]["note"] == "v6 admin", d' || e2e_fail "list allows: $(fw list allows)"
fw list ports --sort expiry --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert [(e["kind"], e["port"]) for e in d["entries"]] == [("port-block", 53), ("port-allow", 443)], d' ||
	e2e_fail "list ports --sort expiry: $(fw list ports --sort expiry)"
fw list --sort expiry --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
exp = [e["expires_in"] for e in d["entries"]]
fin = [x for x in exp if x is not None]
assert fin == sorted(fin) and exp[:len(fin)] == fin and d["count"] == 5, exp' ||
	e2e_fail "list --sort expiry: never-expiring entries are not last"
http_code $LAB_V4_B /index.html >/dev/null # hits on B's entry
fw list blocks --sort hits --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["entries"][0]["cidr"] == "198.18.0.3/32" and d["entries"][0]["hits"] > 0, d' ||
	e2e_fail "list blocks --sort hits: $(fw list blocks --sort hits)"
[ "$(fw list --reason auto --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')" = 0 ] ||
	e2e_fail "list --reason auto lists manual entries"
[ "$(fw list blocks --reason manual --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')" = 2 ] ||
	e2e_fail "list blocks --reason manual"
[ "$(fw list --reason 9000001 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')" = 0 ] ||
	e2e_fail "list --reason SID lists manual entries"
out=$(fw list blocks)
echo "$out" | head -1 | grep -Eq "^KIND +DIR +CIDR +PROTO +PORT +EXPIRES +HITS +REASON +NOTE$" ||
	e2e_fail "list blocks header: $out"
echo "$out" | grep -Eq "^block +src +198\.18\.0\.3/32 +- +- +(59m[0-9]+s|1h) +[1-9][0-9]* +manual +scanner from ticket 42$" ||
	e2e_fail "list blocks row: $out"
fw list bans --json | grep -q '"count": *0' || e2e_fail "list bans (old spelling) broken"
for args in "bogus" "blocks extra" "--sort size" "--reason robot" "--reason 0" "bans --reason manual" \
	"blocks --sort"; do
	# shellcheck disable=SC2086
	out=$(fw list $args 2>&1)
	rc=$?
	[ "$rc" = 2 ] || e2e_fail "list $args exited $rc, want 2: $out"
	word=${args##* }
	echo "$out" | grep -q -- "$word" || e2e_fail "list $args: error does not name '$word': $out"
done
e2e_ok "list blocks|allows|ports|bans with --reason and --sort; bad kinds, sorts, reasons exit 2"

# ---- bad input: exit 2, the documented message, nothing changed ----
# snapshot: every entry's identity and note (not its hits or time left)
snapshot() {
	fw list --json | python3 -c '
import json, sys
for e in sorted(json.load(sys.stdin)["entries"], key=lambda e: (e["kind"], e["dir"], e["cidr"], str(e["port"]))):
    print(e["kind"], e["dir"], e["cidr"], e["proto"], e["port"], e["note"])'
}
snap0=$(snapshot)
printf '198.18.0.50\n10.1.2.3/8\n' >"$LIVE_DIR/bad.txt"
printf '198.18.0.51\n\xff\xfe\n' >"$LIVE_DIR/binary.txt"
head -c 2000000 /dev/zero | tr '\0' 'a' >"$LIVE_DIR/huge.txt"
check_bad() { # check_bad PATTERN ARGS...: fwctl ARGS exits 2 and its error matches PATTERN
	local pat=$1 out rc
	shift
	out=$(fw "$@" 2>&1)
	rc=$?
	[ "$rc" = 2 ] || e2e_fail "fwctl $* exited $rc, want 2: $out"
	echo "$out" | grep -Eq -- "$pat" || e2e_fail "fwctl $*: error does not match '$pat': $out"
}
check_bad "10.1.2.3/8.*did you mean 10.0.0.0/8" block 10.1.2.3/8
check_bad "fd00:6d6f:6174::1/48.*did you mean fd00:6d6f:6174::/48" block fd00:6d6f:6174::1/48
check_bad "invalid CIDR '198.18.0.300'" block 198.18.0.300
check_bad "invalid CIDR '198.18.0.0/33'" allow 198.18.0.0/33
check_bad "invalid CIDR" block "$(printf '198.18.0.\xff')"
check_bad "invalid duration 'forever'" block 198.18.0.60 --ttl forever
check_bad "invalid duration '0s'" block 198.18.0.60 --ttl 0s
check_bad "invalid port '70000'" block 198.18.0.60 --proto tcp --port 70000
check_bad "invalid port '0'" block 198.18.0.60 --proto tcp --port 0
check_bad "unknown protocol 'sctp'" block 198.18.0.60 --proto sctp --port 1
check_bad "invalid direction 'up'" block 198.18.0.60 --dir up
check_bad "not valid UTF-8" block 198.18.0.60 --reason "$(printf 'bad\xff')"
check_bad "control character" block 198.18.0.60 --reason "$(printf 'two\nlines')"
check_bad "reason too long" block 198.18.0.60 --reason "$(head -c 300 /dev/zero | tr '\0' r)"
check_bad "bad.txt:2: invalid CIDR '10.1.2.3/8': host bits set \(did you mean 10.0.0.0/8\?\)" \
	block --file "$LIVE_DIR/bad.txt"
check_bad "binary.txt:2: invalid CIDR" block --file "$LIVE_DIR/binary.txt"
check_bad "huge.txt:1: line too long" block --file "$LIVE_DIR/huge.txt"
check_bad "cannot open" block --file "$LIVE_DIR/missing.txt"
check_bad "ttl is only for adding" unblock $LAB_V4_B --ttl 1h
check_bad "unknown interface 'nosuch0'" attach nosuch0
check_bad "unknown interface" detach "$(printf 'gw\xff')"
check_bad "invalid XDP mode 'turbo'" attach gw0 --xdp-mode turbo
[ "$(snapshot)" = "$snap0" ] || e2e_fail "refused commands changed the maps: $(fw list)"
e2e_ok "bad CIDRs (with the canonical suggestion), ttls, ports, protos, dirs, reasons, files, interfaces: exit 2, maps unchanged"

# the daemon checks the same arguments itself (any client may connect)
python3 - "$LIVE_DIR/moatd.sock" <<'EOF' || e2e_fail "control socket validation"
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rwb")
def call(cmd, args):
    f.write((json.dumps({"v": 1, "id": 1, "cmd": cmd, "args": args}) + "\n").encode())
    f.flush()
    return json.loads(f.readline())
cases = [
    ({"kind": "block", "cidrs": ["10.1.2.3/8"]}, "did you mean 10.0.0.0/8"),
    ({"kind": "block", "cidrs": []}, "cidrs has 0 targets"),
    ({"kind": "block", "cidrs": ["198.18.0.1"] * 4097}, "cidrs has 4097 targets"),
    ({"kind": "block", "cidrs": [5]}, "cidrs[0] must be a string"),
    ({"kind": "block", "cidrs": ["198.18.0.61", "x"]}, "cidrs[1]: invalid CIDR 'x'"),
    ({"kind": "deny", "cidrs": ["198.18.0.61"]}, "invalid kind 'deny'"),
    ({"kind": "block", "cidrs": ["198.18.0.61"], "ttl_s": 0}, "invalid ttl_s 0"),
    ({"kind": "block", "cidrs": ["198.18.0.61"], "port": 80}, "port 80 needs proto"),
    ({"kind": "block", "cidrs": ["198.18.0.61"], "proto": "tcp", "port": 65536}, "invalid port 65536"),
    ({"kind": "block", "cidrs": ["198.18.0.61"], "reason": "a\nb"}, "control character"),
    ({"kind": "allow", "cidrs": ["198.18.0.61"], "dir": "dst"}, "dst is only for block"),
]
for args, want in cases:
    r = call("entries.add", args)
    assert r["ok"] is False and r["error"]["code"] == "EINVAL", (args, r)
    assert want in r["error"]["message"], (want, r)
r = call("entries.delete", {"kind": "block", "cidrs": ["198.18.0.61"], "ttl_s": 5})
assert r["error"]["code"] == "EINVAL" and "unknown argument" in r["error"]["message"] or "ttl_s" in r["error"]["message"], r
r = call("iface.attach", {"ifname": "nosuch0"})
assert r["error"]["code"] == "EINVAL" and "unknown interface 'nosuch0'" in r["error"]["message"], r
r = call("iface.detach", {"ifname": "x" * 40})
assert r["error"]["code"] == "EINVAL", r
# non-UTF-8 on the wire
f.write(b'{"v":1,"id":2,"cmd":"entries.add","args":{"kind":"block","cidrs":["198.18.0.\xff"]}}\n')
f.flush()
r = json.loads(f.readline())
assert r["error"]["code"] == "EBADMSG", r
EOF
[ "$(snapshot)" = "$snap0" ] || e2e_fail "refused control requests changed the maps: $(fw list)"
e2e_ok "entries.add/delete and iface.attach/detach refuse bad arguments on the socket (EINVAL/EBADMSG), nothing changed"

# ---- unblock through the daemon ----
out=$(fw unblock $LAB_V4_B 2>&1) || e2e_fail "unblock: $out"
[ "$out" = "removed $LAB_V4_B/32 (src)" ] || e2e_fail "unblock output: $out"
[ "$(http_code $LAB_V4_B /index.html)" = 200 ] || e2e_fail "unblock through the daemon not enforced"
grep -Eq "policy: unblock $LAB_V4_B/32 \(src\) by uid 0" "$LIVE_DIR/moatd.log" || e2e_fail "unblock not logged"
wait_until 5 eval "! state_has $LAB_V4_B/32" || e2e_fail "unblocked entry still in the state file"
out=$(fw unblock $LAB_V4_B 2>&1)
rc=$?
[ "$rc" = 1 ] && echo "$out" | grep -q "no such entry: $LAB_V4_B/32" ||
	e2e_fail "unblock of an absent entry: exit $rc: $out"
fw_ok disallow 198.18.9.0/24 --proto tcp --port 443
fw_ok disallow fd00:6d6f:6174::77
e2e_ok "unblock/disallow through moatd: lifted, logged, gone from the state file; absent entry exits 1"

# ---- bulk: 100k entries through the daemon, timed beside the pinned maps ----
python3 -c '
import ipaddress
base = ipaddress.ip_address("198.18.64.0")
for i in range(100000):
    print(base + i)' >"$LIVE_DIR/bulk.txt"
n0=$(entries)
t0=$(date +%s%N)
out=$(fw block --file "$LIVE_DIR/bulk.txt" --ttl 1h --json) || e2e_fail "bulk block: $out"
t1=$(date +%s%N)
echo "$out" | grep -q '"added": *100000' || e2e_fail "bulk block: $out"
[ "$(entries)" = $((n0 + 100000)) ] || e2e_fail "bulk block: $(entries) entries, want $((n0 + 100000))"
requests=$(grep -c "policy: block 100000\|policy: block [0-9]* entries" "$LIVE_DIR/moatd.log")
[ "$requests" -ge 2 ] && [ "$requests" -le 100 ] || e2e_fail "bulk went in $requests requests"
wait_until 10 state_has 198.19.198.159/32 || e2e_fail "bulk entries not in the state file"
t2=$(date +%s%N)
out=$(fw unblock --file "$LIVE_DIR/bulk.txt" --json) || e2e_fail "bulk unblock: $out"
t3=$(date +%s%N)
echo "$out" | grep -q '"removed": *100000' || e2e_fail "bulk unblock: $out"
[ "$(entries)" = "$n0" ] || e2e_fail "bulk unblock left entries"
daemon_add_ms=$(((t1 - t0) / 1000000))
daemon_del_ms=$(((t3 - t2) / 1000000))
live_stop TERM || e2e_fail "moatd exited with an error"
t0=$(date +%s%N)
fw block --file "$LIVE_DIR/bulk.txt" --ttl 1h >/dev/null 2>&1 || e2e_fail "bulk block on the pins"
t1=$(date +%s%N)
fw unblock --file "$LIVE_DIR/bulk.txt" >/dev/null 2>&1 || e2e_fail "bulk unblock on the pins"
t2=$(date +%s%N)
echo "bulk 100000 entries: through moatd add ${daemon_add_ms} ms, delete ${daemon_del_ms} ms, in $requests requests; pinned maps directly add $(((t1 - t0) / 1000000)) ms, delete $(((t2 - t1) / 1000000)) ms" >&2
e2e_ok "100k-entry --file through moatd in $requests requests (add ${daemon_add_ms} ms, delete ${daemon_del_ms} ms)"

# ---- daemon down: pinned maps with a warning, adopted on start ----
out=$(fw block 198.18.0.77 --reason "while down" 2>&1) || e2e_fail "block with the daemon down: $out"
echo "$out" | grep -q "moatd is not reachable: changing the pinned maps directly; the daemon adopts the change when it starts" ||
	e2e_fail "no warning with the daemon down: $out"
# a fourth link: gwx0 (gateway, 198.18.99.1) -- gwx1 (client namespace, 198.18.99.2)
lab_gw ip link add gwx0 type veth peer name gwx1 netns "$LAB_NS_CLI" || e2e_fail "cannot create gwx0"
lab_gw ip addr add 198.18.99.1/24 dev gwx0
lab_gw ip link set gwx0 up
lab_cli ip addr add 198.18.99.2/24 dev gwx1
lab_cli ip link set gwx1 up
out=$(fw attach gwx0 2>&1) || e2e_fail "attach with the daemon down: $out"
echo "$out" | grep -q "moatd is not reachable: changing the pinned links directly" ||
	e2e_fail "no attach warning with the daemon down: $out"
live_start
fw list blocks --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert any(e["cidr"] == "198.18.0.77/32" and e["note"] == "while down" for e in d["entries"]), d' ||
	e2e_fail "entry added while down not listed after the start"
wait_until 5 state_has 198.18.0.77/32 "while down" || e2e_fail "adopted entry not in the state file"
fw status --json | python3 -c '
import json, sys
names = [i["ifname"] for i in json.load(sys.stdin)["interfaces"]]
assert names == ["gw0", "gw1", "gwx0"], names' || e2e_fail "status does not list gwx0 attached while down"
e2e_ok "with moatd down: block and attach warn and work on the pins; the started daemon adopts both"

# ---- attach/detach through the daemon ----
out=$(fw detach gwx0 2>&1) || e2e_fail "detach through the daemon: $out"
[ "$out" = "detached gwx0" ] || e2e_fail "detach output: $out"
fw status --json | python3 -c '
import json, sys
names = [i["ifname"] for i in json.load(sys.stdin)["interfaces"]]
assert names == ["gw0", "gw1"], names' || e2e_fail "status still lists gwx0 after detach"
grep -q "policy: detached gwx0 by uid 0" "$LIVE_DIR/moatd.log" || e2e_fail "detach not logged"
out=$(fw detach gwx0 2>&1)
[ $? = 1 ] && echo "$out" | grep -q "not attached" || e2e_fail "second detach: $out"
out=$(fw attach gwx0 --xdp-mode generic --json) || e2e_fail "attach through the daemon: $out"
echo "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["ifname"] == "gwx0" and d["xdp_mode"] == "generic" and d["daemon"] is True, d
assert d["tc_mode"] in ("tcx", "clsact"), d' || e2e_fail "attach --json: $out"
fw status | grep -Eq "gwx0.*generic" || e2e_fail "status does not show gwx0: $(fw status)"
grep -q "policy: attached gwx0: xdp generic" "$LIVE_DIR/moatd.log" || e2e_fail "attach not logged"
copied() {
	fw status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["copies"]["copied"])'
}
copied0=$(copied)
lab_cli python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(5):
    s.sendto(b"moat", ("198.18.99.1", 9))' || e2e_fail "cannot send to gwx0"
wait_until 5 eval '[ "$(copied)" -ge $((copied0 + 5)) ]' ||
	e2e_fail "packets entering gwx0 are not copied to the workers ($copied0 -> $(copied))"
fw detach gwx0 >/dev/null || e2e_fail "detach gwx0"
e2e_ok "attach/detach through moatd: reported (xdp generic, tc kind), listed by status, copied to the workers, logged"

# ---- unblock with the daemon up; restarted, still gone; simulated reboot, still gone ----
fw_ok unblock 198.18.0.77
fw_ok block 198.18.0.78 --ttl 2h --reason "kept"
live_stop TERM || e2e_fail "moatd exited with an error"
live_start
fw list --json | grep -q '198.18.0.77/32' && e2e_fail "unblocked entry back after a restart"
live_stop TERM
fw_ok detach gw0
fw_ok detach gw1
rm -rf -- "$LAB_PIN_ROOT"
live_start
grep -q "datapath: created pinned maps" "$LIVE_DIR/moatd.log" || e2e_fail "maps not recreated"
fw list --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
c = {e["cidr"]: e for e in d["entries"]}
assert "198.18.0.77/32" not in c, c
assert c["198.18.0.78/32"]["note"] == "kept" and 7000 < c["198.18.0.78/32"]["expires_in"] <= 7200, c
assert c["198.18.7.0/24"]["dir"] == "dst", c' || e2e_fail "entries after the simulated reboot: $(fw list)"
live_stop TERM || e2e_fail "moatd exited with an error"
e2e_ok "unblocked with moatd up stays gone across a restart and a reboot; blocks made through it come back with reason and expiry"
