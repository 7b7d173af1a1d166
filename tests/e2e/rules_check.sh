#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# fwctl without a daemon: `rules check` parses files and directories locally (exit 0 clean,
# 1 with an invalid rule and file:line: sid N: message, 2 for a path that cannot be read,
# --json with every problem); daemon-backed commands exit 3 when the socket is absent. No
# root, no network.
set -u
: "${FWCTL:?FWCTL must point at the built fwctl}"
dir=$(mktemp -d /tmp/moat-rules-check.XXXXXX)
trap 'rm -rf -- "$dir"' EXIT
fail() {
	echo "FAIL (rules_check): $*" >&2
	exit 1
}
mkdir "$dir/rules.d"
cat >"$dir/rules.d/10-good.rules" <<'R'
alert http any any -> any any (msg:"good one"; http.uri; content:"/a"; sid:1; rev:1;)
alert http any any -> any any (msg:"good two"; http.uri; content:"/b"; sid:2; rev:1;)
R
out=$("$FWCTL" rules check "$dir/rules.d") || fail "clean directory: exit $?: $out"
[ "$out" = "rules: 2 loaded, 0 skipped (unsupported), 0 invalid" ] || fail "clean summary: $out"

printf '%s\n%s\n' \
	'alert http any any -> any any (msg:"ok"; http.uri; content:"/c"; sid:3; rev:1;)' \
	'alert http any any -> any any (msg:"bad"; content:; sid:4;)' >"$dir/rules.d/20-bad.rules"
out=$("$FWCTL" rules check "$dir/rules.d")
rc=$?
[ "$rc" = 1 ] || fail "broken file: exit $rc, want 1"
echo "$out" | grep -q "^$dir/rules.d/20-bad.rules:2: sid 4: " || fail "no file:line: sid: $out"
echo "$out" | grep -q "^rules: 3 loaded, 0 skipped (unsupported), 1 invalid$" || fail "summary: $out"

"$FWCTL" --json rules check "$dir/rules.d/20-bad.rules" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["ok"] is False and d["loaded"] == 1 and d["invalid"] == 1, d
p = [x for x in d["problems"] if x["kind"] == "invalid"]
assert len(p) == 1 and p[0]["line"] == 2 and p[0]["sid"] == 4 and p[0]["file"].endswith("20-bad.rules"), p
' || fail "rules check --json"

"$FWCTL" rules check "$dir/nope.rules" 2>"$dir/err"
rc=$?
[ "$rc" = 2 ] || fail "missing path: exit $rc, want 2"
grep -q "nope.rules: No such file or directory" "$dir/err" || fail "missing path: $(cat "$dir/err")"
"$FWCTL" rules check >/dev/null 2>&1
[ $? = 2 ] || fail "check without a path must exit 2"

for cmd in "rules status" "rules reload" "rules list" "config show"; do
	# shellcheck disable=SC2086
	"$FWCTL" --socket "$dir/absent.sock" $cmd >/dev/null 2>"$dir/err"
	rc=$?
	[ "$rc" = 3 ] || fail "$cmd without a daemon: exit $rc, want 3"
	grep -q "cannot reach moatd at $dir/absent.sock" "$dir/err" || fail "$cmd: $(cat "$dir/err")"
done
MOAT_SOCKET=$dir/absent.sock "$FWCTL" rules status >/dev/null 2>&1
[ $? = 3 ] || fail "\$MOAT_SOCKET not honoured"
echo "ok: rules check exit codes, file:line output and --json; daemon commands exit 3 without it"
