#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build, and run the main job
# on bundled defaults: the pcap demo of the DPDK dataplane
# (configs/pcap-demo.toml): the sample load balancer attached to a net_pcap
# port reading pcaps/lb_traffic.pcap, XDP_TX packets written to out/tx.pcap
# and XDP_PASS packets to out/pass.pcap (port 1), then the summary.
# Extra arguments go to `xdpdk run` (e.g. `./run.sh -- --json`).
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh
scripts/build.sh >/dev/null
mkdir -p out
build/dataplane/xdpdk run --config configs/pcap-demo.toml "$@"
echo "packets sent back out of port 0 (XDP_TX): out/tx.pcap; passed to the host side (port 1): out/pass.pcap"
