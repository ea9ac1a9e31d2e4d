// Seed inputs for fuzz_cbpf: tcpdump expressions in each of the target's
// three forms (mode byte first): the expression itself, libpcap's cBPF for
// it as raw instructions, and the same as `tcpdump -ddd` text.
//
//   make_cbpf_seeds OUT_DIR
#include <pcap/pcap.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "vm/cbpf/cbpf.h"

namespace fs = std::filesystem;
namespace cb = xdpdk::vm::cbpf;

namespace {

// What users filter on: each reaches another part of libpcap's code
// generator, and so other instruction shapes (indexed loads, msh, M[],
// arithmetic, lengths, VLAN offsets, long chains).
const char* const kExpressions[] = {
    "tcp", "udp", "icmp", "arp", "ip6", "ether proto 0x88cc", "host 10.0.0.1", "src net 192.168.0.0/16",
    "ip6 host 2001:db8::1", "port 80", "dst port 53", "portrange 1000-2000", "vlan 100", "vlan and tcp",
    "tcp[tcpflags] & tcp-syn != 0", "tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420", "ip[6:2] & 0x1fff != 0",
    "ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2) > 20", "ip[2:2] % 7 = 3", "ip[8] ^ 0xff > 200",
    "udp[8:2] * 2 > 1000", "ip[2:2] / 4 > 20", "len > 100", "less 80", "greater 200", "ether broadcast",
    "ether multicast", "tcp and (port 80 or port 443)", "not (ip or ip6)", "(ip6 or vlan) and not udp",
    "port 1 or port 2 or port 3 or port 4 or port 5 or port 6 or port 7 or port 8",
};

bool write_seed(const fs::path& path, char mode, const std::string& body) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.put(mode);
    f.write(body.data(), static_cast<std::streamsize>(body.size()));
    return static_cast<bool>(f);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
        return 2;
    }
    const fs::path out = argv[1];
    std::error_code ec;
    fs::remove_all(out, ec);
    fs::create_directories(out, ec);
    if (ec) {
        std::fprintf(stderr, "%s: %s\n", out.c_str(), ec.message().c_str());
        return 1;
    }
    int n = 0, failed = 0;
    for (const char* expr : kExpressions) {
        auto insns = cb::compile_expression(expr, DLT_EN10MB);
        if (!insns) {
            std::fprintf(stderr, "%s\n", insns.error().str().c_str());
            ++failed;
            continue;
        }
        std::string raw(reinterpret_cast<const char*>(insns->data()), insns->size() * sizeof(cb::Insn));
        std::string ddd = std::to_string(insns->size()) + "\n";
        for (const cb::Insn& in : *insns)
            ddd += std::to_string(in.code) + " " + std::to_string(in.jt) + " " + std::to_string(in.jf) + " " +
                   std::to_string(in.k) + "\n";
        const std::string stem = std::to_string(n++);
        const bool ok = write_seed(out / (stem + "-raw"), 0, raw) && write_seed(out / (stem + "-ddd"), 1, ddd) &&
                        write_seed(out / (stem + "-expr"), 2, expr);
        if (!ok) ++failed, std::fprintf(stderr, "cannot write seeds of '%s' in %s\n", expr, out.c_str());
    }
    std::printf("%d expressions as seeds in %s\n", n, out.c_str());
    return failed ? 1 : 0;
}
