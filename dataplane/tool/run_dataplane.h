// `xdpdk run`: initialise EAL, then the dataplane handle
// (include/xdpdk/dataplane.h) on every probed port, the programs attached,
// the workers run until a stop condition; report and release everything.
// Errors in the configuration are reported before any port starts.
#pragma once

#include "run_config.h"

namespace xdpdk::cli {

// Prints the summary (or one "xdpdk: ..." error line) and returns the exit code.
int run_dataplane(const RunConfig& config);

}  // namespace xdpdk::cli
