// Differential runner: one generated case through two engines, compared on
// r0, the final buffer and faults. A disagreement comes with a report for
// people and a tests/isa regression file expecting the reference (the
// interpreter, which follows RFC 9669) result, so every mismatch found stays a
// test that runs on every engine.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "program_generator.h"
#include "vm/error.h"
#include "vm/jit/jit.h"
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

// Runs `prog` (decoded from c.program) on a fresh copy of c.mem, with
// ExecContext::cpu = c.cpu.
using Engine = Outcome (*)(vm::Program& prog, const GeneratedCase& c);

// Each engine starts over a stack filled with a pattern of its own, so a
// program reading stack bytes it never wrote gives different results.
Outcome run_interpreter(vm::Program& prog, const GeneratedCase& c);
// The same over a stack filled with `stack_fill`.
Outcome run_interpreter_over(vm::Program& prog, const GeneratedCase& c, uint8_t stack_fill);

// jit_compile with jit_options_for(c.seed), then run_raw (which runs
// prog.jit).
Outcome run_jit(vm::Program& prog, const GeneratedCase& c);
// The seed picks the JIT's options, so every combination (BMI2 shifts or the
// rcx sequence, helpers inlined or called) gets its share of programs.
vm::JitOptions jit_options_for(uint64_t seed);
// "jit", "jit(no bmi2)", "jit(no inline helpers)", ...
std::string jit_engine_name(uint64_t seed);

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

// The tests/isa case for `c`, expecting `reference` (which must come from a
// run with cpu 0, as the ISA runner's); `why` goes in its header.
std::string regression_text(const GeneratedCase& c, const Outcome& reference, std::string_view why);

// Writes d.regression to <dir>/regress-<seed>.data and returns that path.
Result<std::string> write_regression(const std::string& dir, const Difference& d);

}  // namespace xdpdk::progfuzz
