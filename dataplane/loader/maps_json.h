// Map contents as JSON, for setting maps before a run and dumping them after:
//
//   {"map name": [{"key": "<hex>", "value": "<hex>"}, ...], ...}
//
// Keys and values are the raw bytes in memory (host byte order), as lowercase
// hex. Per-CPU maps carry "values": one hex string per CPU slot. Prog-array
// entries name a program of the same object: {"key": "00000000", "prog":
// "stage2"}. Devmap entries carry their value and "ifindex" (on input either
// one is enough). Queues and stacks have no keys: their entries are
// {"value": "<hex>"}, oldest first, pushed in that order (a dump lists them
// so, and feeding it back rebuilds the map). Maps of maps hold maps: an
// entry names one of the object's maps, {"key": ..., "map": "name"}, or
// creates one with the inner template's shape and fills it,
// {"key": ..., "inner": {"name": "n", "max_entries": N, "entries": [...]}}
// (name and max_entries optional; "id" and "type", which dumps add, are
// informational and checked against the template). A dump has the same
// shape, so it can be fed back in.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "vm/error.h"
#include "vm/object.h"

namespace xdpdk::loader {

std::string to_hex(std::span<const uint8_t> bytes);
// Even number of hex digits, either case; the error reason says what is wrong.
Result<std::vector<uint8_t>> parse_hex(std::string_view text);

// A maps file checked against an object: every map exists, every key and
// value has the map's sizes, every named program exists.
struct MapsInput {
    struct Entry {
        vm::Map* map;
        std::vector<uint8_t> key;
        std::vector<uint8_t> value;  // user-side layout (per-CPU: every slot)
        std::string prog;            // prog arrays: the program to install
        // Maps of maps: the map to insert (its id is written as the value
        // when the entries are applied); kept alive by this entry until then.
        std::shared_ptr<vm::Map> inner;
    };
    std::vector<Entry> entries;
    std::string source;  // names the input in errors
};

// `source` names the input in errors ("maps-in 'file.json'").
Result<MapsInput> parse_maps_json(const vm::Object& obj, std::string_view text, const std::string& source);
Result<MapsInput> read_maps_json_file(const vm::Object& obj, const std::string& path);

// Writes the data entries (everything but prog arrays). Call before
// Object::load() so that .rodata values are in place before it is frozen.
Status apply_map_values(const MapsInput& input);
// Installs prog-array entries; needs loaded programs, so after Object::load().
Status apply_prog_entries(const vm::Object& obj, const MapsInput& input);

// Every map of the object with all its entries, in the object's map order.
nlohmann::ordered_json dump_maps_json(const vm::Object& obj);
// The dump as text: one line per map entry, stable for diffs.
std::string format_maps_json(const nlohmann::ordered_json& dump);

}  // namespace xdpdk::loader
