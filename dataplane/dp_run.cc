#include "dp_run.h"

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
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "dp_objects.h"
#include "dp_ports.h"
#include "dp_runtime.h"
#include "dp_stats.h"
#include "dp_telemetry.h"
#include "dp_worker.h"
#include "run_args.h"

namespace xdpdk::dataplane {
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

// Bursts a queue is drained for at stop: enough to empty a full ring of the
// configured size, few enough that an endless source cannot hold us up.
uint32_t drain_bursts(uint16_t rx_desc) { return rx_desc / 64 + 64; }

// Everything between rte_eal_init and rte_eal_cleanup. The destructor stops
// and closes the ports and frees the pool on every path, errors included.
class Session {
public:
    explicit Session(const RunConfig& config) : config_(config) {}
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    Status prepare();
    Status run();

private:
    struct PortPlan {
        uint16_t id;
        PortInfo info;
        PortQueues queues;
        const AttachSpec* attach = nullptr;
        const PassSpec* pass = nullptr;
    };

    Status find_workers();
    Status check_ports();
    Status plan_ports();
    Status create_taps();
    Status start_ports();
    void plan_workers();
    uint32_t pool_size(int socket, bool page_objects) const;
    Status create_pools();
    rte_mempool* pool_for(uint16_t port) const;
    const char* wait_for_stop();
    void release_ports();

