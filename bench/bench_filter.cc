// ns per packet of tcpdump filters: libpcap compiles each expression, xdpdk
// translates the cBPF to eBPF (vm/cbpf) and runs it in its JIT and its
// interpreter; next to libpcap's own cBPF interpreter (pcap_offline_filter)
// on the same cBPF and the kernel's JIT on the same translated program
// (BPF_PROG_TEST_RUN with repeat, timed by the kernel). Every benchmark runs
// one pass over the packets of pcaps/sample.pcap per iteration. Before a
// case is timed, every engine's verdict on every packet must be libpcap's
// (match: XDP_PASS). Filters only read the packet, so frames are built once
// and never restored between runs. Without bpf() rights the kernel rows say
// why.
#include <benchmark/benchmark.h>
#include <pcap/pcap.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/bench/kernel_runner.h"
#include "dataplane/loader/program_source.h"
#include "tests/test_support.h"
#include "vm/engine.h"
#include "vm/exec_context.h"
#include "vm/object.h"
#include "vm/packet.h"
#include "vm/xdp.h"

namespace xdpdk::bench {
namespace {

// Each BPF_PROG_TEST_RUN of an XDP program swaps the kernel's XDP dispatcher
// in and out (an RCU grace period, milliseconds of wall time): many repeats
// per call, few calls.
constexpr uint32_t kKernelRepeat = 10000;
constexpr int kKernelIterations = 10;

struct Case {
    const char* name;
    const char* expression;
};

// A protocol, a host, a port, an indexed load, VLAN, and a long and/or chain.
constexpr Case kCases[] = {
    {"tcp", "tcp"},
    {"host", "host 10.0.0.1"},
    {"tcp_port_80", "tcp port 80"},
    {"tcp_syn", "tcp[tcpflags] & tcp-syn != 0"},
    {"vlan_udp", "vlan and udp"},
    {"chain", "(tcp port 80 or tcp port 443 or udp port 53 or udp port 123) and not host 192.0.2.1 and "
              "(net 10.0.0.0/8 or net 198.51.100.0/24) and len < 1500"},
};

struct Packet {
    pcap_pkthdr header;
    std::vector<uint8_t> bytes;
};

std::vector<Packet>& packets() {
    static std::vector<Packet> p;
    return p;
}

std::string read_packets(const std::string& path) {
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(path.c_str(), errbuf);
    if (p == nullptr) return path + ": " + errbuf;
    pcap_pkthdr* h;
    const u_char* d;
    while (pcap_next_ex(p, &h, &d) == 1) packets().push_back({*h, std::vector<uint8_t>(d, d + h->caplen)});
    pcap_close(p);
    return packets().empty() ? path + ": no packets" : "";
}

// Everything one expression needs, made once: libpcap's cBPF, the loaded
// object in each engine, the kernel's program, and the verdict check.
struct Filter {
    bpf_program classic{};
    std::unique_ptr<vm::Object> jit, interp;
    std::unique_ptr<cli::KernelRunner> kernel;
    std::string kernel_unavailable;
    std::string error;  // the case cannot run at all
    std::vector<uint32_t> expected;  // libpcap's verdict per packet, as XDP actions
    ~Filter() { pcap_freecode(&classic); }
};

loader::FilterSource expression_filter(const char* expression) {
    loader::FilterSource f;
    f.expression = expression;
    f.linktype = DLT_EN10MB;
    return f;
}

Result<std::unique_ptr<vm::Object>> open_filter(const Case& c, vm::EngineKind engine) {
    loader::ProgramSource source;
    source.filter = expression_filter(c.expression);
    vm::ObjectOptions options;
    options.engine = engine;
    XDPDK_ASSIGN_OR_RETURN(auto obj, loader::open_program_source(source, options));
    XDPDK_RETURN_IF_ERROR(obj->load());
    return obj;
}

const vm::Program& program(const vm::Object& obj) { return *obj.find_program(loader::kFilterProgramName).value(); }

std::string check_verdicts(Filter& f, const char* engine, const std::vector<uint32_t>& got) {
    for (size_t i = 0; i < got.size(); ++i)
        if (got[i] != f.expected[i])
            return std::string(engine) + " differs from libpcap at packet " + std::to_string(i) + ": " +
                   vm::xdp_action_name(got[i]) + " vs " + vm::xdp_action_name(f.expected[i]);
    return "";
}

std::unique_ptr<Filter> make_filter(const Case& c) {
    auto f = std::make_unique<Filter>();
    pcap_t* dead = pcap_open_dead(DLT_EN10MB, 262144);
    if (pcap_compile(dead, &f->classic, c.expression, 1, PCAP_NETMASK_UNKNOWN) != 0) f->error = pcap_geterr(dead);
    pcap_close(dead);
    if (!f->error.empty()) return f;
    for (const Packet& p : packets())
        f->expected.push_back(pcap_offline_filter(&f->classic, &p.header, p.bytes.data()) ? vm::XDP_PASS : vm::XDP_DROP);
    auto jit = open_filter(c, vm::EngineKind::Jit);
    auto interp = open_filter(c, vm::EngineKind::Interp);
    if (!jit || !interp) {
        f->error = (!jit ? jit.error() : interp.error()).str();
        return f;
    }
    f->jit = std::move(*jit);
    f->interp = std::move(*interp);
    vm::ExecContext ex;
    std::vector<uint32_t> jit_verdicts, interp_verdicts;
    for (const Packet& p : packets()) {
        vm::PacketFrame a(p.bytes), b(p.bytes);
        jit_verdicts.push_back(static_cast<uint32_t>(vm::run_xdp(program(*f->jit), a.xdp(), ex)));
        interp_verdicts.push_back(static_cast<uint32_t>(vm::run_xdp(program(*f->interp), b.xdp(), ex)));
    }
    f->error = check_verdicts(*f, "jit", jit_verdicts);
    if (f->error.empty()) f->error = check_verdicts(*f, "interp", interp_verdicts);
    if (!f->error.empty()) return f;

    loader::ProgramSource source;
    source.filter = expression_filter(c.expression);
    auto elf = loader::program_source_elf(source);
    auto kernel = elf ? cli::KernelRunner::load_image(*elf, "filter", *f->interp, loader::kFilterProgramName)
                      : Result<std::unique_ptr<cli::KernelRunner>>(elf.error());
    if (!kernel) {
        f->kernel_unavailable = kernel.error().str();
        return f;
    }
    if (!(*kernel)->jited()) {
        f->kernel_unavailable = "the kernel interprets BPF (net.core.bpf_jit_enable=0)";
        return f;
    }
    std::vector<uint32_t> kernel_verdicts;
    for (const Packet& p : packets()) {
        auto run = (*kernel)->run(p.bytes, 1);
        if (!run) {
            f->kernel_unavailable = run.error().str();
            return f;
        }
        kernel_verdicts.push_back(run->retval);
    }
    f->kernel_unavailable = check_verdicts(*f, "kernel", kernel_verdicts);
    f->kernel = std::move(*kernel);
    return f;
}

std::vector<std::unique_ptr<Filter>>& filters() {
    static std::vector<std::unique_ptr<Filter>> f;
    return f;
}

void finish(benchmark::State& state, uint64_t passed) {
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * packets().size()));
    state.counters["ns_per_packet"] = benchmark::Counter(
        static_cast<double>(state.iterations() * packets().size()),
        benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
    state.SetLabel(std::to_string(passed) + " of " + std::to_string(packets().size()) + " match");
}

void run_vm(benchmark::State& state, const Filter& f, const vm::Object* obj) {
    if (!f.error.empty()) return state.SkipWithError(f.error.c_str());
    const vm::Program& prog = program(*obj);
    std::vector<std::unique_ptr<vm::PacketFrame>> frames;
    for (const Packet& p : packets()) frames.push_back(std::make_unique<vm::PacketFrame>(p.bytes));
    vm::ExecContext ex;
    uint64_t passed = 0;
    for (auto _ : state) {
        passed = 0;
        for (auto& frame : frames) {
            ex.reset_run();
            passed += vm::run_xdp(prog, frame->xdp(), ex) == vm::XDP_PASS;
        }
        benchmark::DoNotOptimize(passed);
    }
    finish(state, passed);
}

void run_libpcap(benchmark::State& state, const Filter& f) {
    if (!f.error.empty()) return state.SkipWithError(f.error.c_str());
    uint64_t passed = 0;
    for (auto _ : state) {
        passed = 0;
        for (const Packet& p : packets()) passed += pcap_offline_filter(&f.classic, &p.header, p.bytes.data()) != 0;
        benchmark::DoNotOptimize(passed);
    }
    finish(state, passed);
}

// One pass: each packet at the kernel's own average over kKernelRepeat runs.
void run_kernel(benchmark::State& state, const Filter& f) {
    if (!f.error.empty()) return state.SkipWithError(f.error.c_str());
    if (!f.kernel_unavailable.empty()) return state.SkipWithError(f.kernel_unavailable.c_str());
    uint64_t passed = 0;
    for (auto _ : state) {
        passed = 0;
        double ns = 0;
        for (const Packet& p : packets()) {
            auto run = f.kernel->run(p.bytes, kKernelRepeat);
            if (!run) return state.SkipWithError(run.error().str().c_str());
            ns += run->duration_ns;
            passed += run->retval == vm::XDP_PASS;
        }
        state.SetIterationTime(ns * 1e-9);
    }
    finish(state, passed);
}

// The kernel row's way, for a like-for-like pair with it: each packet run
// kKernelRepeat times in a row (branch predictors warm on that packet)
// before the next; ns per run.
void run_vm_repeated(benchmark::State& state, const Filter& f, const vm::Object* obj) {
    if (!f.error.empty()) return state.SkipWithError(f.error.c_str());
    const vm::Program& prog = program(*obj);
    std::vector<std::unique_ptr<vm::PacketFrame>> frames;
    for (const Packet& p : packets()) frames.push_back(std::make_unique<vm::PacketFrame>(p.bytes));
    vm::ExecContext ex;
    uint64_t passed = 0;
    for (auto _ : state) {
        passed = 0;
        for (auto& frame : frames) {
            uint32_t action = 0;
            for (uint32_t i = 0; i < kKernelRepeat; ++i) {
                ex.reset_run();
                action = vm::run_xdp(prog, frame->xdp(), ex);
            }
            passed += action == vm::XDP_PASS;
        }
        benchmark::DoNotOptimize(passed);
    }
    const double runs = static_cast<double>(state.iterations() * packets().size() * kKernelRepeat);
    state.counters["ns_per_packet"] = benchmark::Counter(runs, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
    state.SetLabel(std::to_string(passed) + " of " + std::to_string(packets().size()) + " match");
}

}  // namespace
}  // namespace xdpdk::bench

