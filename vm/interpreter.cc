// Computed-goto interpreter. The label table is generated from the same
// XDPDK_OPS list that defines the Op enum, so dispatch cannot drift from the
// opcode table.
#include "interpreter.h"

#include <cstring>

#include "helpers.h"

namespace xdpdk::vm {
namespace {

template <class T>
inline T load(uint64_t addr) {
    T v;
    std::memcpy(&v, reinterpret_cast<const void*>(addr), sizeof v);
    return v;
}

template <class T>
inline void store(uint64_t addr, T v) {
    std::memcpy(reinterpret_cast<void*>(addr), &v, sizeof v);
}

struct Frame {
    const Insn* insns;
    int64_t return_pc;
    uint64_t saved[4];  // r6-r9
};

// RFC 9669: division by zero yields 0, modulo by zero leaves dst unchanged,
// and signed overflow (INT_MIN / -1) wraps.
inline uint64_t udiv64(uint64_t a, uint64_t b) { return b ? a / b : 0; }
inline uint64_t umod64(uint64_t a, uint64_t b) { return b ? a % b : a; }
inline uint32_t udiv32(uint32_t a, uint32_t b) { return b ? a / b : 0; }
inline uint32_t umod32(uint32_t a, uint32_t b) { return b ? a % b : a; }
inline uint64_t sdiv64(uint64_t a, uint64_t b) {
    const int64_t x = static_cast<int64_t>(a), y = static_cast<int64_t>(b);
    if (y == 0) return 0;
    if (y == -1) return 0 - a;
    return static_cast<uint64_t>(x / y);
}
inline uint64_t smod64(uint64_t a, uint64_t b) {
    const int64_t x = static_cast<int64_t>(a), y = static_cast<int64_t>(b);
    if (y == 0) return a;
    if (y == -1) return 0;
    return static_cast<uint64_t>(x % y);
}
inline uint32_t sdiv32(uint32_t a, uint32_t b) {
    const int32_t x = static_cast<int32_t>(a), y = static_cast<int32_t>(b);
    if (y == 0) return 0;
    if (y == -1) return 0u - a;
    return static_cast<uint32_t>(x / y);
}
inline uint32_t smod32(uint32_t a, uint32_t b) {
    const int32_t x = static_cast<int32_t>(a), y = static_cast<int32_t>(b);
    if (y == 0) return a;
    if (y == -1) return 0;
    return static_cast<uint32_t>(x % y);
}

}  // namespace

uint64_t interpret(const Program& prog, uint64_t r1, uint64_t r2, ExecContext& ex) {
    return interpret_at(prog, 0, {r1, r2, 0, 0, 0}, ex);
}

uint64_t interpret_at(const Program& prog, uint32_t start, const uint64_t (&args)[5], ExecContext& ex) {
#define XDPDK_LABEL_FOUR_(n) &&L_##n##64Imm, &&L_##n##64Reg, &&L_##n##32Imm, &&L_##n##32Reg,
#define XDPDK_LABEL_ONE_(n) &&L_##n,
    static const void* const kLabels[] = {XDPDK_OPS(XDPDK_LABEL_FOUR_, XDPDK_LABEL_ONE_)};
#undef XDPDK_LABEL_FOUR_
#undef XDPDK_LABEL_ONE_
    static_assert(sizeof(kLabels) / sizeof(kLabels[0]) == kNumOps);

    alignas(16) uint8_t stack[bpf::kMaxFrames * bpf::kStackSize];
    Frame frames[bpf::kMaxFrames];
    int depth = 0;

    uint64_t reg[11] = {};
    for (int r = 0; r < 5; ++r) reg[r + 1] = args[r];
    reg[10] = reinterpret_cast<uint64_t>(stack + sizeof stack);

    const Insn* insns = prog.insns.data();
    const Insn* in = insns + start;

#define DISPATCH() goto* kLabels[static_cast<int>(in->op)]
#define NEXT() \
    do {       \
        ++in;  \
        DISPATCH(); \
    } while (0)
#define DST reg[in->dst]
#define SRC reg[in->src]
#define IMM64 static_cast<uint64_t>(static_cast<int64_t>(in->imm))
#define IMM32 static_cast<uint32_t>(in->imm)

    // ALU groups: EXPR uses a (dst) and b (operand); 32-bit results zero-extend.
#define ALU_GROUP(n, EXPR64, EXPR32)                     \
    L_##n##64Imm : {                                     \
        const uint64_t a = DST, b = IMM64;               \
        DST = (EXPR64);                                  \
        NEXT();                                          \
    }                                                    \
    L_##n##64Reg : {                                     \
        const uint64_t a = DST, b = SRC;                 \
        DST = (EXPR64);                                  \
        NEXT();                                          \
    }                                                    \
    L_##n##32Imm : {                                     \
        const uint32_t a = static_cast<uint32_t>(DST), b = IMM32; \
        DST = static_cast<uint32_t>(EXPR32);             \
        NEXT();                                          \
    }                                                    \
    L_##n##32Reg : {                                     \
        const uint32_t a = static_cast<uint32_t>(DST), b = static_cast<uint32_t>(SRC); \
        DST = static_cast<uint32_t>(EXPR32);             \
        NEXT();                                          \
    }

    // Jump groups: COND64 on 64-bit values, COND32 on the low halves.
