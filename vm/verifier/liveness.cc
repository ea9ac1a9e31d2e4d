// Stack slot liveness, as Linux's REG_LIVE_READ marks: a kept state's stack
// slot matters to pruning only if some path from it reads the slot before
// writing all of it. A read marks the slot live in each checkpoint above
// the path, up to the one whose incoming path wrote the whole slot (its
// value there came from that write). Once a checkpoint's paths are all
// explored, its live set is complete; a path pruned by it inherits that set
// as reads of its own.
#include "verifier_impl.h"

namespace xdpdk::vm::verifier {
namespace {

bool has(const std::vector<uint64_t>& v, uint32_t frame, uint32_t slot) {
    return frame < v.size() && ((v[frame] >> slot) & 1);
}

void set(std::vector<uint64_t>& v, uint32_t frame, uint32_t slot) {
    if (v.size() <= frame) v.resize(frame + 1, 0);
    v[frame] |= uint64_t{1} << slot;
}

}  // namespace

void Verifier::mark_slot_read(uint32_t frame, uint32_t slot) {
    if (has(written_, frame, slot)) return;
    for (Checkpoint* cp = parent_; cp; cp = cp->parent) {
        if (has(cp->live_slots, frame, slot)) return;  // and so is every checkpoint above
        set(cp->live_slots, frame, slot);
        if (has(cp->written, frame, slot)) return;
    }
}

void Verifier::mark_range_read(uint32_t frame, int64_t lo, int64_t hi) {
    if (lo >= hi) return;
    for (int64_t s = (-hi) / kSlotSize; s <= (-lo - 1) / kSlotSize; ++s) mark_slot_read(frame, static_cast<uint32_t>(s));
}

void Verifier::note_slot_written(uint32_t frame, uint32_t slot) { set(written_, frame, slot); }

// A called function's frame is new: nothing above the call reads it.
void Verifier::note_new_frame(uint32_t frame) {
    if (written_.size() <= frame) written_.resize(frame + 1, 0);
    written_[frame] = ~uint64_t{0};
}

void Verifier::propagate_liveness(const Checkpoint& old) {
    for (uint32_t f = 0; f < old.live_slots.size(); ++f)
        for (uint32_t s = 0; s < kMaxSlots; ++s)
            if ((old.live_slots[f] >> s) & 1) mark_slot_read(f, s);
}

}  // namespace xdpdk::vm::verifier
