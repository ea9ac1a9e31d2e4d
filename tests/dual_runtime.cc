#include "dual_runtime.h"

#include <gtest/gtest.h>
#include <net/if.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "dataplane/replay/pcap_io.h"
#include "test_support.h"
#include "vm/map.h"

namespace xdpdk::test {

std::string hex(std::span<const uint8_t> b, size_t from, size_t max) {
    std::string s;
    char buf[4];
    for (size_t i = from; i < b.size() && i < from + max; ++i) {
        std::snprintf(buf, sizeof buf, "%02x", b[i]);
        s += buf;
    }
    if (b.size() > from + max) s += "...";
    return s;
}

// "" when equal, else where and how they differ.
std::string bytes_diff(std::span<const uint8_t> kernel, std::span<const uint8_t> vm) {
    if (std::equal(kernel.begin(), kernel.end(), vm.begin(), vm.end())) return "";
    size_t i = 0;
    while (i < kernel.size() && i < vm.size() && kernel[i] == vm[i]) ++i;
    std::ostringstream out;
    out << "kernel " << kernel.size() << " bytes, vm " << vm.size() << " bytes; first difference at offset " << i
        << ": kernel " << hex(kernel, i, 16) << " vs vm " << hex(vm, i, 16);
    return out.str();
}

Bytes per_cpu_value(const Bytes& one, uint32_t ncpus) {
    const size_t stride = (one.size() + 7) & ~size_t{7};
    Bytes all(stride * ncpus, 0);
    for (uint32_t c = 0; c < ncpus; ++c) std::copy(one.begin(), one.end(), all.begin() + c * stride);
    return all;
}

// Sum of each 8-byte lane over the CPU slots (values padded to 8 bytes).
Bytes sum_cpu_slots(const Bytes& all, uint32_t value_size, uint32_t ncpus) {
    const size_t stride = (value_size + 7) & ~size_t{7};
    Bytes sum(stride, 0);
    for (size_t lane = 0; lane + 8 <= stride; lane += 8) {
        uint64_t total = 0;
        for (uint32_t c = 0; c < ncpus && (c + 1) * stride <= all.size(); ++c) {
            uint64_t v;
            std::memcpy(&v, all.data() + c * stride + lane, 8);
            total += v;
        }
        std::memcpy(sum.data() + lane, &total, 8);
    }
    return sum;
}

std::vector<Bytes> read_pcap(const std::string& rel) {
    std::vector<Bytes> frames;
    auto reader = cli::PcapReader::open(source_path(rel));
    if (!reader) {
        ADD_FAILURE() << reader.error().str();
        return frames;
    }
    for (;;) {
        auto pkt = reader.value()->next();
        if (!pkt) {
            ADD_FAILURE() << pkt.error().str();
            break;
        }
        if (!pkt.value()) break;
        frames.emplace_back(pkt.value()->bytes.begin(), pkt.value()->bytes.end());
    }
    return frames;
}

// A device other than loopback, for runs whose ingress must differ (0: none).
uint32_t other_ifindex() {
    uint32_t found = 0;
    struct if_nameindex* names = if_nameindex();
    if (names == nullptr) return 0;
    for (struct if_nameindex* n = names; n->if_index != 0; ++n) {
        if (n->if_index != 1) {
            found = n->if_index;
            break;
        }
    }
    if_freenameindex(names);
    return found;
}

MapDump dump_vm_map(const vm::Map& map) {
    MapDump dump;
    dump.name = map.name();
    dump.type = map.spec().type;
    dump.key_size = map.spec().key_size;
    dump.value_size = map.spec().value_size;
    dump.percpu = map.percpu();
    if (Bytes all; map.user_elements(all) == 0) {  // a queue or stack
        for (uint32_t i = 0; (i + 1) * size_t{dump.value_size} <= all.size(); ++i)
            dump.entries[Bytes(reinterpret_cast<const uint8_t*>(&i), reinterpret_cast<const uint8_t*>(&i) + sizeof i)] =
                Bytes(all.begin() + i * size_t{dump.value_size}, all.begin() + (i + 1) * size_t{dump.value_size});
        return dump;
    }
    Bytes key(dump.key_size), next(dump.key_size), value(map.user_value_size());
    const void* prev = nullptr;
    const bool map_of_maps = vm::is_map_of_maps(dump.type);
    while (map.next_key(prev, next.data()) == 0) {
        key = next;
        prev = key.data();
        if (map.user_lookup(key.data(), value.data()) != 0) continue;
        if (!map_of_maps) {
            dump.entries[key] = value;
            continue;
        }
        // An inner map by name, as the kernel's dump gives it.
        uint32_t id;
        std::memcpy(&id, value.data(), sizeof id);
        const auto inner = vm::find_map_by_id(id);
        dump.entries[key] = inner_map_name_bytes(inner ? inner->name() : "?id" + std::to_string(id));
    }
    return dump;
}

// Compares every kernel map (but prog arrays) with the VM map of that name.
void expect_same_maps(const std::vector<MapDump>& kernel_maps, const vm::Object& obj, bool exact_percpu,
                      const std::string& when) {
    std::vector<std::string> vm_names;
    for (const auto& m : obj.maps())
        if (m->type() != vm::MapType::ProgArray) vm_names.push_back(m->name());
    for (const auto& km : kernel_maps) {
        const vm::Map* map = obj.find_map(km.name);
        if (map == nullptr) {
            std::string names;
            for (const auto& n : vm_names) names += " " + n;
            ADD_FAILURE() << when << ": the VM has no map '" << km.name << "' (VM maps:" << names << ")";
            continue;
        }
        std::erase(vm_names, km.name);
        MapDump vm_dump = dump_vm_map(*map);
        EXPECT_EQ(vm_dump.key_size, km.key_size) << when << ": map " << km.name;
        EXPECT_EQ(vm_dump.value_size, km.value_size) << when << ": map " << km.name;
        int reported = 0;
        for (const auto& [key, kvalue] : km.entries) {
            auto it = vm_dump.entries.find(key);
            if (it == vm_dump.entries.end()) {
                if (reported++ < kMaxReportedMismatches)
                    ADD_FAILURE() << when << ": map " << km.name << " key " << hex(key) << " is in the kernel only";
                continue;
            }
            Bytes kv = kvalue, vv = it->second;
            if (km.percpu && !exact_percpu) {
                kv = sum_cpu_slots(kv, km.value_size, kernel_possible_cpus());
                vv = sum_cpu_slots(vv, km.value_size, kernel_possible_cpus());
            }
            const std::string diff = bytes_diff(kv, vv);
            if (!diff.empty() && reported++ < kMaxReportedMismatches)
                ADD_FAILURE() << when << ": map " << km.name << " key " << hex(key) << ": " << diff;
            vm_dump.entries.erase(it);
        }
        for (const auto& [key, value] : vm_dump.entries)
            if (reported++ < kMaxReportedMismatches)
                ADD_FAILURE() << when << ": map " << km.name << " key " << hex(key) << " is in the VM only";
    }
    for (const auto& n : vm_names) ADD_FAILURE() << when << ": map '" << n << "' exists in the VM only";
}

}  // namespace xdpdk::test
