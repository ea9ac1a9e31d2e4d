// verifier_vs_kernel: xdpdk's verifier next to Linux's on the same objects
// (every sample in progs/ and the pruning test programs of tests/progs):
// instructions processed and verification time, as a markdown table.
//   build/bench/verifier_vs_kernel [--runs N]
// xdpdk's time is the wall time of one vm::verify call on the form the
// loader verifies; Linux's is the "verification time" its BPF_PROG_LOAD
// log reports (log_level 4). Each is the median of N runs (default 21),
// since this 2-core machine is shared and noisy. Needs bpf() rights.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/kernel_oracle.h"
#include "tests/verifier_stats.h"
#include "vm/object.h"
#include "vm/verifier/verifier.h"

#ifndef XDPDK_BENCH_BUILD_DIR
#define XDPDK_BENCH_BUILD_DIR "build"
#endif

namespace {

using namespace xdpdk;

struct Object {
    const char* dir;
    const char* name;
};

const Object kObjects[] = {
    {"progs", "xdp_pass"},       {"progs", "xdp_drop"},        {"progs", "hello"},
    {"progs", "mac_swap"},       {"progs", "redirect"},        {"progs", "tail_calls"},
    {"progs", "global_config"},  {"progs", "meta_tail"},       {"progs", "frags_stamp"},
    {"progs", "pkt_counter"},    {"progs", "firewall"},        {"progs", "load_balancer"},
    {"tests/progs", "ipv6_ext_walk"}, {"tests/progs", "filter_like"}, {"tests/progs", "tcp_opts_walk"},
    {"tests/progs", "xdp_named_sections"}, {"tests/progs", "map_sized_by_loader"}, {"tests/progs", "rodata_knobs"},
    {"tests/progs", "priv_lb"},       {"tests/progs", "priv_lb_v3"},      {"tests/progs", "priv_global_funcs"},
};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

std::string function_name(const std::string& subject) {
    const size_t q = subject.find('\'');
    if (q == std::string::npos) return subject;
    return subject.substr(q + 1, subject.rfind('\'') - q - 1);
}

std::string with_commas(uint64_t n) {
    const std::string digits = std::to_string(n);
    std::string s;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0) s += ',';
        s += digits[i];
    }
    return s;
}

std::string time_text(double seconds) {
    char buf[32];
    const double us = seconds * 1e6;
    if (us >= 1000) std::snprintf(buf, sizeof buf, "%.2f ms", us / 1000);
    else if (us >= 10) std::snprintf(buf, sizeof buf, "%.0f µs", us);
    else std::snprintf(buf, sizeof buf, "%.1f µs", us);
    return buf;
}

struct Row {
    std::string object, program;
    size_t insns = 0;
    uint64_t ours = 0, theirs = 0;
    uint32_t states = 0;
    std::vector<double> our_times, their_times;
};

}  // namespace

int main(int argc, char** argv) {
    int runs = 21;
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) runs = std::max(1, std::atoi(argv[++i]));
    if (!test::kernel_unavailable_reason().empty()) {
        std::fprintf(stderr, "verifier_vs_kernel: %s\n", test::kernel_unavailable_reason().c_str());
        return 1;
    }
    std::vector<Row> rows;
    for (const Object& o : kObjects) {
        const std::string path = std::string(XDPDK_BENCH_BUILD_DIR) + "/" + o.dir + "/" + o.name + ".o";
        auto loaded = test::load_verified_forms(path);
        if (!loaded) {
            std::fprintf(stderr, "%s: xdpdk cannot load it: %s\n", path.c_str(), loaded.error().str().c_str());
            return 1;
        }
        const auto& forms = loaded->forms;
        const auto& envs = loaded->envs;
        std::map<std::string, Row> by_name;
        for (size_t f = 0; f < forms.size(); ++f) {
            const auto& form = forms[f];
            Row& r = by_name[function_name(form->name)];
            r.object = o.name;
            r.program = function_name(form->name);
            r.insns = form->insns.size();
            for (int i = 0; i < runs; ++i) {
                const auto t0 = std::chrono::steady_clock::now();
                auto info = vm::verify(*form, envs[f]);
                r.our_times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
                if (!info) {
                    std::fprintf(stderr, "%s: %s\n", path.c_str(), info.error().str().c_str());
                    return 1;
                }
                r.ours = info->insns_processed;
                r.states = info->states_stored;
            }
        }
        for (int i = 0; i < runs; ++i) {
            auto k = test::kernel_verify_object(path);
            if (!k) {
                std::fprintf(stderr, "%s: Linux refuses it: %s\n", path.c_str(), k.error().str().c_str());
                return 1;
            }
            for (const auto& [name, run] : *k) {
                auto it = by_name.find(name);
                if (it == by_name.end()) continue;
                it->second.theirs = run.processed;
                it->second.their_times.push_back(run.seconds);
            }
        }
        for (auto& [name, r] : by_name) rows.push_back(std::move(r));
    }
    std::printf("| object | program | insns | processed, xdpdk | processed, Linux | states stored, xdpdk | "
                "time, xdpdk | time, Linux |\n|---|---|---:|---:|---:|---:|---:|---:|\n");
    for (const Row& r : rows)
        std::printf("| %s | %s | %zu | %s | %s | %u | %s | %s |\n", r.object.c_str(), r.program.c_str(), r.insns,
                    with_commas(r.ours).c_str(), with_commas(r.theirs).c_str(), r.states,
                    time_text(median(r.our_times)).c_str(), time_text(median(r.their_times)).c_str());
    return 0;
}
