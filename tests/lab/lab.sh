#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Network-namespace lab for moat's e2e tests and demo: sourced, not executed.
#
# Topology (names unique per run: moat-<id>-cli, moat-<id>-gw):
#
#   namespace cli                                  namespace gw (moat attaches to gw0)
#   cli0 198.18.0.2/24  fd00:6d6f:6174::2/64  <-veth->  gw0 198.18.0.1/24  fd00:6d6f:6174::1/64
#        198.18.0.3/24  fd00:6d6f:6174::3/64  (a second "host", picked with ping -I / nc -s)
#
# Commands run inside a namespace through nsenter --net only, never `ip netns exec`: the latter
# also remounts /sys in a private mount namespace, which would hide /sys/fs/bpf and put pins
# into a throwaway bpffs instance. All traffic is bounded in count and time.
#
# Usage:
#   source tests/lab/lab.sh
#   lab_require_root                # exit 77 (skip) unless root with netns support
#   lab_setup                       # builds the lab, installs the cleanup trap
#   lab_gw CMD...  /  lab_cli CMD...
#   lab_ping SRC DST [COUNT]        # from cli, source address SRC; 0 if every reply came back
#   lab_no_ping SRC DST [COUNT]     # 0 if no reply came back at all
#   lab_tcp SRC DST PORT            # one bounded nc transfer from cli to a listener in gw
#   lab_add_server DIR [PORT]       # a third namespace behind gw1: python3 http.server on DIR
#   lab_srv CMD...

LAB_V4_GW=198.18.0.1
LAB_V4_A=198.18.0.2
LAB_V4_B=198.18.0.3
LAB_V6_GW=fd00:6d6f:6174::1
LAB_V6_A=fd00:6d6f:6174::2
LAB_V6_B=fd00:6d6f:6174::3

# Seconds a single ping waits for its reply; pings are sent 0.2s apart.
LAB_PING_WAIT=${LAB_PING_WAIT:-1}

lab_log() {
	[ -n "${LAB_QUIET:-}" ] || echo "lab: $*" >&2
}

lab_require_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: needs root (network namespaces, bpf)" >&2
		exit 77
	fi
	for tool in ip nsenter ping timeout; do
		if ! command -v "$tool" >/dev/null; then
			echo "SKIP: $tool not installed" >&2
			exit 77
		fi
	done
}

# lab_setup [ID]: creates both namespaces, the veth pair and the addresses, waits until
# IPv4 and IPv6 both work, and sets LAB_NS_CLI, LAB_NS_GW, LAB_IF (=gw0), LAB_PIN_ROOT.
# Installs an EXIT/INT/TERM trap calling lab_cleanup (plus $LAB_CLEANUP_HOOK if set).
lab_setup() {
	local id=${1:-$$}

	LAB_ID=$id
	LAB_NS_CLI=moat-$id-cli
	LAB_NS_GW=moat-$id-gw
	LAB_IF=gw0
	LAB_PIN_ROOT=${LAB_PIN_PREFIX:-/sys/fs/bpf/moat-test}-$id
	export LAB_ID LAB_NS_CLI LAB_NS_GW LAB_IF LAB_PIN_ROOT
	export MOAT_PIN_ROOT=$LAB_PIN_ROOT

	trap 'lab_cleanup' EXIT
	trap 'lab_cleanup; trap - EXIT; exit 130' INT
	trap 'lab_cleanup; trap - EXIT; exit 143' TERM

	lab_mount_bpffs || return 1
	ip netns add "$LAB_NS_CLI" || return 1
	ip netns add "$LAB_NS_GW" || return 1
	ip link add cli0 netns "$LAB_NS_CLI" type veth peer name gw0 netns "$LAB_NS_GW" || return 1

	lab_cli ip link set lo up
	lab_gw ip link set lo up
	lab_cli ip addr add $LAB_V4_A/24 dev cli0
	lab_cli ip addr add $LAB_V4_B/24 dev cli0
	lab_cli ip -6 addr add $LAB_V6_A/64 dev cli0 nodad
	lab_cli ip -6 addr add $LAB_V6_B/64 dev cli0 nodad
	lab_gw ip addr add $LAB_V4_GW/24 dev gw0
	lab_gw ip -6 addr add $LAB_V6_GW/64 dev gw0 nodad
	lab_cli ip link set cli0 up
	lab_gw ip link set gw0 up
	lab_wait_up || return 1
	lab_log "lab $id ready: $LAB_NS_CLI (cli0 $LAB_V4_A $LAB_V4_B) <-> $LAB_NS_GW (gw0 $LAB_V4_GW)"
}

