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
    explicit KnownValues(const Program& prog) : prog_(prog) { forget_all(); }

    void forget_all();
    // After the instruction at `pc` ran (LddwTail excluded).
    void after(size_t pc);

    // A value known at compile time that a jump may be decided on: loaded
    // from a read-only map, or set by lddw.
    std::optional<uint64_t> scalar(uint8_t r) const;
    // Any known value, including moved-in immediates (helper arguments such
    // as bpf_csum_diff's sizes).
    std::optional<uint64_t> immediate(uint8_t r) const;
    // r10 + the returned offset, when `r` is known to point into the
    // current frame's stack (r10 itself, or a copy of it moved by immediates).
    std::optional<int64_t> stack_offset(uint8_t r) const;
    // What `r` holds as base + offset, where base is a register that has not
    // been written since `r` was derived from it by moves and immediate adds
    // (r10 for stack pointers; `r` itself, offset 0, when nothing is known).
    struct Address {
        uint8_t base;
        int64_t offset;
    };
    Address address(uint8_t r) const;
    // The value a load `in` (Ldx/Ldxs) reads when its address is known to lie
    // in a frozen, program-read-only map; nullopt otherwise.
    std::optional<uint64_t> folded_load(const Insn& in) const;

private:
    struct Known {
        enum class Kind : uint8_t { None, Scalar, Immediate, MapValue, Stack, Derived } kind = Kind::None;
        uint64_t scalar = 0;
        const Map* map = nullptr;
        int64_t offset = 0;  // MapValue: into the map's value; Stack: from r10; Derived: from base
        uint8_t base = 0;    // Derived: the register's value plus offset
    };
    void update(size_t pc);

    const Program& prog_;
    Known regs_[11];
};

// Bit r set: `in` writes eBPF register r (r0-r5 for calls).
uint16_t written_registers(const Insn& in);

// Whether a conditional jump `op` (any JmpImm/JmpReg) is taken for operands
// a and b, exactly as the interpreter decides it.
bool jump_taken(Op op, uint64_t a, uint64_t b);

}  // namespace xdpdk::vm::jit
