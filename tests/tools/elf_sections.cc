#include "elf_sections.h"

#include <elf.h>

#include <cstring>

namespace xdpdk::test {

SectionPlace find_section(std::span<const uint8_t> elf, const char* name) {
    SectionPlace p;
    Elf64_Ehdr eh;
    std::memcpy(&eh, elf.data(), sizeof eh);
    Elf64_Shdr strtab;
    std::memcpy(&strtab, elf.data() + eh.e_shoff + size_t(eh.e_shstrndx) * eh.e_shentsize, sizeof strtab);
    for (size_t i = 0; i < eh.e_shnum; ++i) {
        const size_t at = eh.e_shoff + i * eh.e_shentsize;
        Elf64_Shdr sh;
        std::memcpy(&sh, elf.data() + at, sizeof sh);
        if (std::strcmp(reinterpret_cast<const char*>(elf.data() + strtab.sh_offset + sh.sh_name), name) != 0) continue;
        p.offset = sh.sh_offset;
        p.size = sh.sh_size;
        p.shdr = at;
    }
    return p;
}

std::vector<uint8_t> replace_section(std::span<const uint8_t> elf, const char* name, std::span<const uint8_t> bytes) {
    std::vector<uint8_t> out(elf.begin(), elf.end());
    const SectionPlace place = find_section(elf, name);
    if (place.shdr == 0) return out;
    out.resize((out.size() + 7) & ~size_t{7});
    Elf64_Shdr sh;
    std::memcpy(&sh, out.data() + place.shdr, sizeof sh);
    sh.sh_offset = out.size();
    sh.sh_size = bytes.size();
    std::memcpy(out.data() + place.shdr, &sh, sizeof sh);
    out.insert(out.end(), bytes.begin(), bytes.end());
    return out;
}

}  // namespace xdpdk::test