#define JMP_GROUP(n, COND64, COND32)                                          \
    L_##n##64Imm : {                                                          \
        const uint64_t a = DST, b = IMM64;                                    \
        in += (COND64) ? in->off + 1 : 1;                                     \
        DISPATCH();                                                           \
    }                                                                         \
    L_##n##64Reg : {                                                          \
        const uint64_t a = DST, b = SRC;                                      \
        in += (COND64) ? in->off + 1 : 1;                                     \
        DISPATCH();                                                           \
    }                                                                         \
    L_##n##32Imm : {                                                          \
        const uint32_t a = static_cast<uint32_t>(DST), b = IMM32;             \
        in += (COND32) ? in->off + 1 : 1;                                     \
        DISPATCH();                                                           \
    }                                                                         \
    L_##n##32Reg : {                                                          \
        const uint32_t a = static_cast<uint32_t>(DST), b = static_cast<uint32_t>(SRC); \
        in += (COND32) ? in->off + 1 : 1;                                     \
        DISPATCH();                                                           \
    }

#define S64(x) static_cast<int64_t>(x)
#define S32(x) static_cast<int32_t>(x)

    DISPATCH();

    ALU_GROUP(Add, a + b, a + b)
    ALU_GROUP(Sub, a - b, a - b)
    ALU_GROUP(Mul, a * b, a * b)
    ALU_GROUP(Div, udiv64(a, b), udiv32(a, b))
    ALU_GROUP(Or, a | b, a | b)
    ALU_GROUP(And, a & b, a & b)
    ALU_GROUP(Lsh, a << (b & 63), a << (b & 31))
    ALU_GROUP(Rsh, a >> (b & 63), a >> (b & 31))
    ALU_GROUP(Mod, umod64(a, b), umod32(a, b))
    ALU_GROUP(Xor, a ^ b, a ^ b)
    ALU_GROUP(Mov, (static_cast<void>(a), b), (static_cast<void>(a), b))
    ALU_GROUP(Arsh, static_cast<uint64_t>(S64(a) >> (b & 63)), static_cast<uint32_t>(S32(a) >> (b & 31)))
    ALU_GROUP(Sdiv, sdiv64(a, b), sdiv32(a, b))
    ALU_GROUP(Smod, smod64(a, b), smod32(a, b))

L_Neg64:
    DST = 0 - DST;
    NEXT();
L_Neg32:
    DST = static_cast<uint32_t>(0u - static_cast<uint32_t>(DST));
    NEXT();
L_Movsx64x8:
    DST = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(SRC)));
    NEXT();
L_Movsx64x16:
    DST = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int16_t>(SRC)));
    NEXT();
