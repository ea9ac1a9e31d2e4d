// Classic BPF run as XDP (vm/cbpf): tcpdump expressions compiled by libpcap,
// translated to eBPF, wrapped as an object and run by both engines, must give
// every packet the verdict libpcap's own interpreter (pcap_offline_filter)
// gives it; the kernel, loading the same translated object, must agree too.
// The packets are every frame of the bundled captures plus frames built here
// for what those lack (fragments, ICMP, tagged IPv6, broadcast, runts).
// Then the -ddd parser, the errors, and random and mutated cBPF programs.
#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "kernel_oracle.h"
#include "test_support.h"
#include "tests/tools/packet_builder.h"
#include "vm/cbpf/cbpf.h"
#include "vm/cbpf/classic_ops.h"
#include "vm/engine.h"
#include "vm/exec_context.h"
#include "vm/object.h"
#include "vm/packet.h"

namespace xdpdk::test {
namespace {

namespace cb = vm::cbpf;

constexpr uint32_t kAborted = 0, kDrop = 1, kPass = 2, kTx = 3;
constexpr vm::EngineKind kEngines[] = {vm::EngineKind::Interp, vm::EngineKind::Jit};
// Two verdict pairs, so a translation that ignored them would show.
const cb::Verdicts kVerdictPairs[] = {{kPass, kDrop}, {kTx, kAborted}};

const char* engine_name(vm::EngineKind e) { return e == vm::EngineKind::Jit ? "jit" : "interp"; }

struct Frame {
    std::string origin;  // "pcaps/x.pcap #12" or the fixture's name
    Bytes bytes;
};

// Every frame libpcap reads from a capture (a truncated last record ends it).
void read_capture(const std::string& rel, std::vector<Frame>& out) {
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(source_path(rel).c_str(), err);
    ASSERT_NE(p, nullptr) << rel << ": " << err;
    pcap_pkthdr* hdr = nullptr;
    const u_char* data = nullptr;
    for (int n = 0; pcap_next_ex(p, &hdr, &data) == 1; ++n)
        out.push_back({rel + " #" + std::to_string(n), Bytes(data, data + hdr->caplen)});
    pcap_close(p);
}

PacketSpec spec_with(void (*edit)(PacketSpec&)) {
    PacketSpec s;
    edit(s);
    return s;
}

// Frames for what the captures may lack, built with real headers.
std::vector<Frame> built_frames() {
    std::vector<std::pair<std::string, PacketSpec>> specs = {
        {"tcp syn 10.0.0.1:40000 > 10.0.0.2:80", spec_with([](PacketSpec& s) {
             s.l4 = 6, s.tcp_flags = tcp_flag::Syn;
         })},
        {"tcp syn-ack 10.0.0.2:80 > 10.0.0.1:40000", spec_with([](PacketSpec& s) {
             s.l4 = 6, s.tcp_flags = tcp_flag::Syn | tcp_flag::Ack, s.src4 = ipv4("10.0.0.2"),
             s.dst4 = ipv4("10.0.0.1"), s.sport = 80, s.dport = 40000;
         })},
        {"tcp 443 ack, 300 bytes", spec_with([](PacketSpec& s) {
             s.l4 = 6, s.dport = 443, s.frame_len = 300;
         })},
        {"udp dns 192.168.1.10 > 10.0.0.1", spec_with([](PacketSpec& s) {
             s.src4 = ipv4("192.168.1.10"), s.dst4 = ipv4("10.0.0.1"), s.dport = 53, s.frame_len = 90;
         })},
        {"udp 1500, ttl 32", spec_with([](PacketSpec& s) { s.dport = 1500, s.ttl = 32, s.frame_len = 150; })},
        {"icmp echo", spec_with([](PacketSpec& s) { s.l4 = 1, s.frame_len = 98; })},
        {"icmp6 echo 2001:db8::1 > 2001:db8::2", spec_with([](PacketSpec& s) {
             s.l3 = L3::Ipv6, s.l4 = 58, s.src6 = ipv6("2001:db8::1"), s.dst6 = ipv6("2001:db8::2"),
             s.frame_len = 118;
         })},
        {"udp6 53", spec_with([](PacketSpec& s) {
             s.l3 = L3::Ipv6, s.l4 = 17, s.src6 = ipv6("2001:db8::2"), s.dst6 = ipv6("2001:db8::1"), s.dport = 53,
             s.frame_len = 100;
         })},
        {"tcp6 80 syn", spec_with([](PacketSpec& s) {
             s.l3 = L3::Ipv6, s.l4 = 6, s.src6 = ipv6("fe80::1"), s.dst6 = ipv6("2001:db8::1"),
             s.tcp_flags = tcp_flag::Syn, s.frame_len = 86;
         })},
        {"arp", spec_with([](PacketSpec& s) { s.l3 = L3::Arp; })},
        {"vlan 100 tcp", spec_with([](PacketSpec& s) { s.vlan_tcis = {100}, s.l4 = 6, s.dport = 22; })},
        {"vlan 200 udp", spec_with([](PacketSpec& s) { s.vlan_tcis = {200}, s.dport = 53; })},
        {"vlan 100 ip6 tcp", spec_with([](PacketSpec& s) {
             s.vlan_tcis = {100}, s.l3 = L3::Ipv6, s.l4 = 6, s.src6 = ipv6("2001:db8::1"),
             s.dst6 = ipv6("2001:db8::9"), s.frame_len = 90;
         })},
        {"qinq 300.400 udp", spec_with([](PacketSpec& s) { s.vlan_tcis = {300, 400}; })},
        {"ipv4 first fragment (MF)", spec_with([](PacketSpec& s) { s.frag_field = 0x2000, s.frame_len = 200; })},
        {"ipv4 later fragment", spec_with([](PacketSpec& s) { s.frag_field = 0x00b9, s.l4 = 6; })},
        {"ipv4 with options, tcp", spec_with([](PacketSpec& s) {
             s.ipv4_option_words = 2, s.l4 = 6, s.dport = 443, s.frame_len = 90;
         })},
        {"broadcast udp", spec_with([](PacketSpec& s) {
             s.dst_mac = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, s.dst4 = ipv4("255.255.255.255"), s.dport = 67;
         })},
        {"multicast udp 224.0.0.251", spec_with([](PacketSpec& s) {
             s.dst_mac = {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb}, s.dst4 = ipv4("224.0.0.251"), s.dport = 5353;
         })},
        {"lldp", spec_with([](PacketSpec& s) { s.l3 = L3::Raw, s.raw_ether_type = 0x88cc; })},
        {"runt: ethernet and 6 bytes of ipv4", spec_with([](PacketSpec& s) { s.frame_len = 20; })},
        {"runt: tcp header cut", spec_with([](PacketSpec& s) { s.l4 = 6, s.frame_len = 40; })},
        {"runt: 10 bytes", spec_with([](PacketSpec& s) { s.frame_len = 10; })},
        {"jumbo-ish tcp 1500", spec_with([](PacketSpec& s) { s.l4 = 6, s.frame_len = 1500; })},
    };
    std::vector<Frame> frames;
    for (const auto& [name, spec] : specs) frames.push_back({name, build_packet(spec)});
    // An HTTP request: "GET " at the start of the TCP payload.
    Bytes get = build_packet(spec_with([](PacketSpec& s) { s.l4 = 6, s.frame_len = 120; }));
    std::memcpy(get.data() + 54, "GET / HTTP/1.1", 14);
    frames.push_back({"tcp 80 GET", get});
    return frames;
}

const std::vector<Frame>& all_frames() {
    static const std::vector<Frame> frames = [] {
        std::vector<Frame> f;
        for (const char* rel : {"pcaps/sample.pcap", "pcaps/sample.pcapng", "pcaps/lb_traffic.pcap",
                                "pcaps/fw_traffic.pcap", "pcaps/edge_cases.pcap", "pcaps/corrupt_truncated.pcap"})
            read_capture(rel, f);
        for (auto& b : built_frames()) f.push_back(std::move(b));
        return f;
    }();
    return frames;
}

// libpcap's verdict on a frame as XDP sees it: what is there is all there is
// (caplen = len = the frame's length).
bool pcap_accepts(const std::vector<cb::Insn>& insns, std::span<const uint8_t> frame) {
    std::vector<bpf_insn> code(insns.size());
    for (size_t i = 0; i < insns.size(); ++i) code[i] = {insns[i].code, insns[i].jt, insns[i].jf, insns[i].k};
    bpf_program prog{static_cast<u_int>(code.size()), code.data()};
    pcap_pkthdr hdr{};
    hdr.caplen = hdr.len = static_cast<bpf_u_int32>(frame.size());
    return pcap_offline_filter(&prog, &hdr, frame.data()) != 0;
}

// A translated filter opened and loaded (verified, compiled) by the VM.
struct LoadedFilter {
    std::unique_ptr<vm::Object> obj;
    vm::Program* prog = nullptr;
};

Result<LoadedFilter> load_filter(std::span<const vm::RawInsn> insns, vm::EngineKind engine, bool strict = false) {
    XDPDK_ASSIGN_OR_RETURN(const auto elf, cb::filter_object(insns, "cbpf_filter"));
    vm::ObjectOptions opts;
    opts.engine = engine;
    opts.strict_verifier = strict;
    LoadedFilter f;
    XDPDK_ASSIGN_OR_RETURN(f.obj, vm::Object::open_memory(elf, "cbpf_filter", opts));
    XDPDK_RETURN_IF_ERROR(f.obj->load());
    XDPDK_ASSIGN_OR_RETURN(f.prog, f.obj->find_program("cbpf_filter"));
    return f;
}

uint32_t run_vm(const LoadedFilter& f, std::span<const uint8_t> frame, std::string* fault = nullptr,
                vm::FrameLayout layout = vm::FrameLayout::Linear) {
    vm::PacketFrame pf(frame, 1, 0, layout);
    vm::ExecContext ex;
    const auto action = static_cast<uint32_t>(vm::run_xdp(*f.prog, pf.xdp(), ex));
    if (fault && ex.fault) *fault = ex.fault;
    return action;
}

uint32_t run_vm(const LoadedFilter& f, std::span<const uint8_t> frame, vm::FrameLayout layout) {
    return run_vm(f, frame, nullptr, layout);
}

// The kernel's BPF_PROG_TEST_RUN takes frames of 14 bytes up, split into
// frags past 3520 bytes for an xdp.frags program, up to 3520 + 17 pages.
bool kernel_runs(std::span<const uint8_t> frame) {
    return frame.size() >= 14 && frame.size() <= vm::kXdpMaxMultiBufferLen;
}

// The filter written out as an object file, opened and loaded by the kernel.
Result<std::unique_ptr<KernelObject>> kernel_load(std::span<const vm::RawInsn> insns, const std::string& dir,
                                                  const std::string& file) {
    XDPDK_ASSIGN_OR_RETURN(const auto elf, cb::filter_object(insns, "cbpf_filter"));
    const std::string path = dir + "/" + file;
    write_file(path, std::string(elf.begin(), elf.end()));
    XDPDK_ASSIGN_OR_RETURN(auto kobj, KernelObject::open(path));
    XDPDK_RETURN_IF_ERROR(kobj->load());
    return kobj;
}

// ---------------------------------------------------------------------------
// tcpdump expressions over every frame.

// "port 1 or port 2 or ... or port N".
std::string long_or(const std::string& what, int from, int to) {
    std::string s;
    for (int i = from; i <= to; ++i) s += (s.empty() ? "" : " or ") + what + " " + std::to_string(i);
    return s;
}

const std::vector<std::string> kExpressions = {
    // protocols
    "tcp", "udp", "icmp", "arp", "ip", "ip6", "icmp6", "ether proto 0x88cc", "ip proto 1", "ip6 proto 17",
    // hosts and nets
    "host 10.0.0.1", "src host 10.0.0.1", "dst host 10.0.0.2", "net 10.0.0.0/8", "src net 192.168.0.0/16",
    "dst net 10.0.0.0 mask 255.255.255.0", "ip6 host 2001:db8::1", "ip6 and src net 2001:db8::/32",
    // ports
    "port 80", "src port 40000", "dst port 53", "portrange 1000-2000", "tcp dst portrange 79-81",
    "udp and not port 53",
    // VLAN
    "vlan", "vlan and tcp", "vlan 100", "vlan 200 and udp", "vlan and ip6", "vlan and vlan 400",
    // indexed loads
    "tcp[tcpflags] & tcp-syn != 0", "tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-syn", "tcp[13] = 18", "ip[8] < 64",
    "udp[8:2] != 0", "udp[4:2] > 60", "icmp[icmptype] = icmp-echo", "ip[0] & 0xf > 5", "ip[6:2] & 0x1fff != 0",
    "ip[6] & 0x20 != 0", "ip6[6] = 58", "arp[6:2] = 1", "tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420",
    "ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2) > 20", "ip[2:2] % 7 = 3", "ip[8] ^ 0xff > 200",
    "udp[8:2] * 2 > 1000", "ip[2:2] / 4 > 20",
    // lengths
    "len > 100", "less 80", "greater 200", "len >= 64 and len <= 128",
    // link layer
    "ether broadcast", "ether multicast", "ether host 02:00:00:00:00:01", "ether src 02:00:00:00:00:02",
    "ether[0] & 1 = 0", "ip multicast",
    // combinations
    "tcp and (port 80 or port 443)", "not arp", "(tcp or udp) and host 10.0.0.1", "udp dst port 53 or icmp6",
    "not (ip or ip6)", "ip and not tcp and not udp", "ip6 and tcp", "(ip6 or vlan) and not udp",
    // long: hundreds of cBPF instructions
    long_or("port", 1, 120), long_or("ip[8] =", 1, 63),
};

class CbpfExpression : public ::testing::TestWithParam<std::string> {};

// Every frame's verdict in both engines and with both verdict pairs equals
// pcap_offline_filter's; each expression matches some frames and not others,
// so the comparison covers both outcomes.
TEST_P(CbpfExpression, SameVerdictsAsLibpcapInBothEngines) {
    const std::string& expr = GetParam();
    auto insns = cb::compile_expression(expr, DLT_EN10MB);
    ASSERT_TRUE(insns.ok()) << insns.error().str();
    const auto& frames = all_frames();
    ASSERT_GT(frames.size(), 300u);
    std::vector<bool> expected;
    size_t matching = 0;
    for (const auto& f : frames) {
        expected.push_back(pcap_accepts(insns.value(), f.bytes));
        matching += expected.back();
    }
    EXPECT_GT(matching, 0u) << "no frame matches '" << expr << "'";
    EXPECT_LT(matching, frames.size()) << "every frame matches '" << expr << "'";
    for (const auto& verdicts : kVerdictPairs) {
        auto ebpf = cb::translate(insns.value(), verdicts, "filter '" + expr + "'");
        ASSERT_TRUE(ebpf.ok()) << ebpf.error().str();
        // The translation needs none of root's extra verifier rules.
        auto strict = load_filter(ebpf.value(), vm::EngineKind::Interp, true);
        EXPECT_TRUE(strict.ok()) << "strict verifier: " << strict.error().str();
        for (const auto engine : kEngines) {
            auto filter = load_filter(ebpf.value(), engine);
            ASSERT_TRUE(filter.ok()) << engine_name(engine) << ": " << filter.error().str();
            int mismatches = 0;
            for (size_t i = 0; i < frames.size() && mismatches < 5; ++i) {
                std::string fault;
                const uint32_t got = run_vm(filter.value(), frames[i].bytes, &fault);
                const uint32_t want = expected[i] ? verdicts.match : verdicts.no_match;
                if (got != want) {
                    ++mismatches;
                    ADD_FAILURE() << engine_name(engine) << " '" << expr << "' on " << frames[i].origin << " ("
                                  << frames[i].bytes.size() << " bytes): " << got << ", libpcap says " << want
                                  << (fault.empty() ? "" : " fault: " + fault);
                }
            }
        }
    }
}

// The kernel loads the same translated object (its verifier accepts it) and
// BPF_PROG_TEST_RUN gives each frame libpcap's verdict.
TEST_P(CbpfExpression, KernelRunsTheTranslationWithLibpcapsVerdicts) {
    if (!kernel_unavailable_reason().empty())
        GTEST_SKIP() << "kernel oracle unavailable: " << kernel_unavailable_reason();
    const std::string& expr = GetParam();
    auto insns = cb::compile_expression(expr, DLT_EN10MB);
    ASSERT_TRUE(insns.ok()) << insns.error().str();
    const std::string dir = temp_dir();
    for (const auto& verdicts : kVerdictPairs) {
        auto ebpf = cb::translate(insns.value(), verdicts, "filter '" + expr + "'");
        ASSERT_TRUE(ebpf.ok()) << ebpf.error().str();
        auto kobj = kernel_load(ebpf.value(), dir, "filter" + std::to_string(verdicts.match) + ".o");
        ASSERT_TRUE(kobj.ok()) << kobj.error().str();
        int mismatches = 0, runs = 0;
        for (const auto& f : all_frames()) {
            if (!kernel_runs(f.bytes)) continue;
            auto run = kobj.value()->run_xdp("cbpf_filter", f.bytes);
            ASSERT_TRUE(run.ok()) << f.origin << ": " << run.error().str();
            ++runs;
            const uint32_t want = pcap_accepts(insns.value(), f.bytes) ? verdicts.match : verdicts.no_match;
            if (run->action != want && ++mismatches <= 5)
                ADD_FAILURE() << "kernel '" << expr << "' on " << f.origin << ": " << run->action
                              << ", libpcap says " << want;
        }
        EXPECT_GT(runs, 300);
    }
    std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Tcpdump, CbpfExpression, ::testing::ValuesIn(kExpressions),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                             std::string name = std::to_string(info.index) + "_";
                             for (char c : info.param.substr(0, 60))
                                 name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                             return name;
                         });

// ---------------------------------------------------------------------------
// The filter object itself.

TEST(CbpfObject, OpensAsAnXdpProgramUnderItsNameWithGplLicence) {
    auto insns = cb::compile_expression("tcp", DLT_EN10MB);
    ASSERT_TRUE(insns.ok());
    auto ebpf = cb::translate(insns.value(), {}, "filter 'tcp'");
    ASSERT_TRUE(ebpf.ok()) << ebpf.error().str();
    const auto elf = cb::filter_object(ebpf.value(), "my_filter");
    ASSERT_TRUE(elf.ok()) << elf.error().str();
    auto obj = vm::Object::open_memory(elf.value(), "my_filter");
    ASSERT_TRUE(obj.ok()) << obj.error().str();
    EXPECT_EQ(obj.value()->license(), "GPL");
    ASSERT_TRUE(obj.value()->load().ok());
    auto prog = obj.value()->find_program("my_filter");
    ASSERT_TRUE(prog.ok()) << prog.error().str();
    EXPECT_EQ(prog.value()->section, "xdp.frags");
    EXPECT_TRUE(prog.value()->frags);
    EXPECT_EQ(obj.value()->programs().size(), 1u);
}

// The instructions survive the trip through the object (before the loader's
// own rewrites, which the verifier's form shows).
TEST(CbpfObject, HoldsTheTranslatedInstructions) {
    auto insns = cb::compile_expression("udp port 53", DLT_EN10MB);
    ASSERT_TRUE(insns.ok());
    auto ebpf = cb::translate(insns.value(), {}, "f");
    ASSERT_TRUE(ebpf.ok());
    std::vector<std::unique_ptr<vm::Program>> forms;
    vm::ObjectOptions opts;
    opts.verified_forms = &forms;
    const auto elf = cb::filter_object(ebpf.value(), "f");
    ASSERT_TRUE(elf.ok()) << elf.error().str();
    auto obj = vm::Object::open_memory(elf.value(), "f", opts);
    ASSERT_TRUE(obj.ok());
    ASSERT_TRUE(obj.value()->load().ok());
    ASSERT_EQ(forms.size(), 1u);
    const auto& got = forms[0]->xlated;
    ASSERT_EQ(got.size(), ebpf.value().size());
    EXPECT_EQ(std::memcmp(got.data(), ebpf.value().data(), got.size() * sizeof(vm::RawInsn)), 0);
}

// With no file descriptor left, the object cannot be written, and the error
// says why (rather than an empty object).
TEST(CbpfObject, NoFileDescriptorLeftIsAnError) {
    auto ebpf = cb::translate(cb::compile_expression("udp", DLT_EN10MB).value(), {}, "f");
    ASSERT_TRUE(ebpf.ok());
    rlimit saved{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
    rlimit none = saved;
    none.rlim_cur = 0;  // every new descriptor fails with EMFILE
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &none), 0);
    auto elf = cb::filter_object(ebpf.value(), "f");
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
    ASSERT_FALSE(elf.ok());
    EXPECT_EQ(elf.error().str(), std::string("memfd_create: ") + std::strerror(EMFILE));
}

