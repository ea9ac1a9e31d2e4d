// What the JIT knows about registers within one basic block: a constant
// loaded from a read-only map or by lddw, or a pointer at a fixed offset into
// a read-only map's value (an lddw of .rodata). Loads through such pointers are folded into constants, and
// conditional jumps on constants are decided at compile time, which is how a
// `const volatile` knob set before load prunes disabled code, as the kernel's
// verifier does for frozen read-only maps.
#pragma once

#include <cstdint>
#include <optional>

#include "../program.h"

namespace xdpdk::vm::jit {

class KnownValues {
public:
    explicit KnownValues(const Program& prog) : prog_(prog) {}

    void forget_all();
    // After the instruction at `pc` ran (LddwTail excluded).
    void after(size_t pc);

    // A value known at compile time that a jump may be decided on: loaded
    // from a read-only map, or set by lddw.
    std::optional<uint64_t> scalar(uint8_t r) const;
    // Any known value, including moved-in immediates (helper arguments such
    // as bpf_csum_diff's sizes).
    std::optional<uint64_t> immediate(uint8_t r) const;
    // The value a load `in` (Ldx/Ldxs) reads when its address is known to lie
    // in a frozen, program-read-only map; nullopt otherwise.
    std::optional<uint64_t> folded_load(const Insn& in) const;

private:
    struct Known {
        enum class Kind : uint8_t { None, Scalar, Immediate, MapValue } kind = Kind::None;
        uint64_t scalar = 0;
        const Map* map = nullptr;
        int64_t offset = 0;
    };
    const Program& prog_;
    Known regs_[11];
};

// Whether a conditional jump `op` (any JmpImm/JmpReg) is taken for operands
// a and b, exactly as the interpreter decides it.
bool jump_taken(Op op, uint64_t a, uint64_t b);

}  // namespace xdpdk::vm::jit
