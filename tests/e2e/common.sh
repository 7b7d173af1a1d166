#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Shared helpers for the e2e tests: sourced. Needs $FWCTL (the built fwctl); the lab lives in
# ../lab/lab.sh. Each test builds its own lab with its own pin root and removes both on exit.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lab/lab.sh
source "$E2E_DIR/../lab/lab.sh"

: "${FWCTL:?FWCTL must point at the built fwctl}"
LAB_QUIET=${LAB_QUIET-1}
E2E_NAME=$(basename "$0" .sh)

e2e_fail() {
	echo "FAIL ($E2E_NAME): $*" >&2
	if [ -n "${LAB_NS_GW:-}" ] && [ -e "/run/netns/$LAB_NS_GW" ]; then
		echo "--- fwctl stats" >&2
		fw stats >&2 || true
		echo "--- fwctl list" >&2
		fw list 2>&1 | head -20 >&2 || true
	fi
	exit 1
}

e2e_ok() {
	echo "ok: $*"
}

# fwctl inside the gateway namespace, with this test's pin root.
fw() {
	lab_gw "$FWCTL" --pin-root "$LAB_PIN_ROOT" "$@"
}

# fw_ok ARGS...: run fwctl, fail the test if it fails.
fw_ok() {
	local out
	if ! out=$(fw "$@" 2>&1); then
		e2e_fail "fwctl $* failed: $out"
	fi
	[ -z "$out" ] || echo "  fwctl $*: $out"
}

# Reads one counter from `fwctl stats --json`: counter HOOK VERDICT REASON [packets|bytes]
counter() {
	fw stats --json | python3 -c '
import json, sys
hook, verdict, reason, field = sys.argv[1:5]
d = json.load(sys.stdin)
print(sum(c[field] for c in d["counters"]
          if c["hook"] == hook and c["verdict"] == verdict and c["reason"] == reason))
' "$1" "$2" "$3" "${4:-packets}"
}

# expect_increase BEFORE AFTER WHAT
expect_increase() {
	[ "$2" -gt "$1" ] || e2e_fail "$3 did not increase ($1 -> $2)"
}

expect_same() {
	[ "$2" -eq "$1" ] || e2e_fail "$3 changed ($1 -> $2)"
}

# Builds the lab and attaches moat to gw0 (extra args go to `fwctl attach`).
e2e_setup() {
	lab_require_root
	[ -x "$FWCTL" ] || e2e_fail "fwctl not found at $FWCTL"
	lab_setup || e2e_fail "cannot build the lab"
	fw_ok attach "$LAB_IF" "$@"
}
