#include "verifier_stats.h"

#include <bpf/libbpf.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "kernel_oracle.h"
#include "test_support.h"
#include "vm/object.h"
#include "vm/verifier/verifier.h"

namespace xdpdk::test {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// "prog 'xdp_main'" -> "xdp_main"
std::string function_name(const std::string& subject) {
    const size_t q = subject.find('\'');
    if (q == std::string::npos) return subject;
    return subject.substr(q + 1, subject.rfind('\'') - q - 1);
}

}  // namespace

Result<VerifiedForms> load_verified_forms(const std::string& path) {
    VerifiedForms v;
    vm::ObjectOptions opts;
    opts.engine = vm::EngineKind::Interp;
    opts.verified_forms = &v.forms;
    opts.verified_envs = &v.envs;
    opts.map_sizes = loader_map_sizes(path);
    XDPDK_ASSIGN_OR_RETURN(v.obj, vm::Object::open(path, opts));
    XDPDK_RETURN_IF_ERROR(v.obj->load());
    return v;
}

Result<std::map<std::string, VerifierRun>> xdpdk_verify_object(const std::string& path) {
    XDPDK_ASSIGN_OR_RETURN(VerifiedForms v, load_verified_forms(path));
    const auto& forms = v.forms;
    const auto& envs = v.envs;
    std::map<std::string, VerifierRun> out;
    for (size_t i = 0; i < forms.size(); ++i) {
        const vm::Program* form = forms[i].get();
        const auto t0 = std::chrono::steady_clock::now();
        XDPDK_ASSIGN_OR_RETURN(vm::VerifierInfo info, vm::verify(*form, envs[i]));
        VerifierRun run;
        run.seconds = seconds_since(t0);
        run.processed = info.insns_processed;
        run.states = info.states_stored;
        out[function_name(form->name)] = run;
    }
    return out;
}

Result<std::map<std::string, VerifierRun>> kernel_verify_object(const std::string& path) {
    XDPDK_ASSIGN_OR_RETURN(auto kobj, KernelObject::open(path));
    for (const auto& [map, size] : loader_map_sizes(path)) XDPDK_RETURN_IF_ERROR(kobj->set_map_size(map, size));
    constexpr size_t kLogSize = 64 * 1024;
    std::map<std::string, std::vector<char>> logs;
    bpf_program* prog;
    bpf_object__for_each_program(prog, kobj->raw()) {
        auto& log = logs[bpf_program__name(prog)];
        log.assign(kLogSize, '\0');
        bpf_program__set_log_buf(prog, log.data(), log.size());
        bpf_program__set_log_level(prog, 4);
    }
    XDPDK_RETURN_IF_ERROR(kobj->load());
    std::map<std::string, VerifierRun> out;
    for (const auto& [name, log] : logs) {
        // The statistics: "verification time N usec ... processed N insns".
        const char* p = std::strstr(log.data(), "processed ");
        if (!p) continue;  // not loaded (libbpf autoload off)
        VerifierRun run;
        run.processed = std::strtoull(p + std::strlen("processed "), nullptr, 10);
        if (const char* t = std::strstr(log.data(), "verification time "))
            run.seconds = double(std::strtoull(t + std::strlen("verification time "), nullptr, 10)) / 1e6;
        out[name] = run;
    }
    return out;
}

}  // namespace xdpdk::test
