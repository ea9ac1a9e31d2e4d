#include "fib_netns.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <tuple>
#include <utility>

namespace xdpdk::test {
namespace {

int run(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

// Namespaces of test processes that died before removing theirs.
void remove_orphans() {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/run/netns", ec)) {
        const std::string name = entry.path().filename();
        if (!name.starts_with("xdpdk-fib-")) continue;
        const std::string pid = name.substr(10);
        if (!std::filesystem::exists("/proc/" + pid)) run("ip netns del " + name);
    }
}

}  // namespace

TestNetns::TestNetns() : name_("xdpdk-fib-" + std::to_string(getpid())) {
    remove_orphans();
    run("ip netns del " + name_);
    ok_ = run("ip netns add " + name_) == 0;
}

TestNetns::~TestNetns() {
    leave();
    run("ip netns del " + name_);
}

std::string TestNetns::ip(const std::string& args) {
    const std::string cmd = "ip -n " + name_ + " " + args;
    return run(cmd) == 0 ? "" : "failed: " + cmd;
}

std::string TestNetns::sysctl(const std::string& setting) {
    const std::string cmd = "ip netns exec " + name_ + " sysctl -qw " + setting;
    return run(cmd) == 0 ? "" : "failed: " + cmd;
}

bool TestNetns::enter() {
    home_ = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    const int fd = open(("/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
    const bool entered = fd >= 0 && home_ >= 0 && setns(fd, CLONE_NEWNET) == 0;
    if (fd >= 0) close(fd);
    return entered;
}

void TestNetns::leave() {
    if (home_ < 0) return;
    if (setns(home_, CLONE_NEWNET) != 0) std::perror("setns back");
    close(home_);
    home_ = -1;
}

namespace {
// The topology: r0 (ingress, forwarding), r1 (MTU 1400), r2 (forwarding
// off), each a veth with its peer up so that routes through it are live.
const char* const kSetup[] = {
    "link set lo up",
    "link add r0 address 02:00:00:00:00:10 type veth peer name p0 address 02:00:00:00:00:11",
    "link add r1 address 02:00:00:00:01:10 mtu 1400 type veth peer name p1 address 02:00:00:00:01:11 mtu 1400",
    "link add r2 address 02:00:00:00:02:10 type veth peer name p2 address 02:00:00:00:02:11",
    "link set r0 up", "link set p0 up", "link set r1 up", "link set p1 up", "link set r2 up", "link set p2 up",
    "addr add 10.1.0.1/24 dev r0", "addr add 10.2.0.1/24 dev r1", "addr add 10.3.0.1/24 dev r2",
    "-6 addr add fd01::1/64 dev r0 nodad", "-6 addr add fd02::1/64 dev r1 nodad", "-6 addr add fd03::1/64 dev r2 nodad",
    "route add 10.10.0.0/16 via 10.2.0.2",
    "route add 10.10.5.0/24 via 10.1.0.2",
    "route add 10.11.0.0/16 via 10.2.0.3",
    "route add 10.12.0.0/16 via 10.2.0.2 mtu lock 1000",
    "route add 10.13.0.0/16 via 10.2.0.2 metric 7",
    "route add blackhole 10.20.0.0/16", "route add unreachable 10.21.0.0/16", "route add prohibit 10.22.0.0/16",
    "route add 10.30.0.0/16 via 10.2.0.2 table 100",
    "-6 route add fd10::/32 via fd02::2",
    "-6 route add fd10:5::/48 via fd01::2",
    "-6 route add fd11::/32 via fd02::3",
    "-6 route add fd12::/32 via fd02::2 mtu lock 1300",
    "-6 route add blackhole fd20::/32", "-6 route add unreachable fd21::/32", "-6 route add prohibit fd22::/32",
    "-6 route add fd30::/32 via fd02::2 table 100",
    "neigh add 10.1.0.2 lladdr 02:00:00:00:aa:01 dev r0 nud permanent",
    "neigh add 10.2.0.2 lladdr 02:00:00:00:aa:02 dev r1 nud permanent",
    "neigh add 10.2.0.9 lladdr 02:00:00:00:aa:09 dev r1 nud permanent",
    "neigh add 10.3.0.5 lladdr 02:00:00:00:aa:35 dev r2 nud permanent",
    "-6 neigh add fd01::2 lladdr 02:00:00:00:bb:01 dev r0 nud permanent",
    "-6 neigh add fd02::2 lladdr 02:00:00:00:bb:02 dev r1 nud permanent",
    "-6 neigh add fd02::9 lladdr 02:00:00:00:bb:09 dev r1 nud permanent",
    "-6 neigh add fd03::5 lladdr 02:00:00:00:bb:35 dev r2 nud permanent",
};

// The same table as xdpdk configuration, with the namespace's ifindexes.
}  // namespace

std::string fib_topology_toml(uint32_t r0, uint32_t r1, uint32_t r2) {
    auto s = [](uint32_t v) { return std::to_string(v); };
    std::string t;
    t += "[[interface]]\nifindex = " + s(r0) + "\nmac = \"02:00:00:00:00:10\"\nmtu = 1500\naddresses = [\"10.1.0.1\", \"fd01::1\"]\n";
    t += "[[interface]]\nifindex = " + s(r1) + "\nmac = \"02:00:00:00:01:10\"\nmtu = 1400\naddresses = [\"10.2.0.1\", \"fd02::1\"]\n";
    t += "[[interface]]\nifindex = " + s(r2) +
         "\nmac = \"02:00:00:00:02:10\"\nmtu = 1500\naddresses = [\"10.3.0.1\", \"fd03::1\"]\nforwarding = false\n";
    const std::pair<uint32_t, const char*> connected[] = {{r0, "1"}, {r1, "2"}, {r2, "3"}};
    for (const auto& [dev, n] : connected) {
        const std::string d = s(dev), x = n;
        // What `ip addr add` creates: the subnet, the local address and the
        // broadcast address (local table), and IPv6's subnet and address.
        t += "[[route]]\nprefix = \"10." + x + ".0.0/24\"\ndev = " + d + "\nsrc = \"10." + x + ".0.1\"\n";
        t += "[[route]]\nprefix = \"10." + x + ".0.1/32\"\ndev = " + d + "\ntype = \"local\"\ntable = 255\n";
        t += "[[route]]\nprefix = \"10." + x + ".0.255/32\"\ndev = " + d + "\ntype = \"broadcast\"\ntable = 255\n";
        t += "[[route]]\nprefix = \"fd0" + x + "::/64\"\ndev = " + d + "\nmetric = 256\n";
        t += "[[route]]\nprefix = \"fd0" + x + "::1/128\"\ndev = " + d + "\ntype = \"local\"\ntable = 255\nmetric = 0\n";
    }
    t += "[[route]]\nprefix = \"10.10.0.0/16\"\nvia = \"10.2.0.2\"\ndev = " + s(r1) + "\n";
    t += "[[route]]\nprefix = \"10.10.5.0/24\"\nvia = \"10.1.0.2\"\ndev = " + s(r0) + "\n";
    t += "[[route]]\nprefix = \"10.11.0.0/16\"\nvia = \"10.2.0.3\"\ndev = " + s(r1) + "\n";
    t += "[[route]]\nprefix = \"10.12.0.0/16\"\nvia = \"10.2.0.2\"\ndev = " + s(r1) + "\nmtu = 1000\n";
    t += "[[route]]\nprefix = \"10.13.0.0/16\"\nvia = \"10.2.0.2\"\ndev = " + s(r1) + "\nmetric = 7\n";
    t += "[[route]]\nprefix = \"10.20.0.0/16\"\ntype = \"blackhole\"\n";
    t += "[[route]]\nprefix = \"10.21.0.0/16\"\ntype = \"unreachable\"\n";
    t += "[[route]]\nprefix = \"10.22.0.0/16\"\ntype = \"prohibit\"\n";
    t += "[[route]]\nprefix = \"10.30.0.0/16\"\nvia = \"10.2.0.2\"\ndev = " + s(r1) + "\ntable = 100\n";
    t += "[[route]]\nprefix = \"fd10::/32\"\nvia = \"fd02::2\"\ndev = " + s(r1) + "\n";
    t += "[[route]]\nprefix = \"fd10:5::/48\"\nvia = \"fd01::2\"\ndev = " + s(r0) + "\n";
    t += "[[route]]\nprefix = \"fd11::/32\"\nvia = \"fd02::3\"\ndev = " + s(r1) + "\n";
    t += "[[route]]\nprefix = \"fd12::/32\"\nvia = \"fd02::2\"\ndev = " + s(r1) + "\nmtu = 1300\n";
    t += "[[route]]\nprefix = \"fd20::/32\"\ntype = \"blackhole\"\n";
    t += "[[route]]\nprefix = \"fd21::/32\"\ntype = \"unreachable\"\n";
    t += "[[route]]\nprefix = \"fd22::/32\"\ntype = \"prohibit\"\n";
    t += "[[route]]\nprefix = \"fd30::/32\"\nvia = \"fd02::2\"\ndev = " + s(r1) + "\ntable = 100\n";
    const std::tuple<const char*, const char*, uint32_t> neighbors[] = {
        {"10.1.0.2", "02:00:00:00:aa:01", r0}, {"10.2.0.2", "02:00:00:00:aa:02", r1},
        {"10.2.0.9", "02:00:00:00:aa:09", r1}, {"10.3.0.5", "02:00:00:00:aa:35", r2},
        {"fd01::2", "02:00:00:00:bb:01", r0},  {"fd02::2", "02:00:00:00:bb:02", r1},
        {"fd02::9", "02:00:00:00:bb:09", r1},  {"fd03::5", "02:00:00:00:bb:35", r2},
    };
    for (const auto& [ip, mac, dev] : neighbors)
        t += "[[neighbor]]\nip = \"" + std::string(ip) + "\"\nmac = \"" + mac + "\"\ndev = " + s(dev) + "\n";
    return t;
}


std::string build_fib_topology(TestNetns& ns) {
    for (const char* c : kSetup)
        if (std::string e = ns.ip(c); !e.empty()) return e;
    for (const char* s : {"net.ipv4.conf.all.forwarding=1", "net.ipv6.conf.all.forwarding=1",
                          "net.ipv4.conf.r2.forwarding=0", "net.ipv6.conf.r2.forwarding=0"})
        if (std::string e = ns.sysctl(s); !e.empty()) return e;
    return "";
}

}  // namespace xdpdk::test
