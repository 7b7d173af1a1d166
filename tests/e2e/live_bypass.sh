#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Copies are bounded: with a 4 KiB inspection depth (kernel and engine), a TCP flow whose two
# sides each send 8 KiB reaches the depth in both directions; the engine is done with it and
# marks it bypassed in the kernel, so the 64 KiB each side sends afterwards are not copied at
# all (the kernel's bypassed counter), while the data itself arrives whole.
set -u
source "$(dirname "$0")/live_common.sh"
live_setup
live_config "depth = 4kb
[set]
stream.reassembly.depth = 4kb"
live_start

send() { # first burst, pause, second burst
	head -c 8192 /dev/zero
	sleep 1
	head -c 65536 /dev/zero
}
send | nsenter --net=/run/netns/"$LAB_NS_SRV" timeout 10 nc -N -l -n $LIVE_SRV 9000 \
	>"$LIVE_DIR/srv.out" 2>/dev/null &
srv=$!
wait_until 3 lab_srv_listening || true
got=$(send | lab_cli timeout 10 nc -N -n -s $LAB_V4_A $LIVE_SRV 9000 | wc -c)
wait $srv
[ "$got" = $((8192 + 65536)) ] || e2e_fail "client got $got bytes"
[ "$(wc -c <"$LIVE_DIR/srv.out")" = $((8192 + 65536)) ] || e2e_fail "server got too little"
e2e_ok "72 KiB each way through the gateway, whole"

sleep 1 # worker counters are published every 100 ms
live_stop TERM || e2e_fail "moatd exited with an error"
bypassed=$(sed -n 's/.*kernel copies: .*, \([0-9]*\) bypassed$/\1/p' "$LIVE_DIR/moatd.log" | tail -1)
workers=$(sed -n 's/.*worker [0-9]*: .* \([0-9]*\) flows bypassed.*/\1/p' "$LIVE_DIR/moatd.log" |
	awk '{s += $1} END {print s + 0}')
[ "$workers" -ge 1 ] || e2e_fail "no flow marked bypassed by the workers"
[ "${bypassed:-0}" -ge 10 ] || e2e_fail "the kernel skipped too few copies (${bypassed:-none})"
e2e_ok "finished flow bypassed: $workers flow(s) marked, $bypassed packet copies skipped"
