// The verifier: proves a program safe before it runs, as the kernel's does,
// by abstract interpretation of every reachable path (registers and stack
// slots typed as scalars with known bits and ranges, or as pointers into the
// context, the packet, map values or the stack), with state pruning so that
// large programs stay fast. A refusal is an Error "insn N: reason", followed
// by the branch decisions that led there.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../error.h"
#include "../program.h"

namespace xdpdk::vm {

// A global (non-static) function as Linux treats it: verified once, on its
// own, with arguments typed by its BTF prototype (btf_prepare_func_args), and
// at each call only the arguments are checked against that prototype; the
// caller gets an unknown number back.
struct FuncArg {
    enum class Kind : uint8_t {
        Scalar,  // an integer or enum
        Ctx,     // struct xdp_md *
        Mem,     // a pointer to mem_size bytes, which may be NULL (unless nonnull)
    } kind = Kind::Scalar;
    uint32_t mem_size = 0;
    bool nonnull = false;  // __arg_nonnull
};
struct GlobalFunc {
    uint32_t start = 0;  // first instruction in the program
    std::string name;
    std::vector<FuncArg> args;
    // Why Linux cannot use the prototype, as its log says it ("" when it
    // can); every call is then refused.
    std::string invalid;
};

struct VerifyEnv {
    // Xdp: r1 is the xdp_md context. Raw: r1 points to mem_size bytes of
    // memory (NULL when mem_size is 0) and r2 holds mem_size; RFC 9669
    // defines shifts by out-of-range amounts and division by zero, so neither
    // is refused.
    ProgType type = ProgType::Xdp;
    XdpAttach attach = XdpAttach::Ingress;  // Devmap: ctx->egress_ifindex is readable
    uint64_t mem_size = 0;
    uint64_t insn_budget = 1'000'000;  // processed instructions before refusing
    // Tests only: kept states compare every scalar by its range and every
    // stack slot (no precision tracking, no stack liveness), to check that
    // those never let more programs through.
    bool exact_states = false;
    // When set, receives a summary line for an accepted program and, with
    // log_insns, each processed instruction with the state before it
    // (`prog verify -v`).
    std::string* log = nullptr;
    bool log_insns = false;
    // Which loader's rules apply. The default is Linux's for a privileged
    // loader (CAP_BPF + CAP_PERFMON, as root loads XDP: allow_ptr_leaks,
    // allow_uninit_stack): pointer - pointer is a number, pointers may be
    // stored in maps and the packet and returned, uninitialised stack reads
    // as unknown bytes. Strict (`--strict`) keeps the unprivileged loader's
    // rules, where no pointer value may leave the program and every stack
    // byte read must have been written.
    bool strict = false;
    // The program's global functions (from BTF; empty without BTF, where
    // Linux treats every function as static).
    std::vector<GlobalFunc> global_funcs;
    // Instructions an unresolved CO-RE relocation poisoned (libbpf's call of
    // helper 0xbad2310) and the refusal each gives where a path reaches it;
    // where none does, the program loads, as in Linux.
    std::vector<std::pair<uint32_t, std::string>> core_poisons;
};

struct VerifierInfo {
    uint64_t insns_processed = 0;
    uint32_t states_stored = 0;
    uint32_t max_combined_stack = 0;  // bytes, the deepest call chain as the kernel counts it
    // Loads whose base register is the program's context (xdp_md), for the
    // load-time rewrite to the runtime layout.
    std::vector<uint32_t> ctx_loads;
    // Instructions no feasible path reaches (both-way branches decided).
    std::vector<uint32_t> dead_insns;
    // Helper calls whose map argument had one type and key size on every
    // path (Program::dynamic_map_calls), by instruction.
    std::vector<DynamicMapCall> map_calls;
};

Result<VerifierInfo> verify(const Program& prog, const VerifyEnv& env = {});

}  // namespace xdpdk::vm
