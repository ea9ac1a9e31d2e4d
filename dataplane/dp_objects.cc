#include "dp_objects.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "maps_json.h"
#include "object_setup.h"

namespace xdpdk::dataplane {

Result<ObjectSet> ObjectSet::load(const RunConfig& config, uint32_t ncpus) {
    ObjectSet set;
    vm::ObjectOptions options;
    options.ncpus = ncpus;
    options.engine = config.engine;
    for (const AttachSpec& spec : config.attach) {
        bool seen = false;
        for (const auto& entry : set.objects_) seen |= entry.first == spec.object_path;
        if (seen) continue;
        auto obj = cli::open_prepared_object(spec.object_path, options, config.sets, config.maps_in);
        if (!obj) return obj.error();
        set.objects_.emplace_back(spec.object_path, std::shared_ptr<vm::Object>(std::move(*obj)));
    }
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
