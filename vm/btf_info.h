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
#include <utility>
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
    // Shared with the maps the object declares, which format their entries
    // through it (MapBtf) and may outlive the Object.
    std::shared_ptr<const struct btf> shared() const { return btf_; }
    // The DATASEC type id for ELF section `name`, 0 when there is none.
    uint32_t find_datasec(std::string_view name) const;
    // What libbpf's btf_fixup_datasec does at open: clang leaves a DATASEC's
    // size and its global variables' offsets 0 for the linker, so they are set
    // from the section size and the symbols (`offsets`, by variable name),
    // then the variables are sorted by offset, the order `bpftool map dump`
    // prints them in. A DATASEC that already has a size is left as it is.
    void fixup_datasec(std::string_view section, uint32_t size,
                       std::span<const std::pair<std::string, uint32_t>> offsets);

private:
    std::shared_ptr<struct btf> btf_;
};

struct BtfMapDef {
    MapSpec spec;                // name = the variable's name
    bool has_values = false;     // a `values` member: prog-array or map-in-map initial contents
    uint32_t values_offset = 0;  // its byte offset inside the definition
    // The types __type(key, T) / __type(value, T) name, as libbpf passes them
    // to the kernel; 0 when the size came from __uint(key_size / value_size).
    uint32_t key_type_id = 0;
    uint32_t value_type_id = 0;
    // Array and hash of maps: the inner map definition `__array(values,
    // struct inner)` points to, named "<outer>.inner" as libbpf names it.
    std::shared_ptr<const BtfMapDef> inner;
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
