#include "kernel_oracle.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>

namespace xdpdk::test {
namespace {

std::string errno_text(int err) {
    if (err < 0) err = -err;
    return std::string(std::strerror(err)) + " (errno " + std::to_string(err) + ")";
}

// libbpf reports verifier logs and load failures through its print callback;
// keep the last few kilobytes so a failed load can say why.
std::mutex g_log_mutex;
std::string g_libbpf_log;
constexpr size_t kLogKeep = 4096;

int capture_libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args) {
    if (level == LIBBPF_DEBUG) return 0;
    char buf[2048];
    const int n = vsnprintf(buf, sizeof buf, fmt, args);
    if (n <= 0) return n;
    std::lock_guard lock(g_log_mutex);
    g_libbpf_log.append(buf, std::min<size_t>(static_cast<size_t>(n), sizeof buf - 1));
    if (g_libbpf_log.size() > 4 * kLogKeep) g_libbpf_log.erase(0, g_libbpf_log.size() - kLogKeep);
    return n;
}

void start_log_capture() {
    static std::once_flag once;
    std::call_once(once, [] { libbpf_set_print(capture_libbpf_print); });
    std::lock_guard lock(g_log_mutex);
    g_libbpf_log.clear();
}

std::string captured_log_tail() {
    std::lock_guard lock(g_log_mutex);
    if (g_libbpf_log.size() <= kLogKeep) return g_libbpf_log;
    return "..." + g_libbpf_log.substr(g_libbpf_log.size() - kLogKeep);
}

std::string probe_kernel() {
    // r0 = XDP_PASS; exit
    const bpf_insn insns[] = {
        {BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 2},
        {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
    };
    const int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "xdpdk_probe", "GPL", insns, 2, nullptr);
    if (fd < 0) {
        const int err = errno;
        if (err == EPERM || err == EACCES)
            return "the kernel refused bpf(BPF_PROG_LOAD): " + errno_text(err) + "; needs root or CAP_BPF";
        if (err == ENOSYS) return "this kernel has no bpf() syscall: " + errno_text(err);
        return "bpf(BPF_PROG_LOAD) of a trivial XDP program failed: " + errno_text(err);
    }
    uint8_t packet[64] = {};
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = packet, .data_size_in = sizeof packet, .repeat = 1);
    const int rc = bpf_prog_test_run_opts(fd, &opts);
    close(fd);
    if (rc != 0) return "bpf(BPF_PROG_TEST_RUN) failed: " + errno_text(rc);
    if (opts.retval != 2) return "BPF_PROG_TEST_RUN returned " + std::to_string(opts.retval) + " for XDP_PASS";
    return "";
}

bool is_prog_array(const bpf_map* map) { return bpf_map__type(map) == BPF_MAP_TYPE_PROG_ARRAY; }

bool is_percpu(uint32_t type) {
    return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
           type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

size_t user_value_size(const bpf_map* map) {
    const size_t size = bpf_map__value_size(map);
    if (!is_percpu(bpf_map__type(map))) return size;
    return kernel_possible_cpus() * ((size + 7) & ~size_t{7});
}

// A map of maps' value (an inner map id) as the inner map's name.
Bytes inner_name_of(const Bytes& id_bytes) {
    uint32_t id = 0;
    std::memcpy(&id, id_bytes.data(), std::min(id_bytes.size(), sizeof id));
    const int fd = bpf_map_get_fd_by_id(id);
    if (fd < 0) return inner_map_name_bytes("?id" + std::to_string(id));
    bpf_map_info info{};
    uint32_t len = sizeof info;
    const int rc = bpf_obj_get_info_by_fd(fd, &info, &len);
    close(fd);
    return inner_map_name_bytes(rc == 0 ? info.name : "?");
}

// get_next_key + lookup over a map fd.
Result<std::map<Bytes, Bytes, BytesLess>> walk_map(int fd, const std::string& name, uint32_t key_size,
                                                   size_t value_size, bool map_of_maps) {
    std::map<Bytes, Bytes, BytesLess> entries;
    Bytes key(key_size), next(key_size), value(value_size);
    const void* prev = nullptr;
    for (;;) {
        int rc = bpf_map_get_next_key(fd, prev, next.data()) ? -errno : 0;
        if (rc == -ENOENT) break;
        if (rc != 0) return make_error("kernel map '" + name + "'", "get_next_key failed: " + errno_text(rc));
        key = next;
        prev = key.data();
        rc = bpf_map_lookup_elem(fd, key.data(), value.data()) ? -errno : 0;
        if (rc == -ENOENT) continue;  // deleted meanwhile (an LRU eviction), or an empty slot of a map of maps
        if (rc != 0) return make_error("kernel map '" + name + "'", "lookup failed: " + errno_text(rc));
        entries[key] = map_of_maps ? inner_name_of(value) : value;
    }
    return entries;
}

}  // namespace

