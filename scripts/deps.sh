#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Installs moat's build, test and demo dependencies from Debian 12 (as root). Idempotent:
# runs apt-get only when a package is missing.
set -euo pipefail

PKGS=(
    build-essential pkg-config git meson ninja-build clang llvm lld clang-format
    libclang-rt-14-dev
    libbpf-dev bpftool libelf-dev zlib1g-dev libxdp-dev xdp-tools
    libhyperscan-dev libpcre2-dev libjansson-dev libhtp-dev libpcap-dev
    libnl-3-dev libnl-route-3-dev libmnl-dev libcmocka-dev
    iproute2 iputils-ping netcat-openbsd curl python3 python3-yaml tshark tcpreplay
    libmodsecurity-dev modsecurity-crs
)

missing=()
for p in "${PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
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
