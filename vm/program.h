// The single program representation shared by every engine: decoded
// instructions (dense Op), plus the raw form after load-time relocation and
// rewriting (what `prog dump xlated` prints).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "error.h"
#include "jit/jit.h"
#include "opcodes.h"
#include "prog_sections.h"

namespace xdpdk::vm {

struct ExecContext;
class Map;

// The decoded, executable form of one instruction: same layout as RawInsn but
// with the dense Op instead of the opcode byte.
struct Insn {
    Op op;
    uint8_t dst : 4;
    uint8_t src : 4;
    int16_t off;
    int32_t imm;
};
static_assert(sizeof(Insn) == 8);

// Program types by ELF section convention; only XDP runs in this runtime.
enum class ProgType : uint8_t { Xdp, Raw, Other };

// What an lddw slot referred to before relocation, kept for dumps.
struct LddwOrigin {
    uint32_t insn;
    const Map* map;      // map or global-data map
    uint32_t offset;     // for map values (PSEUDO_MAP_VALUE)
    bool value;          // true: pointer into the map's value, false: the map itself
};

// A subprogram whose address the program takes (lddw with src
// bpf::PSEUDO_FUNC) to hand to bpf_loop or bpf_for_each_map_elem. The
// decoded lddw loads the address of this record (its heap address stays put
// when the Program moves), through which the helper calls the subprogram in
// the engine that runs the program (vm/callback.h).
struct Callback {
    const Program* prog = nullptr;  // re-aimed when the Program moves (adopt_callbacks)
    uint32_t lddw = 0;              // the lddw instruction
    uint32_t start = 0;             // the subprogram's first instruction
    uint32_t index = 0;             // in Program::callbacks (the JIT's entry table)
};

// A helper call whose map argument is not an lddw of a map but has one map
// type and key size on every path the verifier took (a lookup in an inner
// map of a map of maps, or a choice between maps of one shape): the JIT may
// call a lookup specialised for them that reads the map from r1.
struct DynamicMapCall {
    uint32_t insn;
    uint32_t map_type;
    uint32_t key_size;
};

// A source line of the program, from the object's BTF line_info: it covers
// the instructions from `insn` up to the next line's (as bpftool reads
// line_info), in the instruction numbering of the Program holding it.
struct LineInfo {
    uint32_t insn;
    std::string file;
    std::string text;  // as clang recorded it, leading whitespace kept
    uint32_t line_num;
    uint32_t column;
};

// A function of the program, from the object's BTF func_info: the program
// itself at 0, then each subprogram appended by linking.
struct FuncInfo {
    uint32_t insn;
    std::string name;
    std::string prototype;  // "int xdp_prog(struct xdp_md * ctx)", as bpftool prints it
};

// Where a tail call into a program continues in its machine code, or nullptr
// while it has none. A plain struct of its own, so that machine code holding
// its address reads `entry` at offset 0, which the language guarantees
// (Program itself is not standard-layout). Prog arrays keep its address next
// to the Program's (maps::ProgArray::tail_slot).
struct JitTailEntry {
    const void* entry = nullptr;
};
static_assert(std::is_standard_layout_v<JitTailEntry>);

struct Program {
    std::string name;     // function name (or "raw" for exec)
    std::string section;  // ELF section name
    ProgType type = ProgType::Raw;
    bool frags = false;   // xdp.frags
    XdpAttach attach = XdpAttach::Ingress;  // xdp/devmap, xdp/cpumap
    // The kernel's tag for the program as submitted (prog_tag.h); set by load.
    std::array<uint8_t, 8> tag{};

    std::vector<RawInsn> xlated;  // after relocation and rewriting
    std::vector<Insn> insns;      // decoded from xlated
    std::vector<LddwOrigin> lddw_origins;
    std::vector<DynamicMapCall> dynamic_map_calls;  // sorted by insn
    uint32_t frame_stack_size = 512;
    // Machine code when compiled, else run by the interpreter. Set and reset
    // only through set_jit, which keeps jit_tail (inlined tail calls) in step.
    std::unique_ptr<JitCode> jit;
    JitTailEntry jit_tail;         // jit->tail_entry(), kept by set_jit
    std::vector<std::unique_ptr<Callback>> callbacks;  // one per lddw of a subprogram, in program order
    // Sorted by insn, kept aligned with xlated through every load-time
    // rewrite; empty when the object has no .BTF.ext.
    std::vector<LineInfo> line_info;
    std::vector<FuncInfo> func_info;

    // Installs (or with nullptr drops) the machine code, keeping jit_tail.
    void set_jit(std::unique_ptr<JitCode> code) {
        jit = std::move(code);
        jit_tail.entry = jit ? jit->tail_entry() : nullptr;
    }

    // The line covering instruction `pc`, or nullptr.
    const LineInfo* line_at(uint32_t pc) const;

    // The callback record of the lddw at `pc`, or nullptr.
    const Callback* callback_at(uint32_t pc) const {
        for (const auto& c : callbacks)
            if (c->lddw == pc) return c.get();
        return nullptr;
    }
    // After the Program was moved into another object: its callbacks name it.
    void adopt_callbacks() {
        for (auto& c : callbacks) c->prog = this;
    }
};

// Decode and syntax-check `raw` into an executable Program. Checks opcodes,
// reserved fields, registers, writes to r10, jump and call targets, lddw
// pairing, the final instruction, and that every helper exists in this
// runtime. `subject` names the program in errors.
Result<std::unique_ptr<Program>> make_program(std::string subject, std::vector<RawInsn> raw,
                                              ProgType type = ProgType::Raw);

// Decoder proper: raw -> Insn, with the checks above.
Result<std::vector<Insn>> decode_program(const std::string& subject, std::span<const RawInsn> raw);

}  // namespace xdpdk::vm
