// Per-packet cost of the sample programs on packets that take each program's
// main path (tests/tools/sample_scenarios): xdpdk's interpreter and JIT, the
// same logic hand-written in C++ (bench/native), all through one harness,
// and the Linux kernel's JIT through BPF_PROG_TEST_RUN.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "frame_fixture.h"
#include "tests/tools/sample_scenarios.h"
#include "vm/error.h"
#include "vm/object.h"

namespace xdpdk::bench {

enum class Runner { Interp, Jit, Native };

// "interp/<scenario>/<len>", "jit/...", "native/...": one run per iteration
// on a frame put back to the original packet between runs. Before timing,
// a JIT or native row checks that its steady-state run produces what the
// interpreter's does (verdict, packet, metadata, redirect) and reports an
// error instead of a time when not.
void register_vm_benchmark(const test::SampleScenario& s, size_t frame_len, Runner runner);

// The scenario's object loaded by the VM with `opts` (which engine), its
// globals and map entries set.
Result<std::unique_ptr<vm::Object>> load_scenario_object(const test::SampleScenario& s,
                                                         const vm::ObjectOptions& opts);

// The interpreter's steady-state outcome (the second run on a freshly loaded
// object: the first may fill tables) for the scenario's packet.
Result<RunOutcome> reference_outcome(const test::SampleScenario& s, size_t frame_len);

// "kernel_jit/<scenario>/<len>": BPF_PROG_TEST_RUN with `repeat` runs per
// call, its reported average duration as manual time. The kernel does not
// reset the packet between repetitions, so programs that change it (the load
// balancer's encapsulation, the tap's metadata) are also registered with
// repeat = 1 as "kernel_jit_fresh/..." (one syscall per packet; the duration
// then includes the kernel's two clock reads around the run).
void register_kernel_benchmark(const test::SampleScenario& s, size_t frame_len, uint32_t repeat);

}  // namespace xdpdk::bench
