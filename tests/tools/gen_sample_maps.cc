// Writes a sample scenario's map setup (tests/tools/sample_scenarios.cc) as a
// maps JSON file for `--maps-in` / `maps_in`, so that configs/ and the
// dataplane benchmark run a sample exactly as the differential tests set it up.
// Usage: gen_sample_maps SCENARIO OUTPUT.json   (e.g. load_balancer)
#include <cstdio>
#include <fstream>
#include <string>

#include "dataplane/loader/maps_json.h"
#include "sample_scenarios.h"

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s SCENARIO OUTPUT.json\n", argv[0]);
        return 2;
    }
    const std::string name = argv[1], path = argv[2];
    for (const auto& scenario : xdpdk::test::sample_scenarios(0)) {
        if (scenario.name != name) continue;
        if (!scenario.globals.empty()) {
            std::fprintf(stderr, "gen_sample_maps: scenario '%s' sets globals; give them with --set\n", name.c_str());
            return 1;
        }
        nlohmann::ordered_json dump = nlohmann::ordered_json::object();
        for (const auto& e : scenario.entries) {
            dump[e.map].push_back(nlohmann::ordered_json{{"key", xdpdk::loader::to_hex(e.key)},
                                                         {"value", xdpdk::loader::to_hex(e.value)}});
        }
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << xdpdk::loader::format_maps_json(dump);
        if (!out.flush()) {
            std::fprintf(stderr, "gen_sample_maps: cannot write '%s'\n", path.c_str());
            return 1;
        }
        std::printf("%s: %zu entries of scenario %s\n", path.c_str(), scenario.entries.size(), name.c_str());
        return 0;
    }
    std::fprintf(stderr, "gen_sample_maps: no scenario '%s'\n", name.c_str());
    return 1;
}
