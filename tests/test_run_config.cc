// `xdpdk run --config FILE`: TOML files to RunConfig, and one precise error
// (file:line:column, key, reason) for every kind of mistake. No EAL needed.
#include <gtest/gtest.h>

#include <string>

#include "dataplane/tool/run_config_toml.h"
#include "test_support.h"

namespace xdpdk::cli {
namespace {

using Kind = PassSpec::Kind;

std::string drop_object() { return test::prog_path("xdp_drop"); }
std::string tx_object() { return test::prog_path("mac_swap"); }

RunConfig parse_ok(const std::string& text) {
    auto config = parse_run_config_toml(text, "t.toml");
    EXPECT_TRUE(config.ok()) << config.error().str();
    return config.ok() ? config.value() : RunConfig{};
}

std::string parse_error(const std::string& text) {
    auto config = parse_run_config_toml(text, "t.toml");
    EXPECT_FALSE(config.ok()) << "accepted:\n" << text;
    return config.ok() ? std::string() : config.error().str();
}

TEST(RunConfigToml, EmptyFileGivesTheCommandLineDefaults) {
    const RunConfig config = parse_ok("");
    const RunConfig defaults;
    EXPECT_EQ(config.eal_args, std::vector<std::string>{"xdpdk"});
    EXPECT_TRUE(config.attach.empty());
    EXPECT_TRUE(config.pass.empty());
    EXPECT_EQ(config.engine, defaults.engine);
    EXPECT_EQ(config.duration_s, defaults.duration_s);
    EXPECT_EQ(config.stats_interval_s, defaults.stats_interval_s);
    EXPECT_EQ(config.burst, defaults.burst);
    EXPECT_EQ(config.rx_queues, defaults.rx_queues);
    EXPECT_FALSE(config.mbufs_per_pool.has_value());
}

TEST(RunConfigToml, EveryKeyLandsInItsField) {
    const std::string maps = test::temp_dir() + "/maps.json";
    test::write_file(maps, "{}");
    const RunConfig config = parse_ok(R"(
eal = ["--no-huge", "-m", "1024", "--no-pci", "--vdev=net_null0", "--vdev=net_null1"]
engine = "interp"
duration = 2.5
packets = 1000000
stats_interval = 0
json = true
strict = true
maps_in = ")" + maps + R"("
set = ["port_base=0x10", "verbose=1"]
maps_out = "out/maps.json"
trace = "/tmp/trace.log"
rx_queues = 4
rx_desc = 512
tx_desc = 2048
burst = 64
mbuf_cache = 128
mbufs_per_pool = 16383

[[port]]
id = 0
attach = ")" + drop_object() + R"(@xdp_drop_prog"
pass = "tap"
tap_name = "xtap0"
ifindex = 7

[[port]]
id = 1
attach = ")" + tx_object() + R"("
pass = "port:0"

[[port]]
id = 2
pass = "drop"
)");
    EXPECT_EQ(config.eal_args, (std::vector<std::string>{"xdpdk", "--no-huge", "-m", "1024", "--no-pci",
                                                         "--vdev=net_null0", "--vdev=net_null1"}));
    EXPECT_EQ(config.engine, vm::EngineKind::Interp);
    EXPECT_DOUBLE_EQ(config.duration_s, 2.5);
    EXPECT_EQ(config.max_packets, 1000000u);
    EXPECT_DOUBLE_EQ(config.stats_interval_s, 0);
    EXPECT_TRUE(config.json);
    EXPECT_TRUE(config.strict_verifier);
    EXPECT_EQ(config.maps_in, maps);
    EXPECT_EQ(config.sets, (std::vector<std::string>{"port_base=0x10", "verbose=1"}));
    EXPECT_EQ(config.maps_out, "out/maps.json");
    EXPECT_EQ(config.trace_path, "/tmp/trace.log");
    EXPECT_EQ(config.rx_queues, 4);
    EXPECT_EQ(config.rx_desc, 512);
    EXPECT_EQ(config.tx_desc, 2048);
    EXPECT_EQ(config.burst, 64);
    EXPECT_EQ(config.mbuf_cache, 128u);
    ASSERT_TRUE(config.mbufs_per_pool.has_value());
    EXPECT_EQ(*config.mbufs_per_pool, 16383u);

    ASSERT_EQ(config.attach.size(), 2u);
    EXPECT_EQ(config.attach[0].port, 0);
    EXPECT_EQ(config.attach[0].object_path, drop_object());
    EXPECT_EQ(config.attach[0].program_name, "xdp_drop_prog");
    EXPECT_EQ(config.attach[1].port, 1);
    EXPECT_EQ(config.attach[1].object_path, tx_object());
    EXPECT_EQ(config.attach[1].program_name, "");

    ASSERT_EQ(config.pass.size(), 3u);
    EXPECT_EQ(config.pass[0].port, 0);
    EXPECT_EQ(config.pass[0].kind, Kind::Tap);
    EXPECT_EQ(config.pass[0].tap_name, "xtap0");
    EXPECT_EQ(config.pass[1].port, 1);
    EXPECT_EQ(config.pass[1].kind, Kind::Port);
    EXPECT_EQ(config.pass[1].target_port, 0);
    EXPECT_EQ(config.pass[2].port, 2);
    EXPECT_EQ(config.pass[2].kind, Kind::Drop);

    ASSERT_EQ(config.ifindex.size(), 1u);
    EXPECT_EQ(config.ifindex[0].port, 0);
    EXPECT_EQ(config.ifindex[0].ifindex, 7u);
}

TEST(RunConfigToml, SetTableBecomesNameValueArguments) {
    const RunConfig config = parse_ok(R"(
duration = 3
[set]
port_base = 4096
mask = "0xff"
key = "hex:0a0b"
negative = -2
)");
    EXPECT_DOUBLE_EQ(config.duration_s, 3);
    // A table has no order (toml++ keeps keys sorted); names are unique, so
    // the order of assignments does not matter.
    EXPECT_EQ(config.sets, (std::vector<std::string>{"key=hex:0a0b", "mask=0xff", "negative=-2", "port_base=4096"}));
}

TEST(RunConfigToml, MapSizeTableBecomesMapSizeArguments) {
    const RunConfig config = parse_ok(R"(
map-size = { src_packets = 4096 }
[[port]]
id = 0
)");
    EXPECT_EQ(config.map_sizes, (std::vector<std::string>{"src_packets=4096"}));
    EXPECT_EQ(parse_ok("[map-size]\nflows = 1\nproto = 3\n").map_sizes,
              (std::vector<std::string>{"flows=1", "proto=3"}));
    EXPECT_EQ(parse_error("map-size = 5\n"), "t.toml:1:12: 'map-size': expected a table of map name = entries, got "
                                             "an integer");
    EXPECT_EQ(parse_error("[map-size]\nflows = 0\n"),
              "t.toml:2:9: 'map-size.flows': expected a number of entries from 1 to 4294967295");
    EXPECT_EQ(parse_error("[map-size]\nflows = \"64\"\n"),
              "t.toml:2:9: 'map-size.flows': expected a number of entries from 1 to 4294967295");
}

TEST(RunConfigToml, XskArrayBecomesBindings) {
    const RunConfig config = parse_ok("xsk = [\"xsks_map[0]=port:1\", \"xsks_map[2]=port:3\"]\n");
    ASSERT_EQ(config.xsk.size(), 2u);
    EXPECT_EQ(config.xsk[1].map, "xsks_map");
    EXPECT_EQ(config.xsk[1].slot, 2u);
    EXPECT_EQ(config.xsk[1].port, 3);
    EXPECT_EQ(parse_error("xsk = [\"xsks_map=port:1\"]\n"), "t.toml:1:8: 'xsk[0]': expected MAP[SLOT]=port:N");
}

TEST(RunConfigToml, TapWithoutNameLeavesTheDefaultName) {
    const RunConfig config = parse_ok("[[port]]\nid = 3\npass = \"tap\"\n");
    ASSERT_EQ(config.pass.size(), 1u);
    EXPECT_EQ(config.pass[0].port, 3);
    EXPECT_EQ(config.pass[0].kind, Kind::Tap);
    EXPECT_EQ(config.pass[0].tap_name, "");
    EXPECT_TRUE(config.ifindex.empty());
}

TEST(RunConfigToml, TapNameMayBeWrittenAsOnTheCommandLine) {
    const RunConfig config = parse_ok("[[port]]\nid = 1\npass = \"tap:exc1\"\n");
    ASSERT_EQ(config.pass.size(), 1u);
    EXPECT_EQ(config.pass[0].kind, Kind::Tap);
    EXPECT_EQ(config.pass[0].tap_name, "exc1");
}

TEST(RunConfigToml, LoadsFromAFileAndNamesItInErrors) {
    const std::string dir = test::temp_dir();
    test::write_file(dir + "/ok.toml", "packets = 5\n[[port]]\nid = 0\nattach = \"" + drop_object() + "\"\n");
    auto config = load_run_config_toml(dir + "/ok.toml");
    ASSERT_TRUE(config.ok()) << config.error().str();
    EXPECT_EQ(config->max_packets, 5u);
    ASSERT_EQ(config->attach.size(), 1u);
    EXPECT_EQ(config->attach[0].object_path, drop_object());

    test::write_file(dir + "/typo.toml", "packets = 5\nduraton = 1\n");
    auto typo = load_run_config_toml(dir + "/typo.toml");
    ASSERT_FALSE(typo.ok());
    EXPECT_EQ(typo.error().str(), dir + "/typo.toml:2:1: 'duraton': unknown key; did you mean 'duration'?");

    auto missing = load_run_config_toml(dir + "/none.toml");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().str(), dir + "/none.toml: cannot open config file: No such file or directory");
}

TEST(RunConfigToml, SyntaxErrorGivesLineAndColumn) {
    EXPECT_EQ(parse_error("packets = 5\nduration = = 2\n"),
              "t.toml:2:12: error while parsing value: could not determine value type");
    const std::string unterminated = parse_error("eal = [\"--no-pci\"\n[[port]]\n");
    EXPECT_EQ(unterminated.rfind("t.toml:", 0), 0u) << unterminated;
    const std::string duplicate = parse_error("burst = 32\nburst = 64\n");
    EXPECT_EQ(duplicate.rfind("t.toml:2:", 0), 0u) << duplicate;
}

TEST(RunConfigToml, UnknownKeySuggestsTheNearestValidKey) {
    EXPECT_EQ(parse_error("stats-interval = 2\n"), "t.toml:1:1: 'stats-interval': unknown key; did you mean 'stats_interval'?");
    EXPECT_EQ(parse_error("\nrxqueues = 2\n"), "t.toml:2:1: 'rxqueues': unknown key; did you mean 'rx_queues'?");
    EXPECT_EQ(parse_error("[[port]]\nid = 0\n  atach = \"x.o\"\n"),
              "t.toml:3:3: 'port[0].atach': unknown key; did you mean 'attach'?");
    EXPECT_EQ(parse_error("[[port]]\nid = 0\n[[port]]\nid = 1\npas = \"drop\"\n"),
              "t.toml:5:1: 'port[1].pas': unknown key; did you mean 'pass'?");
}

TEST(RunConfigToml, UnknownKeyFarFromAnyListsTheValidKeys) {
    EXPECT_EQ(parse_error("[[port]]\nid = 0\nqueue_weights = 4\n"),
              "t.toml:3:1: 'port[0].queue_weights': unknown key (valid keys: id, attach, pass, tap_name, ifindex)");
}

TEST(RunConfigToml, WrongTypesNameWhatWasExpected) {
    EXPECT_EQ(parse_error("duration = \"5\"\n"), "t.toml:1:12: 'duration': expected a number of seconds, got a string");
    EXPECT_EQ(parse_error("json = 1\n"), "t.toml:1:8: 'json': expected true or false, got an integer");
    EXPECT_EQ(parse_error("burst = 32.0\n"), "t.toml:1:9: 'burst': expected an integer, got a float");
    EXPECT_EQ(parse_error("eal = \"--no-pci\"\n"), "t.toml:1:7: 'eal': expected an array of strings, got a string");
    EXPECT_EQ(parse_error("eal = [\"--no-pci\", 3]\n"), "t.toml:1:20: 'eal[1]': expected a string, got an integer");
    EXPECT_EQ(parse_error("[[port]]\nid = \"0\"\n"), "t.toml:2:6: 'port[0].id': expected an integer, got a string");
    EXPECT_EQ(parse_error("[port]\nid = 0\n"),
              "t.toml:1:1: 'port': expected an array of tables: write one [[port]] table per port, got a table");
    EXPECT_EQ(parse_error("set = 5\n"),
              "t.toml:1:7: 'set': expected an array of \"NAME=VALUE\" strings or a table, got an integer");
    EXPECT_EQ(parse_error("[set]\nflag = true\n"),
              "t.toml:2:8: 'set.flag': expected an integer or a string (\"0x..\", \"hex:..\"), got a boolean");
}

TEST(RunConfigToml, OutOfRangeValuesNameTheRange) {
    EXPECT_EQ(parse_error("rx_queues = 0\n"), "t.toml:1:13: 'rx_queues': 0 is out of range (1 to 1024)");
    EXPECT_EQ(parse_error("burst = 100000\n"), "t.toml:1:9: 'burst': 100000 is out of range (1 to 512)");
    EXPECT_EQ(parse_error("packets = -1\n"), "t.toml:1:11: 'packets': -1 is out of range (0 to 9223372036854775807)");
    EXPECT_EQ(parse_error("duration = -0.5\n"), "t.toml:1:12: 'duration': must be a finite number of seconds >= 0");
    EXPECT_EQ(parse_error("stats_interval = inf\n"),
              "t.toml:1:18: 'stats_interval': must be a finite number of seconds >= 0");
    EXPECT_EQ(parse_error("[[port]]\nid = 70000\n"), "t.toml:2:6: 'port[0].id': 70000 is out of range (0 to 65535)");
    EXPECT_EQ(parse_error("[[port]]\nid = 0\nifindex = 0\n"),
              "t.toml:3:11: 'port[0].ifindex': 0 is out of range (1 to 4294967295)");
}

TEST(RunConfigToml, DuplicatePortsAndIfindexesAreRefused) {
    EXPECT_EQ(parse_error("[[port]]\nid = 1\n\n[[port]]\nid = 1\n"),
              "t.toml:5:6: 'port[1].id': port 1 is already configured at line 1; use one [[port]] table per port");
    EXPECT_EQ(parse_error("[[port]]\nid = 0\nifindex = 2\n[[port]]\nid = 1\n"),
              "t.toml:5:6: 'port[1].id': ifindex 2 is already port 0's; bpf_redirect() needs one port per ifindex");
}

TEST(RunConfigToml, PortNeedsAnId) {
    EXPECT_EQ(parse_error("[[port]]\npass = \"drop\"\n"), "t.toml:1:1: 'port[0]': missing key 'id' (the DPDK port id)");
}

TEST(RunConfigToml, BadPassSpecsAreRefused) {
    EXPECT_EQ(parse_error("[[port]]\nid = 0\npass = \"tapp\"\n"),
              "t.toml:3:8: 'port[0].pass': expected \"tap\", \"tap:IFNAME\", \"port:N\" or \"drop\", got 'tapp'");
    EXPECT_EQ(parse_error("[[port]]\nid = 0\npass = \"tap:x0\"\ntap_name = \"x1\"\n"),
              "t.toml:4:12: 'port[0].tap_name': the interface is already named in pass = \"tap:x0\"");
    EXPECT_EQ(parse_error("[[port]]\nid = 0\npass = \"tap:a b\"\n"),
              "t.toml:3:8: 'port[0].pass': 'a b' is not a valid interface name (no '/', ':', ',', '=' or spaces)");
    EXPECT_EQ(parse_error("[[port]]\nid = 0\npass = \"port:x\"\n"),
              "t.toml:3:8: 'port[0].pass': 'port:x': N in port:N must be a port id from 0 to 65535");
    EXPECT_EQ(parse_error("[[port]]\nid = 0\npass = \"port:70000\"\n"),
              "t.toml:3:8: 'port[0].pass': 'port:70000': N in port:N must be a port id from 0 to 65535");
    EXPECT_EQ(parse_error("[[port]]\nid = 2\npass = \"port:2\"\n"),
              "t.toml:3:8: 'port[0].pass': 'port:2' is the receiving port itself: that is what XDP_TX does; name "
              "another port");
    EXPECT_EQ(parse_error("[[port]]\nid = 0\npass = \"port:\"\n"),
              "t.toml:3:8: 'port[0].pass': 'port:': N in port:N must be a port id from 0 to 65535");
    EXPECT_EQ(parse_error("[[port]]\nid = 0\npass = \"drop\"\ntap_name = \"x0\"\n"),
              "t.toml:4:12: 'port[0].tap_name': only meaningful with pass = \"tap\" (this port has pass = \"drop\")");
    EXPECT_EQ(parse_error("[[port]]\nid = 0\ntap_name = \"x0\"\n"),
              "t.toml:3:12: 'port[0].tap_name': only meaningful with pass = \"tap\"");
    EXPECT_EQ(parse_error("[[port]]\nid = 0\npass = \"tap\"\ntap_name = \"a-name-far-too-long\"\n"),
              "t.toml:4:12: 'port[0].tap_name': an interface name has 1 to 15 characters, got 'a-name-far-too-long'");
    EXPECT_EQ(parse_error("[[port]]\nid = 0\npass = \"tap\"\ntap_name = \"a,b\"\n"),
              "t.toml:4:12: 'port[0].tap_name': 'a,b' is not a valid interface name (no '/', ':', ',', '=' or spaces)");
}

TEST(RunConfigToml, MissingFilesNameTheKey) {
    EXPECT_EQ(parse_error("[[port]]\nid = 0\nattach = \"no/such.o@prog\"\n"),
              "t.toml:3:10: 'port[0].attach': cannot read 'no/such.o': No such file or directory "
              "(relative paths are relative to the current directory)");
    EXPECT_EQ(parse_error("[[port]]\nid = 0\nattach = \"" + drop_object() + "@\"\n"),
              "t.toml:3:10: 'port[0].attach': nothing after '@' in '" + drop_object() +
                  "@': write PROG.o or PROG.o@NAME");
    EXPECT_EQ(parse_error("maps_in = \"no/maps.json\"\n"),
              "t.toml:1:11: 'maps_in': cannot read 'no/maps.json': No such file or directory "
              "(relative paths are relative to the current directory)");
}

TEST(RunConfigToml, BadEngineEalAndSetEntriesAreRefused) {
    const std::string engine = parse_error("engine = \"fast\"\n");
    EXPECT_EQ(engine.rfind("t.toml:1:10: 'engine': ", 0), 0u) << engine;
    EXPECT_NE(engine.find("interp"), std::string::npos) << engine;
    EXPECT_EQ(parse_error("eal = [\"--no-pci\", \"--\", \"--duration\"]\n"),
              "t.toml:1:7: 'eal': '--' ends the EAL arguments on the command line; in a file, application "
              "options are keys of their own");
    EXPECT_EQ(parse_error("set = [\"a=1\", \"b\"]\n"), "t.toml:1:15: 'set[1]': expected NAME=VALUE, got 'b'");
}

// Table keys become the NAME of NAME=VALUE, split at the first '=' (found
// by fuzz_run_config).
TEST(RunConfigToml, SetAndMapSizeKeysAreNames) {
    EXPECT_EQ(parse_error("[set]\n\"a=b\" = 1\n"), "t.toml:2:9: 'set.a=b': a global's name is not empty and has no '='");
    EXPECT_EQ(parse_error("map-size = { \"\" = 8 }\n"), "t.toml:1:19: 'map-size.': a map's name is not empty and has no '='");
}

// The file's text that a refusal quotes (a value, the character the TOML
// parser stopped at) keeps the error on one line (found by fuzz_run_config).
TEST(RunConfigToml, RefusalsQuotingControlCharactersStayOneLine) {
    EXPECT_EQ(parse_error("duration = n\n"),
              "t.toml:1:13: error while parsing floating-point: expected 'nan', saw 'n\\n'");
    EXPECT_EQ(parse_error("engine = \"a\\nb\"\n"),
              "t.toml:1:10: 'engine': unknown engine 'a\\nb' (choose interp or jit)");
    EXPECT_EQ(parse_error("[[route]]\nprefix = \"10.0.0.0/8\\r\"\n"),
              "t.toml: route 1: bad prefix '10.0.0.0/8\\r': bad prefix length");
}

}  // namespace
}  // namespace xdpdk::cli
