#include "replay_outputs.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dataplane/loader/event_json.h"
#include "dataplane/loader/maps_json.h"
#include "replay_report.h"
#include "vm/xdp.h"

namespace xdpdk::cli {
namespace {

Result<bool> ensure_directory(const std::string& dir) {
    struct stat st{};
    if (::stat(dir.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) return make_error("--out '" + dir + "'", "exists and is not a directory");
        return false;
    }
    if (::mkdir(dir.c_str(), 0777) != 0)
        return make_error("--out '" + dir + "'", std::string("cannot create directory: ") + std::strerror(errno));
    return true;
}

// The process's own stream for "-", /dev/stdout, /dev/stderr; else nullptr.
FILE* own_stream(const std::string& path) {
    if (path == "-" || path == "/dev/stdout") return stdout;
    if (path == "/dev/stderr") return stderr;
    return nullptr;
}

Status write_text(const StagedFile& file, const std::string& text) {
    FILE* f = std::fopen(file.temp_path().c_str(), "wb");
    if (f == nullptr) return make_error("output '" + file.final_path() + "'", std::strerror(errno));
    const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    const int saved_errno = errno;
    if (std::fclose(f) != 0 || !written)
        return make_error("output '" + file.final_path() + "'",
                          std::string("write failed: ") + std::strerror(written ? errno : saved_errno));
    return {};
}

// A JSON-lines output: the process's own stream, or a staged file opened
// for writing.
Status open_lines(const std::string& option, const std::string& path, FILE*& stream, bool& owned,
                  std::optional<StagedFile>& staged) {
    if (FILE* own = own_stream(path)) {
        stream = own;
        return {};
    }
    XDPDK_ASSIGN_OR_RETURN(StagedFile file, StagedFile::create(path));
    stream = std::fopen(file.temp_path().c_str(), "wb");
    if (stream == nullptr) return make_error(option + " '" + path + "'", std::strerror(errno));
    owned = true;
    staged.emplace(std::move(file));
    return {};
}

Status close_lines(const std::string& option, const std::string& path, FILE*& stream, bool owned) {
    const bool ok = std::fflush(stream) == 0 && !std::ferror(stream);
    const int saved_errno = errno;
    const bool closed = !owned || std::fclose(stream) == 0;
    stream = nullptr;
    if (!ok || !closed)
        return make_error(option + " '" + path + "'", std::string("write failed: ") + std::strerror(ok ? errno : saved_errno));
    return {};
}

}  // namespace

Result<std::unique_ptr<ReplayOutputs>> ReplayOutputs::open(const ReplayOutputPaths& paths, int linktype) {
    std::unique_ptr<ReplayOutputs> out(new ReplayOutputs());
    out->paths_ = paths;
    if (!paths.out_dir.empty()) {
        XDPDK_ASSIGN_OR_RETURN(out->created_dir_, ensure_directory(paths.out_dir));
        for (auto [slot, name] : {std::pair{&out->pass_, "pass.pcap"}, {&out->tx_, "tx.pcap"},
                                  {&out->redirect_, "redirect.pcap"}}) {
            XDPDK_ASSIGN_OR_RETURN(StagedFile file, StagedFile::create(paths.out_dir + "/" + name));
            XDPDK_ASSIGN_OR_RETURN(auto writer, PcapWriter::open(file.temp_path(), linktype));
            slot->emplace(Pcap{std::move(file), std::move(writer)});
        }
    }
    if (!paths.jsonl.empty())
        XDPDK_RETURN_IF_ERROR(open_lines("--jsonl", paths.jsonl, out->jsonl_, out->jsonl_owned_, out->jsonl_file_));
    if (!paths.events.empty())
        XDPDK_RETURN_IF_ERROR(open_lines("--events", paths.events, out->events_, out->events_owned_, out->events_file_));
    if (!paths.maps_out.empty()) {
        if (FILE* stream = own_stream(paths.maps_out)) {
            out->maps_stream_ = stream;
        } else {
            XDPDK_ASSIGN_OR_RETURN(StagedFile file, StagedFile::create(paths.maps_out));
            out->maps_file_.emplace(std::move(file));
        }
    }
    return out;
}

ReplayOutputs::~ReplayOutputs() {
    if (jsonl_ && jsonl_owned_) std::fclose(jsonl_);
    if (events_ && events_owned_) std::fclose(events_);
    // Writers close before their staged files are removed.
    for (auto* pcap : {&pass_, &tx_, &redirect_}) pcap->reset();
    jsonl_file_.reset();
    events_file_.reset();
    maps_file_.reset();
    if (!committed_ && created_dir_) ::rmdir(paths_.out_dir.c_str());
}

void ReplayOutputs::not_run(uint64_t index, const PcapPacket& in, const std::string& reason) {
    if (!jsonl_) return;
    const std::string line = jsonl_not_run_record(index, in.bytes.size(), reason) + "\n";
    std::fwrite(line.data(), 1, line.size(), jsonl_);
}

void ReplayOutputs::packet(uint64_t index, const PcapPacket& in, uint64_t retval, std::span<const uint8_t> data,
                           std::span<const uint8_t> meta, const vm::ExecContext& ex, const CpumapHop* hop) {
    std::optional<Pcap>* target = nullptr;
    // After a cpumap hop only PASS and REDIRECT go anywhere: the kernel's
    // cpumap drops every other verdict (XDP_TX included).
    uint64_t action = counted_action(retval);
    if (hop != nullptr) {
        action = hop->action;
        if (action != vm::XDP_PASS && action != vm::XDP_REDIRECT) action = vm::XDP_DROP;
    }
    switch (action) {
        case vm::XDP_PASS: target = &pass_; break;
        case vm::XDP_TX: target = &tx_; break;
        case vm::XDP_REDIRECT: target = &redirect_; break;
        default: break;
    }
    if (target && *target) {
        const uint32_t uncaptured = in.orig_len - static_cast<uint32_t>(in.bytes.size());
        (*target)->writer->write(in.ts, static_cast<uint32_t>(data.size()) + uncaptured, data);
    }
    if (jsonl_) {
        const std::string line = jsonl_record(index, retval, data, meta, ex, hop) + "\n";
        std::fwrite(line.data(), 1, line.size(), jsonl_);
    }
}

void ReplayOutputs::events(uint64_t index, const vm::Object& obj) {
    if (!events_) return;
    for (const auto& map : obj.maps()) {
        if (!map->is_event_map()) continue;
        map->consume_events([&](uint32_t cpu, std::span<const uint8_t> record) {
            nlohmann::ordered_json j = loader::event_record_json(*map, cpu, record);
            j["packet"] = index;
            const std::string line = j.dump() + "\n";
            std::fwrite(line.data(), 1, line.size(), events_);
        });
    }
}

Status ReplayOutputs::commit(const vm::Object& obj) {
    for (auto* pcap : {&pass_, &tx_, &redirect_}) {
        if (*pcap) XDPDK_RETURN_IF_ERROR((*pcap)->writer->close());
    }
    if (jsonl_) XDPDK_RETURN_IF_ERROR(close_lines("--jsonl", paths_.jsonl, jsonl_, jsonl_owned_));
    if (events_) {
        for (const auto& map : obj.maps()) {
            if (!map->is_event_map()) continue;
            const std::string line = loader::event_lost_json(*map).dump() + "\n";
            std::fwrite(line.data(), 1, line.size(), events_);
        }
        XDPDK_RETURN_IF_ERROR(close_lines("--events", paths_.events, events_, events_owned_));
    }
    if (maps_file_) XDPDK_RETURN_IF_ERROR(write_text(*maps_file_, loader::format_maps_json(loader::dump_maps_json(obj))));
    if (maps_stream_) {
        const std::string text = loader::format_maps_json(loader::dump_maps_json(obj));
        if (std::fwrite(text.data(), 1, text.size(), maps_stream_) != text.size() || std::fflush(maps_stream_) != 0)
            return make_error("--maps-out '" + paths_.maps_out + "'", std::string("write failed: ") + std::strerror(errno));
    }

    for (auto* pcap : {&pass_, &tx_, &redirect_}) {
        if (*pcap) XDPDK_RETURN_IF_ERROR((*pcap)->file.commit());
    }
    if (jsonl_file_) XDPDK_RETURN_IF_ERROR(jsonl_file_->commit());
    if (events_file_) XDPDK_RETURN_IF_ERROR(events_file_->commit());
    if (maps_file_) XDPDK_RETURN_IF_ERROR(maps_file_->commit());
    committed_ = true;
    return {};
}

}  // namespace xdpdk::cli
