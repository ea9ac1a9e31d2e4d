#include "pcap_io.h"

#include <pcap/pcap.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace xdpdk::cli {
namespace {

// Large enough for any frame a capture may hold; libpcap refuses records
// beyond its own maximum anyway.
constexpr int kWriteSnaplen = 262144;

std::string subject(const std::string& path) { return "pcap '" + path + "'"; }

const char* linktype_name(int linktype) {
    const char* name = pcap_datalink_val_to_name(linktype);
    return name ? name : "unknown";
}

}  // namespace

Result<std::unique_ptr<PcapReader>> PcapReader::open(const std::string& path) {
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) return make_error(subject(path), std::strerror(errno));
    if (S_ISDIR(st.st_mode)) return make_error(subject(path), "is a directory");
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    pcap_t* handle = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, errbuf);
    if (handle == nullptr) return make_error(subject(path), std::string("not a readable pcap or pcapng file: ") + errbuf);
    std::unique_ptr<PcapReader> reader(new PcapReader(path, handle));
    if (pcap_datalink(handle) != DLT_EN10MB) {
        return make_error(subject(path), std::string("link type ") + linktype_name(pcap_datalink(handle)) +
                                             " is not Ethernet (XDP programs see Ethernet frames)");
    }
    return reader;
}

PcapReader::~PcapReader() { pcap_close(handle_); }

int PcapReader::linktype() const { return pcap_datalink(handle_); }

Result<std::optional<PcapPacket>> PcapReader::next() {
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    const int rc = pcap_next_ex(handle_, &header, &data);
    if (rc == PCAP_ERROR_BREAK) return std::optional<PcapPacket>{};
    if (rc != 1) {
        return make_error(subject(path_), "truncated or corrupt record after packet " + std::to_string(count_) +
                                              " (" + pcap_geterr(handle_) + ")");
    }
    // pcapng interface blocks may change the link type mid-file.
    if (pcap_datalink(handle_) != DLT_EN10MB) {
        return make_error(subject(path_), "packet " + std::to_string(count_) + ": link type " +
                                              linktype_name(pcap_datalink(handle_)) + " is not Ethernet");
    }
    ++count_;
    PcapPacket pkt;
    pkt.ts = {header->ts.tv_sec, header->ts.tv_usec};
    pkt.orig_len = header->len < header->caplen ? header->caplen : header->len;
    pkt.bytes = {data, header->caplen};
    return std::optional<PcapPacket>{pkt};
}

Result<std::unique_ptr<PcapWriter>> PcapWriter::open(const std::string& path, int linktype) {
    pcap_t* dead = pcap_open_dead_with_tstamp_precision(linktype, kWriteSnaplen, PCAP_TSTAMP_PRECISION_MICRO);
    if (dead == nullptr) return make_error(subject(path), "cannot set up a pcap writer");
    pcap_dumper_t* dumper = pcap_dump_open(dead, path.c_str());
    if (dumper == nullptr) {
        std::string reason = pcap_geterr(dead);
        pcap_close(dead);
        return make_error(subject(path), "cannot create: " + reason);
    }
    return std::unique_ptr<PcapWriter>(new PcapWriter(path, dead, dumper));
}

PcapWriter::~PcapWriter() {
    if (dumper_) pcap_dump_close(dumper_);
    pcap_close(dead_);
}

void PcapWriter::write(PcapTimestamp ts, uint32_t orig_len, std::span<const uint8_t> bytes) {
    pcap_pkthdr header{};
    header.ts.tv_sec = static_cast<time_t>(ts.sec);
    header.ts.tv_usec = static_cast<suseconds_t>(ts.usec);
    header.caplen = static_cast<uint32_t>(bytes.size());
    header.len = orig_len < header.caplen ? header.caplen : orig_len;
    pcap_dump(reinterpret_cast<u_char*>(dumper_), &header, bytes.data());
}

Status PcapWriter::close() {
    // pcap_dump() reports nothing; a failed write shows up in the stream's
    // error state, which the flush surfaces.
    const bool flushed = pcap_dump_flush(dumper_) == 0 && !std::ferror(pcap_dump_file(dumper_));
    const int saved_errno = errno;
    pcap_dump_close(dumper_);
    dumper_ = nullptr;
    if (!flushed) return make_error(subject(path_), std::string("write failed: ") + std::strerror(saved_errno));
    return {};
}

}  // namespace xdpdk::cli
