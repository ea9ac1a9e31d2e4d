// ALU instructions: scalar arithmetic through scalar_alu(), and the pointer
// arithmetic the kernel allows (pointer +/- scalar on pointers that have an
// object to move within; for a privileged loader, pointer - pointer gives a
// scalar).
#include "verifier_impl.h"
#include "text.h"

namespace xdpdk::vm::verifier {
namespace {

bool is_family(Op op, Op base64imm) {
    const int d = static_cast<int>(op) - static_cast<int>(base64imm);
    return d >= 0 && d < 4;
}
bool is_add(Op op) { return is_family(op, Op::Add64Imm); }
bool is_sub(Op op) { return is_family(op, Op::Sub64Imm); }
bool is_mov(Op op) { return is_family(op, Op::Mov64Imm); }
bool is_shift(Op op) {
    return is_family(op, Op::Lsh64Imm) || is_family(op, Op::Rsh64Imm) || is_family(op, Op::Arsh64Imm);
}
bool is_divmod(Op op) {
    return is_family(op, Op::Div64Imm) || is_family(op, Op::Mod64Imm) || is_family(op, Op::Sdiv64Imm) ||
           is_family(op, Op::Smod64Imm);
}
bool is_bitwise(Op op) {
    return is_family(op, Op::And64Imm) || is_family(op, Op::Or64Imm) || is_family(op, Op::Xor64Imm);
}

std::string op_text(Op op) { return op_info(op).sym; }

}  // namespace

Status Verifier::check_alu(const Insn& in) {
    const OpInfo& info = op_info(in.op);
    const bool reg_src = info.kind == Kind::AluReg || info.kind == Kind::MovSx;
    if (reg_src) XDPDK_RETURN_IF_ERROR(check_readable(in.src));
    const bool writes_only = is_mov(in.op) || info.kind == Kind::MovSx;
    if (!writes_only) XDPDK_RETURN_IF_ERROR(check_readable(in.dst));

    RegState& dst = reg(in.dst);
    const RegState src = reg_src ? reg(in.src)
                                 : RegState::constant(info.is64 ? uint64_t(int64_t{in.imm}) : uint64_t(uint32_t(in.imm)));

    if (is_mov(in.op)) {
        if (!reg_src) {
            dst = src;
            return {};
        }
        if (info.is64) {
            RegState& s = reg(in.src);
            // Copies of one unknown scalar share an id, so a bound learned on
            // either holds for both.
            if (s.is_scalar() && !s.value.is_const() && s.id == 0) s.id = new_id();
            dst = s;
            return {};
        }
        // A 32-bit copy of a pointer is just a number (for a privileged loader).
        if (env_.strict && is_pointer(src.type)) return fail(cat(reg_name(in.src), " partial copy of pointer"));
        dst = RegState::scalar(src.is_scalar() ? src.value.zext32() : Scalar::unknown().zext32());
        return {};
    }
    if (info.kind == Kind::MovSx) {
        if (env_.strict && is_pointer(src.type)) return fail(cat(reg_name(in.src), " sign-extension part of pointer"));
        dst = RegState::scalar(scalar_alu(in.op, Scalar::unknown(), src.is_scalar() ? src.value : Scalar::unknown()));
        return {};
    }
    if (info.kind == Kind::Neg || info.kind == Kind::Endian) {
        if (!dst.is_scalar()) {
            // allow_ptr_leaks: the address becomes a number nothing is known of.
            if (!env_.strict) {
                dst = RegState::unknown();
                return {};
            }
            return fail(cat(reg_name(in.dst), " pointer arithmetic prohibited (", info.name, " on a pointer)"));
        }
        dst = RegState::scalar(scalar_alu(in.op, dst.value, dst.value));
        return {};
    }

    // Refusals the kernel makes for immediates, and RFC 9669 defines.
    if (!reg_src && !raw_semantics_) {
        if (is_divmod(in.op) && in.imm == 0) return fail("division by zero");
        const int width = info.is64 ? 64 : 32;
        if (is_shift(in.op) && (in.imm < 0 || in.imm >= width))
            return fail(cat("invalid shift ", in.imm, " for a ", width, "-bit operation"));
    }

    const bool dst_ptr = is_pointer(dst.type), src_ptr = is_pointer(src.type);
    if (!dst_ptr && !src_ptr) {
        dst = RegState::scalar(scalar_alu(in.op, dst.value, src.value));
        return {};
    }
    // Linux (adjust_reg_min_max_vals, adjust_ptr_min_max_vals) lets a
    // privileged loader subtract two pointers at either width, and a scalar
    // from or with a pointer in 32 bits, into an unknown number; the
    // unprivileged rules allow neither.
    if (is_sub(in.op) && !env_.strict && ((dst_ptr && src_ptr) || !info.is64)) {
        dst = RegState::unknown();
        return {};
    }
    if (dst_ptr && src_ptr) {
        return fail(cat(reg_name(in.dst), " pointer ", op_text(in.op), " pointer prohibited"));
    }
    if (!info.is64) return fail(cat(reg_name(in.dst), " 32-bit pointer arithmetic prohibited"));
    if (!is_add(in.op) && !is_sub(in.op)) {
        if (is_bitwise(in.op))
            return fail(cat(reg_name(in.dst), " bitwise operator ", op_text(in.op), " on pointer prohibited"));
        return fail(cat(reg_name(in.dst), " pointer arithmetic with ", op_text(in.op), " operator prohibited"));
    }
    if (src_ptr && is_sub(in.op)) return fail(cat(reg_name(in.dst), " tried to subtract pointer from scalar"));

    const RegState ptr = dst_ptr ? dst : src;
    const Scalar& delta = dst_ptr ? src.value : dst.value;
    const int ptr_reg = dst_ptr ? in.dst : in.src;
    // Whether the arithmetic is allowed, and the pointer it makes, depend on
    // the scalar's value.
    if (!dst_ptr) mark_reg_precise(in.dst);
    else if (reg_src) mark_reg_precise(in.src);
    const char* tname = reg_type_name(ptr.type);
    switch (ptr.type) {
        case RegType::MapPtr:
            // Adding a known 0 leaves the map pointer as it is (Linux allows it).
            if (is_add(in.op) && delta.is_zero()) {
                dst = ptr;
                return {};
            }
            return fail(cat(reg_name(ptr_reg), " pointer arithmetic on ", tname, " prohibited"));
        case RegType::PacketEnd:
        case RegType::FuncPtr:
        case RegType::MapPtrOrNull:
            return fail(cat(reg_name(ptr_reg), " pointer arithmetic on ", tname, " prohibited"));
        case RegType::MapValueOrNull:
        case RegType::MemOrNull:
            return fail(cat(reg_name(ptr_reg), " pointer arithmetic on ", tname, " prohibited, null-check it first"));
        default: break;
    }
    if (delta.is_const()) {
        const int64_t v = int64_t(delta.const_value());
        if (v >= kMaxVarOff || v <= -kMaxVarOff)
            return fail(cat("math between ", tname, " pointer and ", v, " is not allowed"));
    } else {
        if (delta.smin == std::numeric_limits<int64_t>::min())
            return fail(cat("math between ", std::string(tname) +
                        " pointer and register with unbounded min value is not allowed"));
        if (delta.smin >= kMaxVarOff || delta.smin <= -kMaxVarOff)
            return fail(cat("value ", delta.smin, " makes ", tname, " pointer be out of bounds"));
    }

    // As Linux: JITs need not handle a frame pointer moved backwards.
    if (is_sub(in.op) && ptr.type == RegType::Stack)
        return fail(cat(reg_name(ptr_reg), " subtraction from stack pointer prohibited"));
    RegState out = ptr;
    if (delta.is_const()) {
        const int64_t v = int64_t(delta.const_value());
        const int64_t off = int64_t{ptr.off} + (is_add(in.op) ? v : -v);
        if (off >= kMaxVarOff || off <= -kMaxVarOff)
            return fail(cat(tname, " pointer offset ", off, " is not allowed"));
        out.off = static_cast<int32_t>(off);
    } else {
        out.value = scalar_alu(is_add(in.op) ? Op::Add64Reg : Op::Sub64Reg, ptr.value, delta);
        if (is_packet(ptr.type)) {
            // A new variable part: nothing proven about it yet.
            out.id = new_id();
            out.range = 0;
        }
        if (out.value.smin == std::numeric_limits<int64_t>::min())
            return fail(cat(tname, " pointer with unbounded min value is not allowed"));
        if (out.value.smin >= kMaxVarOff || out.value.smin <= -kMaxVarOff)
            return fail(cat("value ", out.value.smin, " makes ", tname, " pointer be out of bounds"));
    }
    dst = out;
    return {};
}

}  // namespace xdpdk::vm::verifier
