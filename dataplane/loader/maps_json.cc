#include "maps_json.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace xdpdk::loader {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;
using vm::Map;
using vm::MapType;

bool is_devmap(const Map& map) { return map.type() == MapType::Devmap || map.type() == MapType::DevmapHash; }
// Queues and stacks: no keys, elements in push order.
bool is_keyless(const Map& map) { return map.type() == MapType::Queue || map.type() == MapType::Stack; }

uint32_t percpu_stride(const Map& map) { return (map.spec().value_size + 7) & ~7u; }

std::string map_names(const vm::Object& obj) {
    std::string names;
    for (const auto& m : obj.maps()) names += (names.empty() ? "" : ", ") + m->name();
    return names.empty() ? "the object has none" : "maps: " + names;
}

std::string plural_bytes(size_t n) { return std::to_string(n) + (n == 1 ? " byte" : " bytes"); }

// Hex of exactly `size` bytes, or the reason it is not.
Result<std::vector<uint8_t>> sized_hex(const json& field, const char* what, uint32_t size) {
    if (!field.is_string()) return make_error("", std::string(what) + " must be a hex string");
    auto bytes = parse_hex(field.get_ref<const std::string&>());
    if (!bytes) return make_error("", std::string(what) + ": " + bytes.error().reason);
    if (bytes->size() != size) {
        return make_error("", std::string(what) + " is " + plural_bytes(bytes->size()) + ", the map's " + what +
                                  "s are " + plural_bytes(size));
    }
    return bytes;
}

// The fields an entry of this map may carry besides "key".
std::set<std::string> allowed_fields(const Map& map) {
    if (map.inner_template()) return {"key", "inner", "map"};
    if (map.type() == MapType::ProgArray) return {"key", "prog"};
    if (map.type() == MapType::Cpumap) return {"key", "value", "prog"};
    if (map.percpu()) return {"key", "values"};
    if (is_devmap(map)) return {"key", "value", "ifindex"};
    return {"key", "value"};
}

Result<std::vector<uint8_t>> parse_percpu_values(const Map& map, const json& values) {
    const std::string expected = "give \"values\": one hex string per CPU slot (" + std::to_string(map.ncpus()) + ")";
    if (!values.is_array()) return make_error("", "per-CPU map: " + expected);
    if (values.size() != map.ncpus()) {
        return make_error("", "per-CPU map has " + std::to_string(map.ncpus()) + " CPU slots, \"values\" lists " +
                                  std::to_string(values.size()) + " (see --cpus)");
    }
    std::vector<uint8_t> all(map.user_value_size(), 0);
    for (size_t cpu = 0; cpu < values.size(); ++cpu) {
        auto one = sized_hex(values[cpu], "value", map.spec().value_size);
        if (!one) return make_error("", "cpu " + std::to_string(cpu) + ": " + one.error().reason);
        std::memcpy(all.data() + cpu * percpu_stride(map), one->data(), one->size());
    }
    return all;
}

Result<std::vector<uint8_t>> parse_devmap_value(const Map& map, const json& entry) {
    const uint32_t size = map.spec().value_size;
    const auto value = entry.find("value");
    const auto ifindex = entry.find("ifindex");
    if (value == entry.end() && ifindex == entry.end()) return make_error("", "devmap entry needs \"ifindex\" or \"value\"");
    std::vector<uint8_t> bytes(size, 0);
    if (value != entry.end()) {
        XDPDK_ASSIGN_OR_RETURN(bytes, sized_hex(*value, "value", size));
    }
    if (ifindex != entry.end()) {
        if (!ifindex->is_number_unsigned() || ifindex->get<uint64_t>() > UINT32_MAX)
            return make_error("", "\"ifindex\" must be an integer from 0 to 4294967295");
        const uint32_t index = ifindex->get<uint32_t>();
        if (size < sizeof index) return make_error("", "devmap values are smaller than an ifindex");
        if (value != entry.end()) {
            uint32_t in_value;
            std::memcpy(&in_value, bytes.data(), sizeof in_value);
            if (in_value != index) return make_error("", "\"ifindex\" disagrees with the ifindex in \"value\"");
        }
        std::memcpy(bytes.data(), &index, sizeof index);
    }
    return bytes;
}

Result<MapsInput::Entry> parse_entry(const vm::Object& obj, Map& map, const json& entry);

