// The Linux kernel as a bench engine: loads the same object file through
// libbpf, with the maps and global data of a prepared (loaded, not yet run)
// VM object copied in, and runs one XDP program with BPF_PROG_TEST_RUN.
// Needs root or CAP_BPF; without them load() says so.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "vm/error.h"
#include "vm/object.h"

struct bpf_object;

namespace xdpdk::cli {

struct KernelRun {
    uint32_t retval = 0;       // of the last repetition
    uint32_t duration_ns = 0;  // the kernel's average per repetition
};

class KernelRunner {
public:
    // Global-data maps get the VM's values as their initial contents; after
    // the load every other map gets the VM's entries (per-CPU maps: each
    // kernel CPU the VM's slot of the same number, or slot 0 past the VM's
    // slots; prog arrays: the same programs by name). `prog` is a function
    // name of the object.
    static Result<std::unique_ptr<KernelRunner>> load(const std::string& path, const vm::Object& state,
                                                      const std::string& prog);
    // The same from an ELF image in memory (a filter's object), named `name`.
    static Result<std::unique_ptr<KernelRunner>> load_image(std::span<const uint8_t> elf, const std::string& name,
                                                            const vm::Object& state, const std::string& prog);
    ~KernelRunner();
    KernelRunner(const KernelRunner&) = delete;
    KernelRunner& operator=(const KernelRunner&) = delete;

    // BPF_PROG_TEST_RUN of `packet`, `repeat` times in one call. The kernel
    // does not restore the packet between repetitions: each one sees what
    // the previous left.
    Result<KernelRun> run(std::span<const uint8_t> packet, uint32_t repeat) const;

    // Whether the kernel compiled the program to machine code (false: its
    // interpreter runs it, net.core.bpf_jit_enable=0).
    bool jited() const { return jited_; }

private:
    KernelRunner(bpf_object* obj, std::string prog) : obj_(obj), prog_(std::move(prog)) {}
    static Result<std::unique_ptr<KernelRunner>> load_opened(std::unique_ptr<KernelRunner> runner,
                                                             const std::string& name, const vm::Object& state);
    Status copy_global_data(const vm::Object& state);
    void prepare_as_xdp_loader(const vm::Object& state);
    Status copy_map_entries(const vm::Object& state);

    bpf_object* obj_;
    std::string prog_;
    std::vector<uint8_t> image_;  // libbpf reads an image opened from memory until the load
    int prog_fd_ = -1;
    bool jited_ = false;
};

}  // namespace xdpdk::cli