L_Movsx64x32:
    DST = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(SRC)));
    NEXT();
L_Movsx32x8:
    DST = static_cast<uint32_t>(static_cast<int32_t>(static_cast<int8_t>(SRC)));
    NEXT();
L_Movsx32x16:
    DST = static_cast<uint32_t>(static_cast<int32_t>(static_cast<int16_t>(SRC)));
    NEXT();
    // This runtime is x86-64 only (little-endian): le is truncation, be a swap.
L_Le16:
    DST = static_cast<uint16_t>(DST);
    NEXT();
L_Le32:
    DST = static_cast<uint32_t>(DST);
    NEXT();
L_Le64:
    NEXT();
L_Be16:
L_Bswap16:
    DST = __builtin_bswap16(static_cast<uint16_t>(DST));
    NEXT();
L_Be32:
L_Bswap32:
    DST = __builtin_bswap32(static_cast<uint32_t>(DST));
    NEXT();
L_Be64:
L_Bswap64:
    DST = __builtin_bswap64(DST);
    NEXT();

    JMP_GROUP(Jeq, a == b, a == b)
    JMP_GROUP(Jgt, a > b, a > b)
    JMP_GROUP(Jge, a >= b, a >= b)
    JMP_GROUP(Jset, (a & b) != 0, (a & b) != 0)
    JMP_GROUP(Jne, a != b, a != b)
    JMP_GROUP(Jsgt, S64(a) > S64(b), S32(a) > S32(b))
    JMP_GROUP(Jsge, S64(a) >= S64(b), S32(a) >= S32(b))
    JMP_GROUP(Jlt, a < b, a < b)
    JMP_GROUP(Jle, a <= b, a <= b)
    JMP_GROUP(Jslt, S64(a) < S64(b), S32(a) < S32(b))
    JMP_GROUP(Jsle, S64(a) <= S64(b), S32(a) <= S32(b))

L_Ja:
    in += in->off + 1;
    DISPATCH();
L_Ja32:
    in += static_cast<int64_t>(in->imm) + 1;
    DISPATCH();
L_Call:
    if (in->imm == helper_id::TailCall) [[unlikely]] {
        if (const Program* next = tail_call_target(reg[2], reg[3], &ex)) {
            insns = next->insns.data();
            in = insns;
            DISPATCH();
        }
        NEXT();
    }
    reg[0] = find_helper(in->imm)(reg[1], reg[2], reg[3], reg[4], reg[5], &ex);
    NEXT();
L_CallLocal: {
    // The verifier bounds call depth; without it, a runaway recursion must
    // still not overrun our frames.
    if (depth + 1 >= bpf::kMaxFrames) [[unlikely]] {
        ex.fault = "call depth exceeds 8 frames";
        return 0;
    }
    Frame& f = frames[depth++];
    f.insns = insns;
    f.return_pc = (in - insns) + 1;
    std::memcpy(f.saved, &reg[6], sizeof f.saved);
    reg[10] -= bpf::kStackSize;
    in += static_cast<int64_t>(in->imm) + 1;
    DISPATCH();
}
L_Exit:
    if (depth == 0) return reg[0];
    {
        Frame& f = frames[--depth];
        std::memcpy(&reg[6], f.saved, sizeof f.saved);
        reg[10] += bpf::kStackSize;
        insns = f.insns;
        in = insns + f.return_pc;
    }
    DISPATCH();
L_Lddw:
    DST = static_cast<uint32_t>(in->imm) | (static_cast<uint64_t>(static_cast<uint32_t>(in[1].imm)) << 32);
    in += 2;
    DISPATCH();
L_LddwTail:
    __builtin_unreachable();

L_LdxB:
    DST = load<uint8_t>(SRC + in->off);
    NEXT();
L_LdxH:
    DST = load<uint16_t>(SRC + in->off);
    NEXT();
L_LdxW:
    DST = load<uint32_t>(SRC + in->off);
    NEXT();
L_LdxDW:
    DST = load<uint64_t>(SRC + in->off);
    NEXT();
