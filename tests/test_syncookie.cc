// SYN cookies (bpf_tcp_raw_gen_syncookie_ipv4/ipv6 and
// bpf_tcp_raw_check_syncookie_ipv4/ipv6): the kernel's algorithm with a
// secret of our own. tests/progs/helper_syncookie answers SYNs with a
// cookie SYN-ACK (XDP_TX) and passes only ACKs whose cookie checks. Without
// the kernel: round trips in both engines, refusals of changed ACKs and old
// cookies. With it (BPF_PROG_TEST_RUN): for every MSS a SYN can announce,
// the kernel's and xdpdk's SYN-ACKs are the same but for the cookie (the
// secret differs), the MSS half and the cookie's MSS bits the same; each
// side's check accepts its own cookie and refuses the other's.
#include <gtest/gtest.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "dual_runtime.h"
#include "kernel_oracle.h"
#include "test_support.h"
#include "vm/engine.h"
#include "vm/exec_context.h"
#include "vm/helpers.h"
#include "vm/map.h"
#include "vm/object.h"
#include "vm/packet.h"
#include "vm/syncookie.h"

namespace xdpdk::test {
namespace {

constexpr vm::EngineKind kEngines[] = {vm::EngineKind::Interp, vm::EngineKind::Jit};
constexpr uint32_t kXdpDrop = 1, kXdpPass = 2, kXdpTx = 3;

void put16(Bytes& b, size_t at, uint16_t v) {
    b[at] = uint8_t(v >> 8);
    b[at + 1] = uint8_t(v);
}
void put32(Bytes& b, size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + i] = uint8_t(v >> (24 - 8 * i));
}
uint32_t get32(const Bytes& b, size_t at) {
    return uint32_t{b[at]} << 24 | uint32_t{b[at + 1]} << 16 | uint32_t{b[at + 2]} << 8 | b[at + 3];
}
uint16_t get16(const Bytes& b, size_t at) { return uint16_t(b[at] << 8 | b[at + 1]); }

// Where the TCP header starts in our frames (no IPv4 options, no IPv6
// extension headers).
size_t tcp_at(bool v6) { return v6 ? 14 + 40 : 14 + 20; }

// A client's SYN as Linux sends one: MSS (when mss > 0), SACK permitted,
// window scale; 10.0.0.1:40000 or 2001:db8::1 towards port 80.
Bytes syn_frame(bool v6, uint16_t mss, uint32_t seq = 0x11223344) {
    Bytes opts;
    if (mss) opts = {2, 4, uint8_t(mss >> 8), uint8_t(mss)};
    opts.insert(opts.end(), {4, 2, 1, 3, 3, 7, 1, 1});  // SACK_PERM, NOP, WS 7, NOP NOP
    while (opts.size() % 4) opts.push_back(0);
    const size_t tcp_len = 20 + opts.size();
    const size_t l3 = tcp_at(v6);
    Bytes f(l3 + tcp_len, 0);
    const uint8_t dst_mac[6] = {2, 0, 0, 0, 0, 1}, src_mac[6] = {2, 0, 0, 0, 0, 2};
    std::memcpy(f.data(), dst_mac, 6);
    std::memcpy(f.data() + 6, src_mac, 6);
    if (v6) {
        put16(f, 12, 0x86dd);
        f[14] = 0x60;
        put16(f, 18, uint16_t(tcp_len));
        f[20] = 6;
        f[21] = 64;
        const uint8_t src[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        std::memcpy(f.data() + 22, src, 16);
        std::memcpy(f.data() + 38, src, 16);
        f[53] = 2;
    } else {
        put16(f, 12, 0x0800);
        f[14] = 0x45;
        put16(f, 16, uint16_t(20 + tcp_len));
        f[22] = 64;
        f[23] = 6;
        put32(f, 26, 0x0a000001);
        put32(f, 30, 0x0a000002);
    }
    const size_t t = l3;
    put16(f, t, 40000);
    put16(f, t + 2, 80);
    put32(f, t + 4, seq);
    f[t + 12] = uint8_t((tcp_len / 4) << 4);
    f[t + 13] = 0x02;  // SYN
    put16(f, t + 14, 64240);
    std::memcpy(f.data() + t + 20, opts.data(), opts.size());
    return f;
}

// The client's ACK to a SYN-ACK: addresses and ports back, seq = SYN seq + 1,
// ack = cookie + 1, no options.
Bytes ack_frame(const Bytes& synack, bool v6) {
    const size_t t = tcp_at(v6);
    Bytes f(synack.begin(), synack.begin() + long(t + 20));
    for (int i = 0; i < 6; ++i) std::swap(f[i], f[6 + i]);
    if (v6) {
        put16(f, 18, 20);
        for (int i = 0; i < 16; ++i) std::swap(f[22 + i], f[38 + i]);
    } else {
        put16(f, 16, 40);
        for (int i = 0; i < 4; ++i) std::swap(f[26 + i], f[30 + i]);
    }
    const uint32_t cookie = get32(synack, t + 4), syn_seq_plus_1 = get32(synack, t + 8);
    for (int i = 0; i < 2; ++i) std::swap(f[t + i], f[t + 2 + i]);
    put32(f, t + 4, syn_seq_plus_1);
    put32(f, t + 8, cookie + 1);
    f[t + 12] = 5 << 4;
    f[t + 13] = 0x10;  // ACK
    return f;
}

// RFC 1071 sum over `b` plus `seed`, folded.
uint16_t ones_sum(const uint8_t* b, size_t n, uint32_t seed = 0) {
    uint64_t s = seed;
    for (size_t i = 0; i + 1 < n; i += 2) s += uint32_t(b[i] << 8 | b[i + 1]);
    if (n & 1) s += uint32_t(b[n - 1] << 8);
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return uint16_t(s);
}

// Both the IPv4 header checksum and the TCP checksum verify.
void expect_checksums_ok(const Bytes& f, bool v6) {
    const size_t t = tcp_at(v6);
    const size_t tcp_len = f.size() - t;
    uint32_t pseudo;
    if (v6) {
        pseudo = ones_sum(f.data() + 22, 32) + uint32_t(tcp_len) + 6;
    } else {
        EXPECT_EQ(ones_sum(f.data() + 14, 20), 0xffff) << "IPv4 header checksum";
        pseudo = ones_sum(f.data() + 26, 8) + uint32_t(tcp_len) + 6;
    }
    EXPECT_EQ(ones_sum(f.data() + t, tcp_len, pseudo), 0xffff) << "TCP checksum";
}

struct CookieResult {
    int64_t gen, check;
    uint64_t syns, acks;
};

class VmGuard {
public:
    explicit VmGuard(vm::EngineKind engine) {
        vm::ObjectOptions opts;
        opts.engine = engine;
        auto obj = vm::Object::open(test_prog_path("helper_syncookie"), opts);
        EXPECT_TRUE(obj) << obj.error().str();
        if (!obj) return;
        obj_ = std::move(obj.value());
        Status st = obj_->load();
        EXPECT_TRUE(st) << st.error().str();
        auto prog = obj_->find_program("syncookie_guard");
        if (st && prog) prog_ = prog.value();
    }
    bool ok() const { return prog_ != nullptr; }
    // The verdict; `out` gets the frame as the program left it.
    uint32_t run(const Bytes& in, Bytes* out = nullptr) {
        vm::PacketFrame frame(in);
        vm::ExecContext ex;
        const auto action = static_cast<uint32_t>(vm::run_xdp(*prog_, frame.xdp(), ex));
        if (out) out->assign(frame.data().begin(), frame.data().end());
        return action;
    }
    CookieResult last() const {
        CookieResult r{};
        const uint32_t key = 0;
        EXPECT_EQ(obj_->find_map("last")->user_lookup(&key, &r), 0);
        return r;
    }

private:
    std::unique_ptr<vm::Object> obj_;
    vm::Program* prog_ = nullptr;
};

// ---------------------------------------------------------------------------
// The algorithm on its own: minutes, and what a cookie binds.

TEST(Syncookie, ChecksForTwoMinutesAndBindsAddressesPortsAndSeq) {
    for (bool v6 : {false, true}) {
        SCOPED_TRACE(v6 ? "ipv6" : "ipv4");
        const Bytes syn = syn_frame(v6, 1460);
        const size_t t = tcp_at(v6);
        const uint32_t minute = 0x00fffffe;  // the 8-bit minute field wraps on the next one
        uint16_t mss = 1460;
        const uint32_t cookie = v6 ? vm::syncookie::v6_init_sequence(&syn[14], &syn[t], &mss, minute)
                                   : vm::syncookie::v4_init_sequence(&syn[14], &syn[t], &mss, minute);
        Bytes synack = syn;  // only the cookie, seq and ack matter to the check
        put32(synack, t + 4, cookie);
        put32(synack, t + 8, get32(syn, t + 4) + 1);
        // The ACK travels the way the SYN did: the same addresses and ports.
        Bytes ack = syn;
        put32(ack, t + 4, get32(syn, t + 4) + 1);
        put32(ack, t + 8, cookie + 1);
        auto check = [&](const Bytes& a, uint32_t now) {
            return v6 ? vm::syncookie::v6_check(&a[14], &a[t], now) : vm::syncookie::v4_check(&a[14], &a[t], now);
        };
        const uint16_t expected = v6 ? 1440 : 1460;
        EXPECT_EQ(mss, expected);
        EXPECT_EQ(check(ack, minute), expected);
        EXPECT_EQ(check(ack, minute + 1), expected);  // MAX_SYNCOOKIE_AGE is 2: this minute and the next
        EXPECT_EQ(check(ack, minute + 2), 0) << "a cookie two minutes old";
        EXPECT_EQ(check(ack, minute + 3), 0);
        EXPECT_EQ(check(ack, minute - 1), 0) << "a cookie from the future";
        // Each field the cookie binds: the ACK's seq, each address, each port.
        const size_t src = v6 ? 22 : 26, dst = v6 ? 38 : 30;
        for (size_t at : {t + 4, t + 8, src, dst, src + (v6 ? 15u : 3u), t, t + 2, t + 1, t + 3}) {
            Bytes changed = ack;
            changed[at] ^= 0x01;
            EXPECT_EQ(check(changed, minute), 0) << "byte " << at << " changed";
        }
    }
}

TEST(Syncookie, MssOptionParsedAsTheKernelDoes) {
    Bytes syn = syn_frame(false, 1400);
    const size_t t = tcp_at(false);
    EXPECT_EQ(vm::syncookie::parse_mss_option(&syn[t]), 1400);
    syn[t + 20] = 0;  // EOL before the MSS option
    EXPECT_EQ(vm::syncookie::parse_mss_option(&syn[t]), 0);
    syn = syn_frame(false, 1400);
    syn[t + 21] = 5;  // MSS option of the wrong length: skipped, then garbage
    EXPECT_EQ(vm::syncookie::parse_mss_option(&syn[t]), 0);
    syn = syn_frame(false, 1400);
    syn[t + 21] = 1;  // a "silly" option length ends the walk
    EXPECT_EQ(vm::syncookie::parse_mss_option(&syn[t]), 0);
    EXPECT_EQ(vm::syncookie::parse_mss_option(&syn_frame(true, 0)[tcp_at(true)]), 0);
}

// The helpers' argument checks: th_len must be the header's own length.
TEST(Syncookie, GenRefusesALengthThatIsNotTheHeaders) {
    const Bytes syn = syn_frame(false, 1460);
    const size_t t = tcp_at(false);
    const uint32_t th_len = (syn[t + 12] >> 4) * 4;
    vm::ExecContext ex;
    auto gen = vm::find_helper(vm::helper_id::TcpRawGenSyncookieIpv4);
    const auto iph = reinterpret_cast<uint64_t>(&syn[14]), th = reinterpret_cast<uint64_t>(&syn[t]);
    EXPECT_EQ(int64_t(gen(iph, th, th_len - 4, 0, 0, &ex)), -EINVAL);
    EXPECT_EQ(int64_t(gen(iph, th, 19, 0, 0, &ex)), -EINVAL);
    const uint64_t good = gen(iph, th, th_len, 0, 0, &ex);
    EXPECT_EQ(good >> 32, 1460u);
    auto check = vm::find_helper(vm::helper_id::TcpRawCheckSyncookieIpv4);
    EXPECT_EQ(int64_t(check(iph, th, 0, 0, 0, &ex)), -EACCES) << "a SYN carries no cookie";
}

// ---------------------------------------------------------------------------
// The program, in both engines.

TEST(Syncookie, HandshakeThroughTheProgramInBothEngines) {
    for (vm::EngineKind engine : kEngines) {
        for (bool v6 : {false, true}) {
            SCOPED_TRACE(std::string(engine == vm::EngineKind::Jit ? "jit " : "interp ") + (v6 ? "ipv6" : "ipv4"));
            VmGuard guard(engine);
            ASSERT_TRUE(guard.ok());
            const Bytes syn = syn_frame(v6, 1400);
            Bytes synack;
            ASSERT_EQ(guard.run(syn, &synack), kXdpTx);
            const size_t t = tcp_at(v6);
            ASSERT_EQ(synack.size(), t + 24);
            const CookieResult r = guard.last();
            const uint16_t mss = v6 ? 1220 : 1300;  // the table entry at or below 1400
            EXPECT_EQ(uint64_t(r.gen) >> 32, mss);
            EXPECT_EQ(get32(synack, t + 4), uint32_t(r.gen)) << "seq is the cookie";
            EXPECT_EQ(get32(synack, t + 8), 0x11223345u);
            EXPECT_EQ(synack[t + 13], 0x12) << "SYN|ACK";
            EXPECT_EQ(get16(synack, t + 22), mss) << "the MSS option carries the encoded MSS";
            EXPECT_EQ(get16(synack, t), 80);
            EXPECT_EQ(get16(synack, t + 2), 40000);
            expect_checksums_ok(synack, v6);

            const Bytes ack = ack_frame(synack, v6);
            EXPECT_EQ(guard.run(ack), kXdpPass);
            EXPECT_EQ(guard.last().check, 0);
            const size_t src = v6 ? 22 : 26;
            for (size_t at : {t + 4 + 3, t + 8 + 3, src + 1, t + 1, t + 3}) {
                Bytes changed = ack;
                changed[at] ^= 0x04;
                EXPECT_EQ(guard.run(changed), kXdpDrop) << "byte " << at << " changed";
                EXPECT_EQ(guard.last().check, -EACCES);
            }
            EXPECT_EQ(guard.last().acks, 6u);
        }
    }
}

// ---------------------------------------------------------------------------
// Against the kernel.

class KernelGuard {
public:
    std::string open() {
        auto k = KernelObject::open(test_prog_path("helper_syncookie"));
        if (!k) return k.error().str();
        obj_ = std::move(k.value());
        if (auto st = obj_->load(); !st) return st.error().str();
        return "";
    }
    uint32_t run(const Bytes& in, Bytes* out = nullptr) {
        auto r = obj_->run_xdp("syncookie_guard", in);
        EXPECT_TRUE(r) << r.error().str();
        if (!r) return ~0u;
        if (out) *out = r->data;
        return r->action;
    }
    CookieResult last() {
        CookieResult r{};
        const uint32_t key = 0;
        bpf_map* map = bpf_object__find_map_by_name(obj_->raw(), "last");
        EXPECT_NE(map, nullptr);
        if (map) {
            EXPECT_EQ(bpf_map__lookup_elem(map, &key, sizeof key, &r, sizeof r, 0), 0);
        }
        return r;
    }

private:
    std::unique_ptr<KernelObject> obj_;
};

// Every MSS a SYN can announce (0: no option, the default), both families:
// the same SYN-ACK from the kernel and from xdpdk but for the cookie and the
// TCP checksum, which covers it; the same MSS half and cookie MSS encoding
// (the cookie's data bits are the MSS index, checked through each side's
// own check below); the cookie itself differs, as the secrets do.
TEST(SyncookieKernel, MssEncodingMatchesTheKernelForEveryMss) {
    SKIP_WITHOUT_KERNEL();
    KernelGuard kernel;
    ASSERT_EQ(kernel.open(), "");
    VmGuard interp(vm::EngineKind::Interp), jit(vm::EngineKind::Jit);
    ASSERT_TRUE(interp.ok() && jit.ok());
    for (bool v6 : {false, true}) {
        SCOPED_TRACE(v6 ? "ipv6" : "ipv4");
        const size_t t = tcp_at(v6);
        int mismatches = 0, same_cookie = 0;
        for (uint32_t mss = 0; mss <= 0xffff && mismatches < kMaxReportedMismatches; ++mss) {
            const Bytes syn = syn_frame(v6, uint16_t(mss));
            Bytes k, i, j;
            const uint32_t ka = kernel.run(syn, &k), ia = interp.run(syn, &i), ja = jit.run(syn, &j);
            if (ka != kXdpTx || ia != kXdpTx || ja != kXdpTx || k.size() != t + 24 || i.size() != k.size() ||
                j != i) {
                ADD_FAILURE() << "mss " << mss << ": actions " << ka << "/" << ia << "/" << ja;
                ++mismatches;
                continue;
            }
            if (uint64_t(kernel.last().gen) >> 32 != uint64_t(interp.last().gen) >> 32) {
                ADD_FAILURE() << "mss " << mss << ": kernel " << (uint64_t(kernel.last().gen) >> 32) << ", xdpdk "
                              << (uint64_t(interp.last().gen) >> 32);
                ++mismatches;
            }
            same_cookie += get32(k, t + 4) == get32(i, t + 4);
            // Same bytes but the cookie and the TCP checksum.
            Bytes kk = k, ii = i;
            for (size_t at : {t + 4, t + 5, t + 6, t + 7, t + 16, t + 17}) kk[at] = ii[at] = 0;
            if (kk != ii) {
                ADD_FAILURE() << "mss " << mss << ": " << bytes_diff(kk, ii);
                ++mismatches;
            }
        }
        EXPECT_EQ(same_cookie, 0) << "the kernel's secret and xdpdk's differ, so must their cookies";
    }
}

TEST(SyncookieKernel, EachSideChecksItsOwnCookiesAndRefusesTheOthers) {
    SKIP_WITHOUT_KERNEL();
    KernelGuard kernel;
    ASSERT_EQ(kernel.open(), "");
    for (vm::EngineKind engine : kEngines) {
        VmGuard guard(engine);
        ASSERT_TRUE(guard.ok());
        for (bool v6 : {false, true}) {
            SCOPED_TRACE(v6 ? "ipv6" : "ipv4");
            for (uint16_t mss : {0, 536, 1300, 1460, 9000}) {
                const Bytes syn = syn_frame(v6, mss);
                Bytes from_kernel, from_vm;
                ASSERT_EQ(kernel.run(syn, &from_kernel), kXdpTx);
                ASSERT_EQ(guard.run(syn, &from_vm), kXdpTx);
                expect_checksums_ok(from_kernel, v6);
                const Bytes kernel_ack = ack_frame(from_kernel, v6), vm_ack = ack_frame(from_vm, v6);
                EXPECT_EQ(kernel.run(kernel_ack), kXdpPass) << "the kernel's check takes the kernel's cookie";
                EXPECT_EQ(kernel.last().check, 0);
                EXPECT_EQ(guard.run(vm_ack), kXdpPass) << "xdpdk's check takes xdpdk's cookie";
                EXPECT_EQ(guard.last().check, 0);
                EXPECT_EQ(kernel.run(vm_ack), kXdpDrop);
                EXPECT_EQ(kernel.last().check, -EACCES);
                EXPECT_EQ(guard.run(kernel_ack), kXdpDrop);
                EXPECT_EQ(guard.last().check, -EACCES);
            }
        }
    }
}

}  // namespace
}  // namespace xdpdk::test
