// libFuzzer target: classic BPF (vm/cbpf) from its three sources through
// the check, the translation, the filter object, the loader (which verifies)
// and both engines. The first byte picks how the rest is read:
//   0: raw cBPF instructions (struct bpf_insn: u16 code, u8 jt, u8 jf, u32 k)
//   1: `tcpdump -ddd` text, through parse_ddd
//   2: a tcpdump expression, through libpcap (compile_expression)
//
// Besides crashes and sanitizer reports, the target stops when:
//   - a refusal is not one line with subject and reason, or a refusal of a
//     program of valid length names no instruction;
//   - check_classic's verdict differs from Linux's bpf_check_classic, as
//     kernel_accepts below restates it;
//   - a checked filter is refused by the translation for anything but a
//     load Linux-only (an ancillary or header-relative offset), or its
//     translation is refused by the loader;
//   - the interpreter and the JIT give a frame different verdicts, or (when
//     libpcap's bpf_validate takes the program and it reads no Linux-only
//     offset) either differs from libpcap's bpf_filter on the frame.
#include <pcap/pcap.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "vm/cbpf/cbpf.h"
#include "vm/cbpf/check.h"
#include "vm/cbpf/classic_ops.h"
#include "vm/engine.h"
#include "vm/exec_context.h"
#include "vm/object.h"
#include "vm/packet.h"

using namespace xdpdk;
namespace cb = xdpdk::vm::cbpf;
namespace cl = xdpdk::vm::cbpf::classic;

namespace {

const std::string kSubject = "fuzz filter";
const std::string kProgName = "cbpf_filter";
constexpr cb::Verdicts kVerdicts{2, 1};  // XDP_PASS on a match, XDP_DROP otherwise

// ---- Linux's bpf_check_classic (net/core/filter.c), restated ------------

// Its codes[] table: every opcode a socket filter may use.
bool kernel_code_allowed(uint16_t code) {
    using namespace cl;
    switch (code) {
    case ALU | ADD | K: case ALU | ADD | X: case ALU | SUB | K: case ALU | SUB | X:
    case ALU | MUL | K: case ALU | MUL | X: case ALU | DIV | K: case ALU | DIV | X:
    case ALU | MOD | K: case ALU | MOD | X: case ALU | AND | K: case ALU | AND | X:
    case ALU | OR | K: case ALU | OR | X: case ALU | XOR | K: case ALU | XOR | X:
    case ALU | LSH | K: case ALU | LSH | X: case ALU | RSH | K: case ALU | RSH | X:
    case ALU | NEG:
    case LD | W | ABS: case LD | H | ABS: case LD | B | ABS:
    case LD | W | LEN:
    case LD | W | IND: case LD | H | IND: case LD | B | IND:
    case LD | IMM: case LD | MEM:
    case LDX | W | LEN: case LDX | B | MSH: case LDX | IMM: case LDX | MEM:
    case ST: case STX:
    case MISC | TAX: case MISC | TXA:
    case RET | K: case RET | A:
    case JMP | JA:
    case JMP | JEQ | K: case JMP | JEQ | X: case JMP | JGE | K: case JMP | JGE | X:
    case JMP | JGT | K: case JMP | JGT | X: case JMP | JSET | K: case JMP | JSET | X:
        return true;
    default:
        return false;
    }
}

bool is_cond_jump(uint16_t code) { return cl::class_of(code) == cl::JMP && cl::op_of(code) != cl::JA; }

// check_load_and_stores: a read of M[k] needs every path into it to have
// written M[k]; each instruction's valid set is what flows into it, the
// fall-through included (after a ret as well: the kernel does not reset it).
bool kernel_memory_ok(std::span<const cb::Insn> f) {
    std::vector<uint16_t> masks(f.size(), 0xffff);
    uint16_t valid = 0;
    for (size_t pc = 0; pc < f.size(); ++pc) {
        valid &= masks[pc];
        const cb::Insn& in = f[pc];
        if (in.code == cl::ST || in.code == cl::STX) {
            valid |= uint16_t(1u << in.k);
        } else if (in.code == (cl::LD | cl::MEM) || in.code == (cl::LDX | cl::MEM)) {
            if (!(valid & (1u << in.k))) return false;
        } else if (in.code == (cl::JMP | cl::JA)) {
            masks[pc + 1 + in.k] &= valid;
            valid = 0xffff;
        } else if (is_cond_jump(in.code)) {
            masks[pc + 1 + in.jt] &= valid;
            masks[pc + 1 + in.jf] &= valid;
            valid = 0xffff;
        }
    }
    return true;
}

bool kernel_ancillary_known(uint32_t k) {
    const uint32_t off = k - cl::kAdOff;  // SKF_AD_PROTOCOL (0) .. SKF_AD_VLAN_TPID (60), every 4
    return off % 4 == 0 && off <= 60;
}

bool kernel_accepts(std::span<const cb::Insn> f) {
    using namespace cl;
    if (f.empty() || f.size() > kMaxInsns) return false;
    for (size_t pc = 0; pc < f.size(); ++pc) {
        const cb::Insn& in = f[pc];
        if (!kernel_code_allowed(in.code)) return false;
        switch (in.code) {
        case ALU | DIV | K:
        case ALU | MOD | K:
            if (in.k == 0) return false;
            break;
        case ALU | LSH | K:
        case ALU | RSH | K:
            if (in.k >= 32) return false;
            break;
        case LD | MEM: case LDX | MEM: case ST: case STX:
            if (in.k >= kMemWords) return false;
            break;
        case JMP | JA:
            if (in.k >= f.size() - pc - 1) return false;
            break;
        case LD | W | ABS: case LD | H | ABS: case LD | B | ABS:
            if (in.k >= kAdOff && !kernel_ancillary_known(in.k)) return false;
            break;
        default:
            if (is_cond_jump(in.code) && (pc + in.jt + 1 >= f.size() || pc + in.jf + 1 >= f.size())) return false;
        }
    }
    const uint16_t last = f.back().code;
    if (last != (RET | K) && last != (RET | A)) return false;
    return kernel_memory_ok(f);
}

// ---- frames --------------------------------------------------------------

struct Frame {
    const char* what;
    std::vector<uint8_t> bytes;
    vm::FrameLayout layout;
};

void put16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
    b[at] = uint8_t(v >> 8);
    b[at + 1] = uint8_t(v);
}
void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
    put16(b, at, uint16_t(v >> 16));
    put16(b, at + 2, uint16_t(v));
}

