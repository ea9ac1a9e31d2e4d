#include "object_setup.h"

#include <algorithm>

#include "global_set.h"
#include "maps_json.h"

namespace xdpdk::loader {

Result<std::unique_ptr<vm::Object>> open_prepared_object(const ProgramSource& source,
                                                         const vm::ObjectOptions& options,
                                                         const std::vector<std::string>& sets,
                                                         const std::string& maps_in_path,
                                                         const std::vector<std::string>& programs) {
    XDPDK_ASSIGN_OR_RETURN(auto obj, open_program_source(source, options));
    XDPDK_RETURN_IF_ERROR(apply_global_assignments(*obj, sets));
    MapsInput maps_in;
    if (!maps_in_path.empty()) {
        XDPDK_ASSIGN_OR_RETURN(maps_in, read_maps_json_file(*obj, maps_in_path));
        XDPDK_RETURN_IF_ERROR(apply_map_values(maps_in));
    }
    if (!programs.empty()) XDPDK_RETURN_IF_ERROR(choose_programs_to_load(*obj, programs, maps_in));
    XDPDK_RETURN_IF_ERROR(obj->load());
    XDPDK_RETURN_IF_ERROR(apply_prog_entries(*obj, maps_in));
    return obj;
}

Status choose_programs_to_load(vm::Object& obj, const std::vector<std::string>& programs, const MapsInput& maps_in) {
    std::vector<const vm::Program*> chosen;
    auto add = [&](const std::string& name) -> Status {
        XDPDK_ASSIGN_OR_RETURN(const vm::Program* p, name.empty() ? obj.default_xdp_program() : obj.find_program(name));
        if (std::find(chosen.begin(), chosen.end(), p) == chosen.end()) chosen.push_back(p);
        return {};
    };
    for (const std::string& name : programs) XDPDK_RETURN_IF_ERROR(add(name));
    for (const auto& e : maps_in.entries)
        if (!e.prog.empty()) XDPDK_RETURN_IF_ERROR(add(e.prog));
    return obj.load_only(std::move(chosen));
}

}  // namespace xdpdk::loader
