// Programs on a running dataplane: load (off the hot path), attach, hot swap
// with map carry-over, detach, and what `prog show` and `prog dump` report.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <set>

#include "dataplane/inspect/prog_dump.h"
#include "dataplane/loader/global_set.h"
#include "dataplane/loader/map_size_option.h"
#include "dataplane/loader/maps_json.h"
#include "dataplane/loader/object_setup.h"
#include "dataplane_impl.h"
#include "dataplane/loader/spec_source.h"
#include "dp_telemetry.h"
#include "vm/prog_sections.h"
#include "vm/prog_tag.h"

#include <rte_cycles.h>

namespace xdpdk {

namespace {

using Clock = std::chrono::steady_clock;

uint64_t ns_since(Clock::time_point t) {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t).count());
}

std::string describe(const vm::MapSpec& s) {
    return std::string(vm::map_type_name(s.type)) + ", key " + std::to_string(s.key_size) + ", value " +
           std::to_string(s.value_size) + ", max_entries " + std::to_string(s.max_entries) + ", flags " +
           std::to_string(s.flags);
}

// Devmaps get BPF_F_RDONLY_PROG from their create() (as from the kernel's),
// which the declaration being compared does not carry.
bool same_shape(const vm::MapSpec& a, const vm::MapSpec& b) {
    constexpr uint32_t kRdonlyProg = 1u << 7;
    const bool devmap = static_cast<vm::MapType>(a.type) == vm::MapType::Devmap ||
                        static_cast<vm::MapType>(a.type) == vm::MapType::DevmapHash;
    const uint32_t ignored = devmap ? kRdonlyProg : 0;
    return a.type == b.type && a.key_size == b.key_size && a.value_size == b.value_size &&
           a.max_entries == b.max_entries && (a.flags & ~ignored) == (b.flags & ~ignored);
}

// Prog arrays hold the old object's programs: the new program gets its own.
bool carries_over(const vm::MapSpec& s) { return static_cast<vm::MapType>(s.type) != vm::MapType::ProgArray; }

// Global-data maps ("obj.bss") belong to their object, as libbpf never pins
// them; declared maps are C identifiers, without a dot.
bool is_global_data(const vm::Map& m) { return m.name().find('.') != std::string::npos; }

// The programs a carried-over cpumap's entries run: the new object loads
// its programs of the same names to take their place.
void note_cpumap_programs(const vm::Map& map, std::vector<std::string>& names) {
    if (map.type() != vm::MapType::Cpumap) return;
    for (uint32_t i = 0; i < map.spec().max_entries; ++i)
        if (const vm::Program* p = map.program_at(i))
            if (std::find(names.begin(), names.end(), p->name) == names.end()) names.push_back(p->name);
}

std::string port_subject(uint16_t port) { return "port " + std::to_string(port); }

}  // namespace

vm::ObjectOptions Dataplane::Impl::object_options() const {
    vm::ObjectOptions o;
    o.ncpus = static_cast<uint32_t>(worker_lcores.size());
    o.engine = options.interpreter ? vm::EngineKind::Interp : vm::EngineKind::Jit;
    o.strict_verifier = options.strict_verifier;
    return o;
}