    const RunConfig& config_;
    std::vector<unsigned> worker_lcores_;
    std::unique_ptr<ObjectSet> objects_;
    std::vector<PortPlan> plans_;
    Runtime rt_;
    std::vector<uint16_t> started_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::vector<PortInfo> infos_;
    struct PoolKind {
        int socket;
        bool page_objects;
    };
    std::vector<PoolKind> pool_kinds_;  // of rt_.pools, index by index
    FILE* trace_out_ = stderr;
    bool ports_released_ = false;
};

Session::~Session() {
    release_ports();
    if (trace_out_ != stderr) std::fclose(trace_out_);
}

void Session::release_ports() {
    if (ports_released_) return;
    ports_released_ = true;
    for (uint16_t port : started_) stop_and_close_port(port);
    started_.clear();
    for (rte_mempool* pool : rt_.pools) rte_mempool_free(pool);
    rt_.pools.clear();
    pool_kinds_.clear();
}

Status Session::find_workers() {
    unsigned lcore;
    RTE_LCORE_FOREACH_WORKER(lcore) worker_lcores_.push_back(lcore);
    if (worker_lcores_.empty())
        return make_error("EAL lcores", "no worker lcore: give the main lcore and at least one worker, e.g. -l 0,1");
    return {};
}

Status Session::check_ports() {
    for (const AttachSpec& a : config_.attach)
        XDPDK_RETURN_IF_ERROR(check_port_exists(a.port, "--attach " + std::to_string(a.port)));
    for (const PassSpec& p : config_.pass) {
        const std::string subject = "--pass " + std::to_string(p.port);
        XDPDK_RETURN_IF_ERROR(check_port_exists(p.port, subject));
        if (p.kind == PassSpec::Kind::Port) XDPDK_RETURN_IF_ERROR(check_port_exists(p.target_port, subject));
    }
    for (const IfindexSpec& f : config_.ifindex)
        XDPDK_RETURN_IF_ERROR(check_port_exists(f.port, "--ifindex " + std::to_string(f.port)));
    return {};
}

Status Session::plan_ports() {
    std::map<uint32_t, uint16_t> port_of_ifindex;
    uint16_t id;
    RTE_ETH_FOREACH_DEV(id) {
        PortPlan plan{id, {}, {}, nullptr, nullptr};
        plan.info.id = id;
        plan.info.name = port_name(id);
        plan.info.ifindex = id + 1u;
        for (const IfindexSpec& f : config_.ifindex)
            if (f.port == id) plan.info.ifindex = f.ifindex;
        for (const AttachSpec& a : config_.attach)
            if (a.port == id) plan.attach = &a;
        for (const PassSpec& p : config_.pass)
            if (p.port == id) plan.pass = &p;
        const auto [it, fresh] = port_of_ifindex.emplace(plan.info.ifindex, id);
        if (!fresh)
            return make_error("--ifindex", "ports " + std::to_string(it->second) + " and " + std::to_string(id) +
                                               " both have ifindex " + std::to_string(plan.info.ifindex) +
                                               " (unlisted ports have port id + 1)");
        plan.queues.rx = plan.attach ? config_.rx_queues : 1;
        plans_.push_back(std::move(plan));
    }
    for (PortPlan& plan : plans_) {
        if (plan.attach) {
            XDPDK_ASSIGN_OR_RETURN(AttachedProgram prog, objects_->program_for(*plan.attach));
            plan.info.object = plan.attach->object_path;
            plan.info.program = prog.program->name;
            plan.info.section = prog.program->section;
        }
        plan.info.pass = "drop";
        if (plan.pass && plan.pass->kind == PassSpec::Kind::Port)
            plan.info.pass = "port " + std::to_string(plan.pass->target_port);
    }
    return {};
}

Status Session::create_taps() {
    const size_t physical = plans_.size();
    for (size_t i = 0; i < physical; ++i) {
        if (!plans_[i].pass || plans_[i].pass->kind != PassSpec::Kind::Tap) continue;
        const uint16_t for_port = plans_[i].id;
        const std::string iface =
            plans_[i].pass->tap_name.empty() ? "xdpdk" + std::to_string(for_port) : plans_[i].pass->tap_name;
        XDPDK_ASSIGN_OR_RETURN(const uint16_t tap, create_tap_port(for_port, iface));
        plans_[i].info.pass = "tap " + iface + " (port " + std::to_string(tap) + ")";
        PortPlan plan{tap, {}, {}, nullptr, nullptr};
        plan.info.id = tap;
        plan.info.name = port_name(tap);
        plan.info.tap_for = for_port;
        plans_.push_back(std::move(plan));
    }
    return {};
}

// The pool for the ports on `socket`: their rx and tx rings full, plus what
// the workers may hold.
uint32_t Session::pool_size(int socket, bool page_objects) const {
    if (config_.mbufs_per_pool) return *config_.mbufs_per_pool;
    const auto workers = static_cast<uint32_t>(worker_lcores_.size());
    uint64_t n = 0;
    for (const PortPlan& p : plans_)
        if (port_socket(p.id) == socket && needs_page_objects(p.id) == page_objects)
            n += uint64_t{p.queues.rx} * p.queues.rx_desc + uint64_t{p.queues.tx} * p.queues.tx_desc;
    // In flight in workers (an rx burst and a tx buffer per port), in lcore
    // caches, and slack for what sits in software rings between ports.
    n += uint64_t{workers} * (plans_.size() + 1) * config_.burst;
    n += uint64_t{workers + 1} * config_.mbuf_cache;
    n += 1024;
    // Powers of two minus one are what rte_mempool stores best.
    uint64_t size = 1;
    while (size - 1 < n) size <<= 1;
    return static_cast<uint32_t>(std::min<uint64_t>(size - 1, UINT32_MAX));
}

Status Session::start_ports() {
    const auto workers = static_cast<uint16_t>(worker_lcores_.size());
    for (PortPlan& p : plans_) {
        PortQueues wanted;
        wanted.rx = p.queues.rx;
        wanted.tx = workers;
        wanted.rx_desc = config_.rx_desc;
        wanted.tx_desc = config_.tx_desc;
        XDPDK_ASSIGN_OR_RETURN(p.queues, fit_queues(p.id, wanted));
        if (p.attach && p.queues.rx == 0)
            return make_error("--attach " + std::to_string(p.id), "port " + p.info.name + " has no rx queue");
        p.info.rx_queues = p.queues.rx;
        p.info.tx_queues = p.queues.tx;
    }
    XDPDK_RETURN_IF_ERROR(create_pools());
    for (PortPlan& p : plans_) {
        rte_mempool* pool = pool_for(p.id);
        XDPDK_RETURN_IF_ERROR(configure_port(p.id, p.queues, pool));
        started_.push_back(p.id);
        PortState& state = rt_.ports[p.id];
        state.in_use = true;
        state.ifindex = p.info.ifindex;
        state.tx_queues = p.queues.tx;
        state.rx_pool = pool;
        if (p.queues.tx < workers) {
            state.tx_locks.reset(new rte_spinlock_t[p.queues.tx]);
            for (uint16_t q = 0; q < p.queues.tx; ++q) rte_spinlock_init(&state.tx_locks[q]);
        }
        if (p.info.tap_for == kNoPort) rt_.ports_by_ifindex.add(p.info.ifindex, p.id);
        infos_.push_back(p.info);
    }
    // Pass destinations and programs once every port is set up.
    for (PortPlan& p : plans_) {
        PortState& state = rt_.ports[p.id];
        if (p.pass && p.pass->kind == PassSpec::Kind::Port) state.pass_port = p.pass->target_port;
        if (p.attach) {
            XDPDK_ASSIGN_OR_RETURN(AttachedProgram prog, objects_->program_for(*p.attach));
            state.attach.replace(std::make_unique<AttachedSet>(std::vector<AttachedProgram>{std::move(prog)}),
                                 vm::ReclaimDomain::global());
        }
    }
    for (const PortPlan& p : plans_)
        if (p.info.tap_for != kNoPort) rt_.ports[p.info.tap_for].pass_port = p.id;
    return {};
}

// One pool per NUMA node that has ports, as DPDK applications do: a port's
// mbufs are then local to it (and to the workers polling it, when lcores
// are picked on the same node). AF_XDP ports get a pool of their own whose
// objects fit in a page.
Status Session::create_pools() {
    for (const PortPlan& p : plans_) {
        if (pool_for(p.id) != nullptr) continue;
        const int socket = port_socket(p.id);
        const bool page_objects = needs_page_objects(p.id);
        XDPDK_ASSIGN_OR_RETURN(rte_mempool * pool, create_mbuf_pool(pool_size(socket, page_objects),
                                                                     config_.mbuf_cache, socket, page_objects));
        rt_.pools.push_back(pool);
        pool_kinds_.push_back({socket, page_objects});
    }
    return {};
}

rte_mempool* Session::pool_for(uint16_t port) const {
    const PoolKind kind{port_socket(port), needs_page_objects(port)};
    for (size_t i = 0; i < pool_kinds_.size(); ++i)
        if (pool_kinds_[i].socket == kind.socket && pool_kinds_[i].page_objects == kind.page_objects)
            return rt_.pools[i];
    return nullptr;
}

void Session::plan_workers() {
    std::vector<WorkerPlan> plans(worker_lcores_.size());
    for (size_t w = 0; w < plans.size(); ++w) {
        plans[w].slot = static_cast<uint32_t>(w);
        plans[w].lcore = worker_lcores_[w];
    }
    size_t next = 0;
    for (const PortPlan& p : plans_) {
        if (p.attach) {
            for (uint16_t q = 0; q < p.queues.rx; ++q) plans[next++ % plans.size()].sources.push_back({p.id, q, kNoPort});
        } else if (p.info.tap_for != kNoPort) {
            plans[next++ % plans.size()].sources.push_back({p.id, 0, p.info.tap_for});
        }
    }
    for (WorkerPlan& plan : plans) workers_.push_back(std::make_unique<Worker>(rt_, std::move(plan), trace_out_));
}

Status Session::prepare() {
    XDPDK_RETURN_IF_ERROR(find_workers());
    XDPDK_RETURN_IF_ERROR(check_ports());
    XDPDK_ASSIGN_OR_RETURN(ObjectSet objects, ObjectSet::load(config_, static_cast<uint32_t>(worker_lcores_.size())));
    objects_ = std::make_unique<ObjectSet>(std::move(objects));
    XDPDK_RETURN_IF_ERROR(plan_ports());
    if (!config_.trace_path.empty()) {
        trace_out_ = std::fopen(config_.trace_path.c_str(), "w");
        if (trace_out_ == nullptr) {
            trace_out_ = stderr;
            return make_error("--trace '" + config_.trace_path + "'", std::strerror(errno));
        }
        std::setvbuf(trace_out_, nullptr, _IOLBF, 0);
    }
    XDPDK_RETURN_IF_ERROR(create_taps());
    XDPDK_RETURN_IF_ERROR(start_ports());
    rt_.burst = config_.burst;
    rt_.budget.limit(config_.max_packets);
    plan_workers();
    return {};
}

const char* Session::wait_for_stop() {
    using Clock = std::chrono::steady_clock;
    StatsReader reader(infos_, workers_);
    LiveStats live(reader);
    FILE* live_out = config_.json ? stderr : stdout;
    const auto start = Clock::now();
    auto last_line = start;
    for (;;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        if (stop_signal.load(std::memory_order_relaxed) != 0) return "signal";
        const auto now = Clock::now();
        if (config_.max_packets != 0 && reader.attached_rx_packets() >= config_.max_packets) return "--packets";
        if (config_.duration_s > 0 && std::chrono::duration<double>(now - start).count() >= config_.duration_s)
            return "--duration";
        const double since_line = std::chrono::duration<double>(now - last_line).count();
        if (config_.stats_interval_s > 0 && since_line >= config_.stats_interval_s) {
            live.print(live_out, since_line);
            last_line = now;
        }
    }
}

Status Session::run() {
    StatsReader reader(infos_, workers_);
    publish_telemetry(&reader);
    install_stop_signals();
    const auto start = std::chrono::steady_clock::now();
    for (auto& w : workers_) {
        const int rc = rte_eal_remote_launch(Worker::launch, w.get(), w->plan().lcore);
        if (rc != 0) {
            rt_.stop.store(true);
            rte_eal_mp_wait_lcore();
            unpublish_telemetry();
            return make_error("lcore " + std::to_string(w->plan().lcore), "cannot launch worker: " +
                                                                              std::string(rte_strerror(-rc)));
        }
    }
    const char* stopped_by = wait_for_stop();
    rt_.stop.store(true, std::memory_order_relaxed);
    rte_eal_mp_wait_lcore();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    unpublish_telemetry();

    RunSummary summary = collect_summary(reader);
    summary.seconds = seconds;
    summary.stopped_by = stopped_by;
    summary.engine = config_.engine == vm::EngineKind::Jit ? "jit" : "interp";
    for (const PortInfo& p : infos_) summary.drained += drain_port(p.id, p.rx_queues, drain_bursts(config_.rx_desc));
    for (uint16_t port : started_) stop_and_close_port(port);
    started_.clear();
    for (const rte_mempool* pool : rt_.pools)
        summary.pools.push_back({pool->name, pool->size, rte_mempool_in_use_count(pool)});
    release_ports();

    Status maps = config_.maps_out.empty() ? Status{} : objects_->write_maps(config_.maps_out);
    if (config_.json) {
        std::printf("%s\n", summary_json(summary).dump(1).c_str());
    } else {
        std::fputs(summary_text(summary).c_str(), stdout);
    }
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
    if (init_eal(config.eal_args) < 0)
        return report_error(make_error("EAL", std::string("cannot initialise: ") + rte_strerror(rte_errno) +
                                                  " (check the EAL options before '--')"));
    int exit_code = 0;
    {
        Session session(config);
        Status st = session.prepare();
        if (st) st = session.run();
        if (!st) exit_code = report_error(st.error());
    }
    rte_eal_cleanup();
    return exit_code;
}

}  // namespace xdpdk::dataplane
