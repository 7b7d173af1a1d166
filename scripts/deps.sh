#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Installs moat's build, test and demo dependencies from Debian 12 (as root). Idempotent:
# runs apt-get only when a package is missing. With --suricata, also installs Suricata 7 from
# bookworm-backports (the reference engine of the differential tests and benchmarks), through
# a sources file of its own that is removed again afterwards.
set -euo pipefail

PKGS=(
    build-essential pkg-config git meson ninja-build clang llvm lld clang-format
    libclang-rt-14-dev
    libbpf-dev bpftool libelf-dev zlib1g-dev libxdp-dev xdp-tools
    libhyperscan-dev libpcre2-dev libjansson-dev libhtp-dev libpcap-dev
    libnl-3-dev libnl-route-3-dev libmnl-dev libcmocka-dev nettle-dev libmicrohttpd-dev
    libxxhash-dev
    iproute2 iputils-ping netcat-openbsd curl python3 python3-yaml tshark tcpreplay
    libmodsecurity-dev modsecurity-crs libxml2-dev
    libjemalloc-dev
)

want_suricata=0
[ "${1:-}" = --suricata ] && want_suricata=1

install_suricata() {
    command -v suricata >/dev/null && return 0
    local src=/etc/apt/sources.list.d/moat-bookworm-backports.sources
    echo "deps: installing suricata from bookworm-backports" >&2
    cat >"$src" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    trap 'rm -f "$src"' EXIT
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        -t bookworm-backports suricata >/dev/null
    rm -f "$src"
    trap - EXIT
    # Only the package is wanted, not a running IDS on this host.
    systemctl disable --now suricata >/dev/null 2>&1 || true
}

missing=()
for p in "${PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    if [ $want_suricata = 1 ] && [ "$(id -u)" = 0 ]; then
        install_suricata
    fi
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "deps: missing packages (${missing[*]}); run as root to install them" >&2
    exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
[ $want_suricata = 1 ] && install_suricata
exit 0
