// Routes, neighbours and interfaces for bpf_fib_lookup from TOML: the
// [[route]], [[neighbor]] and [[interface]] tables of a run config, or of a
// file of their own (`xdpdk replay --fib FILE`).
//
//   [[interface]]             # a device: replay has no ports, so it names them;
//   ifindex = 2               # in `run` an entry overrides what a port says
//   mac = "02:00:00:00:00:02"
//   mtu = 1500
//   addresses = ["10.1.0.1", "fd01::1"]   # for BPF_FIB_LOOKUP_SRC
//   forwarding = true         # false: lookups from it return FWD_DISABLED
//
//   [[route]]
//   prefix = "10.0.0.0/24"    # required; IPv4 or IPv6
//   via = "10.1.0.2"          # gateway; none: on-link
//   dev = 2                   # output ifindex, or
//   port = 1                  # output port (its ifindex)
//   type = "unicast"          # blackhole, unreachable, prohibit, local, broadcast
//   mtu = 1400                # the route's MTU (as `mtu lock`); default: the device's
//   metric = 0                # rt_metric; default 0 (IPv4), 1024 (IPv6) as `ip route`
//   table = 254               # main; 255 local; BPF_FIB_LOOKUP_TBID picks others
//   src = "10.1.0.1"          # preferred source
//
//   [[neighbor]]
//   ip = "10.1.0.2"
//   mac = "02:00:00:00:01:02"
//   dev = 2                   # or port = 1
//
// A bad route is one error "FILE: route N: REASON" (N from 1, in file order).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "vm/error.h"
#include "run_config.h"
#include "vm/fib_table.h"

namespace xdpdk::cli {

// Reads [[interface]], [[route]] and [[neighbor]] of a parsed file.
Status read_fib_tables(const toml::table& root, const std::string& file, FibConfig& out);

// A file holding only those tables (replay's --fib FILE).
Result<FibConfig> load_fib_config(const std::string& path);
Result<FibConfig> parse_fib_config(std::string_view text, const std::string& file);

// Turns `port = N` into the port's ifindex.
void resolve_ports(FibConfig& config, const std::function<uint32_t(uint16_t)>& ifindex_of_port);

}  // namespace xdpdk::cli
