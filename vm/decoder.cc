// Syntax layer: one pass over the raw instructions, driven by the opcode
// table. Flow-sensitive checks belong to the verifier.
#include <cstdio>
#include <optional>

#include "core_reloc.h"
#include "helpers.h"
#include "program.h"

namespace xdpdk::vm {
namespace {

std::string hex_code(uint8_t code) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02x", code);
    return buf;
}

bool writes_dst(Kind k) {
    switch (k) {
        case Kind::AluImm: case Kind::AluReg: case Kind::Neg: case Kind::MovSx:
        case Kind::Endian: case Kind::Lddw: case Kind::Ldx: case Kind::Ldxs:
            return true;
        default:
            return false;
    }
}

// Reserved fields must be zero, as the kernel insists.
const char* reserved_field_problem(const OpInfo& info, const RawInsn& r) {
    switch (info.kind) {
        case Kind::AluImm: return r.src ? "source register set on an immediate ALU operation" : nullptr;
        case Kind::AluReg: return r.imm ? "immediate set on a register ALU operation" : nullptr;
        case Kind::Neg: return (r.src || r.imm) ? "reserved fields set on neg" : nullptr;
        case Kind::MovSx: return r.imm ? "immediate set on a sign-extending move" : nullptr;
        case Kind::Endian: return (r.src || r.off) ? "reserved fields set on a byte swap" : nullptr;
        case Kind::JmpImm: return r.src ? "source register set on an immediate jump" : nullptr;
        case Kind::JmpReg: return r.imm ? "immediate set on a register jump" : nullptr;
        case Kind::Ja:
            if (r.dst || r.src) return "reserved fields set on goto";
            if (info.op == Op::Ja && r.imm) return "immediate set on goto";
            if (info.op == Op::Ja32 && r.off) return "offset set on gotol";
            return nullptr;
        case Kind::Call: return (r.dst || r.off) ? "reserved fields set on call" : nullptr;
        case Kind::Exit: return (r.dst || r.src || r.off || r.imm) ? "reserved fields set on exit" : nullptr;
        case Kind::Lddw: return r.off ? "offset set on lddw" : nullptr;
        case Kind::Ldx: case Kind::Ldxs: return r.imm ? "immediate set on a load" : nullptr;
        case Kind::St: return r.src ? "source register set on a store of an immediate" : nullptr;
        case Kind::Stx: return r.imm ? "immediate set on a register store" : nullptr;
        case Kind::Atomic: case Kind::LddwTail: return nullptr;
    }
    return nullptr;
}

}  // namespace

