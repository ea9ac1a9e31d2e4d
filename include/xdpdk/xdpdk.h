// xdpdk public API: load a clang-built XDP object and run packets through one
// of its programs, with the kernel's semantics. Everything else (opcode table,
// maps, loader phases, engines) is internal to vm/.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace xdpdk {

struct LoadOptions {
    std::string program;        // function or section name; empty: the first XDP program
    std::string engine = "";    // "interp" or "jit"; empty: the default engine
    uint32_t ncpus = 1;         // slots of per-CPU maps
};

struct PacketResult {
    uint32_t action = 0;              // XDP_ABORTED..XDP_REDIRECT (unknown values: XDP_ABORTED)
    uint64_t retval = 0;              // what the program returned
    std::vector<uint8_t> packet;      // the bytes after the program ran
    uint32_t redirect_ifindex = 0;    // for XDP_REDIRECT
};

class XdpProgram {
public:
    // nullptr on failure, with a one-line reason in *error.
    static std::unique_ptr<XdpProgram> load(const std::string& object_path, const LoadOptions& options,
                                            std::string* error);
    ~XdpProgram();

    const std::string& name() const;
    PacketResult run(std::span<const uint8_t> packet, uint32_t ingress_ifindex = 1, uint32_t rx_queue = 0,
                     uint32_t cpu = 0);

    // User-side map access with the kernel's syscall semantics (0 or -errno).
    long map_lookup(const std::string& map, std::span<const uint8_t> key, std::vector<uint8_t>* value) const;
    long map_update(const std::string& map, std::span<const uint8_t> key, std::span<const uint8_t> value,
                    uint64_t flags = 0);

    struct Impl;

private:
    explicit XdpProgram(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace xdpdk
