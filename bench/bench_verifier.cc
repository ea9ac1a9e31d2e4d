// bench_verifier: how long the verifier takes on each sample program, as
// verified at load (before the context rewrite), with what it did: program
// size, instructions processed, states stored.
//   build/bench/bench_verifier --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "vm/object.h"
#include "vm/verifier/verifier.h"

#ifndef XDPDK_BENCH_BUILD_DIR
#define XDPDK_BENCH_BUILD_DIR "build"
#endif

namespace {

using namespace xdpdk;

const char* const kSamples[] = {"xdp_pass", "xdp_drop",  "mac_swap",   "pkt_counter", "firewall", "load_balancer",
                                "redirect", "tail_calls", "meta_tail", "global_config", "hello"};

struct Loaded {
    std::unique_ptr<vm::Object> object;  // owns the maps the programs refer to
    std::vector<std::unique_ptr<vm::Program>> forms;
};

void bench_verify(benchmark::State& state, const vm::Program* prog) {
    vm::VerifierInfo info;
    for (auto _ : state) {
        auto r = vm::verify(*prog);
        if (!r) {
            state.SkipWithError(r.error().str().c_str());
            return;
        }
        info = std::move(r).value();
        benchmark::DoNotOptimize(info);
    }
    state.counters["insns"] = static_cast<double>(prog->insns.size());
    state.counters["processed"] = static_cast<double>(info.insns_processed);
    state.counters["states"] = info.states_stored;
}

std::vector<Loaded>& register_samples() {
    static std::vector<Loaded> loaded;
    for (const char* name : kSamples) {
        Loaded l;
        vm::ObjectOptions opts;
        opts.engine = vm::EngineKind::Interp;
        opts.verified_forms = &l.forms;
        const std::string path = std::string(XDPDK_BENCH_BUILD_DIR) + "/progs/" + name + ".o";
        auto obj = vm::Object::open(path, opts);
        if (obj) {
            if (auto st = (*obj)->load(); !st) {
                std::fprintf(stderr, "%s: %s\n", path.c_str(), st.error().str().c_str());
                continue;
            }
            l.object = std::move(obj).value();
        } else {
            std::fprintf(stderr, "%s: %s\n", path.c_str(), obj.error().str().c_str());
            continue;
        }
        loaded.push_back(std::move(l));
        for (const auto& form : loaded.back().forms) {
            // The verified form is named like its errors: "prog 'xdp_main'".
            std::string prog = form->name;
            if (const size_t q = prog.find('\''); q != std::string::npos) prog = prog.substr(q + 1, prog.rfind('\'') - q - 1);
            std::string bench = "verify/";
            bench += name;
            bench += "/";
            bench += prog;
            benchmark::RegisterBenchmark(bench.c_str(), bench_verify, form.get())->Unit(benchmark::kMicrosecond);
        }
    }
    return loaded;
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    auto& keep = register_samples();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    keep.clear();
    return 0;
}
