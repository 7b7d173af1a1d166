#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# moat's demo: moatd on a gateway protects a web server. Three network namespaces: a client
# side with a legitimate client and an attacker, the gateway running `moatd -i`, a server
# running python3's http.server. The attacker scans, probes and attacks; alerts stream in;
# it crosses the ban threshold, its packets die at XDP, the client is still served; the ban
# expires. Root only. Everything is removed on exit, also when interrupted.
#
#   tests/lab/demo.sh [--keep]     --keep leaves the lab running and prints how to explore it
#   MOATD=..., FWCTL=...           the binaries (default: build/ of this checkout)
#   DEMO_BAN_TIME=30               seconds an automatic ban lasts (20..120)
#   DEMO_CRS=no                    leave the OWASP CRS out even when modsecurity-crs is installed
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
MOATD=${MOATD:-$root/build/policyd/moatd}
FWCTL=${FWCTL:-$root/build/cli/fwctl}
STARTER=$root/rules/starter/moat-starter.rules
CRS_SETUP=$root/rules/starter/moat-crs-setup.conf
CRS_RULES=/usr/share/modsecurity-crs/rules
BAN_TIME=${DEMO_BAN_TIME:-30}
keep=
for arg in "$@"; do
	case $arg in
	--keep) keep=1 ;;
	-h | --help)
		sed -n '3,12p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "demo: unknown argument '$arg' (try --help)" >&2
		exit 2
		;;
	esac
done
case $BAN_TIME in
[2-9][0-9] | 1[01][0-9] | 120) ;;
*)
	echo "demo: DEMO_BAN_TIME must be 20..120 seconds, not '$BAN_TIME'" >&2
	exit 2
	;;
esac

if [ -t 1 ]; then
	B=$'\e[1m' G=$'\e[32m' R=$'\e[31m' Y=$'\e[33m' C=$'\e[36m' N=$'\e[0m'
else
	B= G= R= Y= C= N=
fi
step() { printf '\n%s==> %s%s\n' "$B" "$*" "$N"; }
say() { printf '    %s\n' "$*"; }
good() { printf '    %s%s%s\n' "$G" "$*" "$N"; }
bad() { printf '    %s%s%s\n' "$R" "$*" "$N"; }
die() {
	bad "demo failed: $*"
	[ -n "${DIR:-}" ] && [ -f "$DIR/moatd.log" ] && tail -5 "$DIR/moatd.log" | sed 's/^/      moatd: /'
	if [ -n "$keep" ] && [ -n "${LAB_NS_GW:-}" ]; then
		trap - EXIT INT TERM
		keep_notes
	fi
	exit 1
}

# shellcheck source=lab.sh
source "$here/lab.sh"
LAB_QUIET=1
LAB_PIN_PREFIX=/sys/fs/bpf/moat-demo
if [ "$(id -u)" != 0 ]; then
	echo "demo: needs root (network namespaces and BPF); try: sudo $0" >&2
	exit 1
fi
for tool in ip nsenter curl nc python3; do
	command -v $tool >/dev/null || die "$tool is not installed (scripts/deps.sh installs it)"
done
[ -x "$MOATD" ] || die "no moatd at $MOATD (build first: meson setup build && ninja -C build)"
[ -x "$FWCTL" ] || die "no fwctl at $FWCTL (build first: meson setup build && ninja -C build)"
[ -r "$STARTER" ] || die "no starter ruleset at $STARTER"

CLIENT=$LAB_V4_A
ATTACKER=$LAB_V4_B
SITE=www.moat-demo.test
DIR=
MOATD_PID=
STREAM_PID=
BROWSE_PID=

demo_cleanup() {
	local pid
	[ -n "$DIR" ] && touch "$DIR/browse.stop" 2>/dev/null
	for pid in $STREAM_PID $BROWSE_PID; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [ -n "$MOATD_PID" ]; then
		kill -TERM "$MOATD_PID" 2>/dev/null
		for _ in $(seq 1 50); do
			kill -0 "$MOATD_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$MOATD_PID" 2>/dev/null
		wait "$MOATD_PID" 2>/dev/null
	fi
	STREAM_PID= BROWSE_PID= MOATD_PID=
	[ -n "$DIR" ] && [ -d "$DIR" ] && rm -rf -- "$DIR"
}
LAB_CLEANUP_HOOK=demo_cleanup

