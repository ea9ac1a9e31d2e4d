#include <cerrno>
#include <cstring>
#include <ctime>
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

XDPDK_HELPER(helper_ktime_get_ns) {
    (void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)ex;
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

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

XDPDK_HELPER(helper_trace_printk) {
    const uint64_t args[3] = {r3, r4, r5};
    auto msg = format_bpf_printk(reinterpret_cast<const char*>(r1), static_cast<uint32_t>(r2), args, 3);
    if (!msg) return static_cast<uint64_t>(-EINVAL);
    if (msg->size() > 1023) msg->resize(1023);  // MAX_BPRINTF_BUF less the NUL
    if (ex->trace) ex->trace->write(trace_pipe_line(ex->cpu, *msg));
    return msg->size();
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