// Opens, prepares (globals, sizes, map contents), verifies and compiles,
// and picks the program to attach. Maps come from the pin registry
// (pin_dir) or, for a swap, from the object being replaced, when they have
// the same name and shape. Nothing shared changes here: contents meant for
// reused maps and new pins wait in the result until install().
Result<Dataplane::Impl::Loaded> Dataplane::Impl::load_object(const ProgramSpec& spec,
                                                             const std::vector<std::string>& programs,
                                                             const vm::Object* carry_from,
                                                             const std::vector<std::string>& inherited_globals,
                                                             const std::string& subject) {
    vm::ObjectOptions o = object_options();
    XDPDK_ASSIGN_OR_RETURN(o.map_sizes, loader::parse_map_sizes(spec.map_sizes));
    o.target_btf = spec.target_btf;
    const bool pin = !options.pin_dir.empty();
    if (pin && spec.fresh_maps)
        return make_error(subject, "fresh maps: the maps are pinned under " + options.pin_dir +
                                       " (run --pin), shared by every program; a pinned map is not replaced");
    Loaded loaded;
    std::vector<const vm::Map*> reused;
    o.reuse_map = [&](const vm::MapSpec& wanted) -> Result<std::shared_ptr<vm::Map>> {
        const std::string map_subject = "map '" + wanted.name + "'";
        if (pin && carries_over(wanted)) {
            auto it = pinned.find(wanted.name);
            if (it == pinned.end()) return std::shared_ptr<vm::Map>();
            if (!same_shape(it->second->spec(), wanted))
                return make_error(map_subject, "cannot reuse the map pinned at " + options.pin_dir + "/" +
                                                   wanted.name + ": it is " + describe(it->second->spec()) +
                                                   ", the program declares " + describe(wanted));
            loaded.carried.push_back(wanted.name);
            reused.push_back(it->second.get());
            note_cpumap_programs(*it->second, loaded.cpumap_programs);
            return it->second;
        }
        if (carry_from == nullptr || !carries_over(wanted)) return std::shared_ptr<vm::Map>();
        for (const auto& old : carry_from->maps()) {
            if (old->name() != wanted.name) continue;
            if (!same_shape(old->spec(), wanted))
                return make_error(map_subject, "cannot carry over: the running program's map is " +
                                                   describe(old->spec()) + ", the new one declares " +
                                                   describe(wanted) + " (swap with fresh maps to start from empty ones)");
            loaded.carried.push_back(wanted.name);
            reused.push_back(old.get());
            note_cpumap_programs(*old, loaded.cpumap_programs);
            return old;
        }
        return std::shared_ptr<vm::Map>();
    };
    XDPDK_ASSIGN_OR_RETURN(const loader::ProgramSource source, loader::program_source(spec, subject));
    XDPDK_ASSIGN_OR_RETURN(auto obj, loader::open_program_source(source, o));
    // The running program's settings the new object also has come first;
    // the request's own override them.
    loaded.globals = spec.globals;
    for (const std::string& g : inherited_globals) {
        const std::string name = g.substr(0, g.find('='));
        bool has = false;
        for (const vm::GlobalVar& v : obj->globals()) has |= v.name == name;
        if (!has) continue;
        loaded.globals.insert(loaded.globals.begin(), g);
        loaded.kept_globals.push_back(g);
    }
    XDPDK_RETURN_IF_ERROR(loader::apply_global_assignments(*obj, loaded.globals));
    loader::MapsInput maps_in;
    if (!spec.maps_json.empty()) {
        XDPDK_ASSIGN_OR_RETURN(maps_in, loader::parse_maps_json(*obj, spec.maps_json, spec.maps_json_source));
        // Values for the object's own maps now (.rodata before it freezes);
        // for maps that running programs use, only once this one is accepted.
        loader::MapsInput own = maps_in;
        std::erase_if(own.entries, [&](const loader::MapsInput::Entry& e) {
            return std::find(reused.begin(), reused.end(), e.map) != reused.end();
        });
        std::erase_if(maps_in.entries, [&](const loader::MapsInput::Entry& e) {
            return std::find(reused.begin(), reused.end(), e.map) == reused.end() && e.prog.empty();
        });
        XDPDK_RETURN_IF_ERROR(loader::apply_map_values(own));
    }
    std::vector<std::string> to_load = programs;
    to_load.insert(to_load.end(), loaded.cpumap_programs.begin(), loaded.cpumap_programs.end());
    XDPDK_RETURN_IF_ERROR(loader::choose_programs_to_load(*obj, to_load, maps_in));
    XDPDK_RETURN_IF_ERROR(obj->load());
    XDPDK_RETURN_IF_ERROR(loader::apply_prog_entries(*obj, maps_in));
    XDPDK_ASSIGN_OR_RETURN(loaded.program, attachable_program(*obj, programs.front(), subject));
    loaded.deferred_values = std::move(maps_in);
    loaded.object = std::shared_ptr<vm::Object>(std::move(obj));
    return loaded;
}