# fwctl in the gateway namespace, with this lab's pin root and control socket
fwctl() { lab_gw "$FWCTL" --pin-root "$LAB_PIN_ROOT" --socket "$DIR/moatd.sock" "$@"; }
show() { # show a fwctl command as typed on the gateway, run it, indent its output
	printf '    %s[gw]$ fwctl %s%s\n' "$C" "$*" "$N"
	fwctl "$@" 2>&1 | sed 's/^/      /'
}
# get SRC PATH [USER-AGENT]: GET http://www.moat-demo.test/PATH from address SRC (IPv4 or
# IPv6); prints the HTTP status, 000 when no answer came within 2 s. The path is sent as is.
get() {
	local srv=$LAB_V4_SRV
	case $1 in *:*) srv="[$LAB_V6_SRV]" ;; esac
	lab_cli curl -s -o /dev/null -m 2 --path-as-is --interface "$1" \
		--resolve "$SITE:80:$srv" -A "${3:-Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0}" \
		-w '%{http_code}' "http://$SITE$2" 2>/dev/null
}
# eve_count EXPR: events of eve.json for which the python expression EXPR over `e` is true
eve_count() {
	python3 - "$DIR/log/eve.json" "$1" <<'EOF'
import json, sys
n = 0
try:
    with open(sys.argv[1]) as f:
        for line in f:
            if line.endswith("\n") and eval(sys.argv[2], {}, {"e": json.loads(line)}):
                n += 1
except FileNotFoundError:
    pass
print(n)
EOF
}
eve_has() { [ "$(eve_count "$1")" -gt 0 ]; }
# wait_for SECONDS CMD...: poll CMD every 0.2 s; non-zero when it never succeeded
wait_for() {
	local i
	for ((i = 0; i < $1 * 5; i++)); do
		"${@:2}" && return 0
		sleep 0.2
	done
	return 1
}
xdp_drops() {
	fwctl stats --json | python3 -c '
import json, sys
print(sum(c["packets"] for c in json.load(sys.stdin)["counters"]
          if c["hook"] == "xdp" and c["verdict"] == "drop" and c["reason"] == "block-src"))'
}
notable() { grep -c '"event_type": *"\(alert\|ban\|unban\)"' "$DIR/log/eve.json" 2>/dev/null; }
quiet_eve() { # let the alert stream catch up: wait (at most 5 s) until no alert came for 0.6 s
	local a b
	for _ in $(seq 1 8); do
		a=$(notable)
		sleep 0.6
		b=$(notable)
		[ "$a" = "$b" ] && break
	done
	sleep 0.3 # the stream polls every 0.2 s
}

# --keep: what is left running and how to explore and remove it
keep_notes() {
	local pids=$MOATD_PID
	kill $STREAM_PID $BROWSE_PID 2>/dev/null
	[ -n "${LAB_HTTP_PID:-}" ] && pids=${pids:+$pids }$LAB_HTTP_PID
	step "Lab kept (--keep): moatd and the web server keep running"
	say "fwctl:     nsenter --net=/run/netns/$LAB_NS_GW $FWCTL --pin-root $LAB_PIN_ROOT --socket $DIR/moatd.sock status"
	say "client:    nsenter --net=/run/netns/$LAB_NS_CLI curl --interface $CLIENT http://$LAB_V4_SRV/"
	say "attacker:  nsenter --net=/run/netns/$LAB_NS_CLI curl --interface $ATTACKER 'http://$LAB_V4_SRV/?id=1%27%20UNION%20SELECT%201--'"
	say "a shell:   nsenter --net=/run/netns/$LAB_NS_GW bash    (or $LAB_NS_CLI, $LAB_NS_SRV)"
	say "alerts:    tail -f $DIR/log/eve.json      moatd's log: $DIR/moatd.log"
	local stop=
	[ -n "$pids" ] && stop="kill $pids; "
	[ -n "$MOATD_PID" ] && stop+="tail --pid=$MOATD_PID -f /dev/null; "
	say "remove it: ${stop}ip netns del $LAB_NS_CLI; ip netns del $LAB_NS_GW; ${LAB_NS_SRV:+ip netns del $LAB_NS_SRV; }rm -rf $LAB_PIN_ROOT $DIR"
}

