// Multi-buffer XDP (xdp.frags) with the kernel as the oracle. progs/frags_stamp.o
// is loaded through libbpf, which gives the xdp.frags program
// BPF_F_XDP_HAS_FRAGS, and run with BPF_PROG_TEST_RUN on frames of several
// sizes; the same frames go through the VM's interpreter and JIT laid out as
// `xdpdk replay` lays them out (vm::FrameLayout), and the verdict, the whole
// output frame and its length must match. The sample writes every helper's
// return value into the frame, so those are compared too.
//
// The helper tests at the end need no kernel: they pin the semantics the
// differential test relies on (kernel values from net/core/filter.c).
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>

#include <pcap/dlt.h>

#include <cerrno>
#include <cstdio>
#include <sstream>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dataplane/replay/pcap_io.h"
#include "kernel_oracle.h"
#include "test_support.h"
#include "vm/engine.h"
#include "vm/helpers.h"
#include "vm/object.h"
#include "vm/packet.h"
#include "vm/xdp.h"

namespace xdpdk::test {
namespace {

// Around the linear limit (3520), one page more (7616), several frags, and
// the kernel's largest (3520 + 17 pages).
const std::vector<size_t> kSizes = {60, 1500, 3520, 3521, 3530, 3542, 5000, 7616, 7617, 9000, 16000, 73152};
constexpr uint8_t kModes = 8;  // frags_stamp's tail changes

// A frame whose bytes differ from offset to offset (so a misplaced copy
// shows), with the mode byte at offset 14.
Bytes make_frame(size_t len, uint8_t mode) {
    Bytes b(len);
    for (size_t i = 0; i < len; ++i) b[i] = static_cast<uint8_t>(i * 7 + (i >> 8) * 13 + 1);
    b[12] = 0x88;  // EtherType 0x88b5, local experimental
    b[13] = 0xb5;
    b[14] = mode;
    return b;
}

std::string first_difference(const Bytes& kernel, const Bytes& vm) {
    if (kernel == vm) return "";
    size_t i = 0;
    while (i < kernel.size() && i < vm.size() && kernel[i] == vm[i]) ++i;
    std::string s = "kernel " + std::to_string(kernel.size());
    s += " bytes, vm " + std::to_string(vm.size());
    s += " bytes, first difference at offset " + std::to_string(i);
    return s;
}

struct VmEngine {
    const char* name;
    std::unique_ptr<vm::Object> obj;
};

std::vector<VmEngine> open_engines(const std::string& path) {
    std::vector<VmEngine> engines;
    for (const auto& [name, kind] : {std::pair{"interp", vm::EngineKind::Interp}, std::pair{"jit", vm::EngineKind::Jit}}) {
        vm::ObjectOptions opts;
        opts.engine = kind;
        auto obj = vm::Object::open(path, opts);
        if (!obj) {
            ADD_FAILURE() << obj.error().str();
            return {};
        }
        if (auto st = obj.value()->load(); !st) {
            ADD_FAILURE() << st.error().str();
            return {};
        }
        engines.push_back({name, std::move(obj.value())});
    }
    return engines;
}

struct VmRun {
    uint32_t action;
    Bytes frame;
};

VmRun run_vm(const vm::Object& obj, const std::string& prog_name, const Bytes& frame) {
    auto prog = obj.find_program(prog_name);
    EXPECT_TRUE(prog.ok()) << prog.error().str();
    const vm::Program& p = *prog.value();
    vm::PacketFrame f(frame, 1, 0, p.frags ? vm::FrameLayout::MultiBuffer : vm::FrameLayout::FirstBuffer);
    vm::ExecContext ex;
    const auto action = static_cast<uint32_t>(vm::run_xdp(p, f.xdp(), ex));
    return {action, f.packet()};
}

class KernelFrags : public ::testing::Test {
protected:
    void SetUp() override {
        if (!kernel_unavailable_reason().empty())
            GTEST_SKIP() << "kernel oracle unavailable: " << kernel_unavailable_reason();
        auto k = KernelObject::open(prog_path("frags_stamp"));
        ASSERT_TRUE(k.ok()) << k.error().str();
        kernel_ = std::move(k.value());
        // libbpf adds BPF_F_XDP_HAS_FRAGS for xdp.frags sections at load
        // time; set it on the program too, so the test can check it went in.
        bpf_program* frags = bpf_object__find_program_by_name(kernel_->raw(), "frags_stamp");
        ASSERT_NE(frags, nullptr);
        ASSERT_EQ(bpf_program__set_flags(frags, bpf_program__flags(frags) | BPF_F_XDP_HAS_FRAGS), 0);
        auto loaded = kernel_->load();
        ASSERT_TRUE(loaded.ok()) << loaded.error().str();
        engines_ = open_engines(prog_path("frags_stamp"));
        ASSERT_EQ(engines_.size(), 2u);
    }

