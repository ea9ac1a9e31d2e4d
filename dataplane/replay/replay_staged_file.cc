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
    const std::string subject = "output '" + final_path + "'";
    // /dev/stdout and the like name an open stream even when it is a file;
    // replacing that file would lose what else goes to the stream.
    for (const char* stream_dir : {"/dev/", "/proc/"})
        if (final_path.rfind(stream_dir, 0) == 0) return StagedFile(final_path, final_path, final_path, true);
    std::string target = final_path;
    struct stat st{};
    if (::lstat(final_path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
        if (char* real = ::realpath(final_path.c_str(), nullptr)) {
            target = real;
            std::free(real);
        } else {
            // A dangling link (or one into /proc): its own target, one level.
            std::vector<char> link(4096);
            const ssize_t n = ::readlink(final_path.c_str(), link.data(), link.size() - 1);
            if (n > 0) {
                target.assign(link.data(), static_cast<size_t>(n));
                const size_t slash = final_path.rfind('/');
                if (target.front() != '/' && slash != std::string::npos) target = final_path.substr(0, slash + 1) + target;
            }
        }
    }
    if (::stat(target.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) return make_error(subject, "is a directory");
        if (!S_ISREG(st.st_mode)) return StagedFile(final_path, target, target, true);
    }
    const size_t slash = target.rfind('/');
    const std::string dir = slash == std::string::npos ? "" : target.substr(0, slash + 1);
    const std::string base = slash == std::string::npos ? target : target.substr(slash + 1);
    std::string pattern = dir + "." + base + ".partial-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    const int fd = ::mkstemp(buf.data());
    if (fd < 0) return make_error(subject, std::string("cannot create: ") + std::strerror(errno));
    // mkstemp makes the file private; outputs get the usual permissions.
    const mode_t mask = ::umask(0);
    ::umask(mask);
    ::fchmod(fd, 0666 & ~mask);
    ::close(fd);
    return StagedFile(final_path, target, buf.data(), false);
}

StagedFile::StagedFile(StagedFile&& other) noexcept
    : final_path_(std::move(other.final_path_)),
      rename_to_(std::move(other.rename_to_)),
      temp_path_(std::move(other.temp_path_)),
      in_place_(other.in_place_) {
    other.temp_path_.clear();
}

StagedFile& StagedFile::operator=(StagedFile&& other) noexcept {
    if (this != &other) {
        discard();
        final_path_ = std::move(other.final_path_);
        rename_to_ = std::move(other.rename_to_);
        temp_path_ = std::move(other.temp_path_);
        in_place_ = other.in_place_;
        other.temp_path_.clear();
    }
    return *this;
}

StagedFile::~StagedFile() { discard(); }

void StagedFile::discard() {
    if (!temp_path_.empty() && !in_place_) ::unlink(temp_path_.c_str());
    temp_path_.clear();
}

Status StagedFile::commit() {
    if (temp_path_.empty()) return make_error("output '" + final_path_ + "'", "nothing to commit");
    if (!in_place_ && std::rename(temp_path_.c_str(), rename_to_.c_str()) != 0)
        return make_error("output '" + final_path_ + "'", std::string("cannot rename into place: ") + std::strerror(errno));
    temp_path_.clear();
    return {};
}

}  // namespace xdpdk::cli
