// The object's .BTF, read through libbpf's BTF API: BTF-defined map
// definitions (libbpf's __uint/__type/__array encoding in the ".maps"
// section) and the variables of each global-data section.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "error.h"
#include "map.h"
#include "verifier/verifier.h"

struct btf;

namespace xdpdk::vm {

class BtfInfo {
public:
    // `subject` ("elf 'x.o'") prefixes parse errors.
    static Result<BtfInfo> parse(std::span<const uint8_t> data, const std::string& subject);

    const struct btf* get() const { return btf_.get(); }
    // The DATASEC type id for ELF section `name`, 0 when there is none.
    uint32_t find_datasec(std::string_view name) const;

private:
    struct Deleter {
        void operator()(struct btf* b) const;
    };
    std::unique_ptr<struct btf, Deleter> btf_;
};

struct BtfMapDef {
    MapSpec spec;                // name = the variable's name
    bool has_values = false;     // a `values` member: prog-array initial contents
    uint32_t values_offset = 0;  // its byte offset inside the definition
};

// Every variable of the ".maps" DATASEC, in BTF order. Errors are about
// "map '<name>'".
Result<std::vector<BtfMapDef>> parse_btf_map_defs(const BtfInfo& btf);

struct BtfDataVar {
    std::string name;
    uint32_t offset;  // as written by the compiler; objects leave it for the linker (0)
    uint32_t size;
    bool is_static;   // file-local linkage (static, or __hidden)
};

// Variables of the DATASEC describing ELF section `section` (empty if none).
std::vector<BtfDataVar> datasec_vars(const BtfInfo& btf, std::string_view section);

// Function `name` when BTF gives it global linkage: its prototype as Linux's
// btf_prepare_func_args reads it for an XDP program (start left 0). nullopt
// for a static function or one BTF does not describe.
std::optional<GlobalFunc> btf_global_func(const BtfInfo& btf, const std::string& name);

}  // namespace xdpdk::vm
