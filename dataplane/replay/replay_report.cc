#include "replay_report.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "dataplane/loader/maps_json.h"
#include "vm/map.h"
#include "vm/maps/devmap_broadcast.h"
#include "vm/xdp.h"

namespace xdpdk::cli {

uint32_t counted_action(uint64_t retval) {
    return retval <= vm::XDP_REDIRECT ? static_cast<uint32_t>(retval) : static_cast<uint32_t>(vm::XDP_ABORTED);
}

void ActionCounts::add(uint64_t retval, uint64_t bytes) {
    const uint32_t action = counted_action(retval);
    packets_[action] += 1;
    bytes_[action] += bytes;
}

uint64_t ActionCounts::total_packets() const {
    uint64_t n = 0;
    for (uint64_t p : packets_) n += p;
    return n;
}

uint64_t ActionCounts::total_bytes() const {
    uint64_t n = 0;
    for (uint64_t b : bytes_) n += b;
    return n;
}

std::string ActionCounts::table() const {
    char line[96];
    std::string out;
    std::snprintf(line, sizeof line, "%-12s%9s%11s\n", "action", "packets", "bytes");
    out += line;
    for (uint32_t a = 0; a < kActions; ++a) {
        std::snprintf(line, sizeof line, "%-12s%9llu%11llu\n", vm::xdp_action_name(a),
                      static_cast<unsigned long long>(packets_[a]), static_cast<unsigned long long>(bytes_[a]));
        out += line;
    }
    std::snprintf(line, sizeof line, "%-12s%9llu%11llu\n", "total", static_cast<unsigned long long>(total_packets()),
                  static_cast<unsigned long long>(total_bytes()));
    out += line;
    if (not_run_) {
        std::snprintf(line, sizeof line, "%-12s%9llu%11s\n", "not run", static_cast<unsigned long long>(not_run_), "");
        out += line;
    }
    return out;
}

std::string jsonl_not_run_record(uint64_t index, uint64_t len, const std::string& reason) {
    nlohmann::ordered_json rec;
    rec["index"] = index;
    rec["action"] = "not run";
    rec["len"] = len;
    rec["reason"] = reason;
    return rec.dump();
}

namespace {

nlohmann::ordered_json redirect_json(const vm::RedirectTarget& r) {
    using Kind = vm::RedirectTarget::Kind;
    nlohmann::ordered_json target;
    if (r.kind == Kind::Ifindex) {
        target["ifindex"] = r.ifindex;
    } else if (r.kind == Kind::Map && r.map != nullptr && r.map->type() == vm::MapType::Xskmap) {
        // Delivered to the port the slot is bound to (replay --xsk: port N
        // has ifindex N + 1, as in `xdpdk run`).
        target["map"] = r.map->name();
        target["slot"] = r.key;
        target["port"] = r.ifindex - 1;
    } else if (r.kind == Kind::Map) {
        target["map"] = r.map ? r.map->name() : std::string();
        target["key"] = r.key;
        target["ifindex"] = r.ifindex;
    } else if (r.kind == Kind::Cpu) {
        target["map"] = r.map ? r.map->name() : std::string();
        target["cpu"] = r.key;
    } else if (r.kind == Kind::Broadcast && r.map) {
        target["map"] = r.map->name();
        target["broadcast"] = true;
        target["exclude_ingress"] = (r.flags & vm::maps::kRedirectExcludeIngress) != 0;
        nlohmann::ordered_json targets = nlohmann::ordered_json::array();
        vm::maps::for_each_broadcast_target(*r.map, r.ifindex, r.flags, [&](const vm::maps::BroadcastTarget& t) {
            targets.push_back({{"key", t.key}, {"ifindex", t.ifindex}});
        });
        target["targets"] = std::move(targets);
    }
    return target;
}

}  // namespace

std::string jsonl_record(uint64_t index, uint64_t retval, std::span<const uint8_t> data,
                         std::span<const uint8_t> meta, const vm::ExecContext& ex, const CpumapHop* hop) {
    nlohmann::ordered_json rec;
    rec["index"] = index;
    rec["action"] = vm::xdp_action_name(retval);
    rec["retval"] = retval;
    rec["len"] = data.size();
    rec["data"] = loader::to_hex(data);
    rec["meta"] = loader::to_hex(meta);
    if (hop != nullptr) {
        rec["redirect"] = {{"map", hop->map ? hop->map->name() : std::string()}, {"cpu", hop->cpu}};
        nlohmann::ordered_json cpumap;
        cpumap["prog"] = hop->prog ? nlohmann::ordered_json(hop->prog->name) : nlohmann::ordered_json(nullptr);
        cpumap["action"] = vm::xdp_action_name(hop->action);
        if (hop->action == vm::XDP_REDIRECT) cpumap["redirect"] = redirect_json(hop->redirect);
        rec["cpumap"] = std::move(cpumap);
    } else if (retval == vm::XDP_REDIRECT && ex.redirect.kind != vm::RedirectTarget::Kind::None) {
        rec["redirect"] = redirect_json(ex.redirect);
    }
    // A redirect into an XSKMAP slot without a socket: the fallback verdict.
    if (ex.redirect.kind == vm::RedirectTarget::Kind::None && ex.redirect.map != nullptr &&
        ex.redirect.map->type() == vm::MapType::Xskmap)
        rec["xsk"] = {{"map", ex.redirect.map->name()}, {"slot", ex.redirect.key}, {"outcome", "no socket"}};
    if (ex.fault) rec["fault"] = ex.fault;
    return rec.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace xdpdk::cli
