#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# reaction benchmark driver: builds the three-host lab of the live e2e tests (client, gateway
# running moatd, python3 http.server), gives the client one source address per trial
# (198.18.2.0/23: trials + 100 for the baselines), and runs build/tests/bench/reaction inside the client namespace. Prints the
# JSON of reaction.c. Root only (exit 77 otherwise).
#   tests/bench/reaction.sh [BUILD_DIR] [TRIALS]
set -u
BUILD=$(cd "${1:-build}" && pwd)
TRIALS=${2:-200}
export FWCTL=$BUILD/cli/fwctl MOATD=$BUILD/policyd/moatd
export LAB_QUIET=1
source "$(dirname "$0")/../e2e/live_common.sh"
[ -x "$BUILD/tests/bench/reaction" ] || e2e_fail "build $BUILD/tests/bench/reaction first"
[ "$TRIALS" -ge 1 ] && [ "$TRIALS" -le 400 ] || e2e_fail "trials: 1..400 (sources from one /23)"
live_setup
live_attack_rule
# the bench's probes and requests are not what we measure: no escalation, long bans
live_config "[autoban]
ban-time = 10m"
live_start
for i in $(seq 1 $((TRIALS + 100))); do
	echo "addr add 198.18.$((2 + i / 256)).$((i % 256))/32 dev cli0"
done | lab_cli ip -batch - || e2e_fail "cannot add the client's source addresses"
lab_gw ip route add 198.18.2.0/23 via $LAB_V4_A
# the first source used is 198.18.2.1
lab_cli "$BUILD/tests/bench/reaction" --pin-root "$LAB_PIN_ROOT" --server $LIVE_SRV \
	--port $LIVE_PORT --source-base 198.18.2.1 --trials "$TRIALS"
rc=$?
live_stop TERM
grep -E "worker [0-9]+:|kernel copies" "$LIVE_DIR/moatd.log" >&2
exit $rc
