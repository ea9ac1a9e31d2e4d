// Precision tracking, as Linux's mark_chain_precision: a scalar kept at a
// prune point is compared by its range only when some path below that point
// used its value to decide something (a branch it could predict, a pointer
// offset, a helper's size or key). When such a use happens, the value's
// sources are found by walking the path's instructions backwards (the
// history kept since each checkpoint) and every checkpoint on the way gets
// those registers and stack slots marked precise. Marking more than needed
// only costs pruning; marking less would be unsound, so whatever the walk
// cannot follow (calls between frames) marks every scalar precise instead.
#include "verifier_impl.h"

namespace xdpdk::vm::verifier {
namespace {

constexpr uint16_t bit(int r) { return uint16_t(1u << r); }

bool is_mov(Op op) {
    const int d = static_cast<int>(op) - static_cast<int>(Op::Mov64Imm);
    return d >= 0 && d < 4;
}

}  // namespace

bool Backtrack::empty() const {
    for (const PreciseSet& p : frames)
        if (p.regs || p.slots) return false;
    return true;
}

PreciseSet& Backtrack::at(size_t frame) {
    if (frames.size() <= frame) frames.resize(frame + 1);
    return frames[frame];
}

// One instruction backwards: what `bt` needed after it, it needs before it.
// False when the walk cannot follow (the caller then marks everything).
bool backtrack_insn(const Insn& in, const HistEntry& h, Backtrack& bt) {
    PreciseSet& s = bt.at(h.frame);
    const Kind k = op_info(in.op).kind;
    const uint16_t dst = bit(in.dst), src = bit(in.src);
    switch (k) {
        case Kind::AluImm: case Kind::Neg: case Kind::Endian:
            if ((s.regs & dst) && is_mov(in.op)) s.regs &= ~dst;
            return true;
        case Kind::AluReg: case Kind::MovSx:
            if (!(s.regs & dst)) return true;
            if (is_mov(in.op) || k == Kind::MovSx) s.regs &= ~dst;
            s.regs |= src;
            return true;
        case Kind::Lddw:
            s.regs &= ~dst;
            return true;
        case Kind::LddwTail: case Kind::Ja: return true;
        case Kind::Ldx: case Kind::Ldxs:
            if (!(s.regs & dst)) return true;
            s.regs &= ~dst;
            if (h.stack_frame >= 0) bt.at(h.stack_frame).slots |= uint64_t{1} << h.stack_slot;
            return true;
        case Kind::St: case Kind::Stx: {
            if (h.stack_frame < 0) return true;
            PreciseSet& t = bt.at(h.stack_frame);
            const uint64_t sl = uint64_t{1} << h.stack_slot;
            if (!(t.slots & sl)) return true;
            // A whole-slot write replaces the value; a narrower one leaves
            // part of the old one, so both stay needed.
            if (h.whole_slot) t.slots &= ~sl;
            if (k == Kind::Stx) bt.at(h.frame).regs |= src;
            return true;
        }
        case Kind::Atomic: {
            PreciseSet* t = h.stack_frame >= 0 ? &bt.at(h.stack_frame) : nullptr;
            const uint64_t sl = t ? uint64_t{1} << h.stack_slot : 0;
            PreciseSet& f = bt.at(h.frame);
            if ((f.regs & (src | bit(0))) || (t && (t->slots & sl))) {
                f.regs |= src | bit(0);
                if (t) t->slots |= sl;
            }
            return true;
        }
        case Kind::JmpImm: case Kind::JmpReg: {
            // A comparison narrows both operands and every linked copy.
            // Copies linked in other frames are not recorded one by one: if
            // anything at all is still needed, it may be one of them, so the
            // walk gives up (everything precise) rather than miss it.
            if (h.linked_other && !bt.empty()) return false;
            uint16_t regs = dst | h.linked_regs;
            if (k == Kind::JmpReg) regs |= src;
            const bool needed = (s.regs & regs) || (s.slots & h.linked_slots);
            if (!needed) return true;
            s.regs |= regs;
            s.slots |= h.linked_slots;
            return true;
        }
        case Kind::Call:
            if (in.op == Op::CallLocal) return bt.empty();
            // r0 is the helper's result; r1-r5 are gone after it.
            s.regs &= ~uint16_t(0x3f);
            return true;
        case Kind::Exit:
            return h.frame == 0 || bt.empty();
    }
    return false;
}

bool Verifier::backtrack_segment(const std::vector<HistEntry>& hist, Backtrack& bt) {
    for (size_t i = hist.size(); i-- > 0;) {
        if (bt.empty()) return true;
        if (!backtrack_insn(prog_.insns[hist[i].pc], hist[i], bt)) return false;
    }
    return true;
}

// Linux's mark_all_scalars_precise: for when the walk cannot follow.
void Verifier::mark_all_precise(Checkpoint* from) {
    for (Checkpoint* cp = from; cp && !cp->all_precise; cp = cp->parent) {
        cp->precise.assign(cp->state.frames.size(), PreciseSet{uint16_t(0x7ff), ~uint64_t{0}});
        cp->all_precise = true;
    }
}

// A path that runs long without a new checkpoint (the lists are full, or a
// loop has no prune point the states differ at) would copy an ever longer
// history at each branch: past the limit, everything above is marked
// precise once and the history is dropped.
void Verifier::limit_history() {
    constexpr size_t kMaxHistory = 1024;
    if (hist_.size() <= kMaxHistory) return;
    mark_all_precise(parent_);
    hist_.clear();
    hist_lost_ = true;
}

// Marks what `bt` holds in the checkpoint and keeps in `bt` what still
// needs its sources found above it: bits already precise there were
// followed before. Registers that hold pointers there are compared exactly
// anyway. A slot that is not a spilled scalar there (zero or unknown bytes,
// compared by kind) is not marked but stays followed: a later store of a
// register may have made it what the path read.
static bool apply_to_checkpoint(Checkpoint& cp, Backtrack& bt) {
    if (bt.frames.size() > cp.state.frames.size()) return false;
    if (cp.precise.size() < cp.state.frames.size()) cp.precise.resize(cp.state.frames.size());
    for (size_t f = 0; f < bt.frames.size(); ++f) {
        PreciseSet& want = bt.frames[f];
        PreciseSet& have = cp.precise[f];
        const Frame& fr = cp.state.frames[f];
        for (int r = 0; r < 10; ++r) {
            if (!(want.regs & bit(r))) continue;
            if (!fr.regs[r].is_scalar() || (have.regs & bit(r))) want.regs &= ~bit(r);
            else have.regs |= bit(r);
        }
        want.regs &= 0x3ff;
        for (size_t i = 0; i < kMaxSlots; ++i) {
            const uint64_t sl = uint64_t{1} << i;
            if (!(want.slots & sl)) continue;
            const bool scalar_spill = i < fr.slots.size() && fr.slots[i].is_spill() && fr.slots[i].spilled.is_scalar();
            if (have.slots & sl) want.slots &= ~sl;
            else if (scalar_spill) have.slots |= sl;
        }
    }
    return true;
}

void Verifier::mark_precise(Backtrack bt) {
    if (!precision_ || bt.empty()) return;
    if (hist_lost_ || !backtrack_segment(hist_, bt)) return mark_all_precise(parent_);
    for (Checkpoint* cp = parent_; cp && !bt.empty(); cp = cp->parent) {
        if (cp->all_precise) return;
        // On failure: this checkpoint and everything above.
        if (!apply_to_checkpoint(*cp, bt) || cp->hist_lost || !backtrack_segment(cp->hist, bt))
            return mark_all_precise(cp);
    }
}

void Verifier::mark_reg_precise(int r) {
    if (!cur_.cur().regs[r].is_scalar()) return;
    Backtrack bt;
    bt.at(cur_.frames.size() - 1).regs |= bit(r);
    mark_precise(std::move(bt));
}

void Verifier::mark_slot_precise(uint32_t frame, uint32_t slot) {
    Backtrack bt;
    bt.at(frame).slots |= uint64_t{1} << slot;
    mark_precise(std::move(bt));
}

// What the scalar ids in register `r` of the running frame link: the other
// registers and spilled slots holding the same value, which a branch on `r`
// narrows together.
void Verifier::note_linked(int r) {
    const RegState& v = cur_.cur().regs[r];
    if (!v.is_scalar() || v.id == 0) return;
    const size_t top = cur_.frames.size() - 1;
    for (size_t f = 0; f < cur_.frames.size(); ++f) {
        const Frame& fr = cur_.frames[f];
        for (int i = 0; i < 10; ++i) {
            if (!fr.regs[i].is_scalar() || fr.regs[i].id != v.id) continue;
            if (f == top) entry_.linked_regs |= bit(i);
            else entry_.linked_other = true;
        }
        for (size_t i = 0; i < fr.slots.size(); ++i) {
            const StackSlot& s = fr.slots[i];
            if (!s.is_spill() || !s.spilled.is_scalar() || s.spilled.id != v.id) continue;
            if (f == top) entry_.linked_slots |= uint64_t{1} << i;
            else entry_.linked_other = true;
        }
    }
}

// A pruned path relied on what the old state's precise values allowed: the
// same values must now be exact in this path's checkpoints too.
void Verifier::propagate_precision(const Checkpoint& old) {
    if (!precision_) return;
    Backtrack bt;
    for (size_t f = 0; f < old.precise.size() && f < cur_.frames.size(); ++f) {
        const Frame& fr = cur_.frames[f];
        PreciseSet& s = bt.at(f);
        for (int r = 0; r < 10; ++r)
            if ((old.precise[f].regs & bit(r)) && fr.regs[r].is_scalar()) s.regs |= bit(r);
        for (size_t i = 0; i < fr.slots.size(); ++i)
            if ((old.precise[f].slots >> i) & 1) s.slots |= uint64_t{1} << i;
    }
    mark_precise(std::move(bt));
}

}  // namespace xdpdk::vm::verifier
