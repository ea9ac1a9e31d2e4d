// The xdpdk dataplane as a library: XDP programs on DPDK ports, for an
// application that has initialised EAL itself (rte_eal_init with a main
// lcore and at least one worker lcore). The handle configures the ports it is
// given, launches one poll-mode worker on every worker lcore, and lets the
// application attach, swap and detach programs and read or change their maps
// while traffic flows, the way bpf() and bpftool do for the kernel.
//
//   auto dp = xdpdk::Dataplane::create({});          // after rte_eal_init
//   (*dp)->add_port(0, {});
//   (*dp)->start();
//   xdpdk::ProgramSpec lb;
//   lb.object_path = "lb.o";
//   (*dp)->attach(0, lb);
//   ...
//   lb.object_path = "lb_v2.o";
//   (*dp)->swap(0, lb);                               // no packet lost
//   (*dp)->stop();
//
// Every call returns an xdpdk::Error (subject, instruction index, reason) on
// failure and leaves what runs untouched. Calls come from one control thread
// at a time (never from a worker lcore); the summary and statistics readers
// may run concurrently with the workers.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "xdpdk/error.h"

namespace xdpdk {

namespace vm {
class Fib;
}

struct DataplaneOptions {
    bool interpreter = false;      // run programs in the interpreter instead of JIT-compiled code
    bool strict_verifier = false;  // the unprivileged loader's verifier rules instead of root's
    uint16_t burst = 32;           // packets per rx burst, at most 512
    uint16_t rx_desc = 1024, tx_desc = 1024;
    uint32_t mbuf_cache = 256;
    uint32_t mbufs_per_pool = 0;  // 0: sized from the ports, queues and descriptors
    uint64_t max_packets = 0;     // 0: no limit; else the workers receive this many packets in all
    // Per-program run count and run time, as the kernel keeps them with
    // kernel.bpf_stats_enabled=1 (it costs a TSC read per burst).
    bool stats = false;
    // Non-empty: every map is shared by name across all programs, ports and
    // swaps, the way maps pinned under /sys/fs/bpf are (shown as DIR/NAME).
    std::string pin_dir;
    // ABORTED packets and bpf_printk lines, rate-limited per worker; nullptr:
    // none (they still reach trace followers, see follow_trace).
    FILE* trace_out = stderr;
    // Records programs write to event maps (ring buffers, perf event
    // arrays) as JSON lines, {"map","cpu","bytes"}, and at stop each such
    // map's {"map","lost"} count; nullptr: none (they still reach event
    // followers, see follow_events). Flushed after each batch.
    FILE* events_out = nullptr;
    // Routes, neighbours and devices for bpf_fib_lookup and bpf_check_mtu
    // (vm/fib.h), owned by the caller and outliving the dataplane; its
    // snapshots may be swapped while traffic flows. nullptr: an empty table.
    const vm::Fib* fib = nullptr;
};

// Where a port's XDP_PASS packets go: dropped (counted), to the host through
// a net_tap interface (the exception path), or out of another port.
struct PassTarget {
    enum class Kind : uint8_t { Drop, Tap, Port } kind = Kind::Drop;
    uint16_t port = 0;     // Kind::Port
    std::string tap_name;  // Kind::Tap; "" = "xdpdk<port>"
};

struct PortOptions {
    uint32_t ifindex = 0;    // what programs see as ingress_ifindex and redirect to; 0: port id + 1
    uint16_t rx_queues = 1;  // RSS spreads flows across them (lowered to what the device has)
    PassTarget pass;
};

// The XDP actions a filter's verdicts default to: the values of <linux/bpf.h>'s
// enum xdp_action, which this header does not include.
inline constexpr uint32_t kFilterDefaultNoMatch = 1;  // XDP_DROP
inline constexpr uint32_t kFilterDefaultMatch = 2;    // XDP_PASS

// An object file to load, with what a loader sets before BPF_PROG_LOAD; or
// a tcpdump filter in its place (filter or filter_ddd, object_path empty),
// which libpcap compiles for Ethernet and xdpdk translates to an XDP program
// named "filter" (no globals, maps or other programs).
struct ProgramSpec {
    std::string object_path;
    std::optional<std::string> filter;  // a tcpdump expression, e.g. "tcp port 80" ("": every packet)
    std::string filter_ddd;             // or a file of `tcpdump -ddd` output
    uint32_t filter_match = kFilterDefaultMatch;        // the XDP action of a packet the filter accepts
    uint32_t filter_no_match = kFilterDefaultNoMatch;   // and of one it rejects
    std::string program;                 // function or section name; "": the object's first XDP program
    std::vector<std::string> globals;    // "NAME=VALUE": global variables (.rodata knobs), as --set
    std::vector<std::string> map_sizes;  // "NAME=N": max_entries, as bpf_map__set_max_entries
    std::string maps_json;               // map contents in replay's --maps-in format (JSON text), "" = none
    std::string maps_json_source = "maps";  // names maps_json in errors ("maps-in 'file.json'")
    // swap(): start from empty maps instead of carrying the old program's over.
    bool fresh_maps = false;
    // More programs of the object to load with it, for attach_shared.
    std::vector<std::string> also_load;
    // The BTF CO-RE relocations are resolved against, as --btf: "vmlinux",
    // or a raw BTF or ELF file; "": the object's own BTF.
    std::string target_btf;
};

// One attached program, the fields `bpftool prog show` prints.
struct ProgramInfo {
    uint32_t id = 0;  // unique for the dataplane's life, like a kernel prog id
    uint16_t port = 0;
    // object_path is the object's path, or for a filter its label, filter:'EXPR' or
    // filter-ddd:'FILE' (control characters escaped as \n, \t, \xNN).
    std::string object_path, name, section;
    std::string tag;  // 16 hex digits, equal to the kernel's for the same instructions
    uint64_t bytes_xlated = 0, bytes_jited = 0;  // bytes_jited 0: interpreted
    std::vector<uint32_t> map_ids;
    std::vector<std::string> map_names;
    int64_t loaded_at = 0;  // Unix time, seconds
    // With DataplaneOptions::stats: packets run and nanoseconds spent (all workers).
    uint64_t run_cnt = 0, run_time_ns = 0;
};

struct MapInfo {
    uint32_t id = 0;
    std::string name, type;  // type as bpftool names it: "hash", "percpu_array", ...
    uint32_t key_size = 0, value_size = 0, max_entries = 0, flags = 0;
    // A value as map_lookup and map_update take it: per-CPU maps hold one
    // slot per worker, each rounded up to 8 bytes, as bpf() does.
    uint32_t user_value_size = 0;
    std::string pinned;                  // pin_dir/NAME when shared by name
    std::vector<uint32_t> program_ids;   // attached programs using it
};

// Counters of one port since start: what the workers received and the verdicts.
struct PortStats {
    uint16_t port = 0;
    std::string name;
    uint64_t rx_packets = 0, rx_bytes = 0;
    uint64_t aborted = 0, dropped = 0, passed = 0, transmitted = 0, redirected = 0;
    uint64_t tx_errors = 0, redirect_errors = 0;
};

struct SwapReport {
    ProgramInfo program;                   // the new program
    std::vector<std::string> carried_maps;  // maps the new program took over from the old one
    std::vector<std::string> kept_globals;  // "NAME=VALUE" of the old program applied to the new one
    uint64_t load_ns = 0;                   // open, verify and JIT-compile, off the hot path
    uint64_t switch_ns = 0;                 // from the atomic store until every worker ran on the new program
};

// Whether DPDK has the port; the error (about `subject`) lists the ports it has.
Status check_port(uint16_t port, const std::string& subject);

class Dataplane {
public:
    static Result<std::unique_ptr<Dataplane>> create(const DataplaneOptions& options);
    ~Dataplane();  // stop(), then ports closed and pools freed
    Dataplane(const Dataplane&) = delete;
    Dataplane& operator=(const Dataplane&) = delete;

