// libFuzzer target: arbitrary bytes as the JSON of `--maps-in`
// (dataplane/loader/maps_json.h), checked against built objects whose maps
// cover the types a maps file can fill: hash, array, per-CPU array and hash,
// LRU hash, LPM trie, devmap and prog array (loader_btf_maps); array and hash
// of maps (map_in_map); queue and stack (map_queue_stack). The objects' paths
// come from the build (XDPDK_FUZZ_MAPS_OBJECTS).
//
// Each document is parsed against every object. Besides crashes, sanitizer
// reports and leaks, the target stops when:
//   - a refusal (parse, or applying the entries) is not one line with a subject;
//   - an accepted document, applied to a fresh copy of the object and dumped
//     with the --maps-out writer, does not read back: the dump must be
//     accepted and applied to another fresh copy, whose dump is the same
//     (inner maps' ids aside, which are new for every map created).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/loader/maps_json.h"
#include "fuzz/fuzz_check.h"
#include "vm/object.h"

using namespace xdpdk;

namespace {

// Two CPU slots, so per-CPU maps take a list of more than one value.
vm::ObjectOptions options() {
    vm::ObjectOptions o;
    o.ncpus = 2;
    o.engine = vm::EngineKind::Interp;
    return o;
}

std::unique_ptr<vm::Object> open_object(const std::string& path) {
    auto obj = vm::Object::open(path, options());
    if (!obj) fuzz::fail("cannot open the fuzz target's object", obj.error().str());
    return std::move(obj).value();
}

std::vector<std::string> object_paths() {
    std::vector<std::string> paths;
    std::string_view all = XDPDK_FUZZ_MAPS_OBJECTS;
    while (!all.empty()) {
        const size_t colon = all.find(':');
        paths.emplace_back(all.substr(0, colon));
        all = colon == std::string_view::npos ? std::string_view() : all.substr(colon + 1);
    }
    return paths;
}

// A fresh copy of the object at `path` with `text` applied as replay and run
// apply it: data entries before load, prog-array entries after. False (the
// refusal checked) when the entries cannot be applied.
std::unique_ptr<vm::Object> apply(const std::string& path, std::string_view text, const char* what) {
    auto obj = open_object(path);
    auto input = loader::parse_maps_json(*obj, text, "maps-in 'fuzz.json'");
    if (!input) fuzz::fail(what, "refused on a fresh object: " + input.error().str());
    if (Status st = loader::apply_map_values(*input); !st) {
        fuzz::check_one_line_error(st.error());
        return nullptr;
    }
    if (Status st = obj->load(); !st) fuzz::fail("object does not load", st.error().str());
    if (Status st = loader::apply_prog_entries(*obj, *input); !st) {
        fuzz::check_one_line_error(st.error());
        return nullptr;
    }
    return obj;
}

// The dump without the ids of created inner maps, which differ per map.
void drop_inner_ids(nlohmann::ordered_json& j) {
    if (j.is_object()) {
        if (auto inner = j.find("inner"); inner != j.end() && inner->is_object()) inner->erase("id");
        for (auto& [_, v] : j.items()) drop_inner_ids(v);
    } else if (j.is_array()) {
        for (auto& v : j) drop_inner_ids(v);
    }
}

std::string comparable(const vm::Object& obj) {
    auto dump = loader::dump_maps_json(obj);
    drop_inner_ids(dump);
    return loader::format_maps_json(dump);
}

struct Target {
    std::string path;
    std::unique_ptr<vm::Object> probe;  // parses only; never filled
};
std::vector<Target>* targets;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    targets = new std::vector<Target>;
    for (const std::string& path : object_paths()) targets->push_back({path, open_object(path)});
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    // XDPDK_FUZZ_VERBOSE=1: say which object took the document (seed checks).
    static const bool verbose = std::getenv("XDPDK_FUZZ_VERBOSE") != nullptr;
    for (const Target& t : *targets) {
        auto parsed = loader::parse_maps_json(*t.probe, text, "maps-in 'fuzz.json'");
        if (!parsed) {
            fuzz::check_one_line_error(parsed.error());
            if (verbose) std::fprintf(stderr, "  %s: %s\n", t.path.c_str(), parsed.error().str().c_str());
            continue;
        }
        if (verbose) std::fprintf(stderr, "  %s: accepted, %zu entries\n", t.path.c_str(), parsed->entries.size());
        auto first = apply(t.path, text, "accepted document");
        if (!first) continue;
        const std::string dump = loader::format_maps_json(loader::dump_maps_json(*first));
        auto second = apply(t.path, dump, "the dump of an accepted document");
        if (!second) fuzz::fail("the dump of an accepted document cannot be applied", dump);
        const std::string a = comparable(*first), b = comparable(*second);
        if (a != b) fuzz::fail("the dump reads back different", a + "\n--- read back as ---\n" + b);
    }
    return 0;
}
