// A verifier state: the call frames of one path, each with its registers and
// the stack slots it has written, and the comparison used by state pruning.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "reg_state.h"

namespace xdpdk::vm::verifier {

constexpr int kNumRegs = 11;
constexpr int kSlotSize = 8;
constexpr int kMaxSlots = 512 / kSlotSize;

// What one stack byte holds.
enum class ByteKind : uint8_t {
    Invalid,  // never written on this path
    Misc,     // some scalar bytes
    Zero,     // known zero
    Spill,    // part of the register saved in the slot
};

struct StackSlot {
    std::array<ByteKind, kSlotSize> bytes{};  // bytes[0] is the lowest address
    RegState spilled;                         // valid when every byte is Spill

    // A register saved at the slot's lowest address: all 8 bytes, or the
    // low 1, 2 or 4 bytes of a scalar (as Linux tracks narrow spills).
    bool is_spill() const { return bytes[0] == ByteKind::Spill; }
    int spill_size() const {
        int n = 0;
        while (n < 8 && bytes[n] == ByteKind::Spill) ++n;
        return n;
    }
    bool operator==(const StackSlot&) const = default;
};

struct Frame {
    std::array<RegState, kNumRegs> regs;
    // slots[i] covers fp-8*(i+1) .. fp-8*i-1; grown on first write.
    std::vector<StackSlot> slots;
    int32_t callsite = -1;  // the call instruction that entered this frame
    uint32_t subprog = 0;
    // A callback called by the helper at `callsite`: it must return 0 or 1,
    // and its exit goes back to the callsite (the helper may call it again).
    bool in_callback = false;

    StackSlot* slot_at(int32_t fp_off);  // nullptr when not written yet
    StackSlot& grow_to(int32_t fp_off);  // the slot holding fp_off, allocated
};

// A reservation the program holds (bpf_ringbuf_reserve): released by
// submit or discard, or by finding the pointer NULL; the registers pointing
// into it carry its id.
struct Reference {
    uint32_t id = 0;
    uint32_t insn = 0;  // the call that acquired it
    bool operator==(const Reference&) const = default;
};

struct State {
    std::vector<Frame> frames;  // frames.back() is the running function
    std::vector<Reference> refs;  // in the order acquired
    // Just back from a callback at its helper's call: the state is compared
    // with the one that called it before (visit_prune_point).
    bool callback_return = false;
    // Callback calls on this path: a state kept in an earlier call of a
    // callback is not a loop ancestor of one in a later call (the helper
    // bounds the calls), only a state that may cover it.
    uint32_t callback_calls = 0;
    // The bpf_spin_lock held (at most one): the map whose value holds it and
    // the id of the value's pointer (0 for a map's own value by lddw).
    const Map* lock_map = nullptr;
    uint32_t lock_id = 0;

    Frame& cur() { return frames.back(); }
    const Frame& cur() const { return frames.back(); }
};

// Which scalars of one frame of a kept state some later path relied on the
// value of (registers by bit, spilled stack slots by bit).
struct PreciseSet {
    uint16_t regs = 0;
    uint64_t slots = 0;
};

// True when every concrete state `cur` describes is also described by `old`,
// looking only at registers live at `pc` (live_in: bit r set when register r
// may be read before it is written, per instruction) and, in caller frames,
// at their return sites, and the references held (the same number, their
// ids matched). Ids are matched consistently, not by value.
// `precise` (per frame of `old`) names the scalars whose range must contain
// cur's; any other scalar in `old` stands for every scalar, as Linux's
// regsafe treats imprecise ones. `live_slots` (per frame, bit per slot)
// names the stack slots some path from `old` read before writing them; the
// others are not compared. nullptr: every scalar is precise, every slot live.
// uninit_is_misc: never-written stack bytes read as unknown (root's rules),
// so a kept unknown byte covers them.
bool state_covers(const State& old, const State& cur, uint32_t pc, const std::vector<uint16_t>& live_in,
                  const std::vector<PreciseSet>* precise = nullptr, const std::vector<uint64_t>* live_slots = nullptr,
                  bool uninit_is_misc = false);

// The registers of the running frame live at `pc` are identical in both
// (ignoring ids): with state_covers, a sign that a loop makes no progress.
bool same_live_regs(const State& a, const State& b, uint32_t pc, const std::vector<uint16_t>& live_in);
// A hash of what same_live_regs compares: states it finds the same have equal
// keys. A loop head keeps up to one checkpoint per iteration on the path, and
// every visit checks each for no progress; comparing keys first keeps that
// from dominating verification time (fuzzing found a loop nest where it did).
uint64_t live_regs_key(const State& st, uint32_t pc, const std::vector<uint16_t>& live_in);

// Scalar ids held by a single register or slot link nothing; dropping them
// lets more states compare equal.
void drop_single_scalar_ids(State& st);

// The state's registers that matter and written stack slots, one line.
std::string state_str(const State& st, uint16_t live_mask = 0x7ff);

}  // namespace xdpdk::vm::verifier
