#include "kernel_runner.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <vector>

#include "vm/map.h"
#include "vm/program.h"

namespace xdpdk::cli {
namespace {

std::string errno_text(int err) {
    if (err < 0) err = -err;
    std::string text = std::strerror(err);
    text += " (errno " + std::to_string(err) + ")";
    // The verifier refuses with EACCES too; only a process without the
    // rights is told about them.
    if ((err == EPERM || err == EACCES) && geteuid() != 0) text += "; needs root or CAP_BPF";
    return text;
}

// libbpf's messages while loading; the first warning usually names the cause
// (the map it could not create, the program the verifier refused).
std::string g_libbpf_first_warning;

int capture_first_warning(enum libbpf_print_level level, const char* fmt, va_list args) {
    if (level == LIBBPF_DEBUG || !g_libbpf_first_warning.empty()) return 0;
    char buf[512];
    const int n = std::vsnprintf(buf, sizeof buf, fmt, args);
    if (n <= 0) return n;
    std::string line(buf);
    while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
    g_libbpf_first_warning = line;
    return n;
}

// Routes libbpf's printing into g_libbpf_first_warning while it exists, so
// the bench output stays one table.
class LibbpfQuiet {
public:
    LibbpfQuiet() {
        g_libbpf_first_warning.clear();
        previous_ = libbpf_set_print(capture_first_warning);
    }
    ~LibbpfQuiet() { libbpf_set_print(previous_); }
    LibbpfQuiet(const LibbpfQuiet&) = delete;
    LibbpfQuiet& operator=(const LibbpfQuiet&) = delete;

