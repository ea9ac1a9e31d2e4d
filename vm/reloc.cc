#include "reloc.h"

#include <elf.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <tuple>

#include "map.h"

namespace xdpdk::vm {
namespace {

constexpr uint8_t kLddwCode = bpf::LD | bpf::IMM | bpf::SZ_DW;  // 0x18
constexpr uint8_t kCallCode = bpf::JMP | 0x80;                   // 0x85

RawInsn insn_at(std::span<const uint8_t> code, uint64_t index) {
    RawInsn in;
    std::memcpy(&in, code.data() + index * sizeof(RawInsn), sizeof in);
    return in;
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

std::string hex_code(uint8_t code) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02x", code);
    return buf;
}

std::string reserved_section_name(uint16_t shndx) {
    if (shndx == SHN_ABS) return "SHN_ABS";
    if (shndx == SHN_COMMON) return "SHN_COMMON";
    return "section " + std::to_string(shndx);
}

// The function whose instructions include `insn` of `section`.
const ElfFunc* find_function(const std::vector<ElfFunc>& funcs, uint32_t section, int64_t insn) {
    auto it = std::upper_bound(funcs.begin(), funcs.end(), std::make_pair(section, insn),
                               [](const std::pair<uint32_t, int64_t>& key, const ElfFunc& f) {
                                   return key < std::make_pair(f.section, int64_t{f.start});
                               });
    if (it == funcs.begin()) return nullptr;
    --it;
    if (it->section != section || insn < it->start || insn >= int64_t{it->start} + it->count) return nullptr;
    return &*it;
}

bool is_map_def_section(const std::string& name) { return name == ".maps" || name == "maps"; }

// Resolves one relocation of program code; the error names the relocation.
Result<CodeReloc> resolve_code_reloc(const ElfFile& elf, const std::vector<ElfFunc>& funcs, const RelocTargets& targets,
                                     const ElfSection& target, const std::string& rel_name, size_t i, const ElfRel& rel) {
    const auto& sections = elf.sections();
    const auto code = elf.data(target);
    auto fail = [&](const std::string& reason) {
        return make_error(elf.subject(), "relocation " + std::to_string(i) + " in " + quoted(rel_name) + ": " + reason);
    };
    const uint64_t index = rel.offset / sizeof(RawInsn);
    if (rel.offset % sizeof(RawInsn) || rel.offset >= target.size)
        return fail("offset " + std::to_string(rel.offset) + " is not an instruction of section " +
                    quoted(target.name) + " (" + std::to_string(target.size) + " bytes)");
    const std::string at = "insn " + std::to_string(index) + " of " + quoted(target.name);
    const RawInsn insn = insn_at(code, index);
    const ElfSymbol& sym = elf.symbols()[rel.sym];
    const std::string sym_desc = "symbol " + quoted(sym.name);
    const bool in_section = sym.shndx != SHN_UNDEF && sym.shndx < sections.size();
    const std::string sym_section = in_section ? sections[sym.shndx].name : reserved_section_name(sym.shndx);

    CodeReloc r{};
    if (rel.type == elf_bpf::kRel64_64) {
        if (insn.code != kLddwCode)
            return fail("R_BPF_64_64 on " + at + ", which is not lddw (opcode " + hex_code(insn.code) + ")");
        if (rel.offset + 2 * sizeof(RawInsn) > target.size) return fail("lddw at " + at + " is truncated");
        if (sym.shndx == SHN_UNDEF)
            return fail(sym_desc + " is an unresolved extern (__kconfig/__ksym externs are not supported)");
        if (!in_section) return fail(sym_desc + " in " + sym_section + " is not a map or global data");
        auto def = targets.map_defs.find({sym.shndx, sym.value});
        auto data = targets.data_maps.find(sym.shndx);
        if (def != targets.map_defs.end()) {
            r.kind = CodeReloc::Kind::Map;
            r.map = def->second;
        } else if (is_map_def_section(sym_section)) {
            return fail(sym_desc + " at offset " + std::to_string(sym.value) + " of " + quoted(sym_section) +
                        " is not a map definition");
        } else if (data != targets.data_maps.end()) {
            const int64_t off = static_cast<int64_t>(sym.value) + insn.imm;
            const uint32_t size = data->second->spec().value_size;
            if (off < 0 || off > int64_t{size})
                return fail(sym_desc + " + " + std::to_string(insn.imm) + " points outside " + quoted(sym_section) +
                            " (" + std::to_string(size) + " bytes)");
            r.kind = CodeReloc::Kind::MapValue;
            r.map = data->second;
            r.value_offset = static_cast<uint32_t>(off);
        } else if (sections[sym.shndx].executable()) {
            // A callback's address (bpf_loop, bpf_for_each_map_elem): the
            // byte offset is the symbol's plus the lddw's addend, as libbpf
            // takes it.
            const int64_t off = static_cast<int64_t>(sym.value) + insn.imm;
            if (off < 0 || off % int64_t{sizeof(RawInsn)})
                return fail(sym_desc + " + " + std::to_string(insn.imm) + " is not an instruction of " +
                            quoted(sym_section));
            const int64_t callee = off / int64_t{sizeof(RawInsn)};
            const ElfFunc* func = find_function(funcs, sym.shndx, callee);
            if (!func || func->start != callee)
                return fail(sym_desc + " + " + std::to_string(insn.imm) + " in " + quoted(sym_section) +
                            " is not the start of a function");
            r.kind = CodeReloc::Kind::Func;
            r.callee_section = sym.shndx;
            r.callee_insn = static_cast<uint32_t>(callee);
        } else {
            return fail(sym_desc + " in section " + quoted(sym_section) + " is not a map or global data");
        }
    } else if (rel.type == elf_bpf::kRel64_32) {
        if (insn.code != kCallCode || insn.src != bpf::PSEUDO_CALL)
            return fail("R_BPF_64_32 on " + at + ", which is not a local call (opcode " + hex_code(insn.code) +
                        ", src " + std::to_string(insn.src) + ")");
        if (sym.shndx == SHN_UNDEF) {
            r.kind = CodeReloc::Kind::Kfunc;
            r.kfunc = sym.name;
            return r;
        }
        if (!in_section || !sections[sym.shndx].executable())
            return fail("call to " + sym_desc + " in section " + quoted(sym_section) + ", which is not code");
        if (sym.value % sizeof(RawInsn)) return fail("call to " + sym_desc + " at a misaligned offset");
        const int64_t callee = static_cast<int64_t>(sym.value / sizeof(RawInsn)) + insn.imm + 1;
        if (!find_function(funcs, sym.shndx, callee))
            return fail("call target insn " + std::to_string(callee) + " of " + quoted(sym_section) +
                        " is not inside a function");
        r.kind = CodeReloc::Kind::Call;
        r.callee_section = sym.shndx;
        r.callee_insn = static_cast<uint32_t>(callee);
    } else if (rel.type == elf_bpf::kRelAbs64 || rel.type == elf_bpf::kRelAbs32 || rel.type == elf_bpf::kRelNoDyld32) {
        return fail("data relocation type " + std::to_string(rel.type) + " on " + at);
    } else {
        return fail("unknown relocation type " + std::to_string(rel.type));
    }
    return r;
}


}  // namespace

Result<std::vector<ElfFunc>> collect_functions(const ElfFile& elf) {
    const auto& sections = elf.sections();
    for (const ElfSection& s : sections)
        if (s.executable() && s.size % sizeof(RawInsn) != 0)
            return make_error(elf.subject(), "section " + quoted(s.name) + ": size " + std::to_string(s.size) +
                                                 " is not a multiple of 8 (the instruction size)");

    std::vector<ElfFunc> funcs;
    for (const ElfSymbol& sym : elf.symbols()) {
        if (sym.type != STT_FUNC || sym.shndx >= sections.size() || !sections[sym.shndx].executable()) continue;
        const ElfSection& sec = sections[sym.shndx];
        const std::string where = "function " + quoted(sym.name) + " in section " + quoted(sec.name);
        if (sym.value % sizeof(RawInsn) || sym.size % sizeof(RawInsn))
            return make_error(elf.subject(), where + ": offset " + std::to_string(sym.value) + " or size " +
                                                 std::to_string(sym.size) + " is not a multiple of 8");
        if (sym.size == 0) return make_error(elf.subject(), where + " has no instructions");
        if (sym.value > sec.size || sym.size > sec.size - sym.value)
            return make_error(elf.subject(), where + ": bytes " + std::to_string(sym.value) + ".." +
                                                 std::to_string(sym.value + sym.size) + " lie outside the section (" +
                                                 std::to_string(sec.size) + " bytes)");
        funcs.push_back(ElfFunc{sym.name, sym.shndx, static_cast<uint32_t>(sym.value / sizeof(RawInsn)),
                                static_cast<uint32_t>(sym.size / sizeof(RawInsn)), sym.bind == STB_GLOBAL});
    }
    std::sort(funcs.begin(), funcs.end(), [](const ElfFunc& a, const ElfFunc& b) {
        return std::tie(a.section, a.start) < std::tie(b.section, b.start);
    });
    return funcs;
}

Result<CodeRelocs> collect_code_relocs(const ElfFile& elf, const std::vector<ElfFunc>& funcs,
                                       const RelocTargets& targets, const std::set<uint32_t>& strict_sections) {
    CodeRelocs out;
    const auto& sections = elf.sections();
    for (const ElfRelSection& rs : elf.rel_sections()) {
        const ElfSection& target = sections[rs.target];
        if (!target.executable()) continue;
        const std::string& rel_name = sections[rs.section].name;
        const bool strict = strict_sections.count(rs.target) != 0;
        for (size_t i = 0; i < rs.rels.size(); ++i) {
            const ElfRel& rel = rs.rels[i];
            if (rel.type == elf_bpf::kRelNone) continue;
            auto r = resolve_code_reloc(elf, funcs, targets, target, rel_name, i, rel);
            if (!r.ok() && strict) return r.error();
            CodeReloc entry = r.ok() ? r.value() : CodeReloc{CodeReloc::Kind::Invalid, 0, 0, nullptr, 0, r.error(), {}};
            const auto key = std::make_pair(rs.target, static_cast<uint32_t>(rel.offset / sizeof(RawInsn)));
            if (!out.emplace(key, std::move(entry)).second) {
                Error dup = make_error(elf.subject(), "relocation " + std::to_string(i) + " in " + quoted(rel_name) +
                                                          ": second relocation for insn " + std::to_string(key.second) +
                                                          " of " + quoted(target.name));
                if (strict) return dup;
                out[key] = CodeReloc{CodeReloc::Kind::Invalid, 0, 0, nullptr, 0, dup, {}};
            }
        }
    }
    return out;
}

Result<LinkedProgram> link_program(const ElfFile& elf, const std::vector<ElfFunc>& funcs, const CodeRelocs& relocs,
                                   const ElfFunc& main, const std::string& subject) {
    LinkedProgram out;
    std::vector<std::pair<const ElfFunc*, uint32_t>> placed;  // function, its first insn in `out`

    // Appends `f` unless it is already there; returns its first instruction.
    auto place = [&](const ElfFunc& f, bool& appended) -> uint32_t {
        appended = false;
        for (const auto& [func, base] : placed)
            if (func == &f) return base;
        const uint32_t base = static_cast<uint32_t>(out.insns.size());
        const auto code = elf.data(elf.sections()[f.section]);
        for (uint32_t i = 0; i < f.count; ++i) out.insns.push_back(insn_at(code, uint64_t{f.start} + i));
        placed.emplace_back(&f, base);
        appended = true;
        return base;
    };

    // Depth first, as libbpf does, so subprograms land in the same order as
    // in the kernel's xlated dump: a callee is relocated as soon as it is
    // appended, before the caller's remaining calls.
    struct Frame {
        const ElfFunc* func;
        uint32_t base;
        uint32_t next;  // next instruction of `func` to relocate
    };
    bool appended = false;
    std::vector<Frame> stack{{&main, place(main, appended), 0}};
    while (!stack.empty()) {
        Frame& frame = stack.back();
        if (frame.next == frame.func->count) {
            stack.pop_back();
            continue;
        }
        const ElfFunc& f = *frame.func;
        const uint32_t i = frame.next++;
        const uint32_t pc = frame.base + i;
        auto rel = relocs.find({f.section, f.start + i});
        if (rel != relocs.end() && rel->second.kind == CodeReloc::Kind::Invalid) return *rel->second.error;
        if (rel != relocs.end() && rel->second.kind == CodeReloc::Kind::Func) {
            // As libbpf submits it: src PSEUDO_FUNC, imm relative as a call's.
            const CodeReloc& r = rel->second;
            if (i + 1 >= f.count)
                return make_insn_error(subject, pc, "lddw is cut off by the end of function '" + f.name + "'");
            const ElfFunc* callee = find_function(funcs, r.callee_section, r.callee_insn);
            const uint32_t callee_base = place(*callee, appended);
            out.insns[pc].src = bpf::PSEUDO_FUNC;
            out.insns[pc].imm = static_cast<int32_t>(int64_t{callee_base} - pc - 1);
            out.insns[pc + 1].imm = 0;
            if (appended) stack.push_back({callee, callee_base, 0});  // last: invalidates `frame`
            continue;
        }
        if (rel != relocs.end() && rel->second.kind == CodeReloc::Kind::Kfunc) {
            out.insns[pc].src = bpf::PSEUDO_KFUNC;
            out.insns[pc].imm = 0;
            out.kfuncs.emplace_back(pc, rel->second.kfunc);
            continue;
        }
        if (rel != relocs.end() && rel->second.kind != CodeReloc::Kind::Call) {
            const CodeReloc& r = rel->second;
            uint64_t ptr = reinterpret_cast<uint64_t>(r.map);
            if (r.kind == CodeReloc::Kind::MapValue) {
                uint8_t* values = r.map->value_base();
                if (!values) return make_insn_error(subject, pc, "map '" + r.map->name() + "' has no value memory");
                ptr = reinterpret_cast<uint64_t>(values + r.value_offset);
            }
            if (i + 1 >= f.count)
                return make_insn_error(subject, pc, "lddw is cut off by the end of function '" + f.name + "'");
            out.insns[pc].src = 0;
            out.insns[pc].imm = static_cast<int32_t>(static_cast<uint32_t>(ptr));
            out.insns[pc + 1].imm = static_cast<int32_t>(static_cast<uint32_t>(ptr >> 32));
            out.lddw_origins.push_back(LddwOrigin{pc, r.map, r.value_offset, r.kind == CodeReloc::Kind::MapValue});
            continue;
        }
        const RawInsn insn = out.insns[pc];
        if (insn.code != kCallCode || insn.src != bpf::PSEUDO_CALL) continue;

        // Unrelocated local calls are relative to their own section.
        const uint32_t section = rel != relocs.end() ? rel->second.callee_section : f.section;
        const int64_t target =
            rel != relocs.end() ? int64_t{rel->second.callee_insn} : int64_t{f.start} + i + insn.imm + 1;
        const ElfFunc* callee = find_function(funcs, section, target);
        if (!callee)
            return make_insn_error(subject, pc, "call to insn " + std::to_string(target) + " of section '" +
                                                    elf.section_name(section) + "', which is not inside a function");
        const uint32_t callee_base = place(*callee, appended);
        out.insns[pc].imm = static_cast<int32_t>(int64_t{callee_base} + (target - callee->start) - pc - 1);
        if (appended) stack.push_back({callee, callee_base, 0});  // last: invalidates `frame`
    }
    for (const auto& [func, base] : placed) {
        out.funcs.emplace_back(func->name, base);
        out.placed.push_back({elf.section_name(func->section), func->start, func->count, base});
    }
    return out;
}

}  // namespace xdpdk::vm
