#include "run_fib.h"

#include <rte_ethdev.h>

#include <algorithm>

#include "fib_config.h"

namespace xdpdk::cli {
namespace {

std::vector<vm::FibDevice> port_devices(const RunConfig& config) {
    std::vector<vm::FibDevice> out;
    uint16_t id;
    RTE_ETH_FOREACH_DEV(id) {
        vm::FibDevice d;
        d.ifindex = port_ifindex(config, id);
        rte_ether_addr mac{};
        if (rte_eth_macaddr_get(id, &mac) == 0) std::copy(mac.addr_bytes, mac.addr_bytes + 6, d.mac.begin());
        uint16_t mtu = 0;
        if (rte_eth_dev_get_mtu(id, &mtu) == 0 && mtu != 0) d.mtu = mtu;
        out.push_back(d);
    }
    return out;
}

// `over` replaces the device of the same ifindex in `devices`, or joins them.
void overlay(std::vector<vm::FibDevice>& devices, const vm::FibDevice& over, bool keep_host_state) {
    auto it = std::find_if(devices.begin(), devices.end(), [&](const vm::FibDevice& d) { return d.ifindex == over.ifindex; });
    if (it == devices.end()) {
        devices.push_back(over);
        return;
    }
    if (keep_host_state) {
        // A port standing for a host device: the port's MAC and MTU, the
        // host's forwarding switches and addresses.
        it->mac = over.mac;
        it->mtu = over.mtu;
    } else {
        *it = over;
    }
}

void add_config(vm::FibEntries& e, const vm::FibEntries& config) {
    for (const vm::FibDevice& d : config.devices) overlay(e.devices, d, false);
    e.routes.insert(e.routes.end(), config.routes.begin(), config.routes.end());
    e.neighbors.insert(e.neighbors.end(), config.neighbors.begin(), config.neighbors.end());
}

}  // namespace

uint32_t port_ifindex(const RunConfig& config, uint16_t id) {
    uint32_t ifindex = id + 1u;
    for (const IfindexSpec& f : config.ifindex)
        if (f.port == id) ifindex = f.ifindex;
    return ifindex;
}

Result<std::unique_ptr<RunFib>> RunFib::start(const RunConfig& config) {
    std::unique_ptr<RunFib> f(new RunFib);
    FibConfig tables = config.fib;
    const bool host = config.fib_source == "host";
    if (!host && !config.fib_source.empty()) {
        XDPDK_ASSIGN_OR_RETURN(FibConfig more, load_fib_config(config.fib_source));
        const size_t routes = tables.entries.routes.size(), neighbors = tables.entries.neighbors.size();
        for (auto [i, port] : more.route_ports) tables.route_ports.emplace_back(i + routes, port);
        for (auto [i, port] : more.neighbor_ports) tables.neighbor_ports.emplace_back(i + neighbors, port);
        add_config(tables.entries, more.entries);
    }
    resolve_ports(tables, [&](uint16_t port) { return port_ifindex(config, port); });
    const std::vector<vm::FibDevice> ports = port_devices(config);
    if (host) {
        auto adjust = [ports, extra = tables.entries](vm::FibEntries& e) {
            for (const vm::FibDevice& p : ports) overlay(e.devices, p, true);
            add_config(e, extra);
        };
        XDPDK_ASSIGN_OR_RETURN(f->mirror_, fib::HostFibMirror::start(f->fib_, adjust));
        return f;
    }
    vm::FibEntries e;
    e.devices = ports;
    add_config(e, tables.entries);
    f->fib_.publish(std::make_unique<vm::FibTable>(std::move(e)));
    return f;
}

}  // namespace xdpdk::cli
