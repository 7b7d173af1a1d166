#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The README's demo (tests/lab/demo.sh), piped: it runs to the end and its output shows the
# story (the port scan, SQL injection and traversal alerts streamed from EVE, the ban, XDP
# drops counted while banned, the legitimate client never failing, the operator's fwctl views,
# the ban expiring), without colour codes; a second run interrupted with Ctrl-C (SIGINT) in
# the middle; a third with --keep, whose printed fwctl command works on the kept lab and whose
# printed removal command removes it. None leaves namespaces, pins, processes or files behind.
set -u
: "${FWCTL:?FWCTL must point at the built fwctl}"
: "${MOATD:?MOATD must point at the built moatd}"
export FWCTL MOATD
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root" >&2
	exit 77
fi
for tool in curl nc python3 nsenter; do
	command -v $tool >/dev/null || {
		echo "SKIP: $tool not installed" >&2
		exit 77
	}
done
demo=$(cd "$(dirname "$0")/../lab" && pwd)/demo.sh
fail() {
	echo "FAIL (demo): $*" >&2
	exit 1
}
# nothing of run ID is left: namespaces, pins, the working directory, processes
left_behind() {
	local id=$1
	ip netns list | grep "^moat-$id-" && return 0
	ls -d /sys/fs/bpf/moat-demo-"$id" /tmp/moat-demo-"$id".* 2>/dev/null && return 0
	pgrep -af "moat-demo-$id" && return 0
	return 1
}

export DEMO_ID=e2e$$
out=$("$demo" 2>&1)
rc=$?
echo "$out"
[ $rc = 0 ] || fail "demo exited $rc"
expect() { # expect REGEX WHAT: a line of the output matches REGEX
	grep -Eq -- "$1" <<<"$out" || fail "no $2 in the output (/$1/)"
}
expect '\[eve\] .* 198\.18\.0\.3 +sid 9100050 +MOAT SCAN TCP port scan' "port-scan alert"
expect '\[eve\] .* 198\.18\.0\.3 +sid 9100002 ' "scanner user-agent alert"
expect '\[eve\] .* 198\.18\.0\.3 +sid 91000(10|11) +MOAT WEB SQL injection' "SQL injection alert"
expect '\[eve\] .* 198\.18\.0\.3 +sid 9100020 +MOAT WEB path traversal' "path traversal alert"
expect '\[eve\] .* 198\.18\.0\.3/32 +BANNED: score [0-9]+' "ban event"
expect '^    attacker 198\.18\.0\.3 GET /index\.html: no answer$' "failing request of the banned attacker"
expect '^    [1-9][0-9]* packets from 198\.18\.0\.3 dropped at XDP' "XDP drop count"
expect '^      daemon: +running' "fwctl status"
expect '^      198\.18\.0\.3/32 .* score ' "fwctl list bans entry"
expect '^      1 sources? tracked' "fwctl top offenders"
expect '^      xdp +drop +block-src +[1-9]' "fwctl stats XDP drop counter"
expect '\[eve\] .* 198\.18\.0\.3/32 +ban lifted \(expired\)' "unban event"
expect 'attacker 198\.18\.0\.3 GET /index\.html: 200 \(the ban expired' "traffic after expiry"
expect '^    client: [1-9][0-9]* background requests, all served \(200\), no alert$' "unhurt client"
expect '^    client +198\.18\.0\.2 GET /index\.html: 200 \(still served\)' "client served during the ban"
if grep -q $'\e\[' <<<"$out"; then
	fail "colour codes in piped output"
fi
left_behind "$DEMO_ID" && fail "the demo left the above behind"
echo "ok: demo ran to the end, showed every step and cleaned up"

# Ctrl-C in the middle (job control on, so the background job keeps SIGINT)
export DEMO_ID=e2eint$$
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set -m
"$demo" >"$log" 2>&1 &
pid=$!
set +m
for _ in $(seq 1 600); do
	grep -q "The attacker scans" "$log" && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.1
done
grep -q "The attacker scans" "$log" || fail "the second run never reached the scan: $(cat "$log")"
kill -INT $pid
wait $pid
rc=$?
[ $rc = 130 ] || fail "interrupted demo exited $rc, want 130"
left_behind "$DEMO_ID" && fail "the interrupted demo left the above behind"
echo "ok: interrupted demo (SIGINT) exited 130 and cleaned up"

# --keep: the lab stays up; the printed commands explore it and remove it
export DEMO_ID=e2ekeep$$
out=$("$demo" --keep 2>&1)
rc=$?
remove=$(sed -n 's/^    remove it: //p' <<<"$out")
trap 'rm -f "$log"; [ -n "$remove" ] && eval "$remove" 2>/dev/null' EXIT
[ $rc = 0 ] || fail "demo --keep exited $rc: $out"
[ -n "$remove" ] || fail "demo --keep printed no removal command: $out"
ip netns list | grep -q "^moat-$DEMO_ID-gw" || fail "demo --keep did not keep the lab"
status=$(sed -n 's/^    fwctl: *//p' <<<"$out")
eval "$status" | grep -Eq '^daemon: +running' || fail "the printed fwctl command failed: $status"
eval "$remove" || fail "the printed removal command failed: $remove"
remove=
for _ in $(seq 1 50); do
	left_behind "$DEMO_ID" >/dev/null || break
	sleep 0.2
done
left_behind "$DEMO_ID" && fail "the printed removal command left the above behind"
echo "ok: demo --keep kept the lab; its printed fwctl and removal commands work"
