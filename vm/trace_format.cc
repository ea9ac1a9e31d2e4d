#include "trace_format.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>

namespace xdpdk::vm {

std::optional<std::string> format_bpf_printk(const char* fmt, size_t fmt_size, const uint64_t* args,
                                             int max_args) {
    if (fmt == nullptr || fmt_size == 0 || std::memchr(fmt, 0, fmt_size) == nullptr) return std::nullopt;
    std::string out;
    int used = 0;
    char buf[128];
    for (size_t i = 0; fmt[i]; ++i) {
        if (fmt[i] != '%') {
            out += fmt[i];
            continue;
        }
        if (fmt[i + 1] == '%') {
            out += '%';
            ++i;
            continue;
        }
        // Collect "%[flags][width]" to hand to snprintf with the conversion.
        std::string spec = "%";
        size_t j = i + 1;
        while (fmt[j] == '0' || fmt[j] == '+' || fmt[j] == '-' || fmt[j] == ' ') spec += fmt[j++];
        while (fmt[j] >= '0' && fmt[j] <= '9') spec += fmt[j++];
        if (used >= max_args) return std::nullopt;
        const uint64_t arg = args[used++];
        if (fmt[j] == 'p') {
            if ((fmt[j + 1] == 'i' || fmt[j + 1] == 'I') && fmt[j + 2] == '4') {
                const auto* a = reinterpret_cast<const uint8_t*>(arg);
                if (a) std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
                else std::snprintf(buf, sizeof buf, "(null)");
                out += buf;
                i = j + 2;
                continue;
            }
            if (fmt[j + 1] == 'x' || fmt[j + 1] == 'K') ++j;
            std::snprintf(buf, sizeof buf, (spec + "llx").c_str(), static_cast<unsigned long long>(arg));
            out += "0x";
            out += buf;
            i = j;
            continue;
        }
        if (fmt[j] == 's') {
            const char* s = reinterpret_cast<const char*>(arg);
            std::string str = s ? std::string(s, strnlen(s, 1024)) : "(null)";
            char sbuf[1100];
            std::snprintf(sbuf, sizeof sbuf, (spec + "s").c_str(), str.c_str());
            out += sbuf;
            i = j;
            continue;
        }
        if (fmt[j] == 'c') {
            std::snprintf(buf, sizeof buf, (spec + "c").c_str(), static_cast<int>(static_cast<unsigned char>(arg)));
            out += buf;
            i = j;
            continue;
        }
        int longs = 0;
        while (fmt[j] == 'l' && longs < 2) ++longs, ++j;
        const char conv = fmt[j];
        if (conv != 'd' && conv != 'i' && conv != 'u' && conv != 'x' && conv != 'X') return std::nullopt;
        const std::string f = spec + "ll" + conv;
        const bool is_signed = conv == 'd' || conv == 'i';
        if (longs == 0) {
            // Without 'l' the argument is a 32-bit int, as in the kernel.
            if (is_signed) std::snprintf(buf, sizeof buf, f.c_str(), static_cast<long long>(static_cast<int32_t>(arg)));
            else std::snprintf(buf, sizeof buf, f.c_str(), static_cast<unsigned long long>(static_cast<uint32_t>(arg)));
        } else {
            if (is_signed) std::snprintf(buf, sizeof buf, f.c_str(), static_cast<long long>(arg));
            else std::snprintf(buf, sizeof buf, f.c_str(), static_cast<unsigned long long>(arg));
        }
        out += buf;
        i = j;
    }
    return out;
}

std::string trace_pipe_line(uint32_t cpu, const std::string& msg) {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    char head[96];
    std::snprintf(head, sizeof head, "%16s-%-7d [%03u] d.s1. %5lld.%06ld: bpf_trace_printk: ", "xdpdk",
                  static_cast<int>(getpid()), cpu, static_cast<long long>(ts.tv_sec), ts.tv_nsec / 1000);
    return head + msg;
}

}  // namespace xdpdk::vm
