#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# docs/fwctl.md is what `fwctl --gen-doc markdown` prints now (else: run
# `ninja -C build update-fwctl-doc`), and `fwctl help`, `fwctl help CMD` and `fwctl --version`
# say what the generated docs say.
set -euo pipefail
tmp=$(mktemp -d "${TMPDIR:-/tmp}/moat-docfresh.$$.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$FWCTL" --gen-doc markdown >"$tmp/fwctl.md"
if ! diff -u "$SOURCE_ROOT/docs/fwctl.md" "$tmp/fwctl.md"; then
    fail "docs/fwctl.md is stale: run 'ninja -C build update-fwctl-doc' and commit it"
fi

[ "$("$FWCTL" --version)" = "fwctl $MOAT_VERSION" ] || fail "fwctl --version: $("$FWCTL" --version)"
grep -q "(moat $MOAT_VERSION)" "$tmp/fwctl.md" || fail "version missing from fwctl.md"
grep -q "^\.TH FWCTL 8 .*\"moat $MOAT_VERSION\"" "$FWCTL_MAN" || fail "version missing from fwctl.8"

# Every command of `fwctl help` has its section in the reference with the same usage and summary.
"$FWCTL" help >"$tmp/help"
cmds=$(sed -n '/^Commands:/,/^$/p' "$tmp/help" | awk 'NF && !/^Commands:/ {print $1}')
[ "$(echo "$cmds" | wc -l)" -ge 10 ] || fail "fwctl help lists too few commands: $cmds"
for c in $cmds; do
    "$FWCTL" help "$c" >"$tmp/h.$c"
    usage=$(sed -n '1s/^usage: fwctl \[--pin-root DIR\] \[--socket PATH\] \[--json\] //p' "$tmp/h.$c")
    summary=$(sed -n '2s/^  //p' "$tmp/h.$c")
    [ -n "$usage" ] && [ -n "$summary" ] || fail "fwctl help $c: unexpected format"
    grep -qxF "### $c" "$tmp/fwctl.md" || fail "no section for '$c' in fwctl.md"
    grep -qxF "fwctl $usage" "$tmp/fwctl.md" || fail "usage of '$c' differs in fwctl.md"
    grep -qxF "$summary." "$tmp/fwctl.md" || fail "summary of '$c' differs in fwctl.md"
    grep -qxF ".SS $c" "$FWCTL_MAN" || fail "no section for '$c' in fwctl.8"
    # each detail line of `fwctl help CMD` is a line of the reference (hard break '\' aside)
    tail -n +3 "$tmp/h.$c" | sed 's/^  //' | while IFS= read -r line; do
        grep -qxF -e "$line" -e "$line\\" "$tmp/fwctl.md" || fail "'$c' detail differs: $line"
    done
done
# and nothing more: the reference has no command that fwctl does not know. A here-string, not
# `echo "$cmds" | grep -q`: grep -q exits at the first match, and bash's echo writes its
# (line-buffered) output a line at a time, so a later write can hit the closed pipe; the
# SIGPIPE'd echo (141) then fails the pipeline under pipefail though the command is there.
for c in $(sed -n 's/^### //p' "$tmp/fwctl.md"); do
    grep -qxF -- "$c" <<<"$cmds" || fail "fwctl.md documents unknown command '$c'"
done

# an unknown format is a usage error
rc=0; "$FWCTL" --gen-doc roff >/dev/null 2>"$tmp/err" || rc=$?
[ "$rc" = 2 ] && grep -q "unknown format 'roff'" "$tmp/err" || fail "--gen-doc roff: rc=$rc"
echo "ok: docs/fwctl.md fresh, $(echo "$cmds" | wc -w) commands consistent with fwctl help and fwctl.8"
