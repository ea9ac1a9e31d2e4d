// Hugepages for the benchmark's "huge" rows, set up at run time and torn down
// afterwards, as configs/README.md describes for production: 2 MiB pages
// reserved through /proc/sys/vm/nr_hugepages and a private hugetlbfs mount.
// Needs root; without it the huge rows are skipped with the reason.
#pragma once

#include <string>

namespace xdpdk::bench {

class Hugepages {
public:
    // Reserves `pages` pages and mounts hugetlbfs at a fresh directory.
    static Hugepages setup(unsigned pages);
    ~Hugepages();
    Hugepages(Hugepages&& other) noexcept;
    Hugepages(const Hugepages&) = delete;
    Hugepages& operator=(const Hugepages&) = delete;
    Hugepages& operator=(Hugepages&&) = delete;

    bool ok() const { return error_.empty(); }
    const std::string& error() const { return error_; }
    const std::string& mount_dir() const { return mount_dir_; }
    unsigned reserved() const { return reserved_; }

private:
    Hugepages() = default;
    std::string error_;
    std::string mount_dir_;
    long previous_pages_ = -1;  // restored at teardown; -1: nothing to restore
    unsigned reserved_ = 0;
};

}  // namespace xdpdk::bench
