// `xdpdk run --config FILE`: a RunConfig from a TOML file. The file says what
// the command line says, key for key (configs/README.md shows examples):
//
//   eal = ["--no-huge", "-m", "1024", "--no-pci",
//          "--vdev=net_pcap0,rx_pcap=pcaps/sample.pcap,tx_pcap=out/tx.pcap"]
//                          # EAL arguments, without argv[0]
//   engine = "jit"         # or "interp"
//   duration = 5           # seconds, integer or float; 0 = until SIGINT/SIGTERM
//   packets = 0            # stop after this many received packets; 0 = no limit
//   stats_interval = 1     # seconds between live stats lines; 0 = none
//   json = false           # JSON summary on stdout at exit
//   maps_in = "maps.json"  # map contents to set before load
//   maps_out = "out/maps.json"  # every attached object's maps after the run
//   set = ["NAME=VALUE"]   # globals to set before load; or a table: [set] NAME = 5
//   map-size = { conn_table = 65536 }  # max_entries set before load, as the program's
//                          # own loader does (maps declared with max_entries 0); or [map-size]
//   trace = "trace.log"    # ABORTED packets and bpf_printk lines
//   stats = false          # per-program run count and time (`xdpdk ctl prog show`)
//   pin = "/run/xdpdk/maps"  # share maps by name across programs, ports and swaps
//   ctl = "/run/xdpdk/lb.sock"  # the control socket (default /run/xdpdk/<file-prefix>.sock)
//   rx_queues = 1          # per port
//   rx_desc = 1024
//   tx_desc = 1024
//   burst = 32
//   mbuf_cache = 256
//   mbufs_per_pool = 8191  # default: sized from ports, queues and descriptors
//
//   [[port]]               # one table per port that has a program or options
//   id = 0                 # DPDK port id (required, unique)
//   attach = "build/progs/xdp_drop.o@xdp_drop_prog"  # PROG.o[@NAME]
//   pass = "tap"           # where XDP_PASS goes: "tap", "tap:IFNAME", "port:N" or "drop"
//   tap_name = "xdpdk0"    # host interface of pass = "tap" (default xdpdk<id>)
//   ifindex = 1            # the port's ifindex for programs; default id + 1
//
//   fib = "host"           # bpf_fib_lookup's tables mirrored from the host (or a FILE of tables)
//   [[route]]              # and [[neighbor]], [[interface]]: see fib_config.h
//   prefix = "10.0.0.0/24"
//   via = "10.1.0.2"
//   port = 1
//
// Every key is optional except port.id. Paths (attach, maps_in, maps_out, trace, and
// the files inside EAL --vdev arguments) are used as written: relative paths
// are relative to the current directory, exactly as on the command line, not
// to the file's directory. A syntax error, an unknown key (with the nearest
// valid key suggested), a wrong type, a value out of range, a duplicate port
// or a missing object or maps file is one error naming the file, the line and
// column, and the key.
#pragma once

#include <string>
#include <string_view>

#include "run_config.h"
#include "vm/error.h"

namespace xdpdk::cli {

// The largest `burst`: workers keep fixed per-burst arrays of this size.
inline constexpr int64_t kMaxConfigBurst = 512;

Result<RunConfig> load_run_config_toml(const std::string& path);

// The same from text; `file` names it in error messages.
Result<RunConfig> parse_run_config_toml(std::string_view text, const std::string& file);

}  // namespace xdpdk::cli
