// The state behind xdpdk::Dataplane (include/xdpdk/dataplane.h): the ports
// and pools (dataplane.cc), the workers, and the loaded programs with the ids
// and maps that the inspection calls report (dataplane_programs.cc,
// dataplane_maps.cc).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dp_attach.h"
#include "dp_events.h"
#include "dp_cpumap.h"
#include "dp_ports.h"
#include "dp_runtime.h"
#include "dp_stats.h"
#include "dp_trace.h"
#include "dp_worker.h"
#include "dataplane/loader/maps_json.h"
#include "vm/map.h"
#include "vm/object.h"
#include "xdpdk/dataplane.h"

namespace xdpdk {

struct Dataplane::Impl {
    struct Port {
        uint16_t id = 0;
        PortOptions options;
        dataplane::PortQueues queues;
        uint16_t tap_for = dataplane::kNoPort;  // an exception tap: the port it serves
    };

    // What a port runs: the object (shared with other ports attached to it
    // with attach_shared) and the program, with what `prog show` reports.
    struct Attachment {
        uint32_t id = 0;
        std::shared_ptr<vm::Object> object;
        const vm::Program* program = nullptr;
        ProgramSpec spec;
        int64_t loaded_at = 0;
        const dataplane::AttachedSet* set = nullptr;  // the published set, for its run statistics
    };

    explicit Impl(const DataplaneOptions& o) : options(o) {}

    // dataplane.cc
    Status find_workers();
    Status create_taps();
    Status start_ports();
    Status create_pools();
    Status create_cpumap_rings();
    uint32_t pool_size(int socket, bool page_objects) const;
    rte_mempool* pool_for(uint16_t port) const;
    void plan_workers();
    dataplane::PortInfo* info_of(uint16_t port);
    void stop_workers(const std::string& reason);
    void release_ports();
    Status check_added(uint16_t port, const std::string& subject) const;

    // dataplane_programs.cc
    vm::ObjectOptions object_options() const;
    // A program loaded and accepted, not yet attached.
    struct Loaded {
        std::shared_ptr<vm::Object> object;
        const vm::Program* program = nullptr;
        std::vector<std::string> carried;       // maps taken over (carried or pinned)
        loader::MapsInput deferred_values;      // contents for those maps, written by install()
        std::vector<std::string> globals;       // every NAME=VALUE applied
        std::vector<std::string> kept_globals;  // of them, those inherited from the running program
        std::vector<std::string> cpumap_programs;  // entry programs of carried-over cpumaps, to load
    };
    Result<Loaded> load_object(const ProgramSpec& spec, const std::vector<std::string>& programs,
                               const vm::Object* carry_from, const std::vector<std::string>& inherited_globals,
                               const std::string& subject);
    Result<const vm::Program*> attachable_program(const vm::Object& obj, const std::string& name,
                                                  const std::string& subject) const;
    void install(uint16_t port, Loaded loaded, const ProgramSpec& spec);
    // Before the program on `port` is replaced by `next`'s (nullptr: detached):
    // every cpumap entry, in any live map, that names a program no remaining
    // object owns gets `next`'s program of the same name, or none.
    void repoint_cpumap_programs(uint16_t port, const vm::Object* next);
    uint32_t map_id(const vm::Map* map) const;
    // Every map a control call may name: the attached objects' maps, the
    // pinned ones, and the inner maps that maps of maps hold.
    std::vector<std::shared_ptr<vm::Map>> all_maps() const;
    ProgramInfo info(uint16_t port, const Attachment& a) const;
    Result<std::shared_ptr<vm::Map>> find_map(const std::string& ref) const;
    Result<std::pair<std::shared_ptr<vm::Map>, std::vector<uint8_t>>> lookup(const std::string& ref,
                                                                             const std::vector<uint8_t>& key) const;

    DataplaneOptions options;
    std::vector<unsigned> worker_lcores;
    std::vector<Port> ports;  // added ports in order, then the exception taps
    dataplane::Runtime rt;
    std::vector<std::unique_ptr<dataplane::Worker>> workers;
    std::vector<dataplane::PortInfo> infos;
    std::optional<dataplane::StatsReader> reader;
    std::optional<dataplane::LiveStats> live;
    dataplane::TraceBus trace;
    // Takes records out of the event maps' rings (started with the workers
    // when options.events_out is set, else by the first follower).
    std::unique_ptr<dataplane::EventPump> events;
    // The event maps of every attached program and pinned map, once each.
    std::vector<std::shared_ptr<vm::Map>> event_maps() const;
    struct PoolKind {
        int socket;
        bool page_objects;
    };
    std::vector<PoolKind> pool_kinds;  // of rt.pools, index by index
    std::vector<uint16_t> started_ports;
    dataplane::CpumapRings cpumap_rings;
    // Mbufs that may wait in cpumap rings: what the pools add for them.
    uint64_t cpumap_mbufs = 0;

    bool started = false;
    bool running = false;
    bool released = false;
    std::chrono::steady_clock::time_point start_time;
    std::optional<dataplane::RunSummary> final_summary;  // taken when the workers stopped

    std::map<uint16_t, Attachment> attached;
    // The set install() replaced, for the caller to free (after timing a swap).
    std::unique_ptr<dataplane::AttachedSet> retired;
    uint32_t next_program_id = 1;
    // The maps shared by name under options.pin_dir.
    std::map<std::string, std::shared_ptr<vm::Map>> pinned;

    // Control calls and statistics readers (the ctl server's thread, the
    // application's main thread) take it; workers never do.
    mutable std::mutex mu;
};

}  // namespace xdpdk
