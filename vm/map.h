// Map interface with the kernel's semantics. Program-side calls (from helpers
// and inlined JIT code) act on the running worker's CPU slot; user-side calls
// (replay's --maps-in/--maps-out, inspection) see every slot of a per-CPU map,
// laid out as the kernel's syscall does: ncpus values, each rounded up to 8
// bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "error.h"

struct btf;

namespace xdpdk::vm {

struct Program;

// Kernel map type numbers (enum bpf_map_type).
enum class MapType : uint32_t {
    Hash = 1, Array = 2, ProgArray = 3, PerfEventArray = 4, PercpuHash = 5, PercpuArray = 6,
    LruHash = 9, LruPercpuHash = 10, LpmTrie = 11, ArrayOfMaps = 12, HashOfMaps = 13, Devmap = 14, Cpumap = 16,
    Xskmap = 17, Queue = 22, Stack = 23, DevmapHash = 25, Ringbuf = 27,
};

const char* map_type_name(uint32_t type);

struct MapSpec {
    std::string name;
    uint32_t type = 0;
    uint32_t key_size = 0;
    uint32_t value_size = 0;
    uint32_t max_entries = 0;
    uint32_t flags = 0;
};

// The BTF the declaring object describes a map's key and value with, as
// libbpf hands it to the kernel (BTF-defined maps with __type, global data
// with the section's DATASEC and no key type), so that tools can print
// entries the way `bpftool map dump` does. Empty for maps the kernel keeps no
// BTF for (sizes given by __uint, legacy definitions, devmaps, prog arrays).
struct MapBtf {
    std::shared_ptr<const struct btf> btf;  // the object's .BTF, shared by its maps
    uint32_t key_type_id = 0;               // 0: keyless (global data)
    uint32_t value_type_id = 0;
    explicit operator bool() const { return btf && value_type_id; }
};

// Update flags (BPF_ANY, BPF_NOEXIST, BPF_EXIST) and the LPM key header.
constexpr uint64_t kAny = 0, kNoExist = 1, kExist = 2;

// Maps are owned through shared_ptr (objects, maps of maps, pinned names):
// an outer map takes a share of each inner map it holds.
class Map : public std::enable_shared_from_this<Map> {
public:
    Map(MapSpec spec, uint32_t ncpus);
    virtual ~Map();
    Map(const Map&) = delete;
    Map& operator=(const Map&) = delete;

    const MapSpec& spec() const { return spec_; }
    const std::string& name() const { return spec_.name; }
    // Process-wide and never reused while the map lives, like the kernel's
    // map ids: what userspace reads from and writes into a map of maps.
    uint32_t id() const { return id_; }
    MapType type() const { return static_cast<MapType>(spec_.type); }
    uint32_t ncpus() const { return ncpus_; }
    bool percpu() const;
    // Bytes of one user-side value: value_size, or ncpus * round_up(value_size, 8).
    uint32_t user_value_size() const;

    // ---- program side; return kernel-style 0 / -errno ----
    virtual void* lookup(const void* key, uint32_t cpu) = 0;
    virtual long update(const void* key, const void* value, uint64_t flags, uint32_t cpu) = 0;
    virtual long remove(const void* key) = 0;

    // Queues and stacks (bpf_map_push_elem, _pop_elem, _peek_elem): the
    // verifier lets no other map reach these, which refuse with -EINVAL.
    virtual long push(const void* /*value*/, uint64_t /*flags*/) { return -22; }
    virtual long pop(void* /*value_out*/) { return -22; }
    virtual long peek(void* /*value_out*/) { return -22; }

    // bpf_for_each_map_elem: calls visit(key, value, arg) for each element,
    // the value being `cpu`'s slot in a per-CPU map, until it returns
    // non-zero; returns how many elements it was called for (the stopping
    // one included), as the kernel's map_for_each_callback. Elements the
    // callback deletes (the current one included) or adds may or may not be
    // visited, never visited twice, and the walk stays safe. -EINVAL for maps
    // without it (the verifier lets no program reach those).
    using ElemVisitor = uint64_t (*)(const void* key, void* value, void* arg);
    virtual long for_each_elem(uint32_t /*cpu*/, ElemVisitor /*visit*/, void* /*arg*/) { return -22; }

