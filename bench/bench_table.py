#!/usr/bin/env python3
"""Turns bench_vm's JSON output into the per-packet table of bench/README.md.

    build/bench/bench_vm --benchmark_min_time=0.2 --benchmark_repetitions=3 \
        --benchmark_report_aggregates_only=true \
        --benchmark_filter='^(jit|interp|native|rte_jit|kernel_jit|kernel_jit_fresh)/' \
        --benchmark_out=/tmp/bench_vm.json --benchmark_out_format=json
    python3 bench/bench_table.py /tmp/bench_vm.json

xdpdk, librte_bpf and native rows report CPU time per packet; kernel rows
report the kernel's own average duration (manual time). With repetitions,
the median is used.
"""
import json
import sys

ROWS = ["jit", "interp", "kernel_jit", "kernel_jit_fresh", "rte_jit", "native"]
HEADERS = {
    "jit": "xdpdk JIT",
    "interp": "interpreter",
    "kernel_jit": "kernel JIT, repeat=1M",
    "kernel_jit_fresh": "kernel JIT, repeat=1",
    "rte_jit": "librte_bpf JIT",
    "native": "native C++ -O2",
}


def load(path):
    with open(path) as f:
        doc = json.load(f)
    results = {}  # (kind, scenario, len) -> dict(ns=, label=, error=)
    for b in doc["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        name = b.get("run_name", b["name"])
        parts = name.split("/")  # kind/scenario/len[/iterations:N/manual_time]
        if len(parts) < 3 or parts[0] not in ROWS:
            continue
        key = (parts[0], parts[1], int(parts[2]))
        if b.get("error_occurred"):
            results[key] = {"error": b.get("error_message", "error")}
            continue
        manual = parts[0].startswith("kernel")
        ns = b["real_time" if manual else "cpu_time"]
        assert b.get("time_unit", "ns") == "ns", name
        label = b.get("label", "")
        if key in results and "ns" in results[key] and b.get("run_type") != "aggregate":
            continue  # keep the first plain run when there are no aggregates
        results[key] = {"ns": ns, "label": label}
    return results


def fmt(ns):
    return f"{ns:.1f}" if abs(ns) < 100 else f"{ns:.0f}"


NET_ROWS = ["jit", "kernel", "rte_jit", "native"]
NET_HEADERS = {"jit": "xdpdk JIT", "kernel": "kernel JIT", "rte_jit": "librte_bpf JIT", "native": "native C++ -O2"}


def print_net_table(results, scenarios, kernel_estimate):
    """Each runner's time less its own time for xdp_pass at the same frame
    length: what the program costs beyond an empty program (harness, entry
    and exit, the kernel's test loop)."""

    def value(kind, scen, length):
        if kind == "kernel":
            ns, _ = kernel_estimate(scen, length)
            return ns
        return results.get((kind, scen, length), {}).get("ns")

    def ratio(num, den):
        # Below a nanosecond the difference is noise, not a program's cost.
        if num is None or den is None or num < 1.0 or den < 1.0:
            return "-"
        return f"{num / den:.2f}"

    print()
    head = ["program", "frame"] + [NET_HEADERS[k] for k in NET_ROWS] + ["kernel / JIT", "JIT / native"]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(["---"] * 2 + ["---:"] * (len(head) - 2)) + "|")
    for scen, length in scenarios:
        if scen == "xdp_pass":
            continue
        net = {}
        for kind in NET_ROWS:
            v, base = value(kind, scen, length), value(kind, "xdp_pass", length)
            net[kind] = v - base if v is not None and base is not None else None
        cells = [scen, str(length)] + [fmt(net[k]) if net[k] is not None else "-" for k in NET_ROWS]
        cells += [ratio(net["kernel"], net["jit"]), ratio(net["jit"], net["native"])]
        print("| " + " | ".join(cells) + " |")


def main(paths):
    results = {}
    for p in paths:
        results.update(load(p))
    # The samples' order (tests/tools/sample_scenarios.cc); runs with random
    # interleaving write them in any order.
    known = ["xdp_pass", "xdp_drop", "mac_swap", "pkt_counter", "firewall", "load_balancer", "redirect_paired",
             "tail_calls", "meta_tail", "global_config_defaults", "global_config_set"]
    scenarios = sorted({(scen, length) for _, scen, length in results},
                       key=lambda sl: (known.index(sl[0]) if sl[0] in known else len(known), sl[0], sl[1]))

    notes = []  # distinct error texts, numbered

    def note(text):
        if text not in notes:
            notes.append(text)
        return notes.index(text) + 1

    def kernel_estimate(scen, length):
        """The kernel's cost for the program on a fresh packet: repeat=1M
        where that repeats the same path, else the repeat=1 time less what
        repeat=1 adds (measured on xdp_pass)."""
        fresh = results.get(("kernel_jit_fresh", scen, length), {})
        if scen != "xdp_pass" and "ns" in fresh:
            p1 = results.get(("kernel_jit_fresh", "xdp_pass", length), {})
            pm = results.get(("kernel_jit", "xdp_pass", length), {})
            if "ns" in p1 and "ns" in pm:
                return fresh["ns"] - (p1["ns"] - pm["ns"]), True
            return None, False
        rep = results.get(("kernel_jit", scen, length), {})
        return rep.get("ns"), False

    head = ["program", "frame", "verdict"] + [HEADERS[k] for k in ROWS] + [
        "JIT speed-up over interp", "kernel / JIT", "JIT / native"]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(["---"] * 3 + ["---:"] * (len(head) - 3)) + "|")
    for scen, length in scenarios:
        interp = results.get(("interp", scen, length), {})
        verdict = interp.get("label", "?")
        cells = [scen, str(length), verdict]
        for kind in ROWS:
            r = results.get((kind, scen, length))
            if r is None:
                cells.append("-")
            elif "error" in r:
                short = "pending" if "pending" in r["error"] else "n/a"
                cells.append(f"{short} [{note(r['error'])}]")
            else:
                text = fmt(r["ns"])
                if kind == "kernel_jit":
                    kverdict = r["label"].split(" ")[0]
                    stale = ("kernel_jit_fresh", scen, length) in results and scen != "xdp_pass"
                    if kverdict != verdict or stale:
                        text = f"({text}, {kverdict})"
                cells.append(text)
        jit = results.get(("jit", scen, length), {}).get("ns")
        nat = results.get(("native", scen, length), {}).get("ns")
        kern, estimated = kernel_estimate(scen, length)
        if jit:
            cells.append(f"{interp['ns'] / jit:.1f}x" if "ns" in interp else "-")
            cells.append((f"≈{kern / jit:.2f}" if estimated else f"{kern / jit:.2f}") if kern else "-")
            cells.append(f"{jit / nat:.2f}" if nat else "-")
        else:
            cells += ["-", "-", "-"]
        print("| " + " | ".join(cells) + " |")
    print_net_table(results, scenarios, kernel_estimate)
    if notes:
        print()
        for i, text in enumerate(notes, 1):
            print(f"[{i}] {text}")
            print()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