// ---------------------------------------------------------------------------
// -ddd text.

std::string ddd_text(const std::vector<cb::Insn>& insns) {
    std::string s = std::to_string(insns.size()) + "\n";
    for (const auto& in : insns)
        s += std::to_string(in.code) + " " + std::to_string(in.jt) + " " + std::to_string(in.jf) + " " +
             std::to_string(in.k) + "\n";
    return s;
}

bool same_insns(const std::vector<cb::Insn>& a, const std::vector<cb::Insn>& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](const auto& x, const auto& y) {
               return x.code == y.code && x.jt == y.jt && x.jf == y.jf && x.k == y.k;
           });
}

// Without tcpdump on the machine, the -ddd text is written from libpcap's
// compile as tcpdump -ddd writes it (count, then "code jt jf k" lines).
TEST(CbpfDdd, RoundTripsLibpcapsPrograms) {
    for (const auto& expr : kExpressions) {
        auto insns = cb::compile_expression(expr, DLT_EN10MB);
        ASSERT_TRUE(insns.ok()) << expr;
        auto parsed = cb::parse_ddd(ddd_text(insns.value()), "f.ddd");
        ASSERT_TRUE(parsed.ok()) << expr << ": " << parsed.error().str();
        EXPECT_TRUE(same_insns(parsed.value(), insns.value())) << expr;
    }
}

