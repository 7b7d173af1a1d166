#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# fwctl's interface contract: invalid input gets ONE line naming the bad value and exit 2
# (usage), before anything touches the kernel; --version, help, and JSON on one line.
set -u
: "${FWCTL:?FWCTL must point at the built fwctl}"
fail() {
	echo "FAIL (cli_errors): $*" >&2
	exit 1
}

# expect_usage NEEDLE ARGS...: exit 2, exactly one line on stderr containing NEEDLE, no stdout.
expect_usage() {
	local needle=$1 out err rc
	shift
	err=$(MOAT_PIN_ROOT=/nonexistent/moat-cli-errors "$FWCTL" "$@" 2>&1 >/dev/null)
	rc=$?
	out=$(MOAT_PIN_ROOT=/nonexistent/moat-cli-errors "$FWCTL" "$@" 2>/dev/null)
	[ $rc = 2 ] || fail "fwctl $*: exit $rc, expected 2 (stderr: $err)"
	[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "fwctl $*: not one line: $err"
	case $err in *"$needle"*) ;; *) fail "fwctl $*: '$err' does not name '$needle'" ;; esac
	[ -z "$out" ] || fail "fwctl $*: printed on stdout: $out"
	echo "ok: fwctl $* -> $err"
}

expect_usage "'10.0.0.300'" block 10.0.0.300
expect_usage "'10.0.0.0/33'" block 10.0.0.0/33
expect_usage "'banana'" allow banana
expect_usage "10.0.0.0/8" block 10.1.2.3/8
expect_usage "2001:db8::/32" block 2001:db8::1/32
expect_usage "'0'" block 0.0.0.0/0 --proto tcp --port 0
expect_usage "'65536'" block 0.0.0.0/0 --proto tcp --port 65536
expect_usage "'http'" block 0.0.0.0/0 --proto tcp --port http
expect_usage "'sctp'" block 0.0.0.0/0 --proto sctp --port 80
expect_usage "--port" block 0.0.0.0/0 --proto udp
expect_usage "'sideways'" block 10.0.0.0/8 --dir sideways
expect_usage "'5 min'" block 10.0.0.0/8 --ttl "5 min"
expect_usage "'moat-nope0'" attach moat-nope0
expect_usage "'moat-nope0'" detach moat-nope0
expect_usage "'turbo'" attach lo --xdp-mode turbo
expect_usage "'maybe'" mode maybe
expect_usage "'frobnicate'" frobnicate
expect_usage "'--bogus'" list --bogus
expect_usage "--ttl" unblock 10.0.0.0/8 --ttl 1h
expect_usage "--file" block 10.0.0.0/8 --file /dev/null
expect_usage "missing interface" attach
expect_usage "missing CIDR" block

# Bulk files: every bad line with file:line, then one summary line; still exit 2.
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
printf '10.0.0.0/8\n# comment\n10.0.0.1/8\n\nfd00::1 fd00::2\n' >"$tmp"
err=$(MOAT_PIN_ROOT=/nonexistent/x "$FWCTL" block --file "$tmp" 2>&1 >/dev/null)
rc=$?
[ $rc = 2 ] || fail "bad bulk file: exit $rc"
echo "$err" | grep -q "^fwctl: error: $tmp:3: invalid CIDR '10.0.0.1/8': host bits set (did you mean 10.0.0.0/8?)$" ||
	fail "bulk line 3 message: $err"
echo "$err" | grep -q "$tmp:5: unexpected 'fd00::2'" || fail "bulk line 5 message: $err"
echo "$err" | grep -q "2 invalid lines, nothing was changed" || fail "bulk summary: $err"
expect_usage "cannot open '/nonexistent/list'" block --file /nonexistent/list
echo "ok: bulk file errors name file:line"

"$FWCTL" --version | grep -Eq '^fwctl [0-9]+\.[0-9]+\.[0-9]+$' || fail "--version"
"$FWCTL" help | grep -q "block" || fail "help lists no commands"
"$FWCTL" help block | grep -q -- "--ttl" || fail "help block"
"$FWCTL" block --help | grep -q -- "--ttl" || fail "block --help"
echo "ok: --version, help"
