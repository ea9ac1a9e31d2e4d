// Instruction patching, as libbpf's bpf_core_patch_insn: an ALU immediate,
// a load/store offset (and its memory size, when a whole field changed size
// and the value read stays the same), or an ldimm64's 64-bit immediate. The
// instruction must hold the local value first, so a record pointing at the
// wrong instruction is refused instead of silently rewritten.
#include <climits>

#include "core_reloc_impl.h"

namespace xdpdk::vm {
namespace {

constexpr uint8_t kLdimm64 = bpf::LD | bpf::IMM | bpf::SZ_DW;

uint8_t insn_class(const RawInsn& in) { return in.code & 0x07; }

// libbpf's bpf_core_poison_insn.
void poison(RawInsn& in) {
    in.code = bpf::JMP | bpf::CALL;
    in.dst = 0;
    in.src = 0;
    in.off = 0;
    in.imm = kCorePoisonImm;
}

int mem_bytes(uint8_t code) {
    switch (code & 0x18) {
        case bpf::SZ_DW: return 8;
        case bpf::SZ_W: return 4;
        case bpf::SZ_H: return 2;
        default: return 1;
    }
}

int mem_size_code(uint32_t bytes) {
    switch (bytes) {
        case 8: return bpf::SZ_DW;
        case 4: return bpf::SZ_W;
        case 2: return bpf::SZ_H;
        case 1: return bpf::SZ_B;
        default: return -1;
    }
}

Error patch_error(std::string reason) { return make_error("core", std::move(reason)); }

std::string values(const CoreResolution& res) {
    return std::to_string(res.local_value) + " -> " + std::to_string(res.target_value);
}

}  // namespace

bool is_core_poison(const RawInsn& in) {
    return in.code == (bpf::JMP | bpf::CALL) && in.src == 0 && in.imm == kCorePoisonImm;
}

Status patch_core_insn(std::span<RawInsn> code, size_t at, const CoreResolution& res) {
    RawInsn& in = code[at];
    const bool ldimm64 = in.code == kLdimm64;
    if (ldimm64 && at + 1 >= code.size()) return patch_error("ldimm64 is cut off by the end of its function");
    auto poison_here = [&] {
        // Both halves, so the verifier names the call, not "unknown opcode 00".
        if (ldimm64) poison(code[at + 1]);
        poison(in);
    };
    if (res.poison) {
        poison_here();
        return {};
    }
    switch (insn_class(in)) {
        case bpf::ALU: case bpf::ALU64:
            if ((in.code & bpf::X) != bpf::K) return patch_error("ALU instruction has a register operand, not an immediate");
            if (res.validate && static_cast<uint64_t>(static_cast<int64_t>(in.imm)) != res.local_value)
                return patch_error("ALU immediate is " + std::to_string(in.imm) + ", expected " + values(res));
            in.imm = static_cast<int32_t>(static_cast<uint32_t>(res.target_value));
            return {};
        case bpf::LDX: case bpf::ST: case bpf::STX: {
            if (res.validate && static_cast<uint64_t>(static_cast<int64_t>(in.off)) != res.local_value)
                return patch_error("load/store offset is " + std::to_string(in.off) + ", expected " + values(res));
            if (res.target_value > SHRT_MAX)
                return patch_error("load/store offset " + std::to_string(res.target_value) + " is too big");
            if (res.fail_memsz_adjust) {
                // libbpf poisons it: a signed or non-integer field that
                // changed size cannot be read right by resizing the load.
                poison_here();
                return {};
            }
            in.off = static_cast<int16_t>(res.target_value);
            if (res.local_size != res.target_size) {
                if (mem_bytes(in.code) != int(res.local_size))
                    return patch_error("load/store is " + std::to_string(mem_bytes(in.code)) + " bytes, expected " +
                                       std::to_string(res.local_size));
                const int sz = mem_size_code(res.target_size);
                if (sz < 0) return patch_error("the field's new size " + std::to_string(res.target_size) + " is not a load size");
                in.code = static_cast<uint8_t>((in.code & 0xe0) | sz | insn_class(in));
            }
            return {};
        }
        case bpf::LD: {
            if (!ldimm64) return patch_error("ldimm64 has an unexpected form");
            const RawInsn& hi = code[at + 1];
            if (in.src != 0 || in.off != 0 || hi.code != 0 || hi.dst != 0 || hi.src != 0 || hi.off != 0)
                return patch_error("ldimm64 has an unexpected form");
            const uint64_t imm = uint64_t{static_cast<uint32_t>(in.imm)} | uint64_t{static_cast<uint32_t>(hi.imm)} << 32;
            uint64_t target = res.target_value;
            if (res.validate && imm != res.local_value) {
                // Deviation from libbpf, which refuses it: clang loads an
                // unsigned enumerator >= 2^31 zero-extended, while a 32-bit
                // BTF enum value is read as __s32 and sign-extended. Such an
                // object loads as its own target, so the zero-extended form
                // is accepted, and the target value is written the same way.
                const bool zero_extended = res.local_enum32 && imm == (res.local_value & 0xffffffffu);
                if (!zero_extended)
                    return patch_error("ldimm64 value is " + std::to_string(imm) + ", expected " + values(res));
                if (res.target_enum32) target &= 0xffffffffu;
            }
            in.imm = static_cast<int32_t>(static_cast<uint32_t>(target));
            code[at + 1].imm = static_cast<int32_t>(static_cast<uint32_t>(target >> 32));
            return {};
        }
        default:
            return patch_error("instruction (code " + std::to_string(in.code) + ") cannot be relocated");
    }
}

}  // namespace xdpdk::vm
