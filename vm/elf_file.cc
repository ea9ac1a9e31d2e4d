#include "elf_file.h"

#include <elf.h>

#include <cstring>

namespace xdpdk::vm {
namespace {

template <class T>
T read_at(const std::vector<uint8_t>& bytes, uint64_t offset) {
    T value;
    std::memcpy(&value, bytes.data() + offset, sizeof(T));
    return value;
}

// True when [offset, offset + size) lies inside a buffer of `total` bytes.
bool in_bounds(uint64_t offset, uint64_t size, uint64_t total) {
    return offset <= total && size <= total - offset;
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

}  // namespace

bool ElfSection::executable() const { return type == SHT_PROGBITS && (flags & SHF_EXECINSTR); }

Result<ElfFile> ElfFile::parse(std::vector<uint8_t> bytes, std::string subject) {
    ElfFile elf;
    elf.bytes_ = std::move(bytes);
    elf.subject_ = std::move(subject);
    const auto& b = elf.bytes_;
    auto fail = [&](std::string reason) { return make_error(elf.subject_, std::move(reason)); };

    if (b.size() < SELFMAG || std::memcmp(b.data(), ELFMAG, SELFMAG) != 0) return fail("not an ELF file");
    if (b.size() < EI_NIDENT) return fail("truncated ELF header (" + std::to_string(b.size()) + " bytes)");
    if (b[EI_CLASS] == ELFCLASS32) return fail("32-bit ELF is not supported (BPF objects are 64-bit)");
    if (b[EI_CLASS] != ELFCLASS64) return fail("invalid ELF class " + std::to_string(b[EI_CLASS]));
    if (b[EI_DATA] == ELFDATA2MSB) return fail("big-endian ELF is not supported (build with -target bpf or bpfel)");
    if (b[EI_DATA] != ELFDATA2LSB) return fail("invalid ELF data encoding " + std::to_string(b[EI_DATA]));
    if (b.size() < sizeof(Elf64_Ehdr)) return fail("truncated ELF header (" + std::to_string(b.size()) + " bytes)");

    const auto eh = read_at<Elf64_Ehdr>(b, 0);
    if (eh.e_machine != elf_bpf::kMachineBpf)
        return fail("not a BPF object (machine " + std::to_string(eh.e_machine) + ")");
    if (eh.e_type != ET_REL)
        return fail("not a relocatable object (ELF type " + std::to_string(eh.e_type) + "); build with clang -c");

    XDPDK_RETURN_IF_ERROR(elf.parse_sections());
    XDPDK_RETURN_IF_ERROR(elf.parse_symbols());
    XDPDK_RETURN_IF_ERROR(elf.parse_relocations());
    return elf;
}

Status ElfFile::parse_sections() {
    const auto& b = bytes_;
    auto fail = [&](std::string reason) { return make_error(subject_, std::move(reason)); };
    const auto eh = read_at<Elf64_Ehdr>(b, 0);

    if (eh.e_shoff == 0) return fail("no section headers");
    if (eh.e_shentsize != sizeof(Elf64_Shdr))
        return fail("unexpected section header size " + std::to_string(eh.e_shentsize));
    if (!in_bounds(eh.e_shoff, sizeof(Elf64_Shdr), b.size()))
        return fail("section headers (offset " + std::to_string(eh.e_shoff) + ") lie outside the file (" +
                    std::to_string(b.size()) + " bytes)");

    // Extended numbering keeps the real count and string-table index in section 0.
    const auto sh0 = read_at<Elf64_Shdr>(b, eh.e_shoff);
    const uint64_t count = eh.e_shnum ? eh.e_shnum : sh0.sh_size;
    const uint32_t strndx = eh.e_shstrndx == SHN_XINDEX ? sh0.sh_link : eh.e_shstrndx;
    if (count > (b.size() - eh.e_shoff) / sizeof(Elf64_Shdr))
        return fail("section headers (" + std::to_string(count) + " at offset " + std::to_string(eh.e_shoff) +
                    ") lie outside the file (" + std::to_string(b.size()) + " bytes)");

    sections_.resize(count);
    std::vector<uint32_t> name_offsets(count);
    for (uint64_t i = 0; i < count; ++i) {
        const auto sh = read_at<Elf64_Shdr>(b, eh.e_shoff + i * sizeof(Elf64_Shdr));
        ElfSection& s = sections_[i];
        s.index = static_cast<uint32_t>(i);
        s.type = sh.sh_type;
        s.flags = sh.sh_flags;
        s.offset = sh.sh_offset;
        s.size = sh.sh_size;
        s.link = sh.sh_link;
        s.info = sh.sh_info;
        name_offsets[i] = sh.sh_name;
        if (s.type != SHT_NOBITS && s.type != SHT_NULL && !in_bounds(s.offset, s.size, b.size()))
            return fail("section " + std::to_string(i) + ": contents (offset " + std::to_string(s.offset) +
                        ", size " + std::to_string(s.size) + ") lie outside the file (" +
                        std::to_string(b.size()) + " bytes)");
    }

    if (strndx == 0 || strndx >= count || sections_[strndx].type != SHT_STRTAB)
        return fail("invalid section name string table index " + std::to_string(strndx));
    const auto names = data(sections_[strndx]);
    for (ElfSection& s : sections_) {
        const uint64_t off = name_offsets[s.index];
        const void* nul = off < names.size() ? std::memchr(names.data() + off, 0, names.size() - off) : nullptr;
        if (!nul)
            return fail("section " + std::to_string(s.index) + ": name offset " + std::to_string(off) +
                        " is outside the section name table");
        s.name = reinterpret_cast<const char*>(names.data() + off);
    }
    return {};
}

Status ElfFile::parse_symbols() {
    auto fail = [&](std::string reason) { return make_error(subject_, std::move(reason)); };
    const ElfSection* symtab = nullptr;
    for (const ElfSection& s : sections_) {
        if (s.type != SHT_SYMTAB) continue;
        if (symtab) return fail("more than one symbol table");
        symtab = &s;
    }
    if (!symtab) return fail("no symbol table");
    symtab_index_ = symtab->index;
    if (symtab->size % sizeof(Elf64_Sym) != 0)
        return fail("symbol table size " + std::to_string(symtab->size) + " is not a multiple of " +
                    std::to_string(sizeof(Elf64_Sym)));
    if (symtab->link == 0 || symtab->link >= sections_.size() || sections_[symtab->link].type != SHT_STRTAB)
        return fail("symbol table links to invalid string table section " + std::to_string(symtab->link));
    const auto strings = data(sections_[symtab->link]);

    const uint64_t count = symtab->size / sizeof(Elf64_Sym);
    symbols_.resize(count);
    for (uint64_t i = 0; i < count; ++i) {
        const auto es = read_at<Elf64_Sym>(bytes_, symtab->offset + i * sizeof(Elf64_Sym));
        ElfSymbol& sym = symbols_[i];
        sym.index = static_cast<uint32_t>(i);
        sym.value = es.st_value;
        sym.size = es.st_size;
        sym.shndx = es.st_shndx;
        sym.type = ELF64_ST_TYPE(es.st_info);
        sym.bind = ELF64_ST_BIND(es.st_info);
        const uint64_t off = es.st_name;
        const void* nul = off < strings.size() ? std::memchr(strings.data() + off, 0, strings.size() - off) : nullptr;
        if (!nul)
            return fail("symbol " + std::to_string(i) + ": name offset " + std::to_string(off) +
                        " is outside the string table");
        sym.name = reinterpret_cast<const char*>(strings.data() + off);
        if (sym.shndx == SHN_XINDEX)
            return fail("symbol " + std::to_string(i) + " " + quoted(sym.name) +
                        ": extended section indexes are not supported");
        if (sym.shndx < SHN_LORESERVE && sym.shndx >= sections_.size())
            return fail("symbol " + std::to_string(i) + " " + quoted(sym.name) + ": section index " +
                        std::to_string(sym.shndx) + " out of range (" + std::to_string(sections_.size()) +
                        " sections)");
        // Section symbols carry no name of their own; give them their section's.
        if (sym.type == STT_SECTION && sym.name.empty() && sym.shndx < sections_.size())
            sym.name = sections_[sym.shndx].name;
    }
    return {};
}

Status ElfFile::parse_relocations() {
    for (const ElfSection& s : sections_) {
        if (s.type != SHT_REL && s.type != SHT_RELA) continue;
        auto fail = [&](std::string reason) {
            return make_error(subject_, "relocation section " + quoted(s.name) + ": " + std::move(reason));
        };
        if (s.info == 0 || s.info >= sections_.size())
            return fail("target section index " + std::to_string(s.info) + " out of range");
        const ElfSection& target = sections_[s.info];
        if (s.type == SHT_RELA) {
            // clang's BPF target writes REL only; RELA elsewhere (debug info from
            // other tools) does not affect the programs.
            if (target.executable()) return fail("RELA relocations for program code are not supported");
            continue;
        }
        if (s.link != symtab_index_)
            return fail("links to section " + std::to_string(s.link) + ", not the symbol table");
        if (s.size % sizeof(Elf64_Rel) != 0)
            return fail("size " + std::to_string(s.size) + " is not a multiple of " + std::to_string(sizeof(Elf64_Rel)));

        ElfRelSection rs{s.index, s.info, {}};
        const uint64_t count = s.size / sizeof(Elf64_Rel);
        rs.rels.reserve(count);
        for (uint64_t i = 0; i < count; ++i) {
            const auto r = read_at<Elf64_Rel>(bytes_, s.offset + i * sizeof(Elf64_Rel));
            const uint64_t sym = ELF64_R_SYM(r.r_info);
            if (sym >= symbols_.size())
                return make_error(subject_, "relocation " + std::to_string(i) + " in " + quoted(s.name) +
                                                ": symbol index " + std::to_string(sym) + " out of range (" +
                                                std::to_string(symbols_.size()) + " symbols)");
            rs.rels.push_back(ElfRel{r.r_offset, static_cast<uint32_t>(ELF64_R_TYPE(r.r_info)),
                                     static_cast<uint32_t>(sym)});
        }
        rel_sections_.push_back(std::move(rs));
    }
    return {};
}

const ElfSection* ElfFile::find_section(std::string_view name) const {
    for (const ElfSection& s : sections_)
        if (s.name == name) return &s;
    return nullptr;
}

std::span<const uint8_t> ElfFile::data(const ElfSection& sec) const {
    if (sec.type == SHT_NOBITS || sec.type == SHT_NULL) return {};
    return {bytes_.data() + sec.offset, sec.size};
}

std::span<uint8_t> ElfFile::mutable_data(const ElfSection& sec) {
    if (sec.type == SHT_NOBITS || sec.type == SHT_NULL) return {};
    return {bytes_.data() + sec.offset, sec.size};
}

std::string ElfFile::section_name(uint32_t index) const {
    if (index < sections_.size()) return sections_[index].name;
    return "section " + std::to_string(index);
}

}  // namespace xdpdk::vm
