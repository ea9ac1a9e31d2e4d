// libFuzzer target: arbitrary bytes through the loader, the decoder, the
// verifier and the JIT, and accepted programs through both engines. Input
// starting with the ELF magic is a BPF object; anything else is raw
// instructions, verified as `xdpdk exec` verifies them (r1 = 64 bytes of
// memory).
//
// Each input is checked twice:
//   - under root's verifier rules (what xdpdk loads by default): loading and
//     compiling never crash, and every refusal is one clear error naming an
//     instruction inside the program;
//   - under the strict (unprivileged) rules, whose programs cannot observe
//     pointer values or never-written stack bytes: what they accept runs in
//     the interpreter and in the JIT, which must agree on r0, memory, faults
//     and (for objects) frames, redirects and maps (engine_agreement.h). Root's
//     rules let a program return a map's address or read stack garbage, where
//     two engines rightly differ.
// The verifier's instruction budget turns pathological programs into a
// refusal; libFuzzer's -timeout catches any that is not. Programs get a tenth
// of the default budget (fuzz::bounded_object_options): a 55-instruction loop
// nest spending all of 1,000,000 instructions takes 0.9 s per verification
// optimised and over 10 s under the sanitizers, a bounded run the timeout
// would call a hang.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "fuzz/engine_agreement.h"
#include "fuzz/fuzz_check.h"
#include "vm/engine.h"
#include "vm/helpers.h"
#include "vm/jit/jit.h"
#include "vm/object.h"
#include "vm/program.h"
#include "vm/verifier/verifier.h"

using namespace xdpdk;
using namespace xdpdk::vm;
using fuzz::check_one_line_error;
using fuzz::fail;

namespace {

constexpr uint8_t kElfMagic[4] = {0x7f, 'E', 'L', 'F'};
constexpr size_t kRawMemBytes = 64;

void compile(Program& prog) {
    Status compiled = jit_compile(prog);
    if (!compiled) {
        check_one_line_error(compiled.error(), prog.insns.size());
        if (prog.jit) fail("jit_compile failed but left code behind", compiled.error().str());
    } else if (!prog.jit) {
        fail("jit_compile succeeded without code", prog.name);
    }
}

struct RawRun {
    uint64_t r0;
    std::vector<uint8_t> mem;
    std::string fault;
};

RawRun run_raw_once(const Program& prog) {
    RawRun run{0, std::vector<uint8_t>(kRawMemBytes), ""};
    for (size_t i = 0; i < run.mem.size(); ++i) run.mem[i] = static_cast<uint8_t>(i * 7 + 3);
    ExecContext ex;
    run.r0 = run_raw(prog, run.mem.data(), run.mem.size(), ex);
    run.fault = ex.fault ? ex.fault : "";
    return run;
}

std::string describe(const RawRun& r) { return "r0=" + std::to_string(r.r0) + " fault=" + (r.fault.empty() ? "-" : r.fault); }

void decode_verify_run(const uint8_t* data, size_t size) {
    std::vector<RawInsn> insns(size / sizeof(RawInsn));
    if (!insns.empty()) std::memcpy(insns.data(), data, insns.size() * sizeof(RawInsn));
    const size_t count = insns.size();
    auto prog = make_program("prog 'fuzz'", std::move(insns));
    if (!prog) return check_one_line_error(prog.error(), count);
    VerifyEnv env;
    env.type = ProgType::Raw;
    env.mem_size = kRawMemBytes;
    env.insn_budget = fuzz::kInsnBudget;
    auto verified = verify(**prog, env);
    if (!verified) return check_one_line_error(verified.error(), count);
    env.strict = true;
    const bool comparable = static_cast<bool>(verify(**prog, env)) && !fuzz::calls_varying_helper(**prog);
    // Without machine code run_raw interprets; then the same Program compiled.
    RawRun interpreted;
    if (comparable) interpreted = run_raw_once(**prog);
    compile(**prog);
    if (!comparable || !(*prog)->jit) return;
    const RawRun jited = run_raw_once(**prog);
    if (interpreted.r0 != jited.r0 || interpreted.fault != jited.fault)
        fail("the engines disagree", "interpreter " + describe(interpreted) + ", jit " + describe(jited));
    if (interpreted.mem != jited.mem) fail("the engines leave different memory", describe(jited));
}

void load_compile_run(const uint8_t* data, size_t size) {
    const std::span<const uint8_t> elf(data, size);
    const ObjectOptions opts = fuzz::bounded_object_options();
    {
        auto obj = Object::open_memory(elf, "fuzz.o", opts);
        if (!obj) return check_one_line_error(obj.error());
        // Load errors may name an instruction of any program in the object.
        if (Status loaded = (*obj)->load(); !loaded) return check_one_line_error(loaded.error());
        for (const auto& prog : (*obj)->programs())
            if (!prog->insns.empty() && !prog->jit) compile(*prog);
    }
    ObjectOptions strict = opts;
    strict.strict_verifier = true;
    fuzz::check_engines_agree(elf, strict, "fuzz.o");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size >= sizeof kElfMagic && std::memcmp(data, kElfMagic, sizeof kElfMagic) == 0)
        load_compile_run(data, size);
    else
        decode_verify_run(data, size);
    return 0;
}
