#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# docs/moatd.8 is well-formed roff (groff -ww: no warning) and describes every option moatd
# takes: each option of `moatd --help` and of moatd.c's getopt string has a .TP entry, and
# every .TP option of the page is one moatd takes (nothing removed stays documented).
# usage: moatd_man.sh MOATD SOURCE_ROOT
set -euo pipefail
moatd=$1 root=$2
man=$root/docs/moatd.8
fail() { echo "FAIL: $*" >&2; exit 1; }

command -v groff >/dev/null || { echo "groff not installed"; exit 77; }
warn=$(groff -ww -z -man "$man" 2>&1) || fail "groff: $warn"
[ -z "$warn" ] || fail "groff -ww -z -man $man: $warn"

# the options of the page: the first word(s) of each .TP entry in OPTIONS
page_opts=$(awk '/^\.SH OPTIONS/{o=1; next} /^\.SH/{o=0} o && prev==".TP"{print} {prev=$0}' "$man" |
    grep -oE '\\-(\\-[a-z-]+|[A-Za-z])' | sed 's/\\//g' | sort -u)
[ -n "$page_opts" ] || fail "no options found in $man's OPTIONS section"

help=$("$moatd" --help) || fail "moatd --help failed"
help_opts=$(grep -oE '^ +(-[A-Za-z](, --[a-z-]+)?|--[a-z-]+)' <<<"$help" | grep -oE -- '--?[A-Za-z-]+' | sort -u)
[ -n "$help_opts" ] || fail "no options read from moatd --help"

# getopt: short letters and long names in policyd/moatd.c
src=$root/policyd/moatd.c
short=$(grep -oE 'getopt_long\(argc, argv, "[^"]+"' "$src" | sed -E 's/.*"([^"]+)"/\1/' | tr -d ':' | grep -oE '[A-Za-z]' | sed 's/^/-/')
long=$(sed -n '/struct option opts\[\]/,/};/p' "$src" | grep -oE '\{ "[a-z-]+"' | sed -E 's/\{ "/--/; s/"//')
[ -n "$short" ] && [ -n "$long" ] || fail "getopt options not found in $src: update this test"

missing=
for o in $help_opts $short $long; do
    grep -qx -- "$o" <<<"$page_opts" || missing+=" $o"
done
[ -z "$missing" ] || fail "options of moatd not described in $man:$missing"
for o in $page_opts; do
    grep -qx -- "$o" <<<"$(printf '%s\n' $short $long)" || fail "$man describes $o, which moatd does not take"
    grep -qx -- "$o" <<<"$help_opts" || fail "$man describes $o, but moatd --help does not list it"
done
echo "ok: $(wc -w <<<"$page_opts") options agree between moatd --help, getopt and $man; groff -ww clean"
