#!/usr/bin/env python3
"""bench_fib's JSON as the FIB table of bench/README.md: per case, the
median of xdpdk's JIT and interpreter (CPU time per packet) and of the
kernel's JIT (BPF_PROG_TEST_RUN's own duration per run).

    build/bench/bench_fib --benchmark_min_time=0.2 --benchmark_repetitions=7 \
        --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true \
        --benchmark_out=/tmp/bench_fib.json --benchmark_out_format=json
    python3 bench/fib_table.py /tmp/bench_fib.json
"""
import json
import sys

KINDS = [("jit", "xdpdk JIT"), ("interp", "interpreter"), ("kernel_jit", "kernel JIT")]


def main(path):
    with open(path) as f:
        doc = json.load(f)
    cells, verdicts, cases = {}, {}, []
    for b in doc["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        kind, _, case = b["run_name"].split("/")[:3]
        if case not in cases:
            cases.append(case)
        ns = b["real_time"] if kind == "kernel_jit" else b["cpu_time"]
        cells[(kind, case)] = "%.0f ns" % ns
        verdicts[case] = b.get("label", "")
    print("| case | verdict | " + " | ".join(h for _, h in KINDS) + " |")
    print("|---|---|" + "---:|" * len(KINDS))
    for case in cases:
        row = [cells.get((k, case), "n/a") for k, _ in KINDS]
        print("| %s | %s | %s |" % (case, verdicts[case], " | ".join(row)))


if __name__ == "__main__":
    main(sys.argv[1])
