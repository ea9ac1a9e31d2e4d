// Records of event maps (ring buffers, perf event arrays) as the JSON lines
// `xdpdk replay --events`, `xdpdk run --events` and `xdpdk ctl map events`
// write: one object per record, {"map", "cpu", "bytes": hex}, and
// {"map", "lost"}: the records dropped because nobody read the ring in time.
// No BTF "value": an event map's BTF never describes its records (a ring
// buffer has no value type, a perf event array's is the event's fd), and
// clang emits no BTF for a record struct the program only uses locally.
#pragma once

#include <cstdint>
#include <span>

#include <nlohmann/json.hpp>

#include "vm/map.h"

namespace xdpdk::loader {

nlohmann::ordered_json event_record_json(const vm::Map& map, uint32_t cpu, std::span<const uint8_t> record);
nlohmann::ordered_json event_lost_json(const vm::Map& map);

}  // namespace xdpdk::loader
