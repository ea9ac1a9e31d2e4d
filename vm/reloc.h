// Relocation of program code, in two steps as libbpf does it. At open,
// every relocation aimed at an executable section is checked and resolved to
// a callee, a map or a global-data location (collect_code_relocs). At load,
// each program is linked: the subprograms it reaches are appended after its
// own instructions (once each, transitively), every local call is re-aimed so
// that target = pc + imm + 1, and every lddw gets its host pointer
// (link_program).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "elf_file.h"
#include "error.h"
#include "program.h"
#include "source_lines.h"

namespace xdpdk::vm {

class Map;

// A function symbol in an executable section: a program or a subprogram.
struct ElfFunc {
    std::string name;
    uint32_t section;
    uint32_t start;  // first instruction, counted from the section start
    uint32_t count;  // instructions
    bool global;     // STB_GLOBAL: outside .text, a program
};

struct CodeReloc {
    // Invalid: refused, but in code only non-XDP programs use; the error is
    // reported if an XDP program ever reaches the instruction.
    // Func: lddw of a subprogram's address (a callback), linked as a call is.
    // Kfunc: a call to an extern function (__ksym), which a kernel loader
    // resolves against the kernel's BTF; kept by name so the refusal names it.
    enum class Kind : uint8_t { Call, Map, MapValue, Func, Invalid, Kfunc } kind;
    uint32_t callee_section = 0;  // Call, Func: where the callee lives
    uint32_t callee_insn = 0;     // Call, Func: its instruction index in that section
    Map* map = nullptr;           // Map / MapValue
    uint32_t value_offset = 0;    // MapValue: byte offset in the map's value
    std::optional<Error> error;   // Invalid
    std::string kfunc;            // Kfunc: the extern's name
};

// Relocations by (section index, instruction index within the section).
using CodeRelocs = std::map<std::pair<uint32_t, uint32_t>, CodeReloc>;

// Where lddw relocations may point besides code.
struct RelocTargets {
    // Map definitions by (section index, offset of the symbol): ".maps", "maps".
    std::map<std::pair<uint32_t, uint64_t>, Map*> map_defs;
    // Global-data maps by section index.
    std::map<uint32_t, Map*> data_maps;
};

// Every function symbol of every executable section, checked to lie on
// instruction boundaries inside its section, sorted by (section, start).
Result<std::vector<ElfFunc>> collect_functions(const ElfFile& elf);

// Refusals in `strict_sections` (those holding XDP programs) fail at once;
// elsewhere (.text, other program types) they are kept as Kind::Invalid, so
// objects whose tracing programs use features this runtime lacks still open.
Result<CodeRelocs> collect_code_relocs(const ElfFile& elf, const std::vector<ElfFunc>& funcs,
                                       const RelocTargets& targets, const std::set<uint32_t>& strict_sections);

struct LinkedProgram {
    std::vector<RawInsn> insns;
    std::vector<LddwOrigin> lddw_origins;
    // Every function placed, the program first: its name and first instruction.
    std::vector<std::pair<std::string, uint32_t>> funcs;
    // The same functions by where they came from, for their BTF records.
    std::vector<PlacedFunc> placed;
    // Kfunc calls (src_reg BPF_PSEUDO_KFUNC_CALL): instruction and name.
    std::vector<std::pair<uint32_t, std::string>> kfuncs;
};

// `subject` is "prog '<name>'"; instruction indexes in errors are in the
// linked program.
Result<LinkedProgram> link_program(const ElfFile& elf, const std::vector<ElfFunc>& funcs, const CodeRelocs& relocs,
                                   const ElfFunc& main, const std::string& subject);

}  // namespace xdpdk::vm
