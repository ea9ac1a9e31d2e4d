// Maps of maps against the Linux kernel: the inner-template rules of
// BPF_MAP_CREATE and BPF_MAP_UPDATE_ELEM (what is inserted must have the
// template's shape), libbpf's declared inner maps and initial slots
// (tests/progs/map_in_map.bpf.c), and a load balancer laid out like Katran's
// (tests/progs/katran_shaped.bpf.c) whose per-CPU LRU tables the test creates
// and inserts as Katran's userspace does. Programs run through
// BPF_PROG_TEST_RUN and through xdpdk in both engines; verdicts, bytes and
// every map (inner maps included) must agree. Skips without bpf().
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "dual_runtime.h"
#include "kernel_oracle.h"
#include "test_support.h"
#include "tests/tools/packet_builder.h"
#include "tests/tools/sample_scenarios.h"
#include "vm/engine.h"
#include "vm/map.h"
#include "vm/object.h"

namespace xdpdk::test {
namespace {

constexpr vm::EngineKind kEngines[] = {vm::EngineKind::Interp, vm::EngineKind::Jit};
const char* engine_name(vm::EngineKind e) { return e == vm::EngineKind::Jit ? "jit" : "interp"; }

constexpr uint32_t kArray = 2, kHash = 1, kLruHash = 9, kArrayOfMaps = 12, kHashOfMaps = 13, kProgArray = 3;
constexpr uint32_t kNoPrealloc = 1, kRdonly = 8, kRdonlyProg = 1u << 7, kInnerMap = 1u << 12;

Bytes u32_bytes(uint32_t v) { return bytes_of(v); }

vm::MapSpec spec_of(const std::string& name, uint32_t type, uint32_t key, uint32_t value, uint32_t max,
                    uint32_t flags = 0) {
    vm::MapSpec s;
    s.name = name;
    s.type = type;
    s.key_size = key;
    s.value_size = value;
    s.max_entries = max;
    s.flags = flags;
    return s;
}

// One map made on both sides from one spec (inner maps and templates).
struct BothMaps {
    std::unique_ptr<KernelMap> kernel;
    std::shared_ptr<vm::Map> vm;
};

std::string make_both(const vm::MapSpec& s, BothMaps& out, const BothMaps* inner = nullptr) {
    auto k = KernelMap::create(s.name, s.type, s.key_size, s.value_size, s.max_entries, s.flags,
                               inner ? inner->kernel->fd() : -1);
    auto v = vm::create_map(s, kernel_possible_cpus(), inner ? inner->vm : nullptr);
    if (k.ok() != v.ok())
        return s.name + ": kernel " + (k.ok() ? "accepts" : "refuses (" + k.error().str() + ")") + ", xdpdk " +
               (v.ok() ? "accepts" : "refuses (" + v.error().str() + ")");
    if (!k.ok()) return "refused";
    out.kernel = std::move(k).value();
    out.vm = std::shared_ptr<vm::Map>(std::move(v).value());
    return "";
}

// Inserts `inner` at `key` of `outer` on both sides: the errno (0 when
// accepted), which must be the same.
int insert_both(const BothMaps& outer, const Bytes& key, const BothMaps& inner, uint64_t flags = 0) {
    const uint32_t fd = static_cast<uint32_t>(inner.kernel->fd()), id = inner.vm->id();
    const int k = outer.kernel->update(key, bytes_of(fd), flags);
    const long v = outer.vm->user_update(key.data(), &id, flags);
    EXPECT_EQ(k, v) << "insert of " << inner.vm->name() << " into " << outer.vm->name() << ": kernel "
                    << std::strerror(-k) << ", xdpdk " << std::strerror(int(-v));
    return k;
}

void expect_same_dump(const BothMaps& m, const std::string& when) {
    auto k = m.kernel->dump();
    ASSERT_TRUE(k.ok()) << k.error().str();
    const MapDump v = dump_vm_map(*m.vm);
    EXPECT_EQ(k->entries.size(), v.entries.size()) << when << ": map " << m.vm->name();
    for (const auto& [key, kvalue] : k->entries) {
        auto it = v.entries.find(key);
        if (it == v.entries.end()) {
            ADD_FAILURE() << when << ": map " << m.vm->name() << " key " << hex(key) << " is in the kernel only";
            continue;
        }
        EXPECT_EQ(bytes_diff(kvalue, it->second), "") << when << ": map " << m.vm->name() << " key " << hex(key);
    }
}

#define MAKE_OR_FAIL(spec, both, ...)                                         \
    BothMaps both;                                                           \
    ASSERT_EQ(make_both(spec, both __VA_OPT__(, ) __VA_ARGS__), "") << #both

// ---------------------------------------------------------------------------
// The template rules.

TEST(MapInMapRules, CreateRefusesWhatTheKernelRefuses) {
    SKIP_WITHOUT_KERNEL();
    MAKE_OR_FAIL(spec_of("tmpl_arr", kArray, 4, 8, 4), tmpl);
    MAKE_OR_FAIL(spec_of("outer_ok", kArrayOfMaps, 4, 4, 8), outer, &tmpl);
    MAKE_OR_FAIL(spec_of("houter_ok", kHashOfMaps, 8, 4, 8), houter, &tmpl);
    BothMaps refused;
    // A value that is not a 4-byte fd or id.
    EXPECT_EQ(make_both(spec_of("outer_v8", kArrayOfMaps, 4, 8, 8), refused, &tmpl), "refused");
    EXPECT_EQ(make_both(spec_of("houter_v8", kHashOfMaps, 4, 8, 8), refused, &tmpl), "refused");
    // An array of maps has u32 keys.
    EXPECT_EQ(make_both(spec_of("outer_k8", kArrayOfMaps, 8, 4, 8), refused, &tmpl), "refused");
    // Maps of maps do not nest.
    EXPECT_EQ(make_both(spec_of("nested", kArrayOfMaps, 4, 4, 8), refused, &outer), "refused");
    EXPECT_EQ(make_both(spec_of("hnested", kHashOfMaps, 4, 4, 8), refused, &houter), "refused");
    // Program-side access flags on an array of maps.
    EXPECT_EQ(make_both(spec_of("outer_rdprog", kArrayOfMaps, 4, 4, 8, 1u << 7), refused, &tmpl), "refused");
    // A prog array cannot be a template.
    MAKE_OR_FAIL(spec_of("progs", kProgArray, 4, 4, 2), progs);
    EXPECT_EQ(make_both(spec_of("outer_progs", kArrayOfMaps, 4, 4, 8), refused, &progs), "refused");
}

TEST(MapInMapRules, InsertChecksTheShapeAgainstTheTemplate) {
    SKIP_WITHOUT_KERNEL();
    MAKE_OR_FAIL(spec_of("tmpl", kHash, 8, 16, 32), tmpl);
    MAKE_OR_FAIL(spec_of("aom", kArrayOfMaps, 4, 4, 4), aom, &tmpl);
    MAKE_OR_FAIL(spec_of("hom", kHashOfMaps, 4, 4, 4), hom, &tmpl);
    MAKE_OR_FAIL(spec_of("same", kHash, 8, 16, 32), same);
    MAKE_OR_FAIL(spec_of("bigger", kHash, 8, 16, 1000), bigger);  // hashes may differ in size
    MAKE_OR_FAIL(spec_of("lru", kLruHash, 8, 16, 32), lru);
    MAKE_OR_FAIL(spec_of("key4", kHash, 4, 16, 32), key4);
    MAKE_OR_FAIL(spec_of("val8", kHash, 8, 8, 32), val8);
    MAKE_OR_FAIL(spec_of("noprealloc", kHash, 8, 16, 32, kNoPrealloc), noprealloc);
    MAKE_OR_FAIL(spec_of("rdonly", kHash, 8, 16, 32, kRdonly), rdonly);
    MAKE_OR_FAIL(spec_of("rdonly_prog", kHash, 8, 16, 32, kRdonlyProg), rdonly_prog);
    for (const BothMaps* outer : {&aom, &hom}) {
        SCOPED_TRACE(outer->vm->name());
        EXPECT_EQ(insert_both(*outer, u32_bytes(0), same), 0);
        EXPECT_EQ(insert_both(*outer, u32_bytes(1), bigger), 0);
        EXPECT_EQ(insert_both(*outer, u32_bytes(2), lru), -EINVAL);
        EXPECT_EQ(insert_both(*outer, u32_bytes(2), key4), -EINVAL);
        EXPECT_EQ(insert_both(*outer, u32_bytes(2), val8), -EINVAL);
        EXPECT_EQ(insert_both(*outer, u32_bytes(2), noprealloc), -EINVAL);
        EXPECT_EQ(insert_both(*outer, u32_bytes(2), rdonly_prog), -EINVAL);
        // A map of maps is never an inner map.
        EXPECT_EQ(insert_both(*outer, u32_bytes(2), aom), -EINVAL);
        // BPF_F_RDONLY is the fd's permission, not a flag the map keeps.
        EXPECT_EQ(insert_both(*outer, u32_bytes(2), rdonly), 0);
        expect_same_dump(*outer, "after the inserts");
    }
    // Array of maps: only BPF_ANY, indexes below max_entries; deleting an
    // empty slot is ENOENT.
    EXPECT_EQ(insert_both(aom, u32_bytes(3), same, 1 /*BPF_NOEXIST*/), -EINVAL);
    EXPECT_EQ(insert_both(aom, u32_bytes(4), same), -E2BIG);
    EXPECT_EQ(aom.kernel->remove(u32_bytes(3)), -ENOENT);
    EXPECT_EQ(aom.vm->user_delete(u32_bytes(3).data()), -ENOENT);
    EXPECT_EQ(aom.kernel->remove(u32_bytes(0)), 0);
    EXPECT_EQ(aom.vm->user_delete(u32_bytes(0).data()), 0);
    // Hash of maps: the hash maps' flags and capacity.
    EXPECT_EQ(insert_both(hom, u32_bytes(0), same, 1 /*BPF_NOEXIST*/), -EEXIST);
    EXPECT_EQ(insert_both(hom, u32_bytes(9), same, 2 /*BPF_EXIST*/), -ENOENT);
    EXPECT_EQ(insert_both(hom, u32_bytes(7), same), 0);  // the fourth key of four
    EXPECT_EQ(insert_both(hom, u32_bytes(8), same), -E2BIG);
    EXPECT_EQ(insert_both(hom, u32_bytes(7), bigger), 0);  // replacing needs no room
    expect_same_dump(aom, "after the deletes");
    expect_same_dump(hom, "after the deletes");
}

TEST(MapInMapRules, ArrayTemplatesCompareSizesUnlessInnerMapFlag) {
    SKIP_WITHOUT_KERNEL();
    MAKE_OR_FAIL(spec_of("fixed", kArray, 4, 8, 4), fixed);
    MAKE_OR_FAIL(spec_of("sized", kArray, 4, 8, 4, kInnerMap), sized);
    MAKE_OR_FAIL(spec_of("aom_fixed", kArrayOfMaps, 4, 4, 2), aom_fixed, &fixed);
    MAKE_OR_FAIL(spec_of("aom_sized", kArrayOfMaps, 4, 4, 2), aom_sized, &sized);
    MAKE_OR_FAIL(spec_of("four", kArray, 4, 8, 4), four);
    MAKE_OR_FAIL(spec_of("eight", kArray, 4, 8, 8), eight);
    MAKE_OR_FAIL(spec_of("four_f", kArray, 4, 8, 4, kInnerMap), four_f);
    MAKE_OR_FAIL(spec_of("eight_f", kArray, 4, 8, 8, kInnerMap), eight_f);
    EXPECT_EQ(insert_both(aom_fixed, u32_bytes(0), four), 0);
    EXPECT_EQ(insert_both(aom_fixed, u32_bytes(1), eight), -EINVAL);
    EXPECT_EQ(insert_both(aom_fixed, u32_bytes(1), four_f), -EINVAL);  // flags differ
    EXPECT_EQ(insert_both(aom_sized, u32_bytes(0), four_f), 0);
    EXPECT_EQ(insert_both(aom_sized, u32_bytes(1), eight_f), 0);
    EXPECT_EQ(insert_both(aom_sized, u32_bytes(1), eight), -EINVAL);
    expect_same_dump(aom_fixed, "array templates");
    expect_same_dump(aom_sized, "array templates");
}

// ---------------------------------------------------------------------------
// Declared inner maps and initial slots (map_in_map.bpf.c).

Bytes frame_with_macs(uint8_t src4, uint8_t src5, uint8_t dst5, size_t len) {
    PacketSpec p;
    p.src_mac[4] = src4;
    p.src_mac[5] = src5;
    p.dst_mac[5] = dst5;
    p.frame_len = len;
    return build_packet(p);
}

TEST(MapInMapPrograms, DeclaredInnerMapsAndInitialSlotsMatchTheKernel) {
    SKIP_WITHOUT_KERNEL();
    for (vm::EngineKind engine : kEngines) {
        SCOPED_TRACE(engine_name(engine));
        DualRuntime rt;
        rt.engine = engine;
        ASSERT_EQ(rt.open(test_prog_path("map_in_map"), {}, {}), "");
        ASSERT_EQ(rt.select_program("count_in_inner"), "");
        rt.expect_same_maps(true, "after load: slots libbpf filled");
        int n = 0;
        for (uint8_t src5 = 0; src5 < 4; ++src5)
            for (uint8_t dst5 = 0; dst5 < 3; ++dst5) {
                const Bytes frame = frame_with_macs(static_cast<uint8_t>(n % 3), src5, dst5, 60 + 2 * (n % 5));
                ++n;
                EXPECT_EQ(rt.run_and_compare(frame, {}, 0), "") << "src " << int(src5) << " dst " << int(dst5);
            }
        rt.expect_same_maps(true, "after the run");
        // Userspace moves count_b into slot 1 and empties slot 0, on both sides.
        const uint32_t one = 1, zero = 0;
        auto kfd = rt.kernel->map_fd("count_b");
        ASSERT_TRUE(kfd.ok());
        const uint32_t fd = static_cast<uint32_t>(*kfd), id = rt.vm_obj->find_map("count_b")->id();
        ASSERT_TRUE(rt.kernel->map_update("by_source", u32_bytes(one), bytes_of(fd)).ok());
        ASSERT_EQ(rt.vm_obj->find_map("by_source")->user_update(&one, &id, vm::kAny), 0);
        ASSERT_EQ(rt.vm_obj->find_map("by_source")->user_delete(&zero), 0);
        ASSERT_TRUE(rt.kernel->map_delete("by_source", u32_bytes(zero)).ok());
        for (uint8_t src5 = 0; src5 < 4; ++src5)
            EXPECT_EQ(rt.run_and_compare(frame_with_macs(1, src5, 0, 64), {}, 0), "") << "src " << int(src5);
        rt.expect_same_maps(true, "after moving slots");
    }
}

// ---------------------------------------------------------------------------
// The Katran-shaped balancer (katran_shaped.bpf.c).

constexpr uint32_t kRingSize = 64, kLruSize = 1000, kFlowKeySize = 40, kRealPosSize = 8;

struct VipKey {
    uint32_t addr[4];
    uint16_t port;  // network order
    uint8_t proto;
    uint8_t pad;
};
static_assert(sizeof(VipKey) == 20);

struct Real {
    uint32_t addr[4];
    uint8_t flags;
    uint8_t pad[3];
};
static_assert(sizeof(Real) == 20);

VipKey vip4(const char* addr, uint16_t port, uint8_t proto) {
    VipKey k{};
    k.addr[0] = htonl(ipv4(addr));
    k.port = htons(port);
    k.proto = proto;
    return k;
}

VipKey vip6(const char* addr, uint16_t port, uint8_t proto) {
    VipKey k{};
    const Ipv6Addr a = ipv6(addr);
    std::memcpy(k.addr, a.data(), 16);
    k.port = htons(port);
    k.proto = proto;
    return k;
}

std::vector<MapEntry> katran_config() {
    std::vector<MapEntry> e;
    auto vip = [&](const VipKey& k, uint32_t num) {
        const uint32_t meta[2] = {0, num};
        e.push_back({"vip_map", bytes_of(k), bytes_of(meta)});
    };
    vip(vip4("10.200.1.1", 80, 6), 0);
    vip(vip4("10.200.1.2", 53, 17), 1);
    vip(vip6("fc00:2::1", 443, 6), 2);
    // Reals 0-3 IPv4, 4-6 IPv6 (flag F_IPV6).
    for (uint32_t i = 0; i < 7; ++i) {
        Real r{};
        if (i < 4) {
            r.addr[0] = htonl(ipv4("10.0.0.100") + i);
        } else {
            const Ipv6Addr a = ipv6("fc00:1::100");
            std::memcpy(r.addr, a.data(), 16);
            reinterpret_cast<uint8_t*>(r.addr)[15] = static_cast<uint8_t>(i);
            r.flags = 1;
        }
        e.push_back({"reals", bytes_of(i), bytes_of(r)});
    }
    // Rings: VIPs 0 and 1 spread over reals 0-3, VIP 2 over reals 4-6.
    for (uint32_t v = 0; v < 3; ++v)
        for (uint32_t i = 0; i < kRingSize; ++i) {
            const uint32_t real = v < 2 ? (i * 7 + v) % 4 : 4 + (i * 5) % 3;
            e.push_back({"ch_rings", bytes_of(v * kRingSize + i), bytes_of(real)});
        }
    const uint8_t mac[6] = {0x02, 0x00, 0x5e, 0x00, 0x53, 0x01};
    e.push_back({"ctl_array", bytes_of(uint32_t{0}), Bytes(mac, mac + 6)});
    return e;
}

// Client flows, each sent more than once so that later packets hit the
// connection table.
std::vector<Bytes> katran_traffic() {
    std::vector<Bytes> frames;
    for (int round = 0; round < 2; ++round) {
        for (uint16_t c = 0; c < 12; ++c) {
            PacketSpec p;
            p.src4 = ipv4("192.0.2.10") + c;
            p.sport = static_cast<uint16_t>(30000 + 17 * c);
            const int kind = c % 4;
            if (kind == 0) {
                p.dst4 = ipv4("10.200.1.1");
                p.l4 = 6;
                p.dport = 80;
            } else if (kind == 1) {
                p.dst4 = ipv4("10.200.1.2");
                p.l4 = 17;
                p.dport = 53;
            } else if (kind == 2) {
                p.l3 = L3::Ipv6;
                p.src6 = ipv6("2001:db8::10");
                p.src6[15] = static_cast<uint8_t>(c);
                p.dst6 = ipv6("fc00:2::1");
                p.l4 = 6;
                p.dport = 443;
            } else {
                p.dst4 = ipv4("10.200.1.9");  // not a VIP: passed
                p.l4 = 6;
            }
            p.frame_len = 80 + 4 * c;
            frames.push_back(build_packet(p));
        }
    }
    // IPv4 options (passed) and a fragment (dropped) towards a VIP.
    PacketSpec opt;
    opt.dst4 = ipv4("10.200.1.1");
    opt.l4 = 6;
    opt.ipv4_option_words = 1;
    frames.push_back(build_packet(opt));
    PacketSpec frag = opt;
    frag.ipv4_option_words = 0;
    frag.frag_field = 0x2000;
    frames.push_back(build_packet(frag));
    return frames;
}

TEST(KatranShaped, BalancesLikeTheKernelThroughPerCpuTablesAndTheFallback) {
    SKIP_WITHOUT_KERNEL();
    CpuPin pin(0);
    const uint32_t ncpus = kernel_possible_cpus();
    for (vm::EngineKind engine : kEngines) {
        SCOPED_TRACE(engine_name(engine));
        DualRuntime rt;
        rt.engine = engine;
        ASSERT_EQ(rt.open(test_prog_path("katran_shaped"), {}, katran_config()), "");
        ASSERT_EQ(rt.select_program("balancer_ingress"), "");
        // Katran's userspace: one LRU table per CPU, inserted at the CPU's
        // index of lru_mapping.
        std::vector<BothMaps> tables(ncpus);
        for (uint32_t cpu = 0; cpu < ncpus; ++cpu) {
            ASSERT_EQ(make_both(spec_of("lru_cpu" + std::to_string(cpu), kLruHash, kFlowKeySize, kRealPosSize,
                                        kLruSize),
                                tables[cpu]),
                      "");
            auto kfd = rt.kernel->map_fd("lru_mapping");
            ASSERT_TRUE(kfd.ok());
            const uint32_t fd = static_cast<uint32_t>(tables[cpu].kernel->fd()), id = tables[cpu].vm->id();
            ASSERT_TRUE(rt.kernel->map_update("lru_mapping", bytes_of(cpu), bytes_of(fd)).ok());
            ASSERT_EQ(rt.vm_obj->find_map("lru_mapping")->user_update(&cpu, &id, vm::kAny), 0);
        }
        const uint32_t cpu = pin.pinned() ? pin.cpu() : 0;
        const std::vector<Bytes> traffic = katran_traffic();
        size_t tx = 0;
        for (size_t i = 0; i < traffic.size(); ++i) {
            DualRuntime::Outcome out;
            EXPECT_EQ(rt.run_and_compare(traffic[i], {}, cpu, &out), "") << "packet " << i;
            tx += out.kernel.action == 3;
        }
        EXPECT_GE(tx, 18u) << "the VIPs' flows are encapsulated and sent back";
        rt.expect_same_maps(pin.pinned(), "through the CPU's table");
        expect_same_dump(tables[cpu], "the CPU's table");

        // Without a table for this CPU, flows go through fallback_cache.
        const Bytes key = bytes_of(cpu);
        ASSERT_TRUE(rt.kernel->map_delete("lru_mapping", key).ok());
        ASSERT_EQ(rt.vm_obj->find_map("lru_mapping")->user_delete(key.data()), 0);
        for (size_t i = 0; i < traffic.size(); ++i)
            EXPECT_EQ(rt.run_and_compare(traffic[i], {}, cpu), "") << "fallback packet " << i;
        rt.expect_same_maps(pin.pinned(), "through fallback_cache");
        expect_same_dump(tables[cpu], "the removed table, unchanged");
    }
}

}  // namespace
}  // namespace xdpdk::test
