#include "dp_objects.h"

#include <algorithm>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>

#include "global_set.h"
#include "map_size_option.h"
#include "maps_json.h"
#include "object_setup.h"

namespace xdpdk::dataplane {

namespace {

std::string global_name(const std::string& set_arg) { return set_arg.substr(0, set_arg.find('=')); }

bool has_global(const vm::Object& obj, const std::string& name) {
    for (const vm::GlobalVar& g : obj.globals())
        if (g.name == name) return true;
    return false;
}

// With several objects, each takes the --set options and --maps-in maps it
// has; one that no object has is an error. The same pipeline as
// cli::open_prepared_object otherwise.
Result<std::unique_ptr<vm::Object>> open_shared_setup(const std::string& path, const vm::ObjectOptions& options,
                                                      const std::vector<std::string>& sets,
                                                      const nlohmann::json& maps_in, const std::string& maps_source,
                                                      std::vector<bool>& set_used, std::set<std::string>& maps_used,
                                                      const std::vector<std::string>& programs) {
    XDPDK_ASSIGN_OR_RETURN(auto obj, vm::Object::open(path, options));
    std::vector<std::string> own_sets;
    for (size_t i = 0; i < sets.size(); ++i) {
        if (!has_global(*obj, global_name(sets[i]))) continue;
        own_sets.push_back(sets[i]);
        set_used[i] = true;
    }
    XDPDK_RETURN_IF_ERROR(cli::apply_global_assignments(*obj, own_sets));
    cli::MapsInput input;
    if (!maps_in.is_null()) {
        nlohmann::json own = nlohmann::json::object();
        for (const auto& [name, entries] : maps_in.items()) {
            if (obj->find_map(name) == nullptr) continue;
            own[name] = entries;
            maps_used.insert(name);
        }
        XDPDK_ASSIGN_OR_RETURN(input, cli::parse_maps_json(*obj, own.dump(), maps_source));
        XDPDK_RETURN_IF_ERROR(cli::apply_map_values(input));
    }
    XDPDK_RETURN_IF_ERROR(cli::choose_programs_to_load(*obj, programs, input));
    XDPDK_RETURN_IF_ERROR(obj->load());
    XDPDK_RETURN_IF_ERROR(cli::apply_prog_entries(*obj, input));
    return obj;
}

// The programs attached from `path` ("" for its first XDP program): only they
// are loaded, as xdp-loader loads only what it attaches.
std::vector<std::string> attached_programs(const RunConfig& config, const std::string& path) {
    std::vector<std::string> names;
    for (const AttachSpec& spec : config.attach)
        if (spec.object_path == path) names.push_back(spec.program_name);
    return names;
}

std::vector<std::string> distinct_objects(const RunConfig& config) {
    std::vector<std::string> paths;
    for (const AttachSpec& spec : config.attach)
        if (std::find(paths.begin(), paths.end(), spec.object_path) == paths.end()) paths.push_back(spec.object_path);
    return paths;
}

}  // namespace

Result<ObjectSet> ObjectSet::load(const RunConfig& config, uint32_t ncpus) {
    ObjectSet set;
    vm::ObjectOptions options;
    options.ncpus = ncpus;
    options.engine = config.engine;
    options.strict_verifier = config.strict_verifier;
    XDPDK_ASSIGN_OR_RETURN(options.map_sizes, cli::parse_map_sizes(config.map_sizes));
    const std::vector<std::string> paths = distinct_objects(config);
    options.map_sizes_may_miss = paths.size() > 1;
    if (paths.size() == 1) {
        // Exactly as replay: every --set and every map of --maps-in must exist.
        XDPDK_ASSIGN_OR_RETURN(auto obj, cli::open_prepared_object(paths[0], options, config.sets, config.maps_in,
                                                                   attached_programs(config, paths[0])));
        set.objects_.emplace_back(paths[0], std::shared_ptr<vm::Object>(std::move(obj)));
        return set;
    }
    const std::string maps_source = "maps-in '" + config.maps_in + "'";
    nlohmann::json maps_in;
    if (!config.maps_in.empty()) {
        std::ifstream in(config.maps_in, std::ios::binary);
        if (!in) return make_error(maps_source, std::string("cannot open: ") + std::strerror(errno));
        maps_in = nlohmann::json::parse(in, nullptr, false);
        if (!maps_in.is_object()) return make_error(maps_source, "expected a JSON object of maps");
    }
    std::vector<bool> set_used(config.sets.size(), false);
    std::set<std::string> maps_used;
    for (const std::string& path : paths) {
        XDPDK_ASSIGN_OR_RETURN(auto obj, open_shared_setup(path, options, config.sets, maps_in, maps_source, set_used,
                                                           maps_used, attached_programs(config, path)));
        set.objects_.emplace_back(path, std::shared_ptr<vm::Object>(std::move(obj)));
    }
    for (const auto& [name, size] : options.map_sizes) {
        bool found = false;
        for (const auto& object : set.objects_) found |= object.second->find_map(name) != nullptr;
        if (!found)
            return make_error("--map-size " + name + "=" + std::to_string(size), "no attached object has a map '" +
                                                                                   name + "'");
    }
    for (size_t i = 0; i < config.sets.size(); ++i)
        if (!set_used[i])
            return make_error("--set '" + config.sets[i] + "'",
                              "no attached object has a global variable '" + global_name(config.sets[i]) + "'");
    if (maps_in.is_object())
        for (const auto& [name, entries] : maps_in.items())
            if (!maps_used.count(name)) return make_error(maps_source, "no attached object has a map '" + name + "'");
    return set;
}

Result<AttachedProgram> ObjectSet::program_for(const AttachSpec& spec) const {
    for (const auto& [path, obj] : objects_) {
        if (path != spec.object_path) continue;
        const std::string subject = "--attach " + std::to_string(spec.port) + "=" + spec.object_path +
                                    (spec.program_name.empty() ? "" : "@" + spec.program_name);
        auto prog = spec.program_name.empty() ? obj->default_xdp_program() : obj->find_program(spec.program_name);
        if (!prog) return make_error(subject, prog.error().str());
        if ((*prog)->type != vm::ProgType::Xdp)
            return make_error(subject, "program '" + (*prog)->name + "' in section '" + (*prog)->section +
                                           "' is not an XDP program");
        if ((*prog)->attach != vm::XdpAttach::Ingress)
            return make_error(subject, "prog '" + (*prog)->name + "' (section '" + (*prog)->section + "') is an " +
                                           vm::xdp_attach_name((*prog)->attach) +
                                           " program: it runs from a map entry and cannot be attached to a port, "
                                           "as Linux refuses to attach it to a device");
        return AttachedProgram{obj, *prog};
    }
    return make_error("--attach " + std::to_string(spec.port), "object '" + spec.object_path + "' was not loaded");
}

Status ObjectSet::write_maps(const std::string& path) const {
    std::string text;
    if (objects_.size() == 1) {
        text = cli::format_maps_json(cli::dump_maps_json(*objects_.front().second));
    } else {
        nlohmann::ordered_json all = nlohmann::ordered_json::object();
        for (const auto& [obj_path, obj] : objects_) all[obj_path] = cli::dump_maps_json(*obj);
        text = all.dump(1) + "\n";
    }
    FILE* f = path == "-" ? stdout : std::fopen(path.c_str(), "wb");
    if (f == nullptr) return make_error("--maps-out '" + path + "'", std::strerror(errno));
    const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    const bool closed = f == stdout ? std::fflush(f) == 0 : std::fclose(f) == 0;
    if (!written || !closed) return make_error("--maps-out '" + path + "'", std::string("write failed: ") + std::strerror(errno));
    return {};
}

}  // namespace xdpdk::dataplane
