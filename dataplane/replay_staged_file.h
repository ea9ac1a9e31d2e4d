// An output file that appears under its name only once it is complete:
// written to a temporary name in the same directory and renamed on commit(),
// removed if never committed, so an interrupted run leaves nothing that looks
// like a finished result.
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
    const std::string& final_path() const { return final_path_; }

    // Renames the temporary file to the final name.
    Status commit();

private:
    StagedFile(std::string final_path, std::string temp_path)
        : final_path_(std::move(final_path)), temp_path_(std::move(temp_path)) {}
    void discard();
    std::string final_path_;
    std::string temp_path_;  // empty once committed or moved from
};

}  // namespace xdpdk::cli
