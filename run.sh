#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build, and run the main job
# on bundled defaults: replay the bundled hello-world XDP program over the
# bundled pcap, with its bpf_printk trace and final map contents.
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh
scripts/build.sh >/dev/null
mkdir -p out
build/dataplane/xdpdk replay build/progs/hello.o pcaps/sample.pcap --trace --out out --maps-out out/maps.json "$@"
echo "maps after the run (out/maps.json):"
cat out/maps.json
echo
echo "packets the program passed: out/pass.pcap"