// The object's map `map` holds `inner`, by pointer; nullptr when not its own.
const std::shared_ptr<Map>* object_map(const vm::Object& obj, const Map* inner) {
    for (const auto& m : obj.maps())
        if (m.get() == inner) return &m;
    return nullptr;
}

// A map of maps' entry: an object's map by name, or a new map made from the
// template with its own entries (appended to `out` before the entry itself,
// so that it is filled before it is inserted).
Status parse_map_of_maps_entry(const vm::Object& obj, Map& outer, const json& entry, std::vector<MapsInput::Entry>& out) {
    const Map& tmpl = *outer.inner_template();
    MapsInput::Entry e{&outer, {}, {}, {}, nullptr};
    XDPDK_ASSIGN_OR_RETURN(e.key, sized_hex(entry["key"], "key", outer.spec().key_size));
    const auto named = entry.find("map");
    const auto inner = entry.find("inner");
    if ((named == entry.end()) == (inner == entry.end()))
        return make_error("", "a map-of-maps entry gives either \"map\": \"name\" (one of the object's maps) or "
                              "\"inner\": {\"entries\": [...]} (a new map of the inner template's shape)");
    if (named != entry.end()) {
        if (!named->is_string()) return make_error("", "\"map\" names one of the object's maps");
        Map* found = obj.find_map(named->get_ref<const std::string&>());
        if (!found) return make_error("", "unknown map '" + named->get<std::string>() + "' (" + map_names(obj) + ")");
        std::string why;
        if (!vm::inner_map_fits(tmpl, *found, &why))
            return make_error("", "map '" + found->name() + "' cannot go into '" + outer.name() + "': " + why);
        e.inner = *object_map(obj, found);
    } else {
        if (!inner->is_object()) return make_error("", "\"inner\" must be an object {\"entries\": [...]}");
        vm::MapSpec spec = tmpl.spec();
        spec.name = outer.name() + "." + to_hex(e.key);
        for (const auto& [field, v] : inner->items()) {
            if (field == "name") {
                if (!v.is_string() || v.get_ref<const std::string&>().empty())
                    return make_error("", "\"inner\".\"name\" must be a non-empty string");
                spec.name = v.get<std::string>();
            } else if (field == "max_entries") {
                if (!v.is_number_unsigned() || v.get<uint64_t>() == 0 || v.get<uint64_t>() > UINT32_MAX)
                    return make_error("", "\"inner\".\"max_entries\" must be an integer from 1 to 4294967295");
                spec.max_entries = v.get<uint32_t>();
            } else if (field == "type") {
                if (!v.is_string() || v.get_ref<const std::string&>() != vm::map_type_name(tmpl.spec().type))
                    return make_error("", std::string("\"inner\".\"type\" must be the template's, \"") +
                                              vm::map_type_name(tmpl.spec().type) + "\"");
            } else if (field != "id" && field != "entries") {
                return make_error("", "unexpected field \"" + field + "\" in \"inner\" (fields: \"name\", "
                                      "\"max_entries\", \"entries\"; \"id\" and \"type\" as dumps write them)");
            }
        }
        auto created = vm::create_map(spec, tmpl.ncpus());  // the object's CPU slots
        if (!created) return make_error("", "\"inner\": " + created.error().str());
        e.inner = std::shared_ptr<Map>(std::move(created).value());
        std::string why;
        if (!vm::inner_map_fits(tmpl, *e.inner, &why))
            return make_error("", "\"inner\" map cannot go into '" + outer.name() + "': " + why);
        const json empty = json::array();
        const auto list = inner->find("entries");
        const json& entries = list == inner->end() ? empty : *list;
        if (!entries.is_array()) return make_error("", "\"inner\".\"entries\" must be a list of entries");
        for (size_t i = 0; i < entries.size(); ++i) {
            auto sub = parse_entry(obj, *e.inner, entries[i]);
            if (!sub) return make_error("", "\"inner\" entry " + std::to_string(i) + ": " + sub.error().str());
            out.push_back(std::move(sub).value());
        }
    }
    const uint32_t id = e.inner->id();
    e.value.assign(reinterpret_cast<const uint8_t*>(&id), reinterpret_cast<const uint8_t*>(&id) + sizeof id);
    out.push_back(std::move(e));
    return {};
}

