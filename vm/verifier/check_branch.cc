// Conditional jumps: decide the branch when the operands' ranges allow it,
// otherwise explore both with what each direction teaches: narrower ranges
// for scalars, NULL or not for lookup results, and the proven packet range
// when a packet pointer is compared with data_end (or data_meta with data).
#include <algorithm>

#include "verifier_impl.h"
#include "text.h"

namespace xdpdk::vm::verifier {
namespace {

// Comparison kinds, independent of width and operand form.
enum class Cmp { Eq, Ne, Gt, Ge, Lt, Le, Sgt, Sge, Slt, Sle, Set, NotSet };

Cmp cmp_of(Op op) {
    const int group = (static_cast<int>(op) - static_cast<int>(Op::Jeq64Imm)) / 4;
    static constexpr Cmp kOrder[] = {Cmp::Eq, Cmp::Gt, Cmp::Ge, Cmp::Set, Cmp::Ne, Cmp::Sgt,
                                     Cmp::Sge, Cmp::Lt, Cmp::Le, Cmp::Slt, Cmp::Sle};
    return kOrder[group];
}

Cmp negate(Cmp c) {
    switch (c) {
        case Cmp::Eq: return Cmp::Ne;
        case Cmp::Ne: return Cmp::Eq;
        case Cmp::Gt: return Cmp::Le;
        case Cmp::Ge: return Cmp::Lt;
        case Cmp::Lt: return Cmp::Ge;
        case Cmp::Le: return Cmp::Gt;
        case Cmp::Sgt: return Cmp::Sle;
        case Cmp::Sge: return Cmp::Slt;
        case Cmp::Slt: return Cmp::Sge;
        case Cmp::Sle: return Cmp::Sgt;
        case Cmp::Set: return Cmp::NotSet;
        case Cmp::NotSet: return Cmp::Set;
    }
    return c;
}

// a op b  ==  b swapped(op) a
Cmp swap_sides(Cmp c) {
    switch (c) {
        case Cmp::Gt: return Cmp::Lt;
        case Cmp::Ge: return Cmp::Le;
        case Cmp::Lt: return Cmp::Gt;
        case Cmp::Le: return Cmp::Ge;
        case Cmp::Sgt: return Cmp::Slt;
        case Cmp::Sge: return Cmp::Sle;
        case Cmp::Slt: return Cmp::Sgt;
        case Cmp::Sle: return Cmp::Sge;
        default: return c;
    }
}

// One width's view of a scalar: unsigned and signed bounds and known bits.
struct View {
    uint64_t umin, umax;
    int64_t smin, smax;
    Tnum bits;
};

View view_of(const Scalar& s, bool is64) {
    if (is64) return View{s.umin, s.umax, s.smin, s.smax, s.bits};
    return View{s.u32min, s.u32max, s.s32min, s.s32max, tnum_subreg(s.bits)};
}

void store_view(Scalar& s, const View& v, bool is64) {
    if (is64) {
        s.umin = v.umin, s.umax = v.umax, s.smin = v.smin, s.smax = v.smax, s.bits = v.bits;
        return;
    }
    s.u32min = uint32_t(v.umin), s.u32max = uint32_t(v.umax);
    s.s32min = int32_t(v.smin), s.s32max = int32_t(v.smax);
    s.bits = tnum_with_subreg(s.bits, v.bits);
}

bool bits_conflict(Tnum a, Tnum b) { return ((a.value ^ b.value) & ~a.mask & ~b.mask) != 0; }

// 1: always true, 0: never, -1: depends.
int branch_taken(Cmp c, const View& a, const View& b) {
    switch (c) {
        case Cmp::Eq:
            if (a.bits.is_const() && b.bits.is_const()) return a.bits.value == b.bits.value;
            if (a.umin > b.umax || a.umax < b.umin || a.smin > b.smax || a.smax < b.smin) return 0;
            if (bits_conflict(a.bits, b.bits)) return 0;
            return -1;
        case Cmp::Ne: {
            const int eq = branch_taken(Cmp::Eq, a, b);
            return eq < 0 ? -1 : !eq;
        }
        case Cmp::Gt: return a.umin > b.umax ? 1 : a.umax <= b.umin ? 0 : -1;
        case Cmp::Ge: return a.umin >= b.umax ? 1 : a.umax < b.umin ? 0 : -1;
        case Cmp::Lt: return a.umax < b.umin ? 1 : a.umin >= b.umax ? 0 : -1;
        case Cmp::Le: return a.umax <= b.umin ? 1 : a.umin > b.umax ? 0 : -1;
        case Cmp::Sgt: return a.smin > b.smax ? 1 : a.smax <= b.smin ? 0 : -1;
        case Cmp::Sge: return a.smin >= b.smax ? 1 : a.smax < b.smin ? 0 : -1;
        case Cmp::Slt: return a.smax < b.smin ? 1 : a.smin >= b.smax ? 0 : -1;
        case Cmp::Sle: return a.smax <= b.smin ? 1 : a.smin > b.smax ? 0 : -1;
        case Cmp::Set:
            if (a.bits.value & b.bits.value) return 1;
            if (!(a.bits.max() & b.bits.max())) return 0;
            return -1;
        case Cmp::NotSet: {
            const int set = branch_taken(Cmp::Set, a, b);
            return set < 0 ? -1 : !set;
        }
    }
    return -1;
}

// Narrows a and b to the values for which `a c b` holds; false when none.
bool refine(Cmp c, View& a, View& b, bool is64) {
    const uint64_t umax_all = is64 ? UINT64_MAX : UINT32_MAX;
    const int64_t smin_all = is64 ? INT64_MIN : INT32_MIN, smax_all = is64 ? INT64_MAX : INT32_MAX;
    switch (c) {
        case Cmp::Eq:
            if (bits_conflict(a.bits, b.bits)) return false;
            a.umin = b.umin = std::max(a.umin, b.umin);
            a.umax = b.umax = std::min(a.umax, b.umax);
            a.smin = b.smin = std::max(a.smin, b.smin);
            a.smax = b.smax = std::min(a.smax, b.smax);
            a.bits = b.bits = tnum_intersect(a.bits, b.bits);
            break;
        case Cmp::Ne:
            for (int side = 0; side < 2; ++side) {
                View& x = side ? b : a;
                const View& k = side ? a : b;
                if (!k.bits.is_const()) continue;
                const uint64_t v = k.bits.value;
                const int64_t sv = is64 ? int64_t(v) : int64_t(int32_t(uint32_t(v)));
                if (x.umin == v && x.umin < umax_all) ++x.umin;
                else if (x.umax == v && x.umax > 0) --x.umax;
                if (x.smin == sv && x.smin < smax_all) ++x.smin;
                else if (x.smax == sv && x.smax > smin_all) --x.smax;
            }
            break;
        case Cmp::Gt:
            if (b.umin == umax_all || a.umax == 0) return false;
            a.umin = std::max(a.umin, b.umin + 1);
            b.umax = std::min(b.umax, a.umax - 1);
            break;
        case Cmp::Ge:
            a.umin = std::max(a.umin, b.umin);
            b.umax = std::min(b.umax, a.umax);
            break;
        case Cmp::Sgt:
            if (b.smin == smax_all || a.smax == smin_all) return false;
            a.smin = std::max(a.smin, b.smin + 1);
            b.smax = std::min(b.smax, a.smax - 1);
            break;
        case Cmp::Sge:
            a.smin = std::max(a.smin, b.smin);
            b.smax = std::min(b.smax, a.smax);
            break;
        case Cmp::Lt: case Cmp::Le: case Cmp::Slt: case Cmp::Sle:
            return refine(swap_sides(c), b, a, is64);
        case Cmp::Set:
            if (b.bits.is_const() && b.bits.value && (b.bits.value & (b.bits.value - 1)) == 0)
                a.bits = tnum_or(a.bits, b.bits);
            break;
        case Cmp::NotSet:
            if (b.bits.is_const()) {
                if (b.bits.value & a.bits.value) return false;
                const uint64_t keep = is64 ? ~b.bits.value : (~b.bits.value & 0xffffffff);
                a.bits = tnum_and(a.bits, Tnum::constant(keep));
            }
            break;
    }
    return a.umin <= a.umax && a.smin <= a.smax && b.umin <= b.umax && b.smin <= b.smax;
}

bool non_null_pointer(RegType t) { return is_pointer(t) && !is_or_null(t); }

}  // namespace

// Applies what `dst c src` teaches to `st`; false when that cannot hold.
static bool refine_state(Verifier& v, State& st, const Insn& in, Cmp c, bool is64) {
    Frame& f = st.cur();
    RegState& a = f.regs[in.dst];
    const bool reg_src = op_info(in.op).kind == Kind::JmpReg;
    RegState imm = RegState::constant(is64 ? uint64_t(int64_t{in.imm}) : uint64_t(uint32_t(in.imm)));
    RegState& b = reg_src ? f.regs[in.src] : imm;

    // NULL checks resolve every copy of a lookup result at once.
    if (is64 && (c == Cmp::Eq || c == Cmp::Ne) && is_or_null(a.type) && b.is_null_const()) {
        const bool is_null = c == Cmp::Eq;
        const uint32_t id = a.id;
        const RegType t = a.type;
        v.for_each_reg(st, [&](RegState& r) {
            if (r.type != t || r.id != id) return;
            if (is_null) r = RegState::constant(0);
            else r.type = non_null_type(t);
        });
        // A reservation found NULL holds nothing to release.
        if (is_null) std::erase_if(st.refs, [id](const Reference& ref) { return ref.id == id; });
        return true;
    }
    if (!a.is_scalar() || !b.is_scalar()) return true;  // pointers: nothing more to learn here
    if (reg_src && in.src == in.dst) return true;

    View va = view_of(a.value, is64), vb = view_of(b.value, is64);
    if (!refine(c, va, vb, is64)) return false;
    Scalar na = a.value, nb = b.value;
    store_view(na, va, is64);
    store_view(nb, vb, is64);
    if (!na.sync() || !nb.sync()) return false;
    auto apply = [&](RegState& r, const Scalar& s) {
        r.value = s;
        if (!r.id) return;
        const uint32_t id = r.id;
        v.for_each_reg(st, [&](RegState& o) {
            if (o.is_scalar() && o.id == id) o.value = s;
        });
    };
    apply(a, na);
    if (reg_src) apply(b, nb);
    return true;
}

// Packet pointer comparisons (64-bit, unsigned): `range_if[0]`/`[1]` is the
// proven range for the false/true direction, 0 when it proves nothing.
namespace {

struct PacketCompare {
    bool matched = false;
    int ptr_reg = -1;             // the packet (or meta) pointer compared
    bool known[2] = {false, false};  // the direction is impossible
    uint32_t range_if[2] = {0, 0};
};

PacketCompare packet_compare(const RegState& a, const RegState& b, int areg, int breg, Cmp c) {
    PacketCompare pc;
    const bool b_is_end_of_a =
        (a.type == RegType::Packet && b.type == RegType::PacketEnd) ||
        (a.type == RegType::PacketMeta && b.type == RegType::Packet && b.off == 0 && b.var_off_is_zero() && b.id == 0);
    const bool a_is_end_of_b =
        (b.type == RegType::Packet && a.type == RegType::PacketEnd) ||
        (b.type == RegType::PacketMeta && a.type == RegType::Packet && a.off == 0 && a.var_off_is_zero() && a.id == 0);
    if (!b_is_end_of_a && !a_is_end_of_b) return pc;
    // Normalise to "P c E".
    const RegState& p = b_is_end_of_a ? a : b;
    if (a_is_end_of_b) c = swap_sides(c);
    pc.matched = true;
    pc.ptr_reg = b_is_end_of_a ? areg : breg;
    // Which direction shows P <= E (strict: P < E)?
    int dir = -1;
    bool strict = false;
    switch (c) {
        case Cmp::Gt: dir = 0; break;                 // !(P > E)
        case Cmp::Ge: dir = 0, strict = true; break;  // !(P >= E)
        case Cmp::Lt: dir = 1, strict = true; break;
        case Cmp::Le: dir = 1; break;
        default: return pc;
    }
    if (p.off < 0 || (p.off == 0 && strict)) return pc;
    if (p.value.umax > kMaxPacketOff || p.value.umax + uint64_t(p.off) > kMaxPacketOff) return pc;
    const uint32_t need = uint32_t(p.off) + (strict ? 1 : 0);
    pc.range_if[dir] = need;
    // Already proven: the other direction cannot happen.
    if (p.range >= need) pc.known[1 - dir] = true;
    return pc;
}

}  // namespace

Result<Flow> Verifier::check_branch(const Insn& in) {
    const OpInfo& info = op_info(in.op);
    const bool reg_src = info.kind == Kind::JmpReg;
    XDPDK_RETURN_IF_ERROR(check_readable(in.dst));
    if (reg_src) XDPDK_RETURN_IF_ERROR(check_readable(in.src));
    const bool is64 = info.is64;
    const Cmp c = cmp_of(in.op);
    const uint32_t target = static_cast<uint32_t>(pc_ + 1 + in.off);
    const RegState a = reg(in.dst);
    const RegState b = reg_src ? reg(in.src)
                               : RegState::constant(is64 ? uint64_t(int64_t{in.imm}) : uint64_t(uint32_t(in.imm)));

    note_linked(in.dst);
    if (reg_src) note_linked(in.src);
    // Whatever the operands' values decide beyond "explore both ways, each
    // narrowed" must hold in any state this path's checkpoints later prune.
    auto values_decided = [&] {
        mark_reg_precise(in.dst);
        if (reg_src) mark_reg_precise(in.src);
    };

    int taken = -1;
    PacketCompare pkt;
    const bool null_check = is64 && (c == Cmp::Eq || c == Cmp::Ne) && is_or_null(a.type) && b.is_null_const();
    if (a.is_scalar() && b.is_scalar()) {
        taken = branch_taken(c, view_of(a.value, is64), view_of(b.value, is64));
    } else if (is64 && (c == Cmp::Eq || c == Cmp::Ne) &&
               ((non_null_pointer(a.type) && b.is_null_const()) || (non_null_pointer(b.type) && a.is_null_const()))) {
        taken = c == Cmp::Ne;
    } else if (is64) {
        pkt = packet_compare(a, b, in.dst, reg_src ? in.src : -1, c);
        if (pkt.known[0]) taken = 1;
        if (pkt.known[1]) taken = 0;
    }
    // The unprivileged rules (Linux's check_cond_jmp_op without
    // allow_ptr_leaks): a pointer may only be compared with another packet
    // pointer, by a bounds check against its end, or with NULL.
    if (env_.strict && taken < 0 && !null_check && (is_pointer(a.type) || is_pointer(b.type))) {
        auto pkt_any = [](RegType t) { return is_packet(t) || t == RegType::PacketEnd; };
        const bool bounds_check = pkt.matched && (c == Cmp::Gt || c == Cmp::Ge || c == Cmp::Lt || c == Cmp::Le);
        if (reg_src && is_pointer(b.type) && !(pkt_any(a.type) && pkt_any(b.type)))
            return fail(cat(reg_name(in.src), " pointer comparison prohibited"));
        if (!bounds_check && is_pointer(a.type)) return fail(cat(reg_name(in.dst), " pointer comparison prohibited"));
    }
    if (taken == 1) {
        values_decided();
        next_pc_ = target;
        return Flow::Goto;
    }
    if (taken == 0) {
        values_decided();
        return Flow::Next;
    }

    State other = cur_;
    const bool fall_ok = refine_state(*this, cur_, in, negate(c), is64);
    const bool take_ok = refine_state(*this, other, in, c, is64);
    if (pkt.matched) {
        auto mark = [&](State& st, uint32_t range) {
            if (!range) return;
            const RegState p = st.cur().regs[pkt.ptr_reg];
            for_each_reg(st, [&](RegState& r) {
                if (r.type == p.type && r.id == p.id) r.range = std::max(r.range, range);
            });
        };
        mark(cur_, pkt.range_if[0]);
        mark(other, pkt.range_if[1]);
    }
    // A direction ruled out depends on both values; a comparison with a
    // pointer, on the scalar side's (NULL or not).
    if (!take_ok || !fall_ok || !a.is_scalar() || !b.is_scalar()) values_decided();
    if (take_ok && fall_ok) {
        XDPDK_RETURN_IF_ERROR(push_branch(std::move(other), pc_, target));
        path_ = paths_.add(path_, pc_, pc_ + 1);
        return Flow::Next;
    }
    if (take_ok) {
        cur_ = std::move(other);
        next_pc_ = target;
        return Flow::Goto;
    }
    if (fall_ok) return Flow::Next;
    return Flow::End;  // neither direction is possible: the path itself cannot happen
}

}  // namespace xdpdk::vm::verifier
