// PLACEHOLDER until the bpftool-format branch is merged.
#pragma once
#include <string>
#include <nlohmann/json.hpp>
#include "vm/map.h"
namespace xdpdk::loader {
nlohmann::ordered_json map_dump_json(const vm::Map& map);
std::string map_dump_text(const vm::Map& map);
}  // namespace xdpdk::loader
#include <span>
#include <vector>
#include "vm/error.h"
namespace xdpdk::loader {
Result<std::vector<uint8_t>> parse_bytes_arg(std::span<const std::string> words, size_t size, const std::string& what);
}