Result<const vm::Program*> Dataplane::Impl::attachable_program(const vm::Object& obj, const std::string& name,
                                                               const std::string& subject) const {
    auto prog = name.empty() ? obj.default_xdp_program() : obj.find_program(name);
    if (!prog) return make_error(subject, prog.error().str());
    if ((*prog)->attach != vm::XdpAttach::Ingress)
        return make_error(subject, "prog '" + (*prog)->name + "' (section '" + (*prog)->section + "') is an " +
                                       vm::xdp_attach_name((*prog)->attach) +
                                       " program: it runs from a map entry and cannot be attached to a port, "
                                       "as Linux refuses to attach it to a device");
    if ((*prog)->xlated.empty()) return make_error(subject, "prog '" + (*prog)->name + "' was not loaded");
    return *prog;
}

// Before the old object goes: a frame still queued for a worker runs the
// entry's program when it is taken off the ring, and a cpumap may outlive
// the object that filled it (pinned, carried over, or inside a map of maps),
// so no entry may keep naming a program of an object about to be freed. Runs
// before the port's set is replaced, whose quiescent-state wait then covers
// workers that read an entry before the change.
void Dataplane::Impl::repoint_cpumap_programs(uint16_t port, const vm::Object* next) {
    std::vector<const vm::Object*> staying;
    if (next) staying.push_back(next);
    for (const auto& [p, a] : attached)
        if (p != port) staying.push_back(a.object.get());
    auto owned = [&](const vm::Program* prog) {
        for (const vm::Object* o : staying) {
            auto mine = o->find_program(prog->name);
            if (mine && *mine == prog) return true;
        }
        return false;
    };
    std::vector<std::shared_ptr<vm::Map>> maps = all_maps();
    if (next)
        for (const auto& m : next->maps())
            if (std::find(maps.begin(), maps.end(), m) == maps.end()) maps.push_back(m);
    for (const auto& m : maps) {
        if (m->type() != vm::MapType::Cpumap) continue;
        for (uint32_t i = 0; i < m->spec().max_entries; ++i) {
            const vm::Program* p = m->program_at(i);
            if (p == nullptr || owned(p)) continue;
            const vm::Program* replacement = nullptr;
            if (next)
                if (auto mine = next->find_program(p->name); mine.ok() && !(*mine)->xlated.empty()) replacement = *mine;
            (void)m->set_program(i, replacement);
        }
    }
}

// The map's own id (vm::Map::id), which maps of maps hold and userspace
// writes into them, as the kernel's map ids.
uint32_t Dataplane::Impl::map_id(const vm::Map* map) const { return map ? map->id() : 0; }

std::vector<std::shared_ptr<vm::Map>> Dataplane::Impl::all_maps() const {
    std::vector<std::shared_ptr<vm::Map>> all;
    auto add = [&](const std::shared_ptr<vm::Map>& m) {
        if (m && std::find(all.begin(), all.end(), m) == all.end()) all.push_back(m);
    };
    for (const auto& [port, a] : attached)
        for (const auto& m : a.object->maps()) add(m);
    for (const auto& [name, m] : pinned) add(m);
    // The maps that maps of maps hold (made by --maps-in or inserted by id).
    for (size_t i = 0, n = all.size(); i < n; ++i) {
        const vm::Map& outer = *all[i];
        if (!outer.inner_template()) continue;
        std::vector<uint8_t> key(outer.spec().key_size), next(key.size());
        uint32_t id = 0;
        for (long rc = outer.next_key(nullptr, next.data()); rc == 0; rc = outer.next_key(key.data(), next.data())) {
            key = next;
            if (outer.user_lookup(key.data(), &id) == 0) add(vm::find_map_by_id(id));
        }
    }
    return all;
}

