#include "rte_benchmarks.h"

#include <benchmark/benchmark.h>
#include <rte_bpf.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "frame_fixture.h"
#include "native/map_access.h"
#include "sample_benchmarks.h"
#include "vm/object.h"
#include "vm/xdp.h"

namespace xdpdk::bench {
namespace {

using test::Bytes;
using test::SampleScenario;

// bench/progs/rte_mbuf_view.h mirrors these fields.
static_assert(offsetof(rte_mbuf, buf_addr) == 0);
static_assert(offsetof(rte_mbuf, data_off) == 16);
static_assert(offsetof(rte_mbuf, pkt_len) == 36);
static_assert(offsetof(rte_mbuf, data_len) == 40);

// librte_bpf's validator takes data_off to be RTE_PKTMBUF_HEADROOM.
constexpr size_t kHeadroom = RTE_PKTMBUF_HEADROOM;
constexpr size_t kDataRoom = 2048;
constexpr size_t kHeaderRestoreLen = 64;

// An external variable of a librte_bpf program, bound to VM memory.
struct ExternVar {
    std::string name;
    void* addr;
    size_t size;
};

using BindExterns = Result<std::vector<ExternVar>> (*)(vm::Object&);

struct RteVariant {
    std::string_view sample;   // SampleScenario::object
    std::string_view file;     // relative to the build directory
    std::string_view section;
    BindExterns bind;          // nullptr: no external symbols
};

Result<std::vector<ExternVar>> bind_pkt_counter(vm::Object& obj) {
    constexpr uint32_t kCounterSize = 16, kSlots = 10;
    XDPDK_ASSIGN_OR_RETURN(native::ArrayValues stats, native::find_array(obj, "proto_stats", kCounterSize));
    if (stats.max_entries != kSlots) return make_error("map 'proto_stats'", "not 10 slots");
    return std::vector<ExternVar>{{"proto_stats", stats.at<uint8_t>(0, 0), kSlots * kCounterSize}};
}

Result<std::vector<ExternVar>> bind_global_config(vm::Object& obj) {
    const std::pair<const char*, uint32_t> globals[] = {
        {"blocked_proto", 1}, {"max_frame_len", 2}, {"log_drops", 1},  {"packets_seen", 8},
        {"bytes_seen", 8},    {"packets_dropped", 8}, {"log_budget", 4},
    };
    std::vector<ExternVar> out;
    for (const auto& [name, size] : globals) {
        XDPDK_ASSIGN_OR_RETURN(uint8_t * addr, native::find_global(obj, name, size));
        out.push_back({name, addr, size});
    }
    return out;
}

constexpr RteVariant kVariants[] = {
    {"xdp_pass", "progs/xdp_pass.o", "xdp", nullptr},
    {"xdp_drop", "progs/xdp_drop.o", "xdp", nullptr},
    {"mac_swap", "bench/progs/rte_mac_swap.o", "rte", nullptr},
    {"pkt_counter", "bench/progs/rte_pkt_counter.o", "rte", bind_pkt_counter},
    {"global_config", "bench/progs/rte_global_config.o", "rte", bind_global_config},
};

// Why the other samples have no librte_bpf row.
constexpr std::pair<std::string_view, std::string_view> kUnsupported[] = {
    {"firewall",
     "needs an LPM trie and hash maps (lookup, update) and atomic counters in maps; librte_bpf has no maps"},
    {"load_balancer",
     "needs hash and LRU hash maps (lookup, update), bpf_xdp_adjust_head and bpf_csum_diff; librte_bpf has no maps or "
     "XDP helpers"},
    {"redirect", "needs a devmap and bpf_redirect/bpf_redirect_map; librte_bpf has no maps and no redirect"},
    {"tail_calls", "needs a prog array and bpf_tail_call; librte_bpf has neither"},
    {"meta_tail", "needs bpf_xdp_adjust_meta and bpf_xdp_adjust_tail; an rte_mbuf has no XDP metadata area"},
};

const RteVariant* find_variant(std::string_view sample) {
    for (const auto& v : kVariants)
        if (v.sample == sample) return &v;
    return nullptr;
}

std::string unsupported_reason(std::string_view sample) {
    for (const auto& [name, why] : kUnsupported)
        if (name == sample) return "n/a: " + std::string(why);
    return "n/a: no librte_bpf variant of sample '" + std::string(sample) + "'";
}

std::string build_dir() {
    const char* dir = std::getenv("XDPDK_BUILD_DIR");
    return dir != nullptr ? dir : "build";
}

// librte_bpf needs no EAL to load and run programs (it mmaps its own
// memory); its log says why a load failed, the rest is noise.
void quiet_rte_log() {
    static const bool done = [] {
        rte_log_set_global_level(RTE_LOG_ERR);
        return true;
    }();
    (void)done;
}

class RteProgram {
public:
    ~RteProgram() {
        if (bpf_ != nullptr) rte_bpf_destroy(bpf_);
    }
    static Result<std::unique_ptr<RteProgram>> load(const RteVariant& v, std::vector<ExternVar> externs) {
        quiet_rte_log();
        auto out = std::unique_ptr<RteProgram>(new RteProgram);
        out->externs_ = std::move(externs);
        out->xsyms_.resize(out->externs_.size());
        for (size_t i = 0; i < out->externs_.size(); ++i) {
            rte_bpf_xsym& x = out->xsyms_[i];
            x.name = out->externs_[i].name.c_str();
            x.type = RTE_BPF_XTYPE_VAR;
            x.var.val = out->externs_[i].addr;
            x.var.desc.type = RTE_BPF_ARG_PTR;
            x.var.desc.size = out->externs_[i].size;
        }
        rte_bpf_prm prm{};
        prm.xsym = out->xsyms_.data();
        prm.nb_xsym = static_cast<uint32_t>(out->xsyms_.size());
        prm.prog_arg.type = RTE_BPF_ARG_PTR_MBUF;
        prm.prog_arg.size = sizeof(rte_mbuf);
        prm.prog_arg.buf_size = kHeadroom + kDataRoom;
        const std::string path = build_dir() + "/" + std::string(v.file);
        const std::string section(v.section);
        out->bpf_ = rte_bpf_elf_load(&prm, path.c_str(), section.c_str());
        if (out->bpf_ == nullptr)
            return make_error("librte_bpf '" + path + "' section '" + section + "'",
                              std::string("load failed: ") + rte_strerror(rte_errno) + " (the reason is logged above)");
        rte_bpf_jit jit{};
        if (rte_bpf_get_jit(out->bpf_, &jit) != 0 || jit.func == nullptr)
            return make_error("librte_bpf '" + path + "'", "no JIT code for this program");
        out->jit_ = jit.func;
        return out;
    }
    uint64_t (*jit() const)(void*) { return jit_; }

private:
    RteProgram() = default;
    rte_bpf* bpf_ = nullptr;
    uint64_t (*jit_)(void*) = nullptr;
    std::vector<ExternVar> externs_;  // xsyms_ points at their names
    std::vector<rte_bpf_xsym> xsyms_;
};

// One rte_mbuf over a private buffer holding the packet after the standard
// headroom, put back between runs as the xdpdk rows put back their frame.
class MbufFrame {
public:
    explicit MbufFrame(const Bytes& packet) : packet_(packet), buf_(kHeadroom + kDataRoom) {
        std::memset(&mb_, 0, sizeof mb_);
        mb_.buf_addr = buf_.data();
        mb_.buf_len = static_cast<uint16_t>(buf_.size());
        mb_.nb_segs = 1;
        restore_len_ = packet_.size();
        restore();
    }
    rte_mbuf* mbuf() { return &mb_; }
    void restore() {
        mb_.data_off = kHeadroom;
        mb_.data_len = static_cast<uint16_t>(packet_.size());
        mb_.pkt_len = static_cast<uint32_t>(packet_.size());
        std::memcpy(buf_.data() + kHeadroom, packet_.data(), restore_len_);
    }
    void learn_restore_len() {
        restore_len_ = std::min(packet_.size(), kHeaderRestoreLen);
        restore();
        if (std::memcmp(buf_.data() + kHeadroom, packet_.data(), packet_.size()) != 0) restore_len_ = packet_.size();
        restore();
    }
    Bytes data() const {
        const uint8_t* p = buf_.data() + mb_.data_off;
        return Bytes(p, p + mb_.data_len);
    }

private:
    Bytes packet_;
    std::vector<uint8_t> buf_;
    alignas(64) rte_mbuf mb_;
    size_t restore_len_;
};

void run_rte(benchmark::State& state, const SampleScenario& s, size_t frame_len) {
    const RteVariant* variant = find_variant(s.object);
    if (variant == nullptr) {
        state.SkipWithError(unsupported_reason(s.object).c_str());
        return;
    }
    if (frame_len > kDataRoom) {
        state.SkipWithError("frame larger than the mbuf's data room");
        return;
    }
    // The VM's object holds the maps and globals the externs point into,
    // set up as for every other row.
    vm::ObjectOptions opts;
    opts.engine = vm::EngineKind::Interp;  // only its memory is used
    auto obj = load_scenario_object(s, opts);
    if (!obj) {
        state.SkipWithError(obj.error().str().c_str());
        return;
    }
    std::vector<ExternVar> externs;
    if (variant->bind != nullptr) {
        auto bound = variant->bind(**obj);
        if (!bound) {
            state.SkipWithError(bound.error().str().c_str());
            return;
        }
        externs = std::move(*bound);
    }
    auto prog = RteProgram::load(*variant, std::move(externs));
    if (!prog) {
        state.SkipWithError(prog.error().str().c_str());
        return;
    }
    uint64_t (*const fn)(void*) = prog.value()->jit();

    MbufFrame frame(s.main_path_packet(frame_len));
    fn(frame.mbuf());
    frame.learn_restore_len();
    const uint64_t action = fn(frame.mbuf());
    const Bytes out = frame.data();
    frame.restore();
    auto want = reference_outcome(s, frame_len);
    if (!want) {
        state.SkipWithError(want.error().str().c_str());
        return;
    }
    if (action != want->action || out != want->data) {
        const std::string why = "librte_bpf differs from the interpreter: " + std::string(vm::xdp_action_name(action)) +
                                ", " + std::to_string(out.size()) + " bytes vs " + want->summary();
        state.SkipWithError(why.c_str());
        return;
    }

    for (auto _ : state) {
        benchmark::DoNotOptimize(fn(frame.mbuf()));
        frame.restore();
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
    state.SetLabel(vm::xdp_action_name(action));
}

}  // namespace

void register_rte_benchmark(const SampleScenario& s, size_t frame_len) {
    const std::string name = "rte_jit/" + s.name + "/" + std::to_string(frame_len);
    benchmark::RegisterBenchmark(name.c_str(), [s, frame_len](benchmark::State& st) { run_rte(st, s, frame_len); })
        ->Unit(benchmark::kNanosecond);
}

}  // namespace xdpdk::bench
