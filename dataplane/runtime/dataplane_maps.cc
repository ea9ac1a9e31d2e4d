// Maps of a running dataplane, by name or id: listing, bpftool-style dumps,
// and user-side lookup, update and delete with bpf()'s semantics.
#include <algorithm>
#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "dataplane/loader/map_format.h"
#include "dataplane/loader/maps_json.h"
#include "dataplane_impl.h"
#include "dataplane/loader/spec_source.h"
#include "vm/maps/xskmap.h"

namespace xdpdk {

namespace {

std::string errno_reason(long rc) { return std::strerror(static_cast<int>(-rc)); }

Status check_key(const vm::Map& m, const std::vector<uint8_t>& key) {
    if (key.size() == m.spec().key_size) return {};
    return make_error("map '" + m.name() + "'", "key is " + std::to_string(key.size()) + " bytes, the map's keys are " +
                                                    std::to_string(m.spec().key_size));
}

}  // namespace

// "NAME", or "id N" for one map among several of one name (two objects that
// are not pinned each have their own "counters").
Result<std::shared_ptr<vm::Map>> Dataplane::Impl::find_map(const std::string& ref) const {
    const std::vector<std::shared_ptr<vm::Map>> all = all_maps();
    if (ref.rfind("id ", 0) == 0) {
        const std::string digits = ref.substr(3);
        for (const auto& m : all)
            if (std::to_string(map_id(m.get())) == digits) return m;
        return make_error("map " + ref, "no map has this id (`map list` shows them)");
    }
    if (ref.rfind("pinned ", 0) == 0) {
        const std::string path = ref.substr(7);
        for (const auto& [name, m] : pinned)
            if (options.pin_dir + "/" + name == path) return m;
        return make_error("map pinned at " + path, options.pin_dir.empty()
                                                       ? std::string("no map is pinned (run --pin DIR pins them)")
                                                       : "no map is pinned there (`map list` shows the pins)");
    }
    std::vector<std::shared_ptr<vm::Map>> named;
    for (const auto& m : all)
        if (m->name() == ref) named.push_back(m);
    if (named.empty()) {
        std::string names;
        for (const auto& m : all) names += (names.empty() ? "" : ", ") + m->name();
        return make_error("map '" + ref + "'", "no attached program has it (maps: " +
                                                   (names.empty() ? std::string("none") : names) + ")");
    }
    if (named.size() > 1) {
        std::string ids;
        for (const auto& m : named) ids += (ids.empty() ? "" : ", ") + std::to_string(map_id(m.get()));
        return make_error("map '" + ref + "'", "is ambiguous: maps " + ids + " have this name; name one as 'id N'");
    }
    return named.front();
}

std::vector<MapInfo> Dataplane::maps() const {
    std::lock_guard lock(impl_->mu);
    std::vector<MapInfo> out;
    auto add = [&](const vm::Map& m) {
        const uint32_t id = impl_->map_id(&m);
        for (const MapInfo& i : out)
            if (i.id == id) return;
        MapInfo i;
        i.id = id;
        i.name = m.name();
        i.type = vm::map_type_name(m.spec().type);
        i.key_size = m.spec().key_size;
        i.value_size = m.spec().value_size;
        i.max_entries = m.spec().max_entries;
        i.flags = m.spec().flags;
        i.user_value_size = m.user_value_size();
        if (impl_->pinned.count(m.name()) && impl_->pinned.at(m.name()).get() == &m)
            i.pinned = impl_->options.pin_dir + "/" + m.name();
        for (const auto& [port, a] : impl_->attached)
            for (const auto& om : a.object->maps())
                if (om.get() == &m && std::find(i.program_ids.begin(), i.program_ids.end(), a.id) == i.program_ids.end())
                    i.program_ids.push_back(a.id);
        out.push_back(std::move(i));
    };
    for (const auto& m : impl_->all_maps()) add(*m);
    std::sort(out.begin(), out.end(), [](const MapInfo& a, const MapInfo& b) { return a.id < b.id; });
    return out;
}

Result<MapInfo> Dataplane::map_info(const std::string& map) const {
    uint32_t id = 0;
    {
        std::lock_guard lock(impl_->mu);
        XDPDK_ASSIGN_OR_RETURN(std::shared_ptr<vm::Map> m, impl_->find_map(map));
        id = impl_->map_id(m.get());
    }
    for (MapInfo& i : maps())
        if (i.id == id) return i;
    return make_error("map '" + map + "'", "no longer in use");
}

std::vector<std::shared_ptr<vm::Map>> Dataplane::Impl::event_maps() const {
    // all_maps: the objects' maps, the pinned ones, and those inside maps
    // of maps, where a program may write events too.
    std::vector<std::shared_ptr<vm::Map>> out;
    for (const auto& m : all_maps())
        if (m->is_event_map()) out.push_back(m);
    return out;
}

Result<std::function<std::vector<std::string>()>> Dataplane::follow_events(const std::string& map) {
    const vm::Map* m = nullptr;
    {
        std::lock_guard lock(impl_->mu);
        XDPDK_ASSIGN_OR_RETURN(std::shared_ptr<vm::Map> found, impl_->find_map(map));
        if (!found->is_event_map())
            return make_error("map '" + found->name() + "'",
                              std::string("is of type ") + vm::map_type_name(found->spec().type) +
                                  "; events come from ringbuf and perf_event_array maps");
        m = found.get();
    }
    return impl_->events->follow(m);
}

Result<std::string> Dataplane::map_dump(const std::string& map, bool json) const {
    std::lock_guard lock(impl_->mu);
    XDPDK_ASSIGN_OR_RETURN(std::shared_ptr<vm::Map> m, impl_->find_map(map));
    if (json) return loader::map_dump_json(*m).dump();
    return loader::map_dump_text(*m);
}

// One lookup under the caller's lock: the map found and the bytes read belong together.
Result<std::pair<std::shared_ptr<vm::Map>, std::vector<uint8_t>>> Dataplane::Impl::lookup(
    const std::string& ref, const std::vector<uint8_t>& key) const {
    XDPDK_ASSIGN_OR_RETURN(std::shared_ptr<vm::Map> m, find_map(ref));
    const std::string subject = "map '" + m->name() + "'";
    XDPDK_RETURN_IF_ERROR(check_key(*m, key));
    std::vector<uint8_t> value(m->user_value_size());
    const long rc = m->user_lookup(key.data(), value.data());
    if (rc != 0) return make_error(subject, "lookup: " + errno_reason(rc));
    return std::pair{m, std::move(value)};
}

Result<std::vector<uint8_t>> Dataplane::map_lookup(const std::string& map, const std::vector<uint8_t>& key) const {
    std::lock_guard lock(impl_->mu);
    XDPDK_ASSIGN_OR_RETURN(auto found, impl_->lookup(map, key));
    return std::move(found.second);
}

Result<std::string> Dataplane::map_lookup_formatted(const std::string& map, const std::vector<uint8_t>& key,
                                                    bool json) const {
    std::lock_guard lock(impl_->mu);
    XDPDK_ASSIGN_OR_RETURN(auto found, impl_->lookup(map, key));
    if (json) return loader::map_entry_json(*found.first, key, found.second).dump();
    return loader::map_entry_text(*found.first, key, found.second);
}

Status Dataplane::map_update(const std::string& map, const std::vector<uint8_t>& key,
                             const std::vector<uint8_t>& value, uint64_t flags) {
    std::lock_guard lock(impl_->mu);
    XDPDK_ASSIGN_OR_RETURN(std::shared_ptr<vm::Map> m, impl_->find_map(map));
    const std::string subject = "map '" + m->name() + "'";
    XDPDK_RETURN_IF_ERROR(check_key(*m, key));
    if (value.size() != m->user_value_size())
        return make_error(subject, "value is " + std::to_string(value.size()) + " bytes, the map's values are " +
                                       std::to_string(m->user_value_size()));
    const long rc = m->user_update(key.data(), value.data(), flags);
    if (rc != 0 && m->inner_template()) {
        // A map of maps: say which map the id named and why it does not fit.
        uint32_t id;
        std::memcpy(&id, value.data(), sizeof id);
        const std::shared_ptr<vm::Map> inner = vm::find_map_by_id(id);
        std::string why;
        if (!inner) why = "no map has id " + std::to_string(id);
        else if (!vm::inner_map_fits(*m->inner_template(), *inner, &why)) why = "map '" + inner->name() + "': " + why;
        if (!why.empty()) return make_error(subject, "update: " + errno_reason(rc) + " (" + why + ")");
    }
    if (rc != 0) return make_error(subject, "update: " + errno_reason(rc));
    return {};
}

Status Dataplane::map_delete(const std::string& map, const std::vector<uint8_t>& key) {
    std::lock_guard lock(impl_->mu);
    XDPDK_ASSIGN_OR_RETURN(std::shared_ptr<vm::Map> m, impl_->find_map(map));
    const std::string subject = "map '" + m->name() + "'";
    XDPDK_RETURN_IF_ERROR(check_key(*m, key));
    const long rc = m->user_delete(key.data());
    if (rc != 0) return make_error(subject, "delete: " + errno_reason(rc));
    return {};
}

std::string Dataplane::maps_snapshot_json() const {
    std::lock_guard lock(impl_->mu);
    std::vector<std::pair<std::string, const vm::Object*>> objects;
    for (const auto& [port, a] : impl_->attached) {
        bool seen = false;
        for (const auto& o : objects) seen |= o.second == a.object.get();
        if (!seen) objects.emplace_back(loader::program_label(a.spec), a.object.get());
    }
    if (objects.size() == 1) return loader::format_maps_json(loader::dump_maps_json(*objects.front().second));
    nlohmann::ordered_json all = nlohmann::ordered_json::object();
    for (const auto& [path, obj] : objects) all[path] = loader::dump_maps_json(*obj);
    return all.dump(1) + "\n";
}

Status Dataplane::bind_xsk(const std::string& map, uint32_t slot, uint16_t port) {
    std::lock_guard lock(impl_->mu);
    XDPDK_ASSIGN_OR_RETURN(std::shared_ptr<vm::Map> m, impl_->find_map(map));
    const std::string subject = "map '" + m->name() + "'";
    if (m->type() != vm::MapType::Xskmap)
        return make_error(subject, std::string("is a ") + vm::map_type_name(m->spec().type) + " map, not an xskmap");
    if (slot >= m->spec().max_entries)
        return make_error(subject, "slot " + std::to_string(slot) + " is beyond max_entries " +
                                       std::to_string(m->spec().max_entries));
    XDPDK_RETURN_IF_ERROR(impl_->check_added(port, "port " + std::to_string(port)));
    uint32_t ifindex = 0;
    for (const Impl::Port& p : impl_->ports)
        if (p.id == port) ifindex = p.options.ifindex;
    (void)static_cast<vm::maps::Xskmap&>(*m).bind_port(slot, ifindex);
    return {};
}

}  // namespace xdpdk
