#include "object_setup.h"

#include "global_set.h"
#include "maps_json.h"

namespace xdpdk::cli {

Result<std::unique_ptr<vm::Object>> open_prepared_object(const std::string& object_path,
                                                         const vm::ObjectOptions& options,
                                                         const std::vector<std::string>& sets,
                                                         const std::string& maps_in_path) {
    XDPDK_ASSIGN_OR_RETURN(auto obj, vm::Object::open(object_path, options));
    XDPDK_RETURN_IF_ERROR(apply_global_assignments(*obj, sets));
    MapsInput maps_in;
    if (!maps_in_path.empty()) {
        XDPDK_ASSIGN_OR_RETURN(maps_in, read_maps_json_file(*obj, maps_in_path));
        XDPDK_RETURN_IF_ERROR(apply_map_values(maps_in));
    }
    XDPDK_RETURN_IF_ERROR(obj->load());
    XDPDK_RETURN_IF_ERROR(apply_prog_entries(*obj, maps_in));
    return obj;
}

}  // namespace xdpdk::cli
