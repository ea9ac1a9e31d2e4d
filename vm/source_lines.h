// Source lines and function names of a loaded program: the object's BTF
// func_info and line_info records (numbered within their ELF section) mapped
// onto the linked program, then kept aligned as load-time rewrites remove
// instructions, by the rules Linux applies to its own copy
// (bpf_adj_linfo_after_remove, adjust_subprog_starts_after_remove), so that
// `prog dump xlated` puts each line above the same instructions as
// `bpftool prog dump xlated` does for the kernel's program.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "error.h"
#include "program.h"

namespace xdpdk::vm {

class BtfExt;
class BtfInfo;

// One function of the object placed in a linked program.
struct PlacedFunc {
    std::string section;  // the ELF section holding it
    uint32_t start;       // its first instruction within that section
    uint32_t count;
    uint32_t base;        // its first instruction in the linked program
};

// The func_info and line_info of a program linked from `placed` (the
// program first), each record moved to where linking put its instruction,
// as libbpf's adjust_prog_btf_ext_info does; both sorted by instruction.
void collect_source_info(const BtfExt& ext, const BtfInfo& btf, std::span<const PlacedFunc> placed,
                         std::vector<LineInfo>& lines, std::vector<FuncInfo>& funcs);

// After instructions were removed: removed[i] says whether instruction i
// went, new_pos[i] where it went (for a removed one, where the next kept one
// went; new_pos has one entry more, the new count). A line whose
// instructions all went is dropped, except that the last line of a removed
// run moves to the first instruction after it when that one starts no line
// of its own; a function whose every instruction went is dropped, one whose
// first went starts at its first kept instruction.
void drop_removed_insns(const std::vector<bool>& removed, std::span<const int64_t> new_pos,
                        std::vector<LineInfo>& lines, std::vector<FuncInfo>& funcs);

// `err` with Error::source set to the line covering its instruction
// ("fw.bpf.c:88 '  if (ip->ihl < 5)'"), when `lines` cover it.
Error with_source_line(Error err, std::span<const LineInfo> lines);

// The function type `func_type_id` (a BTF FUNC) as `bpftool prog dump
// xlated` prints it above the function: "int xdp_prog(struct xdp_md * ctx)";
// "" when the type is not a FUNC or cannot be written.
std::string func_prototype(const BtfInfo& btf, uint32_t func_type_id);

}  // namespace xdpdk::vm
