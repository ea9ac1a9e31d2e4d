// Fixtures for the sample programs, shared by the pcap generator, the kernel
// differential tests and the benchmarks: how each sample's maps and globals
// are set up, which captures exercise it, and a packet that takes its main
// path (for timing).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "packet_builder.h"

namespace xdpdk::test {

using Bytes = std::vector<uint8_t>;

// One map element to set before running. Values of per-CPU maps are given
// for one CPU and copied to every slot.
struct MapEntry {
    std::string map;
    Bytes key;
    Bytes value;
};

struct GlobalSetting {
    std::string name;
    Bytes value;
};

struct SampleScenario {
    std::string name;     // unique, usable as a test name
    std::string object;   // sample: progs/<object>.o
    std::string program;  // function name of the entry program
    std::vector<GlobalSetting> globals;
    std::vector<MapEntry> entries;
    std::vector<std::string> pcaps;  // relative to the source tree
    uint32_t ingress_ifindex = 1;    // the kernel needs a real device; 1 is loopback
    // A frame of `frame_len` bytes that takes the program's main path.
    std::function<Bytes(size_t frame_len)> main_path_packet;
};

// Every sample program with its setup. Scenarios whose ingress must be a
// second device use `other_ifindex` (0: those scenarios are left out).
std::vector<SampleScenario> sample_scenarios(uint32_t other_ifindex);

// The generated captures (see gen_oracle_pcaps).
std::vector<Bytes> lb_traffic();
std::vector<Bytes> fw_traffic();
std::vector<Bytes> edge_case_traffic();

template <class T>
Bytes bytes_of(const T& v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    return Bytes(p, p + sizeof(T));
}

}  // namespace xdpdk::test
