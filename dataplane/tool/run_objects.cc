#include "run_objects.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "dataplane/loader/spec_source.h"
#include "vm/object.h"

namespace xdpdk::cli {

namespace {

std::string name_before_equals(const std::string& arg) { return arg.substr(0, arg.find('=')); }

bool has_global(const vm::Object& obj, const std::string& name) {
    for (const vm::GlobalVar& g : obj.globals())
        if (g.name == name) return true;
    return false;
}

Result<std::string> read_file(const std::string& path, const std::string& subject) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(subject, std::string("cannot open: ") + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

Result<std::vector<PlannedObject>> plan_objects(const RunConfig& config) {
    std::vector<PlannedObject> planned;
    vm::cbpf::Verdicts verdicts;
    if (!config.filter_action.empty()) {
        XDPDK_ASSIGN_OR_RETURN(verdicts, loader::parse_filter_action(config.filter_action));
    }
    for (const AttachSpec& a : config.attach) {
        if (a.filter) {
            // Each filter its own object: it has no maps to share.
            PlannedObject p;
            loader::FilterSource f = *a.filter;
            f.verdicts = verdicts;
            loader::set_filter(p.spec, f);
            p.label = loader::ProgramSource{"", a.filter}.label();
            p.ports.push_back(a.port);
            p.programs.push_back("");
            planned.push_back(std::move(p));
            continue;
        }
        auto it = std::find_if(planned.begin(), planned.end(), [&](const PlannedObject& p) {
            return !loader::names_filter(p.spec) && p.spec.object_path == a.object_path;
        });
        if (it == planned.end()) {
            PlannedObject p;
            p.spec.object_path = a.object_path;
            p.label = a.object_path;
            p.spec.program = a.program_name;
            planned.push_back(std::move(p));
            it = planned.end() - 1;
        } else {
            it->spec.also_load.push_back(a.program_name);
        }
        it->ports.push_back(a.port);
        it->programs.push_back(a.program_name);
    }
    std::string maps_text;
    const std::string maps_source = "maps-in '" + config.maps_in + "'";
    if (!config.maps_in.empty()) {
        XDPDK_ASSIGN_OR_RETURN(maps_text, read_file(config.maps_in, maps_source));
    }
    for (PlannedObject& p : planned) p.spec.target_btf = config.target_btf;
    if (planned.size() == 1 && !loader::names_filter(planned[0].spec)) {
        planned[0].spec.globals = config.sets;
        planned[0].spec.map_sizes = config.map_sizes;
        planned[0].spec.maps_json = maps_text;
        planned[0].spec.maps_json_source = maps_source;
        return planned;
    }
    nlohmann::json maps_in;
    if (!maps_text.empty()) {
        maps_in = nlohmann::json::parse(maps_text, nullptr, false);
        if (!maps_in.is_object()) return make_error(maps_source, "expected a JSON object of maps");
    }
    std::vector<bool> set_used(config.sets.size()), size_used(config.map_sizes.size());
    std::set<std::string> maps_used;
    for (PlannedObject& p : planned) {
        if (loader::names_filter(p.spec)) continue;  // no globals, no maps
        // Opened only to see which globals and maps it has; the dataplane
        // loads it for real.
        vm::ObjectOptions look;
        look.listing = true;
        XDPDK_ASSIGN_OR_RETURN(auto obj, vm::Object::open(p.spec.object_path, look));
        for (size_t i = 0; i < config.sets.size(); ++i)
            if (has_global(*obj, name_before_equals(config.sets[i]))) {
                p.spec.globals.push_back(config.sets[i]);
                set_used[i] = true;
            }
        for (size_t i = 0; i < config.map_sizes.size(); ++i)
            if (obj->find_map(name_before_equals(config.map_sizes[i])) != nullptr) {
                p.spec.map_sizes.push_back(config.map_sizes[i]);
                size_used[i] = true;
            }
        if (maps_in.is_object()) {
            nlohmann::json own = nlohmann::json::object();
            for (const auto& [name, entries] : maps_in.items()) {
                if (obj->find_map(name) == nullptr) continue;
                own[name] = entries;
                maps_used.insert(name);
            }
            p.spec.maps_json = own.dump();
            p.spec.maps_json_source = maps_source;
        }
    }
    for (size_t i = 0; i < config.map_sizes.size(); ++i)
        if (!size_used[i])
            return make_error("--map-size " + config.map_sizes[i],
                              "no attached object has a map '" + name_before_equals(config.map_sizes[i]) + "'");
    for (size_t i = 0; i < config.sets.size(); ++i)
        if (!set_used[i])
            return make_error("--set '" + config.sets[i] + "'",
                              "no attached object has a global variable '" + name_before_equals(config.sets[i]) + "'");
    if (maps_in.is_object())
        for (const auto& [name, entries] : maps_in.items())
            if (!maps_used.count(name)) return make_error(maps_source, "no attached object has a map '" + name + "'");
    return planned;
}

}  // namespace xdpdk::cli