Bytes inner_map_name_bytes(std::string_view name) {
    const std::string_view cut = name.substr(0, 15);
    return Bytes(cut.begin(), cut.end());
}

bool is_map_of_maps_type(uint32_t type) {
    return type == BPF_MAP_TYPE_ARRAY_OF_MAPS || type == BPF_MAP_TYPE_HASH_OF_MAPS;
}

Result<std::unique_ptr<KernelMap>> KernelMap::create(const std::string& name, uint32_t type, uint32_t key_size,
                                                     uint32_t value_size, uint32_t max_entries, uint32_t flags,
                                                     int inner_map_fd) {
    LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = flags);
    if (inner_map_fd >= 0) opts.inner_map_fd = static_cast<uint32_t>(inner_map_fd);
    const int fd = bpf_map_create(static_cast<bpf_map_type>(type), name.c_str(), key_size, value_size, max_entries,
                                  &opts);
    if (fd < 0) return make_error("kernel map '" + name + "'", "create failed: " + errno_text(errno));
    return std::unique_ptr<KernelMap>(new KernelMap(fd, name, type));
}

KernelMap::~KernelMap() { close(fd_); }

int KernelMap::update(std::span<const uint8_t> key, std::span<const uint8_t> value, uint64_t flags) const {
    return bpf_map_update_elem(fd_, key.data(), value.data(), flags) ? -errno : 0;
}

int KernelMap::remove(std::span<const uint8_t> key) const {
    return bpf_map_delete_elem(fd_, key.data()) ? -errno : 0;
}

Result<MapDump> KernelMap::dump() const {
    bpf_map_info info{};
    uint32_t len = sizeof info;
    if (bpf_obj_get_info_by_fd(fd_, &info, &len) != 0)
        return make_error("kernel map '" + name_ + "'", "get_info failed: " + errno_text(errno));
    MapDump dump;
    dump.name = name_;
    dump.type = type_;
    dump.key_size = info.key_size;
    dump.value_size = info.value_size;
    dump.percpu = is_percpu(type_);
    const size_t value_size =
        dump.percpu ? kernel_possible_cpus() * ((size_t{info.value_size} + 7) & ~size_t{7}) : info.value_size;
    XDPDK_ASSIGN_OR_RETURN(dump.entries, walk_map(fd_, name_, info.key_size, value_size, is_map_of_maps_type(type_)));
    return dump;
}

bool BytesLess::operator()(const Bytes& a, const Bytes& b) const {
    if (a.size() != b.size()) return a.size() < b.size();
    return !a.empty() && std::memcmp(a.data(), b.data(), a.size()) < 0;
}

const std::string& kernel_unavailable_reason() {
    static const std::string reason = probe_kernel();
    return reason;
}

uint32_t kernel_possible_cpus() {
    static const uint32_t n = [] {
        const int r = libbpf_num_possible_cpus();
        return r > 0 ? static_cast<uint32_t>(r) : 1u;
    }();
    return n;
}

CpuPin::CpuPin(uint32_t cpu) : cpu_(cpu) {
    cpu_set_t old_set;
    CPU_ZERO(&old_set);
    if (sched_getaffinity(0, sizeof old_set, &old_set) != 0) return;
    previous_.assign(reinterpret_cast<uint8_t*>(&old_set), reinterpret_cast<uint8_t*>(&old_set) + sizeof old_set);
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    pinned_ = sched_setaffinity(0, sizeof one, &one) == 0;
}

