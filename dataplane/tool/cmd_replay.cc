// `xdpdk replay PROG.o PCAP`: every packet of a capture, in order, through one
// XDP program of an object, offline; prints per-action packet and byte counts
// and optionally writes the resulting packets, per-packet records and the
// maps' final contents.
#include <cstdio>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "dataplane/loader/object_setup.h"
#include "dataplane/loader/program_source.h"
#include "filter_args.h"
#include "dataplane/loader/global_set.h"
#include "load_args.h"
#include "dataplane/loader/maps_json.h"
#include "dataplane/replay/pcap_io.h"
#include "dataplane/replay/replay_outputs.h"
#include "dataplane/replay/replay_report.h"
#include "dataplane/fib/host_fib.h"
#include "fib_config.h"
#include "vm/fib.h"
#include "vm/engine.h"
#include "vm/object.h"
#include "vm/packet.h"
#include "vm/maps/cpumap.h"
#include "vm/maps/xskmap.h"
#include "run_args.h"
#include "vm/reclaim.h"

namespace xdpdk::cli {
namespace {

// A frame a program redirected into a cpumap: on the target CPU's slot, the
// entry's xdp/cpumap program runs on it (rx queue 0, as the kernel's cpumap
// kthread builds the context), and its verdict decides where the frame goes.
CpumapHop run_cpumap_hop(vm::PacketFrame& frame, vm::ExecContext& ex) {
    CpumapHop hop;
    hop.cpu = ex.redirect.key;
    hop.map = ex.redirect.map;
    const auto* entry = static_cast<const vm::maps::Cpumap*>(hop.map)->entry(hop.cpu);
    hop.prog = entry != nullptr ? entry->prog : nullptr;
    if (hop.prog == nullptr) return hop;
    const uint32_t own_cpu = ex.cpu;
    ex.reset_run();
    ex.cpu = hop.cpu;
    frame.xdp().rx_queue_index = 0;
    hop.action = vm::run_xdp(*hop.prog, frame.xdp(), ex);
    hop.redirect = ex.redirect;
    ex.cpu = own_cpu;
    return hop;
}


constexpr uint32_t kMaxCpus = 1024;
constexpr size_t kEthHeaderLen = 14;

struct ReplayOptions {
    std::string object_path;
    std::string pcap_path;
    FilterArgs filter;
    loader::ProgramSource source;  // the object, or the filter compiled for the capture's link type
    std::string prog;
    ReplayOutputPaths outputs;
    std::string maps_in;
    LoadArgs load;
    uint32_t ifindex = 1;
    uint32_t rx_queue = 0;
    uint32_t egress_ifindex = 0;  // what a devmap program (xdp/devmap) sees
    bool trace = false;
    bool run_runts = false;
    std::string engine = "jit";
    uint32_t cpus = 1;
    std::vector<std::string> xsk;  // MAP[SLOT]=port:N
    std::string fib;  // "host" or a TOML file of [[interface]]/[[route]]/[[neighbor]]
};

// --xsk: the slot delivers to port N, which has ifindex N + 1 as in `xdpdk run`.
Status bind_xsk_slots(vm::Object& obj, const std::vector<std::string>& bindings) {
    for (const std::string& text : bindings) {
        XDPDK_ASSIGN_OR_RETURN(const XskSpec spec, parse_xsk_spec(text));
        const std::string subject = "--xsk '" + text + "'";
        vm::Map* map = obj.find_map(spec.map);
        if (map == nullptr) return make_error(subject, "the object has no map '" + spec.map + "'");
        if (map->type() != vm::MapType::Xskmap)
            return make_error(subject, "map '" + spec.map + "' is a " + vm::map_type_name(map->spec().type) +
                                           " map, not an xskmap");
        if (static_cast<vm::maps::Xskmap*>(map)->bind_port(spec.slot, spec.port + 1u) != 0)
            return make_error(subject, "slot " + std::to_string(spec.slot) + " is beyond max_entries " +
                                           std::to_string(map->spec().max_entries));
    }
    return {};
}

// bpf_printk lines, one per line on stderr, as trace_pipe shows them.
class StderrTrace final : public vm::TraceSink {
public:
    void write(std::string_view line) override {
        std::fwrite(line.data(), 1, line.size(), stderr);
        std::fputc('\n', stderr);
    }
};

Result<vm::Program*> choose_program(const vm::Object& obj, const std::string& name) {
    if (name.empty()) return obj.default_xdp_program();
    XDPDK_ASSIGN_OR_RETURN(vm::Program * prog, obj.find_program(name));
    if (prog->type != vm::ProgType::Xdp) {
        return make_error("--prog '" + name + "'", "program '" + prog->name + "' in section '" + prog->section +
                                                        "' is not an XDP program");
    }
    return prog;
}

// A loaded object with --set and --maps-in applied (see object_setup.h).
Result<std::unique_ptr<vm::Object>> prepare_object(const ReplayOptions& o, vm::EngineKind engine) {
    vm::ObjectOptions object_options;
    object_options.ncpus = o.cpus;
    object_options.engine = engine;
    XDPDK_RETURN_IF_ERROR(apply_load_args(o.load, object_options));
    return loader::open_prepared_object(o.source, object_options, o.load.sets, o.maps_in, {o.prog});
}

// bpf_fib_lookup's tables: the host's as they are now, or a file's (where
// `port = N` is ifindex N + 1, the default of a port).
Status load_fib(const std::string& source, vm::Fib& fib) {
    if (source.empty()) return {};
    vm::FibEntries entries;
    if (source == "host") {
        XDPDK_ASSIGN_OR_RETURN(entries, fib::dump_host_fib());
    } else {
        XDPDK_ASSIGN_OR_RETURN(FibConfig config, load_fib_config(source));
        resolve_ports(config, [](uint16_t port) { return port + 1u; });
        entries = std::move(config.entries);
    }
    fib.publish(std::make_unique<vm::FibTable>(std::move(entries)));
    return {};
}

Status replay(ReplayOptions& o) {
    XDPDK_ASSIGN_OR_RETURN(const vm::EngineKind engine, vm::parse_engine(o.engine));
    if (o.cpus == 0 || o.cpus > kMaxCpus)
        return make_error("--cpus", "must be from 1 to " + std::to_string(kMaxCpus));
    if (o.source.filter) {
        // libpcap compiles the expression for the frames it will see, as
        // tcpdump -r does for the file's link type.
        XDPDK_ASSIGN_OR_RETURN(auto peek, PcapReader::open(o.pcap_path));
        o.source.filter->linktype = peek->linktype();
    }
    XDPDK_ASSIGN_OR_RETURN(auto obj, prepare_object(o, engine));
    XDPDK_ASSIGN_OR_RETURN(vm::Program * prog, choose_program(*obj, o.prog));
    XDPDK_RETURN_IF_ERROR(bind_xsk_slots(*obj, o.xsk));
    if (o.egress_ifindex != 0 && prog->attach != vm::XdpAttach::Devmap)
        return make_error("--egress-ifindex", "only a devmap program (section xdp/devmap) reads ctx->egress_ifindex; '" +
                                                  prog->name + "' is a program of attach type " +
                                                  vm::xdp_attach_name(prog->attach));
    XDPDK_ASSIGN_OR_RETURN(auto reader, PcapReader::open(o.pcap_path));
    XDPDK_ASSIGN_OR_RETURN(auto outputs, ReplayOutputs::open(o.outputs, reader->linktype()));

    vm::Fib fib;
    XDPDK_RETURN_IF_ERROR(load_fib(o.fib, fib));
    StderrTrace trace;
    vm::ExecContext ex;
    ex.cpu = 0;
    ex.fib = &fib;
    ex.trace = o.trace ? &trace : nullptr;
    ActionCounts counts;
    // Map entries a program deletes are freed once this thread has left the
    // run that might still hold them.
    vm::ReclaimThread reclaim;
    // Packets longer than one XDP buffer (3520 bytes) are split as
    // BPF_PROG_TEST_RUN splits them; only xdp.frags programs see the frags.
    const vm::FrameLayout layout = prog->frags ? vm::FrameLayout::MultiBuffer : vm::FrameLayout::FirstBuffer;
    std::vector<uint8_t> whole;
    for (uint64_t index = 0;; ++index) {
        XDPDK_ASSIGN_OR_RETURN(auto next, reader->next());
        if (!next) break;
        if (layout == vm::FrameLayout::MultiBuffer && next->bytes.size() > vm::kXdpMaxMultiBufferLen) {
            std::string why = "packet ";
            why += std::to_string(index);
            why += ": " + std::to_string(next->bytes.size());
            why += " bytes do not fit an XDP frame of 3520 linear bytes and 17 frags of 4096 (at most ";
            why += std::to_string(vm::kXdpMaxMultiBufferLen) + " bytes, as in the kernel)";
            return make_error("pcap '" + o.pcap_path + "'", why);
        }
        // BPF_PROG_TEST_RUN refuses frames shorter than an Ethernet header.
        if (next->bytes.size() < kEthHeaderLen && !o.run_runts) {
            counts.add_not_run();
            outputs->not_run(index, *next, "shorter than an Ethernet header (14 bytes): the kernel's test run refuses "
                                           "it; --run-runts runs it");
            continue;
        }
        vm::PacketFrame frame(next->bytes, o.ifindex, o.rx_queue, layout);
        frame.xdp().egress_ifindex = o.egress_ifindex;
        const uint64_t retval = vm::run_xdp(*prog, frame.xdp(), ex);
        std::optional<CpumapHop> hop;
        if (retval == vm::XDP_REDIRECT && ex.redirect.kind == vm::RedirectTarget::Kind::Cpu)
            hop = run_cpumap_hop(frame, ex);
        if (retval == vm::XDP_REDIRECT && ex.redirect.kind == vm::RedirectTarget::Kind::Broadcast)
            ex.redirect.ifindex = frame.xdp().ingress_ifindex;
        std::span<const uint8_t> data = frame.data();
        if (frame.split()) [[unlikely]] {
            whole = frame.packet();
            data = whole;
        }
        counts.add(retval, data.size());
        outputs->packet(index, *next, retval, data, frame.meta(), ex, hop ? &*hop : nullptr);
        outputs->events(index, *obj);
        reclaim.quiescent();
    }
    XDPDK_RETURN_IF_ERROR(outputs->commit(*obj));

    // A filter is named by its expression; an object's program by its section.
    const std::string origin = o.source.filter ? o.source.label() : "section " + prog->section;
    std::printf("prog %s (%s), engine %s, %llu packets from %s\n", prog->name.c_str(), origin.c_str(),
                o.engine.c_str(), static_cast<unsigned long long>(counts.total_packets()), o.pcap_path.c_str());
    std::fputs(counts.table().c_str(), stdout);
    return {};
}

}  // namespace

void add_replay_command(CLI::App& app, int& exit_code) {
    auto opts = std::make_shared<ReplayOptions>();
    CLI::App* cmd = app.add_subcommand(
        "replay", "Run every packet of a capture through an XDP program and count the verdicts");
    cmd->add_option("PROG", opts->object_path, "BPF object file built with clang -target bpf (none with --filter)");
    cmd->add_option("PCAP", opts->pcap_path, "capture of Ethernet frames (pcap or pcapng)");
    add_filter_options(*cmd, opts->filter);
    cmd->add_option("--prog", opts->prog, "program to run, by function or section name (default: the first XDP program)");
    cmd->add_option("--out", opts->outputs.out_dir,
                    "directory for pass.pcap, tx.pcap and redirect.pcap (packets as the program left them)");
    cmd->add_option("--jsonl", opts->outputs.jsonl, "one JSON record per input packet");
    cmd->add_option("--maps-in", opts->maps_in, "JSON map contents to set before the run");
    cmd->add_option("--maps-out", opts->outputs.maps_out, "JSON dump of every map after the run");
    cmd->add_option("--events", opts->outputs.events,
                    "ring buffer and perf event array records as JSON lines (map, cpu, bytes, packet), then "
                    "each map's lost count");
    add_load_options(*cmd, opts->load);
    cmd->add_option("--ifindex", opts->ifindex, "ingress ifindex the program sees")->capture_default_str();
    cmd->add_option("--rx-queue", opts->rx_queue, "rx queue index the program sees")->capture_default_str();
    cmd->add_option("--egress-ifindex", opts->egress_ifindex,
                    "egress ifindex a devmap program (xdp/devmap) sees, as when run from a devmap entry")
        ->capture_default_str();
    cmd->add_option("--xsk", opts->xsk,
                    "MAP[SLOT]=port:N: XSKMAP slot with a socket, delivering to port N (ifindex N + 1)")
        ->allow_extra_args(false);
    cmd->add_option("--cpus", opts->cpus, "CPU slots of per-CPU maps (the program runs on slot 0)")->capture_default_str();
    cmd->add_option("--fib", opts->fib,
                    "host|FILE: routes, neighbours and interfaces for bpf_fib_lookup and bpf_check_mtu: the host "
                    "kernel's (rtnetlink), or [[route]]/[[neighbor]]/[[interface]] tables of a TOML file");
    cmd->add_flag("--trace", opts->trace, "print bpf_printk lines on stderr");
    cmd->add_flag("--run-runts", opts->run_runts,
                  "run frames shorter than 14 bytes too (BPF_PROG_TEST_RUN refuses them; by default they are not run)");
    cmd->add_option("--engine", opts->engine, "jit (machine code) or interp")->capture_default_str();
    cmd->callback([opts, &exit_code] {
        if (!opts->filter.given() && !opts->filter.action.empty()) {
            exit_code = usage_fail("--filter-action: applies to a filter: give --filter EXPR or --filter-ddd FILE");
            return;
        }
        // With a filter the one positional word is the capture; a second is stray.
        if (opts->filter.given() && !opts->pcap_path.empty()) {
            const std::string option = opts->filter.expression ? "--filter" : "--filter-ddd";
            exit_code = usage_fail(option + ": takes the place of PROG.o, so the one word left is the capture; got '" +
                                   opts->object_path + "' and '" + opts->pcap_path + "'");
            return;
        }
        if (opts->filter.given()) std::swap(opts->object_path, opts->pcap_path);
        if (opts->pcap_path.empty()) {
            exit_code = usage_fail("PCAP: give the capture to replay");
            return;
        }
        auto source = choose_program_source(opts->object_path, opts->filter, {&opts->load, &opts->maps_in, &opts->prog});
        if (!source) {
            exit_code = usage_fail(source.error().str());
            return;
        }
        opts->source = std::move(*source);
        auto st = replay(*opts);
        exit_code = st ? 0 : fail(st.error().str());
    });
}

}  // namespace xdpdk::cli
