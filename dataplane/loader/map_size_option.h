// --map-size NAME=N: a map's max_entries set before load, as a program's own
// loader does with bpf_map__set_max_entries (maps declared with
// max_entries 0 need it).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "vm/error.h"

namespace xdpdk::loader {

using MapSizes = std::vector<std::pair<std::string, uint32_t>>;

Result<MapSizes> parse_map_sizes(const std::vector<std::string>& args);

}  // namespace xdpdk::loader