    std::string with_warning(std::string reason) const {
        if (!g_libbpf_first_warning.empty()) reason += " (" + g_libbpf_first_warning + ")";
        return reason;
    }

private:
    libbpf_print_fn_t previous_;
};

bool all_zero(const std::vector<uint8_t>& bytes) {
    return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
}

// The VM's user-side per-CPU value laid out for the kernel's possible CPUs.
std::vector<uint8_t> percpu_for_kernel(const vm::Map& map, const std::vector<uint8_t>& vm_value, uint32_t kernel_cpus) {
    const size_t stride = (map.spec().value_size + 7) & ~size_t{7};
    std::vector<uint8_t> out(kernel_cpus * stride, 0);
    for (uint32_t cpu = 0; cpu < kernel_cpus; ++cpu) {
        const uint32_t from = cpu < map.ncpus() ? cpu : 0;
        std::memcpy(out.data() + cpu * stride, vm_value.data() + from * stride, stride);
    }
    return out;
}

}  // namespace

Result<std::unique_ptr<KernelRunner>> KernelRunner::load(const std::string& path, const vm::Object& state,
                                                         const std::string& prog) {
    LibbpfQuiet quiet;
    bpf_object* obj = bpf_object__open_file(path.c_str(), nullptr);
    if (obj == nullptr) {
        const int err = errno;
        return make_error("kernel", quiet.with_warning("libbpf cannot open '" + path + "': " + errno_text(err)));
    }
    return load_opened(std::unique_ptr<KernelRunner>(new KernelRunner(obj, prog)), path, state);
}

Result<std::unique_ptr<KernelRunner>> KernelRunner::load_image(std::span<const uint8_t> elf, const std::string& name,
                                                               const vm::Object& state, const std::string& prog) {
    LibbpfQuiet quiet;
    std::vector<uint8_t> image(elf.begin(), elf.end());
    bpf_object_open_opts opts{};
    opts.sz = sizeof opts;
    opts.object_name = name.c_str();
    bpf_object* obj = bpf_object__open_mem(image.data(), image.size(), &opts);
    if (obj == nullptr) {
        const int err = errno;
        return make_error("kernel", quiet.with_warning("libbpf cannot open " + name + ": " + errno_text(err)));
    }
    std::unique_ptr<KernelRunner> runner(new KernelRunner(obj, prog));
    runner->image_ = std::move(image);
    return load_opened(std::move(runner), name, state);
}

Result<std::unique_ptr<KernelRunner>> KernelRunner::load_opened(std::unique_ptr<KernelRunner> runner,
                                                                const std::string& name, const vm::Object& state) {
    LibbpfQuiet quiet;
    XDPDK_RETURN_IF_ERROR(runner->copy_global_data(state));
    runner->prepare_as_xdp_loader(state);
    const int rc = bpf_object__load(runner->obj_);
    if (rc != 0) return make_error("kernel", quiet.with_warning("bpf_object__load: " + errno_text(rc)));
    const std::string& prog = runner->prog_;
    const bpf_program* p = bpf_object__find_program_by_name(runner->obj_, prog.c_str());
    if (p == nullptr) return make_error("kernel", "libbpf finds no program '" + prog + "' in '" + name + "'");
    runner->prog_fd_ = bpf_program__fd(p);
    XDPDK_RETURN_IF_ERROR(runner->copy_map_entries(state));
    bpf_prog_info info{};
    uint32_t info_len = sizeof info;
    if (bpf_obj_get_info_by_fd(runner->prog_fd_, &info, &info_len) == 0) runner->jited_ = info.jited_prog_len > 0;
    return runner;
}

KernelRunner::~KernelRunner() { bpf_object__close(obj_); }

// What a root XDP loader does before load: only the programs the VM loaded
// (the one that runs and those its prog arrays get) are loaded, as
// xdp-loader loads only what it attaches; programs in sections libbpf has no
// type for load as XDP (libxdp's rule), with the attach type their section
// gives them; maps take the sizes the VM's object was given (--map-size,
// per-CPU-indexed maps of 0).
void KernelRunner::prepare_as_xdp_loader(const vm::Object& state) {
    bpf_program* p;
    bpf_object__for_each_program(p, obj_) {
        const std::string name = bpf_program__name(p);
        bool loaded_in_vm = false;
        for (const auto& prog : state.programs()) loaded_in_vm |= prog->name == name && !prog->insns.empty();
        bpf_program__set_autoload(p, loaded_in_vm);
        if (!loaded_in_vm || bpf_program__type(p) != BPF_PROG_TYPE_UNSPEC) continue;
        bpf_program__set_type(p, BPF_PROG_TYPE_XDP);
        const vm::SectionKind kind = vm::classify_section(bpf_program__section_name(p));
        if (kind.attach == vm::XdpAttach::Devmap) bpf_program__set_expected_attach_type(p, BPF_XDP_DEVMAP);
        if (kind.attach == vm::XdpAttach::Cpumap) bpf_program__set_expected_attach_type(p, BPF_XDP_CPUMAP);
    }
    bpf_map* map;
    bpf_object__for_each_map(map, obj_) {
        if (bpf_map__is_internal(map)) continue;
        const vm::Map* source = state.find_map(bpf_map__name(map));
        if (source != nullptr && source->spec().max_entries != bpf_map__max_entries(map))
            bpf_map__set_max_entries(map, source->spec().max_entries);
    }
}

Status KernelRunner::copy_global_data(const vm::Object& state) {
    bpf_map* map;
    bpf_object__for_each_map(map, obj_) {
        if (!bpf_map__is_internal(map)) continue;
        const vm::Map* source = state.find_map(bpf_map__name(map));
        if (source == nullptr) continue;  // .kconfig and the like: the kernel fills them
        const std::string subject = "kernel map '" + std::string(bpf_map__name(map)) + "'";
        if (source->spec().value_size != bpf_map__value_size(map))
            return make_error(subject, "is " + std::to_string(bpf_map__value_size(map)) + " bytes, the VM's " +
                                           std::to_string(source->spec().value_size));
        std::vector<uint8_t> value(source->user_value_size());
        const uint32_t key = 0;
        if (source->user_lookup(&key, value.data()) != 0) return make_error(subject, "the VM has no value for it");
        const int rc = bpf_map__set_initial_value(map, value.data(), value.size());
        if (rc != 0) return make_error(subject, "bpf_map__set_initial_value: " + errno_text(rc));
    }
    return {};
}

Status KernelRunner::copy_map_entries(const vm::Object& state) {
    const int possible = libbpf_num_possible_cpus();
    const uint32_t kernel_cpus = possible > 0 ? static_cast<uint32_t>(possible) : 1;
    bpf_map* map;
    bpf_object__for_each_map(map, obj_) {
        if (bpf_map__is_internal(map)) continue;
        const vm::Map* source = state.find_map(bpf_map__name(map));
        if (source == nullptr) continue;
        const std::string subject = "kernel map '" + std::string(bpf_map__name(map)) + "'";
        const int fd = bpf_map__fd(map);
        if (source->type() == vm::MapType::ProgArray) {
            for (uint32_t index = 0; index < source->spec().max_entries; ++index) {
                const vm::Program* target = source->program_at(index);
                if (target == nullptr) continue;
                const bpf_program* p = bpf_object__find_program_by_name(obj_, target->name.c_str());
                const int prog_fd = p != nullptr ? bpf_program__fd(p) : -1;
                if (prog_fd < 0) return make_error(subject, "program '" + target->name + "' is not loaded");
                const int rc = bpf_map_update_elem(fd, &index, &prog_fd, BPF_ANY);
                if (rc != 0) return make_error(subject, "slot " + std::to_string(index) + ": " + errno_text(rc));
            }
            continue;
        }
        const bool array = source->type() == vm::MapType::Array || source->type() == vm::MapType::PercpuArray;
        std::vector<uint8_t> key(source->spec().key_size), next(key.size()), value(source->user_value_size());
        for (const void* prev = nullptr; source->next_key(prev, next.data()) == 0; prev = key.data()) {
            key = next;
            if (source->user_lookup(key.data(), value.data()) != 0) continue;
            if (array && all_zero(value)) continue;  // the kernel's arrays start zeroed
            const auto kernel_value = source->percpu() ? percpu_for_kernel(*source, value, kernel_cpus) : value;
            const int rc = bpf_map_update_elem(fd, key.data(), kernel_value.data(), BPF_ANY);
            if (rc != 0) return make_error(subject, "update: " + errno_text(rc));
        }
    }
    return {};
}

Result<KernelRun> KernelRunner::run(std::span<const uint8_t> packet, uint32_t repeat) const {
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = packet.data(),
                .data_size_in = static_cast<uint32_t>(packet.size()), .repeat = static_cast<int>(repeat));
    const int rc = bpf_prog_test_run_opts(prog_fd_, &opts);
    if (rc != 0) return make_error("kernel prog '" + prog_ + "'", "BPF_PROG_TEST_RUN: " + errno_text(rc));
    return KernelRun{opts.retval, opts.duration};
}

}  // namespace xdpdk::cli