// tcpdump's own -ddd output (scripts/deps.sh installs it) parses to what
// libpcap compiles for the same link type and snap length (sample.pcap's
// 65535, which tcpdump puts in its RET values).
TEST(CbpfDdd, TakesTcpdumpsOutput) {
    std::string tcpdump;
    for (const char* path : {"/usr/bin/tcpdump", "/usr/sbin/tcpdump"})
        if (std::filesystem::exists(path)) tcpdump = path;
    if (tcpdump.empty()) GTEST_SKIP() << "tcpdump is not installed (scripts/deps.sh installs it)";
    for (const auto& expr : kExpressions) {
        auto out = run_command({tcpdump, "-r", source_path("pcaps/sample.pcap"), "-ddd", expr});
        ASSERT_EQ(out.exit_code, 0) << expr << ": " << out.err;
        auto parsed = cb::parse_ddd(out.out, "tcpdump -ddd");
        ASSERT_TRUE(parsed.ok()) << expr << ": " << parsed.error().str();
        auto insns = cb::compile_expression(expr, DLT_EN10MB, 65535);
        ASSERT_TRUE(insns.ok());
        EXPECT_TRUE(same_insns(parsed.value(), insns.value())) << expr << ":\n" << out.out;
    }
}

TEST(CbpfDdd, AcceptsBlankLinesAndSpacing) {
    auto p = cb::parse_ddd("\n\n2\r\n 6 0 0 65535 \n6\t0\t0\t0\n\n", "f");
    ASSERT_TRUE(p.ok()) << p.error().str();
    ASSERT_EQ(p.value().size(), 2u);
    EXPECT_EQ(p.value()[0].k, 65535u);
    EXPECT_EQ(p.value()[1].code, 6);
}

TEST(CbpfDdd, BadTextIsRefusedWithTheLine) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"", "f.ddd: empty: expected the instruction count"},
        {"x\n6 0 0 0\n", "f.ddd: line 1: expected the instruction count"},
        {"0\n", "f.ddd: instruction count 0 is not in 1..4096"},
        {"5000\n", "f.ddd: instruction count 5000 is not in 1..4096"},
        {"1 2\n6 0 0 0\n", "f.ddd: line 1: junk after the instruction count"},
        {"2\n6 0 0 0\n", "f.ddd: ends after 1 of 2 instructions"},
        {"2\n6 0 0 0\n6 0 0\n", "f.ddd: line 3 (instruction 1): expected \"code jt jf k\""},
        {"1\n6 0 256 0\n", "f.ddd: line 2 (instruction 0): expected \"code jt jf k\""},
        {"1\n6 0 0 4294967296\n", "f.ddd: line 2 (instruction 0): expected \"code jt jf k\""},
        {"1\n6 0 0 -1\n", "f.ddd: line 2 (instruction 0): expected \"code jt jf k\""},
        {"1\n6 0 0 0 7\n", "f.ddd: line 2 (instruction 0): junk after \"code jt jf k\""},
        {"1\n6 0 0 0\n6 0 0 0\n", "f.ddd: line 3: junk after the 1 instructions"},
    };
    for (const auto& [text, want] : cases) {
        auto p = cb::parse_ddd(text, "f.ddd");
        ASSERT_FALSE(p.ok()) << text;
        EXPECT_EQ(p.error().str().substr(0, want.size()), want) << "for:\n" << text;
    }
}

// Damaged -ddd text (bytes changed, cut short, lines doubled) parses or is
// refused with a reason; what parses writes back out to the same program.
TEST(CbpfDdd, DamagedTextNeverCrashes) {
    std::mt19937 rng(1616);
    std::vector<std::string> texts;
    for (const auto& expr : kExpressions) texts.push_back(ddd_text(cb::compile_expression(expr, DLT_EN10MB).value()));
    int parsed = 0, refused = 0;
    for (int n = 0; n < 2000; ++n) {
        std::string text = texts[rng() % texts.size()];
        switch (rng() % 4) {
        case 0: text[rng() % text.size()] = static_cast<char>(rng()); break;
        case 1: text.resize(rng() % text.size()); break;
        case 2: text.insert(rng() % text.size(), std::string(1 + rng() % 3, " \n,-9x"[rng() % 7])); break;
        default: text += text.substr(text.find('\n') + 1); break;
        }
        auto r = cb::parse_ddd(text, "damaged");
        if (r.ok()) {
            ++parsed;
            auto again = cb::parse_ddd(ddd_text(r.value()), "again");
            ASSERT_TRUE(again.ok());
            EXPECT_TRUE(same_insns(again.value(), r.value())) << text;
        } else {
            ++refused;
            EXPECT_EQ(r.error().subject, "damaged");
            EXPECT_FALSE(r.error().reason.empty());
        }
    }
    EXPECT_GT(parsed, 0);
    EXPECT_GT(refused, 0);
}

// ---------------------------------------------------------------------------
// Bad expressions and bad cBPF.

