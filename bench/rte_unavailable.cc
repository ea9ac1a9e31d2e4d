// Built when libdpdk is not found: the librte_bpf rows say so.
#include <benchmark/benchmark.h>

#include <string>

#include "rte_benchmarks.h"

namespace xdpdk::bench {

void register_rte_benchmark(const test::SampleScenario& s, size_t frame_len) {
    const std::string name = "rte_jit/" + s.name + "/" + std::to_string(frame_len);
    benchmark::RegisterBenchmark(name.c_str(), [](benchmark::State& st) {
        st.SkipWithError("n/a: bench_vm was built without libdpdk (librte_bpf)");
    });
}

}  // namespace xdpdk::bench
