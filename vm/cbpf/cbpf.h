// Classic BPF (what tcpdump and libpcap speak) run as an XDP program: libpcap
// compiles a filter expression, the cBPF is translated to eBPF the way
// Linux's bpf_convert_filter translates socket filters, and the result is
// wrapped in an in-memory BPF ELF object so that every loader path (replay,
// bench, run, ctl swap, prog dump) takes it as it takes a clang-built one.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../error.h"
#include "../opcodes.h"

namespace xdpdk::vm::cbpf {

// One classic BPF instruction, laid out as struct sock_filter / bpf_insn of
// <pcap/bpf.h>.
struct Insn {
    uint16_t code;
    uint8_t jt;
    uint8_t jf;
    uint32_t k;
};

// libpcap's pcap_compile of `expression` for link type `linktype` (DLT_*),
// optimised and with an unknown netmask, as tcpdump compiles it. The error
// carries libpcap's message: "filter '<expr>': <pcap_geterr>", with control
// characters of <expr> escaped (a newline as \n) so that it is one line.
Result<std::vector<Insn>> compile_expression(const std::string& expression, int linktype, int snaplen = 262144);

// `tcpdump -ddd` text: the instruction count, then one "code jt jf k" line
// per instruction (decimal). `subject` names the source in errors.
Result<std::vector<Insn>> parse_ddd(std::string_view text, const std::string& subject);

// The XDP verdicts the filter's result maps to: a non-zero cBPF return
// (accept) gives `match`, zero gives `no_match`.
struct Verdicts {
    uint32_t match = 2;     // XDP_PASS
    uint32_t no_match = 1;  // XDP_DROP
};

// eBPF for an XDP program equivalent to `filter` under pcap_offline_filter on
// the frame: checked by the cBPF rules first (Linux's bpf_check_classic:
// jumps forward and in range, ends in RET, M[] indexes, no constant division
// by zero), then translated. Errors name `subject` and the cBPF instruction.
//
// The frame is the whole packet, frags included (the object is
// SEC("xdp.frags"): a load past the first buffer reads the frags through
// bpf_xdp_load_bytes), and `len` is its length. A frame replayed from a
// capture record cut short by the snap length (caplen < len) holds the
// captured bytes only, so `len` answers the captured length there, where
// pcap_offline_filter answers the length on the wire; loads are bounded by
// the captured bytes in both. A load past its end or past
// offset 0xffff (the furthest bpf_xdp_load_bytes reads), or a division by
// X == 0, ends the filter with no match, and a shift by X of 32 or more
// gives 0, as in libpcap. Linux's ancillary loads (SKF_AD_OFF + n)
// that XDP has an answer for are translated: SKF_AD_IFINDEX (xdp_md's
// ingress device), SKF_AD_QUEUE (xdp_md's rx queue + 1, as Linux's
// skb->queue_mapping of a received packet is), SKF_AD_CPU,
// SKF_AD_RANDOM and SKF_AD_ALU_XOR_X; the others (protocol, pkttype, mark,
// hash, offloaded VLAN tag, ...) and Linux's SKF_NET_OFF/SKF_LL_OFF
// header-relative loads (absolute, indexed or msh: any k from SKF_LL_OFF up
// that is not an absolute ancillary load) are refused by name with the reason.
Result<std::vector<RawInsn>> translate(std::span<const Insn> filter, const Verdicts& verdicts,
                                       const std::string& subject);

// A BPF ELF object holding `insns` as function `name` in SEC("xdp.frags"), licence
// "GPL", which vm::Object::open_memory opens. Errors: "filter object:
// <libelf's message>", "memfd_create: <strerror>".
Result<std::vector<uint8_t>> filter_object(std::span<const RawInsn> insns, const std::string& name);

}  // namespace xdpdk::vm::cbpf
