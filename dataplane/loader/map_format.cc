#include "map_format.h"
namespace xdpdk::loader {
nlohmann::ordered_json map_dump_json(const vm::Map&) { return nlohmann::ordered_json::array(); }
std::string map_dump_text(const vm::Map&) { return ""; }
}  // namespace xdpdk::loader