TEST(CbpfErrors, BadExpressionCarriesLibpcapsMessage) {
    for (const char* expr : {"tcp port", "host 999.1.1.1", "portrange 5-", "ether host zz", "ip broadcast",
                             "vlan and and"}) {
        auto r = cb::compile_expression(expr, DLT_EN10MB);
        ASSERT_FALSE(r.ok()) << expr;
        // libpcap's own message for the same compile.
        pcap_t* p = pcap_open_dead(DLT_EN10MB, 262144);
        bpf_program prog{};
        ASSERT_NE(pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN), 0) << expr;
        const std::string message = pcap_geterr(p);
        pcap_close(p);
        EXPECT_FALSE(message.empty());
        EXPECT_EQ(r.error().str(), "filter '" + std::string(expr) + "': " + message);
    }
}

// A newline (or another control character) in the expression is escaped in
// the error's subject, so the error stays one line.
TEST(CbpfErrors, ControlCharactersInTheExpressionAreEscaped) {
    auto r = cb::compile_expression("tcp\nprt 80", DLT_EN10MB);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().subject, "filter 'tcp\\nprt 80'");
    EXPECT_EQ(r.error().str().find('\n'), std::string::npos) << r.error().str();
    auto tab = cb::compile_expression("tcp\tand\x01", DLT_EN10MB);
    ASSERT_FALSE(tab.ok());
    EXPECT_EQ(tab.error().subject, "filter 'tcp\\tand\\x01'");
}

// libpcap compiles protochain to a loop over the IPv6 extension headers,
// closed by a backward ja (k read as negative); the translation refuses it
// as a backward jump, naming the instruction, rather than as one past the end.
TEST(CbpfErrors, ProtochainsBackwardJaIsRefusedAsBackward) {
    for (const char* expr : {"ip6 protochain 6", "ip protochain 17"}) {
        auto insns = cb::compile_expression(expr, DLT_EN10MB);
        ASSERT_TRUE(insns.ok()) << insns.error().str();
        const auto& code = insns.value();
        const auto back = std::find_if(code.begin(), code.end(), [](const cb::Insn& in) {
            return in.code == (cb::classic::JMP | cb::classic::JA) && in.k >= 0x80000000u;
        });
        ASSERT_NE(back, code.end()) << expr << ": libpcap wrote no backward ja";
        auto r = cb::translate(code, {}, std::string("filter '") + expr + "'");
        ASSERT_FALSE(r.ok()) << expr;
        EXPECT_EQ(r.error().insn, back - code.begin()) << r.error().str();
        EXPECT_EQ(r.error().reason, "ja -" + std::to_string((1ull << 32) - back->k) +
                                        " jumps backward: classic BPF jumps only forward (libpcap's protochain "
                                        "loops; Linux refuses them too)");
    }
}

TEST(CbpfErrors, LinkTypeMatters) {
    // On raw IP there is no Ethernet header: "ether" qualifiers are refused,
    // and "ip" compiles to a different program.
    EXPECT_FALSE(cb::compile_expression("ether broadcast", DLT_RAW).ok());
    auto raw = cb::compile_expression("tcp", DLT_RAW);
    auto eth = cb::compile_expression("tcp", DLT_EN10MB);
    ASSERT_TRUE(raw.ok() && eth.ok());
    EXPECT_FALSE(same_insns(raw.value(), eth.value()));
}

using cb::Insn;
namespace c = cb::classic;

struct BadProgram {
    const char* what;
    std::vector<Insn> insns;
    int64_t insn;            // the cBPF instruction named, -1 for none
    const char* reason;      // the start of the reason
};

const std::vector<BadProgram> kBadPrograms = {
    {"empty", {}, -1, "length 0 is not in 1..4096"},
    {"no ret at the end", {{c::LD | c::IMM, 0, 0, 1}}, 0, "the last instruction is not a ret"},
    {"jump past the end", {{c::JMP | c::JEQ | c::K, 0, 1, 5}, {c::RET | c::K, 0, 0, 0}}, 0,
     "jeq jt 0 jf 1 jumps past the end"},
    {"ja past the end", {{c::LD | c::IMM, 0, 0, 1}, {c::JMP | c::JA, 0, 0, 1}, {c::RET | c::K, 0, 0, 0}}, 1,
     "ja +1 jumps past the end"},
    {"M[16]", {{c::ST, 0, 0, 16}, {c::RET | c::K, 0, 0, 0}}, 0, "st M[16]: scratch memory has 16 words"},
    {"ldx M[20]", {{c::LDX | c::MEM, 0, 0, 20}, {c::RET | c::K, 0, 0, 0}}, 0, "ldx M[20]"},
    {"division by constant 0", {{c::LD | c::IMM, 0, 0, 1}, {c::ALU | c::DIV | c::K, 0, 0, 0}, {c::RET | c::A, 0, 0, 0}},
     1, "div by the constant 0"},
    {"modulo by constant 0", {{c::ALU | c::MOD | c::K, 0, 0, 0}, {c::RET | c::A, 0, 0, 0}}, 0,
     "mod by the constant 0"},
    {"shift by 32", {{c::ALU | c::LSH | c::K, 0, 0, 32}, {c::RET | c::A, 0, 0, 0}}, 0, "lsh by 32 (at most 31)"},
    {"unknown opcode", {{c::LD | c::IMM, 0, 0, 1}, {0x0e, 0, 0, 0}, {c::RET | c::A, 0, 0, 0}}, 1,
     "unknown opcode 0xe"},
    {"ret X (not Linux's)", {{c::RET | c::X, 0, 0, 0}}, 0, "unknown opcode 0xe"},
    {"opcode above 0xff", {{0x100 | c::RET | c::K, 0, 0, 1}}, 0, "unknown opcode 0x106"},
    {"M[] read before written",
     {{c::LD | c::IMM, 0, 0, 1}, {c::JMP | c::JEQ | c::K, 0, 1, 1}, {c::ST, 0, 0, 3}, {c::LD | c::MEM, 0, 0, 3},
      {c::RET | c::A, 0, 0, 0}},
     3, "ld M[3] reads a word not written on every path here"},
    // Dead code after a ret: Linux's check_load_and_stores carries what was
    // written before the ret into it, so the read is refused there too.
    {"M[] read after a ret, written nowhere",
     {{c::RET | c::K, 0, 0, 0}, {c::LD | c::MEM, 0, 0, 0}, {c::RET | c::A, 0, 0, 0}},
     1, "ld M[0] reads a word not written on every path here"},
    {"ancillary protocol", {{c::LD | c::H | c::ABS, 0, 0, c::kAdOff + 0}, {c::RET | c::A, 0, 0, 0}}, 0,
     "SKF_AD_PROTOCOL: skb->protocol has no XDP counterpart"},
    {"ancillary vlan tag present", {{c::LD | c::B | c::ABS, 0, 0, c::kAdOff + 48}, {c::RET | c::A, 0, 0, 0}}, 0,
     "SKF_AD_VLAN_TAG_PRESENT: an offloaded VLAN tag is not visible to XDP"},
    {"unknown ancillary", {{c::LD | c::W | c::ABS, 0, 0, c::kAdOff + 400}, {c::RET | c::A, 0, 0, 0}}, 0,
     "unknown ancillary load SKF_AD_OFF+400"},
    {"network-header offset", {{c::LD | c::B | c::ABS, 0, 0, c::kNetOff + 9}, {c::RET | c::A, 0, 0, 0}}, 0,
     "SKF_NET_OFF+9: Linux's header-relative loads are not supported at XDP"},
    {"indexed network-header offset",
     {{c::LDX | c::IMM, 0, 0, 0}, {c::LD | c::B | c::IND, 0, 0, c::kNetOff + 9}, {c::RET | c::A, 0, 0, 0}}, 1,
     "ldb [x + SKF_NET_OFF+9]: Linux's header-relative loads are not supported at XDP"},
    {"indexed ancillary offset", {{c::LD | c::W | c::IND, 0, 0, c::kAdOff + 4}, {c::RET | c::A, 0, 0, 0}}, 0,
     "ld [x + SKF_AD_OFF+4]: Linux's header-relative loads are not supported at XDP"},
    {"msh at a link-layer offset", {{c::LDX | c::B | c::MSH, 0, 0, c::kLlOff + 14}, {c::RET | c::K, 0, 0, 1}}, 0,
     "ldxb 4*([SKF_LL_OFF+14]&0xf): Linux's header-relative loads are not supported at XDP"},
};

