// The target BTF of --btf, read with libbpf's btf__parse (raw BTF, or an ELF
// file's .BTF section). The file is classified first so that a file that is
// neither gets one clear reason instead of libbpf's warnings.
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <elf.h>

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>

#include "core_reloc.h"

namespace xdpdk::vm {
namespace {

constexpr uint8_t kRawBtfMagic[2] = {0x9f, 0xeb};  // 0xeB9F, little-endian
constexpr const char* kVmlinuxPath = "/sys/kernel/btf/vmlinux";

// libbpf's messages while it parses, kept as the reason rather than printed.
// The print callback is process-wide: the mutex keeps two loads (a ctl swap
// on the control thread and another) from restoring each other's hook, and
// another thread's messages in the meantime go to the callback it set.
std::mutex print_hook_mutex;
std::atomic<libbpf_print_fn_t> previous_print{nullptr};
thread_local std::string* libbpf_messages = nullptr;

int keep_libbpf_message(enum libbpf_print_level level, const char* fmt, va_list args) {
    if (!libbpf_messages) {
        const libbpf_print_fn_t other = previous_print.load();
        return other ? other(level, fmt, args) : 0;
    }
    if (level == LIBBPF_DEBUG) return 0;
    char buf[512];
    std::vsnprintf(buf, sizeof buf, fmt, args);
    std::string line(buf);
    while (!line.empty() && line.back() == '\n') line.pop_back();
    if (line.rfind("libbpf: ", 0) == 0) line.erase(0, 8);
    if (!line.empty()) *libbpf_messages = line;
    return 0;
}

}  // namespace

Result<std::shared_ptr<struct btf>> load_target_btf(const std::string& spec) {
    const std::string path = spec == "vmlinux" ? kVmlinuxPath : spec;
    const std::string subject = "btf '" + spec + "'";
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(subject, std::string("cannot open: ") + std::strerror(errno));
    char head[SELFMAG] = {};
    in.read(head, sizeof head);
    const auto got = in.gcount();
    const bool raw = got >= 2 && std::memcmp(head, kRawBtfMagic, 2) == 0;
    const bool elf = got == SELFMAG && std::memcmp(head, ELFMAG, SELFMAG) == 0;
    if (!raw && !elf)
        return make_error(subject, "not BTF: neither raw BTF (magic 0xeb9f) nor an ELF file with a .BTF section");

    std::string message;
    struct btf* btf = nullptr;
    int err = 0;
    {
        const std::lock_guard<std::mutex> hooked(print_hook_mutex);
        libbpf_messages = &message;
        previous_print = libbpf_set_print(keep_libbpf_message);
        errno = 0;
        btf = btf__parse(path.c_str(), nullptr);
        err = errno;
        libbpf_set_print(previous_print.load());
        previous_print = nullptr;
        libbpf_messages = nullptr;
    }
    if (!btf) {
        std::string reason = raw ? "invalid raw BTF" : "ELF file without valid .BTF";
        if (!message.empty()) reason += ": " + message;
        else if (err) reason += std::string(": ") + std::strerror(err);
        return make_error(subject, reason);
    }
    return std::shared_ptr<struct btf>(btf, btf__free);
}

}  // namespace xdpdk::vm
