// What `xdpdk run` is asked to do, whether it came from the command line
// (`xdpdk run [EAL options] -- [options]`) or from a TOML file
// (`xdpdk run --config FILE`). Both front ends fill this struct; the dataplane
// validates it against the ports DPDK actually probed and runs it. Nothing
// here touches DPDK, so parsing is testable without EAL.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vm/engine.h"
#include "vm/fib_table.h"

namespace xdpdk::cli {

// --attach PORT=PROG.o[@NAME]: the XDP program a port runs. Without a NAME
// the object's first XDP program is attached.
struct AttachSpec {
    uint16_t port = 0;
    std::string object_path;
    std::string program_name;  // empty: the first XDP program of the object
};

// --pass PORT=tap|port:N|drop: where XDP_PASS packets of a port go.
struct PassSpec {
    enum class Kind : uint8_t { Drop, Tap, Port } kind = Kind::Drop;
    uint16_t port = 0;         // the receiving port this rule is for
    uint16_t target_port = 0;  // Kind::Port: the port PASS packets are sent on
    std::string tap_name;      // Kind::Tap: host interface name; empty = "xdpdk<port>"
};

// --ifindex PORT=N: the ifindex a port has for programs (ingress_ifindex,
// bpf_redirect, devmap entries). Unlisted ports get port id + 1.
struct IfindexSpec {
    uint16_t port = 0;
    uint32_t ifindex = 0;
};

// --xsk MAP[SLOT]=port:N: an XSKMAP slot bound to a port (where an AF_XDP
// socket's application would be: another DPDK application behind a
// net_memif or net_ring port, or a tap).
struct XskSpec {
    std::string map;
    uint32_t slot = 0;
    uint16_t port = 0;
    std::string text;  // as given, for messages
};

// Routes, neighbours and interfaces for bpf_fib_lookup from [[route]],
// [[neighbor]] and [[interface]] tables (fib_config.h reads them).
struct FibConfig {
    vm::FibEntries entries;
    // Entries that named a port instead of an ifindex, resolved by resolve_ports.
    std::vector<std::pair<size_t, uint16_t>> route_ports, neighbor_ports;
    bool empty() const { return entries.devices.empty() && entries.routes.empty() && entries.neighbors.empty(); }
};

struct RunConfig {
    std::vector<std::string> eal_args;  // argv for rte_eal_init, argv[0] included
    std::vector<AttachSpec> attach;
    std::vector<PassSpec> pass;
    std::vector<IfindexSpec> ifindex;
    std::vector<XskSpec> xsk;
    std::vector<std::string> sets;  // --set NAME=VALUE, applied to every attached object that has NAME
    std::vector<std::string> map_sizes;  // --map-size NAME=N, for every attached object that has map NAME
    std::string maps_in;            // --maps-in FILE ("" = none)
    std::string maps_out;           // --maps-out FILE: every attached object's maps after the run ("" = none)
    vm::EngineKind engine = vm::EngineKind::Jit;
    bool strict_verifier = false;  // --strict: the unprivileged loader's verifier rules
    std::string target_btf;        // --btf FILE: CO-RE relocations' target ("" = each object's own BTF)
    FibConfig fib;                  // the config file's [[route]], [[neighbor]], [[interface]]
    // --fib host: mirror the host kernel's routes and neighbours (and follow
    // them); --fib FILE: more tables from a TOML file; "" = only `fib`.
    std::string fib_source;

    double duration_s = 0;        // 0: until SIGINT/SIGTERM (or --packets)
    uint64_t max_packets = 0;     // 0: no limit; else stop after this many received packets in total
    double stats_interval_s = 1;  // live line period; 0 disables the live lines
    bool json = false;            // final summary as JSON on stdout

    uint16_t rx_queues = 1;      // per port; RSS spreads flows across them
    uint16_t rx_desc = 1024;
    uint16_t tx_desc = 1024;
    uint16_t burst = 32;
    uint32_t mbuf_cache = 256;
    std::optional<uint32_t> mbufs_per_pool;  // default: sized from ports, queues and descriptors

    std::string trace_path;  // ABORTED packets and bpf_printk lines ("" = stderr, rate-limited)
    std::string events_path;  // --events: event map records as JSON lines ("" = none, "-" = stdout)

    bool run_stats = false;  // --stats: per-program run count and time (kernel.bpf_stats_enabled)
    std::string pin_dir;     // --pin DIR: maps shared by name across programs, ports and swaps
    // --ctl PATH: the control socket `xdpdk ctl` talks to; "" = the default,
    // /run/xdpdk/<file-prefix>.sock; --no-ctl: none.
    std::string ctl_path;
    bool ctl = true;
};

}  // namespace xdpdk::cli