    // Before start(): a DPDK port the dataplane configures and polls.
    Status add_port(uint16_t port, const PortOptions& options = {});
    // Configures and starts the ports and launches the workers.
    Status start();
    // Workers stop (after flushing what they hold), what is left in software
    // rings is drained, ports are stopped and closed, pools freed; the final
    // summary keeps the figures. `reason` is the summary's "stopped_by".
    void stop();
    void stop(const std::string& reason);
    bool running() const;
    bool stats_enabled() const;

    // Loads, verifies and compiles the program, then attaches it to the port
    // (replacing what is there, maps not carried over).
    Result<ProgramInfo> attach(uint16_t port, const ProgramSpec& spec);
    // Attaches the program `name` of the object already attached to `from_port`:
    // both ports then share that object's maps, as one object attached to two
    // interfaces does.
    Result<ProgramInfo> attach_shared(uint16_t port, uint16_t from_port, const std::string& name = "");
    // Hot swap: the new program is loaded, verified and compiled first, its
    // maps carried over from the port's program where name, type, key size,
    // value size and max_entries match (unless fresh_maps), and with the old
    // program's globals (NAME=VALUE) that the new object has and the spec
    // does not set (so a run's configuration survives), then installed
    // with one atomic store. Each worker takes it at its next burst; the old
    // program is freed once every worker has passed a quiescent state. On
    // failure nothing changes.
    Result<SwapReport> swap(uint16_t port, const ProgramSpec& spec);
    // The port is then left alone: its rx queues are not read (packets wait
    // in the device's ring), unlike a kernel interface, whose stack takes
    // what no XDP program handles.
    Status detach(uint16_t port);

