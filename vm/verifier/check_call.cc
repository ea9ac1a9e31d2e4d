// Calls and exits: helper arguments checked against the helper's signature,
// map/helper compatibility as the kernel has it, BPF-to-BPF calls with their
// own frames (at most 8; global functions are in global_funcs.cc), and what
// a program may return.
#include <algorithm>
#include <optional>

#include "../core_reloc.h"
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
        case MapType::Xskmap: return h.id == RedirectMap || h.id == MapLookupElem;
        case MapType::PerfEventArray: return h.id == PerfEventOutput;
        case MapType::Ringbuf: return h.id == RingbufOutput || h.id == RingbufReserve || h.id == RingbufQuery;
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

// The kernel's check_reg_const_str: a pointer at a known offset into the
// value of a read-only, frozen map (.rodata), with a NUL before its end.
Status Verifier::check_const_str(int r, const std::string& fname) {
    const RegState& arg = reg(r);
    const std::string rn = reg_name(r);
    if (arg.type != RegType::MapValue)
        return fail(cat(rn, " type=", reg_type_name(arg.type), " expected=map_value (a constant string, argument ", r,
                        " of ", fname, ")"));
    const Map& map = *arg.map;
    if (!map.frozen() || !(map.spec().flags & kMapFlagRdonlyProg))
        return fail(cat(rn, " does not point to a readonly map' (argument ", r, " of ", fname, ")"));
    if (!arg.value.is_const()) return fail(cat(rn, " is not a constant address' (argument ", r, " of ", fname, ")"));
    const int64_t at = arg.off + int64_t(arg.value.const_value());
    const uint32_t size = map.spec().value_size;
    const uint8_t* bytes = const_cast<Map&>(map).value_base();
    if (at < 0 || at >= int64_t(size) || bytes == nullptr)
        return fail(cat("invalid access to map value pointer, value_size=", size, " off=", at));
    for (int64_t i = at; i < int64_t(size); ++i)
        if (bytes[i] == 0) return {};
    return fail(cat("string is not zero-terminated (argument ", r, " of ", fname, ")"));
}