// The opcode table: cBPF opcodes are 8 bits (no code above 0xff has a row),
// and each ALU operation and jump test becomes the eBPF one of the same
// operation bits in 32-bit form (cBPF's ALU and JMP encodings are eBPF's
// ALU and JMP32 ones), a jump's inverse being the negated test.
TEST(CbpfTable, ClassicOpsAreEightBitsAndMapToTheirEbpfForms) {
    int rows = 0;
    for (uint32_t code = 0; code < 0x10000; ++code) {
        const auto op = cb::classic_op(static_cast<uint16_t>(code));
        if (!op) continue;
        ++rows;
        EXPECT_LE(code, 0xffu);
        EXPECT_EQ(op->code, code);
        const uint16_t cls = c::class_of(op->code);
        if (cls == c::ALU) {
            ASSERT_NE(op->ebpf, vm::Op::Count) << op->mnemonic;
            EXPECT_EQ(vm::op_info(op->ebpf).code, op->code) << op->mnemonic;  // same byte, ALU = eBPF's 32-bit ALU
        } else if (cls == c::JMP && c::op_of(op->code) != c::JA) {
            ASSERT_NE(op->ebpf, vm::Op::Count) << op->mnemonic;
            EXPECT_EQ(vm::op_info(op->ebpf).code, (op->code & ~0x07) | vm::bpf::JMP32) << op->mnemonic;
            if (op->inverse != vm::Op::Count) {
                const auto kind = vm::op_info(op->inverse).kind;
                EXPECT_EQ(kind, vm::op_info(op->ebpf).kind) << op->mnemonic;
                EXPECT_FALSE(vm::op_info(op->inverse).is64) << op->mnemonic;
            }
        } else {
            EXPECT_EQ(op->inverse, vm::Op::Count) << op->mnemonic;
        }
    }
    EXPECT_EQ(rows, 49);  // as many as bpf_check_classic's codes[] holds
}

TEST(CbpfErrors, BadProgramsAreRefusedWithTheInstruction) {
    for (const auto& bad : kBadPrograms) {
        auto r = cb::translate(bad.insns, {}, "cbpf 'bad'");
        ASSERT_FALSE(r.ok()) << bad.what;
        EXPECT_EQ(r.error().subject, "cbpf 'bad'") << bad.what;
        EXPECT_EQ(r.error().insn, bad.insn) << bad.what << ": " << r.error().str();
        EXPECT_EQ(r.error().reason.rfind(bad.reason, 0), 0u) << bad.what << ": " << r.error().str();
    }
}

TEST(CbpfErrors, AFilterOfMaximumLengthIsTakenAndOneMoreIsNot) {
    std::vector<Insn> insns(c::kMaxInsns, Insn{c::LD | c::IMM, 0, 0, 7});
    insns.back() = {c::RET | c::A, 0, 0, 0};
    auto ok = cb::translate(insns, {}, "f");
    ASSERT_TRUE(ok.ok()) << ok.error().str();
    auto f = load_filter(ok.value(), vm::EngineKind::Jit);
    ASSERT_TRUE(f.ok()) << f.error().str();
    EXPECT_EQ(run_vm(f.value(), all_frames()[0].bytes), kPass);
    insns.insert(insns.begin(), Insn{c::LD | c::IMM, 0, 0, 7});
    auto too_long = cb::translate(insns, {}, "f");
    ASSERT_FALSE(too_long.ok());
    EXPECT_EQ(too_long.error().reason, "length 4097 is not in 1..4096");
}

// ---------------------------------------------------------------------------
// Programs libpcap does not write: every instruction class and the corners
// where the translation has to work (loads at the frame's end, indexed loads
// with large X, division by X == 0, shifts by X >= 32, unreachable code).

struct HandProgram {
    const char* what;
    std::vector<Insn> insns;
};

const std::vector<HandProgram> kHandPrograms = {
    {"ld at the last byte", {{c::LD | c::LEN, 0, 0, 0}, {c::ALU | c::SUB | c::K, 0, 0, 1}, {c::MISC | c::TAX, 0, 0, 0},
                             {c::LD | c::B | c::IND, 0, 0, 0}, {c::RET | c::A, 0, 0, 0}}},
    {"ld word ending at the frame's end",
     {{c::LDX | c::LEN, 0, 0, 0}, {c::MISC | c::TXA, 0, 0, 0}, {c::ALU | c::SUB | c::K, 0, 0, 4},
      {c::MISC | c::TAX, 0, 0, 0}, {c::LD | c::W | c::IND, 0, 0, 0}, {c::JMP | c::JEQ | c::K, 1, 0, 0},
      {c::RET | c::K, 0, 0, 1}, {c::RET | c::K, 0, 0, 0}}},
    {"ld word one past the end",
     {{c::LD | c::LEN, 0, 0, 0}, {c::ALU | c::SUB | c::K, 0, 0, 3}, {c::MISC | c::TAX, 0, 0, 0},
      {c::LD | c::W | c::IND, 0, 0, 0}, {c::RET | c::K, 0, 0, 1}}},
    {"X + k beyond 16 bits", {{c::LDX | c::IMM, 0, 0, 0xffff0000u}, {c::LD | c::B | c::IND, 0, 0, 0x10020}, {c::RET | c::K, 0, 0, 1}}},
    {"X large, k small", {{c::LDX | c::IMM, 0, 0, 0xfffffff0u}, {c::LD | c::H | c::IND, 0, 0, 0x20}, {c::RET | c::K, 0, 0, 1}}},
    {"abs beyond any frame, then dead code",
     {{c::LD | c::W | c::ABS, 0, 0, 0x20000}, {c::RET | c::K, 0, 0, 1}}},
    {"abs at 0xfffc", {{c::LD | c::W | c::ABS, 0, 0, 0xfffc}, {c::RET | c::K, 0, 0, 1}}},
    {"abs at 0x8000", {{c::LD | c::H | c::ABS, 0, 0, 0x8000}, {c::RET | c::K, 0, 0, 1}}},
    {"msh then ind: IPv4 header length", {{c::LDX | c::B | c::MSH, 0, 0, 14}, {c::LD | c::H | c::IND, 0, 0, 16},
                                           {c::JMP | c::JGT | c::K, 0, 1, 1000}, {c::RET | c::K, 0, 0, 9},
                                           {c::RET | c::K, 0, 0, 0}}},
    {"div by X == 0", {{c::LD | c::IMM, 0, 0, 10}, {c::ALU | c::DIV | c::X, 0, 0, 0}, {c::RET | c::K, 0, 0, 1}}},
    {"mod by X from the packet", {{c::LD | c::B | c::ABS, 0, 0, 23}, {c::MISC | c::TAX, 0, 0, 0},
                                   {c::LD | c::H | c::ABS, 0, 0, 12},
                                   {c::ALU | c::MOD | c::X, 0, 0, 0}, {c::RET | c::A, 0, 0, 0}}},
    {"lsh by X >= 32", {{c::LD | c::IMM, 0, 0, 1}, {c::LDX | c::IMM, 0, 0, 40}, {c::ALU | c::LSH | c::X, 0, 0, 0},
                        {c::RET | c::A, 0, 0, 0}}},
    {"rsh by X from the packet", {{c::LD | c::B | c::ABS, 0, 0, 23}, {c::MISC | c::TAX, 0, 0, 0},
                                   {c::LD | c::IMM, 0, 0, 0x80000000u},
                                   {c::ALU | c::RSH | c::X, 0, 0, 0}, {c::RET | c::A, 0, 0, 0}}},
    {"neg, xor, or, and, mul, sub, add",
     {{c::LD | c::H | c::ABS, 0, 0, 12}, {c::ALU | c::NEG, 0, 0, 0}, {c::ALU | c::XOR | c::K, 0, 0, 0x5a5a},
      {c::ALU | c::OR | c::K, 0, 0, 3}, {c::ALU | c::AND | c::K, 0, 0, 0xfff0fff}, {c::ALU | c::MUL | c::K, 0, 0, 7},
      {c::ALU | c::SUB | c::K, 0, 0, 0x10000}, {c::ALU | c::ADD | c::K, 0, 0, 0x80000000u},
      {c::JMP | c::JGE | c::K, 0, 1, 0x80000000u}, {c::RET | c::K, 0, 0, 1}, {c::RET | c::K, 0, 0, 0}}},
    {"jumps with X and k >= 2^31",
     {{c::LD | c::W | c::ABS, 0, 0, 30}, {c::MISC | c::TAX, 0, 0, 0}, {c::LD | c::W | c::ABS, 0, 0, 26},
      {c::JMP | c::JGT | c::X, 2, 0, 0},
      {c::JMP | c::JSET | c::X, 0, 2, 0}, {c::JMP | c::JGE | c::K, 0, 1, 0xc0000000u}, {c::RET | c::K, 0, 0, 1},
      {c::RET | c::K, 0, 0, 0}}},
    {"ALU and jumps with X",
     {{c::LD | c::B | c::ABS, 0, 0, 15}, {c::MISC | c::TAX, 0, 0, 0}, {c::LD | c::H | c::ABS, 0, 0, 12},
      {c::ALU | c::MUL | c::X, 0, 0, 0}, {c::ALU | c::OR | c::X, 0, 0, 0}, {c::ALU | c::XOR | c::X, 0, 0, 0},
      {c::ALU | c::AND | c::X, 0, 0, 0}, {c::JMP | c::JEQ | c::X, 3, 0, 0}, {c::ALU | c::SUB | c::X, 0, 0, 0},
      {c::JMP | c::JGE | c::X, 0, 1, 0}, {c::RET | c::K, 0, 0, 1}, {c::RET | c::K, 0, 0, 0}}},
    {"scratch memory round trip",
     {{c::LD | c::B | c::ABS, 0, 0, 14}, {c::ST, 0, 0, 15}, {c::LDX | c::IMM, 0, 0, 3}, {c::STX, 0, 0, 0},
      {c::LD | c::MEM, 0, 0, 0}, {c::ALU | c::ADD | c::X, 0, 0, 0}, {c::LDX | c::MEM, 0, 0, 15},
      {c::ALU | c::ADD | c::X, 0, 0, 0}, {c::JMP | c::JEQ | c::K, 0, 1, 0x4b}, {c::RET | c::K, 0, 0, 1},
      {c::RET | c::K, 0, 0, 0}}},
    {"code after ret reached only by a jump",
     {{c::LD | c::B | c::ABS, 0, 0, 0}, {c::JMP | c::JA, 0, 0, 2}, {c::RET | c::K, 0, 0, 0}, {c::RET | c::K, 0, 0, 0},
      {c::JMP | c::JSET | c::K, 0, 1, 1}, {c::RET | c::K, 0, 0, 77}, {c::RET | c::A, 0, 0, 0}}},
    {"jt == jf", {{c::LD | c::B | c::ABS, 0, 0, 0}, {c::JMP | c::JEQ | c::K, 1, 1, 2}, {c::RET | c::K, 0, 0, 0},
                  {c::RET | c::K, 0, 0, 5}}},
    {"ret A of a length", {{c::LD | c::LEN, 0, 0, 0}, {c::ALU | c::SUB | c::K, 0, 0, 60}, {c::RET | c::A, 0, 0, 0}}},
};

