#include "dp_telemetry.h"

#include <charconv>
#include <cstring>
#include <mutex>
#include <string>

#include <rte_telemetry.h>

namespace xdpdk::dataplane {
namespace {

std::mutex reader_mutex;
const StatsReader* current_reader = nullptr;

struct Figure {
    const char* name;
    uint64_t (*get)(const PortFigures&);
};

// Names: alphanumerics and '_' only (telemetry's rule for dict keys).
const Figure kFigures[] = {
    {"rx_packets", [](const PortFigures& f) { return f.rx_packets; }},
    {"rx_bytes", [](const PortFigures& f) { return f.rx_bytes; }},
    {"aborted_packets", [](const PortFigures& f) { return f.action_packets[vm::XDP_ABORTED]; }},
    {"aborted_bytes", [](const PortFigures& f) { return f.action_bytes[vm::XDP_ABORTED]; }},
    {"drop_packets", [](const PortFigures& f) { return f.action_packets[vm::XDP_DROP]; }},
    {"drop_bytes", [](const PortFigures& f) { return f.action_bytes[vm::XDP_DROP]; }},
    {"pass_packets", [](const PortFigures& f) { return f.action_packets[vm::XDP_PASS]; }},
    {"pass_bytes", [](const PortFigures& f) { return f.action_bytes[vm::XDP_PASS]; }},
    {"tx_action_packets", [](const PortFigures& f) { return f.action_packets[vm::XDP_TX]; }},
    {"tx_action_bytes", [](const PortFigures& f) { return f.action_bytes[vm::XDP_TX]; }},
    {"redirect_packets", [](const PortFigures& f) { return f.action_packets[vm::XDP_REDIRECT]; }},
    {"redirect_bytes", [](const PortFigures& f) { return f.action_bytes[vm::XDP_REDIRECT]; }},
    {"unknown_actions", [](const PortFigures& f) { return f.unknown_actions; }},
    {"redirect_errors", [](const PortFigures& f) { return f.redirect_errors; }},
    {"tx_packets", [](const PortFigures& f) { return f.tx_packets; }},
    {"tx_bytes", [](const PortFigures& f) { return f.tx_bytes; }},
    {"tx_drops", [](const PortFigures& f) { return f.tx_drops; }},
    {"host_packets", [](const PortFigures& f) { return f.host_packets; }},
};

int all_ports(const StatsReader& reader, rte_tel_data* d) {
    rte_tel_data_start_dict(d);
    rte_tel_data* ids = rte_tel_data_alloc();
    rte_tel_data_start_array(ids, RTE_TEL_U64_VAL);
    std::vector<PortFigures> figures;
    for (const PortInfo& p : reader.ports()) {
        rte_tel_data_add_array_u64(ids, p.id);
        figures.push_back(reader.port(p.id));
    }
    rte_tel_data_add_dict_container(d, "ports", ids, 0);
    for (const Figure& fig : kFigures) {
        rte_tel_data* values = rte_tel_data_alloc();
        rte_tel_data_start_array(values, RTE_TEL_U64_VAL);
        for (const PortFigures& f : figures) rte_tel_data_add_array_u64(values, fig.get(f));
        rte_tel_data_add_dict_container(d, fig.name, values, 0);
    }
    return 0;
}

int one_port(const StatsReader& reader, uint16_t id, rte_tel_data* d) {
    const PortInfo* info = nullptr;
    for (const PortInfo& p : reader.ports())
        if (p.id == id) info = &p;
    if (info == nullptr) return -EINVAL;
    rte_tel_data_start_dict(d);
    rte_tel_data_add_dict_u64(d, "port", id);
    rte_tel_data_add_dict_u64(d, "ifindex", info->ifindex);
    rte_tel_data_add_dict_string(d, "name", info->name.c_str());
    rte_tel_data_add_dict_string(d, "program", info->program.c_str());
    const PortFigures f = reader.port(id);
    for (const Figure& fig : kFigures) rte_tel_data_add_dict_u64(d, fig.name, fig.get(f));
    rte_tel_data* per_worker = rte_tel_data_alloc();
    rte_tel_data_start_array(per_worker, RTE_TEL_U64_VAL);
    for (size_t w = 0; w < reader.workers().size(); ++w)
        rte_tel_data_add_array_u64(per_worker, reader.port_worker(id, w).rx_packets);
    rte_tel_data_add_dict_container(d, "rx_packets_per_worker", per_worker, 0);
    return 0;
}

int handle_stats(const char*, const char* params, rte_tel_data* d) {
    std::lock_guard lock(reader_mutex);
    if (current_reader == nullptr) return -EAGAIN;
    if (params == nullptr || *params == '\0') return all_ports(*current_reader, d);
    uint16_t id = 0;
    const char* end = params + std::strlen(params);
    const auto [ptr, ec] = std::from_chars(params, end, id);
    if (ec != std::errc() || ptr != end) return -EINVAL;
    return one_port(*current_reader, id, d);
}

}  // namespace

void publish_telemetry(const StatsReader* reader) {
    static const bool registered =
        rte_telemetry_register_cmd("/xdpdk/stats", handle_stats,
                                   "xdpdk run figures per port; parameter: a port id for one port") == 0;
    (void)registered;
    std::lock_guard lock(reader_mutex);
    current_reader = reader;
}

void unpublish_telemetry() {
    std::lock_guard lock(reader_mutex);
    current_reader = nullptr;
}

std::unique_lock<std::mutex> lock_telemetry() { return std::unique_lock<std::mutex>(reader_mutex); }

}  // namespace xdpdk::dataplane