step "Building the lab: three network namespaces"
lab_setup "${DEMO_ID:-$$}" || die "cannot build the lab"
if [ -n "$keep" ]; then # the lab stays up after a normal end; an interruption still removes it
	trap - EXIT
	trap 'lab_cleanup; exit 130' INT
	trap 'lab_cleanup; exit 143' TERM
fi
DIR=$(mktemp -d "/tmp/moat-demo-$LAB_ID.XXXXXX") || die "cannot create a working directory"
mkdir -p "$DIR/www" "$DIR/log"
cat >"$DIR/www/index.html" <<EOF
<!doctype html><title>moat demo</title><h1>Hello from the moat demo</h1>
<p>This page is served from $LAB_V4_SRV, behind a gateway running moatd. <a href="about.html">About</a></p>
EOF
echo "<!doctype html><title>about</title><p>A small site for moat's demo.</p>" >"$DIR/www/about.html"
LAB_HTTP_LOG=$DIR/http.log
lab_add_server "$DIR/www" 80 || die "cannot start the web server"
say "$LAB_NS_CLI  client   $CLIENT ($LAB_V6_A), attacker $ATTACKER"
say "$LAB_NS_GW   gateway  gw0 $LAB_V4_GW | gw1 $LAB_V4_GW_SRV, forwarding; moatd runs here"
say "$LAB_NS_SRV  server   $LAB_V4_SRV ($LAB_V6_SRV), python3 http.server on port 80"

step "Starting moatd on the gateway's interfaces"
rules=(-S "$STARTER")
crs_note="no OWASP CRS (install modsecurity-crs to add it)"
# The attack below scores 70 by the second traversal with the starter rules alone (the scan 5,
# the scanner 5, each SQL injection 10, each traversal 20), 120 with the CRS (its anomaly
# decision, 949110, adds 10 to every attack request; the score leaks 110 per 5 minutes): the
# threshold is crossed there, or by the command injection or web-shell probe after it.
threshold=60
if [ "${DEMO_CRS:-yes}" != no ] && [ -r /etc/modsecurity/crs/crs-setup.conf ] && [ -d "$CRS_RULES" ]; then
	rules+=(-S "$CRS_SETUP" -S "$CRS_RULES")
	crs_note="OWASP CRS from $CRS_RULES (engine On, paranoia 1)"
	threshold=110
fi
cat >"$DIR/moat.conf" <<EOF
# moatd configuration written by the demo: everything private to this lab
[daemon]
log-dir = $DIR/log
rules-dir =
cache-dir =
state-file = $DIR/state.json
pin-root = $LAB_PIN_ROOT
keep-enforcement = no
sweep-interval = 1s
[control]
socket = $DIR/moatd.sock
[metrics]
listen =
[autoban]
threshold = $threshold
window = 5m
ban-on-drop = no
ban-time = ${BAN_TIME}s
ban-max = ${BAN_TIME}s
# the protected servers are never banned (a CRS response-phase alert, 980130, names the server)
never-ban = 198.18.1.0/24, fd00:6d6f:6174:1::/64
EOF
printf '    %s[gw]$ moatd -i gw0 -i gw1 -c moat.conf -S moat-starter.rules%s%s\n' "$C" \
	"${rules[2]:+ -S moat-crs-setup.conf -S $CRS_RULES}" "$N"
nsenter --net=/run/netns/"$LAB_NS_GW" "$MOATD" -i gw0 -i gw1 -c "$DIR/moat.conf" "${rules[@]}" \
	>"$DIR/moatd.log" 2>&1 &