// An Ethernet frame of `len` (14 or more) bytes: a payload pattern, the MACs and `ether_type`.
std::vector<uint8_t> ethernet(size_t len, uint16_t ether_type) {
    std::vector<uint8_t> b(len);
    for (size_t i = 0; i < len; ++i) b[i] = uint8_t(i * 7 + 3);
    const uint8_t macs[12] = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02};
    std::memcpy(b.data(), macs, sizeof macs);
    put16(b, 12, ether_type);
    return b;
}

// IPv4 at `l3` with `proto`, then ports at its end (TCP or UDP).
void ipv4(std::vector<uint8_t>& b, size_t l3, uint8_t proto, uint32_t src, uint32_t dst, uint16_t sport,
          uint16_t dport) {
    b[l3] = 0x45;
    b[l3 + 1] = 0;
    put16(b, l3 + 2, uint16_t(b.size() - l3));
    put32(b, l3 + 4, 0);  // id, no fragment
    b[l3 + 8] = 64;
    b[l3 + 9] = proto;
    put32(b, l3 + 12, src);
    put32(b, l3 + 16, dst);
    put16(b, l3 + 20, sport);
    put16(b, l3 + 22, dport);
    if (proto == 6) b[l3 + 33] = 0x02;  // TCP flags: SYN
}

std::vector<Frame> make_frames() {
    std::vector<Frame> frames;
    auto tcp = ethernet(64, 0x0800);
    ipv4(tcp, 14, 6, 0x0a000001, 0x0a000002, 40000, 80);
    frames.push_back({"tcp syn 10.0.0.1 > 10.0.0.2:80", tcp, vm::FrameLayout::Linear});
    auto udp = ethernet(90, 0x0800);
    ipv4(udp, 14, 17, 0xc0a8010a, 0x0a000001, 5353, 53);
    frames.push_back({"udp 192.168.1.10 > 10.0.0.1:53", udp, vm::FrameLayout::Linear});
    auto udp6 = ethernet(100, 0x86dd);
    udp6[14] = 0x60;
    udp6[20] = 17;  // next header
    udp6[21] = 64;
    put16(udp6, 54, 53);
    put16(udp6, 56, 53);
    frames.push_back({"udp6 53", udp6, vm::FrameLayout::Linear});
    frames.push_back({"arp", ethernet(42, 0x0806), vm::FrameLayout::Linear});
    auto vlan = ethernet(70, 0x8100);
    put16(vlan, 14, 100);
    put16(vlan, 16, 0x0800);
    ipv4(vlan, 18, 6, 0x0a000001, 0x0a000002, 40000, 22);
    frames.push_back({"vlan 100 tcp 22", vlan, vm::FrameLayout::Linear});
    auto runt = ethernet(64, 0x0800);
    runt.resize(10);
    frames.push_back({"runt of 10 bytes", runt, vm::FrameLayout::Linear});
    auto big = ethernet(300, 0x0800);
    ipv4(big, 14, 6, 0x0a000003, 0x0a000002, 40001, 443);
    frames.push_back({"tcp 443, 300 bytes", big, vm::FrameLayout::Linear});
    // Past the first buffer: loads there go through bpf_xdp_load_bytes.
    auto jumbo = ethernet(5000, 0x0800);
    ipv4(jumbo, 14, 17, 0x0a000001, 0x0a000002, 40000, 4789);
    frames.push_back({"udp of 5000 bytes in frags", jumbo, vm::FrameLayout::MultiBuffer});
    return frames;
}

const std::vector<Frame>& frames() {
    static const std::vector<Frame> all = make_frames();
    return all;
}

// ---- the path ------------------------------------------------------------