Result<MapsInput::Entry> parse_entry(const vm::Object& obj, Map& map, const json& entry) {
    if (!entry.is_object()) return make_error("", "expected an object {\"key\": ..., ...}");
    const auto allowed = allowed_fields(map);
    for (const auto& [field, _] : entry.items()) {
        if (allowed.count(field) == 0) {
            std::string list;
            for (const auto& f : allowed) list += (list.empty() ? "\"" : ", \"") + f + "\"";
            return make_error("", "unexpected field \"" + field + "\" for a " + vm::map_type_name(map.spec().type) +
                                      " map (fields: " + list + ")");
        }
    }
    const auto key_field = entry.find("key");
    if (key_field == entry.end() && !is_keyless(map)) return make_error("", "missing \"key\"");
    MapsInput::Entry out{&map, {}, {}, {}, nullptr};
    if (key_field != entry.end()) {
        XDPDK_ASSIGN_OR_RETURN(out.key, sized_hex(*key_field, "key", map.spec().key_size));
    }

    if (map.type() == MapType::ProgArray) {
        const auto prog = entry.find("prog");
        if (prog == entry.end() || !prog->is_string())
            return make_error("", "prog-array entries name a program: {\"key\": ..., \"prog\": \"name\"}");
        uint32_t index;
        std::memcpy(&index, out.key.data(), sizeof index);
        if (index >= map.spec().max_entries) {
            return make_error("", "index " + std::to_string(index) + " is beyond max_entries " +
                                      std::to_string(map.spec().max_entries));
        }
        auto found = obj.find_program(prog->get_ref<const std::string&>());
        if (!found) return found.error();
        if ((*found)->type != vm::ProgType::Xdp)
            return make_error("", "program '" + (*found)->name + "' is not an XDP program");
        out.prog = (*found)->name;
        return out;
    }
    if (map.type() == MapType::Cpumap) {
        // struct bpf_cpumap_val: qsize, then the program (by name here, not fd).
        const auto value = entry.find("value");
        if (value == entry.end()) return make_error("", "cpumap entries give \"value\": qsize (and 4 zero bytes)");
        XDPDK_ASSIGN_OR_RETURN(out.value, sized_hex(*value, "value", map.spec().value_size));
        const auto prog = entry.find("prog");
        if (prog != entry.end()) {
            if (!prog->is_string()) return make_error("", "\"prog\" names an xdp/cpumap program");
            auto found = obj.find_program(prog->get_ref<const std::string&>());
            if (!found) return found.error();
            if ((*found)->attach != vm::XdpAttach::Cpumap)
                return make_error("", "program '" + (*found)->name + "' (section '" + (*found)->section +
                                          "') is not an xdp/cpumap program, which a cpumap entry runs");
            out.prog = (*found)->name;
        }
        return out;
    }
    if (map.percpu()) {
        const auto values = entry.find("values");
        if (values == entry.end()) return make_error("", "per-CPU map: give \"values\", one hex string per CPU slot");
        XDPDK_ASSIGN_OR_RETURN(out.value, parse_percpu_values(map, *values));
        return out;
    }
    if (is_devmap(map)) {
        XDPDK_ASSIGN_OR_RETURN(out.value, parse_devmap_value(map, entry));
        return out;
    }
    const auto value = entry.find("value");
    if (value == entry.end()) return make_error("", "missing \"value\"");
    XDPDK_ASSIGN_OR_RETURN(out.value, sized_hex(*value, "value", map.spec().value_size));
    return out;
}

std::string errno_text(long rc) { return std::strerror(static_cast<int>(-rc)); }

ordered_json dump_map(const vm::Object& obj, const Map& map);

