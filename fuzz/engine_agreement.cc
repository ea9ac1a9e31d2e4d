#include "engine_agreement.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <vector>

#include "fuzz_check.h"
#include "vm/engine.h"
#include "vm/helpers.h"
#include "vm/map.h"
#include "vm/xdp.h"

namespace xdpdk::fuzz {
namespace {

using vm::Object;
using vm::Program;

// Room around the frame as the dataplane gives it: headroom for
// adjust_head/meta, tailroom for adjust_tail.
constexpr uint32_t kFrameBytes = 2048;

// A UDP datagram in IPv4 in Ethernet, then a short runt: most programs parse
// the first far, and bounds checks meet the second early.
std::vector<uint8_t> frame_bytes(int which) {
    if (which == 1) return {0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00};
    std::vector<uint8_t> f = {
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,  // Ethernet
        0x45, 0x00, 0x00, 0x2e, 0x12, 0x34, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00,              // IPv4
        10, 0, 0, 1, 10, 0, 0, 2,
        0x30, 0x39, 0x00, 0x35, 0x00, 0x1a, 0x00, 0x00,  // UDP 12345 -> 53
    };
    for (uint8_t i = 0; i < 18; ++i) f.push_back(static_cast<uint8_t>('a' + i));
    return f;
}

struct Frame {
    std::array<uint8_t, kFrameBytes> buf{};
    vm::XdpBuff xdp{};

