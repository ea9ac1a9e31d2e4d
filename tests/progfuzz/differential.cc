#include "differential.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <span>

#include "vm/disassembler.h"
#include "vm/engine.h"
#include "vm/hex_bytes.h"
#include "vm/interpreter.h"
#include "vm/jit/jit.h"

namespace xdpdk::progfuzz {
namespace {

constexpr uint8_t kInterpreterStackFill = 0xa5;
constexpr uint8_t kJitStackFill = 0x5a;

// Fills the stack just below the caller, where the engine called next keeps
// its frame (the interpreter's stack array, the JIT's frame).
[[gnu::noinline]] void fill_stack_below(uint8_t pattern) {
    uint8_t area[32 * 1024];
    std::memset(area, pattern, sizeof area);
    asm volatile("" : : "r"(area) : "memory");
}

// The buffer at exactly its size (so a sanitizer sees an overrun) and 8-byte
// aligned, as the generator's aligned atomics assume.
class Buffer {
public:
    explicit Buffer(const std::vector<uint8_t>& init) : words_(new uint64_t[(init.size() + 7) / 8]), size_(init.size()) {
        std::memcpy(words_.get(), init.data(), size_);
    }
    void* data() { return words_.get(); }
    size_t size() const { return size_; }
    std::vector<uint8_t> bytes() const {
        const auto* p = reinterpret_cast<const uint8_t*>(words_.get());
        return {p, p + size_};
    }

private:
    std::unique_ptr<uint64_t[]> words_;
    size_t size_;
};

enum class Via { Interpreter, RunRaw };

Outcome run_once(const vm::Program& prog, const GeneratedCase& c, uint8_t stack_fill, Via via) {
    Buffer mem(c.mem);
    vm::ExecContext ex;
    ex.cpu = c.cpu;
    Outcome out;
    fill_stack_below(stack_fill);
    out.r0 = via == Via::Interpreter ? vm::interpret(prog, reinterpret_cast<uint64_t>(mem.data()), mem.size(), ex)
                                     : vm::run_raw(prog, mem.data(), mem.size(), ex);
    if (ex.fault) out.fault = ex.fault;
    out.mem = mem.bytes();
    return out;
}

std::string hex64(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
    return buf;
}

std::string describe(const Outcome& o) {
    if (!o.refused.empty()) return "refused: " + o.refused;
    std::string s = "r0 = " + hex64(o.r0);
    if (!o.fault.empty()) s += ", fault: " + o.fault;
    return s;
}

// "bytes 8..15: 01 02 ... vs 03 04 ..." for each differing 8-byte word.
std::string memory_differences(const Outcome& a, const Outcome& b) {
    std::string s;
    if (a.mem.size() != b.mem.size()) return "  buffer sizes differ\n";
    for (size_t w = 0; w < a.mem.size(); w += 8) {
        const size_t n = std::min<size_t>(8, a.mem.size() - w);
        if (std::memcmp(&a.mem[w], &b.mem[w], n) == 0) continue;
        s += "  bytes " + std::to_string(w) + ".." + std::to_string(w + n - 1) + ": " +
             vm::to_hex_bytes(std::span(&a.mem[w], n)) + "  vs  " + vm::to_hex_bytes(std::span(&b.mem[w], n)) + "\n";
    }
    return s;
}

std::string hex_lines(const std::vector<uint8_t>& bytes) {
    std::string s;
    for (size_t i = 0; i < bytes.size(); i += 16)
        s += vm::to_hex_bytes(std::span(bytes).subspan(i, std::min<size_t>(16, bytes.size() - i))) + "\n";
    return s;
}

}  // namespace

Outcome run_interpreter(vm::Program& prog, const GeneratedCase& c) {
    return run_once(prog, c, kInterpreterStackFill, Via::Interpreter);
}

Outcome run_interpreter_over(vm::Program& prog, const GeneratedCase& c, uint8_t stack_fill) {
    return run_once(prog, c, stack_fill, Via::Interpreter);
}

Outcome run_jit(vm::Program& prog, const GeneratedCase& c) {
    if (Status compiled = vm::jit_compile(prog, jit_options_for(c.seed)); !compiled)
        return Outcome::refusal(compiled.error().str());
    if (!prog.jit) return Outcome::refusal("jit_compile succeeded but left prog.jit empty");
    return run_once(prog, c, kJitStackFill, Via::RunRaw);
}

vm::JitOptions jit_options_for(uint64_t seed) {
    vm::JitOptions opts;
    // Bits 2 and 3: the cpu (seed % 4) varies independently of the options.
    opts.use_bmi2 = (seed >> 2 & 1) == 0;
    opts.inline_helpers = (seed >> 3 & 1) == 0;
    return opts;
}

std::string jit_engine_name(uint64_t seed) {
    const vm::JitOptions opts = jit_options_for(seed);
    std::string name = "jit";
    if (!opts.use_bmi2) name += "(no bmi2)";
    if (!opts.inline_helpers) name += "(no inline helpers)";
    return name;
}

std::optional<Difference> compare_engines(const GeneratedCase& c, Engine reference, std::string_view reference_name,
                                          Engine candidate, std::string_view candidate_name) {
    const std::string seed = std::to_string(c.seed);
    const std::string listing = vm::disassemble(c.program);
    auto prog = vm::make_program("prog 'seed-" + seed + "'", c.program);
    if (!prog) {
        return Difference{c.seed, "seed " + seed + ": the generator made a program the decoder refuses: " +
                                      prog.error().str() + "\n" + listing, ""};
    }
    const Outcome ref = reference(**prog, c);
    const Outcome got = candidate(**prog, c);
    if (ref == got) return std::nullopt;

    Difference d;
    d.seed = c.seed;
    std::string why = std::string(candidate_name) + " " + describe(got) + ", " + std::string(reference_name) + " " +
                      describe(ref);
    if (ref.refused.empty() && got.refused.empty() && ref.mem != got.mem) why += "; the final buffers differ";
    d.report = "seed " + seed + ": " + std::string(reference_name) + " and " + std::string(candidate_name) +
               " disagree\n  " + std::string(reference_name) + ": " + describe(ref) + "\n  " +
               std::string(candidate_name) + ": " + describe(got) + "\n" + memory_differences(ref, got) +
               "program (" + std::to_string(c.program.size()) + " insns):\n" + listing + "buffer:\n" +
               hex_lines(c.mem) + "cpu: " + std::to_string(c.cpu) + "\nrerun: XDPDK_DIFF_FIRST_SEED=" + seed +
               " XDPDK_DIFF_PROGRAMS=1 test_jit_diff --gtest_filter='JitDiff.*'\n";
    if (!ref.refused.empty()) return d;
    // The ISA runner runs with cpu 0; its expectation must come from there.
    GeneratedCase on_cpu0 = c;
    on_cpu0.cpu = 0;
    const Outcome ref_cpu0 = c.cpu == 0 ? ref : reference(**prog, on_cpu0);
    if (c.cpu != 0) why += " (found with cpu " + std::to_string(c.cpu) + ")";
    if (ref_cpu0.refused.empty()) d.regression = regression_text(c, ref_cpu0, why);
    return d;
}

std::string regression_text(const GeneratedCase& c, const Outcome& reference, std::string_view why) {
    std::string s = "# Found by tests/test_jit_diff, seed " + std::to_string(c.seed) + ": " + std::string(why) +
                    ".\n# Expected: the interpreter's result. The program folds the final buffer into r0.\n";
    s += "-- asm\n" + vm::disassemble(c.program);
    s += "-- mem\n" + hex_lines(c.mem);
    if (!reference.fault.empty()) s += "-- error\n" + reference.fault + "\n";
    else s += "-- result\n" + hex64(reference.r0) + "\n";
    return s;
}

Result<std::string> write_regression(const std::string& dir, const Difference& d) {
    const std::string path = dir + "/regress-" + std::to_string(d.seed) + ".data";
    if (d.regression.empty()) return make_error(path, "no reference result to write");
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << d.regression;
    f.close();
    if (!f) return make_error(path, "cannot write the regression file");
    return path;
}

}  // namespace xdpdk::progfuzz
