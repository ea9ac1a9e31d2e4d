// The dataplane's pieces that need no EAL: the attach point (replacing a
// port's programs while workers run them) and the `xdpdk run` command line.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/runtime/dp_attach.h"
#include "dataplane/loader/program_source.h"
#include "dataplane/tool/run_args.h"
#include "test_support.h"
#include "vm/object.h"
#include "vm/packet.h"
#include "vm/reclaim.h"

using namespace xdpdk::test;

namespace {

using Bytes = std::vector<uint8_t>;

// ---- the attach point: replacing a port's programs under traffic ----

std::shared_ptr<xdpdk::vm::Object> loaded(const std::string& name) {
    auto obj = xdpdk::vm::Object::open(prog_path(name));
    EXPECT_TRUE(obj.ok()) << obj.error().str();
    EXPECT_TRUE((*obj)->load().ok());
    return std::shared_ptr<xdpdk::vm::Object>(std::move(*obj));
}

std::unique_ptr<xdpdk::dataplane::AttachedSet> set_of(std::shared_ptr<xdpdk::vm::Object> obj) {
    auto prog = obj->default_xdp_program();
    EXPECT_TRUE(prog.ok());
    using xdpdk::dataplane::AttachedProgram;
    return std::make_unique<xdpdk::dataplane::AttachedSet>(std::vector<AttachedProgram>{{std::move(obj), *prog}});
}

// The old set (and the object only it holds) is freed only once the worker
// that loaded it passes a quiescent state; replace() returns then.
// A set of one JIT-compiled program is called directly, and tells the worker
// whether a run can leave a redirect target or tail-call count behind (then
// the worker resets its ExecContext before every run, else only after a
// verdict other than DROP, PASS or TX).
TEST(AttachedSet, DirectEntryAndWhetherRunsLeaveState) {
    const std::pair<const char*, bool> cases[] = {
        {"mac_swap", false}, {"load_balancer", false}, {"firewall", false},
        {"redirect", true},  {"tail_calls", true},
    };
    for (const auto& [name, leaves] : cases) {
        auto set = set_of(loaded(name));
        EXPECT_NE(set->direct, nullptr) << name;
        EXPECT_EQ(set->direct_leaves_run_state, leaves) << name;
        EXPECT_FALSE(set->takes_frags) << name;
    }
    EXPECT_TRUE(set_of(loaded("frags_stamp"))->takes_frags);
    // Two programs: no direct entry, run() resets before each of them.
    auto obj = loaded("mac_swap");
    auto prog = obj->default_xdp_program();
    ASSERT_TRUE(prog.ok());
    const xdpdk::dataplane::AttachedSet two({{obj, *prog}, {obj, *prog}});
    EXPECT_EQ(two.direct, nullptr);
}

TEST(AttachPoint, ReplaceWaitsForTheWorkerHoldingTheOldSet) {
    xdpdk::vm::ReclaimDomain domain;
    xdpdk::dataplane::AttachPoint point;
    std::weak_ptr<xdpdk::vm::Object> old_obj;
    {
        auto obj = loaded("xdp_pass");
        old_obj = obj;
        point.replace(set_of(std::move(obj)), domain);
    }
    std::atomic<int> stage{0};
    std::thread worker([&] {
        xdpdk::vm::ReclaimThread reclaim(domain);
        const auto* set = point.load();
        stage = 1;                                      // holding the old set
        while (stage.load() != 2) std::this_thread::yield();
        // Still usable: the control thread is waiting for us.
        xdpdk::vm::PacketFrame frame(Bytes(64, 0));
        xdpdk::vm::ExecContext ex;
        EXPECT_EQ(set->run(frame.xdp(), ex), xdpdk::vm::XDP_PASS);
        reclaim.quiescent();
        while (stage.load() != 3) std::this_thread::yield();
    });
    while (stage.load() != 1) std::this_thread::yield();
    std::atomic<bool> replaced{false};
    std::thread control([&] {
        point.replace(set_of(loaded("xdp_drop")), domain);
        replaced = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_FALSE(replaced.load());
    EXPECT_FALSE(old_obj.expired());
    stage = 2;
    control.join();
    EXPECT_TRUE(replaced.load());
    EXPECT_TRUE(old_obj.expired());
    xdpdk::vm::PacketFrame frame(Bytes(64, 0));
    xdpdk::vm::ExecContext ex;
    EXPECT_EQ(point.load()->run(frame.xdp(), ex), xdpdk::vm::XDP_DROP);
    stage = 3;
    worker.join();
}

// Two workers run whatever is attached, burst after burst, while the control
// thread swaps between two programs: every verdict is one of theirs, and a
// burst that starts after replace() returned sees the new program.
TEST(AttachPoint, SwapsUnderConcurrentRuns) {
    xdpdk::vm::ReclaimDomain domain;
    xdpdk::dataplane::AttachPoint point;
    const auto pass = loaded("xdp_pass"), drop = loaded("xdp_drop");
    point.replace(set_of(pass), domain);
    std::atomic<bool> stop{false}, replacing{false};
    std::atomic<uint64_t> published{xdpdk::vm::XDP_PASS};  // the verdict of the set attached last
    std::atomic<uint64_t> runs{0}, wrong{0}, checked{0}, stale{0};
    auto worker = [&] {
        xdpdk::vm::ReclaimThread reclaim(domain);
        xdpdk::vm::PacketFrame frame(Bytes(64, 0));
        xdpdk::vm::ExecContext ex;
        while (!stop.load()) {
            const bool quiet_before = !replacing.load();
            const uint64_t expected = published.load();
            const auto* set = point.load();
            uint64_t verdict = 0;
            for (int i = 0; i < 32; ++i) {
                verdict = set->run(frame.xdp(), ex);
                if (verdict != xdpdk::vm::XDP_PASS && verdict != xdpdk::vm::XDP_DROP) ++wrong;
            }
            // No replace ran around this burst: it must have used the set
            // attached last.
            if (quiet_before && !replacing.load() && published.load() == expected) {
                ++checked;
                if (verdict != expected) ++stale;
            }
            runs += 32;
            reclaim.quiescent();
        }
    };
    std::thread w1(worker), w2(worker);
    for (int i = 0; i < 40; ++i) {
        const bool to_drop = i % 2 == 0;
        replacing = true;
        point.replace(set_of(to_drop ? drop : pass), domain);
        published = to_drop ? xdpdk::vm::XDP_DROP : xdpdk::vm::XDP_PASS;
        replacing = false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    stop = true;
    w1.join();
    w2.join();
    EXPECT_GT(runs.load(), 0u);
    EXPECT_EQ(wrong.load(), 0u);
    EXPECT_GT(checked.load(), 0u);
    EXPECT_EQ(stale.load(), 0u);
    EXPECT_EQ(domain.pending(), 0u);
    EXPECT_EQ(pass.use_count() + drop.use_count(), 3);  // ours, and the set attached last
}

// ---- the command line, without EAL ----

namespace dp = xdpdk::cli;

TEST(RunArgs, SplitsEalFromApplicationOptions) {
    auto line = dp::split_run_command_line({"-l", "0,1", "--vdev=net_null0", "--", "--attach", "0=a.o", "--json"});
    ASSERT_TRUE(line.ok());
    EXPECT_EQ(line->eal_args, (std::vector<std::string>{"-l", "0,1", "--vdev=net_null0"}));
    EXPECT_EQ(line->app_args, (std::vector<std::string>{"--attach", "0=a.o", "--json"}));
    EXPECT_TRUE(line->config_path.empty());

    line = dp::split_run_command_line({"--config", "c.toml", "--", "--duration", "2"});
    ASSERT_TRUE(line.ok());
    EXPECT_EQ(line->config_path, "c.toml");
    EXPECT_TRUE(line->eal_args.empty());
    EXPECT_EQ(line->app_args, (std::vector<std::string>{"--duration", "2"}));

    EXPECT_EQ(dp::split_run_command_line({"--config", "c.toml", "-l", "0,1"}).error().str(),
              "run --config: EAL options come from the config file; application options go after '--', not '-l'");
    EXPECT_EQ(dp::split_run_command_line({"-l", "0,1", "--config", "c.toml"}).error().str(),
              "run --config: must come first: xdpdk run --config FILE [-- options]");
}

TEST(RunArgs, AttachAFilter) {
    auto expr = dp::parse_attach_spec("2=filter:tcp port 80 or host 10.0.0.1@x");
    ASSERT_TRUE(expr.ok()) << expr.error().str();
    EXPECT_EQ(expr->port, 2);
    ASSERT_TRUE(expr->filter.has_value());
    EXPECT_EQ(expr->filter->expression, "tcp port 80 or host 10.0.0.1@x") << "an expression has no @NAME";
    EXPECT_EQ(expr->object_path, "");
    auto quoted = dp::parse_attach_spec("0=filter:'udp'");
    ASSERT_TRUE(quoted.ok());
    EXPECT_EQ(quoted->filter->expression, "udp");
    auto ddd = dp::parse_attach_spec("0=filter-ddd:/tmp/f.ddd");
    ASSERT_TRUE(ddd.ok());
    EXPECT_EQ(ddd->filter->ddd_path, "/tmp/f.ddd");
    EXPECT_EQ(dp::parse_attach_spec("0=filter-ddd:").error().str(),
              "--attach '0=filter-ddd:': expected filter-ddd:FILE, with a file");

    // An empty -ddd path (as ctl swap and a TOML attach give it) is refused,
    // not read as an empty expression that passes everything.
    auto word = xdpdk::loader::filter_from_word("filter-ddd:''", "attach");
    ASSERT_FALSE(word.ok());
    EXPECT_EQ(word.error().str(), "attach: expected filter-ddd:FILE, with a file");
    auto everything = xdpdk::loader::filter_from_word("filter:", "w");
    ASSERT_TRUE(everything.ok() && everything->has_value()) << "tcpdump's empty expression: every packet";
    EXPECT_EQ((*everything)->kind, xdpdk::loader::FilterSource::Kind::expression);

    dp::RunConfig config;
    ASSERT_TRUE(dp::parse_run_options({"--attach", "0=filter:tcp", "--filter-action", "tx"}, config).ok());
    EXPECT_EQ(config.filter_action, "tx");
    EXPECT_TRUE(dp::check_filter_usage(config).ok());
    EXPECT_FALSE(dp::parse_run_options({"--filter-action", "sideways"}, config).ok());
    config.sets = {"x=1"};
    EXPECT_EQ(dp::check_filter_usage(config).error().str(),
              "--attach port 0 filter:'tcp': a filter has no global variables to set (--set)");
    config.sets.clear();
    config.maps_in = "m.json";
    EXPECT_EQ(dp::check_filter_usage(config).error().str(),
              "--attach port 0 filter:'tcp': a filter has no maps to fill (--maps-in)");
    config.maps_in.clear();
    config.sets = {"x=1"};
    // With an object attached too, --set is the object's.
    config.attach.push_back({1, "one.o", "", {}});
    EXPECT_TRUE(dp::check_filter_usage(config).ok());
    dp::RunConfig no_filter;
    no_filter.attach.push_back({0, "one.o", "", {}});
    no_filter.filter_action = "tx";
    EXPECT_EQ(dp::check_filter_usage(no_filter).error().str(),
              "--filter-action: applies to filters: attach one with --attach PORT=filter:EXPR");
}

TEST(RunArgs, OptionsAddToWhatAConfigFileGave) {
    dp::RunConfig config;
    config.attach.push_back({1, "one.o", "", {}});
    config.duration_s = 9;
    ASSERT_TRUE(dp::parse_run_options({"--attach", "0=dir/prog.o@entry", "--pass", "0=tap:hostif", "--pass",
                                       "1=port:0", "--ifindex", "1=42", "--set", "x=1", "--packets", "10",
                                       "--engine", "interp", "--rx-queues", "4", "--strict"},
                                      config)
                    .ok());
    ASSERT_EQ(config.attach.size(), 2u);
    EXPECT_EQ(config.attach[1].port, 0);
    EXPECT_EQ(config.attach[1].object_path, "dir/prog.o");
    EXPECT_EQ(config.attach[1].program_name, "entry");
    ASSERT_EQ(config.pass.size(), 2u);
    EXPECT_EQ(config.pass[0].kind, dp::PassSpec::Kind::Tap);
    EXPECT_EQ(config.pass[0].tap_name, "hostif");
    EXPECT_EQ(config.pass[1].kind, dp::PassSpec::Kind::Port);
    EXPECT_EQ(config.pass[1].target_port, 0);
    ASSERT_EQ(config.ifindex.size(), 1u);
    EXPECT_EQ(config.ifindex[0].ifindex, 42u);
    EXPECT_EQ(config.sets, std::vector<std::string>{"x=1"});
    EXPECT_EQ(config.max_packets, 10u);
    EXPECT_EQ(config.duration_s, 9);  // kept
    EXPECT_EQ(config.engine, xdpdk::vm::EngineKind::Interp);
    EXPECT_EQ(config.rx_queues, 4);
    EXPECT_TRUE(config.strict_verifier);
    EXPECT_TRUE(dp::validate_run_config(config).ok());
}

TEST(RunArgs, AMapSizeOnTheCommandLineOverridesTheFilesSizeForThatMap) {
    dp::RunConfig config;
    config.map_sizes = {"flows=64", "stats=4"};
    ASSERT_TRUE(dp::parse_run_options({"--map-size", "flows=1024", "--map-size", "extra=2"}, config).ok());
    EXPECT_EQ(config.map_sizes, (std::vector<std::string>{"stats=4", "flows=1024", "extra=2"}));
}

TEST(RunArgs, XskBindingsParseAndBadOnesNameTheProblem) {
    dp::RunConfig config;
    ASSERT_TRUE(dp::parse_run_options({"--attach", "0=a.o", "--xsk", "xsks_map[3]=port:1", "--xsk", "socks[0]=port:2"},
                                      config)
                    .ok());
    ASSERT_EQ(config.xsk.size(), 2u);
    EXPECT_EQ(config.xsk[0].map, "xsks_map");
    EXPECT_EQ(config.xsk[0].slot, 3u);
    EXPECT_EQ(config.xsk[0].port, 1);
    EXPECT_EQ(config.xsk[1].map, "socks");
    EXPECT_TRUE(dp::validate_run_config(config).ok());
    auto error_of = [](const std::string& text) {
        auto spec = dp::parse_xsk_spec(text);
        return spec.ok() ? std::string() : spec.error().str();
    };
    EXPECT_EQ(error_of("xsks_map=port:1"), "--xsk 'xsks_map=port:1': expected MAP[SLOT]=port:N");
    EXPECT_EQ(error_of("[1]=port:1"), "--xsk '[1]=port:1': expected MAP[SLOT]=port:N");
    EXPECT_EQ(error_of("m[x]=port:1"), "--xsk 'm[x]=port:1': SLOT must be a number from 0 to 4294967295");
    EXPECT_EQ(error_of("m[1]=tap"), "--xsk 'm[1]=tap': expected MAP[SLOT]=port:N");
    EXPECT_EQ(error_of("m[1]=port:99"), "--xsk 'm[1]=port:99': port must be a port id from 0 to 31, not '99'");
    dp::RunConfig twice;
    ASSERT_TRUE(dp::parse_run_options({"--attach", "0=a.o", "--xsk", "m[1]=port:1", "--xsk", "m[1]=port:2"}, twice).ok());
    const auto st = dp::validate_run_config(twice);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().str(), "--xsk 'm[1]=port:2': slot 1 of map 'm' is bound twice");
}

TEST(RunArgs, ValidationNamesTheConflict) {
    auto error_of = [](const std::vector<std::string>& args) {
        dp::RunConfig config;
        auto st = dp::parse_run_options(args, config);
        if (st.ok()) st = dp::validate_run_config(config);
        return st.ok() ? std::string() : st.error().str();
    };
    EXPECT_EQ(error_of({"--attach", "0=a.o", "--ifindex", "0=5", "--ifindex", "0=6"}),
              "--ifindex port 0: port has two ifindexes");
    EXPECT_EQ(error_of({"--attach", "0=a.o", "--ifindex", "0=5", "--ifindex", "1=5"}), "--ifindex 5: given to ports 0 and 1");
    EXPECT_EQ(error_of({"--attach", "0=a.o", "--pass", "0=port:0"}),
              "--pass port 0: passing to the receiving port itself is XDP_TX; use port:N with another port");
    EXPECT_EQ(error_of({"--attach", "0=a.o", "--pass", "0=drop", "--pass", "0=tap"}),
              "--pass port 0: port has two pass destinations");
    EXPECT_EQ(error_of({"--attach", "0=a.o@"}), "--attach '0=a.o@': empty program name after '@'");
    EXPECT_EQ(error_of({"--attach", "0=a.o", "--burst", "0"}), "--burst: must be from 1 to 512");
    EXPECT_EQ(error_of({"--attach", "0=a.o", "--duration", "soon"}), "run: --duration: must be a number >= 0, not 'soon'");
    EXPECT_EQ(error_of({"--attach", "0=a.o", "--packets", "-3"}), "run: --packets: must be a number >= 0, not '-3'");
}

}  // namespace
