// --set NAME=VALUE parsing: integer ranges per size, hex bytes, and one clear
// error for each kind of bad input.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "dataplane/loader/global_set.h"
#include "test_support.h"
#include "vm/object.h"

using namespace xdpdk;
using xdpdk::loader::parse_global_assignment;
using Bytes = std::vector<uint8_t>;

namespace {

const std::vector<vm::GlobalVar> kGlobals = {
    {"u8", ".rodata", nullptr, 0, 1},  {"u16", ".rodata", nullptr, 2, 2}, {"u32", ".data", nullptr, 0, 4},
    {"u64", ".bss", nullptr, 8, 8},    {"blob", ".rodata", nullptr, 4, 12},
};

Bytes bytes_of(const std::string& arg) {
    auto r = loader::parse_global_assignment(kGlobals, arg);
    EXPECT_TRUE(r.ok()) << arg << ": " << r.error().str();
    return r.ok() ? r->bytes : Bytes{};
}

std::string error_of(const std::string& arg) {
    auto r = loader::parse_global_assignment(kGlobals, arg);
    EXPECT_FALSE(r.ok()) << arg << " was accepted";
    return r.ok() ? "" : r.error().str();
}

}  // namespace

TEST(GlobalSet, IntegersAreStoredInTheVariablesSizeLittleEndian) {
    EXPECT_EQ(bytes_of("u8=255"), (Bytes{0xff}));
    EXPECT_EQ(bytes_of("u8=-128"), (Bytes{0x80}));
    EXPECT_EQ(bytes_of("u16=0x1234"), (Bytes{0x34, 0x12}));
    EXPECT_EQ(bytes_of("u32=-2"), (Bytes{0xfe, 0xff, 0xff, 0xff}));
    EXPECT_EQ(bytes_of("u32=4294967295"), (Bytes{0xff, 0xff, 0xff, 0xff}));
    EXPECT_EQ(bytes_of("u64=18446744073709551615"), Bytes(8, 0xff));
    EXPECT_EQ(bytes_of("u64=-9223372036854775808"), (Bytes{0, 0, 0, 0, 0, 0, 0, 0x80}));
    EXPECT_EQ(bytes_of("u64=0x0102030405060708"), (Bytes{8, 7, 6, 5, 4, 3, 2, 1}));
    auto r = loader::parse_global_assignment(kGlobals, "u16=7");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->name, "u16");
}

TEST(GlobalSet, HexGivesTheRawBytes) {
    EXPECT_EQ(bytes_of("blob=hex:000102030405060708090a0B"), (Bytes{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
    EXPECT_EQ(bytes_of("u16=hex:abcd"), (Bytes{0xab, 0xcd}));
}

TEST(GlobalSet, ValuesThatDoNotFitAreRefused) {
    EXPECT_NE(error_of("u8=256").find("256 does not fit 'u8' (.rodata, 1 byte)"), std::string::npos);
    EXPECT_NE(error_of("u8=-129").find("does not fit"), std::string::npos);
    EXPECT_NE(error_of("u16=65536").find("does not fit"), std::string::npos);
    EXPECT_NE(error_of("u32=0x100000000").find("does not fit"), std::string::npos);
    EXPECT_NE(error_of("u64=18446744073709551616").find("does not fit 'u64' (.bss, 8 bytes)"), std::string::npos);
    EXPECT_NE(error_of("u64=-9223372036854775809").find("does not fit"), std::string::npos);
}

TEST(GlobalSet, BadInputGetsOneClearError) {
    EXPECT_EQ(error_of("nope=1"), "--set 'nope=1': no global variable 'nope' (globals: u8, u16, u32, u64, blob)");
    EXPECT_EQ(error_of("u8"), "--set 'u8': expected NAME=VALUE");
    EXPECT_EQ(error_of("=1"), "--set '=1': expected NAME=VALUE");
    EXPECT_EQ(error_of("u8=abc"), "--set 'u8=abc': VALUE must be an integer or hex:BYTES");
    EXPECT_EQ(error_of("u8="), "--set 'u8=': VALUE must be an integer or hex:BYTES");
    EXPECT_EQ(error_of("u8=1x"), "--set 'u8=1x': VALUE must be an integer or hex:BYTES");
    EXPECT_EQ(error_of("u16=hex:12"), "--set 'u16=hex:12': hex value is 1 byte, 'u16' (.rodata, 2 bytes) needs 2");
    EXPECT_NE(error_of("u16=hex:zzzz").find("bad hex 'zzzz': not a hex digit"), std::string::npos);
    EXPECT_NE(error_of("u16=hex:123").find("odd number of digits"), std::string::npos);
    EXPECT_NE(error_of("blob=1").find("'blob' (.rodata, 12 bytes) is not an integer size; give its bytes as hex:"),
              std::string::npos);
}

TEST(GlobalSet, AppliesToTheObjectsGlobalData) {
    auto obj = vm::Object::open(test::test_prog_path("verdicts"));
    ASSERT_TRUE(obj.ok()) << obj.error().str();
    ASSERT_TRUE(loader::apply_global_assignments(**obj, {"redirect_ifindex=11", "packets=0x0102"}).ok());
    const vm::GlobalVar* var = nullptr;
    for (const auto& g : (*obj)->globals())
        if (g.name == "redirect_ifindex") var = &g;
    ASSERT_NE(var, nullptr);
    EXPECT_EQ(var->section, ".rodata");
    uint32_t value = 0;
    std::memcpy(&value, var->map->value_base() + var->offset, sizeof value);
    EXPECT_EQ(value, 11u);

    auto bad = loader::apply_global_assignments(**obj, {"redirect_ifindex=1", "missing=2"});
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().str().find("--set 'missing=2': no global variable 'missing' (globals: "), std::string::npos)
        << bad.error().str();
}