Status Verifier::check_helper_call(const Insn& in) {
    const HelperSpec* helper = helper_spec(in.imm);
    if (!helper && in.imm == kCorePoisonImm) {
        for (const auto& [pc, why] : env_.core_poisons)
            if (pc == pc_) return fail(why);
        return fail("invalid func unknown#195896080: an unresolved CO-RE relocation poisoned this instruction");
    }
    if (!helper) return fail(helper_refusal(in.imm));
    const std::string fname = cat(helper_name(in.imm), "#", in.imm);
    if (cur_.lock_map && in.imm != helper_id::SpinUnlock)
        return fail(cat("function calls are not allowed while holding a lock (", fname, ")"));
    if (helper->needs_perfmon && env_.strict)
        return fail(cat("program of this type cannot use helper ", fname, " (Linux offers it to CAP_PERFMON loaders only)"));
    if (helper->may_not_return && !cur_.refs.empty())
        return fail(cat(fname, " would lead to reference leak: reservation id=", cur_.refs.front().id,
                        " is still held"));
    const Map* map = nullptr;
    std::optional<uint64_t> const_key;
    uint64_t alloc_size = 0;      // ConstAllocSizeOrZero
    uint32_t released_ref = 0;    // PtrToAllocMem
    std::optional<uint32_t> callback;  // PtrToFunc: the subprogram's first instruction
    RegState callback_ctx = RegState::constant(0);  // PtrToStackOrNull
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
            case ArgType::PtrToU32: {
                if (!is_pointer(arg.type) || is_or_null(arg.type)) return expected("fp, pkt, pkt_meta, map_value");
                XDPDK_RETURN_IF_ERROR(check_helper_mem(r, 4, AccessKind::Read));
                XDPDK_RETURN_IF_ERROR(check_helper_mem(r, 4, AccessKind::Write));
                break;
            }
            case ArgType::PtrToMem:
            case ArgType::PtrToMemOrNull:
            case ArgType::PtrToMemReadWrite:
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
                    // Read, then written back: what the verifier knew of the bytes is gone.
                    if (t == ArgType::PtrToMemReadWrite) XDPDK_RETURN_IF_ERROR(check_helper_mem(r, sz.umax, AccessKind::Write));
                }
                ++a;  // the size argument is checked
                break;
            }
            case ArgType::ConstSize:
            case ArgType::ConstSizeOrZero:
                break;  // checked with the pointer before it
            case ArgType::ConstAllocSizeOrZero:
                if (!arg.is_scalar() || !arg.value.is_const())
                    return fail(cat(rn, " is not a known constant (the size of the memory ", fname, " returns)"));
                mark_reg_precise(r);
                alloc_size = arg.value.const_value();
                if (alloc_size >= uint64_t(kMaxVarOff))
                    return fail(cat(rn, " size ", alloc_size, " is too large for ", fname));
                break;
            case ArgType::PtrToAllocMem: {
                if (arg.type == RegType::MemOrNull) return expected("ringbuf_mem (check the reservation for NULL)");
                if (arg.type != RegType::Mem) return expected("ringbuf_mem");
                const bool held = std::any_of(cur_.refs.begin(), cur_.refs.end(),
                                              [&](const Reference& ref) { return arg.id != 0 && ref.id == arg.id; });
                if (!held) return fail(cat(rn, " must be referenced when passed to release function ", fname));
                if (arg.off != 0 || !arg.value.is_zero())
                    return fail(cat(rn, " must have zero offset when passed to release function ", fname));
                released_ref = arg.id;
                break;
            }
            case ArgType::PtrToFunc:
                if (arg.type != RegType::FuncPtr) return expected("func");
                callback = arg.func_pc;
                break;
            case ArgType::PtrToSpinLock:
                XDPDK_RETURN_IF_ERROR(check_spin_lock(r, in.imm == helper_id::SpinLock));
                break;
            case ArgType::PtrToStackOrNull:
                if (arg.type != RegType::Stack && !arg.is_null_const()) return expected("fp");
                if (arg.is_scalar()) mark_reg_precise(r);
                callback_ctx = arg;
                break;
            case ArgType::PtrToFixedSizeMem:
            case ArgType::PtrToFixedSizeUninitMem: {
                if (!is_pointer(arg.type) || is_or_null(arg.type)) return expected("fp, pkt, pkt_meta, map_value");
                const AccessKind kind = t == ArgType::PtrToFixedSizeUninitMem ? AccessKind::Write : AccessKind::Read;
                XDPDK_RETURN_IF_ERROR(check_helper_mem(r, helper->arg_size[a], kind));
                break;
            }
            case ArgType::PtrToConstStr:
                XDPDK_RETURN_IF_ERROR(check_const_str(r, fname));
                break;
        }
    }
    if (callback) XDPDK_RETURN_IF_ERROR(push_callback(*helper, *callback, map, callback_ctx));
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
    if (released_ref != 0) release_reference(cur_, released_ref);
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
                // A value holding a bpf_spin_lock keeps its id: the lock is
                // released through the element it was taken on.
                if (map->spin_lock_off() < 0) r.id = 0;
            }
            f.regs[0] = r;
            break;
        }
        case RetType::PtrToAllocMemOrNull: {
            RegState r = RegState::pointer(RegType::MemOrNull);
            r.mem_size = static_cast<uint32_t>(alloc_size);
            r.id = new_id();
            cur_.refs.push_back(Reference{r.id, pc_});
            f.regs[0] = r;
            break;
        }
    }
    return {};
}

// The reservation `id` is gone: so are the pointers into it (unknown numbers
// for a privileged loader, unreadable otherwise, as Linux's mark_reg_invalid).
void Verifier::release_reference(State& st, uint32_t id) {
    std::erase_if(st.refs, [id](const Reference& ref) { return ref.id == id; });
    const bool strict = env_.strict;
    for_each_reg(st, [&](RegState& r) {
        if ((r.type == RegType::Mem || r.type == RegType::MemOrNull) && r.id == id)
            r = strict ? RegState{} : RegState::unknown();
    });
}

// The kernel's push_callback_call: the callback is explored as a path of
// its own that enters it from this call with the arguments its helper
// passes (set_loop_callback_state, set_map_elem_callback_state), while this
// path goes on past the call, as if the helper had not called it yet. The
// callback's exit comes back to this call (check_exit), where the helper may
// call it again, until the states there stop changing.
Status Verifier::push_callback(const HelperSpec& helper, uint32_t start, const Map* map, const RegState& ctx) {
    if (cur_.frames.size() >= kMaxCallFrames)
        return fail(cat("the call stack of ", std::to_string(cur_.frames.size() + 1), " frames is too deep (at most ",
                    std::to_string(kMaxCallFrames), ")"));
    State st = cur_;
    st.callback_return = false;
    ++st.callback_calls;
    Frame callee;
    callee.callsite = static_cast<int32_t>(pc_);
    callee.subprog = cfg_.subprog_of[start];
    callee.in_callback = true;
    switch (helper.callback) {
        case CallbackArgs::None: break;
        case CallbackArgs::Loop:
            callee.regs[1] = RegState::unknown();  // the index
            callee.regs[2] = ctx;
            break;
        case CallbackArgs::MapElem:
            callee.regs[1] = RegState::pointer(RegType::MapPtr);
            callee.regs[1].map = map;
            callee.regs[2] = RegState::pointer(RegType::MapKey);
            callee.regs[2].map = map;
            callee.regs[3] = RegState::pointer(RegType::MapValue);
            callee.regs[3].map = map;
            if (map && map->spin_lock_off() >= 0) callee.regs[3].id = new_id();
            callee.regs[4] = ctx;
            break;
    }
    callee.regs[10] = RegState::pointer(RegType::Stack);
    callee.regs[10].frame = static_cast<uint8_t>(st.frames.size());
    st.frames.push_back(std::move(callee));
    XDPDK_RETURN_IF_ERROR(push_branch(std::move(st), pc_, start));
    std::vector<uint64_t>& written = pending_.back().written;
    const size_t frame = cur_.frames.size();
    if (written.size() <= frame) written.resize(frame + 1, 0);
    written[frame] = ~uint64_t{0};
    return {};
}

