// `xdpdk run`: initialise EAL, set up the ports, attach the programs, run the
// workers until a stop condition, report and release everything. Errors in
// the configuration are reported before any port starts.
#pragma once

#include "run_config.h"

namespace xdpdk::dataplane {

// Prints the summary (or one "xdpdk: ..." error line) and returns the exit code.
int run_dataplane(const RunConfig& config);

}  // namespace xdpdk::dataplane
