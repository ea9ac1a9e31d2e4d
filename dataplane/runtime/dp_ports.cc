#include "dp_ports.h"

#include <algorithm>
#include <cstring>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "dp_mbuf_xdp.h"

namespace xdpdk::dataplane {
namespace {

// The kernel's XDP buffer is a page: 256 bytes of headroom, the packet, and
// the 320-byte tail reserve, so at most 3520 bytes of packet in one buffer.
// Each mbuf here is the same page (private area + buffer); longer frames
// arrive in several segments.
constexpr uint32_t kXdpFrameSize = 4096;
constexpr uint64_t kRssHashes = RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP;

std::string errno_text(int err) { return rte_strerror(err < 0 ? -err : err); }

}  // namespace

std::string port_name(uint16_t port) {
    char name[RTE_ETH_NAME_MAX_LEN];
    if (rte_eth_dev_get_name_by_port(port, name) != 0) return "?";
    return name;
}

std::string describe_ports() {
    std::string text;
    uint16_t port;
    RTE_ETH_FOREACH_DEV(port) {
        if (!text.empty()) text += ", ";
        text += std::to_string(port) + " (" + port_name(port) + ")";
    }
    return text.empty() ? "none" : text;
}

Status check_port_exists(uint16_t port, const std::string& subject) {
    if (rte_eth_dev_is_valid_port(port)) return {};
    return make_error(subject, "no port " + std::to_string(port) + " (ports: " + describe_ports() +
                                   "; add devices with --vdev or bind NICs to vfio-pci)");
}

Result<uint16_t> create_tap_port(uint16_t for_port, const std::string& iface) {
    const std::string name = "net_tap_xdpdk" + std::to_string(for_port);
    const std::string devargs = name + ",iface=" + iface;
    const std::string subject = "--pass " + std::to_string(for_port) + "=tap";
    const int rc = rte_dev_probe(devargs.c_str());
    if (rc != 0) return make_error(subject, "cannot create tap '" + iface + "': " + errno_text(rc));
    uint16_t port;
    if (rte_eth_dev_get_port_by_name(name.c_str(), &port) != 0)
        return make_error(subject, "tap '" + iface + "' was created but has no port");
    return port;
}

Result<PortQueues> fit_queues(uint16_t port, PortQueues wanted) {
    rte_eth_dev_info info{};
    const int rc = rte_eth_dev_info_get(port, &info);
    if (rc != 0) return make_error("port " + std::to_string(port), "no device info: " + errno_text(rc));
    PortQueues q = wanted;
    q.rx = std::min(wanted.rx, info.max_rx_queues);
    q.tx = std::max<uint16_t>(1, std::min(wanted.tx, info.max_tx_queues));
    if (info.max_tx_queues == 0)
        return make_error("port " + std::to_string(port) + " (" + port_name(port) + ")", "device has no tx queue");
    const int adj = rte_eth_dev_adjust_nb_rx_tx_desc(port, &q.rx_desc, &q.tx_desc);
    if (adj != 0) return make_error("port " + std::to_string(port), "descriptor counts: " + errno_text(adj));
    return q;
}

int port_socket(uint16_t port) {
    const int socket = rte_eth_dev_socket_id(port);
    return socket >= 0 ? socket : static_cast<int>(rte_socket_id());
}

bool needs_page_objects(uint16_t port) {
    rte_eth_dev_info info{};
    return rte_eth_dev_info_get(port, &info) == 0 && info.driver_name != nullptr &&
           std::strcmp(info.driver_name, "net_af_xdp") == 0;
}

namespace {

// The largest data room whose mempool object (object header, mbuf, private
// area, buffer, and any padding rte_mempool adds) fits in a page.
uint16_t page_fit_data_room() {
    uint32_t room = kXdpFrameSize - kExtraHeadroom - sizeof(rte_mbuf);
    for (; room > RTE_PKTMBUF_HEADROOM; room -= RTE_CACHE_LINE_SIZE) {
        rte_mempool_objsz size{};
        rte_mempool_calc_obj_size(sizeof(rte_mbuf) + kExtraHeadroom + room, 0, &size);
        if (size.total_size <= kXdpFrameSize) break;
    }
    return static_cast<uint16_t>(room);
}

}  // namespace

Result<rte_mempool*> create_mbuf_pool(uint32_t mbufs, uint32_t cache, int socket, bool page_objects) {
    cache = std::min<uint32_t>({cache, RTE_MEMPOOL_CACHE_MAX_SIZE, static_cast<uint32_t>(mbufs / 1.5)});
    const uint16_t data_room = page_objects ? page_fit_data_room() : kXdpFrameSize - kExtraHeadroom;
    std::string name = "xdpdk_mbufs_s" + std::to_string(socket);
    if (page_objects) name += "_xsk";
    rte_mempool* pool = rte_pktmbuf_pool_create(name.c_str(), mbufs, cache, kExtraHeadroom, data_room, socket);
    if (pool == nullptr)
        return make_error("mbuf pool " + name, "cannot create " + std::to_string(mbufs) + " mbufs on socket " +
                                                   std::to_string(socket) + ": " + errno_text(rte_errno) +
                                                   " (EAL -m / --socket-mem give the memory; --mbufs the count)");
    return pool;
}

Status configure_port(uint16_t port, const PortQueues& q, rte_mempool* pool) {
    const std::string subject = "port " + std::to_string(port) + " (" + port_name(port) + ")";
    rte_eth_dev_info info{};
    int rc = rte_eth_dev_info_get(port, &info);
    if (rc != 0) return make_error(subject, "no device info: " + errno_text(rc));
    rte_eth_conf conf{};
    const uint64_t hashes = kRssHashes & info.flow_type_rss_offloads;
    if (q.rx > 1 && hashes != 0) {
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_hf = hashes;
    }
    // Frames longer than one mbuf arrive as segment chains (xdp.frags
    // programs see them as frags, dp_frags.h) where the device can do it;
    // devices without the offloads (net_pcap chains jumbo frames anyway)
    // would refuse the configuration if asked.
    conf.rxmode.offloads |= info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER;
    conf.txmode.offloads |= info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
    rc = rte_eth_dev_configure(port, q.rx, q.tx, &conf);
    if (rc != 0) return make_error(subject, "configure " + std::to_string(q.rx) + " rx and " + std::to_string(q.tx) +
                                                " tx queues: " + errno_text(rc));
    const int socket = port_socket(port);
    for (uint16_t i = 0; i < q.rx; ++i) {
        rc = rte_eth_rx_queue_setup(port, i, q.rx_desc, socket, nullptr, pool);
        if (rc != 0)
            return make_error(subject, "rx queue " + std::to_string(i) + ": " + errno_text(rc) +
                                           " (too few mbufs? --mbufs sets the pool size)");
    }
    for (uint16_t i = 0; i < q.tx; ++i) {
        rc = rte_eth_tx_queue_setup(port, i, q.tx_desc, socket, nullptr);
        if (rc != 0) return make_error(subject, "tx queue " + std::to_string(i) + ": " + errno_text(rc));
    }
    rc = rte_eth_dev_start(port);
    if (rc != 0) return make_error(subject, "start: " + errno_text(rc));
    // Real NICs filter by MAC; an XDP program sees everything on the wire.
    (void)rte_eth_promiscuous_enable(port);
    return {};
}

uint64_t drain_port(uint16_t port, uint16_t rx_queues, uint32_t max_bursts) {
    rte_eth_dev_info info{};
    if (rte_eth_dev_info_get(port, &info) != 0 || info.driver_name == nullptr ||
        std::strcmp(info.driver_name, "net_ring") != 0)
        return 0;
    uint64_t freed = 0;
    rte_mbuf* pkts[64];
    for (uint16_t q = 0; q < rx_queues; ++q) {
        for (uint32_t i = 0; i < max_bursts; ++i) {
            const uint16_t n = rte_eth_rx_burst(port, q, pkts, 64);
            if (n == 0) break;
            rte_pktmbuf_free_bulk(pkts, n);
            freed += n;
        }
    }
    return freed;
}

void stop_and_close_port(uint16_t port) {
    (void)rte_eth_dev_stop(port);
    (void)rte_eth_dev_close(port);
}

}  // namespace xdpdk::dataplane
