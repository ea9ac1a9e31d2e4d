#include "replay_staged_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace xdpdk::cli {

Result<StagedFile> StagedFile::create(const std::string& final_path) {
    const size_t slash = final_path.rfind('/');
    const std::string dir = slash == std::string::npos ? "" : final_path.substr(0, slash + 1);
    const std::string base = slash == std::string::npos ? final_path : final_path.substr(slash + 1);
    std::string pattern = dir + "." + base + ".partial-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    const int fd = ::mkstemp(buf.data());
    if (fd < 0) return make_error("output '" + final_path + "'", std::string("cannot create: ") + std::strerror(errno));
    // mkstemp makes the file private; outputs get the usual permissions.
    const mode_t mask = ::umask(0);
    ::umask(mask);
    ::fchmod(fd, 0666 & ~mask);
    ::close(fd);
    return StagedFile(final_path, buf.data());
}

StagedFile::StagedFile(StagedFile&& other) noexcept
    : final_path_(std::move(other.final_path_)), temp_path_(std::move(other.temp_path_)) {
    other.temp_path_.clear();
}

StagedFile& StagedFile::operator=(StagedFile&& other) noexcept {
    if (this != &other) {
        discard();
        final_path_ = std::move(other.final_path_);
        temp_path_ = std::move(other.temp_path_);
        other.temp_path_.clear();
    }
    return *this;
}

StagedFile::~StagedFile() { discard(); }

void StagedFile::discard() {
    if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
    temp_path_.clear();
}

Status StagedFile::commit() {
    if (temp_path_.empty()) return make_error("output '" + final_path_ + "'", "nothing to commit");
    if (std::rename(temp_path_.c_str(), final_path_.c_str()) != 0)
        return make_error("output '" + final_path_ + "'", std::string("cannot rename into place: ") + std::strerror(errno));
    temp_path_.clear();
    return {};
}

}  // namespace xdpdk::cli
