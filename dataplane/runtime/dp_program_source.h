// A ProgramSpec as the loader reads it: an object file, or a tcpdump filter
// (loader/program_source.h) that the dataplane opens like one.
#pragma once

#include <string>

#include "dataplane/loader/program_source.h"
#include "xdpdk/dataplane.h"

namespace xdpdk::dataplane {

// The spec's object or filter; an error about `subject` for a spec that
// names both or neither, or that gives a filter what only an object has
// (globals, map sizes or contents, another program).
Result<loader::ProgramSource> program_source(const ProgramSpec& spec, const std::string& subject);

// What ProgramInfo::object_path, summaries and telemetry call the spec's
// object: its path, or filter:'EXPR' / filter-ddd:'FILE'.
std::string program_label(const ProgramSpec& spec);

}  // namespace xdpdk::dataplane
