// Opening an object the way every command that runs programs does: --set
// before load, --maps-in values before load (so .rodata is set before it
// freezes), only the programs that will run loaded, prog-array entries after
// load (they name loaded programs).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "maps_json.h"
#include "program_source.h"
#include "vm/object.h"

namespace xdpdk::loader {

// `source`: an object file or a filter (program_source.h).
// `programs`: the programs the caller will run, by function or section name
// ("" for the object's first XDP program); only they, and the programs prog
// arrays get (from the object or --maps-in), are verified and loaded, as
// xdp-loader loads only the program it attaches. Empty: every XDP program.
Result<std::unique_ptr<vm::Object>> open_prepared_object(const ProgramSource& source,
                                                         const vm::ObjectOptions& options,
                                                         const std::vector<std::string>& sets,
                                                         const std::string& maps_in_path,
                                                         const std::vector<std::string>& programs = {});

// The programs to load for `programs` (as above) and the prog-array entries of
// `maps_in`; errors for a name that is missing, ambiguous or not XDP.
Status choose_programs_to_load(vm::Object& obj, const std::vector<std::string>& programs, const MapsInput& maps_in);

}  // namespace xdpdk::loader
