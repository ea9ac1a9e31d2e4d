// `/xdpdk/stats` in DPDK telemetry (dpdk-telemetry.py, or the socket under
// /var/run/dpdk/<file-prefix>/): without a parameter, one array per figure
// with an entry per port (in the order of "ports"); with a port id
// (`/xdpdk/stats,0`), that port's figures and per-worker rx arrays.
#pragma once

#include <mutex>

#include "dp_stats.h"

namespace xdpdk::dataplane {

// Registers the command (once per process) and serves `reader` until
// unpublish_telemetry(); the reader must outlive the publication.
void publish_telemetry(const StatsReader* reader);
void unpublish_telemetry();

// Held while the ports' descriptions change (a swap renames a port's
// program), so a telemetry query never reads a string being replaced.
std::unique_lock<std::mutex> lock_telemetry();

}  // namespace xdpdk::dataplane
