// The Linux kernel as the oracle: loads a BPF object through libbpf, lets a
// test fill its maps and globals, runs packets with BPF_PROG_TEST_RUN and
// reads back the verdict, the packet and every map, so the same run can be
// compared with xdpdk's VM.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vm/error.h"

struct bpf_object;
struct bpf_map;

namespace xdpdk::test {

using Bytes = std::vector<uint8_t>;

// Orders keys by length, then bytes (std::less<vector> trips a GCC 12
// -Wstringop-overread false positive).
struct BytesLess {
    bool operator()(const Bytes& a, const Bytes& b) const;
};

// A map as userspace sees it. Per-CPU values hold every CPU's slot, each
// rounded up to 8 bytes, as the bpf() syscall returns them. A queue's or
// stack's elements are keyed by their position, oldest first (a u32).
struct MapDump {
    std::string name;
    uint32_t type = 0;
    uint32_t key_size = 0;
    uint32_t value_size = 0;  // of one element, as declared
    bool percpu = false;
    std::map<Bytes, Bytes, BytesLess> entries;
};

// What a map of maps' entry compares by in dumps: not the inner map's id,
// which differs between the kernel and the VM, but its name as the kernel
// keeps it (at most 15 characters).
Bytes inner_map_name_bytes(std::string_view name);
bool is_map_of_maps_type(uint32_t type);

// A kernel map created by the test itself, as a loader's userspace creates
// the inner maps of a map of maps (Katran's per-CPU LRU tables).
class KernelMap {
public:
    static Result<std::unique_ptr<KernelMap>> create(const std::string& name, uint32_t type, uint32_t key_size,
                                                     uint32_t value_size, uint32_t max_entries, uint32_t flags = 0,
                                                     int inner_map_fd = -1);
    ~KernelMap();
    KernelMap(const KernelMap&) = delete;
    KernelMap& operator=(const KernelMap&) = delete;
    int fd() const { return fd_; }
    // bpf(BPF_MAP_UPDATE_ELEM): 0 or -errno.
    int update(std::span<const uint8_t> key, std::span<const uint8_t> value, uint64_t flags = 0) const;
    int remove(std::span<const uint8_t> key) const;
    Result<MapDump> dump() const;

private:
    KernelMap(int fd, std::string name, uint32_t type) : fd_(fd), name_(std::move(name)), type_(type) {}
    int fd_;
    std::string name_;
    uint32_t type_;
};

struct XdpRun {
    uint32_t action = 0;     // the program's return value
    Bytes data;              // data .. data_end after the run
    Bytes meta;              // data_meta .. data after the run
    uint32_t duration_ns = 0;  // kernel's average per repetition
};

struct XdpRunOptions {
    uint32_t ingress_ifindex = 1;  // must name a real device; 1 is loopback
    uint32_t rx_queue = 0;
    uint32_t repeat = 1;
};

// Empty when this process may load and test-run XDP programs; otherwise the
// reason why not (for GTEST_SKIP). Probed once.
const std::string& kernel_unavailable_reason();

// Possible CPUs, i.e. slots of a per-CPU map (libbpf_num_possible_cpus).
uint32_t kernel_possible_cpus();

// Pins the calling thread to one CPU for its lifetime, so the per-CPU slot a
// BPF_PROG_TEST_RUN touches is known; restores the previous affinity.
class CpuPin {
public:
    explicit CpuPin(uint32_t cpu);
    ~CpuPin();
    CpuPin(const CpuPin&) = delete;
    CpuPin& operator=(const CpuPin&) = delete;
    bool pinned() const { return pinned_; }
    uint32_t cpu() const { return cpu_; }

private:
    uint32_t cpu_;
    bool pinned_ = false;
    std::vector<uint8_t> previous_;  // cpu_set_t bytes
};

class KernelObject {
public:
    // Opens (does not load) an object file; names are libbpf's. A non-empty
    // `btf_custom_path` is the target BTF of its CO-RE relocations
    // (bpf_object_open_opts::btf_custom_path) instead of the kernel's.
    static Result<std::unique_ptr<KernelObject>> open(const std::string& path, const std::string& btf_custom_path = "");
    ~KernelObject();
    KernelObject(const KernelObject&) = delete;
    KernelObject& operator=(const KernelObject&) = delete;

    // Before load(): sets a global variable of .rodata/.data/.bss by BTF name.
    Status set_global(std::string_view name, std::span<const uint8_t> bytes);

    // Before load(): a map's max_entries (bpf_map__set_max_entries).
    Status set_map_size(std::string_view map, uint32_t max_entries);

    // Loads every program and map; a verifier refusal carries the log's tail.
    Status load();

    // Map names as bpf_map__name reports them ("hello.bss" for global data).
    std::vector<std::string> map_names() const;
    Status map_update(std::string_view map, std::span<const uint8_t> key, std::span<const uint8_t> value,
                      uint64_t flags = 0);
    Status map_delete(std::string_view map, std::span<const uint8_t> key);
    // A map's fd (to insert it into a map of maps).
    Result<int> map_fd(std::string_view map) const;
    // Puts program `prog` (function or section name) into a prog array slot.
    Status set_prog_array_slot(std::string_view map, uint32_t index, std::string_view prog);

    // Runs an XDP program (function or section name) on one packet.
    Result<XdpRun> run_xdp(std::string_view prog, std::span<const uint8_t> packet,
                           const XdpRunOptions& opts = {});

    // Every map except prog arrays (their values are program ids). A map of
    // maps' values are its inner maps' names (inner_map_name_bytes).
    Result<std::vector<MapDump>> dump_maps() const;

    bpf_object* raw() const { return obj_; }

private:
    explicit KernelObject(bpf_object* obj, std::string path) : obj_(obj), path_(std::move(path)) {}
    Result<bpf_map*> find_map(std::string_view name) const;
    Result<int> find_prog_fd(std::string_view name) const;

    bpf_object* obj_;
    std::string path_;
};

}  // namespace xdpdk::test
