#include "sample_benchmarks.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "tests/test_support.h"
#include "tests/kernel_oracle.h"
#include "vm/engine.h"
#include "vm/object.h"
#include "vm/packet.h"
#include "vm/xdp.h"

namespace xdpdk::bench {
namespace {

using test::Bytes;
using test::SampleScenario;

// Bytes restored before every interpreter run: the samples rewrite headers
// only. Checked once per benchmark; a program that writes further in gets the
// whole packet restored.
constexpr size_t kHeaderRestoreLen = 64;

struct VmSample {
    std::unique_ptr<vm::Object> obj;
    vm::Program* prog = nullptr;
};

Result<VmSample> load_vm(const SampleScenario& s) {
    VmSample out;
    XDPDK_ASSIGN_OR_RETURN(out.obj, vm::Object::open(test::prog_path(s.object)));
    for (const auto& g : s.globals) XDPDK_RETURN_IF_ERROR(out.obj->set_global(g.name, g.value));
    XDPDK_RETURN_IF_ERROR(out.obj->load());
    for (const auto& e : s.entries) {
        vm::Map* map = out.obj->find_map(e.map);
        if (map == nullptr) return make_error("map '" + e.map + "'", "not in " + s.object);
        if (map->user_update(e.key.data(), e.value.data(), vm::kAny) != 0)
            return make_error("map '" + e.map + "'", "update failed");
    }
    XDPDK_ASSIGN_OR_RETURN(out.prog, out.obj->find_program(s.program));
    return out;
}

Result<std::unique_ptr<test::KernelObject>> load_kernel(const SampleScenario& s) {
    XDPDK_ASSIGN_OR_RETURN(auto obj, test::KernelObject::open(test::prog_path(s.object)));
    for (const auto& g : s.globals) XDPDK_RETURN_IF_ERROR(obj->set_global(g.name, g.value));
    XDPDK_RETURN_IF_ERROR(obj->load());
    for (const auto& e : s.entries) XDPDK_RETURN_IF_ERROR(obj->map_update(e.map, e.key, e.value));
    return obj;
}

void run_interp(benchmark::State& state, const SampleScenario& s, size_t frame_len) {
    auto loaded = load_vm(s);
    if (!loaded) {
        state.SkipWithError(loaded.error().str().c_str());
        return;
    }
    const vm::Program& prog = *loaded->prog;
    const Bytes packet = s.main_path_packet(frame_len);
    vm::PacketFrame frame(packet, s.ingress_ifindex);
    const vm::XdpBuff initial = frame.xdp();
    vm::ExecContext ex;

    // The first run may differ (the load balancer's first packet of a flow
    // fills the connection table); time the steady state.
    uint64_t action = vm::run_xdp(prog, frame.xdp(), ex);
    frame.xdp() = initial;
    size_t restore_len = std::min(packet.size(), kHeaderRestoreLen);
    std::memcpy(initial.data, packet.data(), restore_len);
    if (std::memcmp(initial.data, packet.data(), packet.size()) != 0) restore_len = packet.size();
    std::memcpy(initial.data, packet.data(), restore_len);

    for (auto _ : state) {
        action = vm::run_xdp(prog, frame.xdp(), ex);
        benchmark::DoNotOptimize(action);
        frame.xdp() = initial;
        std::memcpy(initial.data, packet.data(), restore_len);
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
    state.SetLabel(vm::xdp_action_name(action));
}

void run_kernel(benchmark::State& state, const SampleScenario& s, size_t frame_len, uint32_t repeat) {
    auto obj = load_kernel(s);
    if (!obj) {
        state.SkipWithError(obj.error().str().c_str());
        return;
    }
    const Bytes packet = s.main_path_packet(frame_len);
    test::XdpRunOptions opts;
    opts.ingress_ifindex = s.ingress_ifindex;
    opts.repeat = repeat;
    uint32_t action = 0;
    for (auto _ : state) {
        auto run = obj.value()->run_xdp(s.program, packet, opts);
        if (!run) {
            state.SkipWithError(run.error().str().c_str());
            return;
        }
        action = run->action;
        state.SetIterationTime(run->duration_ns * 1e-9);
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
    state.SetLabel(std::string(vm::xdp_action_name(action)) + " repeat=" + std::to_string(repeat));
}

}  // namespace

void register_interp_benchmark(const SampleScenario& s, size_t frame_len) {
    const std::string name = "interp/" + s.name + "/" + std::to_string(frame_len);
    benchmark::RegisterBenchmark(name.c_str(), [s, frame_len](benchmark::State& st) { run_interp(st, s, frame_len); })
        ->Unit(benchmark::kNanosecond);
}

void register_kernel_benchmark(const SampleScenario& s, size_t frame_len, uint32_t repeat) {
    const std::string kind = repeat == 1 ? "kernel_jit_fresh/" : "kernel_jit/";
    const std::string name = kind + s.name + "/" + std::to_string(frame_len);
    // Each call already averages `repeat` runs: a few calls are enough, and
    // fresh runs need many calls for a stable mean.
    const int64_t calls = repeat == 1 ? 20000 : 3;
    benchmark::RegisterBenchmark(name.c_str(),
                                 [s, frame_len, repeat](benchmark::State& st) { run_kernel(st, s, frame_len, repeat); })
        ->UseManualTime()
        ->Iterations(calls)
        ->Unit(benchmark::kNanosecond);
}

}  // namespace xdpdk::bench