    uint32_t kernel_prog_flags(const char* name) const {
        bpf_program* prog = bpf_object__find_program_by_name(kernel_->raw(), name);
        return prog ? bpf_program__flags(prog) : 0;
    }

    // Every size (and mode) through the kernel and both engines; returns
    // how many runs were compared.
    int compare(const std::string& prog, uint8_t modes) {
        int runs = 0;
        for (size_t size : kSizes) {
            for (uint8_t mode = 0; mode < modes; ++mode) {
                const Bytes frame = make_frame(size, mode);
                const std::string when = prog + ", " + std::to_string(size) + " bytes, mode " + std::to_string(mode);
                auto k = kernel_->run_xdp(prog, frame);
                if (!k) {
                    ADD_FAILURE() << when << ": " << k.error().str();
                    continue;
                }
                EXPECT_TRUE(k->meta.empty()) << when;
                for (const VmEngine& e : engines_) {
                    const VmRun v = run_vm(*e.obj, prog, frame);
                    EXPECT_EQ(v.action, k->action) << when << " (" << e.name << ")";
                    EXPECT_EQ(first_difference(k->data, v.frame), "") << when << " (" << e.name << ")";
                    ++runs;
                }
            }
        }
        return runs;
    }

    std::unique_ptr<KernelObject> kernel_;
    std::vector<VmEngine> engines_;
};

TEST_F(KernelFrags, FragsProgramMatchesKernelOnEverySize) {
    EXPECT_TRUE(kernel_prog_flags("frags_stamp") & BPF_F_XDP_HAS_FRAGS);
    EXPECT_EQ(compare("frags_stamp", kModes), static_cast<int>(kSizes.size() * kModes * 2));
}

// A program that is not xdp.frags sees the first 3520 bytes in both (the
// kernel's test run splits the frame for it too), and the rest of the frame
// comes back unchanged.
TEST_F(KernelFrags, UnawareProgramSeesFirstBufferLikeKernel) {
    EXPECT_FALSE(kernel_prog_flags("frags_unaware") & BPF_F_XDP_HAS_FRAGS);
    EXPECT_EQ(compare("frags_unaware", 1), static_cast<int>(kSizes.size() * 2));
}

// ---- Without the kernel: the stamp's values on a 9000-byte frame, and the
// helpers on hand-built buffers.

struct Stamp {
    uint32_t len_before, linear_len;
    int32_t load_tail, load_cross, store_tail, store_cross, load_past_end, load_far, adjust;
    uint32_t len_after, sum;
};

Stamp stamp_of(const Bytes& frame) {
    Stamp s{};
    EXPECT_GE(frame.size(), 16 + sizeof s);
    if (frame.size() >= 16 + sizeof s) std::memcpy(&s, frame.data() + 16, sizeof s);
    return s;
}

TEST(FragsVm, StampOfAJumboFrame) {
    auto engines = open_engines(prog_path("frags_stamp"));
    ASSERT_EQ(engines.size(), 2u);
    for (const VmEngine& e : engines) {
        SCOPED_TRACE(e.name);
        // Mode 0 trims 100 bytes off the last frag (9000 = 3520 + 4096 + 1384).
        VmRun r = run_vm(*e.obj, "frags_stamp", make_frame(9000, 0));
        EXPECT_EQ(r.action, vm::XDP_TX);
        ASSERT_EQ(r.frame.size(), 8900u);
        Stamp s = stamp_of(r.frame);
        EXPECT_EQ(s.len_before, 9000u);
        EXPECT_EQ(s.linear_len, 3520u);
        EXPECT_EQ(s.load_tail, 0);
        EXPECT_EQ(s.load_cross, 0);
        EXPECT_EQ(s.store_tail, 0);
        EXPECT_EQ(s.store_cross, 0);
        EXPECT_EQ(s.load_past_end, -EINVAL);
        EXPECT_EQ(s.load_far, -EFAULT);
        EXPECT_EQ(s.adjust, 0);
        EXPECT_EQ(s.len_after, 8900u);
        EXPECT_EQ(std::memcmp(r.frame.data() + 3516, "CROSSING", 8), 0);
        // Mode 1 pads 64 zero bytes; the stamped tail stays before them.
        r = run_vm(*e.obj, "frags_stamp", make_frame(9000, 1));
        ASSERT_EQ(r.frame.size(), 9064u);
        EXPECT_EQ(std::memcmp(r.frame.data() + 8992, "TAILTAIL", 8), 0);
        EXPECT_EQ(r.frame[9063], 0);
        // Mode 5 asks for more than the last page's room.
        r = run_vm(*e.obj, "frags_stamp", make_frame(9000, 5));
        EXPECT_EQ(stamp_of(r.frame).adjust, -EINVAL);
        EXPECT_EQ(r.frame.size(), 9000u);
        // The unaware program sees the first 3520 bytes only.
        r = run_vm(*e.obj, "frags_unaware", make_frame(9000, 0));
        uint32_t seen;
        std::memcpy(&seen, r.frame.data() + 16, 4);
        EXPECT_EQ(seen, 3520u);
        EXPECT_EQ(r.frame.size(), 9000u);
    }
}

uint64_t call(int32_t id, vm::XdpBuff& x, uint64_t r2 = 0, void* r3 = nullptr, uint64_t r4 = 0) {
    vm::ExecContext ex;
    return vm::find_helper(id)(reinterpret_cast<uint64_t>(&x), r2, reinterpret_cast<uint64_t>(r3), r4, 0, &ex);
}
int64_t rc(uint64_t r0) { return static_cast<int64_t>(r0); }

// 100 linear bytes and frags of 50 and 30 bytes (room 64 each).
struct ThreeBuffers {
    uint8_t linear[1024] = {};
    uint8_t f0[64] = {}, f1[64] = {};
    vm::XdpFrag frags[2];
    vm::XdpBuff x{};
    ThreeBuffers() {
        for (int i = 0; i < 100; ++i) linear[256 + i] = static_cast<uint8_t>(i);
        for (int i = 0; i < 50; ++i) f0[i] = static_cast<uint8_t>(100 + i);
        for (int i = 0; i < 30; ++i) f1[i] = static_cast<uint8_t>(150 + i);
        frags[0] = {f0, 50, 64};
        frags[1] = {f1, 30, 64};
        x.data_hard_start = linear;
        x.data = x.data_meta = linear + 256;
        x.data_end = x.data + 100;
        x.frame_size = sizeof linear;
        x.frags = frags;
        x.nfrags = 2;
    }
};

TEST(FragsHelpers, LengthLoadAndStoreAcrossBuffers) {
    ThreeBuffers b;
    using namespace vm::helper_id;
    EXPECT_EQ(call(XdpGetBuffLen, b.x), 180u);
    uint8_t buf[100];
    ASSERT_EQ(rc(call(XdpLoadBytes, b.x, 90, buf, 70)), 0);  // linear, all of f0, some of f1
    for (int i = 0; i < 70; ++i) EXPECT_EQ(buf[i], 90 + i) << i;
    EXPECT_EQ(rc(call(XdpLoadBytes, b.x, 170, buf, 11)), -EINVAL);  // one byte past the end
    EXPECT_EQ(rc(call(XdpLoadBytes, b.x, 0x10000, buf, 1)), -EFAULT);
    EXPECT_EQ(rc(call(XdpLoadBytes, b.x, 0, buf, 0x10000)), -EFAULT);
    const uint8_t word[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    ASSERT_EQ(rc(call(XdpStoreBytes, b.x, 146, const_cast<uint8_t*>(word), 8)), 0);  // f0's end, f1's start
    EXPECT_EQ(std::memcmp(b.f0 + 46, word, 4), 0);
    EXPECT_EQ(std::memcmp(b.f1, word + 4, 4), 0);
}

TEST(FragsHelpers, AdjustTailOnFrags) {
    using namespace vm::helper_id;
    {
        ThreeBuffers b;  // grow: into the last frag's room only
        EXPECT_EQ(rc(call(XdpAdjustTail, b.x, 35)), -EINVAL);
        b.f1[30] = 0xee;
        EXPECT_EQ(rc(call(XdpAdjustTail, b.x, 34)), 0);
        EXPECT_EQ(b.frags[1].len, 64u);
        EXPECT_EQ(b.f1[30], 0);  // zeroed, as the kernel does
    }
    {
        ThreeBuffers b;  // shrink: the last frag released, the one before trimmed
        EXPECT_EQ(rc(call(XdpAdjustTail, b.x, static_cast<uint64_t>(-40))), 0);
        EXPECT_EQ(b.x.nfrags, 1u);
        EXPECT_EQ(b.frags[0].len, 40u);
        EXPECT_EQ(call(XdpGetBuffLen, b.x), 140u);
    }
    {
        ThreeBuffers b;  // every frag released, then the linear part
        EXPECT_EQ(rc(call(XdpAdjustTail, b.x, static_cast<uint64_t>(-100))), 0);
        EXPECT_EQ(b.x.nfrags, 0u);
        EXPECT_EQ(b.x.data_end - b.x.data, 80);
        // Linear again: the tail now grows in the linear frame.
        EXPECT_EQ(rc(call(XdpAdjustTail, b.x, 10)), 0);
        EXPECT_EQ(b.x.data_end - b.x.data, 90);
    }
    {
        ThreeBuffers b;  // at least an Ethernet header stays
        EXPECT_EQ(rc(call(XdpAdjustTail, b.x, static_cast<uint64_t>(-167))), -EINVAL);
        EXPECT_EQ(rc(call(XdpAdjustTail, b.x, static_cast<uint64_t>(-166))), 0);
        EXPECT_EQ(call(XdpGetBuffLen, b.x), 14u);
    }
    {
        ThreeBuffers b;  // INT_MIN: the kernel's -offset stays negative, nothing happens
        EXPECT_EQ(rc(call(XdpAdjustTail, b.x, static_cast<uint64_t>(int64_t{INT32_MIN}))), 0);
        EXPECT_EQ(call(XdpGetBuffLen, b.x), 180u);
    }
}

TEST(FragsHelpers, LinearFrameHelpersSeeTheLinearPart) {
    ThreeBuffers b;
    b.x.nfrags = 0;  // what a program that is not xdp.frags gets
    using namespace vm::helper_id;
    EXPECT_EQ(call(XdpGetBuffLen, b.x), 100u);
    uint8_t buf[8];
    EXPECT_EQ(rc(call(XdpLoadBytes, b.x, 96, buf, 8)), -EINVAL);
    EXPECT_EQ(rc(call(XdpLoadBytes, b.x, 92, buf, 8)), 0);
    EXPECT_EQ(buf[7], 99);
}

TEST(FragsReplayLayout, SplitsLikeTheKernelTestRun) {
    const Bytes frame = make_frame(9000, 0);
    vm::PacketFrame multi(frame, 1, 0, vm::FrameLayout::MultiBuffer);
    EXPECT_EQ(multi.data().size(), 3520u);
    ASSERT_EQ(multi.xdp().nfrags, 2u);
    EXPECT_EQ(multi.xdp().frags[0].len, 4096u);
    EXPECT_EQ(multi.xdp().frags[1].len, 1384u);
    EXPECT_EQ(multi.xdp().frags[1].capacity, 4096u);
    EXPECT_EQ(multi.xdp().frame_size, 4096u);
    EXPECT_EQ(multi.packet(), frame);
    vm::PacketFrame first(frame, 1, 0, vm::FrameLayout::FirstBuffer);
    EXPECT_EQ(first.data().size(), 3520u);
    EXPECT_EQ(first.xdp().nfrags, 0u);
    EXPECT_EQ(first.packet(), frame);
    vm::PacketFrame small(make_frame(3520, 0), 1, 0, vm::FrameLayout::MultiBuffer);
    EXPECT_EQ(small.xdp().nfrags, 0u);
    EXPECT_FALSE(small.split());
}

// ---- `xdpdk replay`: the frame layout above, and the whole frame written out.

std::string write_pcap(const std::string& dir, const std::vector<Bytes>& frames) {
    const std::string path = dir + "/in.pcap";
    auto w = cli::PcapWriter::open(path, DLT_EN10MB);
    EXPECT_TRUE(w.ok());
    if (!w) return path;
    for (const Bytes& f : frames) w.value()->write({1, 0}, static_cast<uint32_t>(f.size()), f);
    EXPECT_TRUE(w.value()->close().ok());
    return path;
}

// (action, bytes) per packet of a replay's --jsonl.
std::vector<std::pair<std::string, Bytes>> replay(const std::string& pcap, const std::string& prog,
                                                  CommandResult* result = nullptr) {
    const std::string jsonl = pcap + "." + prog + ".jsonl";
    const CommandResult r =
        run_command({xdpdk_binary(), "replay", prog_path("frags_stamp"), pcap, "--prog", prog, "--jsonl", jsonl});
    if (result) *result = r;
    std::vector<std::pair<std::string, Bytes>> out;
    if (r.exit_code != 0) return out;
    std::istringstream in(read_file(jsonl));
    std::string line;
    while (std::getline(in, line)) {
        const auto j = nlohmann::json::parse(line);
        const std::string hex = j.at("data");
        Bytes b(hex.size() / 2);
        for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
        EXPECT_EQ(j.at("len"), b.size());
        out.emplace_back(j.at("action"), std::move(b));
    }
    return out;
}

TEST(FragsReplay, WritesTheWholeFrameAsTheVmLeftIt) {
    const std::string dir = temp_dir();
    const std::vector<Bytes> frames = {make_frame(60, 1), make_frame(9000, 0), make_frame(9000, 4), make_frame(5000, 2)};
    const std::string pcap = write_pcap(dir, frames);
    CommandResult r;
    const auto got = replay(pcap, "frags_stamp", &r);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(got.size(), frames.size());
    auto engines = open_engines(prog_path("frags_stamp"));
    ASSERT_EQ(engines.size(), 2u);
    for (size_t i = 0; i < frames.size(); ++i) {
        const VmRun v = run_vm(*engines[1].obj, "frags_stamp", frames[i]);
        EXPECT_EQ(got[i].first, vm::xdp_action_name(v.action)) << i;
        EXPECT_TRUE(got[i].second == v.frame) << i;
    }
    EXPECT_EQ(got[1].second.size(), 8900u);
    EXPECT_EQ(got[2].second.size(), 9000u - 4196u);
    EXPECT_EQ(got[3].first, "XDP_DROP");  // cut to 14 bytes: no room for the stamp
    EXPECT_EQ(got[3].second.size(), 14u);
}

TEST(FragsReplay, FramesPastSeventeenFragsAreRefusedForFragsPrograms) {
    const std::string dir = temp_dir();
    const std::string pcap = write_pcap(dir, {make_frame(60, 6), make_frame(vm::kXdpMaxMultiBufferLen + 1, 6)});
    CommandResult r;
    EXPECT_TRUE(replay(pcap, "frags_stamp", &r).empty());
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("packet 1: 73153 bytes do not fit an XDP frame of 3520 linear bytes and 17 frags"),
              std::string::npos)
        << r.err;
    // A program that is not xdp.frags sees the first 3520 bytes of any frame.
    const auto unaware = replay(pcap, "frags_unaware", &r);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(unaware.size(), 2u);
    ASSERT_EQ(unaware[1].second.size(), vm::kXdpMaxMultiBufferLen + 1);
    uint32_t seen;
    std::memcpy(&seen, unaware[1].second.data() + 16, 4);
    EXPECT_EQ(seen, 3520u);
}

}  // namespace
}  // namespace xdpdk::test
