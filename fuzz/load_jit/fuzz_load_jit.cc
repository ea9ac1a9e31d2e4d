// libFuzzer target: arbitrary bytes through the loader, the decoder, the
// verifier and the JIT. Input starting with the ELF magic is opened as a BPF
// object and loaded (which verifies its XDP programs), and its programs
// compiled; anything else is read as raw instructions, decoded, verified as
// `xdpdk exec` verifies them (r1 = 64 bytes of memory) and, if accepted,
// compiled. Nothing is run: decode, verification and compile are under test,
// including that no input makes the verifier crash or hang (its instruction
// budget turns pathological programs into a refusal).
//
// Besides crashes and sanitizer reports, the target stops on a refusal that
// is not one clear error: every Error needs a subject and a reason, and an
// instruction index inside the program it names.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "vm/jit/jit.h"
#include "vm/object.h"
#include "vm/program.h"
#include "vm/verifier/verifier.h"

using namespace xdpdk;
using namespace xdpdk::vm;

namespace {

constexpr uint8_t kElfMagic[4] = {0x7f, 'E', 'L', 'F'};

void check_error(const Error& e, size_t program_size) {
    const bool index_ok = e.insn < 0 || static_cast<size_t>(e.insn) < program_size;
    if (!e.subject.empty() && !e.reason.empty() && index_ok) return;
    std::fprintf(stderr, "malformed error (program of %zu insns): %s\n", program_size, e.str().c_str());
    std::abort();
}

void compile(Program& prog) {
    Status compiled = jit_compile(prog);
    if (!compiled) {
        check_error(compiled.error(), prog.insns.size());
        if (prog.jit) {
            std::fprintf(stderr, "jit_compile failed but left code behind: %s\n", compiled.error().str().c_str());
            std::abort();
        }
    } else if (!prog.jit) {
        std::fprintf(stderr, "jit_compile succeeded without code\n");
        std::abort();
    }
}

void decode_and_compile(const uint8_t* data, size_t size) {
    std::vector<RawInsn> insns(size / sizeof(RawInsn));
    if (!insns.empty()) std::memcpy(insns.data(), data, insns.size() * sizeof(RawInsn));
    const size_t count = insns.size();
    auto prog = make_program("prog 'fuzz'", std::move(insns));
    if (!prog) return check_error(prog.error(), count);
    VerifyEnv env;
    env.type = ProgType::Raw;
    env.mem_size = 64;
    auto verified = verify(**prog, env);
    if (!verified) return check_error(verified.error(), count);
    compile(**prog);
}

void load_and_compile(const uint8_t* data, size_t size) {
    auto obj = Object::open_memory(std::span(data, size), "fuzz.o");
    if (!obj) return check_error(obj.error(), SIZE_MAX);
    if (Status loaded = (*obj)->load(); !loaded) {
        // Load errors may name an instruction of any program in the object.
        return check_error(loaded.error(), SIZE_MAX);
    }
    for (const auto& prog : (*obj)->programs())
        if (!prog->insns.empty()) compile(*prog);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size >= sizeof kElfMagic && std::memcmp(data, kElfMagic, sizeof kElfMagic) == 0)
        load_and_compile(data, size);
    else
        decode_and_compile(data, size);
    return 0;
}
