#include <cerrno>
#include <cstring>
#include <random>

#include "helper_impl.h"
#include "trace_format.h"

namespace xdpdk::vm {
namespace {

// One's-complement helpers with the kernel's (x86-64) representation.
uint32_t csum_add(uint32_t a, uint32_t b) {
    const uint32_t s = a + b;
    return s + (s < b);
}
// As x86-64's csum_partial: little-endian words, a partial last word
// zero-padded, summed with end-around carry (any length, any alignment).
uint32_t csum_partial(const uint8_t* p, uint32_t len, uint32_t seed) {
    uint64_t sum = seed;
    uint32_t i = 0;
    for (; i + 4 <= len; i += 4) {
        uint32_t w;
        std::memcpy(&w, p + i, 4);
        sum += w;
    }
    if (i < len) {
        uint32_t w = 0;
        std::memcpy(&w, p + i, len - i);
        sum += w;
    }
    while (sum >> 32) sum = (sum & 0xffffffffu) + (sum >> 32);
    return static_cast<uint32_t>(sum);
}
uint32_t csum_from32to16(uint32_t sum) {
    sum += (sum >> 16) | (sum << 16);
    return sum >> 16;
}

}  // namespace

XDPDK_HELPER(helper_get_prandom_u32) {
    (void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)ex;
    thread_local std::minstd_rand gen{std::random_device{}()};
    thread_local uint64_t state = (static_cast<uint64_t>(gen()) << 32) | gen() | 1;
    // xorshift64*: cheap, per-thread, no locking.
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return static_cast<uint32_t>((state * 0x2545F4914F6CDD1Dull) >> 32);
}

XDPDK_HELPER(helper_get_smp_processor_id) {
    (void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
    return ex->cpu;
}

XDPDK_HELPER(helper_get_numa_node_id) {
    (void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
    return ex->numa_node;
}

namespace {

// Formats and writes one bpf_printk line; the kernel's bpf_trace_printk and
// bpf_trace_vprintk share this (bpf_bprintf_prepare, bstr_printf into a
// MAX_BPRINTF_BUF buffer, the bpf_trace_printk trace event).
uint64_t print_trace_line(uint64_t fmt, uint64_t fmt_size, const uint64_t* args, int nargs, ExecContext* ex) {
    auto msg = format_bpf_printk(reinterpret_cast<const char*>(fmt), static_cast<uint32_t>(fmt_size), args, nargs);
    if (!msg) return static_cast<uint64_t>(-EINVAL);
    // bstr_printf's result: the length of the whole message, of which the
    // trace event gets what fits in MAX_BPRINTF_BUF with its NUL.
    const uint64_t length = msg->size();
    if (msg->size() > 1023) msg->resize(1023);
    if (ex->trace) ex->trace->write(trace_pipe_line(ex->cpu, *msg));
    return length;
}

}  // namespace

XDPDK_HELPER(helper_trace_printk) {
    const uint64_t args[3] = {r3, r4, r5};
    return print_trace_line(r1, r2, args, 3, ex);  // MAX_TRACE_PRINTK_VARARGS
}

// bpf_trace_vprintk(fmt, fmt_size, args, data_len): data_len bytes of u64
// arguments, at most MAX_BPRINTF_VARARGS of them.
XDPDK_HELPER(helper_trace_vprintk) {
    (void)r5;
    constexpr uint32_t kMaxArgs = 12;
    const uint32_t data_len = static_cast<uint32_t>(r4);
    if (data_len % 8 || data_len > kMaxArgs * 8 || (data_len && r3 == 0)) return static_cast<uint64_t>(-EINVAL);
    uint64_t args[kMaxArgs] = {};
    if (data_len) std::memcpy(args, reinterpret_cast<const void*>(r3), data_len);
    return print_trace_line(r1, r2, args, static_cast<int>(data_len / 8), ex);
}

// bpf_csum_diff as Linux 6.18 has it (checked by test_kernel_diff): the
// result is folded to 16 bits, and sizes need be neither multiples of 4 nor
// within 512 bytes; the verifier has already bounded both buffers.
XDPDK_HELPER(helper_csum_diff) {
    (void)ex;
    const auto* from = reinterpret_cast<const uint8_t*>(r1);
    const auto* to = reinterpret_cast<const uint8_t*>(r3);
    const uint32_t from_size = static_cast<uint32_t>(r2), to_size = static_cast<uint32_t>(r4);
    const uint32_t seed = static_cast<uint32_t>(r5);
    uint32_t result = seed;
    if (from_size && to_size)
        result = csum_add(csum_partial(to, to_size, seed), ~csum_partial(from, from_size, 0));
    else if (to_size)
        result = csum_partial(to, to_size, seed);
    else if (from_size)
        result = ~csum_partial(from, from_size, ~seed);
    return csum_from32to16(result);
}

}  // namespace xdpdk::vm
