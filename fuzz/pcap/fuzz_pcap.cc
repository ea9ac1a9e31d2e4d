// libFuzzer target: arbitrary bytes as the capture file of `xdpdk replay`,
// read with PcapReader (dataplane/replay/pcap_io.h) exactly as replay reads
// it: open, then next() until the end or an error. The reader takes a path,
// so the bytes go to one memfd reused across inputs (/proc/self/fd/N).
//
// Besides crashes, sanitizer reports and leaks, the target stops when:
//   - a refusal (at open or at a record) is not one line with a subject;
//   - a packet breaks what PcapPacket promises: orig_len >= bytes.size(),
//     and no packet holds more bytes than the whole input;
//   - the packets read do not survive a round trip through PcapWriter (the
//     writer replay's --out-* files use) into a second memfd and back
//     through PcapReader: same count, timestamps, lengths and bytes.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "dataplane/replay/pcap_io.h"
#include "fuzz/fuzz_check.h"

using namespace xdpdk;
using namespace xdpdk::cli;

namespace {

// pcap files hold 32-bit seconds; pcapng holds 64-bit timestamps, so a
// pcapng time beyond 2106 cannot be written back whole.
constexpr int64_t kPcapSeconds = int64_t{1} << 32;

struct Packet {
    PcapTimestamp ts;
    uint32_t orig_len;
    std::vector<uint8_t> bytes;
};

// One memfd per role for the whole run, rewritten for each input.
struct MemFile {
    explicit MemFile(const char* name) : fd(memfd_create(name, 0)) {
        if (fd < 0) fuzz::fail("memfd_create", std::strerror(errno));
        path = "/proc/self/fd/" + std::to_string(fd);
    }
    void write_all(const uint8_t* data, size_t size) {
        if (ftruncate(fd, 0) != 0) fuzz::fail("ftruncate", std::strerror(errno));
        for (size_t done = 0; done < size;) {
            const ssize_t n = pwrite(fd, data + done, size - done, static_cast<off_t>(done));
            if (n <= 0) fuzz::fail("pwrite", std::strerror(errno));
            done += static_cast<size_t>(n);
        }
    }
    int fd;
    std::string path;
};

// Every packet of the capture at `path`, or the refusal (checked to be one line).
bool read_all(const std::string& path, size_t input_size, std::vector<Packet>& out) {
    auto reader = PcapReader::open(path);
    if (!reader) {
        fuzz::check_one_line_error(reader.error());
        return false;
    }
    for (;;) {
        auto next = (*reader)->next();
        if (!next) {
            fuzz::check_one_line_error(next.error());
            return false;
        }
        if (!*next) break;
        const PcapPacket& p = **next;
        if (p.orig_len < p.bytes.size())
            fuzz::fail("orig_len below the captured length",
                       std::to_string(p.orig_len) + " < " + std::to_string(p.bytes.size()));
        if (p.bytes.size() > input_size)
            fuzz::fail("packet longer than the input",
                       std::to_string(p.bytes.size()) + " > " + std::to_string(input_size));
        if ((*reader)->packets_read() != out.size() + 1) fuzz::fail("packets_read() miscounts", "");
        out.push_back({p.ts, p.orig_len, {p.bytes.begin(), p.bytes.end()}});
    }
    return true;
}

std::string describe(size_t i, const Packet& p) {
    return "packet " + std::to_string(i) + " (" + std::to_string(p.ts.sec) + "." + std::to_string(p.ts.usec) +
           ", len " + std::to_string(p.orig_len) + ", caplen " + std::to_string(p.bytes.size()) + ")";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static MemFile input("fuzz-pcap-in");
    static MemFile output("fuzz-pcap-out");
    input.write_all(data, size);

    std::vector<Packet> packets;
    if (!read_all(input.path, size, packets)) return 0;

    // What replay writes for these packets reads back the same.
    {
        auto writer = PcapWriter::open(output.path, 1 /* DLT_EN10MB, which open() demands */);
        if (!writer) fuzz::fail("PcapWriter::open", writer.error().str());
        for (const Packet& p : packets) (*writer)->write(p.ts, p.orig_len, p.bytes);
        if (Status st = (*writer)->close(); !st) fuzz::fail("PcapWriter::close", st.error().str());
    }
    const off_t written = lseek(output.fd, 0, SEEK_END);
    std::vector<Packet> back;
    if (!read_all(output.path, static_cast<size_t>(written), back))
        fuzz::fail("written capture refused", std::to_string(packets.size()) + " packets");
    if (back.size() != packets.size())
        fuzz::fail("written capture holds another count",
                   std::to_string(back.size()) + " != " + std::to_string(packets.size()));
    for (size_t i = 0; i < packets.size(); ++i) {
        const Packet& a = packets[i];
        const Packet& b = back[i];
        const bool same_ts = (a.ts.sec % kPcapSeconds + kPcapSeconds) % kPcapSeconds ==
                                 (b.ts.sec % kPcapSeconds + kPcapSeconds) % kPcapSeconds &&
                             a.ts.usec == b.ts.usec;
        if (!same_ts || a.orig_len != b.orig_len || a.bytes != b.bytes)
            fuzz::fail("packet reads back different", describe(i, a) + " became " + describe(i, b));
    }
    return 0;
}
