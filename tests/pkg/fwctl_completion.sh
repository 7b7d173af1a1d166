#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The generated bash completion, sourced in bash and driven through COMP_WORDS/COMP_CWORD the
# way readline calls it; and every option it offers is one the command really accepts.
set -uo pipefail
tmp=$(mktemp -d "${TMPDIR:-/tmp}/moat-compl.$$.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fails=0
bash -n "$FWCTL_COMPLETION" || { echo "FAIL: completion has a syntax error"; exit 1; }
# shellcheck source=/dev/null
source "$FWCTL_COMPLETION"
complete -p fwctl | grep -q -- '-F _fwctl fwctl' || { echo "FAIL: not registered"; exit 1; }

# expect "LINE" "SORTED EXPECTED WORDS": LINE is what was typed; a trailing space starts a new word
expect() {
    local line=$1 want=$2 got
    read -ra COMP_WORDS <<<"$line"
    [[ $line == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMPREPLY=()
    _fwctl
    got=$(printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort -u | tr '\n' ' ' | sed 's/ $//')
    if [ "$got" != "$want" ]; then
        echo "FAIL: '$line' completes to '$got', expected '$want'"
        fails=$((fails + 1))
    else
        echo "ok: '$line' -> $got"
    fi
}

all=$("$FWCTL" help | sed -n '/^Commands:/,/^$/p' | awk 'NF && !/^Commands:/ {print $1}' | sort | tr '\n' ' ' | sed 's/ $//')
expect "fwctl " "$all"
expect "fwctl at" "attach"
expect "fwctl d" "detach disallow"
expect "fwctl --ver" "--verbose --version"
expect "fwctl --json ru" "rules"
expect "fwctl --socket /nonexistent st" "stats status"
expect "fwctl -v --pin-root /nonexistent/x --json hel" "help"
expect "fwctl help bl" "block"
expect "fwctl attach l" "$(ls /sys/class/net | grep '^l' | sort | tr '\n' ' ' | sed 's/ $//')"
expect "fwctl detach lo" "lo"
expect "fwctl attach lo --x" "--xdp-mode"
expect "fwctl attach lo --xdp-mode " "auto generic native"
expect "fwctl attach lo --xdp-mode g" "generic"
expect "fwctl attach lo --n" "--no-tc"
expect "fwctl block 198.18.0.0/15 --proto u" "udp"
expect "fwctl block 198.18.0.0/15 --dir " "dst src"
expect "fwctl block 198.18.0.0/15 --t" "--ttl"
expect "fwctl block 198.18.0.0/15 --ttl " ""
expect "fwctl unblock 198.18.0.0/15 --r" ""
expect "fwctl allow --proto tcp --po" "--port"
expect "fwctl mode " "allow deny"
expect "fwctl mode allow " ""
expect "fwctl rules " "check disable enable list reload status"
expect "fwctl rules re" "reload"
expect "fwctl rules reload --no" "--no-wait"
expect "fwctl rules list --s" "--sid --socket"
expect "fwctl http block-" "block-host block-method block-uri"
expect "fwctl http u" "unblock-host unblock-method unblock-uri"
expect "fwctl config " "show"
expect "fwctl status --j" "--json"
mkdir -p "$tmp/rules.d" && touch "$tmp/rules.d/a.rules" "$tmp/rules.d/b.rules" "$tmp/list.txt"
expect "fwctl rules check $tmp/rules.d/" "$tmp/rules.d/a.rules $tmp/rules.d/b.rules"
expect "fwctl rules --timeout 5s check $tmp/rules.d/a" "$tmp/rules.d/a.rules"
expect "fwctl rules list $tmp/rules.d/" ""
expect "fwctl rules check $tmp/rules.d/a.rules $tmp/rules.d/b" "$tmp/rules.d/b.rules"
expect "fwctl http block-host " ""
expect "fwctl block --file $tmp/li" "$tmp/list.txt"
expect "fwctl --pin-root $tmp/rul" "$tmp/rules.d"

# Every option the completion offers is accepted by the command (never "unknown option"): the
# usage strings in the command table and the commands' getopt tables agree. Run against pins
# and a socket that do not exist, so nothing can change.
for c in $all; do
    _fwctl_data "$c"
    for o in $opts; do
        args=("$o")
        [[ " $valopts " == *" $o "* ]] && args+=("$tmp/none")
        "$FWCTL" --pin-root "$tmp/nopins" --socket "$tmp/nosock" "$c" "${args[@]}" \
            </dev/null >/dev/null 2>"$tmp/err"
        if grep -q "unknown option" "$tmp/err"; then
            echo "FAIL: completion offers '$c $o' but fwctl refuses it: $(cat "$tmp/err")"
            fails=$((fails + 1))
        fi
    done
done

# The generator on usage forms issue 7 plans (list kinds, flush --yes, top, threshold) that
# fwctl's table may not have yet: the same cli/gendoc.c linked with a fixture table.
"$GENDOC_FIXTURE" bash >"$tmp/fixture.bash" || { echo "FAIL: gendoc_fixture"; exit 1; }
bash -n "$tmp/fixture.bash" || { echo "FAIL: fixture completion has a syntax error"; exit 1; }
# shellcheck source=/dev/null
source "$tmp/fixture.bash"
expect "fwctl " "alerts flush list load stats threshold top"
expect "fwctl l" "list load"
expect "fwctl list " "allows bans blocks ports"
expect "fwctl list b" "bans blocks"
expect "fwctl list bans --sort " "expiry hits"
expect "fwctl list --reason " "auto manual"
expect "fwctl list --reason auto b" "bans blocks"
expect "fwctl list bans " ""
expect "fwctl flush bans --y" "--yes"
expect "fwctl stats --" "--help --json --pin-root --prometheus --socket --watch"
expect "fwctl alerts --since " ""
expect "fwctl top " "offenders rules"
expect "fwctl threshold " "set show"
expect "fwctl threshold set " "ban-time threshold window"
expect "fwctl threshold set w" "window"
expect "fwctl threshold set window " ""
expect "fwctl threshold show " ""
expect "fwctl load $tmp/rules.d/a" "$tmp/rules.d/a.rules"
expect "fwctl load x --format m" "modsec"
[ "$fails" = 0 ] || { echo "$fails failures"; exit 1; }
echo "ok: completion"
