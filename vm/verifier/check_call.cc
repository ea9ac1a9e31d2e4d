// Calls and exits: helper arguments checked against the helper's signature,
// map/helper compatibility as the kernel has it, BPF-to-BPF calls with their
// own frames (at most 8; global functions are in global_funcs.cc), and what
// a program may return.
#include <optional>

#include "../helpers.h"
#include "verifier_impl.h"
#include "text.h"

namespace xdpdk::vm::verifier {
namespace {

// The kernel's check_map_func_compatibility: what the map's type allows
// here, and what the helper's row (HelperSpec::map_types) allows.
bool map_allows(MapType t, const HelperSpec& h) {
    using namespace helper_id;
    switch (t) {
        case MapType::ProgArray: return h.id == TailCall;
        case MapType::Devmap:
        case MapType::DevmapHash: return h.id == RedirectMap || h.id == MapLookupElem;
        case MapType::Cpumap: return h.id == RedirectMap;
        case MapType::PerfEventArray: return false;
        case MapType::Queue:
        case MapType::Stack: return h.id == MapPushElem || h.id == MapPopElem || h.id == MapPeekElem;
        // Programs only read maps of maps; userspace fills them.
        case MapType::ArrayOfMaps:
        case MapType::HashOfMaps: return h.id == MapLookupElem;
        default: break;
    }
    const uint32_t type = static_cast<uint32_t>(t);
    return h.map_types == 0 || (type < 64 && (h.map_types >> type) & 1);
}

}  // namespace

// The key a stack pointer points to, when it is a known constant.
std::optional<uint64_t> Verifier::constant_stack_key(const RegState& ptr, uint32_t size) {
    if (ptr.type != RegType::Stack || !ptr.value.is_const() || size > 8) return std::nullopt;
    const int64_t off = ptr.off + int64_t(ptr.value.const_value());
    const int byte = byte_in_slot(off);
    if (byte + int(size) > kSlotSize) return std::nullopt;
    const StackSlot* s = cur_.frames[ptr.frame].slot_at(static_cast<int32_t>(off));
    if (!s) return std::nullopt;
    const RegState k = read_stack_slot(*s, byte, size, false);
    if (!k.is_scalar() || !k.value.is_const()) return std::nullopt;
    mark_slot_precise(ptr.frame, static_cast<uint32_t>((-off - 1) / kSlotSize));
    return k.value.const_value();
}

Status Verifier::check_helper_call(const Insn& in) {
    const HelperSpec* helper = helper_spec(in.imm);
    if (!helper) return fail(cat("helper ", helper_name(in.imm), "#", in.imm, " is not provided by this runtime"));
    const std::string fname = cat(helper_name(in.imm), "#", in.imm);
    if (helper->needs_perfmon && env_.strict)
        return fail(cat("program of this type cannot use helper ", fname, " (Linux offers it to CAP_PERFMON loaders only)"));
    const Map* map = nullptr;
    std::optional<uint64_t> const_key;
    for (int a = 0; a < 5; ++a) {
        const ArgType t = helper->args[a];
        if (t == ArgType::None) break;
        const int r = a + 1;
        XDPDK_RETURN_IF_ERROR(check_readable(r));
        const RegState& arg = reg(r);
        const std::string rn = reg_name(r);
        auto expected = [&](const char* what) {
            return fail(cat(rn, " type=", reg_type_name(arg.type), " expected=", what, " (argument ",
                        std::to_string(r), " of ", fname, ")"));
        };
        switch (t) {
            case ArgType::None: break;
            case ArgType::Anything:
                if (env_.strict && is_pointer(arg.type)) return fail(cat(rn, " leaks addr into helper function (argument ", r, " of ", fname, ")"));
                break;
            case ArgType::ConstMapPtr:
                if (arg.type != RegType::MapPtr) return expected("map_ptr");
                map = arg.map;
                if (auto& shape = call_map_shape_[pc_]; shape.first != kMixedMaps) {
                    const std::pair<uint32_t, uint32_t> now{map->spec().type, map->spec().key_size};
                    shape = shape.first == 0 || shape == now ? now : std::pair{kMixedMaps, 0u};
                }
                if (!map_allows(map->type(), *helper))
                    return fail(cat("cannot pass map_type ", map->spec().type, " (",
                                map_type_name(map->spec().type), ") into func ", fname));
                break;
            case ArgType::PtrToCtx:
                if (arg.type != RegType::Ctx) return expected("ctx");
                if (arg.off != 0 || !arg.value.is_zero())
                    return fail(cat("dereference of modified ctx ptr ", rn, " off=", std::to_string(arg.off) +
                                " disallowed (argument of ", fname, ")"));
                break;
            case ArgType::PtrToMapKey:
            case ArgType::PtrToMapValue:
            case ArgType::PtrToUninitMapValue: {
                if (!map) return fail(cat(rn, ": ", fname, " needs a map before its key or value"));
                if (is_or_null(arg.type)) return expected("fp, pkt, pkt_meta, map_value (check the lookup result for NULL)");
                if (!is_pointer(arg.type)) return expected("fp, pkt, pkt_meta, map_value");
                const uint32_t size = t == ArgType::PtrToMapKey ? map->spec().key_size : map->spec().value_size;
                // Uninit: the helper fills the value (MEM_UNINIT | MEM_WRITE).
                const AccessKind kind = t == ArgType::PtrToUninitMapValue ? AccessKind::Write : AccessKind::Read;
                XDPDK_RETURN_IF_ERROR(check_helper_mem(r, size, kind));
                if (t == ArgType::PtrToMapKey) const_key = constant_stack_key(arg, size);
                break;
            }
            case ArgType::PtrToMem:
            case ArgType::PtrToMemOrNull:
            case ArgType::PtrToUninitMem: {
                const ArgType size_t_ = helper->args[a + 1];
                XDPDK_RETURN_IF_ERROR(check_readable(r + 1));
                const RegState& size_reg = reg(r + 1);
                const std::string sn = reg_name(r + 1);
                if (!size_reg.is_scalar())
                    return fail(cat(sn, " type=", reg_type_name(size_reg.type), " expected=scalar (size argument of ", fname, ")"));
                const Scalar& sz = size_reg.value;
                mark_reg_precise(r + 1);
                mark_reg_precise(r);  // NULL (a scalar 0) or a pointer
                if (sz.smin < 0)
                    return fail(cat(sn, " min value is negative, either use unsigned or 'var &= const' (size argument of ", fname, ")"));
                if (sz.umax >= uint64_t(kMaxVarOff))
                    return fail(cat(sn, " unbounded memory access, use 'var &= const' or 'if (var < const)' (size argument of ", fname, ")"));
                if (size_t_ == ArgType::ConstSize && sz.umin == 0)
                    return fail(cat(sn, " invalid zero-sized read (size argument of ", fname, ")"));
                if (arg.is_null_const() && t == ArgType::PtrToMemOrNull) {
                    if (sz.umax != 0) return expected("fp, pkt, pkt_meta, map_value (NULL only with size 0)");
                } else {
                    if (!is_pointer(arg.type) || is_or_null(arg.type)) return expected("fp, pkt, pkt_meta, map_value");
                    // Like Linux, the helper is taken to fill all umax bytes of uninit memory.
                    const AccessKind kind = t == ArgType::PtrToUninitMem ? AccessKind::Write : AccessKind::Read;
                    XDPDK_RETURN_IF_ERROR(check_helper_mem(r, sz.umax, kind));
                }
                ++a;  // the size argument is checked
                break;
            }
            case ArgType::ConstSize:
            case ArgType::ConstSizeOrZero:
                break;  // checked with the pointer before it
        }
    }
    if (map && helper->writes_map && (map->spec().flags & kMapFlagRdonlyProg))
        return fail(cat("write into map forbidden: ", fname, " changes map '", map->name(),
                        "', which is read-only for programs"));
    if (helper->changes_packet) {
        // The packet may have moved: every packet pointer is stale.
        for_each_reg(cur_, [](RegState& r) {
            if (r.type == RegType::Packet || r.type == RegType::PacketMeta || r.type == RegType::PacketEnd)
                r = RegState::unknown();
        });
    }
    Frame& f = cur_.cur();
    for (int r = 1; r <= 5; ++r) f.regs[r] = RegState{};
    switch (helper->ret) {
        case RetType::Integer: f.regs[0] = RegState::unknown(); break;
        case RetType::Void: f.regs[0] = RegState{}; break;
        case RetType::PtrToMapValueOrNull: {
            if (const Map* inner = map->inner_template()) {
                // A map of maps gives the inner map itself, typed by the
                // template (the kernel's CONST_PTR_TO_MAP | PTR_MAYBE_NULL
                // with map_ptr = inner_map_meta).
                RegState r = RegState::pointer(RegType::MapPtrOrNull);
                r.map = inner;
                r.id = new_id();
                f.regs[0] = r;
                break;
            }
            RegState r = RegState::pointer(RegType::MapValueOrNull);
            r.map = map;
            r.id = new_id();
            // An array lookup with a constant key in range cannot fail (Linux
            // 6.13+ drops the NULL check the same way).
            // Only bpf_map_lookup_elem: a per-CPU lookup's cpu may be out of range.
            // Not for an inner template with BPF_F_INNER_MAP: the arrays
            // inserted may be smaller than it.
            const bool array = (map->type() == MapType::Array || map->type() == MapType::PercpuArray) &&
                               !(map->spec().flags & kMapFlagInnerMap);
            if (in.imm == helper_id::MapLookupElem && array && const_key && *const_key < map->spec().max_entries) {
                r.type = RegType::MapValue;
                r.id = 0;
            }
            f.regs[0] = r;
            break;
        }
    }
    return {};
}

Status Verifier::check_local_call(const Insn& in) {
    // The precision walk does not follow values into or out of a called
    // function (it marks every scalar instead); and how a call checks its
    // arguments (a global function's may be a NULL scalar) depends on their
    // values: the argument scalars are precise from here up.
    for (int r = 1; r <= 5; ++r) mark_reg_precise(r);
    if (cur_.frames.size() >= kMaxCallFrames)
        return fail(cat("the call stack of ", std::to_string(cur_.frames.size() + 1), " frames is too deep (at most ",
                    std::to_string(kMaxCallFrames), ")"));
    const uint32_t target = static_cast<uint32_t>(pc_ + 1 + int64_t{in.imm});
    if (global_of_[cfg_.subprog_of[target]] >= 0) return check_global_call(cfg_.subprog_of[target]);
    Frame callee;
    callee.callsite = static_cast<int32_t>(pc_);
    callee.subprog = cfg_.subprog_of[target];
    for (int r = 1; r <= 5; ++r) callee.regs[r] = cur_.cur().regs[r];
    callee.regs[10] = RegState::pointer(RegType::Stack);
    callee.regs[10].frame = static_cast<uint8_t>(cur_.frames.size());
    cur_.frames.push_back(std::move(callee));
    note_new_frame(static_cast<uint32_t>(cur_.frames.size() - 1));
    next_pc_ = target;
    return {};
}

Result<Flow> Verifier::check_exit() {
    const RegState r0 = reg(0);
    if (cur_.frames.size() == 1 && cur_.cur().subprog != 0) {
        // A global function, verified on its own: it must return a number.
        XDPDK_RETURN_IF_ERROR(check_readable(0));
        if (!r0.is_scalar() && env_.strict) return fail("R0 leaks addr as return value");
        if (!r0.is_scalar())
            return fail(cat("At subprogram exit the register R0 is not a scalar value (", reg_type_name(r0.type), ")"));
        return Flow::End;
    }
    if (cur_.frames.size() == 1) {
        XDPDK_RETURN_IF_ERROR(check_readable(0));
        // XDP has no return range in Linux: a privileged loader may return a
        // pointer (allow_ptr_leaks).
        if (!r0.is_scalar() && env_.strict)
            return fail(cat("At program exit the register R0 is not a known value (", std::string(reg_type_name(r0.type)) +
                        "): returning a pointer leaks it"));
        return Flow::End;
    }
    // A static subprogram's r0 goes back as it is, even unset (clang drops
    // the return value no caller reads); the caller is refused only if it
    // reads it, as in Linux's prepare_func_exit.
    const uint8_t gone = static_cast<uint8_t>(cur_.frames.size() - 1);
    if (r0.type == RegType::Stack && r0.frame == gone)
        return fail("cannot return a pointer to this function's stack to its caller");
    // Still valid, but Linux refuses any stack pointer here, conservatively.
    if (r0.type == RegType::Stack) return fail("cannot return a stack pointer to the caller");
    const int32_t callsite = cur_.cur().callsite;
    cur_.frames.pop_back();
    // Pointers into the returning frame's stack now dangle.
    for_each_reg(cur_, [gone](RegState& r) {
        if (r.type == RegType::Stack && r.frame >= gone) r = RegState::unknown();
    });
    Frame& caller = cur_.cur();
    caller.regs[0] = r0;
    for (int r = 1; r <= 5; ++r) caller.regs[r] = RegState{};
    next_pc_ = static_cast<uint32_t>(callsite) + 1;
    return Flow::Goto;
}

}  // namespace xdpdk::vm::verifier
