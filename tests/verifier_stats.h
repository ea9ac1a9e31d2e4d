// What each verifier did for the XDP programs of one object: instructions
// processed, by xdpdk (vm::verify on the form the loader verifies) and by
// Linux (the "processed N insns" line of its BPF_PROG_LOAD log), per program
// function name. Used by test_verifier_pruning and bench/verifier_vs_kernel.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "vm/error.h"
#include "vm/object.h"
#include "vm/program.h"
#include "vm/verifier/verifier.h"

namespace xdpdk::test {

struct VerifierRun {
    uint64_t processed = 0;
    uint32_t states = 0;   // xdpdk only: states stored
    double seconds = 0;    // wall time of the verification (Linux: of the load)
};

// Each XDP program of an object as the loader verified it, with the
// loader's verifier settings (attach type, global functions, rules), so a
// caller re-runs exactly that verification.
struct VerifiedForms {
    std::unique_ptr<vm::Object> obj;  // owns the maps the forms refer to
    std::vector<std::unique_ptr<vm::Program>> forms;
    std::vector<vm::VerifyEnv> envs;
};
Result<VerifiedForms> load_verified_forms(const std::string& path);

// Program function name -> xdpdk's run; an error if the loader refuses.
Result<std::map<std::string, VerifierRun>> xdpdk_verify_object(const std::string& path);

// Program function name -> Linux's run, loading every program of the object
// with log_level 4 (statistics only); an error if libbpf or the kernel
// refuses. Needs bpf() rights (see kernel_unavailable_reason()).
Result<std::map<std::string, VerifierRun>> kernel_verify_object(const std::string& path);

}  // namespace xdpdk::test
