// Differential runner: one generated case through two engines, compared on
// r0, the final buffer and faults. A disagreement comes with a report for
// people and a tests/isa regression file expecting the reference (the
// interpreter, which follows RFC 9669) result, so every mismatch found stays a
// test that runs on both engines.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "program_generator.h"
#include "vm/error.h"
#include "vm/program.h"

namespace xdpdk::progfuzz {

// What one engine did with a case.
struct Outcome {
    std::string refused;       // the engine's load or compile error; empty when it ran
    uint64_t r0 = 0;
    std::vector<uint8_t> mem;  // the buffer after the run
    std::string fault;         // the fault that stopped the run; empty when none
    bool operator==(const Outcome&) const = default;

    static Outcome refusal(std::string why) {
        Outcome o;
        o.refused = std::move(why);
        return o;
    }
};

// Runs `prog` (decoded from c.program) on a fresh copy of c.mem.
using Engine = Outcome (*)(vm::Program& prog, const GeneratedCase& c);

// Both engines start over a stack filled with a pattern of their own, so a
// program reading stack bytes it never wrote gives different results.
Outcome run_interpreter(vm::Program& prog, const GeneratedCase& c);
// The interpreter over a stack filled with `stack_fill` (for checks that must
// not depend on the JIT).
Outcome run_interpreter_over(vm::Program& prog, const GeneratedCase& c, uint8_t stack_fill);
// jit_compile, then run_raw (which runs prog.jit). Until the JIT is part of
// the build (vm::Program has no `jit`), the interpreter a second time.
Outcome run_jit(vm::Program& prog, const GeneratedCase& c);

bool jit_built();
// "jit", or what stands in for it while the JIT is not built.
const char* jit_engine_name();

struct Difference {
    uint64_t seed = 0;
    std::string report;      // seed, both outcomes, the program listing
    std::string regression;  // a .data file; empty when there is no reference result
};

// Decodes c.program and runs it on both engines; nullopt when they agree. A
// program the decoder refuses is a Difference too (the generator promises
// valid programs), without a regression file.
std::optional<Difference> compare_engines(const GeneratedCase& c, Engine reference, std::string_view reference_name,
                                          Engine candidate, std::string_view candidate_name);

// The tests/isa case for `c`, expecting `reference`; `why` goes in its header.
std::string regression_text(const GeneratedCase& c, const Outcome& reference, std::string_view why);

// Writes d.regression to <dir>/regress-<seed>.data and returns that path.
Result<std::string> write_regression(const std::string& dir, const Difference& d);

}  // namespace xdpdk::progfuzz
