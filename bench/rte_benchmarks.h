// DPDK's librte_bpf JIT on the sample programs it can run. librte_bpf runs
// eBPF on an rte_mbuf (or a raw pointer) and knows no XDP context, maps or
// kernel helpers: it links a program only against external symbols the
// application provides. So xdp_pass and xdp_drop (which never touch their
// context) run from the samples' own objects, and mac_swap, pkt_counter and
// global_config from variants written against an rte_mbuf (bench/progs),
// with their counters and knobs as external variables bound to the VM's map
// memory. The other samples need what librte_bpf lacks; their rows say what.
#pragma once

#include <cstddef>

#include "tests/tools/sample_scenarios.h"

namespace xdpdk::bench {

// "rte_jit/<scenario>/<len>": the librte_bpf JIT'ed code called directly on
// an rte_mbuf holding the scenario's packet, put back between runs, after a
// check that its steady-state verdict and packet equal the interpreter's.
// Scenarios without a variant are registered too and report why (an error
// row, "n/a: ...").
void register_rte_benchmark(const test::SampleScenario& s, size_t frame_len);

}  // namespace xdpdk::bench
