#!/usr/bin/env python3
"""bench_filter's JSON as the classic BPF table of bench/README.md: per
expression, the median ns per packet of xdpdk's JIT and interpreter and of
libpcap's pcap_offline_filter (CPU time), and of the kernel's JIT
(BPF_PROG_TEST_RUN's own duration per run), with the JIT's ratios.

    build/bench/bench_filter --benchmark_min_time=0.2 --benchmark_repetitions=7 \\
        --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true \\
        --benchmark_out=/tmp/bench_filter.json --benchmark_out_format=json
    python3 bench/filter_table.py /tmp/bench_filter.json
"""
import json
import sys

KINDS = [("jit", "xdpdk JIT"), ("interp", "interpreter"), ("libpcap", "libpcap"), ("kernel_jit", "kernel JIT"),
         ("jit_repeat", "xdpdk JIT, kernel's way")]
EXPRESSIONS = {
    "tcp": "tcp",
    "host": "host 10.0.0.1",
    "tcp_port_80": "tcp port 80",
    "tcp_syn": "tcp[tcpflags] & tcp-syn != 0",
    "vlan_udp": "vlan and udp",
    "chain": "an and/or chain (below)",
}


def main(path):
    with open(path) as f:
        doc = json.load(f)
    ns, labels, cases = {}, {}, []
    for b in doc["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        kind, case = b["run_name"].split("/")[:2]
        if case not in cases:
            cases.append(case)
        ns[(kind, case)] = b["ns_per_packet"] * 1e9 if "ns_per_packet" in b else None
        labels[case] = b.get("label", "")
    print("| filter | matches | " + " | ".join(h for _, h in KINDS) +
          " | JIT / libpcap | JIT / kernel | kernel's way: JIT / kernel |")
    print("|---|---|" + "---:|" * (len(KINDS) + 3))
    cases.sort(key=lambda c: list(EXPRESSIONS).index(c) if c in EXPRESSIONS else len(EXPRESSIONS))
    for case in cases:
        row = ["%.1f ns" % ns[(k, case)] if ns.get((k, case)) else "n/a" for k, _ in KINDS]
        jit, pcap, kern = ns.get(("jit", case)), ns.get(("libpcap", case)), ns.get(("kernel_jit", case))
        ratio = lambda a, b: "%.2f" % (a / b) if a and b else "n/a"
        shown = EXPRESSIONS.get(case, case)
        shown = shown if case == "chain" else "`%s`" % shown
        print("| %s | %s | %s | %s | %s | %s |" % (shown, labels[case], " | ".join(row), ratio(jit, pcap),
                                                    ratio(jit, kern), ratio(ns.get(("jit_repeat", case)), kern)))


if __name__ == "__main__":
    main(sys.argv[1])
