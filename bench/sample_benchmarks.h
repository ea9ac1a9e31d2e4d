// Per-packet cost of the sample programs: xdpdk's interpreter, and the Linux
// kernel's JIT through BPF_PROG_TEST_RUN, on packets that take each program's
// main path (tests/tools/sample_scenarios).
#pragma once

#include <cstddef>
#include <cstdint>

#include "tests/tools/sample_scenarios.h"

namespace xdpdk::bench {

// "interp/<scenario>/<len>": one run per iteration, on a frame reset to the
// original packet between runs.
void register_interp_benchmark(const test::SampleScenario& s, size_t frame_len);

// "kernel_jit/<scenario>/<len>": BPF_PROG_TEST_RUN with `repeat` runs per
// call, its reported average duration as manual time. The kernel does not
// reset the packet between repetitions, so programs that change it (the load
// balancer's encapsulation, the tap's metadata) are also registered with
// repeat = 1 as "kernel_jit_fresh/..." (one syscall per packet; the duration
// then includes the kernel's two clock reads around the run).
void register_kernel_benchmark(const test::SampleScenario& s, size_t frame_len, uint32_t repeat);

}  // namespace xdpdk::bench