ordered_json dump_entry(const vm::Object& obj, const Map& map, const std::vector<uint8_t>& key,
                        const std::vector<uint8_t>& value) {
    ordered_json e;
    e["key"] = to_hex(key);
    if (map.inner_template()) {
        // The object's own maps by name; others with their contents, so that
        // feeding the dump back creates them again.
        uint32_t id;
        std::memcpy(&id, value.data(), sizeof id);
        const std::shared_ptr<Map> inner = vm::find_map_by_id(id);
        if (inner && object_map(obj, inner.get())) {
            e["map"] = inner->name();
            return e;
        }
        ordered_json in;
        in["id"] = id;
        if (inner) {
            in["name"] = inner->name();
            in["type"] = vm::map_type_name(inner->spec().type);
            in["max_entries"] = inner->spec().max_entries;
            in["entries"] = dump_map(obj, *inner);
        }
        e["inner"] = std::move(in);
        return e;
    }
    if (map.percpu()) {
        ordered_json values = ordered_json::array();
        for (uint32_t cpu = 0; cpu < map.ncpus(); ++cpu)
            values.push_back(to_hex({value.data() + cpu * percpu_stride(map), map.spec().value_size}));
        e["values"] = std::move(values);
        return e;
    }
    if (map.type() == MapType::Cpumap) {
        // Lookups report a program as id 1; the dump names it instead.
        std::vector<uint8_t> qsize_only = value;
        std::fill(qsize_only.begin() + std::min<size_t>(4, qsize_only.size()), qsize_only.end(), 0);
        e["value"] = to_hex(qsize_only);
        uint32_t cpu;
        std::memcpy(&cpu, key.data(), sizeof cpu);
        if (const vm::Program* prog = map.program_at(cpu)) e["prog"] = prog->name;
        return e;
    }
    e["value"] = to_hex(value);
    if (is_devmap(map) && value.size() >= sizeof(uint32_t)) {
        uint32_t ifindex;
        std::memcpy(&ifindex, value.data(), sizeof ifindex);
        e["ifindex"] = ifindex;
    }
    return e;
}

ordered_json dump_map(const vm::Object& obj, const Map& map) {
    ordered_json entries = ordered_json::array();
    if (is_keyless(map)) {
        std::vector<uint8_t> all;
        if (map.user_elements(all) != 0) return entries;
        const size_t size = map.spec().value_size;
        for (size_t at = 0; at + size <= all.size(); at += size)
            entries.push_back({{"value", to_hex({all.data() + at, size})}});
        return entries;
    }
    if (map.type() == MapType::ProgArray) {
        for (uint32_t i = 0; i < map.spec().max_entries; ++i) {
            const vm::Program* prog = map.program_at(i);
            if (prog == nullptr) continue;
            entries.push_back({{"key", to_hex({reinterpret_cast<const uint8_t*>(&i), sizeof i})}, {"prog", prog->name}});
        }
        return entries;
    }
    std::vector<uint8_t> key(map.spec().key_size), next(map.spec().key_size), value(map.user_value_size());
    long rc = map.next_key(nullptr, next.data());
    // A map never holds more than max_entries keys; the bound keeps a
    // misbehaving iteration from running forever.
    for (uint64_t seen = 0; rc == 0 && seen <= map.spec().max_entries; ++seen) {
        if (map.user_lookup(next.data(), value.data()) == 0) entries.push_back(dump_entry(obj, map, next, value));
        key = next;
        rc = map.next_key(key.data(), next.data());
    }
    // Hash-ordered maps walk in an order that changes from run to run; by key,
    // two dumps of the same contents are the same file.
    const bool indexed = map.type() == MapType::Array || map.type() == MapType::PercpuArray ||
                         map.type() == MapType::Devmap || map.type() == MapType::ArrayOfMaps;
    if (!indexed)
        std::sort(entries.begin(), entries.end(), [](const ordered_json& a, const ordered_json& b) {
            return a["key"].get_ref<const std::string&>() < b["key"].get_ref<const std::string&>();
        });
    return entries;
}

}  // namespace

std::string to_hex(std::span<const uint8_t> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s(bytes.size() * 2, '0');
    for (size_t i = 0; i < bytes.size(); ++i) {
        s[2 * i] = digits[bytes[i] >> 4];
        s[2 * i + 1] = digits[bytes[i] & 15];
    }
    return s;
}