MOATD_PID=$!
wait_for 60 grep -q "moatd: running" "$DIR/moatd.log" ||
	die "moatd did not start (log: $DIR/moatd.log)"
say "rules: the starter ruleset, $(grep -c '^alert' "$STARTER") Suricata rules (sids 9100000+); $crs_note"
say "automatic bans: a score of $threshold within 5 minutes bans for ${BAN_TIME} s (an alert of priority 1 scores 10, priority 2 scores 5)"

# The alert stream: follows eve.json, one line per alert, ban and unban.
python3 -u - "$DIR/log/eve.json" "$Y" "$R" "$G" "$N" <<'EOF' &
import json, sys, time
path, yellow, red, green, off = sys.argv[1:6]
pos, buf = 0, ""
while True:
    try:
        with open(path) as f:
            f.seek(pos)
            buf += f.read()
            pos = f.tell()
    except FileNotFoundError:
        pass
    *lines, buf = buf.split("\n")
    for line in lines:
        e = json.loads(line)
        t = e.get("timestamp", "")[11:19]
        kind = e.get("event_type")
        if kind == "alert":
            a = e["alert"]
            print("    %s[eve] %s  %-15s sid %-8d %s%s" % (yellow, t, e["src_ip"],
                  a["signature_id"], a["signature"][:80], off))
        elif kind == "ban" and e["ban"].get("action") == "ban":
            b = e["ban"]
            sids = ",".join(dict.fromkeys(map(str, b.get("rule_ids", []))))
            print("    %s[eve] %s  %-15s BANNED: score %.0f (rules %s) until %s%s" % (red, t,
                  b["prefix"], b.get("score", 0), sids, b.get("expires", "?")[11:19], off))
        elif kind == "unban":
            print("    %s[eve] %s  %-15s ban lifted (%s)%s" % (green, t, e["ban"]["prefix"],
                  e["ban"].get("reason", ""), off))
    time.sleep(0.2)
EOF
STREAM_PID=$!

