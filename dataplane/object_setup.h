// Opening an object the way every command that runs programs does: --set
// before load, --maps-in values before load (so .rodata is set before it
// freezes), prog-array entries after load (they name loaded programs).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "vm/object.h"

namespace xdpdk::cli {

Result<std::unique_ptr<vm::Object>> open_prepared_object(const std::string& object_path,
                                                         const vm::ObjectOptions& options,
                                                         const std::vector<std::string>& sets,
                                                         const std::string& maps_in_path);

}  // namespace xdpdk::cli
