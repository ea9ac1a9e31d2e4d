// Map contents printed the way `bpftool map dump|lookup` prints them, and
// bpftool's `key [hex] BYTES value [hex] BYTES` arguments, for the control
// plane's `ctl map` commands: users compare xdpdk's maps with the kernel's
// and reuse their bpftool scripts. Pure formatting and parsing on a vm::Map;
// no sockets, no DPDK.
//
// Maps with BTF (vm::MapBtf: BTF-defined maps declared with __type, global
// data) are formatted through the BTF of the object that declared them, as
// bpftool formats the kernel's copy: struct fields by name, enums by name,
// char arrays as strings, bitfields as hex, global data as the DATASEC's
// variables. Per-CPU values are listed for every CPU slot of the map, which
// matches bpftool when the map was created with the kernel's possible-CPU
// count.
//
// Maps of maps print their values (inner map ids) as bytes, as bpftool 7.1
// does; the JSON adds "inner_map_id" as later bpftool releases do. Empty
// slots are left out, as for prog arrays.
//
// The oracle is bpftool 7.1 (Debian 12's). Where it prints something that
// is not JSON or not the map's value (a string holding '\\' comes out as
// "\n"; a char type of BTF's CHAR encoding holding '"' or '\\' comes out
// unescaped), the JSON functions give the value the map holds; the text
// functions print bpftool's bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "vm/error.h"
#include "vm/map.h"

namespace xdpdk::loader {

// `bpftool -j map dump`: every element, in the map's own key order.
nlohmann::ordered_json map_dump_json(const vm::Map& map);
// `bpftool -j map lookup`: one element; `value` in the user-side layout
// (per-CPU: every slot, vm::Map::user_value_size() bytes).
nlohmann::ordered_json map_entry_json(const vm::Map& map, std::span<const uint8_t> key,
                                      std::span<const uint8_t> value);

// `bpftool map dump` without -j: with BTF the pretty JSON-like listing,
// without it `key: .. value: ..` lines and "Found N elements".
std::string map_dump_text(const vm::Map& map);
// `bpftool map lookup` without -j, for an element that exists.
std::string map_entry_text(const vm::Map& map, std::span<const uint8_t> key, std::span<const uint8_t> value);

// bpftool's BYTES: an optional leading `hex`, then one word per byte, read
// as C numbers (decimal, 0x.., 0..) or, after `hex`, as hexadecimal. Exactly
// `size` of them, each at most 255. Errors name `what` ("key", "value"):
// "key: expected 4 bytes, got 3".
Result<std::vector<uint8_t>> parse_bytes_arg(std::span<const std::string> words, size_t size, const std::string& what);

// The words of `... key BYTES value BYTES [any|noexist|exist]`, split at
// those keywords (whole words only: bpftool's abbreviations "k", "v", "a"
// would be taken for hex bytes). Each part at most once.
struct ElemArgs {
    std::optional<std::vector<std::string>> key;    // the words after `key`
    std::optional<std::vector<std::string>> value;  // the words after `value`
    std::optional<uint64_t> flags;                  // vm::kAny, kNoExist, kExist
};
Result<ElemArgs> split_elem_args(std::span<const std::string> argv);

}  // namespace xdpdk::loader
