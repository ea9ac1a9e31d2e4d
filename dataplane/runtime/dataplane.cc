// xdpdk::Dataplane's life: ports added, configured and started, workers
// launched and stopped, ports drained and closed, the summary.
#include <algorithm>
#include <chrono>
#include <string>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "dataplane_impl.h"
#include "dp_telemetry.h"

namespace xdpdk {

using dataplane::kNoPort;
using dataplane::PortInfo;

namespace {

// Bursts a queue is drained for at stop: enough to empty a full ring of the
// configured size, few enough that an endless source cannot hold us up.
uint32_t drain_bursts(uint16_t rx_desc) { return rx_desc / 64 + 64; }

}  // namespace

Status check_port(uint16_t port, const std::string& subject) { return dataplane::check_port_exists(port, subject); }

Dataplane::Dataplane(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Dataplane::~Dataplane() {
    stop();
    impl_->release_ports();
}

Result<std::unique_ptr<Dataplane>> Dataplane::create(const DataplaneOptions& options) {
    if (options.burst == 0 || options.burst > dataplane::kMaxBurst)
        return make_error("burst", "must be 1.." + std::to_string(dataplane::kMaxBurst));
    auto impl = std::make_unique<Impl>(options);
    XDPDK_RETURN_IF_ERROR(impl->find_workers());
    impl->rt.burst = options.burst;
    impl->rt.run_stats = options.stats;
    impl->rt.fib = options.fib;
    impl->rt.budget.limit(options.max_packets);
    Impl* raw = impl.get();
    impl->events = std::make_unique<dataplane::EventPump>(options.events_out, [raw] {
        std::lock_guard lock(raw->mu);
        return raw->event_maps();
    });
    return std::unique_ptr<Dataplane>(new Dataplane(std::move(impl)));
}

Status Dataplane::Impl::find_workers() {
    unsigned lcore;
    RTE_LCORE_FOREACH_WORKER(lcore) worker_lcores.push_back(lcore);
    if (worker_lcores.empty())
        return make_error("EAL lcores", "no worker lcore: give the main lcore and at least one worker, e.g. -l 0,1");
    return {};
}

Status Dataplane::Impl::check_added(uint16_t port, const std::string& subject) const {
    for (const Port& p : ports)
        if (p.id == port) return {};
    std::string added;
    for (const Port& p : ports)
        if (p.tap_for == kNoPort) added += (added.empty() ? "" : ", ") + std::to_string(p.id);
    return make_error(subject, "not a port of this dataplane (ports: " + (added.empty() ? "none" : added) + ")");
}

Status Dataplane::add_port(uint16_t port, const PortOptions& options) {
    std::lock_guard lock(impl_->mu);
    const std::string subject = "port " + std::to_string(port);
    if (impl_->started) return make_error(subject, "ports are added before start()");
    XDPDK_RETURN_IF_ERROR(dataplane::check_port_exists(port, subject));
    if (options.rx_queues == 0) return make_error(subject, "rx_queues must be at least 1");
    const uint32_t ifindex = options.ifindex != 0 ? options.ifindex : port + 1u;
    for (const Impl::Port& p : impl_->ports) {
        if (p.id == port) return make_error(subject, "added twice");
        const uint32_t other = p.options.ifindex != 0 ? p.options.ifindex : p.id + 1u;
        if (other == ifindex)
            return make_error("ifindex " + std::to_string(ifindex), "ports " + std::to_string(p.id) + " and " +
                                                                        std::to_string(port) + " both have it");
    }
    if (options.pass.kind == PassTarget::Kind::Port)
        XDPDK_RETURN_IF_ERROR(dataplane::check_port_exists(options.pass.port, subject + " pass"));
    Impl::Port p;
    p.id = port;
    p.options = options;
    p.options.ifindex = ifindex;
    p.queues.rx = options.rx_queues;
    impl_->ports.push_back(std::move(p));
    PortInfo info;
    info.id = port;
    info.name = dataplane::port_name(port);
    info.ifindex = ifindex;
    info.pass = "drop";
    if (options.pass.kind == PassTarget::Kind::Port) info.pass = "port " + std::to_string(options.pass.port);
    impl_->infos.push_back(std::move(info));
    return {};
}

PortInfo* Dataplane::Impl::info_of(uint16_t port) {
    for (PortInfo& i : infos)
        if (i.id == port) return &i;
    return nullptr;
}

Status Dataplane::Impl::create_taps() {
    const size_t added = ports.size();
    for (size_t i = 0; i < added; ++i) {
        if (ports[i].options.pass.kind != PassTarget::Kind::Tap) continue;
        const uint16_t for_port = ports[i].id;
        const std::string& name = ports[i].options.pass.tap_name;
        const std::string iface = name.empty() ? "xdpdk" + std::to_string(for_port) : name;
        XDPDK_ASSIGN_OR_RETURN(const uint16_t tap, dataplane::create_tap_port(for_port, iface));
        info_of(for_port)->pass = "tap " + iface + " (port " + std::to_string(tap) + ")";
        Port p;
        p.id = tap;
        p.tap_for = for_port;
        p.options.ifindex = 0;
        ports.push_back(p);
        PortInfo info;
        info.id = tap;
        info.name = dataplane::port_name(tap);
        info.tap_for = for_port;
        infos.push_back(std::move(info));
    }
    return {};
}

// The pool for the ports on `socket`: their rx and tx rings full, plus what
// the workers may hold.
uint32_t Dataplane::Impl::pool_size(int socket, bool page_objects) const {
    if (options.mbufs_per_pool != 0) return options.mbufs_per_pool;
    const auto nworkers = static_cast<uint32_t>(worker_lcores.size());
    uint64_t n = 0;
    for (const Port& p : ports)
        if (dataplane::port_socket(p.id) == socket && dataplane::needs_page_objects(p.id) == page_objects)
            n += uint64_t{p.queues.rx} * p.queues.rx_desc + uint64_t{p.queues.tx} * p.queues.tx_desc;
    // In flight in workers (an rx burst and a tx buffer per port), in lcore
    // caches, and slack for what sits in software rings between ports.
    n += uint64_t{nworkers} * (ports.size() + 1) * options.burst;
    n += uint64_t{nworkers + 1} * options.mbuf_cache;
    n += cpumap_mbufs;
    n += 1024;
    // Powers of two minus one are what rte_mempool stores best.
    uint64_t size = 1;
    while (size - 1 < n) size <<= 1;
    return static_cast<uint32_t>(std::min<uint64_t>(size - 1, UINT32_MAX));
}

// One pool per NUMA node that has ports, as DPDK applications do: a port's
// mbufs are then local to it (and to the workers polling it, when lcores
// are picked on the same node). AF_XDP ports get a pool of their own whose
// objects fit in a page.
Status Dataplane::Impl::create_pools() {
    for (const Port& p : ports) {
        if (pool_for(p.id) != nullptr) continue;
        const int socket = dataplane::port_socket(p.id);
        const bool page_objects = dataplane::needs_page_objects(p.id);
        XDPDK_ASSIGN_OR_RETURN(rte_mempool * pool, dataplane::create_mbuf_pool(pool_size(socket, page_objects),
                                                                                options.mbuf_cache, socket,
                                                                                page_objects));
        rt.pools.push_back(pool);
        pool_kinds.push_back({socket, page_objects});
    }
    return {};
}

rte_mempool* Dataplane::Impl::pool_for(uint16_t port) const {
    const PoolKind kind{dataplane::port_socket(port), dataplane::needs_page_objects(port)};
    for (size_t i = 0; i < pool_kinds.size(); ++i)
        if (pool_kinds[i].socket == kind.socket && pool_kinds[i].page_objects == kind.page_objects)
            return rt.pools[i];
    return nullptr;
}

Status Dataplane::Impl::start_ports() {
    const auto nworkers = static_cast<uint16_t>(worker_lcores.size());
    for (Port& p : ports) {
        dataplane::PortQueues wanted;
        wanted.rx = p.tap_for == kNoPort ? p.queues.rx : 1;
        wanted.tx = nworkers;
        wanted.rx_desc = options.rx_desc;
        wanted.tx_desc = options.tx_desc;
        XDPDK_ASSIGN_OR_RETURN(p.queues, dataplane::fit_queues(p.id, wanted));
        if (p.queues.rx == 0) return make_error("port " + std::to_string(p.id), "has no rx queue");
        PortInfo* info = info_of(p.id);
        info->rx_queues = p.queues.rx;
        info->tx_queues = p.queues.tx;
    }
    XDPDK_RETURN_IF_ERROR(create_cpumap_rings());
    XDPDK_RETURN_IF_ERROR(create_pools());
    for (Port& p : ports) {
        rte_mempool* pool = pool_for(p.id);
        XDPDK_RETURN_IF_ERROR(dataplane::configure_port(p.id, p.queues, pool));
        started_ports.push_back(p.id);
        dataplane::PortState& state = rt.ports[p.id];
        state.in_use = true;
        state.ifindex = p.tap_for == kNoPort ? p.options.ifindex : 0;
        state.tx_queues = p.queues.tx;
        state.rx_pool = pool;
        if (p.queues.tx < nworkers) {
            state.tx_locks.reset(new rte_spinlock_t[p.queues.tx]);
            for (uint16_t q = 0; q < p.queues.tx; ++q) rte_spinlock_init(&state.tx_locks[q]);
        }
        if (p.tap_for == kNoPort) rt.ports_by_ifindex.add(p.options.ifindex, p.id);
    }
    for (const Port& p : ports) {
        if (p.tap_for != kNoPort) {
            rt.ports[p.tap_for].pass_port = p.id;
        } else if (p.options.pass.kind == PassTarget::Kind::Port) {
            rt.ports[p.id].pass_port = p.options.pass.port;
        }
    }
    return {};
}

// A ring per worker for cpumap redirects. The pools get room for the
// frames that may wait in them: per worker, the largest qsize the attached
// programs' cpumaps have now (a larger one set later may find the pool short,
// which shows as rx_nombuf).
Status Dataplane::Impl::create_cpumap_rings() {
    XDPDK_RETURN_IF_ERROR(cpumap_rings.create(static_cast<uint32_t>(worker_lcores.size()), rte_socket_id()));
    rt.cpumap_rings = &cpumap_rings;
    uint32_t largest = 0;
    for (const auto& [port, a] : attached)
        for (const auto& m : a.object->maps())
            if (m->type() == vm::MapType::Cpumap) {
                const auto& cpumap = static_cast<const vm::maps::Cpumap&>(*m);
                for (uint32_t cpu = 0; cpu < m->spec().max_entries; ++cpu)
                    if (const vm::maps::CpumapEntry* e = cpumap.entry(cpu)) largest = std::max(largest, e->qsize);
            }
    cpumap_mbufs = uint64_t{largest} * worker_lcores.size();
    return {};
}

// Every rx queue of the added ports is polled (a port with nothing attached
// is skipped without reading it), spread over the workers; each exception
// tap is polled to carry what the host sends out of its port.
void Dataplane::Impl::plan_workers() {
    std::vector<dataplane::WorkerPlan> plans(worker_lcores.size());
    for (size_t w = 0; w < plans.size(); ++w) {
        plans[w].slot = static_cast<uint32_t>(w);
        plans[w].lcore = worker_lcores[w];
    }
    size_t next = 0;
    for (const Port& p : ports) {
        if (p.tap_for == kNoPort) {
            for (uint16_t q = 0; q < p.queues.rx; ++q) plans[next++ % plans.size()].sources.push_back({p.id, q, kNoPort});
        } else {
            plans[next++ % plans.size()].sources.push_back({p.id, 0, p.tap_for});
        }
    }
    for (dataplane::WorkerPlan& plan : plans)
        workers.push_back(std::make_unique<dataplane::Worker>(rt, std::move(plan), options.trace_out, &trace));
}

Status Dataplane::start() {
    std::lock_guard lock(impl_->mu);
    if (impl_->started) return make_error("dataplane", "already started");
    if (impl_->ports.empty()) return make_error("dataplane", "no port added");
    impl_->started = true;
    XDPDK_RETURN_IF_ERROR(impl_->create_taps());
    XDPDK_RETURN_IF_ERROR(impl_->start_ports());
    impl_->plan_workers();
    impl_->reader.emplace(impl_->infos, impl_->workers);
    impl_->live.emplace(*impl_->reader);
    dataplane::publish_telemetry(&*impl_->reader);
    impl_->start_time = std::chrono::steady_clock::now();
    impl_->running = true;
    for (auto& w : impl_->workers) {
        const int rc = rte_eal_remote_launch(dataplane::Worker::launch, w.get(), w->plan().lcore);
        if (rc != 0) {
            impl_->stop_workers("error");
            return make_error("lcore " + std::to_string(w->plan().lcore),
                              "cannot launch worker: " + std::string(rte_strerror(-rc)));
        }
    }
    if (impl_->options.events_out != nullptr) impl_->events->start();
    return {};
}

void Dataplane::Impl::stop_workers(const std::string& reason) {
    if (!running) return;
    running = false;
    rt.stop.store(true, std::memory_order_relaxed);
    rte_eal_mp_wait_lcore();
    // Frames the workers left in each other's cpumap rings: freed here, so
    // the pools count no mbuf in use and swaps wait for none.
    const uint64_t cpumap_left = cpumap_rings.drain();
    dataplane::unpublish_telemetry();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
    dataplane::RunSummary summary = dataplane::collect_summary(*reader);
    summary.seconds = seconds;
    summary.stopped_by = reason;
    summary.engine = options.interpreter ? "interp" : "jit";
    summary.drained += cpumap_left;
    for (const PortInfo& p : infos) summary.drained += dataplane::drain_port(p.id, p.rx_queues, drain_bursts(options.rx_desc));
    for (uint16_t port : started_ports) dataplane::stop_and_close_port(port);
    started_ports.clear();
    for (const rte_mempool* pool : rt.pools)
        summary.pools.push_back({pool->name, pool->size, rte_mempool_in_use_count(pool)});
    final_summary = std::move(summary);
    release_ports();
}

void Dataplane::Impl::release_ports() {
    if (released) return;
    released = true;
    for (uint16_t port : started_ports) dataplane::stop_and_close_port(port);
    started_ports.clear();
    for (rte_mempool* pool : rt.pools) rte_mempool_free(pool);
    rt.pools.clear();
    pool_kinds.clear();
}

void Dataplane::stop() { stop("stop"); }

void Dataplane::stop(const std::string& reason) {
    {
        std::lock_guard lock(impl_->mu);
        impl_->stop_workers(reason);
    }
    // Outside the lock, which the pump takes to find the maps: what the
    // workers left in the rings, then the lost counts.
    if (!running()) impl_->events->finish();
}

bool Dataplane::running() const {
    std::lock_guard lock(impl_->mu);
    return impl_->running;
}

bool Dataplane::stats_enabled() const { return impl_->options.stats; }

std::vector<PortStats> Dataplane::port_stats() const {
    std::lock_guard lock(impl_->mu);
    std::vector<PortStats> out;
    if (!impl_->reader) return out;
    for (const PortInfo& p : impl_->infos) {
        const dataplane::PortFigures f = impl_->reader->port(p.id);
        PortStats s;
        s.port = p.id;
        s.name = p.name;
        s.rx_packets = f.rx_packets;
        s.rx_bytes = f.rx_bytes;
        s.aborted = f.action_packets[vm::XDP_ABORTED];
        s.dropped = f.action_packets[vm::XDP_DROP];
        s.passed = f.action_packets[vm::XDP_PASS];
        s.transmitted = f.action_packets[vm::XDP_TX];
        s.redirected = f.action_packets[vm::XDP_REDIRECT];
        s.tx_errors = f.tx_drops;
        s.redirect_errors = f.redirect_errors;
        out.push_back(s);
    }
    return out;
}

uint64_t Dataplane::received_packets() const {
    std::lock_guard lock(impl_->mu);
    return impl_->reader ? impl_->reader->attached_rx_packets() : 0;
}

namespace {

dataplane::RunSummary live_summary(const Dataplane::Impl& impl) {
    if (impl.final_summary) return *impl.final_summary;
    dataplane::RunSummary s;
    if (impl.reader) s = dataplane::collect_summary(*impl.reader);
    s.seconds = impl.running ? std::chrono::duration<double>(std::chrono::steady_clock::now() - impl.start_time).count()
                             : 0;
    s.stopped_by = impl.running ? "running" : "not started";
    s.engine = impl.options.interpreter ? "interp" : "jit";
    for (const rte_mempool* pool : impl.rt.pools)
        s.pools.push_back({pool->name, pool->size, rte_mempool_in_use_count(pool)});
    return s;
}

}  // namespace

std::string Dataplane::summary_json() const {
    std::lock_guard lock(impl_->mu);
    return dataplane::summary_json(live_summary(*impl_)).dump(1);
}

std::string Dataplane::summary_text() const {
    std::lock_guard lock(impl_->mu);
    return dataplane::summary_text(live_summary(*impl_));
}

std::string Dataplane::stats_lines(double seconds_since_previous) {
    std::lock_guard lock(impl_->mu);
    if (!impl_->live || !impl_->running) return "";
    return impl_->live->format(seconds_since_previous);
}

std::function<std::vector<std::string>()> Dataplane::follow_trace() { return impl_->trace.follow(); }

}  // namespace xdpdk
