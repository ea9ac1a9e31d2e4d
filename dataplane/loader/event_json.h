// Records of event maps (ring buffers, perf event arrays) as the JSON lines
// `xdpdk replay --events`, `xdpdk run --events` and `xdpdk ctl map events`
// write: one object per record, {"map", "cpu", "bytes": hex, "value"}, with
// "value" the record formatted through BTF (as bpftool -j formats a map
// value) where the object gives the map a value type of the record's size;
// and one {"map", "lost"} per map at the end, the records dropped because
// nobody read the ring in time.
#pragma once

#include <cstdint>
#include <span>

#include <nlohmann/json.hpp>

#include "vm/map.h"

namespace xdpdk::loader {

nlohmann::ordered_json event_record_json(const vm::Map& map, uint32_t cpu, std::span<const uint8_t> record);
nlohmann::ordered_json event_lost_json(const vm::Map& map);

}  // namespace xdpdk::loader
