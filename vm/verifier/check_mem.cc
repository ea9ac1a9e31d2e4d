// Loads, stores and atomics, and the memory checks helpers share: each
// pointer type has its object (packet up to the proven range, map value,
// stack frame, raw memory, xdp_md) and its rules for reads and writes.
#include <algorithm>
#include <cstring>

#include "ctx_access.h"
#include "verifier_impl.h"
#include "text.h"

namespace xdpdk::vm::verifier {
namespace {

int byte_in_slot_(int64_t fp_off) { return static_cast<int>(fp_off + int64_t{kSlotSize} * ((-fp_off - 1) / kSlotSize + 1)); }

bool aligned(const Scalar& var, int64_t fixed, unsigned size) {
    if (size <= 1) return true;
    const Tnum t = tnum_add(var.bits, Tnum::constant(uint64_t(fixed)));
    return ((t.value | t.mask) & (size - 1)) == 0;
}

RegState loaded_scalar(unsigned size, bool sign_extend) {
    return RegState::scalar(sign_extend ? Scalar::of_signed_size(size) : Scalar::of_size(size));
}

// The bytes of a constant held in a slot, as a narrower load reads them.
RegState extract_const(uint64_t v, int byte, unsigned size, bool sign_extend) {
    uint64_t x = byte ? v >> (byte * 8) : v;
    if (size < 8) x &= (uint64_t{1} << (size * 8)) - 1;
    if (sign_extend && size < 8) {
        const unsigned shift = 64 - size * 8;
        x = uint64_t(int64_t(x << shift) >> shift);
    }
    return RegState::constant(x);
}

// A load from a map that programs cannot write and userspace no longer can
// (a frozen .rodata, after --set) yields the bytes it holds, as the kernel's
// bpf_map_direct_read does: `const volatile` knobs become constants, and the
// branches they switch off are dead.
RegState frozen_map_read(const Map& map, int64_t at, unsigned size, bool sign_extend) {
    // One value only, as the kernel's array_map_direct_value_addr requires:
    // a pointer into a map value does not say which element it is.
    const bool read_only = map.frozen() && (map.spec().flags & kMapFlagRdonlyProg) &&
                           map.type() == MapType::Array && map.spec().max_entries == 1;
    // value_base() is non-const only because writable maps hand out
    // writable pointers; nothing is written here.
    const uint8_t* bytes = read_only ? const_cast<Map&>(map).value_base() : nullptr;
    uint64_t raw = 0;
    // A helper's read of the memory (a bpf_printk format in .rodata) is wider
    // than a register and yields no value.
    if (bytes == nullptr || size > sizeof raw) return loaded_scalar(size, sign_extend);
    std::memcpy(&raw, bytes + at, size);
    return extract_const(raw, 0, size, sign_extend);
}

// A spill partly overwritten is a spill no more; its bytes stay initialised.
void forget_spill(StackSlot& s) {
    for (ByteKind& b : s.bytes)
        if (b == ByteKind::Spill) b = ByteKind::Misc;
}

Scalar truncate(const Scalar& v, unsigned bytes) {
    if (bytes >= 8 || v.umax < (uint64_t{1} << (bytes * 8))) return v;
    Scalar t;
    t.bits = tnum_cast(v.bits, bytes);
    t.sync();
    return t;
}

// A fixed-offset write; `value` nullptr is an unknown scalar. Registers are
// kept when written whole, and scalars also when written narrower at the
// slot's start (as Linux does), so a 4-byte counter survives a spill.
void write_stack_slot(StackSlot& s, int byte, unsigned size, const RegState* value) {
    if (value && value->is_null_const() && !(size == kSlotSize && value->id)) {
        if (size == kSlotSize) s.bytes.fill(ByteKind::Zero);
        else forget_spill(s);
        for (unsigned i = 0; i < size; ++i) s.bytes[byte + i] = ByteKind::Zero;
        return;
    }
    if (size == kSlotSize) {
        s.bytes.fill(value ? ByteKind::Spill : ByteKind::Misc);
        s.spilled = value ? *value : RegState{};
        return;
    }
    forget_spill(s);
    if (byte == 0 && value) {
        for (unsigned i = 0; i < size; ++i) s.bytes[i] = ByteKind::Spill;
        s.spilled = RegState::scalar(truncate(value->value, size));
        return;
    }
    for (unsigned i = 0; i < size; ++i) s.bytes[byte + i] = ByteKind::Misc;
}

}  // namespace

int byte_in_slot(int64_t fp_off) { return byte_in_slot_(fp_off); }

// What a fixed-offset read of `size` bytes at `byte` of the slot yields;
// NotInit when it would split a spilled pointer. The bytes are known to be
// initialised.
RegState read_stack_slot(const StackSlot& s, int byte, unsigned size, bool sign_extend) {
    const int spilled = s.is_spill() ? s.spill_size() : 0;
    if (byte < spilled) {
        const RegState& sp = s.spilled;
        if (!sp.is_scalar()) return size == kSlotSize ? sp : RegState{};
        if (byte == 0 && int(size) == spilled && !sign_extend) return sp;
        if (byte + int(size) <= spilled && sp.value.is_const())
            return extract_const(sp.value.const_value(), byte, size, sign_extend);
        return loaded_scalar(size, sign_extend);
    }
    for (unsigned i = 0; i < size; ++i)
        if (s.bytes[byte + i] != ByteKind::Zero) return loaded_scalar(size, sign_extend);
    return RegState::constant(0);
}

void Verifier::note_stack_depth(uint32_t frame, int64_t lowest_off) {
    const uint32_t sub = cur_.frames[frame].subprog;
    subprog_stack_[sub] = std::max<uint32_t>(subprog_stack_[sub], static_cast<uint32_t>(-lowest_off));
}

// Bytes [lo, hi) of the frame's stack: inside the frame, and (need_init,
// under the unprivileged rules only: allow_uninit_stack) every byte written
// before.
Status Verifier::check_stack_range(const RegState& ptr, int64_t lo, int64_t hi, bool need_init, int r,
                                   const char* what) {
    if (lo < -bpf::kStackSize || hi > 0)
        return fail(cat("invalid ", what, " stack ", reg_name(r), " off=", std::to_string(lo) +
                    " size=", hi - lo, " (the stack frame is fp-512 to fp)"));
    // Stack liveness: whether or not the rules below check these bytes.
    if (need_init) mark_range_read(ptr.frame, lo, hi);
    note_stack_depth(ptr.frame, lo);
    if (!need_init || !env_.strict) return {};
    Frame& f = cur_.frames[ptr.frame];
    for (int64_t o = lo; o < hi; ++o) {
        const StackSlot* s = f.slot_at(static_cast<int32_t>(o));
        if (!s || s->bytes[byte_in_slot_(o)] == ByteKind::Invalid)
            return fail(cat("invalid read from stack ", reg_name(r), " off ", lo, "+",
                        std::to_string(o - lo), " size ", std::to_string(hi - lo) +
                        " (stack byte fp", o, " is not initialised)"));
    }
    return {};
}

Status Verifier::check_mem_access(int r, const RegState& ptr, int32_t insn_off, unsigned size, AccessKind kind,
                                  const RegState* value, RegState* loaded, bool sign_extend) {
    const bool write = kind == AccessKind::Write;
    const std::string rn = reg_name(r);
    const char* tname = reg_type_name(ptr.type);
    const int64_t off = int64_t{ptr.off} + insn_off;
    const Scalar& var = ptr.value;

    switch (ptr.type) {
        case RegType::Ctx: {
            if (ptr.off != 0 || !var.is_zero())
                return fail(cat("dereference of modified ctx ptr ", rn, " off=", ptr.off, " disallowed"));
            if (write)
                return fail(cat("invalid bpf_context access off=", insn_off, " size=",
                            std::to_string(size), " (the context is read only)"));
            if (sign_extend) return fail("invalid bpf_context access: sign-extending load from ctx");
            std::string why;
            auto field = xdp_ctx_read(insn_off, size, env_.attach, &why);
            if (!field) return fail(why);
            if (field->type == RegType::Scalar) *loaded = RegState::scalar(Scalar::of_size(4));
            else *loaded = RegState::pointer(field->type);
            return {};
        }
        case RegType::Packet:
        case RegType::PacketMeta: {
            if (var.smin < 0)
                return fail(cat(rn, " min value is negative, either use unsigned index or do a if (index >=0) check"));
            if (off < 0 || off + size > ptr.range)
                return fail(cat("invalid access to packet, off=", off, " size=", std::to_string(size) +
                            ", ", rn, "(id=", ptr.id, ",off=", std::to_string(ptr.off) +
                            ",r=", ptr.range, "): only ", std::to_string(ptr.range) +
                            " bytes are proven to be in the packet"));
            if (loaded) *loaded = loaded_scalar(size, sign_extend);
            return {};
        }
        case RegType::MapValue:
        case RegType::MapKey:
        case RegType::Mem: {
            const bool is_map = ptr.type == RegType::MapValue;
            if (ptr.type == RegType::MapKey && write) return fail(cat("write to change key ", rn, " not allowed"));
            const uint64_t region = is_map ? ptr.map->spec().value_size
                                    : ptr.type == RegType::MapKey ? ptr.map->spec().key_size : ptr.mem_size;
            if (var.smin < 0)
                return fail(cat(rn, " min value is negative, either use unsigned index or do a if (index >=0) check"));
            if (var.umax >= uint64_t(kMaxVarOff))
                return fail(cat(rn, " unbounded memory access, make sure to bounds check any such access"));
            const int64_t lo = off + var.smin;
            const int64_t hi = off + int64_t(var.umax) + size;
            if (lo < 0 || hi > int64_t(region)) {
                std::string what = is_map ? "invalid access to map value, value_size="
                                   : ptr.type == RegType::MapKey ? "invalid access to map key, key_size="
                                                                 : "invalid access to memory, mem_size=";
                what += cat(region, " off=", var.is_const() ? lo : off, " size=", size);
                if (!var.is_const()) what += cat(" (variable offset up to ", var.umax, ")");
                return fail(what);
            }
            if (is_map && ptr.map->spin_lock_off() >= 0) {
                const int64_t lock = ptr.map->spin_lock_off();
                if (lo < lock + 4 && lock < hi)
                    return fail("bpf_spin_lock cannot be accessed directly by load/store");
            }
            if (write && is_map) {
                const bool rdonly = (ptr.map->spec().flags & kMapFlagRdonlyProg) || ptr.map->frozen() ||
                                    ptr.map->type() == MapType::Devmap || ptr.map->type() == MapType::DevmapHash ||
                                    ptr.map->type() == MapType::Xskmap;
                if (rdonly)
                    return fail(cat("write into map forbidden, value_size=", region, " off=",
                                std::to_string(lo), " size=", size, " (map '",
                                ptr.map->name(), "' is read-only for programs)"));
            }
            if (loaded) *loaded = is_map && var.is_const() ? frozen_map_read(*ptr.map, lo, size, sign_extend)
                                                           : loaded_scalar(size, sign_extend);
            return {};
        }
        case RegType::Stack: {
            const bool fixed = var.is_const();
            const int64_t lo = off + (fixed ? int64_t(var.const_value()) : var.smin);
            const int64_t hi = off + (fixed ? int64_t(var.const_value()) : var.smax) + size;
            if (!aligned(var, off, size))
                return fail(cat("misaligned stack access off ", lo, " size ", size));
            if (!fixed && (var.smin <= -kMaxVarOff || var.smax >= kMaxVarOff))
                return fail(cat("invalid variable-offset stack access ", rn, " var=", var.str()));
            XDPDK_RETURN_IF_ERROR(check_stack_range(ptr, lo, hi, !write, r, write ? "write to" : "read from"));
            Frame& f = cur_.frames[ptr.frame];
            if (!fixed) {
                if (!write) {
                    *loaded = loaded_scalar(size, sign_extend);
                    return {};
                }
                if (value && is_pointer(value->type) && env_.strict)
                    return fail(cat("spilled pointer with a variable stack offset (", var.str(), ") prohibited"));
                // The unprivileged loader keeps every byte the write may or
                // may not reach meaningful: no spilled register would lose
                // its type, no unwritten byte would pass as written
                // (Linux's check_stack_write_var_off).
                if (env_.strict)
                    for (int64_t o = lo; o < hi; ++o) {
                        const StackSlot* s = f.slot_at(static_cast<int32_t>(o));
                        const ByteKind b = s ? s->bytes[byte_in_slot_(o)] : ByteKind::Invalid;
                        if (b == ByteKind::Spill)
                            return fail(cat("spilled ptr in range of var-offset stack write; off ", o));
                        if (b == ByteKind::Invalid)
                            return fail(cat("uninit stack in range of var-offset write prohibited for !root; off ", o));
                    }
                // Any of these bytes may now hold the value: what was known is lost.
                for (int64_t o = lo; o < hi; ++o) {
                    StackSlot* s = f.slot_at(static_cast<int32_t>(o));
                    if (!s) continue;
                    forget_spill(*s);
                    ByteKind& b = s->bytes[byte_in_slot_(o)];
                    if (b == ByteKind::Zero) b = ByteKind::Misc;
                }
                return {};
            }
            const int byte = byte_in_slot_(lo);
            entry_.stack_frame = static_cast<int8_t>(ptr.frame);
            entry_.stack_slot = static_cast<uint8_t>((-lo - 1) / kSlotSize);
            entry_.whole_slot = write && size == kSlotSize;
            if (entry_.whole_slot) note_slot_written(ptr.frame, entry_.stack_slot);
            if (!write) {
                // Never written: only privileged loaders get here, and read unknown bytes.
                const StackSlot* s = f.slot_at(static_cast<int32_t>(lo));
                *loaded = s ? read_stack_slot(*s, byte, size, sign_extend) : loaded_scalar(size, sign_extend);
                if (loaded->type == RegType::NotInit)
                    return fail(cat("invalid size of register fill: ", size, "-byte read of a spilled pointer at fp", lo));
                return {};
            }
            if (value && is_pointer(value->type) && size != kSlotSize)
                return fail(cat("invalid size of register spill: ", size, "-byte store of a pointer"));
            // As Linux (check_stack_write_fixed_off), under either rules.
            if (value && value->type == RegType::Stack && ptr.frame + 1u != cur_.frames.size())
                return fail("cannot spill pointers to stack into stack frame of the caller");
            StackSlot& slot = f.grow_to(static_cast<int32_t>(lo));
            if (env_.strict && size != kSlotSize && slot.is_spill() && !slot.spilled.is_scalar())
                return fail(cat("attempt to corrupt spilled pointer on stack (", size, "-byte write at fp", lo, ")"));
            write_stack_slot(slot, byte, size, value);
            return {};
        }
        case RegType::NotInit:
            return fail(cat(rn, " !read_ok (register is not initialised)"));
        case RegType::MapValueOrNull:
            return fail(cat(rn, " invalid mem access 'map_value_or_null': the lookup result may be NULL; check it first"));
        case RegType::MapPtrOrNull:
            return fail(cat(rn, " invalid mem access 'map_ptr_or_null': the lookup result may be NULL; check it first"));
        case RegType::MemOrNull:
            return fail(cat(rn, " invalid mem access 'mem_or_null': the argument may be NULL; check it first"));
        default:
            return fail(cat(rn, " invalid mem access '", tname, "'"));
    }
}

Status Verifier::check_load(const Insn& in) {
    XDPDK_RETURN_IF_ERROR(check_readable(in.src));
    const OpInfo& info = op_info(in.op);
    const RegState ptr = reg(in.src);
    if (ptr.type == RegType::Scalar) return fail(cat(reg_name(in.src), " invalid mem access 'scalar'"));
    // The load-time rewrite changes the instruction: it must read the
    // context on every path or on none.
    const uint8_t kind = ptr.type == RegType::Ctx ? 1 : 2;
    if (load_kind_[pc_] && load_kind_[pc_] != kind)
        return fail(cat("same insn cannot be used with different pointers (ctx on one path, ",
                    std::string(reg_type_name(kind == 1 ? RegType::Ctx : ptr.type)), " on another)"));
    load_kind_[pc_] = kind;
    RegState loaded;
    XDPDK_RETURN_IF_ERROR(check_mem_access(in.src, ptr, in.off, info.size, AccessKind::Read, nullptr, &loaded,
                                           info.kind == Kind::Ldxs));
    if (kind == 1) ctx_load_[pc_] = true;
    reg(in.dst) = loaded;
    return {};
}

Status Verifier::check_store(const Insn& in) {
    XDPDK_RETURN_IF_ERROR(check_readable(in.dst));
    const OpInfo& info = op_info(in.op);
    RegState value;
    if (info.kind == Kind::Stx) {
        XDPDK_RETURN_IF_ERROR(check_readable(in.src));
        RegState& src = reg(in.src);
        // A spilled copy of an unknown scalar stays linked to the register.
        if (src.is_scalar() && !src.value.is_const() && src.id == 0 && info.size == kSlotSize) src.id = new_id();
        value = src;
    } else {
        value = RegState::constant(uint64_t(int64_t{in.imm}));
    }
    const RegState ptr = reg(in.dst);
    if (ptr.type == RegType::Scalar) return fail(cat(reg_name(in.dst), " invalid mem access 'scalar'"));
    // allow_ptr_leaks: a privileged loader may store a pointer wherever it may store.
    if (is_pointer(value.type) && ptr.type != RegType::Stack && env_.strict)
        return fail(cat(reg_name(in.src), " leaks addr into ",
                    std::string(ptr.type == RegType::MapValue ? "map" : reg_type_name(ptr.type)) +
                    " (pointers may only be stored on the stack)"));
    return check_mem_access(in.dst, ptr, in.off, info.size, AccessKind::Write, &value, nullptr);
}

Status Verifier::check_atomic(const Insn& in) {
    const OpInfo& info = op_info(in.op);
    const bool cmpxchg = in.op == Op::AtomicCmpxchgW || in.op == Op::AtomicCmpxchgDW;
    XDPDK_RETURN_IF_ERROR(check_readable(in.dst));
    XDPDK_RETURN_IF_ERROR(check_readable(in.src));
    if (cmpxchg) XDPDK_RETURN_IF_ERROR(check_readable(0));
    if ((in.imm & bpf::FETCH) && in.src == 10 && !cmpxchg) return fail("frame pointer r10 is read only");
    if (env_.strict && !reg(in.src).is_scalar()) return fail(cat(reg_name(in.src), " leaks addr into mem"));
    if (env_.strict && cmpxchg && !reg(0).is_scalar()) return fail("R0 leaks addr into mem");
    const RegState ptr = reg(in.dst);
    if (ptr.type != RegType::Stack && ptr.type != RegType::MapValue && ptr.type != RegType::Mem)
        return fail(cat("BPF_ATOMIC stores into ", reg_name(in.dst), " ", reg_type_name(ptr.type), " is not allowed"));
    RegState old;
    XDPDK_RETURN_IF_ERROR(check_mem_access(in.dst, ptr, in.off, info.size, AccessKind::Read, nullptr, &old));
    // A spilled pointer in the slot: its address would feed the arithmetic
    // (the unprivileged rules refuse it); a privileged fetch gets the pointer
    // back, as Linux's fill of the fetch register does.
    const bool old_pointer = is_pointer(old.type);
    if (old_pointer && env_.strict)
        return fail(cat("leaking pointer from stack off ", int64_t{ptr.off} + in.off, " (an atomic operation on a spilled pointer)"));
    XDPDK_RETURN_IF_ERROR(check_mem_access(in.dst, ptr, in.off, info.size, AccessKind::Write, nullptr, nullptr));
    const RegState fetched = old_pointer ? old : RegState::scalar(Scalar::of_size(info.size));
    if (cmpxchg) reg(0) = fetched;
    else if (in.imm & bpf::FETCH) reg(in.src) = fetched;
    return {};
}

Status Verifier::check_helper_mem(int r, uint64_t size, AccessKind kind) {
    const RegState ptr = reg(r);
    const std::string rn = reg_name(r);
    if (size == 0) return {};
    switch (ptr.type) {
        case RegType::Stack: {
            const Scalar& var = ptr.value;
            if (!var.is_const() && (var.smin <= -kMaxVarOff || var.smax >= kMaxVarOff))
                return fail(cat("invalid variable-offset stack access ", rn, " var=", var.str()));
            const int64_t lo = ptr.off + (var.is_const() ? int64_t(var.const_value()) : var.smin);
            const int64_t hi = ptr.off + (var.is_const() ? int64_t(var.const_value()) : var.smax) + int64_t(size);
            XDPDK_RETURN_IF_ERROR(check_stack_range(ptr, lo, hi, kind == AccessKind::Read, r,
                                                    kind == AccessKind::Read ? "indirect read from" : "indirect write to"));
            // The unprivileged rules: a helper must not read a spilled pointer's bytes.
            if (kind == AccessKind::Read && env_.strict) {
                Frame& f = cur_.frames[ptr.frame];
                for (int64_t o = lo; o < hi; ++o) {
                    const StackSlot* s = f.slot_at(static_cast<int32_t>(o));
                    if (s && s->bytes[byte_in_slot_(o)] == ByteKind::Spill && !s->spilled.is_scalar())
                        return fail(cat("invalid read from stack ", rn, " off ", lo, "+", o - lo, " size ", hi - lo,
                                        " (stack byte fp", o, " holds a spilled pointer)"));
                }
            }
            if (kind == AccessKind::Write) {
                // The helper fills the bytes with data the verifier knows nothing of.
                Frame& f = cur_.frames[ptr.frame];
                for (int64_t o = lo; o < hi; ++o) {
                    StackSlot& s = f.grow_to(static_cast<int32_t>(o));
                    forget_spill(s);
                    s.bytes[byte_in_slot_(o)] = ByteKind::Misc;
                }
            }
            return {};
        }
        case RegType::Packet: case RegType::PacketMeta: case RegType::MapValue: case RegType::Mem:
        case RegType::MapKey: {
            if (size >= uint64_t(kMaxVarOff)) return fail(cat(rn, " memory access of ", size, " bytes is too large"));
            // Checked as one access of `size` bytes.
            return check_mem_access(r, ptr, 0, static_cast<unsigned>(size), kind, nullptr,
                                    kind == AccessKind::Read ? &scratch_ : nullptr);
        }
        default:
            return fail(cat(rn, " type=", reg_type_name(ptr.type), " expected=fp, pkt, pkt_meta, map_value"));
    }
}

}  // namespace xdpdk::vm::verifier
