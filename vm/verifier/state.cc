#include "state.h"

#include <algorithm>
#include <unordered_map>

#include "../map.h"
#include "text.h"

namespace xdpdk::vm::verifier {
namespace {

int slot_index(int32_t fp_off) { return (-fp_off - 1) / kSlotSize; }

// Old ids must map to cur ids the same way everywhere.
class IdMap {
public:
    bool match(uint32_t old_id, uint32_t cur_id) {
        if (old_id == 0) return true;
        if (cur_id == 0) return false;
        for (const auto& [o, c] : pairs_)
            if (o == old_id) return c == cur_id;
        pairs_.emplace_back(old_id, cur_id);
        return true;
    }

private:
    std::vector<std::pair<uint32_t, uint32_t>> pairs_;
};

bool reg_covers(const RegState& old, const RegState& cur, IdMap& ids, bool precise = true) {
    if (old.type == RegType::NotInit) return true;
    if (old.type != cur.type) return false;
    if (old.type == RegType::Scalar && !precise) return true;
    switch (old.type) {
        case RegType::NotInit: return true;
        case RegType::Scalar: return old.value.contains(cur.value) && ids.match(old.id, cur.id);
        case RegType::PacketEnd: return true;
        case RegType::MapPtr: return old.map == cur.map;
        case RegType::Packet:
        case RegType::PacketMeta:
            return old.off == cur.off && cur.range >= old.range && old.value.contains(cur.value) &&
                   ids.match(old.id + 1, cur.id + 1);  // id 0 is a real packet id here
        case RegType::MemOrNull:
        case RegType::MapPtrOrNull:
        case RegType::MapValueOrNull:
            return old.mem_size == cur.mem_size && old.map == cur.map && old.off == cur.off && old.value.contains(cur.value) &&
                   ids.match(old.id, cur.id);
        case RegType::MapValue:
        case RegType::MapKey:
            // Which element matters where the value holds a bpf_spin_lock:
            // the lock taken through one pointer must be released through a
            // pointer to the same element (Linux's check_ids on map values).
            return old.map == cur.map && old.off == cur.off && old.value.contains(cur.value) &&
                   (old.type != RegType::MapValue || old.map == nullptr || old.map->spin_lock_off() < 0 ||
                    ids.match(old.id, cur.id));
        case RegType::FuncPtr: return old.func_pc == cur.func_pc;
        case RegType::Stack:
            return old.frame == cur.frame && old.off == cur.off && old.value.contains(cur.value);
        case RegType::Ctx:
            return old.off == cur.off && old.mem_size == cur.mem_size && old.value.contains(cur.value);
        case RegType::Mem:  // the id: which reservation, if any, it points into
            return old.off == cur.off && old.mem_size == cur.mem_size && old.value.contains(cur.value) &&
                   ids.match(old.id, cur.id);
    }
    return false;
}

// uninit_is_misc: a root loader reads never-written stack bytes as unknown
// ones, so there they are as good as Misc (Linux's stacksafe with
// allow_uninit_stack).
bool byte_covers(ByteKind o, ByteKind k, const StackSlot& c, bool uninit_is_misc) {
    switch (o) {
        case ByteKind::Invalid: return true;
        case ByteKind::Misc:
            if (k == ByteKind::Invalid) return uninit_is_misc;
            return k != ByteKind::Spill || c.spilled.is_scalar();
        case ByteKind::Zero:
            return k == ByteKind::Zero || (k == ByteKind::Spill && c.spilled.is_null_const());
        case ByteKind::Spill: return false;  // compared as a whole register
    }
    return false;
}

// Every byte reads back as some scalar.
bool all_scalar_bytes(const StackSlot& c, bool uninit_is_misc) {
    for (ByteKind k : c.bytes)
        if ((k == ByteKind::Invalid && !uninit_is_misc) || (k == ByteKind::Spill && !c.spilled.is_scalar())) return false;
    return true;
}

bool slot_covers(const StackSlot& old, const StackSlot* cur, IdMap& ids, bool precise, bool uninit_is_misc) {
    static const StackSlot kUnwritten{};
    const StackSlot& c = cur ? *cur : kUnwritten;
    int first = 0;
    if (old.is_spill()) {
        first = old.spill_size();
        // An imprecise spilled scalar: any 8 scalar bytes will do.
        if (!precise && first == kSlotSize && old.spilled.is_scalar() && all_scalar_bytes(c, uninit_is_misc)) return true;
        if (c.is_spill() && c.spill_size() == first) {
            if (!reg_covers(old.spilled, c.spilled, ids, precise)) return false;
        } else {
            // A spilled constant 0 reads back as zero bytes do.
            for (int i = 0; i < first; ++i)
                if (c.bytes[i] != ByteKind::Zero) return false;
            if (!old.spilled.is_scalar() || !old.spilled.value.contains(Scalar::constant(0))) return false;
        }
    }
    for (int i = first; i < kSlotSize; ++i)
        if (!byte_covers(old.bytes[i], c.bytes[i], c, uninit_is_misc)) return false;
    return true;
}

bool frame_covers(const Frame& old, const Frame& cur, uint16_t live, IdMap& ids, const PreciseSet& precise,
                  uint64_t live_slots, bool uninit_is_misc) {
    for (int r = 0; r < 10; ++r)
        if ((live >> r) & 1)
            if (!reg_covers(old.regs[r], cur.regs[r], ids, (precise.regs >> r) & 1)) return false;
    for (size_t i = 0; i < old.slots.size(); ++i)
        if (((live_slots >> i) & 1) &&
            !slot_covers(old.slots[i], i < cur.slots.size() ? &cur.slots[i] : nullptr, ids, (precise.slots >> i) & 1,
                         uninit_is_misc))
            return false;
    return true;
}

uint16_t frame_live(const State& st, size_t f, uint32_t pc, const std::vector<uint16_t>& live_in) {
    if (f + 1 == st.frames.size()) return live_in[pc];
    // A caller resumes after its call with r0 from the callee and r1-r5 gone.
    const uint32_t ret = static_cast<uint32_t>(st.frames[f + 1].callsite) + 1;
    return live_in[ret] & 0x3c0;
}

}  // namespace

StackSlot* Frame::slot_at(int32_t fp_off) {
    const int i = slot_index(fp_off);
    return i < static_cast<int>(slots.size()) ? &slots[i] : nullptr;
}

StackSlot& Frame::grow_to(int32_t fp_off) {
    const int i = slot_index(fp_off);
    if (i >= static_cast<int>(slots.size())) slots.resize(i + 1);
    return slots[i];
}

bool state_covers(const State& old, const State& cur, uint32_t pc, const std::vector<uint16_t>& live_in,
                  const std::vector<PreciseSet>* precise, const std::vector<uint64_t>* live_slots,
                  bool uninit_is_misc) {
    static const PreciseSet kAll{uint16_t(0x7ff), ~uint64_t{0}};
    static const PreciseSet kNone{};
    if (old.frames.size() != cur.frames.size()) return false;
    if (old.lock_map != cur.lock_map) return false;
    for (size_t f = 0; f < old.frames.size(); ++f)
        if (old.frames[f].callsite != cur.frames[f].callsite) return false;
    IdMap ids;
    for (size_t f = 0; f < old.frames.size(); ++f)
        if (!frame_covers(old.frames[f], cur.frames[f], frame_live(cur, f, pc, live_in), ids,
                          !precise ? kAll : f < precise->size() ? (*precise)[f] : kNone,
                          !live_slots ? ~uint64_t{0} : f < live_slots->size() ? (*live_slots)[f] : 0,
                          uninit_is_misc))
            return false;
    // The held lock's element, under the same id mapping as the registers.
    if (old.lock_map && !ids.match(old.lock_id, cur.lock_id)) return false;
    if (old.refs.size() != cur.refs.size()) return false;
    for (size_t i = 0; i < old.refs.size(); ++i)
        if (!ids.match(old.refs[i].id, cur.refs[i].id)) return false;
    return true;
}

bool same_live_regs(const State& a, const State& b, uint32_t pc, const std::vector<uint16_t>& live_in) {
    const uint16_t live = live_in[pc];
    for (int r = 0; r < 10; ++r) {
        if (!((live >> r) & 1)) continue;
        RegState x = a.cur().regs[r], y = b.cur().regs[r];
        x.id = y.id = 0;
        if (!(x == y)) return false;
    }
    return true;
}

uint64_t live_regs_key(const State& st, uint32_t pc, const std::vector<uint16_t>& live_in) {
    // FNV-1a over the fields RegState's == compares, except id.
    uint64_t h = 0xcbf29ce484222325;
    auto mix = [&h](uint64_t v) {
        for (int i = 0; i < 8; ++i, v >>= 8) h = (h ^ (v & 0xff)) * 0x100000001b3;
    };
    const uint16_t live = live_in[pc];
    for (int r = 0; r < 10; ++r) {
        if (!((live >> r) & 1)) continue;
        const RegState& x = st.cur().regs[r];
        const Scalar& v = x.value;
        mix(static_cast<uint64_t>(x.type) | uint64_t{x.frame} << 8 | uint64_t{static_cast<uint32_t>(x.off)} << 32);
        mix(uint64_t{x.range} | uint64_t{x.mem_size} << 32);
        mix(reinterpret_cast<uintptr_t>(x.map) ^ x.func_pc);
        mix(v.bits.value);
        mix(v.bits.mask);
        mix(v.umin);
        mix(v.umax);
        mix(static_cast<uint64_t>(v.smin));
        mix(static_cast<uint64_t>(v.smax));
        mix(uint64_t{v.u32min} | uint64_t{v.u32max} << 32);
        mix(uint64_t{static_cast<uint32_t>(v.s32min)} | uint64_t{static_cast<uint32_t>(v.s32max)} << 32);
    }
    return h;
}

void drop_single_scalar_ids(State& st) {
    std::unordered_map<uint32_t, int> count;
    auto visit = [&](auto&& fn) {
        for (Frame& f : st.frames) {
            for (RegState& r : f.regs) fn(r);
            for (StackSlot& s : f.slots)
                if (s.is_spill()) fn(s.spilled);
        }
    };
    visit([&](RegState& r) {
        if (r.is_scalar() && r.id) ++count[r.id];
    });
    visit([&](RegState& r) {
        if (r.is_scalar() && r.id && count[r.id] == 1) r.id = 0;
    });
}

std::string state_str(const State& st, uint16_t live_mask) {
    std::string out;
    for (size_t f = 0; f < st.frames.size(); ++f) {
        const Frame& fr = st.frames[f];
        const bool top = f + 1 == st.frames.size();
        auto sep = [&out] {
            if (!out.empty()) out += ' ';
        };
        if (st.frames.size() > 1) {
            sep();
            out += "frame";
            out += std::to_string(f);
            out += ':';
        }
        for (int r = 0; r < 10; ++r) {
            if (fr.regs[r].type == RegType::NotInit) continue;
            if (top && !((live_mask >> r) & 1)) continue;
            sep();
            out += 'R';
            out += std::to_string(r);
            out += '=';
            out += fr.regs[r].str();
        }
        for (size_t i = 0; i < fr.slots.size(); ++i) {
            const StackSlot& s = fr.slots[i];
            std::string text;
            if (s.is_spill() && s.spill_size() == kSlotSize) {
                text = s.spilled.str();
            } else {
                bool any = false;
                for (int b = kSlotSize - 1; b >= 0; --b) {
                    const ByteKind k = s.bytes[b];
                    any |= k != ByteKind::Invalid;
                    text += k == ByteKind::Invalid ? '?' : k == ByteKind::Zero ? '0' : k == ByteKind::Spill ? 's' : 'm';
                }
                if (!any) continue;
                if (s.is_spill()) text += cat("(", s.spilled.str(), ")");
            }
            sep();
            out += "fp";
            out += std::to_string(-static_cast<int>(i + 1) * kSlotSize);
            out += '=';
            out += text;
        }
    }
    return out;
}

}  // namespace xdpdk::vm::verifier