// Publishes the program on the port: one release store; returns once every
// worker has left the bursts that might still run the old program, which is
// then freed with its object unless another port or the pin registry holds it.
void Dataplane::Impl::install(uint16_t port, Loaded loaded, const ProgramSpec& spec) {
    // Accepted: what waited for that (contents of shared maps, new pins)
    // happens now. Prog-array entries were installed by load_object.
    std::erase_if(loaded.deferred_values.entries, [](const loader::MapsInput::Entry& e) { return !e.prog.empty(); });
    (void)loader::apply_map_values(loaded.deferred_values);  // checked against the maps when parsed
    if (!options.pin_dir.empty())
        for (const auto& m : loaded.object->maps())
            if (carries_over(m->spec()) && !is_global_data(*m)) pinned.emplace(m->name(), m);
    auto set = std::make_unique<dataplane::AttachedSet>(
        std::vector<dataplane::AttachedProgram>{{loaded.object, loaded.program}},
        options.stats ? static_cast<uint32_t>(worker_lcores.size()) : 0);
    Attachment a;
    a.id = next_program_id++;
    a.object = std::move(loaded.object);
    a.program = loaded.program;
    a.spec = spec;
    a.spec.globals = loaded.globals;
    a.loaded_at = static_cast<int64_t>(std::time(nullptr));
    a.set = set.get();
    repoint_cpumap_programs(port, a.object.get());
    if (dataplane::PortInfo* i = info_of(port)) {
        auto telemetry = dataplane::lock_telemetry();
        i->object = loader::program_label(spec);
        i->program = a.program->name;
        i->section = a.program->section;
    }
    attached[port] = std::move(a);
    // Every worker runs the new program once this returns; the old set (and
    // with it the old object, unless another port or a pin holds it) is
    // freed by the caller, after it took the time.
    retired = rt.ports[port].attach.replace(std::move(set), vm::ReclaimDomain::global());
}

Result<ProgramInfo> Dataplane::attach(uint16_t port, const ProgramSpec& spec) {
    std::lock_guard lock(impl_->mu);
    const std::string subject = port_subject(port);
    XDPDK_RETURN_IF_ERROR(impl_->check_added(port, subject));
    std::vector<std::string> programs{spec.program};
    programs.insert(programs.end(), spec.also_load.begin(), spec.also_load.end());
    XDPDK_ASSIGN_OR_RETURN(Impl::Loaded loaded, impl_->load_object(spec, programs, nullptr, {}, subject));
    impl_->install(port, std::move(loaded), spec);
    return impl_->info(port, impl_->attached.at(port));
}

Result<ProgramInfo> Dataplane::attach_shared(uint16_t port, uint16_t from_port, const std::string& name) {
    std::lock_guard lock(impl_->mu);
    const std::string subject = port_subject(port);
    XDPDK_RETURN_IF_ERROR(impl_->check_added(port, subject));
    auto from = impl_->attached.find(from_port);
    if (from == impl_->attached.end())
        return make_error(subject, "port " + std::to_string(from_port) + " has no program to share");
    Impl::Loaded shared;
    shared.object = from->second.object;
    XDPDK_ASSIGN_OR_RETURN(shared.program, impl_->attachable_program(*shared.object, name, subject));
    ProgramSpec spec = from->second.spec;
    spec.program = name;
    impl_->install(port, std::move(shared), spec);
    return impl_->info(port, impl_->attached.at(port));
}

Result<SwapReport> Dataplane::swap(uint16_t port, const ProgramSpec& spec) {
    std::lock_guard lock(impl_->mu);
    const std::string subject = port_subject(port);
    XDPDK_RETURN_IF_ERROR(impl_->check_added(port, subject));
    auto old = impl_->attached.find(port);
    const vm::Object* carry_from = old != impl_->attached.end() && !spec.fresh_maps ? old->second.object.get() : nullptr;
    SwapReport report;
    const auto load_start = Clock::now();
    // --set values of the running program stay set, as a run's configuration
    // (a program the request sets itself, or one the new object lacks, aside).
    std::vector<std::string> inherited;
    if (old != impl_->attached.end())
        for (const std::string& g : old->second.spec.globals) {
            const std::string name = g.substr(0, g.find('='));
            bool overridden = false;
            for (const std::string& mine : spec.globals) overridden |= mine.substr(0, mine.find('=')) == name;
            if (!overridden) inherited.push_back(g);
        }
    XDPDK_ASSIGN_OR_RETURN(Impl::Loaded loaded,
                           impl_->load_object(spec, {spec.program}, carry_from, inherited, subject));
    report.carried_maps = loaded.carried;
    report.kept_globals = loaded.kept_globals;
    report.load_ns = ns_since(load_start);
    const auto switch_start = Clock::now();
    impl_->install(port, std::move(loaded), spec);
    report.switch_ns = ns_since(switch_start);
    impl_->retired.reset();
    report.program = impl_->info(port, impl_->attached.at(port));
    return report;
}

