// Seeds for fuzz_maps_json: for each object named, its maps with one entry
// put in every map that takes one, as `--maps-out` dumps them after load, so
// every entry shape the writer knows starts the corpus.
//
//   make_maps_json_seeds OUT_DIR OBJECT...
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "dataplane/loader/maps_json.h"
#include "vm/object.h"

using namespace xdpdk;

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: make_maps_json_seeds OUT_DIR OBJECT...\n");
        return 2;
    }
    const std::filesystem::path out = argv[1];
    std::filesystem::remove_all(out);
    std::filesystem::create_directories(out);
    for (int i = 2; i < argc; ++i) {
        vm::ObjectOptions opts;
        opts.ncpus = 2;  // as the target opens them
        opts.engine = vm::EngineKind::Interp;
        auto obj = vm::Object::open(argv[i], opts);
        if (!obj) {
            std::fprintf(stderr, "make_maps_json_seeds: %s\n", obj.error().str().c_str());
            return 1;
        }
        // Key 01 00 .. is index 1 of an array, a /1 prefix of an LPM trie and
        // an ordinary key elsewhere; maps that refuse it (maps of maps, prog
        // arrays) keep what load() puts there.
        for (const auto& map : (*obj)->maps()) {
            std::vector<uint8_t> key(map->spec().key_size, 0), value(map->user_value_size(), 0x11);
            if (!key.empty()) key[0] = 1;
            if (map->inner_template() || map->type() == vm::MapType::ProgArray) continue;
            (void)map->user_update(key.empty() ? nullptr : key.data(), value.data(), vm::kAny);
        }
        if (Status st = (*obj)->load(); !st) {
            std::fprintf(stderr, "make_maps_json_seeds: %s\n", st.error().str().c_str());
            return 1;
        }
        const std::string name = std::filesystem::path(argv[i]).stem().string() + ".json";
        std::ofstream(out / name) << loader::format_maps_json(loader::dump_maps_json(**obj));
    }
    return 0;
}
