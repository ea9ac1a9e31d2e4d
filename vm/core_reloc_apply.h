// CO-RE relocations applied to an object's code: every .BTF.ext core_relo
// record resolved against the target BTF and patched into the function that
// holds it, in the ELF's own code, before any program is linked. So a
// subprogram appended to several programs carries its relocated code, as
// libbpf relocates each (sub)program before appending it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core_reloc.h"
#include "reloc.h"

namespace xdpdk::vm {

class BtfExt;

struct CoreSite {
    uint32_t section = 0;  // ELF section index
    uint32_t insn = 0;     // instruction index within the section
    CoreResolution res;
    // Why the instruction was poisoned, or why the relocation was refused.
    std::optional<std::string> failure;
    // Refused (libbpf fails the load): a bad record, an ambiguity, an
    // instruction that does not hold the local value. A program whose code
    // holds it does not load; the instruction is left as compiled.
    bool refused = false;
};

// Records outside every function are ignored, as libbpf ignores them (a
// __weak function's records left by the linker).
std::vector<CoreSite> apply_core_relocations(ElfFile& elf, const std::vector<ElfFunc>& funcs, const BtfExt& ext,
                                             const struct btf* local, const struct btf* target);

// The sites inside a linked program's code, by linked instruction index.
std::vector<std::pair<uint32_t, const CoreSite*>> core_sites_in(const LinkedProgram& linked,
                                                               const std::vector<ElfFunc>& funcs,
                                                               const std::vector<CoreSite>& sites);

}  // namespace xdpdk::vm