CpuPin::~CpuPin() {
    if (!pinned_) return;
    cpu_set_t old_set;
    std::memcpy(&old_set, previous_.data(), sizeof old_set);
    sched_setaffinity(0, sizeof old_set, &old_set);
}

Result<std::unique_ptr<KernelObject>> KernelObject::open(const std::string& path, const std::string& btf_custom_path) {
    start_log_capture();
    bpf_object_open_opts opts{};
    opts.sz = sizeof(opts);
    if (!btf_custom_path.empty()) opts.btf_custom_path = btf_custom_path.c_str();
    bpf_object* obj = bpf_object__open_file(path.c_str(), &opts);
    if (obj == nullptr) {
        const int err = errno;
        return make_error("kernel object '" + path + "'",
                          "bpf_object__open_file failed: " + errno_text(err) + "\n" + captured_log_tail());
    }
    return std::unique_ptr<KernelObject>(new KernelObject(obj, path));
}

KernelObject::~KernelObject() { bpf_object__close(obj_); }

Status KernelObject::set_global(std::string_view name, std::span<const uint8_t> bytes) {
    const std::string subject = "kernel object '" + path_ + "'";
    const btf* btf = bpf_object__btf(obj_);
    if (btf == nullptr) return make_error(subject, "no BTF, so globals cannot be found by name");
    const uint32_t ntypes = btf__type_cnt(btf);
    for (uint32_t id = 1; id < ntypes; ++id) {
        const btf_type* sec = btf__type_by_id(btf, id);
        if (!btf_is_datasec(sec)) continue;
        const std::string sec_name = btf__name_by_offset(btf, sec->name_off);
        const btf_var_secinfo* vars = btf_var_secinfos(sec);
        for (uint16_t i = 0; i < btf_vlen(sec); ++i) {
            const btf_type* var = btf__type_by_id(btf, vars[i].type);
            if (name != btf__name_by_offset(btf, var->name_off)) continue;
            if (bytes.size() != vars[i].size)
                return make_error(subject, "global '" + std::string(name) + "' has " + std::to_string(vars[i].size) +
                                               " bytes, given " + std::to_string(bytes.size()));
            // libbpf names the section's map "<obj prefix><section>".
            bpf_map* map;
            bpf_object__for_each_map(map, obj_) {
                const std::string map_name = bpf_map__name(map);
                if (!bpf_map__is_internal(map) || map_name.size() < sec_name.size() ||
                    map_name.compare(map_name.size() - sec_name.size(), sec_name.size(), sec_name) != 0)
                    continue;
                size_t size = 0;
                const void* init = bpf_map__initial_value(map, &size);
                if (init == nullptr || vars[i].offset + vars[i].size > size)
                    return make_error(subject, "map '" + map_name + "' has no room for '" + std::string(name) + "'");
                std::vector<uint8_t> value(static_cast<const uint8_t*>(init), static_cast<const uint8_t*>(init) + size);
                std::memcpy(value.data() + vars[i].offset, bytes.data(), bytes.size());
                const int rc = bpf_map__set_initial_value(map, value.data(), value.size());
                if (rc != 0) return make_error(subject, "bpf_map__set_initial_value: " + errno_text(rc));
                return {};
            }
            return make_error(subject, "no map holds section '" + sec_name + "'");
        }
    }
    return make_error(subject, "no global variable '" + std::string(name) + "'");
}

Status KernelObject::set_map_size(std::string_view map, uint32_t max_entries) {
    XDPDK_ASSIGN_OR_RETURN(bpf_map * m, find_map(map));
    if (const int rc = bpf_map__set_max_entries(m, max_entries); rc != 0)
        return make_error("kernel map '" + std::string(map) + "'", "bpf_map__set_max_entries: " + errno_text(-rc));
    return {};
}