    // ---- user side ----
    // A queue or stack, which has no keys (key_size 0, `key` ignored), reads
    // as bpf() gives it: lookup peeks, update pushes, lookup-and-delete pops.
    virtual long user_lookup(const void* key, void* value_out) const = 0;
    virtual long user_update(const void* key, const void* value, uint64_t flags) = 0;
    virtual long user_delete(const void* key) { return remove(key); }
    // BPF_MAP_LOOKUP_AND_DELETE_ELEM; -ENOTSUPP (524) for the maps that lack
    // it here.
    virtual long user_lookup_and_delete(const void* /*key*/, void* /*value_out*/) { return -524; }
    // First key when `key` is nullptr; -ENOENT after the last.
    virtual long next_key(const void* key, void* next_out) const = 0;
    // A map without keys (queue, stack) cannot be walked by key: its
    // elements, value_size bytes each, oldest first, so that pushing them in
    // this order rebuilds it. -EINVAL for maps with keys.
    virtual long user_elements(std::vector<uint8_t>& /*out*/) const { return -22; }

    // Array-backed maps (array, per-CPU array, global data): the value memory,
    // for lddw of PSEUDO_MAP_VALUE and for inlined lookups; nullptr otherwise.
    // Preallocated and zeroed; value i is at value_base() + i * round_up(value_size, 8),
    // as in the kernel's array map, so a global-data map (max_entries 1) is one
    // value at value_base(). A per-CPU array holds one such block per CPU:
    // CPU c's values start at value_base() + c * value_cpu_stride() (a multiple
    // of 64, so CPUs never share a cache line). 8-byte aligned at least.
    virtual uint8_t* value_base() { return nullptr; }
    // Bytes between CPU blocks of a per-CPU array; 0 for every other map.
    virtual uint64_t value_cpu_stride() const { return 0; }

    // Event maps (perf event array, ring buffer): hands every record the
    // programs have submitted, per CPU slot oldest first, to `fn` and frees
    // its room; returns how many. Consumers may call it from any thread.
    using EventFn = std::function<void(uint32_t cpu, std::span<const uint8_t> record)>;
    virtual size_t consume_events(const EventFn& /*fn*/) { return 0; }
    // Records dropped so far because their CPU's ring was full (perf's lost).
    virtual uint64_t events_lost() const { return 0; }
    bool is_event_map() const { return type() == MapType::PerfEventArray || type() == MapType::Ringbuf; }
    // Array and hash of maps: the inner map template (the kernel's
    // inner_map_fd, create_map's `inner`). Every map inserted must have its
    // shape (inner_map_fits), and the verifier types what a lookup returns
    // by it. nullptr for every other map.
    virtual const Map* inner_template() const { return nullptr; }

    // Prog arrays: the program at `index` (nullptr if empty / not a prog array).
    virtual const Program* program_at(uint32_t /*index*/) const { return nullptr; }
    virtual long set_program(uint32_t /*index*/, const Program* /*prog*/) { return -22; }

    // Read-only maps (.rodata, frozen): program writes are refused by the
    // verifier; userspace writes fail after freezing.
    void freeze() { frozen_ = true; }
    bool frozen() const { return frozen_; }

    const MapBtf& btf() const { return btf_; }
    void set_btf(MapBtf btf);
    // Byte offset of the struct bpf_spin_lock in the value, found through the
    // value's BTF type as the kernel finds it (a member of the value struct);
    // -1 without one (or without BTF, where the kernel knows of no lock).
    int32_t spin_lock_off() const { return spin_lock_off_; }
    // Locks in the value: the kernel refuses a map with more than one.
    uint32_t spin_locks() const { return spin_locks_; }

protected:
    MapSpec spec_;
    uint32_t ncpus_;
    uint32_t id_;
    bool frozen_ = false;
    MapBtf btf_;
    int32_t spin_lock_off_ = -1;
    uint32_t spin_locks_ = 0;
};

bool is_map_of_maps(uint32_t type);

// The live map with this id (Map::id()), nullptr when there is none.
std::shared_ptr<Map> find_map_by_id(uint32_t id);

// The kernel's map_meta_equal: whether `inner` may go into a map of maps
// whose template is `tmpl` (same type, key and value size, flags, and for
// arrays max_entries unless the template has BPF_F_INNER_MAP). When not,
// `why` says what differs.
bool inner_map_fits(const Map& tmpl, const Map& inner, std::string* why = nullptr);

// Whether create_map builds maps of this type (enum bpf_map_type).
bool map_type_supported(uint32_t type);

// Validates the spec (sizes, flags, type) and builds the map. Per-CPU maps get
// `ncpus` slots. Maps of maps need `inner`, their template; other maps
// ignore it.
Result<std::unique_ptr<Map>> create_map(const MapSpec& spec, uint32_t ncpus,
                                        std::shared_ptr<const Map> inner = nullptr);

}  // namespace xdpdk::vm
