#!/usr/bin/env python3
"""Markdown tables from bench_dataplane's JSON output (--benchmark_out).

Usage: python3 bench/dataplane_table.py /tmp/bench_dataplane.json

One table per memory mode (no hugepages / hugepages): a row per device, Mpps
per system, and the ratios the issue's targets are about (XDP_TX against
testpmd io forwarding, the load balancer against it). With repetitions, the
median of each benchmark is used. Runs that failed are shown with their error
below the tables.
"""
import json
import statistics
import sys
from collections import defaultdict

SYSTEMS = [
    ("testpmd_io", "testpmd io"),
    ("testpmd_io_4k", "testpmd io, 4 KiB mbufs"),
    ("testpmd_bpf_drop", "testpmd + rte_bpf JIT, drop"),
    ("testpmd_bpf_mac_swap", "testpmd + rte_bpf JIT, MAC swap"),
    ("xdpdk_drop", "xdpdk XDP_DROP"),
    ("xdpdk_tx_empty", "xdpdk XDP_TX, empty program"),
    ("xdpdk_mac_swap", "xdpdk XDP_TX mac_swap"),
    ("xdpdk_load_balancer", "xdpdk load balancer"),
]
DEVICES = [
    ("pcap64", "net_pcap, 64 B"),
    ("pcap_imix", "net_pcap, IMIX"),
    ("null64", "net_null, 64 B"),
]
MODES = [("nohuge", "Without hugepages (`--no-huge -m 1024`)"), ("huge", "With hugepages (2 MiB, `-m 1024`)")]


def main(path):
    with open(path) as f:
        data = json.load(f)
    mpps = defaultdict(list)
    rss = defaultdict(list)
    labels = {}
    errors = {}
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate":
            continue
        name = b.get("run_name", b["name"]).split("/iterations")[0]
        if b.get("error_occurred"):
            errors[name] = b.get("error_message", "error")
            continue
        mpps[name].append(b["Mpps"])
        rss[name].append(b["RSS_MiB"])
        if b.get("label"):
            labels[name] = b["label"]

    def value(name):
        return statistics.median(mpps[name]) if mpps.get(name) else None

    for mode, title in MODES:
        if not any(k.startswith(mode + "/") for k in list(mpps) + list(errors)):
            continue
        print(f"#### {title}\n")
        print("| device | " + " | ".join(t for _, t in SYSTEMS)
              + " | empty TX / io | XDP_TX / io | LB / io | XDP_TX / io 4 KiB | LB / io 4 KiB |")
        print("|---" * (len(SYSTEMS) + 6) + "|")
        for dev, dev_title in DEVICES:
            cells = []
            for sys_name, _ in SYSTEMS:
                v = value(f"{mode}/{dev}/{sys_name}")
                cells.append("n/a" if v is None else f"{v:.2f}")
            io = value(f"{mode}/{dev}/testpmd_io")
            io4k = value(f"{mode}/{dev}/testpmd_io_4k")
            empty = value(f"{mode}/{dev}/xdpdk_tx_empty")
            tx = value(f"{mode}/{dev}/xdpdk_mac_swap")
            lb = value(f"{mode}/{dev}/xdpdk_load_balancer")
            ratio = lambda x, base: "n/a" if x is None or not base else f"{100 * x / base:.0f}%"
            print(f"| {dev_title} | " + " | ".join(cells)
                  + f" | {ratio(empty, io)} | {ratio(tx, io)} | {ratio(lb, io)} | {ratio(tx, io4k)} | {ratio(lb, io4k)} |")
        print()
        rss_rows = [(k, statistics.median(v)) for k, v in sorted(rss.items()) if k.startswith(mode + "/")]
        if rss_rows:
            by_system = defaultdict(list)
            for k, v in rss_rows:
                by_system[k.split("/")[2]].append(v)
            parts = [f"{s} {max(by_system[s]):.0f} MiB" for s, _ in SYSTEMS if s in by_system]
            print("Peak RSS (largest over the devices): " + ", ".join(parts) + "\n")
        shares = [f"{k.split('/', 1)[1]}: {labels[k]}" for k in sorted(labels) if k.startswith(mode + "/")]
        if shares:
            print("Verdicts (share of packets with the program's main action): " + "; ".join(shares) + "\n")
    for name, err in sorted(errors.items()):
        print(f"- `{name}`: {err}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
