// Finding and replacing a section of a (trusted, well-formed) 64-bit ELF
// image in memory: how the CO-RE damage tests and the btf_ext fuzz target
// put other bytes in a good object's .BTF.ext or .BTF.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace xdpdk::test {

struct SectionPlace {
    size_t offset = 0;
    size_t size = 0;
    size_t shdr = 0;  // file offset of its Elf64_Shdr; 0 when there is no such section
};

// The last section named `name` (the image is not checked: tests' own objects).
SectionPlace find_section(std::span<const uint8_t> elf, const char* name);

// A copy of `elf` whose section `name` holds `bytes` instead: they are
// appended (8-byte aligned) and the section header points at them, so the
// rest of the image keeps its offsets. An image without the section is
// returned unchanged.
std::vector<uint8_t> replace_section(std::span<const uint8_t> elf, const char* name, std::span<const uint8_t> bytes);

}  // namespace xdpdk::test