step "Normal browsing passes"
for req in "$CLIENT /" "$CLIENT /about.html" "$LAB_V6_A /"; do
	src=${req% *} path=${req#* }
	code=$(get "$src" "$path")
	[ "$code" = 200 ] || die "client $src GET $path: $code, want 200"
	good "client   $src GET $path: $code"
done
# the legitimate client keeps browsing, one request a second, until the end of the demo
(
	for ((i = 0; i < 300; i++)); do
		[ -e "$DIR/browse.stop" ] && break
		echo "$(date +%T) $(get "$CLIENT" /index.html)" >>"$DIR/browse.log"
		sleep 1
	done
) &
BROWSE_PID=$!
say "the client keeps browsing in the background, one request a second"

step "The attacker scans the server: 25 ports, one connection attempt each"
open=$(lab_cli timeout 20 nc -z -n -w 1 -s "$ATTACKER" "$LAB_V4_SRV" 20-44 2>&1 | grep -c succeeded)
say "attacker $ATTACKER: nc -z $LAB_V4_SRV 20-44: ${open:-0} open"
wait_for 10 eve_has "e['event_type'] == 'alert' and e['src_ip'] == '$ATTACKER' and e['alert']['signature_id'] == 9100050" ||
	die "no port-scan alert (sid 9100050)"
quiet_eve

step "The attacker probes with a scanner, then attacks the web application until banned"
attacks=(
	"/ Mozilla/5.00 (Nikto/2.5.0) (Evasions:None)"
	"/products?id=1%27%20UNION%20SELECT%20username,password%20FROM%20users--"
	"/login?user=admin%27%20OR%20%271%27%3D%271&pass=x"
	"/static/../../../../etc/passwd"
	"/download?file=..%2f..%2f..%2f..%2fetc%2fshadow"
	# once banned, the next request gets no answer and the attack stops here
	"/cgi-bin/ping?host=127.0.0.1;cat%20/etc/passwd"
	"/uploads/c99.php?cmd=id"
)
unset why
for a in "${attacks[@]}"; do
	path=${a%% *} ua=
	[ "$path" = "$a" ] || ua=${a#* }
	say "attacker GET $path${ua:+  (User-Agent: $ua)}"
	code=$(get "$ATTACKER" "$path" ${ua:+"$ua"})
	quiet_eve
	if [ "$code" = 000 ]; then
		bad "  -> no answer: already banned"
		break
	fi
	say "  -> $code${why-  (the server answers: moat detects, scores and bans; it does not edit requests)}"
	why=
done
eve_has "e['event_type'] == 'alert' and e['src_ip'] == '$ATTACKER' and e['alert']['signature_id'] in (9100010, 9100011)" ||
	die "no SQL injection alert (sids 9100010, 9100011)"

step "The attacker crossed the threshold and is banned"
wait_for 10 eve_has "e['event_type'] == 'ban' and e['ban']['action'] == 'ban' and e['ban']['prefix'] == '$ATTACKER/32'" ||
	die "the attacker was not banned"
quiet_eve
drops0=$(xdp_drops)
code=$(get "$ATTACKER" /index.html)
[ "$code" = 000 ] || die "the banned attacker was still served ($code)"
bad "attacker $ATTACKER GET /index.html: no answer"
lab_cli ping -n -q -c 3 -i 0.2 -W 1 -I "$ATTACKER" "$LAB_V4_SRV" >/dev/null 2>&1 &&
	die "the banned attacker's ping got through"
bad "attacker $ATTACKER ping $LAB_V4_SRV: 3 sent, 0 replies"
drops1=$(xdp_drops)
[ "$drops1" -gt "$drops0" ] || die "the XDP drop counter did not move ($drops0 -> $drops1)"
good "$((drops1 - drops0)) packets from $ATTACKER dropped at XDP (xdp/drop/block-src: $drops0 -> $drops1)"
code=$(get "$CLIENT" /index.html)
[ "$code" = 200 ] || die "the legitimate client was not served ($code)"
good "client   $CLIENT GET /index.html: $code (still served)"

step "What the operator sees"
show status
show top offenders
show top rules --limit 5
show list bans
show stats

step "Waiting for the ban to expire (${BAN_TIME} s after it started)"
wait_for $((BAN_TIME + 20)) eve_has "e['event_type'] == 'unban' and e['ban']['prefix'] == '$ATTACKER/32'" ||
	die "the ban did not expire"
quiet_eve
code=$(get "$ATTACKER" /index.html)
[ "$code" = 200 ] || die "the attacker is still dropped after the ban expired ($code)"
good "attacker $ATTACKER GET /index.html: $code (the ban expired; it passes again)"

step "Summary"
touch "$DIR/browse.stop"
wait "$BROWSE_PID" 2>/dev/null
BROWSE_PID=
total=$(wc -l <"$DIR/browse.log")
failed=$(grep -vc ' 200$' "$DIR/browse.log")
alerts=$(eve_count "e['event_type'] == 'alert' and e['src_ip'] == '$ATTACKER'")
say "attacker: $alerts alerts, 1 ban, $((drops1 - drops0)) packets dropped at XDP while banned"
calerts=$(eve_count "e['event_type'] == 'alert' and e['src_ip'] in ('$CLIENT', '$LAB_V6_A')")
if [ "$failed" = 0 ] && [ "$calerts" = 0 ]; then
	good "client: $total background requests, all served (200), no alert"
elif [ "$failed" = 0 ]; then
	die "the legitimate client raised $calerts alerts"
else
	bad "client: $total background requests, $failed failed:"
	grep -v ' 200$' "$DIR/browse.log" | sed 's/^/      /'
	die "the legitimate client was hurt"
fi

if [ -n "$keep" ]; then
	kill "$STREAM_PID" 2>/dev/null
	wait "$STREAM_PID" 2>/dev/null
	trap - INT TERM
	keep_notes
else
	step "Removing the lab"
	lab_cleanup
	trap - EXIT INT TERM
	good "done: namespaces, moatd, web server, pins and files removed"
fi