Status KernelObject::load() {
    // As libxdp's loaders do: a program in a section libbpf knows no type for
    // is loaded as XDP, and the legacy xdp_devmap/ and xdp_cpumap/ prefixes
    // give the devmap and cpumap attach types.
    bpf_program* prog;
    bpf_object__for_each_program(prog, obj_) {
        const std::string_view sec = bpf_program__section_name(prog);
        if (bpf_program__type(prog) != BPF_PROG_TYPE_UNSPEC) continue;
        bpf_program__set_type(prog, BPF_PROG_TYPE_XDP);
        if (sec.starts_with("xdp_devmap/")) bpf_program__set_expected_attach_type(prog, BPF_XDP_DEVMAP);
        if (sec.starts_with("xdp_cpumap/")) bpf_program__set_expected_attach_type(prog, BPF_XDP_CPUMAP);
    }
    start_log_capture();
    const int rc = bpf_object__load(obj_);
    if (rc != 0)
        return make_error("kernel object '" + path_ + "'",
                          "bpf_object__load failed: " + errno_text(rc) + "\n" + captured_log_tail());
    return {};
}

std::vector<std::string> KernelObject::map_names() const {
    std::vector<std::string> names;
    bpf_map* map;
    bpf_object__for_each_map(map, obj_) names.emplace_back(bpf_map__name(map));
    return names;
}

Result<bpf_map*> KernelObject::find_map(std::string_view name) const {
    bpf_map* map;
    bpf_object__for_each_map(map, obj_) {
        if (name == bpf_map__name(map)) return map;
    }
    std::string known;
    for (const auto& n : map_names()) known += (known.empty() ? "" : ", ") + n;
    return make_error("kernel map '" + std::string(name) + "'", "no such map (maps: " + known + ")");
}

Result<int> KernelObject::find_prog_fd(std::string_view name) const {
    bpf_program* prog;
    bpf_object__for_each_program(prog, obj_) {
        if (name == bpf_program__name(prog) || name == bpf_program__section_name(prog)) {
            const int fd = bpf_program__fd(prog);
            if (fd < 0) return make_error("kernel prog '" + std::string(name) + "'", "not loaded");
            return fd;
        }
    }
    return make_error("kernel prog '" + std::string(name) + "'", "no such program in '" + path_ + "'");
}

Status KernelObject::map_update(std::string_view name, std::span<const uint8_t> key, std::span<const uint8_t> value,
                                uint64_t flags) {
    XDPDK_ASSIGN_OR_RETURN(bpf_map * map, find_map(name));
    const int rc = bpf_map__update_elem(map, key.data(), key.size(), value.data(), value.size(), flags);
    if (rc != 0) return make_error("kernel map '" + std::string(name) + "'", "update failed: " + errno_text(rc));
    return {};
}

Status KernelObject::map_delete(std::string_view name, std::span<const uint8_t> key) {
    XDPDK_ASSIGN_OR_RETURN(bpf_map * map, find_map(name));
    const int rc = bpf_map__delete_elem(map, key.data(), key.size(), 0);
    if (rc != 0) return make_error("kernel map '" + std::string(name) + "'", "delete failed: " + errno_text(rc));
    return {};
}

Result<int> KernelObject::map_fd(std::string_view name) const {
    XDPDK_ASSIGN_OR_RETURN(bpf_map * map, find_map(name));
    return bpf_map__fd(map);
}

Status KernelObject::set_prog_array_slot(std::string_view map_name, uint32_t index, std::string_view prog) {
    XDPDK_ASSIGN_OR_RETURN(int fd, find_prog_fd(prog));
    const uint32_t value = static_cast<uint32_t>(fd);
    return map_update(map_name, {reinterpret_cast<const uint8_t*>(&index), 4},
                      {reinterpret_cast<const uint8_t*>(&value), 4});
}

