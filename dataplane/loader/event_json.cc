#include "event_json.h"

#include "maps_json.h"

namespace xdpdk::loader {

nlohmann::ordered_json event_record_json(const vm::Map& map, uint32_t cpu, std::span<const uint8_t> record) {
    nlohmann::ordered_json j;
    j["map"] = map.name();
    j["cpu"] = cpu;
    j["bytes"] = to_hex(record);
    return j;
}

nlohmann::ordered_json event_lost_json(const vm::Map& map) {
    nlohmann::ordered_json j;
    j["map"] = map.name();
    j["lost"] = map.events_lost();
    return j;
}

}  // namespace xdpdk::loader