// The kernel's process_spin_lock: the argument points exactly at the
// struct bpf_spin_lock of a map value whose BTF has one; one lock is held at
// a time, and unlocked through a pointer to the same value.
Status Verifier::check_spin_lock(int r, bool lock) {
    const RegState& arg = reg(r);
    const std::string rn = reg_name(r);
    if (arg.type != RegType::MapValue)
        return fail(cat(rn, " type=", reg_type_name(arg.type), " expected=map_value (a struct bpf_spin_lock)"));
    if (!arg.value.is_const())
        return fail(cat(rn, " doesn't have constant offset. bpf_spin_lock has to be at the constant offset"));
    const Map& map = *arg.map;
    if (!map.btf()) return fail(cat("map '", map.name(), "' has to have BTF in order to use bpf_spin_lock"));
    if (map.spin_lock_off() < 0) return fail(cat("map '", map.name(), "' has no valid bpf_spin_lock"));
    const int64_t off = arg.off + int64_t(arg.value.const_value());
    if (off != map.spin_lock_off())
        return fail(cat("off ", off, " doesn't point to 'struct bpf_spin_lock' that is at ", map.spin_lock_off()));
    if (lock) {
        if (cur_.lock_map) return fail("Locking two bpf_spin_locks are not allowed");
        cur_.lock_map = &map;
        cur_.lock_id = arg.id;
        return {};
    }
    if (!cur_.lock_map) return fail("bpf_spin_unlock without taking a lock");
    if (cur_.lock_map != &map || cur_.lock_id != arg.id) return fail("bpf_spin_unlock of different lock");
    cur_.lock_map = nullptr;
    cur_.lock_id = 0;
    return {};
}

Status Verifier::check_local_call(const Insn& in) {
    if (cur_.lock_map) return fail("function calls are not allowed while holding a lock");
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
    if (cur_.lock_map) return fail("BPF_EXIT instruction cannot be used inside bpf_spin_lock-ed region");
    if (cur_.frames.size() > 1 && cur_.cur().in_callback) {
        // The helper reads the callback's r0 as a 64-bit 0 (go on) or 1 (stop).
        XDPDK_RETURN_IF_ERROR(check_readable(0));
        if (!r0.is_scalar())
            return fail(cat("At callback return the register R0 is not a known value (", reg_type_name(r0.type), ")"));
        mark_reg_precise(0);
        if (r0.value.smin < 0 || r0.value.smax > 1)
            return fail(cat("At callback return the register R0 has ", r0.value.str(),
                            " should have been in [0, 1]"));
        const uint8_t gone = static_cast<uint8_t>(cur_.frames.size() - 1);
        const int32_t callsite = cur_.cur().callsite;
        cur_.frames.pop_back();
        for_each_reg(cur_, [gone](RegState& r) {
            if (r.type == RegType::Stack && r.frame >= gone) r = RegState::unknown();
        });
        // The caller's registers are as they were at the call, which runs again.
        cur_.callback_return = true;
        next_pc_ = static_cast<uint32_t>(callsite);
        return Flow::Goto;
    }
    if (cur_.frames.size() == 1 && cur_.cur().subprog != 0) {
        // A global function, verified on its own: it must return a number.
        XDPDK_RETURN_IF_ERROR(check_readable(0));
        if (!r0.is_scalar() && env_.strict) return fail("R0 leaks addr as return value");
        if (!r0.is_scalar())
            return fail(cat("At subprogram exit the register R0 is not a scalar value (", reg_type_name(r0.type), ")"));
        return Flow::End;
    }
    if (cur_.frames.size() == 1) {
        if (!cur_.refs.empty())
            return fail(cat("Unreleased reference id=", cur_.refs.front().id, " alloc_insn=", cur_.refs.front().insn,
                            " (a bpf_ringbuf_reserve result must be submitted or discarded on every path)"));
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