    std::vector<ProgramInfo> programs() const;
    Result<ProgramInfo> program(uint16_t port) const;
    // "xlated" or "jited", as `xdpdk prog dump` prints them.
    Result<std::string> dump_program(uint16_t port, const std::string& kind) const;

    // Maps are named by name, "id N" for one of several maps of one name, or
    // "pinned DIR/NAME" under DataplaneOptions::pin_dir.
    std::vector<MapInfo> maps() const;
    // Every entry, the JSON `bpftool -j map dump` prints (through BTF where
    // the object has it); text: what `bpftool map dump` prints.
    Result<std::string> map_dump(const std::string& map, bool json) const;
    // User-side access with bpf()'s semantics (flags: BPF_ANY, BPF_NOEXIST, BPF_EXIST).
    Result<std::vector<uint8_t>> map_lookup(const std::string& map, const std::vector<uint8_t>& key) const;
    // The element as `bpftool [-j] map lookup` prints it (through BTF where there is some).
    Result<std::string> map_lookup_formatted(const std::string& map, const std::vector<uint8_t>& key,
                                             bool json) const;
    Status map_update(const std::string& map, const std::vector<uint8_t>& key, const std::vector<uint8_t>& value,
                      uint64_t flags = 0);
    Status map_delete(const std::string& map, const std::vector<uint8_t>& key);
    // The map's key and value sizes, for parsing user input.
    Result<MapInfo> map_info(const std::string& map) const;
    // XSKMAP: slot `slot` of `map` (an xskmap of an attached program) sends
    // what programs redirect into it out of `port`, a port of this dataplane
    // (towards another DPDK application, or a tap), as an AF_XDP socket in
    // the slot would hand it to its application. Unbound slots redirect like
    // slots without a socket: the program's fallback verdict.
    Status bind_xsk(const std::string& map, uint32_t slot, uint16_t port);

    std::vector<PortStats> port_stats() const;
    // Packets received on ports with a program attached, all workers.
    uint64_t received_packets() const;
    // One line per port: rates since the previous call and totals.
    std::string stats_lines(double seconds_since_previous);
    // Every attached object's maps in replay's --maps-in format (one object:
    // its maps; several: one JSON object keyed by object path).
    std::string maps_snapshot_json() const;
    // The run summary `xdpdk run` prints at the end, as JSON text, live.
    std::string summary_json() const;
    std::string summary_text() const;

    // bpf_printk lines and ABORTED reports, from the moment of the call:
    // each call of the returned function gives the lines written since the
    // previous one (at most a bounded backlog; older ones are counted as lost).
    // The function must not be called once the handle is destroyed.
    std::function<std::vector<std::string>()> follow_trace();

    // The records programs write to the event map `map` (a ring buffer or a
    // perf event array, named as map_dump names maps), from the moment of
    // the call, as `bpftool map event_pipe` shows them: each call of the
    // returned function gives the JSON lines taken since the previous one,
    // {"map","cpu","bytes"} and, when the map's rings dropped records because
    // they were read too slowly, {"map","lost"} with the total. Records leave
    // the workers' rings about every millisecond. The function must not be
    // called once the handle is destroyed.
    Result<std::function<std::vector<std::string>()>> follow_events(const std::string& map);

    struct Impl;

private:
    explicit Dataplane(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace xdpdk