lab_mount_bpffs() {
	if ! mountpoint -q /sys/fs/bpf; then
		mount -t bpf bpf /sys/fs/bpf || {
			echo "lab: cannot mount bpffs at /sys/fs/bpf" >&2
			return 1
		}
	fi
}

# Waits (bounded, 10s) until both address families answer, so link-local setup, ND and ARP
# never show up as a spurious failure in the first real check.
lab_wait_up() {
	local i
	for i in $(seq 1 50); do
		if lab_cli ping -c 1 -W 1 -q $LAB_V4_GW >/dev/null 2>&1 &&
			lab_cli ping -6 -c 1 -W 1 -q $LAB_V6_GW >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.2
	done
	echo "lab: the veth pair never came up" >&2
	return 1
}

lab_cli() {
	nsenter --net=/run/netns/"$LAB_NS_CLI" "$@"
}

lab_gw() {
	nsenter --net=/run/netns/"$LAB_NS_GW" "$@"
}

_lab_ping_count() {
	local src=$1 dst=$2 count=${3:-3} fam=-4 out
	case $dst in *:*) fam=-6 ;; esac
	out=$(lab_cli timeout $((count + LAB_PING_WAIT + 5)) ping $fam -n -q -c "$count" \
		-i 0.2 -W "$LAB_PING_WAIT" -I "$src" "$dst" 2>/dev/null)
	echo "$out" | sed -n 's/.* \([0-9]\+\) received.*/\1/p'
}

# 0 when all COUNT pings from SRC to DST were answered.
lab_ping() {
	local count=${3:-3} got
	got=$(_lab_ping_count "$1" "$2" "$count")
	[ "${got:-0}" = "$count" ]
}

# 0 when none of COUNT pings from SRC to DST was answered.
lab_no_ping() {
	local got
	got=$(_lab_ping_count "$1" "$2" "${3:-3}")
	[ "${got:-0}" = 0 ]
}

# Waits (bounded, 3s) until something in gw listens on PORT (proto -t or -u): a datagram or SYN
# sent before the listener binds would be lost and look like a drop.
_lab_wait_listen() {
	local flag=$1 port=$2 i
	for i in $(seq 1 30); do
		if lab_gw ss -Hln "$flag" "sport = :$port" 2>/dev/null | grep -q .; then
			return 0
		fi
		sleep 0.1
	done
	echo "lab: no listener on port $port after 3s" >&2
	return 1
}

# lab_tcp SRC DST PORT: a listener in gw on DST:PORT, a client in cli sending one line from
# SRC; 0 when the line arrived. Everything bounded by timeouts (about 6s at worst).
lab_tcp() {
	local src=$1 dst=$2 port=$3 out tok="moat-lab-$$-$RANDOM"
	out=$(mktemp)
	# nsenter directly (not the lab_gw function, which would run in a subshell): $! is then
	# nsenter exec'ed into timeout, and killing it stops nc, so no listener outlives us.
	nsenter --net=/run/netns/"$LAB_NS_GW" timeout 6 nc -l -n "$dst" "$port" </dev/null \
		>"$out" 2>/dev/null &
	local lpid=$!
	_lab_wait_listen -t "$port"
	echo "$tok" | lab_cli timeout 3 nc -N -n -w 2 -s "$src" "$dst" "$port" >/dev/null 2>&1
	# The listener exits once the client closes; give it a moment, then stop it.
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 $lpid 2>/dev/null || break
		sleep 0.1
	done
	kill $lpid 2>/dev/null
	wait $lpid 2>/dev/null
	if grep -q "$tok" "$out"; then
		rm -f "$out"
		return 0
	fi
	rm -f "$out"
	return 1
}

