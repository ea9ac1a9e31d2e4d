#include "known_values.h"

#include <cstring>

#include "../map.h"
#include "emitter.h"

namespace xdpdk::vm::jit {
namespace {

constexpr uint32_t kFlagRdonlyProg = 1u << 7;  // BPF_F_RDONLY_PROG

// As the kernel's bpf_map_is_rdonly(): frozen against userspace and
// read-only for programs, so its contents can never change again.
bool read_only(const Map& map) { return map.frozen() && (map.spec().flags & kFlagRdonlyProg); }

}  // namespace

void KnownValues::forget_all() {
    for (Known& k : regs_) k = Known{};
    // r10 is read-only: the frame pointer wherever the code is.
    regs_[10] = Known{Known::Kind::Stack, 0, nullptr, 0};
}

KnownValues::Address KnownValues::address(uint8_t r) const {
    // Offsets stay far from the limits of an x86 displacement.
    constexpr int64_t kMaxOffset = int64_t{1} << 30;
    if (r > 10 || regs_[r].offset < -kMaxOffset || regs_[r].offset > kMaxOffset) return Address{r, 0};
    if (regs_[r].kind == Known::Kind::Stack) return Address{10, regs_[r].offset};
    if (regs_[r].kind == Known::Kind::Derived) return Address{regs_[r].base, regs_[r].offset};
    return Address{r, 0};
}

std::optional<int64_t> KnownValues::stack_offset(uint8_t r) const {
    if (r > 10 || regs_[r].kind != Known::Kind::Stack) return std::nullopt;
    return regs_[r].offset;
}

std::optional<uint64_t> KnownValues::scalar(uint8_t r) const {
    if (r > 10 || regs_[r].kind != Known::Kind::Scalar) return std::nullopt;
    return regs_[r].scalar;
}

std::optional<uint64_t> KnownValues::immediate(uint8_t r) const {
    if (r > 10 || (regs_[r].kind != Known::Kind::Scalar && regs_[r].kind != Known::Kind::Immediate))
        return std::nullopt;
    return regs_[r].scalar;
}

std::optional<uint64_t> KnownValues::folded_load(const Insn& in) const {
    const Known& base = regs_[in.src];
    if (base.kind != Known::Kind::MapValue) return std::nullopt;
    const OpInfo& info = op_info(in.op);
    const int64_t at = base.offset + in.off;
    const Map& map = *base.map;
    if (at < 0 || at + info.size > int64_t{map.spec().value_size} || !read_only(map)) return std::nullopt;
    // Read-only from here on; value_base() is only non-const because
    // writable maps hand out writable pointers.
    const uint8_t* bytes = const_cast<Map&>(map).value_base();
    if (bytes == nullptr) return std::nullopt;
    uint64_t raw = 0;
    std::memcpy(&raw, bytes + at, info.size);
    if (info.kind == Kind::Ldxs && info.size < 8) {
        const int shift = 64 - 8 * info.size;
        raw = static_cast<uint64_t>(static_cast<int64_t>(raw << shift) >> shift);
    }
    return raw;
}

void KnownValues::after(size_t pc) {
    const uint16_t written = written_registers(prog_.insns[pc]);
    update(pc);
    // A register derived from one just overwritten no longer is.
    for (Known& k : regs_)
        if (k.kind == Known::Kind::Derived && (written >> k.base) & 1) k = Known{};
}

uint16_t written_registers(const Insn& in) {
    switch (op_info(in.op).kind) {
        case Kind::AluImm:
        case Kind::AluReg:
        case Kind::Neg:
        case Kind::MovSx:
        case Kind::Endian:
        case Kind::Lddw:
        case Kind::Ldx:
        case Kind::Ldxs: return static_cast<uint16_t>(1u << in.dst);
        case Kind::Atomic: {
            const int32_t op = op_info(in.op).select_value;
            if (op == bpf::CMPXCHG) return 1;
            return (op & bpf::FETCH) ? static_cast<uint16_t>(1u << in.src) : 0;
        }
        case Kind::Call: return 0x3f;
        default: return 0;
    }
}

void KnownValues::update(size_t pc) {
    const Insn& in = prog_.insns[pc];
    const OpInfo& info = op_info(in.op);
    Known result;
    switch (info.kind) {
        case Kind::Lddw: {
            const uint64_t value = static_cast<uint32_t>(in.imm) |
                                   (static_cast<uint64_t>(static_cast<uint32_t>(prog_.insns[pc + 1].imm)) << 32);
            result = Known{Known::Kind::Scalar, value, nullptr, 0};
            for (const LddwOrigin& o : prog_.lddw_origins) {
                if (o.insn != pc || !o.value || !o.map) continue;
                const uint8_t* base = const_cast<Map*>(o.map)->value_base();
                if (base && reinterpret_cast<uint64_t>(base) + o.offset == value)
                    result = Known{Known::Kind::MapValue, 0, o.map, o.offset};
            }
            regs_[in.dst] = result;
            return;
        }
        case Kind::AluImm:
            // Moved-in immediates do not decide jumps (compilers do not branch
            // on them, and the compare-and-jump code stays what tests run).
            if (in.op == Op::Mov64Imm) result = Known{Known::Kind::Immediate, static_cast<uint64_t>(int64_t{in.imm})};
            else if (in.op == Op::Mov32Imm) result = Known{Known::Kind::Immediate, static_cast<uint32_t>(in.imm)};
            else if (in.op == Op::Add64Imm && regs_[in.dst].kind == Known::Kind::MapValue)
                result = Known{Known::Kind::MapValue, 0, regs_[in.dst].map, regs_[in.dst].offset + in.imm};
            else if ((in.op == Op::Add64Imm || in.op == Op::Sub64Imm) &&
                     (regs_[in.dst].kind == Known::Kind::Stack || regs_[in.dst].kind == Known::Kind::Derived)) {
                result = regs_[in.dst];
                result.offset += in.op == Op::Add64Imm ? int64_t{in.imm} : -int64_t{in.imm};
            }
            regs_[in.dst] = result;
            return;
        case Kind::AluReg:
            if (in.op == Op::Mov64Reg) {
                result = regs_[in.src];
                if (result.kind == Known::Kind::None) result = Known{Known::Kind::Derived, 0, nullptr, 0, in.src};
            }
            regs_[in.dst] = result;
            return;
        case Kind::Ldx:
        case Kind::Ldxs:
            if (auto v = folded_load(in)) result = Known{Known::Kind::Scalar, *v};
            regs_[in.dst] = result;
            return;
        case Kind::Neg:
        case Kind::MovSx:
        case Kind::Endian: regs_[in.dst] = Known{}; return;
        case Kind::Atomic:
            if (info.select_value == bpf::CMPXCHG) regs_[0] = Known{};
            else if (info.select_value & bpf::FETCH) regs_[in.src] = Known{};
            return;
        case Kind::Call:
            // Helpers, tail calls and callees may change r0-r5; callees and
            // tail-call targets restore r6-r9 before returning here.
            for (int r = 0; r <= 5; ++r) regs_[r] = Known{};
            return;
        case Kind::Exit:
        case Kind::Ja: forget_all(); return;
        default: return;  // jumps, stores and LddwTail write no register
    }
}

bool jump_taken(Op op, uint64_t a, uint64_t b) {
    const bool is64 = op_info(op).is64;
    if (!is64) {
        a = static_cast<uint32_t>(a);
        b = static_cast<uint32_t>(b);
    }
    const int64_t sa = is64 ? static_cast<int64_t>(a) : int64_t{static_cast<int32_t>(a)};
    const int64_t sb = is64 ? static_cast<int64_t>(b) : int64_t{static_cast<int32_t>(b)};
    switch (four_group_base(op)) {
        case Op::Jeq64Imm: return a == b;
        case Op::Jne64Imm: return a != b;
        case Op::Jset64Imm: return (a & b) != 0;
        case Op::Jgt64Imm: return a > b;
        case Op::Jge64Imm: return a >= b;
        case Op::Jlt64Imm: return a < b;
        case Op::Jle64Imm: return a <= b;
        case Op::Jsgt64Imm: return sa > sb;
        case Op::Jsge64Imm: return sa >= sb;
        case Op::Jslt64Imm: return sa < sb;
        case Op::Jsle64Imm: return sa <= sb;
        default: return false;
    }
}

}  // namespace xdpdk::vm::jit