TEST(CbpfHandWritten, EveryClassAgreesWithLibpcapInBothEnginesAndTheKernel) {
    const bool kernel = kernel_unavailable_reason().empty();
    const std::string dir = temp_dir();
    std::set<uint16_t> codes_seen;
    for (const auto& hp : kHandPrograms) {
        for (const auto& in : hp.insns) codes_seen.insert(in.code);
        auto ebpf = cb::translate(hp.insns, {kTx, kDrop}, "f");
        ASSERT_TRUE(ebpf.ok()) << hp.what << ": " << ebpf.error().str();
        std::vector<LoadedFilter> filters;
        for (const auto engine : kEngines) {
            auto f = load_filter(ebpf.value(), engine);
            ASSERT_TRUE(f.ok()) << hp.what << " " << engine_name(engine) << ": " << f.error().str();
            filters.push_back(std::move(f.value()));
        }
        std::unique_ptr<KernelObject> kobj;
        if (kernel) {
            auto k = kernel_load(ebpf.value(), dir, "hand.o");
            ASSERT_TRUE(k.ok()) << hp.what << ": " << k.error().str();
            kobj = std::move(k.value());
        }
        for (const auto& f : all_frames()) {
            const bool accept = pcap_accepts(hp.insns, f.bytes);
            const uint32_t want = accept ? kTx : kDrop;
            for (size_t e = 0; e < filters.size(); ++e)
                ASSERT_EQ(run_vm(filters[e], f.bytes), want) << hp.what << " " << engine_name(kEngines[e]) << " on "
                                                             << f.origin;
            if (kobj && kernel_runs(f.bytes)) {
                auto run = kobj->run_xdp("cbpf_filter", f.bytes);
                ASSERT_TRUE(run.ok()) << run.error().str();
                ASSERT_EQ(run->action, want) << hp.what << " kernel on " << f.origin;
            }
        }
    }
    // Every opcode Linux allows appears in some hand-written program or
    // libpcap's output for the expressions above.
    for (const auto& expr : kExpressions) {
        auto insns = cb::compile_expression(expr, DLT_EN10MB);
        ASSERT_TRUE(insns.ok());
        for (const auto& in : insns.value()) codes_seen.insert(in.code);
    }
    for (uint32_t code = 0; code < 0x10000; ++code)
        if (const auto op = cb::classic_op(static_cast<uint16_t>(code))) {
            EXPECT_TRUE(codes_seen.contains(op->code)) << "opcode " << code << " (" << op->mnemonic
                                                       << ") is not exercised";
        }
    std::filesystem::remove_all(dir);
}

// ---------------------------------------------------------------------------
// Frames longer than the first buffer. The object is xdp.frags, so `xdpdk
// replay` and the dataplane give it multi-buffer frames whole; a load past
// the first buffer reads the frags through bpf_xdp_load_bytes and `len`
// counts them, as libpcap reads the whole frame. A 40000-byte linear frame
// takes loads at k > 32767 and indexed loads with a large X directly.

// An IPv4/TCP frame of `len` bytes, the payload a pattern, with 0x42 at the
// offsets the expressions look for when `marked`.
Bytes big_frame(size_t len, bool marked) {
    Bytes b = build_packet(spec_with([](PacketSpec& s) { s.l4 = 6; }));
    b.resize(len);
    for (size_t i = 64; i < len; ++i) b[i] = static_cast<uint8_t>(i * 7 + (i >> 8) * 13 + 1) | 0x01;
    if (marked)
        for (size_t at : {size_t{6000}, size_t{7000}, size_t{7001}, size_t{34500}, size_t{39000}})
            if (at < len) b[at] = 0x42;
    return b;
}

struct BigCase {
    std::string what;
    std::vector<Insn> insns;
};

std::vector<BigCase> big_cases() {
    std::vector<BigCase> cases;
    for (const char* expr : {"ether[6000] = 0x42", "greater 5000", "len > 8999", "less 3600", "ether[3518:4] & 1 = 1",
                             "ether[3519:2] & 0x0101 = 0x0101", "ether[7000:2] = 0x4242", "ether[39000] = 0x42",
                             "ether[ip[0] * 500] = 0x42", "tcp and ether[6000] = 0x42 and len >= 9000"}) {
        auto insns = cb::compile_expression(expr, DLT_EN10MB);
        EXPECT_TRUE(insns.ok()) << insns.error().str();
        if (insns.ok()) cases.push_back({expr, insns.value()});
    }
    // X from byte 6000 (past the first buffer) while A is kept: 8 - 4 *
    // (P[6000] & 0xf) is 0 exactly for the mark 0x42.
    cases.push_back({"ldxb msh past the first buffer keeps A",
                     {{c::LD | c::IMM, 0, 0, 8}, {c::LDX | c::B | c::MSH, 0, 0, 6000}, {c::ALU | c::SUB | c::X, 0, 0, 0},
                      {c::RET | c::A, 0, 0, 0}}});
    // An indexed word straddling the first buffer's end, X large.
    cases.push_back({"ld [x + 18] with X = 3500", {{c::LDX | c::IMM, 0, 0, 3500}, {c::LD | c::W | c::IND, 0, 0, 18},
                                                   {c::JMP | c::JSET | c::K, 0, 1, 1}, {c::RET | c::K, 0, 0, 1},
                                                   {c::RET | c::K, 0, 0, 0}}});
    return cases;
}

TEST(CbpfBigFrames, MultiBufferAndLongLinearFramesGiveLibpcapsVerdicts) {
    std::vector<Bytes> frames;
    for (size_t len : {size_t{1500}, size_t{3520}, size_t{3521}, size_t{5000}, size_t{9000}, size_t{16000},
                       size_t{40000}})
        for (bool marked : {false, true}) frames.push_back(big_frame(len, marked));
    const bool kernel = kernel_unavailable_reason().empty();
    const std::string dir = temp_dir();
    int kernel_runs_done = 0;
    for (const BigCase& bc : big_cases()) {
        auto ebpf = cb::translate(bc.insns, {kPass, kDrop}, bc.what);
        ASSERT_TRUE(ebpf.ok()) << ebpf.error().str();
        std::unique_ptr<KernelObject> kobj;
        if (kernel) {
            auto k = kernel_load(ebpf.value(), dir, "big.o");
            ASSERT_TRUE(k.ok()) << bc.what << ": " << k.error().str();
            kobj = std::move(k.value());
        }
        std::set<bool> outcomes;
        for (const Bytes& frame : frames) {
            const bool accept = pcap_accepts(bc.insns, frame);
            outcomes.insert(accept);
            const uint32_t want = accept ? kPass : kDrop;
            const std::string when = bc.what + " on " + std::to_string(frame.size()) + " bytes";
            for (const auto engine : kEngines) {
                auto f = load_filter(ebpf.value(), engine);
                ASSERT_TRUE(f.ok()) << f.error().str();
                // The layout replay and the dataplane give an xdp.frags program.
                ASSERT_TRUE(f.value().prog->frags);
                EXPECT_EQ(run_vm(f.value(), frame, vm::FrameLayout::MultiBuffer), want)
                    << when << " multi-buffer " << engine_name(engine);
                EXPECT_EQ(run_vm(f.value(), frame, vm::FrameLayout::Linear), want)
                    << when << " linear " << engine_name(engine);
                // Laid out for a program that is not xdp.frags, the frame is
                // its first buffer, and the filter's verdict is libpcap's on
                // those bytes.
                const size_t first = std::min<size_t>(frame.size(), vm::kXdpMaxLinear);
                const uint32_t want_first =
                    pcap_accepts(bc.insns, std::span<const uint8_t>(frame).first(first)) ? kPass : kDrop;
                EXPECT_EQ(run_vm(f.value(), frame, vm::FrameLayout::FirstBuffer), want_first)
                    << when << " first buffer " << engine_name(engine);
            }
            if (kobj) {
                // BPF_PROG_TEST_RUN splits what is past 3520 bytes into frags.
                auto run = kobj->run_xdp("cbpf_filter", frame);
                ASSERT_TRUE(run.ok()) << when << ": " << run.error().str();
                EXPECT_EQ(run->action, want) << when << " kernel";
                ++kernel_runs_done;
            }
        }
        EXPECT_EQ(outcomes.size(), 2u) << bc.what << ": libpcap gives every frame the same verdict";
    }
    if (kernel) {
        EXPECT_GT(kernel_runs_done, 100);
    }
    std::filesystem::remove_all(dir);
}

