#include "sample_benchmarks.h"

#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "native/native_program.h"
#include "tests/kernel_oracle.h"
#include "tests/test_support.h"
#include "vm/engine.h"
#include "vm/object.h"
#include "vm/xdp.h"

namespace xdpdk::bench {
namespace {

using test::Bytes;
using test::SampleScenario;

const char* runner_name(Runner r) {
    switch (r) {
        case Runner::Interp: return "interp";
        case Runner::Jit: return "jit";
        case Runner::Native: return "native";
    }
    return "?";
}

// Loading with the JIT engine compiles every XDP program of the object
// (tail-call targets included); native rows run no eBPF.
vm::ObjectOptions options_for(Runner runner) {
    vm::ObjectOptions opts;
    opts.engine = runner == Runner::Jit ? vm::EngineKind::Jit : vm::EngineKind::Interp;
    return opts;
}

struct LoadedSample {
    std::unique_ptr<vm::Object> obj;
    vm::Program* prog = nullptr;
    std::unique_ptr<native::NativeProgram> native;  // Runner::Native only
};

Result<LoadedSample> load_sample(const SampleScenario& s, Runner runner) {
    LoadedSample out;
    XDPDK_ASSIGN_OR_RETURN(out.obj, load_scenario_object(s, options_for(runner)));
    XDPDK_ASSIGN_OR_RETURN(out.prog, out.obj->find_program(s.program));
    if (runner == Runner::Native) {
        XDPDK_ASSIGN_OR_RETURN(out.native, native::make_native(s.program, *out.obj));
    }
    return out;
}

// One run of the loaded sample on `xdp`, the way `runner` runs it.
uint64_t run_once(const LoadedSample& loaded, Runner runner, vm::XdpBuff& xdp, vm::ExecContext& ex) {
    if (runner == Runner::Native) return loaded.native->run(xdp, ex);
    // Loaded with the interpreter, prog.jit stays empty and run_xdp interprets.
    return vm::run_xdp(*loaded.prog, xdp, ex);
}

// Warm-up run (the load balancer's first packet of a flow fills the
// connection table), then the steady-state run whose outcome is returned.
RunOutcome steady_outcome(const LoadedSample& loaded, Runner runner, FrameFixture& fx, vm::ExecContext& ex) {
    run_once(loaded, runner, fx.xdp(), ex);
    fx.learn_restore_len();
    const uint64_t action = run_once(loaded, runner, fx.xdp(), ex);
    RunOutcome out = fx.outcome(action, ex);
    fx.restore();
    return out;
}

void run_vm(benchmark::State& state, const SampleScenario& s, size_t frame_len, Runner runner) {
    auto loaded = load_sample(s, runner);
    if (!loaded) {
        state.SkipWithError(loaded.error().str().c_str());
        return;
    }
    FrameFixture fx(s.main_path_packet(frame_len), s.ingress_ifindex);
    vm::ExecContext ex;
    const RunOutcome got = steady_outcome(*loaded, runner, fx, ex);
    if (runner != Runner::Interp) {
        auto want = reference_outcome(s, frame_len);
        if (!want) {
            state.SkipWithError(want.error().str().c_str());
            return;
        }
        if (got != *want) {
            const std::string why = std::string(runner_name(runner)) + " differs from the interpreter: " +
                                    got.summary() + " vs " + want->summary();
            state.SkipWithError(why.c_str());
            return;
        }
    }

    // Both branches keep the dispatch out of the timed loop.
    if (runner == Runner::Native) {
        native::NativeProgram& prog = *loaded->native;
        for (auto _ : state) {
            benchmark::DoNotOptimize(prog.run(fx.xdp(), ex));
            fx.restore();
        }
    } else {
        const vm::Program& prog = *loaded->prog;
        for (auto _ : state) {
            benchmark::DoNotOptimize(vm::run_xdp(prog, fx.xdp(), ex));
            fx.restore();
        }
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
    state.SetLabel(vm::xdp_action_name(got.action));
}

Result<std::unique_ptr<test::KernelObject>> load_kernel(const SampleScenario& s) {
    XDPDK_ASSIGN_OR_RETURN(auto obj, test::KernelObject::open(test::prog_path(s.object)));
    for (const auto& g : s.globals) XDPDK_RETURN_IF_ERROR(obj->set_global(g.name, g.value));
    XDPDK_RETURN_IF_ERROR(obj->load());
    for (const auto& e : s.entries) XDPDK_RETURN_IF_ERROR(obj->map_update(e.map, e.key, e.value));
    return obj;
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

Result<std::unique_ptr<vm::Object>> load_scenario_object(const SampleScenario& s, const vm::ObjectOptions& opts) {
    XDPDK_ASSIGN_OR_RETURN(auto obj, vm::Object::open(test::prog_path(s.object), opts));
    for (const auto& g : s.globals) XDPDK_RETURN_IF_ERROR(obj->set_global(g.name, g.value));
    XDPDK_RETURN_IF_ERROR(obj->load());
    for (const auto& e : s.entries) {
        vm::Map* map = obj->find_map(e.map);
        if (map == nullptr) return make_error("map '" + e.map + "'", "not in " + s.object);
        if (map->user_update(e.key.data(), e.value.data(), vm::kAny) != 0)
            return make_error("map '" + e.map + "'", "update failed");
    }
    return obj;
}

Result<RunOutcome> reference_outcome(const SampleScenario& s, size_t frame_len) {
    XDPDK_ASSIGN_OR_RETURN(LoadedSample loaded, load_sample(s, Runner::Interp));
    FrameFixture fx(s.main_path_packet(frame_len), s.ingress_ifindex);
    vm::ExecContext ex;
    return steady_outcome(loaded, Runner::Interp, fx, ex);
}

void register_vm_benchmark(const SampleScenario& s, size_t frame_len, Runner runner) {
    const std::string name = std::string(runner_name(runner)) + "/" + s.name + "/" + std::to_string(frame_len);
    benchmark::RegisterBenchmark(name.c_str(),
                                 [s, frame_len, runner](benchmark::State& st) { run_vm(st, s, frame_len, runner); })
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
