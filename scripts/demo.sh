#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# README command (1): install dependencies, build, run the demo lab in network namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
exec tests/lab/demo.sh "$@"
