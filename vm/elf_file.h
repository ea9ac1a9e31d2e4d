// A bounds-checked reader for 64-bit little-endian relocatable ELF files, the
// only kind clang's BPF target produces. Parsing validates every header,
// section range, name, symbol and relocation entry once, so the later loader
// phases can index freely.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "error.h"

namespace xdpdk::vm {

struct ElfSection {
    uint32_t index = 0;
    std::string name;
    uint32_t type = 0;   // SHT_*
    uint64_t flags = 0;  // SHF_*
    uint64_t offset = 0;
    uint64_t size = 0;
    uint32_t link = 0;
    uint32_t info = 0;

    bool executable() const;
};

struct ElfSymbol {
    uint32_t index = 0;
    std::string name;
    uint64_t value = 0;
    uint64_t size = 0;
    uint16_t shndx = 0;  // SHN_UNDEF, a section index, or SHN_ABS/SHN_COMMON
    uint8_t type = 0;    // STT_*
    uint8_t bind = 0;    // STB_*
};

struct ElfRel {
    uint64_t offset;  // within the target section
    uint32_t type;    // R_BPF_*
    uint32_t sym;     // symbol index, checked against the symbol table
};

// One SHT_REL section and the section its entries patch.
struct ElfRelSection {
    uint32_t section;  // the REL section itself
    uint32_t target;   // sh_info
    std::vector<ElfRel> rels;
};

// EM_BPF and the BPF relocation types (glibc's <elf.h> lacks the data ones).
namespace elf_bpf {
constexpr uint16_t kMachineBpf = 247;
constexpr uint32_t kRelNone = 0, kRel64_64 = 1, kRelAbs64 = 2, kRelAbs32 = 3, kRelNoDyld32 = 4, kRel64_32 = 10;
}  // namespace elf_bpf

class ElfFile {
public:
    // `subject` ("elf 'x.o'") prefixes every error.
    static Result<ElfFile> parse(std::vector<uint8_t> bytes, std::string subject);

    const std::string& subject() const { return subject_; }
    const std::vector<ElfSection>& sections() const { return sections_; }
    const std::vector<ElfSymbol>& symbols() const { return symbols_; }
    const std::vector<ElfRelSection>& rel_sections() const { return rel_sections_; }

    const ElfSection* find_section(std::string_view name) const;
    // Section contents; empty for SHT_NOBITS (whose size is still sh_size).
    std::span<const uint8_t> data(const ElfSection& sec) const;
    // For load-time rewrites of code in place (CO-RE relocations, which
    // libbpf applies to each program's copy before linking).
    std::span<uint8_t> mutable_data(const ElfSection& sec);
    // "section 3" when the index is not a real section.
    std::string section_name(uint32_t index) const;

private:
    ElfFile() = default;
    Status parse_sections();
    Status parse_symbols();
    Status parse_relocations();

    std::vector<uint8_t> bytes_;
    std::string subject_;
    std::vector<ElfSection> sections_;
    std::vector<ElfSymbol> symbols_;
    std::vector<ElfRelSection> rel_sections_;
    uint32_t symtab_index_ = 0;
};

}  // namespace xdpdk::vm
