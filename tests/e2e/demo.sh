#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The README's demo (tests/lab/demo.sh) runs to the end and leaves nothing behind.
set -u
: "${FWCTL:?FWCTL must point at the built fwctl}"
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root" >&2
	exit 77
fi
dir=$(cd "$(dirname "$0")/../lab" && pwd)
export DEMO_ID=e2e$$
out=$("$dir/demo.sh" 2>&1)
rc=$?
echo "$out"
[ $rc = 0 ] || { echo "FAIL: demo exited $rc" >&2; exit 1; }
echo "$out" | grep -q "dropped at XDP" || { echo "FAIL: demo did not show XDP drops" >&2; exit 1; }
# Piped output carries no colour codes.
if printf '%s' "$out" | grep -q $'\e\['; then
	echo "FAIL: colour codes in piped output" >&2
	exit 1
fi
if ip netns list | grep -q "^moat-$DEMO_ID-" || [ -e /sys/fs/bpf/moat-demo-$DEMO_ID ]; then
	echo "FAIL: demo left its namespaces or pins behind" >&2
	exit 1
fi
echo "ok: demo ran and cleaned up"
