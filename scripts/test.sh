#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# README command (2): install dependencies, build, and run every test suite, in the plain
# build and (unit, bpf, corpus, fuzz-regress) under ASan+UBSan. Ends with
# "N passed, N failed, N skipped" summed over both builds.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh --suricata

setup() {
    local dir=$1; shift
    if [ -f "$dir/build.ninja" ]; then
        meson setup --reconfigure "$dir" "$@" >/dev/null
    else
        meson setup "$dir" "$@" >/dev/null
    fi
}

setup build -Dwerror=true
ninja -C build
setup build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false
ninja -C build-asan

export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

meson test -C build --print-errorlogs --timeout-multiplier 2 || true
meson test -C build-asan --print-errorlogs --timeout-multiplier 3 \
    --suite unit --suite bpf --suite corpus --suite fuzz-regress || true

exec python3 scripts/summary.py build/meson-logs/testlog.json build-asan/meson-logs/testlog.json