L_LdxsB:
    DST = static_cast<uint64_t>(static_cast<int64_t>(load<int8_t>(SRC + in->off)));
    NEXT();
L_LdxsH:
    DST = static_cast<uint64_t>(static_cast<int64_t>(load<int16_t>(SRC + in->off)));
    NEXT();
L_LdxsW:
    DST = static_cast<uint64_t>(static_cast<int64_t>(load<int32_t>(SRC + in->off)));
    NEXT();
L_StB:
    store<uint8_t>(DST + in->off, static_cast<uint8_t>(in->imm));
    NEXT();
L_StH:
    store<uint16_t>(DST + in->off, static_cast<uint16_t>(in->imm));
    NEXT();
L_StW:
    store<uint32_t>(DST + in->off, static_cast<uint32_t>(in->imm));
    NEXT();
L_StDW:
    store<uint64_t>(DST + in->off, IMM64);
    NEXT();
L_StxB:
    store<uint8_t>(DST + in->off, static_cast<uint8_t>(SRC));
    NEXT();
L_StxH:
    store<uint16_t>(DST + in->off, static_cast<uint16_t>(SRC));
    NEXT();
L_StxW:
    store<uint32_t>(DST + in->off, static_cast<uint32_t>(SRC));
    NEXT();
L_StxDW:
    store<uint64_t>(DST + in->off, SRC);
    NEXT();

#define ATOMIC_PTR(T) reinterpret_cast<T*>(DST + in->off)
#define ATOMIC_OP(name, T, builtin)                                                  \
    L_Atomic##name : builtin(ATOMIC_PTR(T), static_cast<T>(SRC), __ATOMIC_SEQ_CST); \
    NEXT();                                                                          \
    L_AtomicFetch##name : SRC = builtin(ATOMIC_PTR(T), static_cast<T>(SRC), __ATOMIC_SEQ_CST); \
    NEXT();
    ATOMIC_OP(AddW, uint32_t, __atomic_fetch_add)
    ATOMIC_OP(OrW, uint32_t, __atomic_fetch_or)
    ATOMIC_OP(AndW, uint32_t, __atomic_fetch_and)
    ATOMIC_OP(XorW, uint32_t, __atomic_fetch_xor)
    ATOMIC_OP(AddDW, uint64_t, __atomic_fetch_add)
    ATOMIC_OP(OrDW, uint64_t, __atomic_fetch_or)
    ATOMIC_OP(AndDW, uint64_t, __atomic_fetch_and)
    ATOMIC_OP(XorDW, uint64_t, __atomic_fetch_xor)
L_AtomicXchgW:
    SRC = __atomic_exchange_n(ATOMIC_PTR(uint32_t), static_cast<uint32_t>(SRC), __ATOMIC_SEQ_CST);
    NEXT();
L_AtomicXchgDW:
    SRC = __atomic_exchange_n(ATOMIC_PTR(uint64_t), SRC, __ATOMIC_SEQ_CST);
    NEXT();
L_AtomicCmpxchgW: {
    uint32_t expected = static_cast<uint32_t>(reg[0]);
    __atomic_compare_exchange_n(ATOMIC_PTR(uint32_t), &expected, static_cast<uint32_t>(SRC), false,
                                __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    reg[0] = expected;  // the old value, zero-extended
    NEXT();
}
L_AtomicCmpxchgDW: {
    uint64_t expected = reg[0];
    __atomic_compare_exchange_n(ATOMIC_PTR(uint64_t), &expected, SRC, false, __ATOMIC_SEQ_CST,
                                __ATOMIC_SEQ_CST);
    reg[0] = expected;
    NEXT();
}
#undef ATOMIC_OP
#undef ATOMIC_PTR
#undef S64
#undef S32
#undef JMP_GROUP
#undef ALU_GROUP
#undef IMM32
#undef IMM64
#undef SRC
#undef DST
#undef NEXT
#undef DISPATCH
}

}  // namespace xdpdk::vm
