// ns per packet of a FIB lookup: tests/progs/fib_router.o (bpf_fib_lookup,
// TTL decrement, MAC rewrite, redirect) in xdpdk's JIT and interpreter with
// the table of tests/fib_netns as [[route]] TOML, next to the kernel's JIT
// on the same program and the same table, built in a network namespace of
// the benchmark's own (BPF_PROG_TEST_RUN with repeat; its own duration).
// Before a case is timed, xdpdk's verdict and bytes must equal the kernel's.
// Needs root for the namespace and bpf(); without them the rows say why.
#include <benchmark/benchmark.h>

#include <net/if.h>

#include <cstdio>
#include <memory>
#include <string>

#include "bench/frame_fixture.h"
#include "dataplane/tool/fib_config.h"
#include "tests/fib_netns.h"
#include "tests/kernel_oracle.h"
#include "tests/test_support.h"
#include "tests/tools/packet_builder.h"
#include "vm/engine.h"
#include "vm/fib.h"
#include "vm/object.h"
#include "vm/reclaim.h"

namespace xdpdk::bench {
namespace {

constexpr uint32_t kRepeat = 250;

struct Case {
    const char* name;
    const char* dst;  // IPv4 or IPv6
};

// Forwarded through a gateway (both families), on-link, and refused.
constexpr Case kCases[] = {
    {"ipv4_gateway", "10.10.1.1"}, {"ipv6_gateway", "fd10::1"},   {"ipv4_onlink", "10.2.0.9"},
    {"ipv4_blackhole", "10.20.0.1"}, {"ipv4_no_route", "192.0.2.1"},
};

std::string hex(const test::Bytes& b) {
    std::string s;
    char buf[4];
    for (uint8_t x : b) {
        std::snprintf(buf, sizeof buf, "%02x", x);
        s += buf;
    }
    return s;
}

test::Bytes packet_to(const char* dst) {
    test::PacketSpec p;
    p.frame_len = 64;
    // BPF_PROG_TEST_RUN's repeats run on the packet the last one left: from
    // 255, kRepeat TTL decrements still leave it forwardable.
    p.ttl = 255;
    if (std::string(dst).find(':') != std::string::npos) {
        p.l3 = test::L3::Ipv6;
        p.src6 = test::ipv6("fd01::2");
        p.dst6 = test::ipv6(dst);
        p.frame_len = 78;
    } else {
        p.src4 = test::ipv4("10.1.0.2");
        p.dst4 = test::ipv4(dst);
    }
    return test::build_packet(p);
}

struct Env {
    std::unique_ptr<test::TestNetns> netns;
    uint32_t r0 = 0;
    vm::Fib fib;
    std::string unavailable;  // why kernel rows cannot run
    std::unique_ptr<test::KernelObject> kernel;
};

Env& env() {
    static Env e;
    return e;
}

std::string set_up() {
    Env& e = env();
    if (!test::kernel_unavailable_reason().empty()) return "kernel: " + test::kernel_unavailable_reason();
    e.netns = std::make_unique<test::TestNetns>();
    if (!e.netns->ok()) return "cannot create a network namespace";
    if (std::string err = test::build_fib_topology(*e.netns); !err.empty()) return err;
    if (!e.netns->enter()) return "setns failed";
    e.r0 = if_nametoindex("r0");
    auto config = cli::parse_fib_config(test::fib_topology_toml(e.r0, if_nametoindex("r1"), if_nametoindex("r2")), "fib");
    if (!config) return config.error().str();
    e.fib.publish(std::make_unique<vm::FibTable>(std::move(config->entries)));
    auto k = test::KernelObject::open(test::test_prog_path("fib_router"));
    if (!k) return k.error().str();
    e.kernel = std::move(k.value());
    if (auto st = e.kernel->load(); !st) return st.error().str();
    return "";
}

Result<test::XdpRun> kernel_run(const test::Bytes& packet, uint32_t repeat) {
    test::XdpRunOptions o;
    o.ingress_ifindex = env().r0;
    o.repeat = repeat;
    return env().kernel->run_xdp("xdp_router", packet, o);
}

void run_vm(benchmark::State& state, const Case& c, vm::EngineKind engine) {
    Env& e = env();
    if (!e.unavailable.empty()) return state.SkipWithError(e.unavailable.c_str());
    vm::ObjectOptions opts;
    opts.engine = engine;
    auto obj = vm::Object::open(test::test_prog_path("fib_router"), opts);
    if (!obj || !obj.value()->load()) return state.SkipWithError("cannot load fib_router.o");
    auto prog = obj.value()->find_program("xdp_router");
    if (!prog) return state.SkipWithError(prog.error().str().c_str());
    const test::Bytes packet = packet_to(c.dst);
    FrameFixture fx(packet, e.r0);
    vm::ExecContext ex;
    ex.fib = &e.fib;
    vm::ReclaimThread reclaim;
    uint64_t action = vm::run_xdp(*prog.value(), fx.xdp(), ex);
    const RunOutcome first = fx.outcome(action, ex);
    fx.learn_restore_len();
    auto k = kernel_run(packet, 1);
    if (!k) return state.SkipWithError(k.error().str().c_str());
    if (k->action != first.action || k->data != first.data)
        return state.SkipWithError(("xdpdk differs from the kernel: " + first.summary() + " vs kernel " +
                                    vm::xdp_action_name(k->action) + " " + hex(k->data) + " / " +
                                    hex(first.data))
                                       .c_str());
    for (auto _ : state) {
        fx.restore();
        ex.reset_run();
        action = vm::run_xdp(*prog.value(), fx.xdp(), ex);
        benchmark::DoNotOptimize(action);
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
    state.SetLabel(vm::xdp_action_name(action));
}

void run_kernel(benchmark::State& state, const Case& c) {
    if (!env().unavailable.empty()) return state.SkipWithError(env().unavailable.c_str());
    const test::Bytes packet = packet_to(c.dst);
    uint32_t action = 0;
    for (auto _ : state) {
        auto run = kernel_run(packet, kRepeat);
        if (!run) return state.SkipWithError(run.error().str().c_str());
        action = run->action;
        state.SetIterationTime(run->duration_ns * 1e-9);
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
    state.SetLabel(vm::xdp_action_name(action));
}

}  // namespace
}  // namespace xdpdk::bench

int main(int argc, char** argv) {
    using namespace xdpdk::bench;
    benchmark::Initialize(&argc, argv);
    env().unavailable = set_up();
    if (!env().unavailable.empty()) std::fprintf(stderr, "bench_fib: %s\n", env().unavailable.c_str());
    for (const Case& c : kCases) {
        benchmark::RegisterBenchmark((std::string("jit/fib_router/") + c.name).c_str(),
                                     [&c](benchmark::State& s) { run_vm(s, c, xdpdk::vm::EngineKind::Jit); });
        benchmark::RegisterBenchmark((std::string("interp/fib_router/") + c.name).c_str(),
                                     [&c](benchmark::State& s) { run_vm(s, c, xdpdk::vm::EngineKind::Interp); });
        benchmark::RegisterBenchmark((std::string("kernel_jit/fib_router/") + c.name).c_str(),
                                     [&c](benchmark::State& s) { run_kernel(s, c); })
            ->UseManualTime()
            ->Iterations(2000);
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    env().kernel.reset();
    env().netns.reset();  // the namespace goes with the benchmark
    return 0;
}
