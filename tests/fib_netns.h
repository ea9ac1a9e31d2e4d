// A network namespace of a test's (or benchmark's) own, and the routing
// topology the FIB tests and benchmarks build in it: veth devices r0 (the
// ingress), r1 (MTU 1400) and r2 (forwarding off) with addresses, routes
// (gateway, on-link, locked MTU, metric, blackhole, unreachable, prohibit,
// table 100) and neighbours, some missing on purpose; and the same table as
// xdpdk's [[interface]]/[[route]]/[[neighbor]] TOML.
#pragma once

#include <cstdint>
#include <string>

namespace xdpdk::test {

// Removed on destruction (and namespaces of dead test processes at
// construction). While entered, the calling thread (and so its
// BPF_PROG_TEST_RUN ingress device lookups) lives in it.
class TestNetns {
public:
    TestNetns();
    ~TestNetns();
    TestNetns(const TestNetns&) = delete;
    TestNetns& operator=(const TestNetns&) = delete;
    bool ok() const { return ok_; }
    // Runs `ip ARGS` inside; "" on success.
    std::string ip(const std::string& args);
    std::string sysctl(const std::string& setting);
    bool enter();
    void leave();

private:
    std::string name_;
    bool ok_ = false;
    int home_ = -1;
};

// Builds the topology in `ns`; "" on success, else the command that failed.
std::string build_fib_topology(TestNetns& ns);

// The topology's table as xdpdk TOML, with the namespace's ifindexes.
std::string fib_topology_toml(uint32_t r0, uint32_t r1, uint32_t r2);

}  // namespace xdpdk::test