Status Dataplane::detach(uint16_t port) {
    std::lock_guard lock(impl_->mu);
    const std::string subject = port_subject(port);
    XDPDK_RETURN_IF_ERROR(impl_->check_added(port, subject));
    auto it = impl_->attached.find(port);
    if (it == impl_->attached.end()) return make_error(subject, "has no program attached");
    impl_->repoint_cpumap_programs(port, nullptr);
    (void)impl_->rt.ports[port].attach.replace(nullptr, vm::ReclaimDomain::global());
    impl_->attached.erase(it);
    if (dataplane::PortInfo* i = impl_->info_of(port)) {
        auto telemetry = dataplane::lock_telemetry();
        i->object = i->program = i->section = "";
    }
    return {};
}

ProgramInfo Dataplane::Impl::info(uint16_t port, const Attachment& a) const {
    ProgramInfo p;
    p.id = a.id;
    p.port = port;
    p.object_path = loader::program_label(a.spec);
    p.name = a.program->name;
    p.section = a.program->section;
    p.tag = vm::prog_tag_hex(a.program->tag);
    p.bytes_xlated = a.program->xlated.size() * sizeof(vm::RawInsn);
    p.bytes_jited = a.program->jit ? a.program->jit->code_size() : 0;
    std::set<const vm::Map*> seen;
    for (const vm::LddwOrigin& origin : a.program->lddw_origins)
        if (seen.insert(origin.map).second) {
            p.map_ids.push_back(map_id(origin.map));
            p.map_names.push_back(origin.map->name());
        }
    p.loaded_at = a.loaded_at;
    uint64_t cycles = 0;
    for (const dataplane::SlotRunStats& s : a.set->run_stats) {
        p.run_cnt += s.runs.load(std::memory_order_relaxed);
        cycles += s.cycles.load(std::memory_order_relaxed);
    }
    const uint64_t hz = rte_get_tsc_hz();
    p.run_time_ns = hz != 0 ? static_cast<uint64_t>(static_cast<long double>(cycles) * 1e9L / hz) : 0;
    return p;
}

std::vector<ProgramInfo> Dataplane::programs() const {
    std::lock_guard lock(impl_->mu);
    std::vector<ProgramInfo> out;
    for (const auto& [port, a] : impl_->attached) out.push_back(impl_->info(port, a));
    return out;
}

Result<ProgramInfo> Dataplane::program(uint16_t port) const {
    std::lock_guard lock(impl_->mu);
    const std::string subject = port_subject(port);
    XDPDK_RETURN_IF_ERROR(impl_->check_added(port, subject));
    auto it = impl_->attached.find(port);
    if (it == impl_->attached.end()) return make_error(subject, "has no program attached");
    return impl_->info(port, it->second);
}

Result<std::string> Dataplane::dump_program(uint16_t port, const std::string& kind) const {
    std::lock_guard lock(impl_->mu);
    const std::string subject = port_subject(port);
    XDPDK_RETURN_IF_ERROR(impl_->check_added(port, subject));
    auto it = impl_->attached.find(port);
    if (it == impl_->attached.end()) return make_error(subject, "has no program attached");
    const vm::Program& prog = *it->second.program;
    if (kind == "xlated") return inspect::dump_header(prog) + "\n" + inspect::format_xlated(prog);
    if (kind == "jited") {
        if (!prog.jit) return make_error(subject, "prog '" + prog.name + "' runs in the interpreter: no jited code");
        inspect::JitedCode code{{static_cast<const uint8_t*>(prog.jit->code()), prog.jit->code_size()},
                                prog.jit->insn_offsets()};
        XDPDK_ASSIGN_OR_RETURN(std::string text, inspect::format_jited(prog, code, {}));
        return inspect::dump_header(prog) + "\n" + text;
    }
    return make_error("dump '" + kind + "'", "expected xlated or jited");
}

}  // namespace xdpdk
