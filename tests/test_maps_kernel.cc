// The kernel as the oracle for map semantics: the same specs and the same
// random operations go to a kernel map (bpf() through libbpf) and to ours;
// create success, every errno, every looked-up value and the iteration must
// agree. Skips where bpf() is not permitted.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "vm/map.h"

namespace xdpdk::vm {
namespace {

constexpr uint32_t kNoPrealloc = 1, kNoCommonLru = 2, kRdonly = 8, kWronly = 16, kZeroSeed = 64,
                   kRdonlyProg = 128, kWronlyProg = 256, kMmapable = 1024;

class KernelFd {
public:
    explicit KernelFd(int fd = -1) : fd_(fd) {}
    ~KernelFd() {
        if (fd_ >= 0) close(fd_);
    }
    KernelFd(KernelFd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    KernelFd(const KernelFd&) = delete;
    KernelFd& operator=(KernelFd&& o) noexcept {
        std::swap(fd_, o.fd_);
        return *this;
    }
    int get() const { return fd_; }

private:
    int fd_;
};

// fd, or -errno.
int kernel_create(const MapSpec& s) {
    LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = s.flags);
    const int fd = bpf_map_create(static_cast<bpf_map_type>(s.type), s.name.c_str(), s.key_size, s.value_size,
                                  s.max_entries, &opts);
    return fd >= 0 ? fd : -errno;
}

uint32_t possible_cpus() { return static_cast<uint32_t>(libbpf_num_possible_cpus()); }

// A kernel map and ours, built from one spec.
struct MapPair {
    std::unique_ptr<Map> ours;
    KernelFd kernel;
};

// Skips the test when bpf() is not allowed here; fails when only one side
// accepts the spec.
bool make_pair(const MapSpec& spec, MapPair* out) {
    const int fd = kernel_create(spec);
    if (fd == -EPERM) return false;
    auto ours = create_map(spec, possible_cpus());
    EXPECT_GE(fd, 0) << "kernel refused " << spec.name << ": " << strerror(-fd);
    EXPECT_TRUE(ours.ok()) << ours.error().str();
    if (fd < 0 || !ours.ok()) return false;
    out->ours = std::move(ours).value();
    out->kernel = KernelFd(fd);
    return true;
}

#define MAKE_PAIR_OR_SKIP(spec, pair)                                                      \
    MapPair pair;                                                                          \
    if (!make_pair(spec, &pair)) {                                                         \
        if (::testing::Test::HasFailure()) return;                                         \
        GTEST_SKIP() << "bpf(BPF_MAP_CREATE) is not permitted here (EPERM)";               \
    }

TEST(KernelMaps, CreateAcceptsWhatTheKernelAccepts) {
    struct Case {
        MapType type;
        uint32_t key, value, max, flags;
    };
    const Case cases[] = {
        {MapType::Array, 4, 4, 1, 0},           {MapType::Array, 8, 4, 1, 0},
        {MapType::Array, 4, 0, 1, 0},           {MapType::Array, 4, 4, 0, 0},
        {MapType::Array, 4, 4, 1, kNoPrealloc}, {MapType::Array, 4, 4, 1, kMmapable},
        {MapType::Array, 4, 4, 1, kRdonlyProg}, {MapType::Array, 4, 4, 1, kRdonlyProg | kWronlyProg},
        {MapType::Array, 4, 4, 1, kRdonly | kWronly}, {MapType::Array, 4, 4, 1, kZeroSeed},
        {MapType::PercpuArray, 4, 4, 1, kMmapable}, {MapType::PercpuArray, 4, 40000, 1, 0},
        {MapType::PercpuArray, 4, 32768, 1, 0},  {MapType::Hash, 0, 4, 1, 0},
        {MapType::Hash, 4, 0, 1, 0},            {MapType::Hash, 513, 4, 1, 0},
        {MapType::Hash, 512, 4, 1, 0},          {MapType::Hash, 4, 4194251, 1, 0},
        {MapType::Hash, 4, 4194252, 1, 0},      {MapType::Hash, 1000, 4193256, 1, 0},
        {MapType::LpmTrie, 8, 4194024, 1, kNoPrealloc}, {MapType::LpmTrie, 8, 4194025, 1, kNoPrealloc},
        {MapType::Array, 4, 0x80000000u, 1, 0},          {MapType::Hash, 4, 4, 1, kNoPrealloc | kZeroSeed},
        {MapType::Hash, 4, 4, 1, kNoCommonLru}, {MapType::Hash, 4, 4, 1, kMmapable},
        {MapType::PercpuHash, 4, 32769, 1, 0},  {MapType::LruHash, 4, 4, 1, kNoPrealloc},
        {MapType::LruHash, 4, 4, 8, kNoCommonLru}, {MapType::LruPercpuHash, 4, 4, 8, 0},
        {MapType::LpmTrie, 8, 4, 1, 0},         {MapType::LpmTrie, 8, 4, 1, kNoPrealloc},
        {MapType::LpmTrie, 4, 4, 1, kNoPrealloc}, {MapType::LpmTrie, 5, 4, 1, kNoPrealloc},
        {MapType::LpmTrie, 260, 4, 1, kNoPrealloc}, {MapType::LpmTrie, 261, 4, 1, kNoPrealloc},
        {MapType::LpmTrie, 8, 0, 1, kNoPrealloc}, {MapType::LpmTrie, 8, 4, 1, kNoPrealloc | kZeroSeed},
        {MapType::ProgArray, 4, 4, 1, 0},       {MapType::ProgArray, 4, 8, 1, 0},
        {MapType::ProgArray, 4, 4, 1, kMmapable}, {MapType::Devmap, 4, 4, 1, 0},
        {MapType::Devmap, 4, 8, 1, 0},          {MapType::Devmap, 4, 6, 1, 0},
        {MapType::Devmap, 8, 4, 1, 0},          {MapType::Devmap, 4, 4, 1, kRdonlyProg},
        {MapType::Devmap, 4, 4, 1, kRdonly},    {MapType::DevmapHash, 4, 8, 4, 0},
        {MapType::DevmapHash, 4, 4, 4, kNoPrealloc},
        {MapType::Cpumap, 4, 4, 2, 0},          {MapType::Cpumap, 4, 8, 2, 0},
        {MapType::Cpumap, 4, 6, 2, 0},          {MapType::Cpumap, 8, 4, 2, 0},
        {MapType::Cpumap, 4, 4, 0, 0},          {MapType::Cpumap, 4, 4, 8192, 0},
        {MapType::Cpumap, 4, 4, 8193, 0},       {MapType::Cpumap, 4, 4, 256, 0},
        {MapType::Cpumap, 4, 4, 257, 0},        {MapType::Cpumap, 4, 4, 2, kNoPrealloc},
        {MapType::Cpumap, 4, 4, 2, kRdonly},
        // XSKMAP: key and value 4, the NUMA and user access flags only.
        {MapType::Xskmap, 4, 4, 4, 0},          {MapType::Xskmap, 4, 8, 4, 0},
        {MapType::Xskmap, 8, 4, 4, 0},          {MapType::Xskmap, 4, 4, 0, 0},
        {MapType::Xskmap, 4, 4, 4, kNoPrealloc}, {MapType::Xskmap, 4, 4, 4, kRdonly},
        {MapType::Xskmap, 4, 4, 4, kWronly},    {MapType::Xskmap, 4, 4, 4, kRdonlyProg},
        // Queues and stacks: no key, a value, the NUMA and access flags only.
        {MapType::Queue, 0, 8, 4, 0},           {MapType::Queue, 4, 8, 4, 0},
        {MapType::Queue, 0, 0, 4, 0},           {MapType::Queue, 0, 8, 0, 0},
        {MapType::Queue, 0, 8, 4, kNoPrealloc}, {MapType::Queue, 0, 8, 4, kRdonlyProg},
        {MapType::Queue, 0, 8, 4, kRdonly | kWronly}, {MapType::Queue, 0, 8, 4, kMmapable},
        {MapType::Queue, 0, 8, 4, kZeroSeed},   {MapType::Queue, 0, 4194304, 1, 0},
        {MapType::Queue, 0, 4194305, 1, 0},     {MapType::Stack, 0, 1, 1, 0},
        {MapType::Stack, 8, 8, 4, 0},           {MapType::Stack, 0, 8, 4, kNoCommonLru},
        {MapType::Stack, 0, 8, 4, kWronlyProg}, {MapType::Stack, 0, 8, 4, kRdonly},
    };
    for (const Case& c : cases) {
        const MapSpec spec{"c", static_cast<uint32_t>(c.type), c.key, c.value, c.max, c.flags};
        const int fd = kernel_create(spec);
        if (fd == -EPERM) GTEST_SKIP() << "bpf(BPF_MAP_CREATE) is not permitted here (EPERM)";
        KernelFd hold(fd);
        auto ours = create_map(spec, possible_cpus());
        EXPECT_EQ(fd >= 0, ours.ok()) << map_type_name(spec.type) << " key " << c.key << " value " << c.value
                                      << " max " << c.max << " flags 0x" << std::hex << c.flags << std::dec
                                      << ": kernel " << (fd >= 0 ? "accepts" : strerror(-fd)) << ", ours "
                                      << (ours.ok() ? "accepts" : ours.error().str());
    }
}

// Random user-side operations on u32 keys; values are `value_size` random
// bytes (per-CPU: the whole syscall buffer).
void churn(MapPair& pair, uint32_t key_space, int steps, uint32_t seed,
           const std::vector<std::vector<uint8_t>>& value_choices = {}) {
    Map& ours = *pair.ours;
    const int fd = pair.kernel.get();
    const uint32_t vsize = ours.user_value_size();
    std::mt19937 rng(seed);
    std::vector<uint8_t> value(vsize), got_ours(vsize), got_kernel(vsize);
    for (int step = 0; step < steps; ++step) {
        const uint32_t key = rng() % key_space;
        const uint64_t flags = rng() % 6 == 0 ? rng() % 8 : rng() % 3;
        const std::string what = "step " + std::to_string(step) + " key " + std::to_string(key);
        switch (rng() % 4) {
            case 0:
                EXPECT_EQ(ours.user_delete(&key), bpf_map_delete_elem(fd, &key)) << what << " delete";
                break;
            default: {
                if (value_choices.empty()) {
                    for (auto& b : value) b = static_cast<uint8_t>(rng());
                    // The padding of per-CPU values is not round-tripped by the kernel.
                    if (ours.percpu()) {
                        const uint32_t stride = (ours.spec().value_size + 7) & ~7u;
                        for (uint32_t cpu = 0; cpu < ours.ncpus(); ++cpu)
                            std::memset(&value[cpu * stride + ours.spec().value_size], 0,
                                        stride - ours.spec().value_size);
                    }
                } else {
                    value = value_choices[rng() % value_choices.size()];
                }
                EXPECT_EQ(ours.user_update(&key, value.data(), flags),
                          bpf_map_update_elem(fd, &key, value.data(), flags))
                    << what << " update flags " << flags;
            }
        }
        const uint32_t probe = rng() % key_space;
        std::fill(got_ours.begin(), got_ours.end(), 0);
        std::fill(got_kernel.begin(), got_kernel.end(), 0);
        const long rc = ours.user_lookup(&probe, got_ours.data());
        EXPECT_EQ(rc, bpf_map_lookup_elem(fd, &probe, got_kernel.data())) << what << " lookup " << probe;
        if (rc == 0) {
            EXPECT_EQ(got_ours, got_kernel) << what << " lookup " << probe;
        }
    }
}

std::vector<uint32_t> walk_ours(const Map& m) {
    std::vector<uint32_t> keys;
    uint32_t key = 0, next = 0;
    for (long rc = m.next_key(nullptr, &next); rc == 0 && keys.size() < 100000; rc = m.next_key(&key, &next)) {
        keys.push_back(next);
        key = next;
    }
    return keys;
}
std::vector<uint32_t> walk_kernel(int fd) {
    std::vector<uint32_t> keys;
    uint32_t key = 0, next = 0;
    for (int rc = bpf_map_get_next_key(fd, nullptr, &next); rc == 0 && keys.size() < 100000;
         rc = bpf_map_get_next_key(fd, &key, &next)) {
        keys.push_back(next);
        key = next;
    }
    return keys;
}

class KernelArrays : public ::testing::TestWithParam<MapType> {};

TEST_P(KernelArrays, SameErrnosValuesAndIteration) {
    const MapSpec spec{"arr", static_cast<uint32_t>(GetParam()), 4, 12, 8, 0};
    MAKE_PAIR_OR_SKIP(spec, pair);
    churn(pair, 10, 400, 1);
    EXPECT_EQ(walk_ours(*pair.ours), walk_kernel(pair.kernel.get()));
    uint32_t missing = 99, ours_next = 0, kernel_next = 0;
    EXPECT_EQ(pair.ours->next_key(&missing, &ours_next), bpf_map_get_next_key(pair.kernel.get(), &missing, &kernel_next));
    EXPECT_EQ(ours_next, kernel_next);
}
INSTANTIATE_TEST_SUITE_P(Kernel, KernelArrays, ::testing::Values(MapType::Array, MapType::PercpuArray),
                         [](const auto& info) { return std::string(map_type_name(uint32_t(info.param))); });

class KernelHashes : public ::testing::TestWithParam<MapType> {};

TEST_P(KernelHashes, SameErrnosValuesAndKeys) {
    const bool lru = GetParam() == MapType::LruHash || GetParam() == MapType::LruPercpuHash;
    // LRU maps get room to spare: the kernel's may evict before it is full.
    const MapSpec spec{"h", static_cast<uint32_t>(GetParam()), 4, 12, lru ? 1024u : 16u, 0};
    MAKE_PAIR_OR_SKIP(spec, pair);
    churn(pair, 24, 600, 2);
    const auto ours = walk_ours(*pair.ours), kernel = walk_kernel(pair.kernel.get());
    EXPECT_EQ(std::set<uint32_t>(ours.begin(), ours.end()), std::set<uint32_t>(kernel.begin(), kernel.end()));
    EXPECT_EQ(ours.size(), kernel.size());
    // A missing key restarts at the first key on both sides.
    const int fd = pair.kernel.get();
    uint32_t missing = 1000, ours_next = 0, ours_first = 0, kernel_next = 0, kernel_first = 0;
    EXPECT_EQ(pair.ours->next_key(&missing, &ours_next), bpf_map_get_next_key(fd, &missing, &kernel_next));
    EXPECT_EQ(pair.ours->next_key(nullptr, &ours_first), bpf_map_get_next_key(fd, nullptr, &kernel_first));
    EXPECT_EQ(ours_next, ours_first);
    EXPECT_EQ(kernel_next, kernel_first);
}
INSTANTIATE_TEST_SUITE_P(Kernel, KernelHashes,
                         ::testing::Values(MapType::Hash, MapType::PercpuHash, MapType::LruHash,
                                           MapType::LruPercpuHash),
                         [](const auto& info) { return std::string(map_type_name(uint32_t(info.param))); });

TEST(KernelMaps, FullHashRefusesWithE2big) {
    const MapSpec spec{"full", uint32_t(MapType::Hash), 4, 4, 4, kNoPrealloc};
    MAKE_PAIR_OR_SKIP(spec, pair);
    for (uint32_t key = 0; key < 6; ++key) {
        const uint32_t value = key;
        EXPECT_EQ(pair.ours->user_update(&key, &value, kAny),
                  bpf_map_update_elem(pair.kernel.get(), &key, &value, kAny))
            << key;
    }
    const uint32_t key = 1, value = 9;
    EXPECT_EQ(pair.ours->user_update(&key, &value, kAny), 0);
    EXPECT_EQ(bpf_map_update_elem(pair.kernel.get(), &key, &value, kAny), 0);
}

TEST(KernelMaps, FrozenMapsRefuseWrites) {
    const MapSpec spec{"frozen", uint32_t(MapType::Array), 4, 4, 2, 0};
    MAKE_PAIR_OR_SKIP(spec, pair);
    ASSERT_EQ(bpf_map_freeze(pair.kernel.get()), 0);
    pair.ours->freeze();
    const uint32_t key = 0, value = 1;
    EXPECT_EQ(pair.ours->user_update(&key, &value, kAny), bpf_map_update_elem(pair.kernel.get(), &key, &value, kAny));
    EXPECT_EQ(pair.ours->user_update(&key, &value, kAny), -EPERM);
}

// Queues and stacks from userspace: lookup peeks, update pushes (BPF_ANY or
// BPF_EXIST, which overwrites the oldest when full), lookup-and-delete pops,
// delete and get_next_key refuse. Random operations, the same errnos and
// values on both sides.
class KernelQueues : public ::testing::TestWithParam<MapType> {};

TEST_P(KernelQueues, SameErrnosAndValues) {
    const MapSpec spec{"qs", static_cast<uint32_t>(GetParam()), 0, 12, 5, 0};
    MAKE_PAIR_OR_SKIP(spec, pair);
    Map& ours = *pair.ours;
    const int fd = pair.kernel.get();
    std::mt19937 rng(3);
    std::vector<uint8_t> value(12), got_ours(12), got_kernel(12);
    uint32_t key = 0, next_ours = 0, next_kernel = 0;
    for (int step = 0; step < 600; ++step) {
        const std::string what = "step " + std::to_string(step);
        std::fill(got_ours.begin(), got_ours.end(), 0);
        std::fill(got_kernel.begin(), got_kernel.end(), 0);
        switch (rng() % 6) {
            case 0:
            case 1: {
                for (auto& b : value) b = static_cast<uint8_t>(rng());
                const uint64_t flags = rng() % 5 == 0 ? rng() % 8 : (rng() % 2) * kExist;
                EXPECT_EQ(ours.user_update(nullptr, value.data(), flags),
                          bpf_map_update_elem(fd, nullptr, value.data(), flags))
                    << what << " push flags " << flags;
                break;
            }
            case 2: {
                const long rc = ours.user_lookup(nullptr, got_ours.data());
                EXPECT_EQ(rc, bpf_map_lookup_elem(fd, nullptr, got_kernel.data())) << what << " peek";
                EXPECT_EQ(got_ours, got_kernel) << what << " peek";
                break;
            }
            case 3:
            case 4: {
                const long rc = ours.user_lookup_and_delete(nullptr, got_ours.data());
                EXPECT_EQ(rc, bpf_map_lookup_and_delete_elem(fd, nullptr, got_kernel.data())) << what << " pop";
                EXPECT_EQ(got_ours, got_kernel) << what << " pop";
                break;
            }
            default:
                EXPECT_EQ(ours.user_delete(nullptr), bpf_map_delete_elem(fd, nullptr)) << what << " delete";
                EXPECT_EQ(ours.next_key(nullptr, &next_ours), bpf_map_get_next_key(fd, nullptr, &next_kernel))
                    << what << " get_next_key";
                EXPECT_EQ(ours.next_key(&key, &next_ours), bpf_map_get_next_key(fd, &key, &next_kernel))
                    << what << " get_next_key";
        }
    }
}
INSTANTIATE_TEST_SUITE_P(Kernel, KernelQueues, ::testing::Values(MapType::Queue, MapType::Stack),
                         [](const auto& info) { return std::string(map_type_name(uint32_t(info.param))); });

TEST(KernelMaps, ReadOnlyQueuesRefusePushesAndPops) {
    const MapSpec spec{"ro", uint32_t(MapType::Queue), 0, 4, 4, kRdonly};
    MAKE_PAIR_OR_SKIP(spec, pair);
    uint32_t value = 7, got_ours = 0, got_kernel = 0;
    EXPECT_EQ(pair.ours->user_update(nullptr, &value, kAny), bpf_map_update_elem(pair.kernel.get(), nullptr, &value, kAny));
    EXPECT_EQ(pair.ours->user_update(nullptr, &value, kAny), -EPERM);
    EXPECT_EQ(pair.ours->user_lookup_and_delete(nullptr, &got_ours),
              bpf_map_lookup_and_delete_elem(pair.kernel.get(), nullptr, &got_kernel));
    EXPECT_EQ(pair.ours->user_lookup(nullptr, &got_ours), bpf_map_lookup_elem(pair.kernel.get(), nullptr, &got_kernel));
}

class KernelDevmaps : public ::testing::TestWithParam<std::pair<MapType, uint32_t>> {};

TEST_P(KernelDevmaps, SameErrnosAndValues) {
    const auto [type, value_size] = GetParam();
    const MapSpec spec{"dev", static_cast<uint32_t>(type), 4, value_size, 6, 0};
    MAKE_PAIR_OR_SKIP(spec, pair);
    // ifindex 1 is the loopback device, which the kernel can resolve; 0
    // clears (devmap) or is refused (devmap_hash).
    std::vector<std::vector<uint8_t>> values = {{1, 0, 0, 0}, {0, 0, 0, 0}};
    if (value_size == 8) {
        for (auto& v : values) v.resize(8, 0);
        values.push_back({0, 0, 0, 0, 3, 0, 0, 0});  // a program fd with ifindex 0: -EINVAL
    }
    churn(pair, 8, 300, 3, values);
    auto ours = walk_ours(*pair.ours), kernel = walk_kernel(pair.kernel.get());
    EXPECT_EQ(std::set<uint32_t>(ours.begin(), ours.end()), std::set<uint32_t>(kernel.begin(), kernel.end()));
}
INSTANTIATE_TEST_SUITE_P(Kernel, KernelDevmaps,
                         ::testing::Values(std::pair{MapType::Devmap, 4u}, std::pair{MapType::Devmap, 8u},
                                           std::pair{MapType::DevmapHash, 4u}, std::pair{MapType::DevmapHash, 8u}),
                         [](const auto& info) {
                             return std::string(map_type_name(uint32_t(info.param.first))) + "_" +
                                    std::to_string(info.param.second);
                         });

// CPUMAP: qsize 0 empties a slot, over 16384 is -EOVERFLOW, keys beyond the
// CPUs that exist -ENODEV, beyond max_entries -E2BIG (delete: -EINVAL). Ours
// has one slot per possible CPU here, as the kernel has CPUs.
class KernelCpumaps : public ::testing::TestWithParam<uint32_t> {};

TEST_P(KernelCpumaps, SameErrnosAndValues) {
    const uint32_t value_size = GetParam();
    const MapSpec spec{"cpus", static_cast<uint32_t>(MapType::Cpumap), 4, value_size, possible_cpus() + 2, 0};
    MAKE_PAIR_OR_SKIP(spec, pair);
    std::vector<std::vector<uint8_t>> values = {{64, 0, 0, 0}, {0, 0, 0, 0}, {0, 0x40, 0, 0}, {1, 0x40, 0, 0}};
    for (auto& v : values) v.resize(value_size, 0);
    churn(pair, possible_cpus() + 4, 300, 5, values);
    auto ours = walk_ours(*pair.ours), kernel = walk_kernel(pair.kernel.get());
    EXPECT_EQ(ours, kernel);
}
INSTANTIATE_TEST_SUITE_P(Kernel, KernelCpumaps, ::testing::Values(4u, 8u),
                         [](const auto& info) { return "value_" + std::to_string(info.param); });

// XSKMAP from userspace: lookups are -EOPNOTSUPP, updates take a socket fd
// (an fd that does not exist: -EBADF; beyond max_entries -E2BIG; flags
// beyond BPF_EXIST -EINVAL), deletes empty a slot (-EINVAL beyond max_entries),
// keys walk like an array's.
TEST(KernelMaps, XskmapUserSideErrnos) {
    const MapSpec spec{"xsks", static_cast<uint32_t>(MapType::Xskmap), 4, 4, 4, 0};
    MAKE_PAIR_OR_SKIP(spec, pair);
    const int fd = pair.kernel.get();
    const uint32_t no_such_fd = 1u << 20;
    for (uint32_t key : {0u, 3u, 4u, 100u}) {
        uint32_t ours_value = 0, kernel_value = 0;
        const long ours_lookup = pair.ours->user_lookup(&key, &ours_value);
        const long kernel_lookup = bpf_map_lookup_elem(fd, &key, &kernel_value) == 0 ? 0 : -errno;
        EXPECT_EQ(ours_lookup, kernel_lookup) << "lookup " << key;
        for (uint64_t flags : {0ull, 1ull, 2ull, 3ull}) {
            const long ours_update = pair.ours->user_update(&key, &no_such_fd, flags);
            const long kernel_update = bpf_map_update_elem(fd, &key, &no_such_fd, flags) == 0 ? 0 : -errno;
            EXPECT_EQ(ours_update, kernel_update) << "update " << key << " flags " << flags;
        }
        const long ours_delete = pair.ours->user_delete(&key);
        const long kernel_delete = bpf_map_delete_elem(fd, &key) == 0 ? 0 : -errno;
        EXPECT_EQ(ours_delete, kernel_delete) << "delete " << key;
    }
    EXPECT_EQ(walk_ours(*pair.ours), walk_kernel(fd));
}

struct LpmKey {
    uint32_t prefixlen;
    uint8_t addr[4];
    bool operator==(const LpmKey& o) const { return prefixlen == o.prefixlen && !std::memcmp(addr, o.addr, 4); }
};

TEST(KernelMaps, LpmTrieMatchesLookupsAndPostOrder) {
    const MapSpec spec{"lpm", uint32_t(MapType::LpmTrie), 8, 4, 48, kNoPrealloc};
    MAKE_PAIR_OR_SKIP(spec, pair);
    Map& ours = *pair.ours;
    const int fd = pair.kernel.get();
    std::mt19937 rng(4);
    auto random_key = [&](bool host) {
        LpmKey k{host ? 32u : 8 + static_cast<uint32_t>(rng() % 26), {10, uint8_t(rng() & 3), uint8_t(rng()), uint8_t(rng())}};
        return k;  // prefixlen 33 sometimes: -EINVAL on both sides
    };
    for (int step = 0; step < 1500; ++step) {
        const LpmKey key = random_key(false);
        const uint64_t flags = rng() % 8 == 0 ? 3 : rng() % 3;
        if (rng() % 3 == 0) {
            EXPECT_EQ(ours.user_delete(&key), bpf_map_delete_elem(fd, &key)) << step;
        } else {
            const uint32_t value = rng();
            EXPECT_EQ(ours.user_update(&key, &value, flags), bpf_map_update_elem(fd, &key, &value, flags))
                << step << " flags " << flags;
        }
        for (int probes = 0; probes < 3; ++probes) {
            const LpmKey probe = random_key(probes != 0);
            uint32_t a = 0, b = 0;
            const long rc = ours.user_lookup(&probe, &a);
            EXPECT_EQ(rc, bpf_map_lookup_elem(fd, &probe, &b))
                << step << " probe " << int(probe.addr[0]) << "." << int(probe.addr[1]) << "." << int(probe.addr[2])
                << "." << int(probe.addr[3]) << "/" << probe.prefixlen;
            EXPECT_EQ(a, b) << step;
        }
    }
    // Iteration order is part of the kernel's LPM semantics (post-order).
    std::vector<LpmKey> ours_walk, kernel_walk;
    LpmKey key{}, next{};
    for (long rc = ours.next_key(nullptr, &next); rc == 0 && ours_walk.size() < 1000; rc = ours.next_key(&key, &next)) {
        ours_walk.push_back(next);
        key = next;
    }
    for (int rc = bpf_map_get_next_key(fd, nullptr, &next); rc == 0 && kernel_walk.size() < 1000;
         rc = bpf_map_get_next_key(fd, &key, &next)) {
        kernel_walk.push_back(next);
        key = next;
    }
    EXPECT_GT(kernel_walk.size(), 10u);
    EXPECT_TRUE(ours_walk == kernel_walk) << "ours " << ours_walk.size() << " keys, kernel " << kernel_walk.size();
}

}  // namespace
}  // namespace xdpdk::vm