Result<std::vector<uint8_t>> parse_hex(std::string_view text) {
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    if (text.size() % 2) return make_error("", "bad hex '" + std::string(text) + "': odd number of digits");
    std::vector<uint8_t> bytes(text.size() / 2);
    for (size_t i = 0; i < bytes.size(); ++i) {
        const int hi = nibble(text[2 * i]), lo = nibble(text[2 * i + 1]);
        if (hi < 0 || lo < 0) return make_error("", "bad hex '" + std::string(text) + "': not a hex digit");
        bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    return bytes;
}

Result<MapsInput> parse_maps_json(const vm::Object& obj, std::string_view text, const std::string& source) {
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::exception& e) {
        // "[json.exception.parse_error.101] parse error at line 1, ..." -> from "parse error";
        // a number too large for a double is out_of_range.406, not a parse_error.
        std::string what = e.what();
        const size_t at = what.find("] ");
        return make_error(source, "not valid JSON: " + (at == std::string::npos ? what : what.substr(at + 2)));
    }
    if (!doc.is_object()) return make_error(source, "expected an object {\"map name\": [entries], ...}");
    MapsInput input;
    input.source = source;
    for (const auto& [name, list] : doc.items()) {
        Map* map = obj.find_map(name);
        if (map == nullptr) return make_error(source, "unknown map '" + name + "' (" + map_names(obj) + ")");
        if (!list.is_array()) return make_error(source, "map '" + name + "': expected a list of entries");
        for (size_t i = 0; i < list.size(); ++i) {
            if (map->inner_template() && list[i].is_object() && list[i].contains("key")) {
                const auto allowed = allowed_fields(*map);
                for (const auto& [field, _] : list[i].items())
                    if (!allowed.count(field))
                        return make_error(source, "map '" + name + "': entry " + std::to_string(i) +
                                                      ": unexpected field \"" + field +
                                                      "\" for a map of maps (fields: \"key\", \"map\", \"inner\")");
                if (Status st = parse_map_of_maps_entry(obj, *map, list[i], input.entries); !st)
                    return make_error(source, "map '" + name + "': entry " + std::to_string(i) + ": " + st.error().str());
                continue;
            }
            auto entry = parse_entry(obj, *map, list[i]);
            if (!entry) {
                return make_error(source, "map '" + name + "': entry " + std::to_string(i) + ": " + entry.error().str());
            }
            input.entries.push_back(std::move(entry.value()));
        }
    }
    return input;
}

Result<MapsInput> read_maps_json_file(const vm::Object& obj, const std::string& path) {
    const std::string source = "maps-in '" + path + "'";
    std::ifstream file(path, std::ios::binary);
    if (!file) return make_error(source, std::strerror(errno));
    std::ostringstream text;
    text << file.rdbuf();
    if (file.bad()) return make_error(source, "read failed");
    return parse_maps_json(obj, text.str(), source);
}

Status apply_map_values(const MapsInput& input) {
    for (const auto& e : input.entries) {
        if (e.map->type() == MapType::ProgArray) continue;
        const long rc = e.map->user_update(e.key.data(), e.value.data(), vm::kAny);
        if (rc < 0 && is_keyless(*e.map)) {
            return make_error(input.source, "map '" + e.map->name() + "': value " + to_hex(e.value) +
                                                ": push failed: " + errno_text(rc));
        }
        if (rc < 0) {
            return make_error(input.source, "map '" + e.map->name() + "': key " + to_hex(e.key) +
                                                ": update failed: " + errno_text(rc));
        }
    }
    return {};
}

Status apply_prog_entries(const vm::Object& obj, const MapsInput& input) {
    for (const auto& e : input.entries) {
        if (e.prog.empty()) continue;
        auto prog = obj.find_program(e.prog);
        if (!prog) return prog.error();
        uint32_t index;
        std::memcpy(&index, e.key.data(), sizeof index);
        const long rc = e.map->set_program(index, *prog);
        if (rc < 0) {
            return make_error(input.source, "map '" + e.map->name() + "': key " + to_hex(e.key) + ": cannot install '" +
                                                e.prog + "': " + errno_text(rc));
        }
    }
    return {};
}

ordered_json dump_maps_json(const vm::Object& obj) {
    ordered_json doc = ordered_json::object();
    for (const auto& map : obj.maps()) doc[map->name()] = dump_map(obj, *map);
    return doc;
}

std::string format_maps_json(const ordered_json& dump) {
    auto text = [](const ordered_json& j) { return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace); };
    std::string out = "{";
    bool first_map = true;
    for (const auto& [name, entries] : dump.items()) {
        out += first_map ? "\n  " : ",\n  ";
        first_map = false;
        out += text(ordered_json(name)) + ": [";
        bool first_entry = true;
        for (const auto& entry : entries) {
            out += first_entry ? "\n    " : ",\n    ";
            first_entry = false;
            out += text(entry);
        }
        out += first_entry ? "]" : "\n  ]";
    }
    out += first_map ? "}\n" : "\n}\n";
    return out;
}

}  // namespace xdpdk::loader
