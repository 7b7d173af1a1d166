#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# moat's demo: a client and a gateway in network namespaces; moat on the gateway's interface
# blocks one client host at XDP (counters shown), then unblocks it. Root only.
#
#   tests/lab/demo.sh [--keep]     --keep leaves the lab up for exploration
#   FWCTL=path/to/fwctl overrides the binary (default: build/cli/fwctl of this checkout)
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
FWCTL=${FWCTL:-$root/build/cli/fwctl}
keep=
for arg in "$@"; do
	case $arg in
	--keep) keep=1 ;;
	-h | --help)
		sed -n '3,7p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "demo: unknown argument '$arg' (try --help)" >&2
		exit 2
		;;
	esac
done

if [ -t 1 ]; then
	B=$'\e[1m' G=$'\e[32m' R=$'\e[31m' C=$'\e[36m' N=$'\e[0m'
else
	B= G= R= C= N=
fi
step() { printf '\n%s==> %s%s\n' "$B" "$*" "$N"; }
good() { printf '    %s%s%s\n' "$G" "$*" "$N"; }
bad() { printf '    %s%s%s\n' "$R" "$*" "$N"; }
run() { # show the command (quoted as typed), run it, indent its output
	local shown
	shown=$(printf '%q ' "$@")
	printf '    %s[gw]$ %s%s\n' "$C" "${shown% }" "$N"
	"$@" 2>&1 | sed 's/^/      /'
	return "${PIPESTATUS[0]}"
}
die() {
	bad "demo failed: $*"
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
[ -x "$FWCTL" ] || die "no fwctl at $FWCTL (build first: meson setup build && ninja -C build)"

fwctl() { lab_gw "$FWCTL" "$@"; }
xdp_drops() {
	fwctl stats --json | python3 -c '
import json, sys
print(sum(c["packets"] for c in json.load(sys.stdin)["counters"]
          if c["hook"] == "xdp" and c["verdict"] == "drop"))'
}
ping_from() { # ping_from SRC: prints the result line, returns 0 when all 3 came back
	if lab_ping "$1" $LAB_V4_GW 3; then
		good "ping $1 -> $LAB_V4_GW: 3/3 replies"
	else
		bad "ping $1 -> $LAB_V4_GW: no replies"
		return 1
	fi
}

step "Building the lab (two network namespaces joined by a veth pair)"
lab_setup "${DEMO_ID:-$$}" || die "cannot build the lab"
if [ -n "$keep" ]; then
	trap - EXIT INT TERM
	trap 'lab_cleanup; exit 130' INT TERM
fi
echo "    $LAB_NS_CLI: cli0 with two hosts, $LAB_V4_A and $LAB_V4_B (+ $LAB_V6_A, $LAB_V6_B)"
echo "    $LAB_NS_GW:  gw0 $LAB_V4_GW ($LAB_V6_GW); moat's pins in $LAB_PIN_ROOT"

step "Attaching moat to the gateway's interface"
run fwctl attach gw0 || die "attach failed"

step "Traffic passes"
ping_from $LAB_V4_A || die "no traffic before blocking"
ping_from $LAB_V4_B || die "no traffic before blocking"
if lab_tcp $LAB_V4_A $LAB_V4_GW 8080; then
	good "tcp $LAB_V4_A -> $LAB_V4_GW:8080: delivered"
fi

step "Blocking host $LAB_V4_A"
drops0=$(xdp_drops)
run fwctl block $LAB_V4_A --ttl 1h --reason scanner || die "block failed"
ping_from $LAB_V4_A && die "the blocked host still gets through"
lab_tcp $LAB_V4_A $LAB_V4_GW 8080 && die "tcp from the blocked host got through"
bad "tcp $LAB_V4_A -> $LAB_V4_GW:8080: not delivered"
ping_from $LAB_V4_B || die "the other host was dropped too"
drops1=$(xdp_drops)
good "$((drops1 - drops0)) packets from $LAB_V4_A dropped at XDP (before any socket buffer exists)"
run fwctl stats
run fwctl list

step "Unblocking host $LAB_V4_A"
run fwctl unblock $LAB_V4_A || die "unblock failed"
ping_from $LAB_V4_A || die "traffic did not come back"

if [ -n "$keep" ]; then
	step "Lab kept (--keep). Explore, then remove it:"
	echo "    nsenter --net=/run/netns/$LAB_NS_GW $FWCTL --pin-root $LAB_PIN_ROOT list"
	echo "    nsenter --net=/run/netns/$LAB_NS_CLI ping -I $LAB_V4_A $LAB_V4_GW"
	echo "    ip netns del $LAB_NS_CLI; ip netns del $LAB_NS_GW; rm -rf $LAB_PIN_ROOT"
else
	step "Removing the lab"
	lab_cleanup
	trap - EXIT
	good "done"
fi
