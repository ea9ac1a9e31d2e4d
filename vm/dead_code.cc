#include "dead_code.h"

#include "source_lines.h"

namespace xdpdk::vm {
namespace {

constexpr uint8_t kJa = 0x05;  // BPF_JMP | BPF_JA

int64_t branch_target(const Insn& in, int64_t pc) {
    return pc + 1 + (in.op == Op::Ja32 || in.op == Op::CallLocal ? int64_t{in.imm} : int64_t{in.off});
}

bool is_branch(Kind k) { return k == Kind::JmpImm || k == Kind::JmpReg || k == Kind::Ja; }

// Removes the instructions marked in `drop`, moving jumps, calls and lddw
// origins with the code; a jump to a removed instruction reaches the next
// kept one.
void compact(std::vector<RawInsn>& insns, const std::vector<Insn>& decoded, const std::vector<bool>& drop,
             std::vector<LddwOrigin>& origins, std::vector<LineInfo>& lines, std::vector<FuncInfo>& funcs) {
    const int64_t n = static_cast<int64_t>(insns.size());
    // new_pos[i]: where instruction i lands, or the next kept one when it goes
    // (what a jump to a removed no-op now reaches).
    std::vector<int64_t> new_pos(n + 1);
    int64_t kept = 0;
    for (int64_t pc = 0; pc < n; ++pc) {
        new_pos[pc] = kept;
        if (!drop[pc]) ++kept;
    }
    new_pos[n] = kept;
    std::vector<RawInsn> out;
    out.reserve(kept);
    for (int64_t pc = 0; pc < n; ++pc) {
        if (drop[pc]) continue;
        RawInsn raw = insns[pc];
        const Insn& in = decoded[pc];
        const Kind k = op_info(in.op).kind;
        if (in.op == Op::Lddw && in.src == bpf::PSEUDO_FUNC) {
            raw.imm = static_cast<int32_t>(new_pos[pc + 1 + int64_t{raw.imm}] - new_pos[pc] - 1);
        } else if (is_branch(k) || in.op == Op::CallLocal) {
            const int64_t rel = new_pos[branch_target(in, pc)] - new_pos[pc] - 1;
            if (in.op == Op::Ja32 || in.op == Op::CallLocal) raw.imm = static_cast<int32_t>(rel);
            else raw.off = static_cast<int16_t>(rel);
        }
        out.push_back(raw);
    }
    std::erase_if(origins, [&](const LddwOrigin& o) { return drop[o.insn]; });
    for (LddwOrigin& o : origins) o.insn = static_cast<uint32_t>(new_pos[o.insn]);
    drop_removed_insns(drop, new_pos, lines, funcs);
    insns = std::move(out);
}

}  // namespace

Status remove_dead_code(const std::string& subject, std::vector<RawInsn>& insns, std::span<const uint32_t> dead,
                        std::vector<LddwOrigin>& origins, std::vector<LineInfo>& lines,
                        std::vector<FuncInfo>& funcs) {
    if (dead.empty()) return {};
    XDPDK_ASSIGN_OR_RETURN(std::vector<Insn> decoded, decode_program(subject, insns));
    const int64_t n = static_cast<int64_t>(insns.size());
    std::vector<bool> drop(n, false);
    for (uint32_t pc : dead) {
        drop[pc] = true;
        if (decoded[pc].op == Op::Lddw) drop[pc + 1] = true;
    }
    // Hard-wire conditional branches with a dead side; a branch that always
    // falls through is a no-op and goes too.
    for (int64_t pc = 0; pc < n; ++pc) {
        const Kind k = op_info(decoded[pc].op).kind;
        if (drop[pc] || (k != Kind::JmpImm && k != Kind::JmpReg)) continue;
        const int64_t taken = branch_target(decoded[pc], pc);
        if (drop[taken]) {
            drop[pc] = true;
        } else if (pc + 1 < n && drop[pc + 1]) {
            insns[pc] = RawInsn{kJa, 0, 0, insns[pc].off, 0};
            decoded[pc].op = Op::Ja;
        }
    }
    compact(insns, decoded, drop, origins, lines, funcs);
    // What became `goto +0` is a no-op now.
    XDPDK_ASSIGN_OR_RETURN(decoded, decode_program(subject, insns));
    std::vector<bool> nop(insns.size(), false);
    bool any = false;
    for (size_t pc = 0; pc < insns.size(); ++pc) {
        const Insn& in = decoded[pc];
        nop[pc] = (in.op == Op::Ja && in.off == 0) || (in.op == Op::Ja32 && in.imm == 0);
        any |= nop[pc];
    }
    if (any) compact(insns, decoded, nop, origins, lines, funcs);
    return {};
}


}  // namespace xdpdk::vm
