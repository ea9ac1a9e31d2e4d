// `xdpdk bench PROG.o --pcap FILE`: how fast each engine runs a program over
// a capture's packets: ns/packet and Mpps per engine (xdpdk's JIT and
// interpreter, and where bpf() is allowed the kernel's own JIT on the same
// object), with the verdicts each engine returned so a run that took another
// path shows. Engines that cannot run get a row saying why.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "dataplane/bench/bench_report.h"
#include "dataplane/bench/bench_runner.h"
#include "commands.h"
#include "dataplane/loader/global_set.h"
#include "dataplane/bench/kernel_runner.h"
#include "load_args.h"
#include "dataplane/loader/maps_json.h"
#include "dataplane/loader/object_setup.h"
#include "dataplane/loader/program_source.h"
#include "dataplane/replay/pcap_io.h"
#include "filter_args.h"
#include "vm/object.h"

namespace xdpdk::cli {
namespace {

constexpr double kMaxDurationS = 3600;
constexpr double kRestoreMeasureS = 0.1;
constexpr const char* kAllEngines = "jit,interp,kernel";

struct BenchOptions {
    std::string object_path;
    std::string pcap_path;
    FilterArgs filter;
    loader::ProgramSource source;  // the object, or the filter compiled for the capture's link type
    std::string prog;
    double duration_s = 1.0;
    std::string engines = kAllEngines;
    std::string maps_in;
    LoadArgs load;
    bool json = false;
    bool quiet = false;
};

enum class Engine { Jit, Interp, Kernel };

struct EngineChoice {
    Engine engine;
    std::string name;
};

Result<std::vector<EngineChoice>> parse_engines(const std::string& list) {
    std::vector<EngineChoice> out;
    std::stringstream in(list);
    std::string name;
    while (std::getline(in, name, ',')) {
        Engine engine;
        if (name == "jit") engine = Engine::Jit;
        else if (name == "interp") engine = Engine::Interp;
        else if (name == "kernel") engine = Engine::Kernel;
        else return make_error("--engines", "unknown engine '" + name + "' (choose from " + kAllEngines + ")");
        for (const auto& e : out)
            if (e.engine == engine) return make_error("--engines", "'" + name + "' is listed twice");
        out.push_back({engine, name});
    }
    if (out.empty()) return make_error("--engines", "name at least one engine (" + std::string(kAllEngines) + ")");
    return out;
}

// A fresh object for each engine, so that every engine starts from the same
// map contents: --set and --maps-in as replay applies them.
// Jit: load() compiles every XDP program (tail-call targets too).
Result<std::unique_ptr<vm::Object>> prepare_object(const BenchOptions& o, vm::EngineKind engine) {
    vm::ObjectOptions options;
    options.engine = engine;
    XDPDK_RETURN_IF_ERROR(apply_load_args(o.load, options));
    return loader::open_prepared_object(o.source, options, o.load.sets, o.maps_in, {o.prog});
}

Result<vm::Program*> choose_program(const vm::Object& obj, const std::string& name) {
    if (name.empty()) return obj.default_xdp_program();
    return obj.find_program(name);
}

EngineResult skipped(std::string engine, std::string reason) {
    EngineResult r;
    r.engine = std::move(engine);
    r.skipped = std::move(reason);
    return r;
}

// The kernel loads what the VM loaded: the object file, or the filter's
// in-memory object.
Result<std::unique_ptr<KernelRunner>> kernel_runner(const loader::ProgramSource& source, const vm::Object& state,
                                                    const std::string& prog) {
    if (!source.filter) return KernelRunner::load(source.object_path, state, prog);
    XDPDK_ASSIGN_OR_RETURN(const auto elf, loader::program_source_elf(source));
    return KernelRunner::load_image(elf, loader::kFilterProgramName, state, prog);
}

Result<EngineResult> run_engine(const EngineChoice& choice, const BenchOptions& o, const BenchPackets& packets,
                                ProgressLine& progress) {
    const ProgressFn report = [&progress](const EngineResult& r, double elapsed) { progress.update(r, elapsed); };
    if (choice.engine == Engine::Jit) {
        // The object loaded for the interpreter up front, so what fails here
        // is the JIT: the row says why and the other engines still run.
        auto obj = prepare_object(o, vm::EngineKind::Jit);
        if (!obj) return skipped(choice.name, obj.error().str());
        XDPDK_ASSIGN_OR_RETURN(vm::Program * prog, choose_program(**obj, o.prog));
        if (!prog->jit) return skipped(choice.name, "prog '" + prog->name + "' has no machine code");
        return bench_jit(*prog, packets, o.duration_s, report);
    }
    XDPDK_ASSIGN_OR_RETURN(auto obj, prepare_object(o, vm::EngineKind::Interp));
    XDPDK_ASSIGN_OR_RETURN(vm::Program * prog, choose_program(*obj, o.prog));
    if (choice.engine == Engine::Interp) return bench_interpreter(*prog, packets, o.duration_s, report);
    auto kernel = kernel_runner(o.source, *obj, prog->name);
    if (!kernel) return skipped(choice.name, kernel.error().str());
    return bench_kernel(**kernel, packets, o.duration_s, report);
}

Status bench(BenchOptions& o) {
    if (!(o.duration_s > 0 && o.duration_s <= kMaxDurationS))
        return make_error("--duration", "must be more than 0 and at most " + std::to_string(int(kMaxDurationS)) + " s");
    XDPDK_ASSIGN_OR_RETURN(auto engines, parse_engines(o.engines));
    if (o.source.filter) {
        // Compiled for the capture's link type, as tcpdump -r compiles it.
        XDPDK_ASSIGN_OR_RETURN(auto peek, PcapReader::open(o.pcap_path));
        o.source.filter->linktype = peek->linktype();
    }
    // Checked once up front, so a bad object or --prog fails before any timing.
    XDPDK_ASSIGN_OR_RETURN(auto obj, prepare_object(o, vm::EngineKind::Interp));
    XDPDK_ASSIGN_OR_RETURN(vm::Program * prog, choose_program(*obj, o.prog));
    XDPDK_ASSIGN_OR_RETURN(auto packets, read_bench_packets(o.pcap_path));

    BenchSummary summary;
    summary.object_path = o.source.label();
    if (o.source.filter) summary.filter = o.source.label();
    summary.prog = prog->name;
    summary.section = prog->section;
    summary.pcap_path = o.pcap_path;
    summary.pcap_packets = packets.packets.size();
    summary.distinct_packets = packets.distinct;
    summary.duration_s = o.duration_s;
    const bool vm_engine = std::any_of(engines.begin(), engines.end(),
                                       [](const EngineChoice& c) { return c.engine != Engine::Kernel; });
    if (vm_engine)
        summary.restore_ns_per_packet = measure_restore_ns(packets, std::min(kRestoreMeasureS, o.duration_s));
    {
        ProgressLine progress(!o.quiet, o.duration_s);
        for (const auto& choice : engines) {
            XDPDK_ASSIGN_OR_RETURN(auto result, run_engine(choice, o, packets, progress));
            summary.engines.push_back(std::move(result));
        }
    }
    if (o.json)
        std::printf("%s\n", bench_json(summary).dump(2).c_str());
    else
        std::fputs(bench_table(summary).c_str(), stdout);
    for (const auto& r : summary.engines)
        if (r.ran()) return {};
    return make_error("bench", "no engine could run (see the reasons above)");
}

}  // namespace

void add_bench_command(CLI::App& app, int& exit_code) {
    auto opts = std::make_shared<BenchOptions>();
    CLI::App* cmd = app.add_subcommand("bench", "Time a program on a capture's packets with each engine");
    cmd->add_option("PROG", opts->object_path, "BPF object file built with clang -target bpf (none with --filter)");
    add_filter_options(*cmd, opts->filter);
    cmd->add_option("--pcap", opts->pcap_path, "capture whose packets are run, over and over (pcap or pcapng)")
        ->required();
    cmd->add_option("--prog", opts->prog, "program to run, by function or section name (default: the first XDP program)");
    cmd->add_option("--duration", opts->duration_s, "seconds per engine")->capture_default_str();
    cmd->add_option("--engines", opts->engines, "comma-separated engines to time")->capture_default_str();
    cmd->add_option("--maps-in", opts->maps_in, "JSON map contents to set before each engine's run");
    add_load_options(*cmd, opts->load);
    cmd->add_flag("--json", opts->json, "print the results as JSON");
    cmd->add_flag("--quiet", opts->quiet, "no progress line on stderr");
    cmd->callback([opts, &exit_code] {
        auto source = choose_program_source(opts->object_path, opts->filter, {&opts->load, &opts->maps_in, &opts->prog});
        if (!source) {
            exit_code = usage_fail(source.error().str());
            return;
        }
        opts->source = std::move(*source);
        auto st = bench(*opts);
        exit_code = st ? 0 : fail(st.error().str());
    });
}

}  // namespace xdpdk::cli