// A record cut short by the capture's snap length (caplen < len): the XDP
// frame holds the captured bytes only, so `len` answers the captured length
// where libpcap's answers the length on the wire; every other expression
// (the loads are bounded by caplen in libpcap too) gives libpcap's verdict.
TEST(CbpfTruncatedRecord, LenIsTheCapturedLengthAndTheRestAgrees) {
    const Bytes wire = build_packet(spec_with([](PacketSpec& s) { s.l4 = 6, s.dport = 80, s.frame_len = 1500; }));
    const Bytes captured(wire.begin(), wire.begin() + 96);
    auto pcap_verdict = [&](const std::vector<Insn>& insns, uint32_t wirelen) {
        std::vector<bpf_insn> code;
        for (const auto& in : insns) code.push_back({in.code, in.jt, in.jf, in.k});
        bpf_program prog{static_cast<u_int>(code.size()), code.data()};
        pcap_pkthdr hdr{};
        hdr.caplen = static_cast<bpf_u_int32>(captured.size());
        hdr.len = wirelen;
        return pcap_offline_filter(&prog, &hdr, captured.data()) != 0;
    };
    for (const auto engine : kEngines) {
        for (const char* expr : {"greater 1000", "len > 96", "less 100", "tcp port 80", "ether[95] = 0", "ether[96] = 0",
                                 "tcp[13] & 2 = 0"}) {
            auto insns = cb::compile_expression(expr, DLT_EN10MB);
            ASSERT_TRUE(insns.ok());
            auto ebpf = cb::translate(insns.value(), {}, expr);
            ASSERT_TRUE(ebpf.ok()) << ebpf.error().str();
            auto f = load_filter(ebpf.value(), engine);
            ASSERT_TRUE(f.ok()) << f.error().str();
            const bool on_wire = pcap_verdict(insns.value(), static_cast<uint32_t>(wire.size()));
            const bool as_captured = pcap_verdict(insns.value(), static_cast<uint32_t>(captured.size()));
            const bool uses_len = std::string(expr).find("len") != std::string::npos ||
                                  std::string(expr).starts_with("greater") || std::string(expr).starts_with("less");
            // The length expressions are where the two libpcap answers differ.
            EXPECT_EQ(on_wire != as_captured, uses_len) << expr;
            EXPECT_EQ(run_vm(f.value(), captured), as_captured ? kPass : kDrop) << expr << " " << engine_name(engine);
        }
    }
}

// A ja over more eBPF than a 16-bit offset reaches becomes gotol, and the
// filter still gives libpcap's verdicts in both engines and the kernel.
TEST(CbpfLongJump, JaOverThousandsOfLoadsBecomesGotol) {
    constexpr uint32_t kLoads = 3000;
    std::vector<Insn> insns = {{c::LD | c::B | c::ABS, 0, 0, 12}, {c::JMP | c::JEQ | c::K, 1, 0, 0x08},
                               {c::JMP | c::JA, 0, 0, kLoads}};
    for (uint32_t i = 0; i < kLoads; ++i) insns.push_back({c::LD | c::B | c::IND, 0, 0, 14});
    insns.push_back({c::JMP | c::JEQ | c::K, 0, 1, 0x45});
    insns.push_back({c::RET | c::K, 0, 0, 1});
    insns.push_back({c::RET | c::K, 0, 0, 0});
    auto ebpf = cb::translate(insns, {}, "long");
    ASSERT_TRUE(ebpf.ok()) << ebpf.error().str();
    ASSERT_GT(ebpf.value().size(), size_t{INT16_MAX});
    EXPECT_TRUE(std::any_of(ebpf.value().begin(), ebpf.value().end(),
                            [](const vm::RawInsn& in) { return in.code == (vm::bpf::JMP32 | 0x00); }));
    std::unique_ptr<KernelObject> kobj;
    const std::string dir = temp_dir();
    if (kernel_unavailable_reason().empty()) {
        auto k = kernel_load(ebpf.value(), dir, "long.o");
        ASSERT_TRUE(k.ok()) << k.error().str();
        kobj = std::move(k.value());
    }
    for (const auto engine : kEngines) {
        auto f = load_filter(ebpf.value(), engine);
        ASSERT_TRUE(f.ok()) << f.error().str();
        std::set<bool> outcomes;
        for (const auto& frame : all_frames()) {
            const bool accept = pcap_accepts(insns, frame.bytes);
            outcomes.insert(accept);
            ASSERT_EQ(run_vm(f.value(), frame.bytes), accept ? kPass : kDrop) << engine_name(engine) << " "
                                                                             << frame.origin;
            if (kobj && engine == vm::EngineKind::Jit && kernel_runs(frame.bytes)) {
                auto run = kobj->run_xdp("cbpf_filter", frame.bytes);
                ASSERT_TRUE(run.ok()) << run.error().str();
                ASSERT_EQ(run->action, accept ? kPass : kDrop) << "kernel " << frame.origin;
            }
        }
        EXPECT_EQ(outcomes.size(), 2u);
    }
    std::filesystem::remove_all(dir);
}

// The ancillary loads that have an XDP meaning read xdp_md or a helper.
TEST(CbpfAncillary, IfindexQueueAndXorRead) {
    const std::vector<Insn> ifindex = {{c::LD | c::W | c::ABS, 0, 0, c::kAdOff + cb::skf::IFINDEX},
                                       {c::JMP | c::JEQ | c::K, 0, 1, 7}, {c::RET | c::K, 0, 0, 1},
                                       {c::RET | c::K, 0, 0, 0}};
    // SKF_AD_QUEUE is Linux's skb->queue_mapping: the rx queue + 1.
    auto queue_is = [](uint32_t mapping) {
        return std::vector<Insn>{{c::LD | c::W | c::ABS, 0, 0, c::kAdOff + cb::skf::QUEUE},
                                 {c::JMP | c::JEQ | c::K, 0, 1, mapping}, {c::RET | c::K, 0, 0, 1},
                                 {c::RET | c::K, 0, 0, 0}};
    };
    const std::vector<Insn> queue = queue_is(3), queue_one = queue_is(1), queue_zero = queue_is(0);
    const std::vector<Insn> xor_x = {{c::LD | c::IMM, 0, 0, 0xf0}, {c::LDX | c::IMM, 0, 0, 0xff},
                                     {c::LD | c::B | c::ABS, 0, 0, c::kAdOff + cb::skf::ALU_XOR_X},
                                     {c::JMP | c::JEQ | c::K, 0, 1, 0x0f}, {c::RET | c::K, 0, 0, 1},
                                     {c::RET | c::K, 0, 0, 0}};
    const std::vector<Insn> cpu = {{c::LD | c::W | c::ABS, 0, 0, c::kAdOff + cb::skf::CPU},
                                   {c::JMP | c::JEQ | c::K, 0, 1, 0}, {c::RET | c::K, 0, 0, 1},
                                   {c::RET | c::K, 0, 0, 0}};
    const Bytes frame = all_frames()[0].bytes;
    const std::vector<Insn> random = {{c::LD | c::W | c::ABS, 0, 0, c::kAdOff + cb::skf::RANDOM},
                                      {c::RET | c::K, 0, 0, 1}};
    if (kernel_unavailable_reason().empty()) {
        // The kernel takes each (its helpers are XDP's) and reads the same
        // ingress device and queue as the VM (BPF_PROG_TEST_RUN: lo, rx queue 0, so SKF_AD_QUEUE reads 1).
        const std::string dir = temp_dir();
        CpuPin pin(0);  // for SKF_AD_CPU
        const std::vector<std::pair<const std::vector<Insn>*, uint32_t>> cases = {
            {&ifindex, kDrop}, {&queue, kDrop}, {&xor_x, kPass}, {&cpu, pin.pinned() ? kPass : kDrop},
            {&random, kPass}, {&queue_one, kPass}, {&queue_zero, kDrop}};
        for (size_t i = 0; i < cases.size(); ++i) {
            auto ebpf = cb::translate(*cases[i].first, {}, "anc");
            ASSERT_TRUE(ebpf.ok()) << ebpf.error().str();
            auto kobj = kernel_load(ebpf.value(), dir, "anc.o");
            ASSERT_TRUE(kobj.ok()) << kobj.error().str();
            auto run = kobj.value()->run_xdp("cbpf_filter", frame);
            ASSERT_TRUE(run.ok()) << run.error().str();
            if (i == 3 && !pin.pinned()) continue;  // unpinned, the CPU is not known
            EXPECT_EQ(run->action, cases[i].second) << "kernel, case " << i;
        }
        std::filesystem::remove_all(dir);
    }
    for (const auto engine : kEngines) {
        auto run = [&](const std::vector<Insn>& insns, uint32_t ifi, uint32_t rxq) {
            auto ebpf = cb::translate(insns, {}, "anc");
            EXPECT_TRUE(ebpf.ok()) << ebpf.error().str();
            auto f = load_filter(ebpf.value(), engine);
            EXPECT_TRUE(f.ok()) << f.error().str();
            vm::PacketFrame pf(frame, ifi, rxq);
            vm::ExecContext ex;
            return static_cast<uint32_t>(vm::run_xdp(*f.value().prog, pf.xdp(), ex));
        };
        EXPECT_EQ(run(ifindex, 7, 0), kPass) << engine_name(engine);
        EXPECT_EQ(run(ifindex, 8, 0), kDrop) << engine_name(engine);
        EXPECT_EQ(run(queue, 1, 2), kPass) << engine_name(engine);
        EXPECT_EQ(run(queue, 1, 3), kDrop) << engine_name(engine);
        EXPECT_EQ(run(queue_one, 1, 0), kPass) << engine_name(engine);
        EXPECT_EQ(run(queue_zero, 1, 0), kDrop) << engine_name(engine);
        EXPECT_EQ(run(xor_x, 1, 0), kPass) << engine_name(engine);
        EXPECT_EQ(run(cpu, 1, 0), kPass) << engine_name(engine);  // ExecContext's cpu 0
        EXPECT_EQ(run(random, 1, 0), kPass) << engine_name(engine);
    }
}

