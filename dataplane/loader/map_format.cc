// Mirrors tools/bpf/bpftool/map.c: print_entry_json, print_entry_plain,
// do_dump_btf, print_entry_error and map_dump, over a vm::Map instead of a
// map fd.
#include "map_format.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>

#include "btf_dump.h"

namespace xdpdk::loader {

using json = nlohmann::ordered_json;

namespace {

uint32_t percpu_stride(const vm::Map& map) { return (map.spec().value_size + 7) & ~7u; }

// Up to `n` bytes from `off`: a caller's short buffer prints short rather
// than read past its end.
std::span<const uint8_t> part(std::span<const uint8_t> bytes, size_t off, size_t n = SIZE_MAX) {
    if (off >= bytes.size()) return {};
    return bytes.subspan(off, std::min(n, bytes.size() - off));
}

// print_hex_data_json(): ["0x0a", ...].
json hex_json(std::span<const uint8_t> bytes) {
    json out = json::array();
    char buf[8];
    for (uint8_t b : bytes) {
        std::snprintf(buf, sizeof buf, "0x%02x", b);
        out.push_back(buf);
    }
    return out;
}

// fprint_hex(): 8 bytes a group, 16 a line.
std::string hex_text(std::span<const uint8_t> bytes) {
    std::string out;
    char buf[4];
    for (size_t i = 0; i < bytes.size(); ++i) {
        if (i) out += i % 16 == 0 ? "\n" : i % 8 == 0 ? "  " : " ";
        std::snprintf(buf, sizeof buf, "%02x", bytes[i]);
        out += buf;
    }
    return out;
}

// do_dump_btf(): {"key": .., "value": ..} or, per CPU, {"key": .., "values": [..]}.
// A map whose BTF has no key type (global data) shows only its value.
void dump_btf_entry(const vm::Map& map, std::span<const uint8_t> key, std::span<const uint8_t> value, bool plain,
                    BtfSink& out) {
    const vm::MapBtf& b = map.btf();
    out.begin_object();
    bool ok = true;
    if (b.key_type_id) {
        out.name("key");
        ok = dump_btf_type(b.btf.get(), b.key_type_id, key, plain, out);
    }
    if (ok && !map.percpu()) {
        out.name("value");
        dump_btf_type(b.btf.get(), b.value_type_id, value, plain, out);
    } else if (ok) {
        out.name("values");
        out.begin_array();
        for (uint32_t cpu = 0; cpu < map.ncpus(); ++cpu) {
            out.begin_object();
            out.name("cpu");
            out.scalar(std::to_string(cpu), cpu);
            out.name("value");
            const size_t at = size_t{cpu} * percpu_stride(map);
            ok = dump_btf_type(b.btf.get(), b.value_type_id, part(value, at), plain, out);
            out.end_object();
            if (!ok) break;
        }
        out.end_array();
    }
    out.end_object();
}

// print_entry_plain(): a map without BTF.
std::string entry_plain(const vm::Map& map, std::span<const uint8_t> key, std::span<const uint8_t> value) {
    const uint32_t key_size = map.spec().key_size, value_size = map.spec().value_size;
    std::string out;
    if (!map.percpu()) {
        const bool break_names = key_size > 16 || value_size > 16;
        const bool single_line = key_size + value_size <= 24 && !break_names;
        if (key_size) out += std::string("key:") + (break_names ? '\n' : ' ') + hex_text(key) + (single_line ? "  " : "\n");
        if (value_size) out += std::string("value:") + (break_names ? '\n' : ' ') + hex_text(part(value, 0, value_size));
        return out + "\n";
    }
    if (key_size) out += "key:\n" + hex_text(key) + "\n";
    if (!value_size) return out;
    char label[32];
    for (uint32_t cpu = 0; cpu < map.ncpus(); ++cpu) {
        std::snprintf(label, sizeof label, "value (CPU %02u):%c", cpu, value_size > 16 ? '\n' : ' ');
        out += label + hex_text(part(value, size_t{cpu} * percpu_stride(map), value_size)) + "\n";
    }
    return out;
}

// print_entry_error(): a prog array's (or map of maps') empty slot is no
// error, just absent.
bool silent_error(const vm::Map& map, long err) {
    return err == -ENOENT && (map.type() == vm::MapType::ProgArray || vm::is_map_of_maps(map.spec().type));
}

std::string entry_error_text(const vm::Map& map, std::span<const uint8_t> key, long err) {
    const std::string msg = err == -ENOENT ? "<no entry>" : std::strerror(static_cast<int>(-err));
    const uint32_t key_size = map.spec().key_size;
    const bool break_names = key_size > 16 || msg.size() > 16;
    const bool single_line = key_size + msg.size() <= 24 && !break_names;
    return std::string("key:") + (break_names ? '\n' : ' ') + hex_text(key) + (single_line ? "  " : "\n") + "value:" +
           (break_names ? '\n' : ' ') + msg + "\n";
}

// map_dump()'s walk: next key, then its lookup (0 or -errno).
void for_each_elem(const vm::Map& map,
                   const std::function<void(std::span<const uint8_t>, std::span<const uint8_t>, long)>& fn) {
    std::vector<uint8_t> key(map.spec().key_size), next(key.size()), value(map.user_value_size());
    bool first = true;
    while (map.next_key(first ? nullptr : key.data(), next.data()) == 0) {
        first = false;
        key.swap(next);
        fn(key, value, map.user_lookup(key.data(), value.data()));
    }
}

}  // namespace

json map_entry_json(const vm::Map& map, std::span<const uint8_t> key, std::span<const uint8_t> value) {
    json out = json::object();
    out["key"] = hex_json(key);
    if (!map.percpu()) {
        out["value"] = hex_json(part(value, 0, map.spec().value_size));
        // As later bpftool releases add it (7.1 prints the value only).
        if (vm::is_map_of_maps(map.spec().type) && value.size() >= sizeof(uint32_t)) {
            uint32_t id;
            std::memcpy(&id, value.data(), sizeof id);
            out["inner_map_id"] = id;
        }
    } else {
        json values = json::array();
        for (uint32_t cpu = 0; cpu < map.ncpus(); ++cpu)
            values.push_back({{"cpu", cpu},
                              {"value", hex_json(part(value, size_t{cpu} * percpu_stride(map), map.spec().value_size))}});
        out["values"] = std::move(values);
    }
    if (map.btf()) {
        JsonSink sink;
        dump_btf_entry(map, key, value, false, sink);
        out["formatted"] = sink.take();
    }
    return out;
}

json map_dump_json(const vm::Map& map) {
    json out = json::array();
    for_each_elem(map, [&](std::span<const uint8_t> key, std::span<const uint8_t> value, long err) {
        if (!err) out.push_back(map_entry_json(map, key, value));
        else if (!silent_error(map, err))
            out.push_back({{"key", hex_json(key)}, {"value", {{"error", std::strerror(static_cast<int>(-err))}}}});
    });
    return out;
}

std::string map_entry_text(const vm::Map& map, std::span<const uint8_t> key, std::span<const uint8_t> value) {
    if (!map.btf()) return entry_plain(map, key, value);
    std::string out;
    TextSink sink(out);
    dump_btf_entry(map, key, value, true, sink);
    sink.finish();
    return out;
}

std::string map_dump_text(const vm::Map& map) {
    std::string out;
    if (map.btf()) {
        // One pretty JSON array, no count; an error line lands inside it, as
        // bpftool prints it.
        TextSink sink(out);
        sink.begin_array();
        for_each_elem(map, [&](std::span<const uint8_t> key, std::span<const uint8_t> value, long err) {
            if (!err) dump_btf_entry(map, key, value, true, sink);
            else if (!silent_error(map, err)) out += entry_error_text(map, key, err);
        });
        sink.end_array();
        sink.finish();
        return out;
    }
    unsigned found = 0;
    for_each_elem(map, [&](std::span<const uint8_t> key, std::span<const uint8_t> value, long err) {
        if (!err) {
            out += entry_plain(map, key, value);
            ++found;
        } else if (!silent_error(map, err)) {
            out += entry_error_text(map, key, err);
        }
    });
    return out + "Found " + std::to_string(found) + " element" + (found != 1 ? "s" : "") + "\n";
}

Result<std::vector<uint8_t>> parse_bytes_arg(std::span<const std::string> words, size_t size, const std::string& what) {
    int base = 0;
    // bpftool takes any prefix of "hex" (is_prefix()); none is a number.
    if (!words.empty() && !words[0].empty() && std::string_view("hex").starts_with(words[0])) {
        base = 16;
        words = words.subspan(1);
    }
    std::vector<uint8_t> bytes;
    for (const std::string& w : words) {
        // strtoul() would also take leading blanks and a sign.
        const bool digit = !w.empty() && (base == 16 ? std::isxdigit(static_cast<unsigned char>(w[0]))
                                                     : std::isdigit(static_cast<unsigned char>(w[0])));
        char* end = nullptr;
        errno = 0;
        const unsigned long v = digit ? std::strtoul(w.c_str(), &end, base) : 0;
        if (!digit || *end) return make_error(what, "cannot parse byte '" + w + "'" + (base == 16 ? " as hex" : ""));
        if (errno == ERANGE || v > 255) return make_error(what, "byte '" + w + "' is larger than 255");
        bytes.push_back(static_cast<uint8_t>(v));
    }
    if (bytes.size() != size)
        return make_error(what, "expected " + std::to_string(size) + " bytes, got " + std::to_string(bytes.size()));
    return bytes;
}

Result<ElemArgs> split_elem_args(std::span<const std::string> argv) {
    ElemArgs out;
    std::vector<std::string>* words = nullptr;
    for (const std::string& w : argv) {
        if (w == "key" || w == "value") {
            auto& part = w == "key" ? out.key : out.value;
            if (part) return make_error(w, "given twice");
            words = &part.emplace();
        } else if (w == "any" || w == "noexist" || w == "exist") {
            if (out.flags) return make_error(w, "update flags given twice");
            out.flags = w == "any" ? vm::kAny : w == "noexist" ? vm::kNoExist : vm::kExist;
            words = nullptr;
        } else if (!words) {
            return make_error("argument '" + w + "'", "expected key, value, any, noexist or exist");
        } else {
            words->push_back(w);
        }
    }
    return out;
}

}  // namespace xdpdk::loader
