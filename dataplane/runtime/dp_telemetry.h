// `/xdpdk/stats` in DPDK telemetry (dpdk-telemetry.py, or the socket under
// /var/run/dpdk/<file-prefix>/): without a parameter, one array per figure
// with an entry per port (in the order of "ports"); with a port id
// (`/xdpdk/stats,0`), that port's figures and per-worker rx arrays.
#pragma once

#include "dp_stats.h"

namespace xdpdk::dataplane {

// Registers the command (once per process) and serves `reader` until
// unpublish_telemetry(); the reader must outlive the publication.
void publish_telemetry(const StatsReader* reader);
void unpublish_telemetry();

}  // namespace xdpdk::dataplane