Result<std::vector<Insn>> decode_program(const std::string& subject, std::span<const RawInsn> raw) {
    const int64_t n = static_cast<int64_t>(raw.size());
    if (n == 0) return make_error(subject, "program has no instructions");
    if (n > 1'000'000) return make_error(subject, "program has more than 1000000 instructions");

    std::vector<Insn> out(raw.size());
    std::vector<bool> is_tail(raw.size(), false);

    for (int64_t pc = 0; pc < n; ++pc) {
        const RawInsn& r = raw[pc];
        if (is_legacy_packet_load(r.code))
            return make_insn_error(subject, pc, "legacy packet access (BPF_LD ABS/IND, opcode " +
                                                    hex_code(r.code) + ") is not supported");
        auto op = decode_op(r);
        if (!op) {
            std::string why = "unknown opcode " + hex_code(r.code);
            if (r.code == 0x85 && r.src == bpf::PSEUDO_KFUNC)
                why = kfunc_refusal("with BTF id " + std::to_string(r.imm));
            else if (r.code == 0x85) why = "call with unknown source " + std::to_string(r.src);
            else if (decode_op(RawInsn{r.code, 0, 0, 0, 0}) || decode_op(RawInsn{r.code, 0, 0, 1, 0}) ||
                     decode_op(RawInsn{r.code, 0, 0, 8, 0}) || decode_op(RawInsn{r.code, 0, 0, 0, 16}))
                why = "opcode " + hex_code(r.code) + " with invalid off " + std::to_string(r.off) +
                      " / imm " + std::to_string(r.imm);
            return make_insn_error(subject, pc, why);
        }
        const OpInfo& info = op_info(*op);
        if (r.dst > 10 || r.src > 10)
            return make_insn_error(subject, pc, "invalid register r" + std::to_string(r.dst > 10 ? r.dst : r.src));
        if (writes_dst(info.kind) && r.dst == 10)
            return make_insn_error(subject, pc, "frame pointer r10 is read only");
        if (const char* why = reserved_field_problem(info, r)) return make_insn_error(subject, pc, why);

        out[pc] = Insn{*op, r.dst, r.src, r.off, r.imm};
        if (info.kind == Kind::Lddw) {
            if (r.src != 0 && r.src != bpf::PSEUDO_FUNC)
                return make_insn_error(subject, pc, "lddw with pseudo source " + std::to_string(r.src) +
                                                        " was not relocated");
            if (pc + 1 >= n) return make_insn_error(subject, pc, "incomplete lddw at the end of the program");
            const RawInsn& t = raw[pc + 1];
            if (t.code || t.dst || t.src || t.off)
                return make_insn_error(subject, pc, "incomplete lddw: second slot is not empty");
            out[pc + 1] = Insn{Op::LddwTail, 0, 0, 0, t.imm};
            is_tail[pc + 1] = true;
            ++pc;
        }
    }

    for (int64_t pc = 0; pc < n; ++pc) {
        const Insn& in = out[pc];
        const Kind k = op_info(in.op).kind;
        // No sentinel value: -1 is itself a (bad) target of a backward jump.
        std::optional<int64_t> target;
        if (k == Kind::JmpImm || k == Kind::JmpReg || in.op == Op::Ja) target = pc + in.off + 1;
        else if (in.op == Op::Ja32 || in.op == Op::CallLocal) target = pc + int64_t{in.imm} + 1;
        else if (in.op == Op::Lddw && in.src == bpf::PSEUDO_FUNC) target = pc + int64_t{in.imm} + 1;
        // A poisoned CO-RE instruction is refused by the verifier, and only
        // where a path reaches it.
        else if (in.op == Op::Call && !find_helper(in.imm) && in.imm != kCorePoisonImm)
            return make_insn_error(subject, pc, helper_refusal(in.imm));
        if (!target) continue;
        const char* what = in.op == Op::CallLocal ? "call" : in.op == Op::Lddw ? "function address" : "jump";
        if (*target < 0 || *target >= n)
            return make_insn_error(subject, pc, std::string(what) + " out of range to insn " + std::to_string(*target));
        if (is_tail[*target])
            return make_insn_error(subject, pc, std::string(what) + " into the middle of lddw at insn " +
                                                    std::to_string(*target - 1));
    }

    const Op last = out[n - 1].op;
    if (last != Op::Exit && last != Op::Ja && last != Op::Ja32)
        return make_insn_error(subject, n - 1, "last instruction is not exit or goto: execution falls off the end");
    return out;
}

Result<std::unique_ptr<Program>> make_program(std::string subject, std::vector<RawInsn> raw, ProgType type) {
    auto decoded = decode_program(subject, raw);
    if (!decoded) return decoded.error();
    auto prog = std::make_unique<Program>();
    prog->name = std::move(subject);
    prog->type = type;
    prog->xlated = std::move(raw);
    prog->insns = std::move(decoded).value();
    // Each lddw of a subprogram now loads its callback record's address.
    for (size_t pc = 0; pc < prog->insns.size(); ++pc) {
        Insn& in = prog->insns[pc];
        if (in.op != Op::Lddw || in.src != bpf::PSEUDO_FUNC) continue;
        auto cb = std::make_unique<Callback>();
        cb->prog = prog.get();
        cb->lddw = static_cast<uint32_t>(pc);
        cb->start = static_cast<uint32_t>(static_cast<int64_t>(pc) + in.imm + 1);
        cb->index = static_cast<uint32_t>(prog->callbacks.size());
        const auto addr = reinterpret_cast<uint64_t>(cb.get());
        in.imm = static_cast<int32_t>(static_cast<uint32_t>(addr));
        prog->insns[pc + 1].imm = static_cast<int32_t>(static_cast<uint32_t>(addr >> 32));
        prog->callbacks.push_back(std::move(cb));
    }
    return prog;
}

}  // namespace xdpdk::vm
