// The objects `xdpdk run` attaches, as ProgramSpecs for the dataplane handle:
// each distinct file once (ports attached to the same file share its maps,
// like one program attached to two interfaces), with the --set, --map-size
// and --maps-in entries that object has. With several objects each takes
// what it has, and one that no object has is an error; with one, exactly as
// replay: everything must exist in it.
#pragma once

#include <string>
#include <vector>

#include "run_config.h"
#include "vm/error.h"
#include "xdpdk/dataplane.h"

namespace xdpdk::cli {

struct PlannedObject {
    ProgramSpec spec;             // the first attach's program; also_load: the others
    std::string label;            // the object path, or filter:'EXPR' / filter-ddd:'FILE'
    std::vector<uint16_t> ports;  // attached ports, in --attach order
    std::vector<std::string> programs;  // by port, in the same order
};

Result<std::vector<PlannedObject>> plan_objects(const RunConfig& config);

}  // namespace xdpdk::cli
