#include "map_access.h"

#include <string>

namespace xdpdk::bench::native {

Result<vm::Map*> find_typed_map(vm::Object& obj, std::string_view name, vm::MapType type) {
    vm::Map* map = obj.find_map(name);
    const std::string subject = "map '" + std::string(name) + "'";
    if (map == nullptr) return make_error(subject, "not in object '" + obj.name() + "'");
    if (map->type() != type)
        return make_error(subject, std::string("is a ") + vm::map_type_name(map->spec().type) + ", expected " +
                                       vm::map_type_name(static_cast<uint32_t>(type)));
    return map;
}

Result<ArrayValues> find_array(vm::Object& obj, std::string_view name, uint32_t value_size) {
    vm::Map* map = obj.find_map(name);
    const std::string subject = "map '" + std::string(name) + "'";
    if (map == nullptr) return make_error(subject, "not in object '" + obj.name() + "'");
    if (map->value_base() == nullptr) return make_error(subject, "is not an array");
    if (map->spec().value_size != value_size)
        return make_error(subject, "value is " + std::to_string(map->spec().value_size) + " bytes, expected " +
                                       std::to_string(value_size));
    ArrayValues out;
    out.base = map->value_base();
    out.value_stride = (uint64_t{value_size} + 7) & ~uint64_t{7};
    out.cpu_stride = map->value_cpu_stride();
    out.max_entries = map->spec().max_entries;
    return out;
}

Result<uint8_t*> find_global(vm::Object& obj, std::string_view name, uint32_t size) {
    for (const auto& g : obj.globals()) {
        if (g.name != name) continue;
        if (g.size != size)
            return make_error("global '" + g.name + "'",
                              "is " + std::to_string(g.size) + " bytes, expected " + std::to_string(size));
        if (g.map->value_base() == nullptr) return make_error("global '" + g.name + "'", "its map has no value memory");
        return g.map->value_base() + g.offset;
    }
    return make_error("global '" + std::string(name) + "'", "not in object '" + obj.name() + "'");
}

}  // namespace xdpdk::bench::native