# UDP: one datagram from SRC to a listener on DST:PORT in gw; 0 when it arrived.
lab_udp() {
	local src=$1 dst=$2 port=$3 out tok="moat-lab-$$-$RANDOM"
	out=$(mktemp)
	nsenter --net=/run/netns/"$LAB_NS_GW" timeout 5 nc -u -l -n "$dst" "$port" </dev/null \
		>"$out" 2>/dev/null &
	local lpid=$!
	_lab_wait_listen -u "$port"
	echo "$tok" | lab_cli timeout 2 nc -u -n -w 1 -s "$src" "$dst" "$port" >/dev/null 2>&1
	local got=1
	for _ in 1 2 3 4 5 6 7 8 9 10; do # the sender has returned; allow 1s for delivery
		if grep -q "$tok" "$out"; then
			got=0
			break
		fi
		sleep 0.1
	done
	kill $lpid 2>/dev/null
	wait $lpid 2>/dev/null
	rm -f "$out"
	return $got
}

LAB_V4_GW_SRV=198.18.1.1
LAB_V4_SRV=198.18.1.2
LAB_V6_GW_SRV=fd00:6d6f:6174:1::1
LAB_V6_SRV=fd00:6d6f:6174:1::2

lab_srv() {
	nsenter --net=/run/netns/"$LAB_NS_SRV" "$@"
}

# lab_add_server DIR [PORT]: after lab_setup, a server namespace moat-<id>-srv joined to the
# gateway by a second veth pair (gw1 $LAB_V4_GW_SRV / srv0 $LAB_V4_SRV, and IPv6), routed
# through the gateway (forwarding on), running python3's http.server on DIR, port PORT (80),
# both address families. Sets LAB_NS_SRV and LAB_HTTP_PID; lab_cleanup removes both.
# Waits (bounded, 5 s) until the server listens.
lab_add_server() {
	local dir=$1 port=${2:-80} i
	LAB_NS_SRV=moat-$LAB_ID-srv
	ip netns add "$LAB_NS_SRV" || return 1
	ip link add gw1 netns "$LAB_NS_GW" type veth peer name srv0 netns "$LAB_NS_SRV" || return 1
	lab_srv ip link set lo up
	lab_srv ip addr add $LAB_V4_SRV/24 dev srv0
	lab_srv ip -6 addr add $LAB_V6_SRV/64 dev srv0 nodad
	lab_srv ip link set srv0 up
	lab_srv ip route add default via $LAB_V4_GW_SRV
	lab_srv ip -6 route add default via $LAB_V6_GW_SRV
	lab_gw ip addr add $LAB_V4_GW_SRV/24 dev gw1
	lab_gw ip -6 addr add $LAB_V6_GW_SRV/64 dev gw1 nodad
	lab_gw ip link set gw1 up
	lab_gw sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	lab_cli ip route add 198.18.1.0/24 via $LAB_V4_GW
	lab_cli ip -6 route add fd00:6d6f:6174:1::/64 via $LAB_V6_GW
	# nsenter directly so that $! is the server itself (exec'ed), not a subshell
	nsenter --net=/run/netns/"$LAB_NS_SRV" python3 -m http.server --bind :: \
		--directory "$dir" "$port" >"${LAB_HTTP_LOG:-/dev/null}" 2>&1 &
	LAB_HTTP_PID=$!
	for i in $(seq 1 50); do
		lab_srv ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	echo "lab: the web server did not start listening on port $port" >&2
	return 1
}

# Removes everything lab_setup made: namespaces (which takes the veth pair and any XDP/TC
# attachment with it) and the test's bpffs pin root. Safe to call twice.
lab_cleanup() {
	local rc=$?
	[ -n "${LAB_CLEANUP_HOOK:-}" ] && $LAB_CLEANUP_HOOK
	if [ -n "${LAB_HTTP_PID:-}" ]; then
		kill "$LAB_HTTP_PID" 2>/dev/null
		wait "$LAB_HTTP_PID" 2>/dev/null
		LAB_HTTP_PID=
	fi
	[ -n "${LAB_NS_SRV:-}" ] && ip netns del "$LAB_NS_SRV" 2>/dev/null
	if [ -n "${LAB_NS_CLI:-}" ]; then
		ip netns del "$LAB_NS_CLI" 2>/dev/null
		ip netns del "$LAB_NS_GW" 2>/dev/null
	fi
	if [ -n "${LAB_PIN_ROOT:-}" ] && [ -d "$LAB_PIN_ROOT" ]; then
		rm -rf -- "$LAB_PIN_ROOT"
	fi
	return $rc
}