    explicit Frame(const std::vector<uint8_t>& bytes) {
        buf.fill(0xa5);
        uint8_t* data = buf.data() + vm::kXdpHeadroom;
        std::memcpy(data, bytes.data(), bytes.size());
        xdp = vm::XdpBuff{data, data + bytes.size(), data, buf.data(), 1, 0, 0, kFrameBytes};
    }
};

// Whether a run's outcome may differ between the two copies for reasons
// other than the engines (see engine_agreement.h).
bool runs_differ_anyway(const Object& obj) {
    for (const auto& prog : obj.programs()) {
        if (calls_varying_helper(*prog)) return true;
        for (const vm::Insn& in : prog->insns)
            if (in.op == vm::Op::Call && in.imm == vm::helper_id::ForEachMapElem) return true;
    }
    return false;
}

// Every entry as key bytes, lookup result and value bytes, sorted: hash maps
// seed their hash per map, so the two copies list keys in different orders.
// Maps of maps hold map ids, which differ between the copies: only which
// slots are filled counts there.
std::string map_contents(const vm::Map& map) {
    const vm::MapSpec& spec = map.spec();
    const bool holds_ids = map.type() == vm::MapType::ArrayOfMaps || map.type() == vm::MapType::HashOfMaps;
    if (spec.key_size == 0) {  // queues, stacks, bloom filters, ring buffers: their elements in order
        std::vector<uint8_t> elems;
        const long rc = map.user_elements(elems);
        return std::to_string(rc) + " " + std::string(elems.begin(), elems.end());
    }
    std::vector<std::string> entries;
    std::vector<uint8_t> key(spec.key_size), next(spec.key_size);
    const size_t value_bytes = size_t{(spec.value_size + 7u) & ~7u} * std::max<uint32_t>(map.ncpus(), 1);
    std::string end;
    const void* prev = nullptr;
    for (uint32_t n = 0; n <= spec.max_entries; ++n) {
        const long rc = map.next_key(prev, next.data());
        if (rc != 0) {
            end = "end " + std::to_string(rc);
            break;
        }
        key = next;
        prev = key.data();
        std::vector<uint8_t> value(value_bytes);
        const long lrc = map.user_lookup(key.data(), value.data());
        std::string entry(reinterpret_cast<const char*>(key.data()), key.size());
        entry += ' ';
        entry += std::to_string(lrc);
        entry += ' ';
        if (lrc == 0 && !holds_ids) entry.append(reinterpret_cast<const char*>(value.data()), value.size());
        entries.push_back(std::move(entry));
    }
    std::sort(entries.begin(), entries.end());
    std::string out;
    for (const std::string& e : entries) out += e + "\n";
    return out + end;
}

std::string describe(const Frame& f, uint64_t r0, const vm::ExecContext& ex) {
    std::string s = "r0=" + std::to_string(r0);
    s += " data=" + std::to_string(f.xdp.data - f.buf.data());
    s += " end=" + std::to_string(f.xdp.data_end - f.buf.data());
    s += " meta=" + std::to_string(f.xdp.data_meta - f.buf.data());
    s += " redirect=" + std::to_string(static_cast<int>(ex.redirect.kind)) + "/" + std::to_string(ex.redirect.key) +
         "/" + std::to_string(ex.redirect.ifindex) + "/" + std::to_string(ex.redirect.flags);
    s += " fault=" + std::string(ex.fault ? ex.fault : "-");
    return s;
}

}  // namespace

bool calls_varying_helper(const Program& prog) {
    for (const vm::Insn& in : prog.insns) {
        if (in.op != vm::Op::Call) continue;
        if (const vm::HelperSpec* h = vm::helper_spec(in.imm); h && h->varies) return true;
    }
    return false;
}

vm::ObjectOptions bounded_object_options() {
    constexpr uint64_t kMaxMapBytes = uint64_t{64} << 20;
    vm::ObjectOptions opts;
    opts.insn_budget = kInsnBudget;
    opts.reuse_map = [](const vm::MapSpec& spec) -> Result<std::shared_ptr<vm::Map>> {
        // +1: a ring buffer's size is max_entries itself (no key, no value).
        const uint64_t bytes = (uint64_t{spec.key_size} + spec.value_size + 1) * spec.max_entries;
        if (bytes > kMaxMapBytes)
            return make_error("map '" + spec.name + "'", "over the fuzz targets' 64 MiB for one map");
        return std::shared_ptr<vm::Map>();
    };
    return opts;
}

void check_engines_agree(std::span<const uint8_t> elf, const vm::ObjectOptions& opts, const std::string& name,
                         const std::function<void(vm::Object&)>& prepare) {
    vm::ObjectOptions interp_opts = opts, jit_opts = opts;
    interp_opts.engine = vm::EngineKind::Interp;
    jit_opts.engine = vm::EngineKind::Jit;
    auto interp = Object::open_memory(elf, name, interp_opts);
    auto jit = Object::open_memory(elf, name, jit_opts);
    if (!interp || !jit) {
        if (static_cast<bool>(interp) != static_cast<bool>(jit)) fail("the engines' opens disagree", name);
        check_one_line_error(interp.error());
        return;
    }
    const Status interp_loaded = (*interp)->load(), jit_loaded = (*jit)->load();
    if (!interp_loaded) check_one_line_error(interp_loaded.error());
    if (!jit_loaded) check_one_line_error(jit_loaded.error());
    if (static_cast<bool>(interp_loaded) != static_cast<bool>(jit_loaded))
        fail("one engine loaded what the other refused",
             (interp_loaded ? std::string("interpreter loaded") : interp_loaded.error().str()) + " / " +
                 (jit_loaded ? std::string("jit loaded") : jit_loaded.error().str()));
    if (!interp_loaded || runs_differ_anyway(**interp)) return;
    if (prepare) {
        prepare(**interp);
        prepare(**jit);
    }

    const auto& interp_progs = (*interp)->programs();
    const auto& jit_progs = (*jit)->programs();
    for (size_t p = 0; p < interp_progs.size(); ++p) {
        const Program& a = *interp_progs[p];
        const Program& b = *jit_progs[p];
        if (a.type != vm::ProgType::Xdp || a.insns.empty()) continue;
        if (!b.jit) fail("loaded for the JIT without machine code", a.name);
        for (int which = 0; which < 2; ++which) {
            Frame fa(frame_bytes(which)), fb(frame_bytes(which));
            vm::ExecContext exa, exb;
            const uint64_t ra = vm::run_xdp(a, fa.xdp, exa);
            const uint64_t rb = vm::run_xdp(b, fb.xdp, exb);
            const std::string da = describe(fa, ra, exa), db = describe(fb, rb, exb);
            if (da != db) fail("the engines disagree", "prog '" + a.name + "': interpreter " + da + ", jit " + db);
            if (fa.buf != fb.buf) fail("the engines leave different frame bytes", "prog '" + a.name + "'");
        }
    }
    const auto& interp_maps = (*interp)->maps();
    const auto& jit_maps = (*jit)->maps();
    for (size_t m = 0; m < interp_maps.size(); ++m)
        if (map_contents(*interp_maps[m]) != map_contents(*jit_maps[m]))
            fail("the engines leave different map contents", "map '" + interp_maps[m]->name() + "'");
}

}  // namespace xdpdk::fuzz
