// The object's .BTF.ext: per ELF section, the function records (func_info),
// source-line records (line_info) and CO-RE relocation records (core_relo)
// clang writes beside the code. Parsed here rather than through libbpf
// because libbpf's btf_ext keeps its records private; the checks are those
// of libbpf's btf_ext__new (header, record sizes, bounds, section names).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "error.h"

struct btf;

namespace xdpdk::vm {

class BtfInfo;

struct BtfFuncRecord {
    uint32_t insn;     // instruction index within the ELF section
    uint32_t type_id;  // the BTF FUNC
};

struct BtfLineRecord {
    uint32_t insn;
    std::string_view file;  // strings live in the object's BTF (BtfExt keeps it)
    std::string_view line;  // the source text of the line, as clang recorded it
    uint32_t line_num;
    uint32_t column;
};

struct BtfCoreRecord {
    uint32_t insn;
    uint32_t type_id;          // the local (object's) root type
    std::string_view access;   // "0:1:2", or an enumerator index for enum kinds
    uint32_t kind;             // enum bpf_core_relo_kind as clang writes it
};

struct BtfExtSection {
    std::string name;  // the ELF section ("xdp", ".text", ...)
    std::vector<BtfFuncRecord> funcs;
    std::vector<BtfLineRecord> lines;
    std::vector<BtfCoreRecord> core_relos;
};

class BtfExt {
public:
    // `subject` ("elf 'x.o'") prefixes errors, which name the part of
    // .BTF.ext at fault: "elf 'x.o': .BTF.ext line_info: record 3 of section
    // 'xdp' ends past the data".
    static Result<BtfExt> parse(std::span<const uint8_t> data, const BtfInfo& btf, const std::string& subject);

    // Records of ELF section `name`, nullptr when it has none.
    const BtfExtSection* section(std::string_view name) const;
    const std::vector<BtfExtSection>& sections() const { return sections_; }

private:
    std::shared_ptr<const struct btf> btf_;  // keeps the record strings alive
    std::vector<BtfExtSection> sections_;
};

}  // namespace xdpdk::vm