Result<XdpRun> KernelObject::run_xdp(std::string_view prog, std::span<const uint8_t> packet,
                                     const XdpRunOptions& opts) {
    XDPDK_ASSIGN_OR_RETURN(int fd, find_prog_fd(prog));
    // The kernel's frame is one page, and a multi-buffer frame's last frag
    // (a page) may grow too: the output is at most a page past the input.
    std::vector<uint8_t> out(packet.size() + 4096);
    xdp_md ctx_in{};
    ctx_in.data_end = static_cast<uint32_t>(packet.size());
    ctx_in.ingress_ifindex = opts.ingress_ifindex;
    ctx_in.rx_queue_index = opts.rx_queue;
    xdp_md ctx_out{};
    LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = packet.data(), .data_out = out.data(),
                .data_size_in = static_cast<uint32_t>(packet.size()), .data_size_out = static_cast<uint32_t>(out.size()),
                .ctx_in = &ctx_in, .ctx_out = &ctx_out, .ctx_size_in = sizeof ctx_in, .ctx_size_out = sizeof ctx_out,
                .repeat = static_cast<int>(opts.repeat));
    const int rc = bpf_prog_test_run_opts(fd, &run);
    if (rc != 0) return make_error("kernel prog '" + std::string(prog) + "'", "BPF_PROG_TEST_RUN: " + errno_text(rc));
    // data_out holds data_meta .. data_end; ctx_out.data is the metadata length.
    const size_t total = std::min<size_t>(run.data_size_out, out.size());
    const size_t metalen = std::min<size_t>(ctx_out.data, total);
    XdpRun result;
    result.action = run.retval;
    result.meta.assign(out.begin(), out.begin() + static_cast<ptrdiff_t>(metalen));
    result.data.assign(out.begin() + static_cast<ptrdiff_t>(metalen), out.begin() + static_cast<ptrdiff_t>(total));
    result.duration_ns = run.duration;
    return result;
}

namespace {

// A queue's or stack's elements, keyed by their position oldest first (a
// u32): popped, which is the only way bpf() reads past the first one, then
// pushed back in the same order, which leaves the map as it was.
Result<std::map<Bytes, Bytes, BytesLess>> keyless_elements(bpf_map* map) {
    const std::string subject = std::string("kernel map '") + bpf_map__name(map) + "'";
    std::vector<Bytes> popped;
    for (Bytes value(bpf_map__value_size(map));;) {
        const int rc = bpf_map__lookup_and_delete_elem(map, nullptr, 0, value.data(), value.size(), 0);
        if (rc == -ENOENT) break;
        if (rc != 0) return make_error(subject, "pop failed: " + errno_text(rc));
        popped.push_back(value);
    }
    // A stack pops newest first.
    if (bpf_map__type(map) == BPF_MAP_TYPE_STACK) std::reverse(popped.begin(), popped.end());
    std::map<Bytes, Bytes, BytesLess> entries;
    for (uint32_t i = 0; i < popped.size(); ++i) {
        if (const int rc = bpf_map__update_elem(map, nullptr, 0, popped[i].data(), popped[i].size(), 0); rc != 0)
            return make_error(subject, "push back failed: " + errno_text(rc));
        entries[Bytes(reinterpret_cast<const uint8_t*>(&i), reinterpret_cast<const uint8_t*>(&i) + sizeof i)] = popped[i];
    }
    return entries;
}

}  // namespace

Result<std::vector<MapDump>> KernelObject::dump_maps() const {
    std::vector<MapDump> dumps;
    bpf_map* map;
    bpf_object__for_each_map(map, obj_) {
        if (is_prog_array(map)) continue;
        // Event maps hold records for a consumer, no elements bpf() reads.
        if (bpf_map__type(map) == BPF_MAP_TYPE_RINGBUF || bpf_map__type(map) == BPF_MAP_TYPE_PERF_EVENT_ARRAY) continue;
        MapDump dump;
        dump.name = bpf_map__name(map);
        dump.type = bpf_map__type(map);
        dump.key_size = bpf_map__key_size(map);
        dump.value_size = bpf_map__value_size(map);
        dump.percpu = is_percpu(dump.type);
        if (dump.type == BPF_MAP_TYPE_QUEUE || dump.type == BPF_MAP_TYPE_STACK) {
            XDPDK_ASSIGN_OR_RETURN(dump.entries, keyless_elements(map));
            dumps.push_back(std::move(dump));
            continue;
        }
        XDPDK_ASSIGN_OR_RETURN(dump.entries, walk_map(bpf_map__fd(map), dump.name, dump.key_size,
                                                      user_value_size(map), is_map_of_maps_type(dump.type)));
        dumps.push_back(std::move(dump));
    }
    return dumps;
}

}  // namespace xdpdk::test
