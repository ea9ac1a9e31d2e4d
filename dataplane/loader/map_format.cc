#include "map_format.h"
namespace xdpdk::loader {
nlohmann::ordered_json map_dump_json(const vm::Map&) { return nlohmann::ordered_json::array(); }
std::string map_dump_text(const vm::Map&) { return ""; }
}  // namespace xdpdk::loader
namespace xdpdk::loader {
Result<std::vector<uint8_t>> parse_bytes_arg(std::span<const std::string> words, size_t size, const std::string& what) {
    std::vector<uint8_t> out;
    size_t i = 0; int base = 0;
    if (!words.empty() && words[0] == "hex") { base = 16; i = 1; }
    for (; i < words.size(); ++i) out.push_back(static_cast<uint8_t>(std::stoul(words[i], nullptr, base)));
    if (out.size() != size) return make_error(what, "expected " + std::to_string(size) + " bytes, got " + std::to_string(out.size()));
    return out;
}
}
