// Ethdev set-up for `xdpdk run`: which ports exist, the exception taps,
// the mbuf pool sized from the ports and queues, queue configuration and the
// orderly stop (drain, stop, close).
#pragma once

#include <cstdint>
#include <string>

#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "vm/error.h"

namespace xdpdk::dataplane {

// "0 (net_pcap0), 1 (net_ring0)", or "none", for errors about unknown ports.
std::string describe_ports();
std::string port_name(uint16_t port);
Status check_port_exists(uint16_t port, const std::string& subject);

// Probes a net_tap vdev whose host interface is `iface` and returns its port.
Result<uint16_t> create_tap_port(uint16_t for_port, const std::string& iface);

struct PortQueues {
    uint16_t rx = 1;  // wanted; configure_port lowers it to what the device has
    uint16_t tx = 1;
    uint16_t rx_desc = 1024;
    uint16_t tx_desc = 1024;
};

// The queue counts a port will get (the device's limits applied).
Result<PortQueues> fit_queues(uint16_t port, PortQueues wanted);

// Every mbuf carries kExtraHeadroom of private area (see dp_mbuf_xdp.h);
// with its buffer that makes a kernel-sized XDP frame (a 4096-byte page).
// The pool's memory is on `socket` (a NUMA node), where the ports that
// receive into it sit. `page_objects`: every mempool object, headers
// included, fits in a 4096-byte page (AF_XDP umem chunks cannot be larger),
// for a little less packet room.
Result<rte_mempool*> create_mbuf_pool(uint32_t mbufs, uint32_t cache, int socket, bool page_objects);

// Whether the port's driver receives into mempool objects as AF_XDP umem
// chunks (net_af_xdp), which must fit in a page.
bool needs_page_objects(uint16_t port);

// The NUMA node a port's queues and mbufs belong on: the device's, or the
// main lcore's for devices without one (virtual devices).
int port_socket(uint16_t port);

// Configures queues (RSS across several rx queues when the device has it),
// sets them up on `pool` and starts the port.
Status configure_port(uint16_t port, const PortQueues& queues, rte_mempool* pool);

// After the workers stopped: receives and frees what is left in the rx
// rings of devices whose rings hold our own mbufs and which nothing else
// frees (net_ring: what was sent into it and not yet read), a bounded number
// of bursts per queue; returns how many packets it freed. Other devices
// release their rings on stop, and reading them would only pull in new
// packets (a pcap file, a NIC).
uint64_t drain_port(uint16_t port, uint16_t rx_queues, uint32_t max_bursts);

// Stops and closes the port; the PMD releases the mbufs it holds.
void stop_and_close_port(uint16_t port);

}  // namespace xdpdk::dataplane
