#include <gtest/gtest.h>

#include "test_support.h"
#include "xdpdk/error.h"
#include "xdpdk/xdpdk.h"

using xdpdk::test::prog_path;

TEST(PublicApi, MacSwapTransmitsWithAddressesSwapped) {
    std::string error;
    auto prog = xdpdk::XdpProgram::load(prog_path("mac_swap"), {}, &error);
    ASSERT_TRUE(prog) << error;
    std::vector<uint8_t> pkt(60, 0);
    for (int i = 0; i < 6; ++i) {
        pkt[i] = static_cast<uint8_t>(0x10 + i);      // destination
        pkt[6 + i] = static_cast<uint8_t>(0x20 + i);  // source
    }
    pkt[12] = 0x08;  // IPv4 ethertype
    auto r = prog->run(pkt);
    EXPECT_EQ(r.action, 3u);  // XDP_TX
    ASSERT_EQ(r.packet.size(), pkt.size());
    for (int i = 0; i < 6; ++i) {
        EXPECT_EQ(r.packet[i], pkt[6 + i]);
        EXPECT_EQ(r.packet[6 + i], pkt[i]);
    }
}

TEST(PublicApi, HelloCountsPacketsInItsBss) {
    std::string error;
    auto prog = xdpdk::XdpProgram::load(prog_path("hello"), {}, &error);
    ASSERT_TRUE(prog) << error;
    std::vector<uint8_t> pkt(60, 0);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(prog->run(pkt).action, 2u);
    std::vector<uint8_t> key(4, 0), value;
    ASSERT_EQ(prog->map_lookup("hello.bss", key, &value), 0);
    ASSERT_EQ(value.size(), 4u);
    EXPECT_EQ(value[0], 5);
    EXPECT_EQ(prog->map_lookup("no_such_map", key, &value), -2);
}

TEST(PublicApi, LoadErrorsAreOneLine) {
    std::string error;
    EXPECT_FALSE(xdpdk::XdpProgram::load("/nonexistent.o", {}, &error));
    EXPECT_NE(error.find("/nonexistent.o"), std::string::npos) << error;
    EXPECT_EQ(error.find('\n'), std::string::npos);
    xdpdk::LoadOptions opts;
    opts.program = "no_such_prog";
    EXPECT_FALSE(xdpdk::XdpProgram::load(prog_path("mac_swap"), opts, &error));
    EXPECT_NE(error.find("no_such_prog"), std::string::npos) << error;
}

TEST(PublicApi, ErrorsEscapeControlCharactersOfNamesFromTheInput) {
    // A name read from an object (an ELF symbol, a BTF string) may hold any
    // byte; its error stays one line.
    const xdpdk::Error e = xdpdk::make_error("map 'rz\n\x01x'", "unknown field 'a\rb' in the map definition");
    EXPECT_EQ(e.str(), "map 'rz\\n\\x01x': unknown field 'a\\rb' in the map definition");
    // Nor can a name fake the verifier's path line.
    const xdpdk::Error v = xdpdk::make_insn_error("prog 'p\tq'", 3, "R1 !read_ok\npath: 0 -> 3");
    EXPECT_EQ(v.str(), "prog 'p\\tq': insn 3: R1 !read_ok\\npath: 0 -> 3");
}
