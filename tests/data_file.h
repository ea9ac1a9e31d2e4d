// The `-- SECTION` layout shared by the test data files (tests/isa/*.data,
// tests/verifier/*.data): comment lines (`#`) before the first section, then
// sections whose lines each file format reads its own way.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vm/error.h"

namespace xdpdk::test {

struct DataFile {
    // The `asm` section with every other line of the file left blank, so
    // assembler errors carry the file's line numbers.
    std::string asm_text;
    bool has_asm = false;
    // The other sections present, in file order, with their raw lines.
    std::vector<std::pair<std::string, std::vector<std::string_view>>> sections;

    const std::vector<std::string_view>* lines(std::string_view section) const;
};

// Splits `text` (which must outlive the result); a section not in `known`,
// or text before the first section, is an error naming `subject`.
Result<DataFile> split_data_file(const std::string& subject, std::string_view text,
                                 std::initializer_list<std::string_view> known);

// Without surrounding blanks, carriage returns and newlines.
std::string_view trim_data(std::string_view s);

}  // namespace xdpdk::test
