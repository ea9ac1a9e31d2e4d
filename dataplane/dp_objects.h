// The objects `xdpdk run` attaches: each distinct file is opened once (with
// --set and --maps-in applied, as replay does), so ports attached to the
// same object share its maps, like one program attached to two interfaces.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dp_attach.h"
#include "run_config.h"
#include "vm/error.h"
#include "vm/object.h"

namespace xdpdk::dataplane {

class ObjectSet {
public:
    // Per-CPU maps get `ncpus` slots (one per worker).
    static Result<ObjectSet> load(const RunConfig& config, uint32_t ncpus);

    // The program an --attach names, with its object.
    Result<AttachedProgram> program_for(const AttachSpec& spec) const;

    // Map dump after the run: replay's --maps-out format for one object; for
    // several, one JSON object keyed by object path.
    Status write_maps(const std::string& path) const;

private:
    std::vector<std::pair<std::string, std::shared_ptr<vm::Object>>> objects_;  // in first-attach order
};

}  // namespace xdpdk::dataplane
