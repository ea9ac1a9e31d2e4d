// A ProgramSpec (include/xdpdk/dataplane.h) as the loader reads it: an object
// file, or a tcpdump filter (program_source.h) opened like one. The one place
// the rules of a filter are checked: the runtime, run, ctl swap and the
// commands' --filter options all come through here.
#pragma once

#include <string>

#include "program_source.h"
#include "xdpdk/dataplane.h"

namespace xdpdk::loader {

bool names_filter(const ProgramSpec& spec);

// Makes `spec` load `filter` (its expression or -ddd file and verdicts).
void set_filter(ProgramSpec& spec, const FilterSource& filter);

// The spec's object or filter; an error about `subject` for a spec that
// names both or neither, or that gives a filter what only an object has
// (globals, map sizes or contents, another program).
Result<ProgramSource> program_source(const ProgramSpec& spec, const std::string& subject);

// What ProgramInfo::object_path, summaries and telemetry call the spec's
// object: its path, or filter:'EXPR' / filter-ddd:'FILE'.
std::string program_label(const ProgramSpec& spec);

}  // namespace xdpdk::loader
