#include "flow.h"

#include "classic_ops.h"

namespace xdpdk::vm::cbpf {

using namespace classic;

bool is_packet_load(const Insn& in) {
    const auto op = classic_op(in.code);
    return op && op->operand == Operand::Packet;
}

bool always_out_of_bounds(const Insn& in) {
    if (!is_packet_load(in)) return false;
    if (in.k >= kLlOff) return false;  // ancillary or Linux's header offsets: translated or refused by name
    return in.k > kMaxFrameLen - classic_op(in.code)->load_size;
}

Successors successors(std::span<const Insn> filter, size_t pc) {
    const Insn& in = filter[pc];
    Successors s;
    if (class_of(in.code) == RET || always_out_of_bounds(in)) return s;
    if (class_of(in.code) != JMP) {
        s.pc[s.count++] = pc + 1;
    } else if (op_of(in.code) == JA) {
        s.pc[s.count++] = pc + 1 + in.k;
    } else {
        s.pc[s.count++] = pc + 1 + in.jt;
        s.pc[s.count++] = pc + 1 + in.jf;
    }
    return s;
}

std::vector<bool> reachable(std::span<const Insn> filter) {
    std::vector<bool> live(filter.size(), false);
    live[0] = true;
    for (size_t pc = 0; pc < filter.size(); ++pc) {  // jumps go forward only
        if (!live[pc]) continue;
        const Successors next = successors(filter, pc);
        for (size_t i = 0; i < next.count; ++i) live[next.pc[i]] = true;
    }
    return live;
}

}  // namespace xdpdk::vm::cbpf