int main(int argc, char** argv) {
    using namespace xdpdk::bench;
    benchmark::Initialize(&argc, argv);
    if (std::string err = read_packets(xdpdk::test::source_path("pcaps/sample.pcap")); !err.empty()) {
        std::fprintf(stderr, "bench_filter: %s\n", err.c_str());
        return 1;
    }
    for (const Case& c : kCases) {
        filters().push_back(make_filter(c));
        const Filter& f = *filters().back();
        if (!f.error.empty()) std::fprintf(stderr, "bench_filter: %s: %s\n", c.name, f.error.c_str());
        else if (!f.kernel_unavailable.empty())
            std::fprintf(stderr, "bench_filter: %s: kernel: %s\n", c.name, f.kernel_unavailable.c_str());
        const std::string name(c.name);
        benchmark::RegisterBenchmark(("jit/" + name).c_str(),
                                     [&f](benchmark::State& s) { run_vm(s, f, f.jit.get()); });
        benchmark::RegisterBenchmark(("jit_repeat/" + name).c_str(),
                                     [&f](benchmark::State& s) { run_vm_repeated(s, f, f.jit.get()); });
        benchmark::RegisterBenchmark(("interp/" + name).c_str(), [&f](benchmark::State& s) { run_vm(s, f, f.interp.get()); });
        benchmark::RegisterBenchmark(("libpcap/" + name).c_str(), [&f](benchmark::State& s) { run_libpcap(s, f); });
        benchmark::RegisterBenchmark(("kernel_jit/" + name).c_str(), [&f](benchmark::State& s) { run_kernel(s, f); })
            ->UseManualTime()
            ->Iterations(kKernelIterations);
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
