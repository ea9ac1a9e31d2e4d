// An output file that appears under its name only once it is complete:
// written to a temporary name in the same directory and renamed on commit(),
// removed if never committed, so an interrupted run leaves nothing that looks
// like a finished result. A symlink is followed and its target replaced. Paths
// under /dev/ and /proc/, and existing paths that are not regular files (a
// FIFO), are written in place: renaming over them would replace the device,
// the pipe or the file behind an open stream.
#pragma once

#include <string>

#include "vm/error.h"

namespace xdpdk::cli {

class StagedFile {
public:
    // Creates the temporary file next to `final_path`.
    static Result<StagedFile> create(const std::string& final_path);
    StagedFile(StagedFile&& other) noexcept;
    StagedFile& operator=(StagedFile&& other) noexcept;
    StagedFile(const StagedFile&) = delete;
    StagedFile& operator=(const StagedFile&) = delete;
    ~StagedFile();

    // Where to write the contents until commit().
    const std::string& temp_path() const { return temp_path_; }
    // True when writing in place (the path is a device or pipe).
    bool in_place() const { return in_place_; }
    const std::string& final_path() const { return final_path_; }

    // Renames the temporary file to the final name.
    Status commit();

private:
    StagedFile(std::string final_path, std::string rename_to, std::string temp_path, bool in_place)
        : final_path_(std::move(final_path)), rename_to_(std::move(rename_to)), temp_path_(std::move(temp_path)),
          in_place_(in_place) {}
    void discard();
    std::string final_path_;  // as the user named it
    std::string rename_to_;   // final_path_ with symlinks resolved
    std::string temp_path_;   // empty once committed or moved from
    bool in_place_ = false;
};

}  // namespace xdpdk::cli
