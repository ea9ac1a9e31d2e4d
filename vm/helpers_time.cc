// Time helpers: the kernel's clocks as userspace reads them. The kernel's
// ktime_get_ns, ktime_get_boot_fast_ns, ktime_get_coarse_ns and
// ktime_get_tai_fast_ns are CLOCK_MONOTONIC, CLOCK_BOOTTIME,
// CLOCK_MONOTONIC_COARSE and CLOCK_TAI, the same clocks clock_gettime reads
// (through the vDSO: no system call). jiffies_64 has no userspace clock; see
// JiffiesClock.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

#include <sys/utsname.h>

#include "helper_impl.h"

namespace xdpdk::vm {
namespace {

constexpr uint64_t kNsecPerSec = 1'000'000'000;

uint64_t clock_ns(clockid_t clock) {
    timespec ts{};
    clock_gettime(clock, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * kNsecPerSec + static_cast<uint64_t>(ts.tv_nsec);
}

// The kernel's INITIAL_JIFFIES: five minutes' worth of ticks before the
// 32-bit counter wraps, so that wrap bugs show early.
constexpr uint64_t initial_jiffies(uint64_t hz) { return uint64_t{UINT32_MAX} + 1 - 300 * hz; }

// The values CONFIG_HZ may take on x86-64.
constexpr uint64_t kHzChoices[] = {100, 250, 300, 1000};
// Kconfig's default (HZ_250) and Debian's and Ubuntu's choice.
constexpr uint64_t kDefaultHz = 250;

// The first number after `label` in `text`, or 0.
uint64_t number_after(const std::string& text, const char* label) {
    const size_t at = text.find(label);
    if (at == std::string::npos) return 0;
    return std::strtoull(text.c_str() + at + std::strlen(label), nullptr, 10);
}

std::string read_file(const char* path, size_t limit) {
    std::string out;
    FILE* f = std::fopen(path, "re");
    if (f == nullptr) return out;
    char buf[4096];
    for (size_t n; out.size() < limit && (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
    std::fclose(f);
    return out;
}

// CONFIG_HZ from the running kernel's config when a plain copy is installed
// (/boot/config-<release>); 0 when there is none.
uint64_t configured_hz() {
    utsname u{};
    if (uname(&u) != 0) return 0;
    const std::string config = read_file(("/boot/config-" + std::string(u.release)).c_str(), 1 << 20);
    const uint64_t hz = number_after(config, "\nCONFIG_HZ=");
    for (uint64_t choice : kHzChoices)
        if (hz == choice) return hz;
    return 0;
}

// jiffies_64 as the kernel counts it: HZ ticks a second of CLOCK_MONOTONIC
// (the tick advances jiffies from ktime_get(), so they stop during suspend
// as that clock does), from a point where both are known:
//   jiffies = base + (now - base_ns) / TICK_NSEC
// The point: /proc/timer_list (root only) prints ktime_get() ("now at N
// nsecs") and jiffies together, which also gives HZ: of the values CONFIG_HZ
// may take, only the right one puts INITIAL_JIFFIES within a few ticks of
// jiffies - HZ * now, as the kernel starts jiffies at INITIAL_JIFFIES at
// boot. Read this way the result is within a tick of the kernel's.
// Without /proc/timer_list: HZ is the kernel config's CONFIG_HZ if
// /boot/config-<release> has it, else 250 (Kconfig's default), and the point
// is INITIAL_JIFFIES at monotonic 0, a few dozen ticks behind the kernel (the
// ticks it counted before its clock started).
// Not sysconf(_SC_CLK_TCK): that is USER_HZ, the fixed unit (100) of /proc's
// tick counts, whatever HZ the kernel runs at.
struct JiffiesClock {
    uint64_t hz = kDefaultHz;
    uint64_t base = initial_jiffies(kDefaultHz);
    uint64_t base_ns = 0;
    uint64_t tick_ns = kNsecPerSec / kDefaultHz;

    JiffiesClock() {
        const std::string list = read_file("/proc/timer_list", 64 << 10);
        const uint64_t now = number_after(list, "now at ");
        const uint64_t jiffies = number_after(list, "\njiffies: ");
        if (now != 0 && jiffies != 0) {
            uint64_t best = 0, best_error = UINT64_MAX;
            for (uint64_t choice : kHzChoices) {
                const uint64_t expected = initial_jiffies(choice) + now / ((kNsecPerSec + choice / 2) / choice);
                const uint64_t error = expected > jiffies ? expected - jiffies : jiffies - expected;
                if (error < best_error) best = choice, best_error = error;
            }
            set_hz(best);
            base = jiffies;
            base_ns = now;
            return;
        }
        if (const uint64_t hz_from_config = configured_hz()) set_hz(hz_from_config);
        base = initial_jiffies(hz);
    }

    void set_hz(uint64_t value) {
        hz = value;
        tick_ns = (kNsecPerSec + hz / 2) / hz;  // TICK_NSEC
    }

    uint64_t now() const {
        const uint64_t ns = clock_ns(CLOCK_MONOTONIC);
        // base_ns was read from the same clock, earlier.
        return base + (ns - base_ns) / tick_ns;
    }
};

}  // namespace

XDPDK_HELPER(helper_ktime_get_ns) {
    (void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)ex;
    return clock_ns(CLOCK_MONOTONIC);
}

XDPDK_HELPER(helper_ktime_get_boot_ns) {
    (void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)ex;
    return clock_ns(CLOCK_BOOTTIME);
}

XDPDK_HELPER(helper_ktime_get_coarse_ns) {
    (void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)ex;
    return clock_ns(CLOCK_MONOTONIC_COARSE);
}

XDPDK_HELPER(helper_ktime_get_tai_ns) {
    (void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)ex;
    return clock_ns(CLOCK_TAI);
}

namespace {
// Calibrated once, on first use, from /proc (a few kilobytes read).
const JiffiesClock& jiffies_clock() {
    static const JiffiesClock clock;
    return clock;
}
}  // namespace

uint64_t jiffies64_now() { return jiffies_clock().now(); }
uint64_t jiffies_hz() { return jiffies_clock().hz; }

XDPDK_HELPER(helper_jiffies64) {
    (void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)ex;
    return jiffies64_now();
}

}  // namespace xdpdk::vm
