#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# fwctl.8 renders without a single groff warning (all warnings enabled), and `man -l` shows
# every section and every command.
set -euo pipefail
tmp=$(mktemp -d "${TMPDIR:-/tmp}/moat-man.$$.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v groff >/dev/null || { echo "groff not installed"; exit 77; }

groff -ww -z -man "$FWCTL_MAN" 2>"$tmp/warn" || fail "groff failed: $(cat "$tmp/warn")"
[ ! -s "$tmp/warn" ] || fail "groff warnings: $(cat "$tmp/warn")"
# also through mandoc-style lint of the man macros' own checks (-rCHECKSTYLE)
groff -ww -z -rCHECKSTYLE=3 -man "$FWCTL_MAN" 2>"$tmp/warn" || true
[ ! -s "$tmp/warn" ] || fail "man style warnings: $(cat "$tmp/warn")"

if command -v man >/dev/null; then
    MANWIDTH=80 man -l "$FWCTL_MAN" 2>"$tmp/warn" | col -bx | tr -s ' ' >"$tmp/out"
    [ ! -s "$tmp/warn" ] || fail "man -l warnings: $(cat "$tmp/warn")"
else
    groff -man -Tutf8 -P-c "$FWCTL_MAN" | tr -s ' ' >"$tmp/out"
fi
for s in NAME SYNOPSIS DESCRIPTION "GLOBAL OPTIONS" COMMANDS "EXIT STATUS" ENVIRONMENT FILES; do
    grep -qx "$s" "$tmp/out" || fail "section $s missing"
done
n=0
for c in $("$FWCTL" help | sed -n '/^Commands:/,/^$/p' | awk 'NF && !/^Commands:/ {print $1}'); do
    grep -q "^ *fwctl $c\b" "$tmp/out" || fail "command $c missing from the rendered page"
    n=$((n + 1))
done
# hyphens of options are minus signs in the source (so they can be copied and searched)
grep -q -- '--xdp-mode' "$tmp/out" || fail "options not rendered with ASCII hyphens"
if grep -n '[^\\]--' "$FWCTL_MAN" | grep -v '^[0-9]*:\.\\"' >"$tmp/bad"; then
    fail "unescaped '--' in fwctl.8: $(head -3 "$tmp/bad")"
fi
# the generator's roff on a fixture table (other usage forms, multi-line details) is clean too
"$GENDOC_FIXTURE" man >"$tmp/fixture.8"
groff -ww -z -man "$tmp/fixture.8" 2>"$tmp/warn" || fail "groff failed on the fixture page"
[ ! -s "$tmp/warn" ] || fail "groff warnings on the fixture page: $(cat "$tmp/warn")"
echo "ok: fwctl.8 renders with no warnings, $n commands"
