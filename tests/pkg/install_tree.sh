#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# `meson install --destdir` of this build puts the binaries, the systemd unit, the example
# config, the man pages, the bash completion and the starter rules in their places under the
# prefix (and sysconfdir), and nothing anywhere else.
set -euo pipefail
tmp=$(mktemp -d "${TMPDIR:-/tmp}/moat-install.$$.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
d=$tmp/root

meson install -C "$BUILD_ROOT" --destdir "$d" --no-rebuild --quiet >"$tmp/log" 2>&1 ||
    fail "meson install: $(tail -20 "$tmp/log")"

p=$d$PREFIX
case $SYSCONFDIR in /*) etc=$d$SYSCONFDIR ;; *) etc=$p/$SYSCONFDIR ;; esac
for b in moatd fwctl; do
    [ -x "$p/$BINDIR/$b" ] || fail "$PREFIX/$BINDIR/$b not installed"
done
"$p/$BINDIR/fwctl" --version | grep -qx "fwctl $MOAT_VERSION" || fail "installed fwctl --version"
unit=$p/lib/systemd/system/moatd.service
[ -f "$unit" ] || fail "systemd unit not installed"
grep -qx "ExecStart=$PREFIX/$BINDIR/moatd \$MOATD_ARGS" "$unit" || fail "unit's ExecStart: $(grep ExecStart "$unit")"
if command -v systemd-analyze >/dev/null; then
    # the unit is well formed (the binary it names exists at its install path only in DESTDIR)
    systemd-analyze verify --root="$d" "$unit" >"$tmp/verify" 2>&1 || true
    if grep -Ei "unknown (key|section)|invalid|failed to parse" "$tmp/verify"; then
        fail "systemd-analyze verify: $(cat "$tmp/verify")"
    fi
fi
[ -f "$etc/moat/moat.conf.example" ] || fail "example config not in sysconfdir/moat"
man8=$p/$MANDIR/man8/fwctl.8
[ -f "$man8" ] || fail "fwctl.8 not in $PREFIX/$MANDIR/man8"
cmp -s "$man8" "$FWCTL_MAN" || fail "installed fwctl.8 differs from the build's"
cmp -s "$p/$MANDIR/man8/moatd.8" "$SOURCE_ROOT/docs/moatd.8" ||
    fail "moatd.8 not in $PREFIX/$MANDIR/man8 (or differs from docs/moatd.8)"
compl=$p/$DATADIR/bash-completion/completions/fwctl
[ -f "$compl" ] || fail "completion not in $PREFIX/$DATADIR/bash-completion/completions"
bash -n "$compl" || fail "installed completion has a syntax error"
# the starter ruleset and the CRS setup file, as in the source tree
for f in rules/moat-starter.rules crs/moat-crs-setup.conf; do
    cmp -s "$p/$DATADIR/moat/$f" "$SOURCE_ROOT/rules/starter/${f#*/}" ||
        fail "$PREFIX/$DATADIR/moat/$f not installed (or differs from rules/starter/)"
done

# nothing outside the prefix and sysconfdir
(cd "$d" && find . \( -type f -o -type l \) | sed 's/^\.//') >"$tmp/files"
[ -s "$tmp/files" ] || fail "nothing installed"
while IFS= read -r f; do
    case $d$f in
    "$p"/* | "$etc"/*) ;;
    *) fail "installed outside the prefix and sysconfdir: $f" ;;
    esac
done <"$tmp/files"
# and no static library, header or build artefact of ours sneaks in
if grep -E '\.(a|o|h)$|/meson-' "$tmp/files"; then
    fail "build artefacts installed"
fi
echo "ok: $(wc -l <"$tmp/files") files installed under $PREFIX and $SYSCONFDIR:"
sed 's/^/  /' "$tmp/files"