void check_refusal(const Error& e, size_t program_size) {
    fuzz::check_one_line_error(e, program_size);
    if (e.subject != kSubject) fuzz::fail("refusal names another subject", e.str());
}

// Loads that Linux gives a meaning libpcap does not (SKF_AD_OFF, SKF_NET_OFF
// and SKF_LL_OFF bases): the only refusals a checked filter may meet in
// translation, and loads libpcap's answer does not hold for.
bool linux_only_load(const cb::Insn& in) {
    const auto op = cb::classic_op(in.code);
    return op && op->operand == cb::Operand::Packet && in.k >= cl::kLlOff;
}

struct Loaded {
    std::unique_ptr<vm::Object> obj;
    vm::Program* prog = nullptr;
};

Loaded load(std::span<const uint8_t> elf, vm::EngineKind engine) {
    vm::ObjectOptions opts;
    opts.engine = engine;
    auto obj = vm::Object::open_memory(elf, kProgName, opts);
    if (!obj) fuzz::fail("filter object refused at open", obj.error().str());
    if (Status st = (*obj)->load(); !st) fuzz::fail("translated filter refused at load", st.error().str());
    auto prog = (*obj)->find_program(kProgName);
    if (!prog) fuzz::fail("filter program not found", prog.error().str());
    return {std::move(*obj), *prog};
}

uint32_t run(const Loaded& l, const Frame& f, const char* engine) {
    vm::PacketFrame pf(f.bytes, 1, 0, f.layout);
    vm::ExecContext ex;
    const uint64_t r0 = vm::run_xdp(*l.prog, pf.xdp(), ex);
    if (ex.fault) fuzz::fail("filter faulted", std::string(engine) + " on " + f.what + ": " + ex.fault);
    return uint32_t(r0);
}

void check_and_run(const std::vector<cb::Insn>& insns) {
    const Status ours = cb::check_classic(insns, kSubject);
    const bool linux_ok = kernel_accepts(insns);
    if (ours.ok() != linux_ok)
        fuzz::fail("check_classic differs from Linux's bpf_check_classic",
                   ours.ok() ? std::string("ours accepts, Linux refuses") : "ours refuses, Linux accepts: " +
                                                                               ours.error().str());
    if (!ours) {
        check_refusal(ours.error(), insns.size());
        if (!insns.empty() && insns.size() <= cl::kMaxInsns && ours.error().insn < 0)
            fuzz::fail("refusal names no instruction", ours.error().str());
        return;
    }
    auto ebpf = cb::translate(insns, kVerdicts, kSubject);
    if (!ebpf) {
        const Error& e = ebpf.error();
        check_refusal(e, insns.size());
        if (e.insn < 0 || !linux_only_load(insns[size_t(e.insn)]))
            fuzz::fail("a checked filter refused by the translation", e.str());
        return;
    }
    auto elf = cb::filter_object(*ebpf, kProgName);
    if (!elf) fuzz::fail("filter_object failed", elf.error().str());
    const Loaded interp = load(*elf, vm::EngineKind::Interp);
    const Loaded jit = load(*elf, vm::EngineKind::Jit);

    bool reads_linux_only = false, reads_random = false;
    for (const cb::Insn& in : insns) {
        reads_linux_only |= linux_only_load(in);
        reads_random |= linux_only_load(in) && in.k == cl::kAdOff + cb::skf::RANDOM;
    }
    std::vector<bpf_insn> code(insns.size());
    for (size_t i = 0; i < insns.size(); ++i) code[i] = {insns[i].code, insns[i].jt, insns[i].jf, insns[i].k};
    const bool pcap_valid = bpf_validate(code.data(), int(code.size())) != 0;

    for (const Frame& f : frames()) {
        const uint32_t a = run(interp, f, "interp"), b = run(jit, f, "jit");
        if (a != b && !reads_random)
            fuzz::fail("engines disagree", std::string(f.what) + ": interp " + std::to_string(a) + ", jit " +
                                               std::to_string(b));
        if (!pcap_valid || reads_linux_only) continue;
        const u_int len = u_int(f.bytes.size());
        const uint32_t want = bpf_filter(code.data(), f.bytes.data(), len, len) != 0 ? kVerdicts.match
                                                                                       : kVerdicts.no_match;
        if (a != want)
            fuzz::fail("verdict differs from libpcap's bpf_filter",
                       std::string(f.what) + ": got " + std::to_string(a) + ", libpcap " + std::to_string(want));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const uint8_t mode = data[0] % 3;
    ++data, --size;
    std::vector<cb::Insn> insns;
    if (mode == 0) {
        insns.resize(size / sizeof(cb::Insn));
        if (!insns.empty()) std::memcpy(insns.data(), data, insns.size() * sizeof(cb::Insn));
    } else {
        const std::string text(reinterpret_cast<const char*>(data), size);
        auto parsed = mode == 1 ? cb::parse_ddd(text, kSubject) : cb::compile_expression(text, DLT_EN10MB);
        if (!parsed) {
            fuzz::check_one_line_error(parsed.error());
            return 0;
        }
        insns = std::move(*parsed);
    }
    check_and_run(insns);
    return 0;
}