// ---------------------------------------------------------------------------
// Random and mutated programs.

// A random cBPF program, biased toward what passes the checks: mostly
// allowed opcodes, small offsets, M[] written before it is read, a RET last.
std::vector<Insn> random_program(std::mt19937& rng) {
    static const std::vector<uint16_t> allowed = [] {
        std::vector<uint16_t> codes;
        for (uint32_t code = 0; code < 0x10000; ++code)
            if (cb::classic_op(static_cast<uint16_t>(code))) codes.push_back(static_cast<uint16_t>(code));
        return codes;
    }();
    auto pick = [&](uint32_t n) { return std::uniform_int_distribution<uint32_t>(0, n - 1)(rng); };
    const uint32_t len = 2 + pick(30);
    std::vector<Insn> prog;
    // Most programs write all of M[] first so that their reads pass the check.
    if (pick(4) != 0)
        for (uint32_t m = 0; m < c::kMemWords; ++m) prog.push_back({c::ST, 0, 0, m});
    const size_t prefix = prog.size();
    while (prog.size() - prefix + 1 < len) {
        Insn in{};
        in.code = pick(50) == 0 ? static_cast<uint16_t>(pick(0x100)) : allowed[pick(uint32_t(allowed.size()))];
        const auto op = cb::classic_op(in.code);
        switch (pick(8)) {
        case 0: in.k = rng(); break;
        case 1: in.k = pick(2) ? 0xffff - pick(8) : 0x10000 + pick(8); break;
        case 2: in.k = pick(4) ? pick(40) : 32 + pick(8); break;
        case 3: in.k = pick(3) ? c::kAdOff + 4 * pick(17) : c::kNetOff + pick(20); break;
        default: in.k = op && op->operand == cb::Operand::Memory ? pick(17) : pick(80); break;
        }
        if (op && op->operand == cb::Operand::Memory && pick(20) != 0) in.k %= c::kMemWords;
        in.jt = static_cast<uint8_t>(pick(6));
        in.jf = static_cast<uint8_t>(pick(6));
        if (c::class_of(in.code) == c::JMP && cb::classic_op(in.code) && pick(10) == 0) in.jt = 200;
        prog.push_back(in);
    }
    prog.push_back({static_cast<uint16_t>(pick(2) ? c::RET | c::A : c::RET | c::K), 0, 0, pick(3)});
    // Keep most jumps inside the program.
    for (size_t pc = 0; pc < prog.size(); ++pc) {
        Insn& in = prog[pc];
        if (c::class_of(in.code) != c::JMP || pick(10) == 0) continue;
        const uint32_t room = static_cast<uint32_t>(prog.size() - pc - 1);
        if (room == 0) continue;
        if (c::op_of(in.code) == c::JA) in.k %= room;
        in.jt = static_cast<uint8_t>(in.jt % room);
        in.jf = static_cast<uint8_t>(in.jf % room);
    }
    return prog;
}

std::vector<Insn> mutated(std::vector<Insn> prog, std::mt19937& rng) {
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < edits; ++i) {
        Insn& in = prog[rng() % prog.size()];
        switch (rng() % 5) {
        case 0: in.code ^= static_cast<uint16_t>(1u << (rng() % 8)); break;
        case 1: in.jt = static_cast<uint8_t>(rng()); break;
        case 2: in.jf = static_cast<uint8_t>(rng() % 8); break;
        case 3: in.k ^= 1u << (rng() % 32); break;
        default: in.k = rng() % 64; break;
        }
    }
    return prog;
}

bool has_ancillary(const std::vector<Insn>& prog) {
    return std::any_of(prog.begin(), prog.end(), [](const Insn& in) {
        return c::class_of(in.code) == c::LD && c::mode_of(in.code) == c::ABS && in.k >= c::kAdOff;
    });
}

// Frames for the fuzzed programs: a spread of kinds and lengths.
std::vector<Bytes> sample_frames() {
    std::vector<Bytes> out;
    const auto& frames = all_frames();
    for (size_t i = 0; i < frames.size(); i += 13) out.push_back(frames[i].bytes);
    for (const auto& f : built_frames()) out.push_back(f.bytes);
    return out;
}

// Thousands of random and mutated programs: the translator never crashes;
// what it refuses is refused with a reason (and an instruction in range);
// what it accepts our verifier accepts, and both engines give libpcap's
// verdicts. A share of the accepted ones also go through the kernel.
TEST(CbpfFuzz, RandomAndMutatedProgramsTranslateVerifyAndAgree) {
    std::mt19937 rng(16);
    const auto samples = sample_frames();
    std::vector<std::vector<Insn>> seeds;
    for (const auto& expr : kExpressions) seeds.push_back(cb::compile_expression(expr, DLT_EN10MB).value());
    const bool kernel = kernel_unavailable_reason().empty();
    const std::string dir = temp_dir();
    int translated = 0, refused = 0, compared = 0, kernel_loaded = 0;
    std::map<std::string, int> reasons;
    constexpr int kPrograms = 3000;
    for (int n = 0; n < kPrograms; ++n) {
        const std::vector<Insn> prog =
            n % 2 == 0 ? random_program(rng) : mutated(seeds[rng() % seeds.size()], rng);
        auto ebpf = cb::translate(prog, {kPass, kDrop}, "fuzz");
        if (!ebpf.ok()) {
            ++refused;
            ASSERT_FALSE(ebpf.error().reason.empty());
            ASSERT_LT(ebpf.error().insn, int64_t(prog.size()));
            reasons[ebpf.error().reason.substr(0, ebpf.error().reason.find_first_of("0123456789"))]++;
            continue;
        }
        ++translated;
        const bool compare = !has_ancillary(prog);
        for (const auto engine : kEngines) {
            auto f = load_filter(ebpf.value(), engine);
            ASSERT_TRUE(f.ok()) << "program " << n << " " << engine_name(engine) << ": " << f.error().str() << "\n"
                                << ddd_text(prog);
            if (!compare) continue;
            for (const auto& frame : samples) {
                const uint32_t want = pcap_accepts(prog, frame) ? kPass : kDrop;
                ASSERT_EQ(run_vm(f.value(), frame), want) << "program " << n << " " << engine_name(engine) << "\n"
                                                          << ddd_text(prog);
            }
        }
        if (compare) ++compared;
        if (kernel && compare && kernel_loaded < 300) {
            auto kobj = kernel_load(ebpf.value(), dir, "fuzz.o");
            ASSERT_TRUE(kobj.ok()) << "program " << n << ": " << kobj.error().str() << "\n" << ddd_text(prog);
            ++kernel_loaded;
            for (const auto& frame : samples) {
                if (!kernel_runs(frame)) continue;
                auto run = kobj.value()->run_xdp("cbpf_filter", frame);
                ASSERT_TRUE(run.ok()) << run.error().str();
                ASSERT_EQ(run->action, pcap_accepts(prog, frame) ? kPass : kDrop)
                    << "kernel, program " << n << "\n" << ddd_text(prog);
            }
        }
    }
    std::string summary;
    for (const auto& [r, count] : reasons) summary += "  " + std::to_string(count) + " x " + r + "\n";
    std::cout << translated << " translated (" << compared << " compared with libpcap, " << kernel_loaded
              << " run by the kernel), " << refused << " refused:\n" << summary;
    // Both sides of the translator are exercised in earnest.
    EXPECT_GT(translated, kPrograms / 4);
    EXPECT_GT(refused, kPrograms / 10);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace xdpdk::test
