#include "hugepages.h"

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace xdpdk::bench {
namespace {

constexpr const char* kNrHugepages = "/proc/sys/vm/nr_hugepages";

long read_long(const char* path) {
    std::ifstream in(path);
    long v = -1;
    in >> v;
    return in ? v : -1;
}

bool write_long(const char* path, long v) {
    std::ofstream out(path);
    out << v << "\n";
    out.flush();
    return static_cast<bool>(out);
}

}  // namespace

Hugepages Hugepages::setup(unsigned pages) {
    Hugepages h;
    h.previous_pages_ = read_long(kNrHugepages);
    if (h.previous_pages_ < 0) {
        h.error_ = std::string("cannot read ") + kNrHugepages;
        return h;
    }
    if (!write_long(kNrHugepages, static_cast<long>(pages))) {
        h.error_ = std::string("cannot write ") + kNrHugepages + " (needs root)";
        h.previous_pages_ = -1;
        return h;
    }
    const long got = read_long(kNrHugepages);
    h.reserved_ = got > 0 ? static_cast<unsigned>(got) : 0;
    if (got < static_cast<long>(pages)) {
        h.error_ = "asked for " + std::to_string(pages) + " hugepages, the kernel reserved " + std::to_string(got) +
                   " (memory too fragmented?)";
        return h;
    }
    char dir[] = "/tmp/xdpdk-bench-huge-XXXXXX";
    if (mkdtemp(dir) == nullptr) {
        h.error_ = std::string("mkdtemp: ") + std::strerror(errno);
        return h;
    }
    if (mount("nodev", dir, "hugetlbfs", 0, "pagesize=2M") != 0) {
        h.error_ = std::string("mount hugetlbfs: ") + std::strerror(errno);
        rmdir(dir);
        return h;
    }
    h.mount_dir_ = dir;
    return h;
}

Hugepages::Hugepages(Hugepages&& other) noexcept
    : error_(std::move(other.error_)),
      mount_dir_(std::move(other.mount_dir_)),
      previous_pages_(other.previous_pages_),
      reserved_(other.reserved_) {
    other.mount_dir_.clear();
    other.previous_pages_ = -1;
}

Hugepages::~Hugepages() {
    if (!mount_dir_.empty()) {
        (void)umount(mount_dir_.c_str());
        (void)rmdir(mount_dir_.c_str());
    }
    if (previous_pages_ >= 0) (void)write_long(kNrHugepages, previous_pages_);
}

}  // namespace xdpdk::bench
