#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Fails when a tracked C file differs from what clang-format makes of it.
set -eu
cd "$1"
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
[ -n "$files" ] || exit 0
# shellcheck disable=SC2086
clang-format --dry-run --Werror $files
