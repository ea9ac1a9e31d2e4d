#include "core_reloc_apply.h"

#include <cstring>

#include "btf_ext.h"

namespace xdpdk::vm {
namespace {

const ElfFunc* function_at(const std::vector<ElfFunc>& funcs, uint32_t section, uint32_t insn) {
    for (const ElfFunc& f : funcs)
        if (f.section == section && insn >= f.start && insn - f.start < f.count) return &f;
    return nullptr;
}

// What the instruction holds before patching, as libbpf logs it ("imm 8 ->
// 4"): an ALU immediate, a load/store offset, an ldimm64's 64-bit value.
// The listing shows this rather than the local layout's value, which for a
// bitfield (not checked against the instruction) may differ.
std::optional<uint64_t> insn_value(std::span<const RawInsn> code, size_t at) {
    const RawInsn& in = code[at];
    switch (in.code & 0x07) {
        case bpf::ALU: case bpf::ALU64: return static_cast<uint64_t>(static_cast<int64_t>(in.imm));
        case bpf::LDX: case bpf::ST: case bpf::STX: return static_cast<uint64_t>(static_cast<int64_t>(in.off));
        case bpf::LD:
            if (in.code != (bpf::LD | bpf::IMM | bpf::SZ_DW) || at + 1 >= code.size()) return std::nullopt;
            return uint64_t{static_cast<uint32_t>(in.imm)} | uint64_t{static_cast<uint32_t>(code[at + 1].imm)} << 32;
        default: return std::nullopt;
    }
}

std::string relocation_named(const CoreResolution& res) {
    return "CO-RE relocation " + std::string(core_relo_kind_name(res.kind)) + " of " + res.type + " (" + res.access + ")";
}

}  // namespace

std::vector<CoreSite> apply_core_relocations(ElfFile& elf, const std::vector<ElfFunc>& funcs, const BtfExt& ext,
                                             const struct btf* local, const struct btf* target) {
    std::vector<CoreSite> sites;
    CoreResolver resolver(local, target);
    for (const BtfExtSection& sec : ext.sections()) {
        if (sec.core_relos.empty()) continue;
        const ElfSection* elf_sec = elf.find_section(sec.name);
        if (!elf_sec || !elf_sec->executable()) continue;  // no function holds these records
        const std::span<uint8_t> bytes = elf.mutable_data(*elf_sec);
        for (const BtfCoreRecord& rec : sec.core_relos) {
            const ElfFunc* f = function_at(funcs, elf_sec->index, rec.insn);
            if (!f) continue;
            CoreSite site;
            site.section = elf_sec->index;
            site.insn = rec.insn;
            if (auto resolved = resolver.resolve(rec, site.res); !resolved) {
                site.failure = resolved.error().reason;
                site.refused = true;
                sites.push_back(std::move(site));
                continue;
            }
            std::vector<RawInsn> code(f->count);
            std::memcpy(code.data(), bytes.data() + uint64_t{f->start} * sizeof(RawInsn), code.size() * sizeof(RawInsn));
            const size_t at = rec.insn - f->start;
            const std::optional<uint64_t> held = insn_value(code, at);
            if (auto patched = patch_core_insn(code, at, site.res); !patched) {
                site.failure = relocation_named(site.res) + ": insn " + std::to_string(at) + " of function '" + f->name +
                               "': " + patched.error().reason;
                site.refused = true;
            } else {
                std::memcpy(bytes.data() + uint64_t{f->start} * sizeof(RawInsn), code.data(), code.size() * sizeof(RawInsn));
                if (site.res.poison) {
                    site.failure = site.res.poison;
                } else if (is_core_poison(code[at])) {
                    site.failure = relocation_named(site.res) + " changes the size of a field that is neither a pointer "
                                   "nor an unsigned integer (" + std::to_string(site.res.local_size) + " to " +
                                   std::to_string(site.res.target_size) + " bytes): a resized load would misread it";
                }
            }
            if (held) site.res.local_value = *held;
            sites.push_back(std::move(site));
        }
    }
    return sites;
}

std::vector<std::pair<uint32_t, const CoreSite*>> core_sites_in(const LinkedProgram& linked,
                                                               const std::vector<ElfFunc>& funcs,
                                                               const std::vector<CoreSite>& sites) {
    std::vector<std::pair<uint32_t, const CoreSite*>> out;
    for (const auto& [name, base] : linked.funcs) {
        const ElfFunc* f = nullptr;
        for (const ElfFunc& candidate : funcs)
            if (candidate.name == name) f = &candidate;
        if (!f) continue;
        for (const CoreSite& s : sites)
            if (s.section == f->section && s.insn >= f->start && s.insn - f->start < f->count)
                out.emplace_back(base + (s.insn - f->start), &s);
    }
    return out;
}

}  // namespace xdpdk::vm
