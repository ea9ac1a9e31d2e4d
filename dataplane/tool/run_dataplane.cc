#include "run_dataplane.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_errno.h>

#include "run_args.h"
#include "run_fib.h"
#include "run_objects.h"
#include "dataplane/control/ctl_commands.h"
#include "vm/printable.h"
#include "xdpdk/dataplane.h"

namespace xdpdk::cli {
namespace {

std::atomic<int> stop_signal{0};

void on_stop_signal(int sig) { stop_signal.store(sig, std::memory_order_relaxed); }

void install_stop_signals() {
    struct sigaction sa{};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

int report_error(const Error& e) {
    std::fprintf(stderr, "xdpdk: %s\n", e.str().c_str());
    return 1;
}

// Every port DPDK probed is the dataplane's: the attached ones run their
// program, the others are set up (as pass targets, or idle).
Status check_ports(const RunConfig& config) {
    for (const AttachSpec& a : config.attach)
        XDPDK_RETURN_IF_ERROR(check_port(a.port, "--attach " + std::to_string(a.port)));
    for (const PassSpec& p : config.pass) {
        const std::string subject = "--pass " + std::to_string(p.port);
        XDPDK_RETURN_IF_ERROR(check_port(p.port, subject));
        if (p.kind == PassSpec::Kind::Port) XDPDK_RETURN_IF_ERROR(check_port(p.target_port, subject));
    }
    for (const IfindexSpec& f : config.ifindex)
        XDPDK_RETURN_IF_ERROR(check_port(f.port, "--ifindex " + std::to_string(f.port)));
    for (const XskSpec& x : config.xsk) XDPDK_RETURN_IF_ERROR(check_port(x.port, "--xsk '" + x.text + "'"));
    return {};
}

DataplaneOptions dataplane_options(const RunConfig& config, FILE* trace_out, FILE* events_out, const vm::Fib* fib) {
    DataplaneOptions o;
    o.interpreter = config.engine == vm::EngineKind::Interp;
    o.strict_verifier = config.strict_verifier;
    o.burst = config.burst;
    o.rx_desc = config.rx_desc;
    o.tx_desc = config.tx_desc;
    o.mbuf_cache = config.mbuf_cache;
    o.mbufs_per_pool = config.mbufs_per_pool.value_or(0);
    o.max_packets = config.max_packets;
    o.stats = config.run_stats;
    o.pin_dir = config.pin_dir;
    o.trace_out = trace_out;
    o.events_out = events_out;
    o.fib = fib;
    return o;
}

Status add_ports(Dataplane& dp, const RunConfig& config) {
    std::map<uint32_t, uint16_t> port_of_ifindex;
    uint16_t id;
    RTE_ETH_FOREACH_DEV(id) {
        PortOptions o;
        o.ifindex = port_ifindex(config, id);
        bool attached = false;
        for (const AttachSpec& a : config.attach) attached |= a.port == id;
        o.rx_queues = attached ? config.rx_queues : 1;
        for (const PassSpec& p : config.pass) {
            if (p.port != id) continue;
            o.pass.kind = p.kind == PassSpec::Kind::Tap    ? PassTarget::Kind::Tap
                          : p.kind == PassSpec::Kind::Port ? PassTarget::Kind::Port
                                                           : PassTarget::Kind::Drop;
            o.pass.port = p.target_port;
            o.pass.tap_name = p.tap_name;
        }
        const auto [it, fresh] = port_of_ifindex.emplace(o.ifindex, id);
        if (!fresh)
            return make_error("--ifindex", "ports " + std::to_string(it->second) + " and " + std::to_string(id) +
                                               " both have ifindex " + std::to_string(o.ifindex) +
                                               " (unlisted ports have port id + 1)");
        XDPDK_RETURN_IF_ERROR(dp.add_port(id, o));
    }
    return {};
}

// Programs are attached before the workers start, so the first burst of
// every port already runs its program.
Status attach_programs(Dataplane& dp, const std::vector<PlannedObject>& objects) {
    for (const PlannedObject& p : objects) {
        const std::string subject = "--attach " + std::to_string(p.ports[0]) + "=" + p.label +
                                    (p.programs[0].empty() ? "" : "@" + p.programs[0]);
        auto first = dp.attach(p.ports[0], p.spec);
        if (!first) {
            Error e = first.error();
            if (e.subject.rfind("port ", 0) == 0) e.subject = subject;
            return e;
        }
        for (size_t i = 1; i < p.ports.size(); ++i) {
            auto shared = dp.attach_shared(p.ports[i], p.ports[0], p.programs[i]);
            if (!shared) {
                Error e = shared.error();
                if (e.subject.rfind("port ", 0) == 0)
                    e.subject = vm::printable("--attach " + std::to_string(p.ports[i]) + "=" + p.label +
                                              (p.programs[i].empty() ? "" : "@" + p.programs[i]));
                return e;
            }
        }
    }
    return {};
}

// After the programs are attached (their maps exist), before traffic.
Status bind_xsk_slots(Dataplane& dp, const RunConfig& config) {
    for (const XskSpec& x : config.xsk) {
        Status st = dp.bind_xsk(x.map, x.slot, x.port);
        if (!st) {
            Error e = st.error();
            e.subject = "--xsk '" + vm::printable(x.text) + "': " + e.subject;
            return e;
        }
    }
    return {};
}

const char* wait_for_stop(Dataplane& dp, const RunConfig& config) {
    using Clock = std::chrono::steady_clock;
    FILE* live_out = config.json ? stderr : stdout;
    const auto start = Clock::now();
    auto last_line = start;
    for (;;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        if (stop_signal.load(std::memory_order_relaxed) != 0) return "signal";
        const auto now = Clock::now();
        if (config.max_packets != 0 && dp.received_packets() >= config.max_packets) return "--packets";
        if (config.duration_s > 0 && std::chrono::duration<double>(now - start).count() >= config.duration_s)
            return "--duration";
        const double since_line = std::chrono::duration<double>(now - last_line).count();
        if (config.stats_interval_s > 0 && since_line >= config.stats_interval_s) {
            std::fputs(dp.stats_lines(since_line).c_str(), live_out);
            std::fflush(live_out);
            last_line = now;
        }
    }
}

Status write_text(const std::string& path, const std::string& text, const std::string& subject) {
    FILE* f = path == "-" ? stdout : std::fopen(path.c_str(), "wb");
    if (f == nullptr) return make_error(subject, std::strerror(errno));
    const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    const bool closed = f == stdout ? std::fflush(f) == 0 : std::fclose(f) == 0;
    if (!written || !closed) return make_error(subject, std::string("write failed: ") + std::strerror(errno));
    return {};
}

// The control socket: --ctl PATH, or /run/xdpdk/<file-prefix>.sock. A
// default path that cannot be served (not root, a read-only /run) costs a
// warning, not the run; a path the user chose must work.
Result<std::unique_ptr<control::Server>> serve_control(Dataplane& dp, const RunConfig& config) {
    if (!config.ctl) return std::unique_ptr<control::Server>();
    std::string path = config.ctl_path;
    const bool chosen = !path.empty();
    if (!chosen) {
        const std::string runtime_dir = rte_eal_get_runtime_dir();
        path = "/run/xdpdk/" + runtime_dir.substr(runtime_dir.find_last_of('/') + 1) + ".sock";
    }
    control::ServerOptions options;
    options.create_parent_dirs = !chosen;
    auto server = control::Server::listen(path, control::dataplane_handler(dp), options);
    if (server) return std::move(*server);
    if (chosen) {
        Error e = server.error();
        e.subject = "--ctl " + e.subject;
        return e;
    }
    std::fprintf(stderr, "xdpdk: warning: no control socket: %s\n", server.error().str().c_str());
    return std::unique_ptr<control::Server>();
}

Status run_session(const RunConfig& config, FILE* trace_out, FILE* events_out) {
    XDPDK_RETURN_IF_ERROR(check_ports(config));
    XDPDK_ASSIGN_OR_RETURN(std::vector<PlannedObject> objects, plan_objects(config));
    XDPDK_ASSIGN_OR_RETURN(std::unique_ptr<RunFib> fib, RunFib::start(config));
    XDPDK_ASSIGN_OR_RETURN(std::unique_ptr<Dataplane> dp,
                           Dataplane::create(dataplane_options(config, trace_out, events_out, fib->fib())));
    XDPDK_RETURN_IF_ERROR(add_ports(*dp, config));
    XDPDK_RETURN_IF_ERROR(attach_programs(*dp, objects));
    XDPDK_RETURN_IF_ERROR(bind_xsk_slots(*dp, config));
    XDPDK_RETURN_IF_ERROR(dp->start());
    XDPDK_ASSIGN_OR_RETURN(std::unique_ptr<control::Server> ctl, serve_control(*dp, config));
    install_stop_signals();
    const char* stopped_by = wait_for_stop(*dp, config);
    if (ctl) ctl->stop();  // before the workers: no request runs against a stopping dataplane
    dp->stop(stopped_by);
    Status maps = config.maps_out.empty()
                      ? Status{}
                      : write_text(config.maps_out, dp->maps_snapshot_json(), "--maps-out '" + config.maps_out + "'");
    std::fputs(config.json ? (dp->summary_json() + "\n").c_str() : dp->summary_text().c_str(), stdout);
    std::fflush(stdout);
    return maps;
}

// argv for rte_eal_init, which may reorder it: owned copies.
class EalArgs {
public:
    explicit EalArgs(const std::vector<std::string>& args) {
        if (args.empty()) strings_.push_back("xdpdk");
        strings_.insert(strings_.end(), args.begin(), args.end());
        for (auto& s : strings_) argv_.push_back(s.data());
        argv_.push_back(nullptr);
    }
    int argc() const { return static_cast<int>(argv_.size() - 1); }
    char** argv() { return argv_.data(); }

private:
    std::vector<std::string> strings_;
    std::vector<char*> argv_;
};

bool asks_for_help(const std::vector<std::string>& args) {
    for (const auto& a : args)
        if (a == "-h" || a == "--help") return true;
    return false;
}

// rte_eal_init prints its whole usage on stdout after a bad option; its log
// on stderr already says what was wrong, so stdout is muted around it unless
// the usage was asked for.
int init_eal(const std::vector<std::string>& eal_args) {
    EalArgs args(eal_args);
    if (asks_for_help(eal_args)) return rte_eal_init(args.argc(), args.argv());
    std::fflush(stdout);
    const int saved = dup(STDOUT_FILENO);
    const int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (saved >= 0 && devnull >= 0) dup2(devnull, STDOUT_FILENO);
    const int rc = rte_eal_init(args.argc(), args.argv());
    const int saved_errno = rte_errno;
    std::fflush(stdout);
    if (saved >= 0 && devnull >= 0) dup2(saved, STDOUT_FILENO);
    if (saved >= 0) close(saved);
    if (devnull >= 0) close(devnull);
    rte_errno = saved_errno;
    return rc;
}

}  // namespace

int run_dataplane(const RunConfig& config) {
    if (Status st = validate_run_config(config); !st) return report_error(st.error());
    FILE* trace_out = stderr;
    if (!config.trace_path.empty()) {
        // Checked before EAL starts, so a bad path costs nothing.
        trace_out = std::fopen(config.trace_path.c_str(), "w");
        if (trace_out == nullptr)
            return report_error(make_error("--trace '" + config.trace_path + "'", std::strerror(errno)));
        std::setvbuf(trace_out, nullptr, _IOLBF, 0);
    }
    FILE* events_out = nullptr;
    if (config.events_path == "-") {
        events_out = stdout;
    } else if (!config.events_path.empty()) {
        events_out = std::fopen(config.events_path.c_str(), "w");
        if (events_out == nullptr) {
            if (trace_out != stderr) std::fclose(trace_out);
            return report_error(make_error("--events '" + config.events_path + "'", std::strerror(errno)));
        }
    }
    int exit_code = 0;
    if (init_eal(config.eal_args) < 0) {
        exit_code = report_error(make_error("EAL", std::string("cannot initialise: ") + rte_strerror(rte_errno) +
                                                       " (check the EAL options before '--')"));
    } else {
        if (Status st = run_session(config, trace_out, events_out); !st) exit_code = report_error(st.error());
        rte_eal_cleanup();
    }
    if (trace_out != stderr) std::fclose(trace_out);
    if (events_out != nullptr && events_out != stdout && std::fclose(events_out) != 0 && exit_code == 0)
        exit_code = report_error(make_error("--events '" + config.events_path + "'", std::strerror(errno)));
    return exit_code;
}

}  // namespace xdpdk::cli
