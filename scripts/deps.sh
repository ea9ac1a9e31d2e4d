#!/usr/bin/env bash
# Installs the Debian 12 packages xdpdk builds and tests with, if any are
# missing. Safe to run repeatedly: it does nothing when all are present.
set -euo pipefail

# clang-15: bpf_core_type_matches (tests/progs/core), which clang 14 aborts on.
packages=(
  build-essential pkg-config meson ninja-build clang llvm lld libclang-rt-14-dev
  libdpdk-dev dpdk dpdk-dev libasmjit-dev libpcap-dev libbpf-dev libelf-dev
  nlohmann-json3-dev libcli11-dev libcapstone-dev libtomlplusplus-dev
  googletest libgtest-dev libbenchmark-dev iproute2 ethtool python3 bpftool clang-15
  libsodium-dev tcpdump
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
