// What the differential tests against the kernel share: both runtimes opened
// on one object and set up alike, one packet run through both and compared
// (verdict, bytes, metadata), and every map compared after a run.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kernel_oracle.h"
#include "tests/tools/sample_scenarios.h"
#include "vm/engine.h"
#include "vm/map.h"
#include "vm/object.h"
#include "vm/packet.h"

namespace xdpdk::test {

#define SKIP_WITHOUT_KERNEL()                                                                  \
    do {                                                                                       \
        if (!::xdpdk::test::kernel_unavailable_reason().empty())                               \
            GTEST_SKIP() << "kernel oracle unavailable: " << ::xdpdk::test::kernel_unavailable_reason(); \
    } while (0)

// Stop reporting a capture's packet mismatches after this many.
constexpr int kMaxReportedMismatches = 5;

std::string hex(std::span<const uint8_t> b, size_t from = 0, size_t max = 32);
// "" when equal, else where and how they differ.
std::string bytes_diff(std::span<const uint8_t> kernel, std::span<const uint8_t> vm);
Bytes per_cpu_value(const Bytes& one, uint32_t ncpus);
// Sum of each 8-byte lane over the CPU slots (values padded to 8 bytes).
Bytes sum_cpu_slots(const Bytes& all, uint32_t value_size, uint32_t ncpus);
std::vector<Bytes> read_pcap(const std::string& rel);
// A device other than loopback, for runs whose ingress must differ (0: none).
uint32_t other_ifindex();
MapDump dump_vm_map(const vm::Map& map);
// Compares every kernel map (but prog arrays) with the VM map of that name.
void expect_same_maps(const std::vector<MapDump>& kernel_maps, const vm::Object& obj, bool exact_percpu,
                      const std::string& when);

// Both runtimes with one object, set up the same way.
class DualRuntime {
public:
    // Returns "" on success, else what failed.
    std::string open(const std::string& path, const std::vector<GlobalSetting>& globals,
                     const std::vector<MapEntry>& entries) {
        const uint32_t ncpus = kernel_possible_cpus();
        auto kobj = KernelObject::open(path, target_btf);
        if (!kobj) return kobj.error().str();
        kernel = std::move(kobj.value());
        vm::ObjectOptions opts;
        opts.ncpus = ncpus;
        opts.engine = engine;
        opts.map_sizes = map_sizes;
        opts.target_btf = target_btf;
        for (const auto& [map, size] : map_sizes)
            if (auto st = kernel->set_map_size(map, size); !st) return st.error().str();
        auto vobj = vm::Object::open(path, opts);
        if (!vobj) return "vm: " + vobj.error().str();
        vm_obj = std::move(vobj.value());
        for (const auto& g : globals) {
            if (auto st = kernel->set_global(g.name, g.value); !st) return st.error().str();
            if (auto st = vm_obj->set_global(g.name, g.value); !st) return "vm: " + st.error().str();
        }
        if (auto st = kernel->load(); !st) return st.error().str();
        if (auto st = vm_obj->load(); !st) return "vm: " + st.error().str();
        for (const auto& e : entries) {
            vm::Map* map = vm_obj->find_map(e.map);
            if (map == nullptr) return "vm: no map '" + e.map + "'";
            const Bytes value = map->percpu() ? per_cpu_value(e.value, ncpus) : e.value;
            if (auto st = kernel->map_update(e.map, e.key, value); !st) return st.error().str();
            if (const long rc = map->user_update(e.key.data(), value.data(), vm::kAny); rc != 0)
                return "vm: map '" + e.map + "' update failed: " + std::strerror(static_cast<int>(-rc));
        }
        return "";
    }

    std::string select_program(const std::string& name) {
        auto prog = vm_obj->find_program(name);
        if (!prog) return "vm: " + prog.error().str();
        vm_prog = prog.value();
        program = name;
        return "";
    }

    struct Outcome {
        XdpRun kernel;
        uint32_t vm_action = 0;
        Bytes vm_data;
        Bytes vm_meta;
    };

    // "" when both runs agree; otherwise what differs.
    std::string run_and_compare(std::span<const uint8_t> packet, const XdpRunOptions& opts, uint32_t vm_cpu,
                                Outcome* outcome = nullptr) {
        auto k = kernel->run_xdp(program, packet, opts);
        if (!k) return k.error().str();
        vm::PacketFrame frame(packet, opts.ingress_ifindex, opts.rx_queue);
        vm::ExecContext ex;
        ex.cpu = vm_cpu;
        ex.trace = trace;
        ex.fib = fib;
        const uint32_t vm_action = static_cast<uint32_t>(vm::run_xdp(*vm_prog, frame.xdp(), ex));
        std::string diff;
        if (k->action != vm_action)
            diff += std::string("action: kernel ") + std::to_string(k->action) + ", vm " + std::to_string(vm_action) +
                    (ex.fault ? std::string(" (vm fault: ") + ex.fault + ")" : "") + "; ";
        if (auto d = bytes_diff(k->data, frame.data()); !d.empty()) diff += "packet: " + d + "; ";
        if (auto d = bytes_diff(k->meta, frame.meta()); !d.empty()) diff += "metadata: " + d + "; ";
        if (outcome) {
            outcome->kernel = k.value();
            outcome->vm_action = vm_action;
            outcome->vm_data.assign(frame.data().begin(), frame.data().end());
            outcome->vm_meta.assign(frame.meta().begin(), frame.meta().end());
        }
        return diff;
    }

    void expect_same_maps(bool exact_percpu, const std::string& when) const {
        auto dumps = kernel->dump_maps();
        ASSERT_TRUE(dumps.ok()) << dumps.error().str();
        test::expect_same_maps(dumps.value(), *vm_obj, exact_percpu, when);
    }

    std::vector<std::pair<std::string, uint32_t>> map_sizes;  // set before open()
    vm::EngineKind engine = vm::EngineKind::Jit;               // set before open()
    std::string target_btf;  // set before open(): CO-RE's target BTF for both ("": each its default)
    vm::TraceSink* trace = nullptr;                            // the VM's bpf_printk lines
    const vm::Fib* fib = nullptr;                              // the VM's routes (bpf_fib_lookup)
    std::unique_ptr<KernelObject> kernel;
    std::unique_ptr<vm::Object> vm_obj;
    vm::Program* vm_prog = nullptr;
    std::string program;
};


}  // namespace xdpdk::test
