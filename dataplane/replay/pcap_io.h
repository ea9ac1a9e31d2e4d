// Packet capture files for replay: reading pcap and pcapng through libpcap,
// writing pcap. Errors name the file; a record libpcap cannot read (truncated
// or corrupt) says after which packet it happened.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "vm/error.h"

typedef struct pcap pcap_t;
typedef struct pcap_dumper pcap_dumper_t;

namespace xdpdk::cli {

struct PcapTimestamp {
    int64_t sec = 0;
    int64_t usec = 0;
};

struct PcapPacket {
    PcapTimestamp ts;
    uint32_t orig_len = 0;           // length on the wire; >= bytes.size()
    std::span<const uint8_t> bytes;  // captured bytes, valid until the next read
};

class PcapReader {
public:
    // Opens a pcap or pcapng file whose link type is Ethernet.
    static Result<std::unique_ptr<PcapReader>> open(const std::string& path);
    ~PcapReader();
    PcapReader(const PcapReader&) = delete;
    PcapReader& operator=(const PcapReader&) = delete;

    // The next packet, nullopt at the end of the file.
    Result<std::optional<PcapPacket>> next();
    uint64_t packets_read() const { return count_; }
    int linktype() const;

private:
    PcapReader(std::string path, pcap_t* handle) : path_(std::move(path)), handle_(handle) {}
    std::string path_;
    pcap_t* handle_;
    uint64_t count_ = 0;
};

// Writes a pcap file (microsecond timestamps) at `path`; close() reports
// whether everything reached the file.
class PcapWriter {
public:
    static Result<std::unique_ptr<PcapWriter>> open(const std::string& path, int linktype);
    ~PcapWriter();
    PcapWriter(const PcapWriter&) = delete;
    PcapWriter& operator=(const PcapWriter&) = delete;

    void write(PcapTimestamp ts, uint32_t orig_len, std::span<const uint8_t> bytes);
    Status close();

private:
    PcapWriter(std::string path, pcap_t* dead, pcap_dumper_t* dumper)
        : path_(std::move(path)), dead_(dead), dumper_(dumper) {}
    std::string path_;
    pcap_t* dead_;
    pcap_dumper_t* dumper_;
};

}  // namespace xdpdk::cli
