// The x86-64 JIT against its oracle, the interpreter: every register pairing
// of the operations whose code depends on which x86 registers are involved
// (division, shifts, atomics), calls and tail calls, inlined helpers (checked
// to be inlined and to give the helper's results), the sample programs through
// `xdpdk replay` with both engines, W^X and memory release, and refusals.
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "test_support.h"
#include "vm/assembler.h"
#include "vm/engine.h"
#include "vm/helpers.h"
#include "vm/jit/jit.h"
#include "vm/map.h"
#include "vm/object.h"
#include "vm/packet.h"
#include "vm/program.h"
#include "vm/xdp.h"

namespace xdpdk::test {
namespace {

using namespace xdpdk::vm;

std::unique_ptr<Program> must_make(std::vector<RawInsn> raw) {
    auto prog = make_program("prog 'jit'", std::move(raw));
    EXPECT_TRUE(prog.ok()) << (prog.ok() ? "" : prog.error().str());
    return prog.ok() ? std::move(prog).value() : nullptr;
}

// Assembles `text`; every `rN = MARKER ll` whose value is a key of `maps`
// becomes an lddw of that map, recorded as the loader records it.
std::unique_ptr<Program> build(std::string_view text, const std::vector<std::pair<uint64_t, Map*>>& maps = {}) {
    auto raw = assemble(text);
    EXPECT_TRUE(raw.ok()) << (raw.ok() ? "" : raw.error().str());
    if (!raw.ok()) return nullptr;
    std::vector<LddwOrigin> origins;
    for (size_t i = 0; i + 1 < raw->size(); ++i) {
        RawInsn& in = (*raw)[i];
        if (in.code != op_info(Op::Lddw).code) continue;
        const uint64_t value = static_cast<uint32_t>(in.imm) | uint64_t{static_cast<uint32_t>((*raw)[i + 1].imm)} << 32;
        for (const auto& [marker, map] : maps) {
            if (value != marker) continue;
            const auto ptr = reinterpret_cast<uint64_t>(map);
            in.imm = static_cast<int32_t>(static_cast<uint32_t>(ptr));
            (*raw)[i + 1].imm = static_cast<int32_t>(static_cast<uint32_t>(ptr >> 32));
            origins.push_back(LddwOrigin{static_cast<uint32_t>(i), map, 0, false});
        }
        ++i;
    }
    auto prog = must_make(std::move(raw).value());
    if (prog) prog->lddw_origins = origins;
    return prog;
}

uint64_t run_interp(const Program& prog, std::vector<uint8_t>& mem, ExecContext& ex) {
    return run_raw(prog, mem.empty() ? nullptr : mem.data(), mem.size(), ex);
}

// Runs `prog` interpreted, then compiled with `opts`, from the same memory
// contents at the same address, and expects r0, memory and fault to agree.
// Returns the interpreter's r0.
uint64_t expect_engines_agree(Program& prog, std::vector<uint8_t> mem, const std::string& what,
                              const JitOptions& opts = {}, uint32_t cpu = 0) {
    const std::vector<uint8_t> initial = mem;
    prog.set_jit(nullptr);
    ExecContext ex_interp;
    ex_interp.cpu = cpu;
    const uint64_t r0_interp = run_interp(prog, mem, ex_interp);
    const std::vector<uint8_t> mem_interp = mem;

    const Status st = jit_compile(prog, opts);
    EXPECT_TRUE(st.ok()) << what << ": " << (st.ok() ? "" : st.error().str());
    if (!st.ok()) return r0_interp;
    mem = initial;
    ExecContext ex_jit;
    ex_jit.cpu = cpu;
    const uint64_t r0_jit = run_raw(prog, mem.empty() ? nullptr : mem.data(), mem.size(), ex_jit);
    prog.set_jit(nullptr);
    EXPECT_EQ(r0_jit, r0_interp) << what;
    EXPECT_EQ(mem, mem_interp) << what;
    EXPECT_EQ(ex_jit.fault == nullptr, ex_interp.fault == nullptr) << what;
    if (ex_jit.fault && ex_interp.fault) {
        EXPECT_STREQ(ex_jit.fault, ex_interp.fault) << what;
    }
    return r0_interp;
}

// ---- every register pairing ----

std::vector<RawInsn> lddw(uint8_t dst, uint64_t v) {
    return {encode_insn(Op::Lddw, dst, 0, 0, static_cast<int32_t>(static_cast<uint32_t>(v))),
            RawInsn{0, 0, 0, 0, static_cast<int32_t>(static_cast<uint32_t>(v >> 32))}};
}

void append(std::vector<RawInsn>& out, const std::vector<RawInsn>& more) { out.insert(out.end(), more.begin(), more.end()); }

// r1 points at `mem` (at least 96 bytes). Sets r0-r9 to `values`, points
// `pointer_reg` (if any) at mem + 80, runs `op`, then stores r0-r9 to
// mem[0..80): the memory holds every register afterwards.
std::vector<RawInsn> register_probe(const RawInsn& op, const uint64_t (&values)[10], int pointer_reg) {
    std::vector<RawInsn> p;
    p.push_back(encode_insn(Op::StxDW, 10, 1, -8, 0));
    for (uint8_t r = 0; r <= 9; ++r) append(p, lddw(r, values[r]));
    if (pointer_reg >= 0) {
        p.push_back(encode_insn(Op::LdxDW, static_cast<uint8_t>(pointer_reg), 10, -8, 0));
        p.push_back(encode_insn(Op::Add64Imm, static_cast<uint8_t>(pointer_reg), 0, 0, 80));
    }
    p.push_back(op);
    p.push_back(encode_insn(Op::StxDW, 10, 0, -16, 0));
    p.push_back(encode_insn(Op::LdxDW, 0, 10, -8, 0));
    for (uint8_t r = 1; r <= 9; ++r) p.push_back(encode_insn(Op::StxDW, 0, r, static_cast<int16_t>(8 * r), 0));
    p.push_back(encode_insn(Op::LdxDW, 1, 10, -16, 0));
    p.push_back(encode_insn(Op::StxDW, 0, 1, 0, 0));
    p.push_back(encode_insn(Op::Mov64Imm, 0, 0, 0, 0));
    p.push_back(encode_insn(Op::Exit, 0, 0, 0, 0));
    return p;
}

class RegisterValues {
public:
    explicit RegisterValues(uint32_t seed) : rng_(seed) {}
    void next(uint64_t (&v)[10]) {
        // Values that hit every special case of division and shifts.
        static constexpr uint64_t kSpecial[] = {0, 1, ~uint64_t{0}, uint64_t{1} << 63, 0xffffffff80000000,
                                                0x80000000, 0xffffffff, 7, uint64_t(-7), 0x1f, 0x3f, 0x20, 0x40,
                                                0xffffffff00000000, 0x100000000, 0x12345678ffffffff};
        for (auto& x : v) {
            const uint32_t pick = rng_() % 3;
            x = pick == 0 ? kSpecial[rng_() % std::size(kSpecial)] : (uint64_t{rng_()} << 32 | rng_());
        }
    }

private:
    std::mt19937 rng_;
};

void check_all_pairs(Op op, int value_sets, bool pointer_in_dst, const JitOptions& opts, uint32_t seed) {
    RegisterValues gen(seed);
    const bool uses_src = op_info(op).kind != Kind::AluImm && op_info(op).kind != Kind::Neg &&
                          op_info(op).kind != Kind::Endian;
    for (uint8_t dst = 0; dst <= 9; ++dst) {
        for (uint8_t src = 0; src <= 9; ++src) {
            if (!uses_src && src > 0) break;
            for (int set = 0; set < value_sets; ++set) {
                uint64_t v[10];
                gen.next(v);
                const RawInsn insn = encode_insn(op, dst, src, 0, static_cast<int32_t>(v[9] >> 32));
                auto prog = must_make(register_probe(insn, v, pointer_in_dst ? dst : -1));
                ASSERT_TRUE(prog);
                std::vector<uint8_t> mem(96);
                std::memcpy(mem.data() + 80, &v[(dst + 1) % 10], 8);
                std::memcpy(mem.data() + 88, &v[(dst + 2) % 10], 8);
                expect_engines_agree(*prog, mem,
                                     std::string(op_info(op).name) + " dst r" + std::to_string(dst) + " src r" +
                                         std::to_string(src) + " set " + std::to_string(set),
                                     opts);
                if (testing::Test::HasFailure()) return;
            }
        }
    }
}

std::vector<Op> ops_of_kinds(std::initializer_list<Kind> kinds) {
    std::vector<Op> out;
    for (int i = 0; i < kNumOps; ++i)
        for (Kind k : kinds)
            if (op_info(static_cast<Op>(i)).kind == k) out.push_back(static_cast<Op>(i));
    return out;
}

TEST(JitRegisters, AluOpsAgreeWithTheInterpreterForEveryRegisterPair) {
    JitOptions bmi2, no_bmi2;
    no_bmi2.use_bmi2 = false;
    for (Op op : ops_of_kinds({Kind::AluReg, Kind::AluImm, Kind::Neg, Kind::MovSx, Kind::Endian})) {
        SCOPED_TRACE(op_info(op).name);
        check_all_pairs(op, 3, false, bmi2, static_cast<uint32_t>(op));
        const Op base = static_cast<Op>(static_cast<int>(op) & ~3);
        if (op_info(op).kind == Kind::AluReg && (base == Op::Lsh64Imm || base == Op::Rsh64Imm || base == Op::Arsh64Imm))
            check_all_pairs(op, 3, false, no_bmi2, static_cast<uint32_t>(op) + 1000);
        if (testing::Test::HasFailure()) return;
    }
}

TEST(JitRegisters, AtomicsAgreeWithTheInterpreterForEveryRegisterPair) {
    for (Op op : ops_of_kinds({Kind::Atomic})) {
        SCOPED_TRACE(op_info(op).name);
        check_all_pairs(op, 2, true, JitOptions{}, static_cast<uint32_t>(op));
        if (testing::Test::HasFailure()) return;
    }
}

TEST(JitRegisters, DivisionByImmediatesAgreesForPowersOfTwoAndSpecialCases) {
    const int32_t imms[] = {0, 1, -1, 2, 8, 1 << 30, INT32_MIN, INT32_MAX, 3, -3, 7};
    RegisterValues gen(7);
    for (Op op : {Op::Div64Imm, Op::Div32Imm, Op::Mod64Imm, Op::Mod32Imm, Op::Sdiv64Imm, Op::Sdiv32Imm,
                  Op::Smod64Imm, Op::Smod32Imm, Op::Lsh32Imm, Op::Rsh64Imm, Op::Arsh32Imm}) {
        for (int32_t imm : imms) {
            for (uint8_t dst : {0, 3, 4, 6}) {
                uint64_t v[10];
                gen.next(v);
                auto prog = must_make(register_probe(encode_insn(op, dst, 0, 0, imm), v, -1));
                ASSERT_TRUE(prog);
                expect_engines_agree(*prog, std::vector<uint8_t>(96),
                                     std::string(op_info(op).name) + " imm " + std::to_string(imm) + " dst r" +
                                         std::to_string(dst));
            }
        }
    }
}

// ---- calls and tail calls ----

TEST(JitCalls, HelperCallsKeepR6ToR9AndPassTheContext) {
    auto prog = build(R"(
        r6 = 6
        r7 = 7
        r8 = 8
        r9 = 9
        call bpf_get_smp_processor_id
        r0 <<= 8
        r0 += r6
        r0 += r7
        r0 += r8
        r0 += r9
        exit)");
    ASSERT_TRUE(prog);
    for (bool inline_helpers : {true, false}) {
        JitOptions opts;
        opts.inline_helpers = inline_helpers;
        EXPECT_EQ(expect_engines_agree(*prog, {}, "smp id", opts, 5), (5u << 8) + 30);
    }
}

struct TailCallFixture {
    std::unique_ptr<Map> progs;
    std::unique_ptr<Map> counter;
    TailCallFixture() {
        progs = create_map(MapSpec{"progs", static_cast<uint32_t>(MapType::ProgArray), 4, 4, 4, 0}, 1).value();
        counter = create_map(MapSpec{"counter", static_cast<uint32_t>(MapType::Array), 4, 8, 1, 0}, 1).value();
    }
    uint64_t count() {
        const uint32_t key = 0;
        uint64_t v = 0;
        EXPECT_EQ(counter->user_lookup(&key, &v), 0);
        return v;
    }
    void reset_count() {
        const uint32_t key = 0;
        const uint64_t zero = 0;
        EXPECT_EQ(counter->user_update(&key, &zero, kAny), 0);
    }
};

// Each run increments the counter and tail-calls slot 0; the chain stops at
// the kernel's limit and the last run returns the counter.
constexpr const char* kSelfTailCall = R"(
        r6 = r1
        r1 = 0x2222 ll
        r2 = r10
        r2 += -4
        *(u32 *)(r10 -4) = 0
        call bpf_map_lookup_elem
        if r0 == 0 goto out
        r1 = 1
        lock *(u64 *)(r0 +0) += r1
        r1 = r6
        r2 = 0x1111 ll
        r3 = 0
        call bpf_tail_call
        r1 = 0x2222 ll
        r2 = r10
        r2 += -4
        call bpf_map_lookup_elem
        if r0 == 0 goto out
        r0 = *(u64 *)(r0 +0)
        exit
    out:
        r0 = 0
        exit)";

TEST(JitCalls, TailCallsStopAtTheKernelsChainLimitInBothEngines) {
    TailCallFixture f;
    auto prog = build(kSelfTailCall, {{0x1111, f.progs.get()}, {0x2222, f.counter.get()}});
    ASSERT_TRUE(prog);
    ASSERT_EQ(f.progs->set_program(0, prog.get()), 0);
    for (bool jit : {false, true}) {
        prog->set_jit(nullptr);
        if (jit) {
            ASSERT_TRUE(jit_compile(*prog).ok());
        }
        f.reset_count();
        ExecContext ex;
        const uint64_t r0 = run_raw(*prog, nullptr, 0, ex);
        EXPECT_EQ(r0, uint64_t{bpf::kMaxTailCalls} + 1) << (jit ? "jit" : "interp");
        EXPECT_EQ(f.count(), uint64_t{bpf::kMaxTailCalls} + 1);
        EXPECT_EQ(ex.tail_calls, static_cast<uint32_t>(bpf::kMaxTailCalls));
    }
}

TEST(JitCalls, TailCallFromASubprogramReturnsToItsCaller) {
    TailCallFixture f;
    // The target returns r1 + 40; the subprogram's caller adds 100.
    auto target = build(R"(
        r0 = r1
        r0 += 40
        exit)");
    auto prog = build(R"(
        r6 = 1000
        call sub
        r0 += 100
        r0 += r6
        exit
    sub:
        r6 = 5
        r2 = 0x1111 ll
        r3 = 0
        call bpf_tail_call
        r0 = 77
        exit)", {{0x1111, f.progs.get()}});
    ASSERT_TRUE(target && prog);
    ASSERT_EQ(f.progs->set_program(0, target.get()), 0);
    ASSERT_TRUE(jit_compile(*target).ok());
    std::vector<uint8_t> mem(16);
    // r1 = mem: the target's result depends on the context pointer, so agree
    // on the same buffer and check the arithmetic from its address.
    const uint64_t r0 = expect_engines_agree(*prog, mem, "tail call from subprogram");
    (void)r0;
    ASSERT_TRUE(jit_compile(*prog).ok());
    ExecContext ex;
    EXPECT_EQ(run_raw(*prog, mem.data(), mem.size(), ex), reinterpret_cast<uint64_t>(mem.data()) + 40 + 100 + 1000);
    // An empty slot falls through: the subprogram returns 77.
    ASSERT_EQ(f.progs->set_program(0, nullptr), 0);
    EXPECT_EQ(run_raw(*prog, mem.data(), mem.size(), ex), 77u + 100 + 1000);
}

// Sums many values the compiler keeps in callee-saved registers across the
// run; a JIT frame that failed to restore one changes the sum.
[[gnu::noinline]] uint64_t run_keeping_host_registers(const Program& prog, std::vector<uint8_t>& mem, uint64_t seed,
                                                      uint64_t& r0) {
    volatile uint64_t source = seed;
    const uint64_t a = source * 3, b = source * 5, c = source * 7, d = source * 11, e = source * 13, f = source * 17;
    ExecContext ex;
    r0 = run_raw(prog, mem.empty() ? nullptr : mem.data(), mem.size(), ex);
    return a + (b << 1) + (c << 2) + (d << 3) + (e << 4) + (f << 5);
}

TEST(JitCalls, TailCallTargetsSeeTheCallersRegistersAndHostRegistersSurvive) {
    TailCallFixture f;
    // Reads r6-r9 as the caller left them, then clobbers them all.
    auto target = build(R"(
        r0 = r6
        r0 += r7
        r0 += r8
        r0 += r9
        r6 = -1
        r7 = -1
        r8 = -1
        r9 = -1
        exit)");
    // The callers: touching none of r6-r9, some of them, and (non-constant
    // index) through the generic path.
    auto untouched = build(R"(
        r2 = 0x1111 ll
        r3 = 0
        call bpf_tail_call
        r0 = 5
        exit)", {{0x1111, f.progs.get()}});
    auto some = build(R"(
        r6 = 100
        r7 = 20
        r2 = 0x1111 ll
        r3 = 0
        call bpf_tail_call
        r0 = 5
        exit)", {{0x1111, f.progs.get()}});
    auto indexed = build(R"(
        r9 = 3
        r3 = *(u32 *)(r1 +0)
        r2 = 0x1111 ll
        call bpf_tail_call
        r0 = 5
        exit)", {{0x1111, f.progs.get()}});
    ASSERT_TRUE(target && untouched && some && indexed);
    ASSERT_EQ(f.progs->set_program(0, target.get()), 0);
    ASSERT_TRUE(jit_compile(*target).ok());
    std::vector<uint8_t> index_zero(4, 0), index_one = {1, 0, 0, 0};
    EXPECT_EQ(expect_engines_agree(*untouched, {}, "caller touching no r6-r9"), 0u);
    EXPECT_EQ(expect_engines_agree(*some, {}, "caller setting r6, r7"), 120u);
    EXPECT_EQ(expect_engines_agree(*indexed, index_zero, "variable index"), 3u);
    EXPECT_EQ(expect_engines_agree(*indexed, index_one, "variable index, empty slot"), 5u);

    for (Program* caller : {untouched.get(), some.get(), indexed.get()}) {
        ASSERT_TRUE(jit_compile(*caller).ok());
        std::vector<uint8_t> mem = index_zero;
        uint64_t r0 = 0;
        const uint64_t expected = 3 + 10 + 28 + 88 + 208 + 544;
        EXPECT_EQ(run_keeping_host_registers(*caller, mem, 1, r0), expected);
        EXPECT_NE(r0, 5u) << "the tail call was taken";
    }
    // Emptying the slot takes effect at the next run of compiled code.
    ASSERT_EQ(f.progs->set_program(0, nullptr), 0);
    ExecContext ex;
    EXPECT_EQ(run_raw(*some, nullptr, 0, ex), 5u);
    ASSERT_EQ(f.progs->set_program(0, target.get()), 0);
    EXPECT_EQ(run_raw(*some, nullptr, 0, ex), 120u);
}

TEST(JitCalls, RecursionBeyondEightFramesFaultsAndReturnsZero) {
    auto prog = build(R"(
        r6 = 0
    f:
        r6 += 1
        *(u64 *)(r10 -8) = r6
        call f
        exit)");
    ASSERT_TRUE(prog);
    EXPECT_EQ(expect_engines_agree(*prog, {}, "runaway recursion"), 0u);
    ASSERT_TRUE(jit_compile(*prog).ok());
    ExecContext ex;
    EXPECT_EQ(run_raw(*prog, nullptr, 0, ex), 0u);
    ASSERT_NE(ex.fault, nullptr);
    EXPECT_NE(std::string(ex.fault).find("8 frames"), std::string::npos);
    // A call back to instruction 0 runs the program's body in a new frame.
    auto again = build(R"(
    f:
        r0 += 1
        if r0 > 5 goto +1
        call f
        exit)");
    ASSERT_TRUE(again);
    EXPECT_EQ(expect_engines_agree(*again, {}, "call to insn 0"), 6u);
    // The run unwound properly: the next one works.
    auto simple = build("r0 = 3\nexit");
    ASSERT_TRUE(jit_compile(*simple).ok());
    EXPECT_EQ(run_raw(*simple, nullptr, 0, ex), 3u);
}

// ---- inlined helpers ----

bool code_contains_pointer(const JitCode& code, const void* p) {
    const auto v = reinterpret_cast<uint64_t>(p);
    for (size_t i = 0; i + 8 <= code.code_size(); ++i)
        if (std::memcmp(code.code() + i, &v, 8) == 0) return true;
    return false;
}

// Looks key *(u32 *)r1 up and returns the value's first word, or 0xdead
// for NULL.
constexpr const char* kArrayLookup = R"(
        r2 = *(u32 *)(r1 +0)
        *(u32 *)(r10 -4) = r2
        r2 = r10
        r2 += -4
        r1 = 0x1111 ll
        call bpf_map_lookup_elem
        if r0 == 0 goto null
        r0 = *(u64 *)(r0 +0)
        exit
    null:
        r0 = 0xdead
        exit)";

void check_array_lookups(MapType type, uint32_t ncpus) {
    auto map = create_map(MapSpec{"arr", static_cast<uint32_t>(type), 4, 12, 5, 0}, ncpus);
    ASSERT_TRUE(map.ok()) << map.error().str();
    Map& m = **map;
    const bool percpu = type == MapType::PercpuArray;
    // Distinct contents in every slot of every CPU.
    auto contents = [](uint32_t cpu, uint32_t i) { return uint64_t{cpu} * 100 + i + 1; };
    const uint64_t stride = (m.spec().value_size + 7) / 8 * 8;
    for (uint32_t cpu = 0; cpu < (percpu ? ncpus : 1); ++cpu)
        for (uint32_t i = 0; i < m.spec().max_entries; ++i) {
            const uint64_t v = contents(cpu, i);
            std::memcpy(m.value_base() + cpu * m.value_cpu_stride() + i * stride, &v, 8);
        }
    auto prog = build(kArrayLookup, {{0x1111, &m}});
    ASSERT_TRUE(prog);
    for (uint32_t cpu = 0; cpu <= ncpus; ++cpu) {
        for (uint32_t key : {0u, 1u, 4u, 5u, 0xffffffffu}) {
            std::vector<uint8_t> mem(4);
            std::memcpy(mem.data(), &key, 4);
            const std::string what = std::string(map_type_name(m.spec().type)) + " key " + std::to_string(key) +
                                     " cpu " + std::to_string(cpu);
            JitOptions inlined, called;
            called.inline_helpers = false;
            const uint64_t r0 = expect_engines_agree(*prog, mem, what + " inlined", inlined, cpu);
            expect_engines_agree(*prog, mem, what + " called", called, cpu);
            const bool hit = key < m.spec().max_entries && (!percpu || cpu < ncpus);
            EXPECT_EQ(r0, hit ? contents(percpu ? cpu : 0, key) : 0xdead) << what;
        }
    }
    ASSERT_TRUE(jit_compile(*prog).ok());
    EXPECT_FALSE(code_contains_pointer(*prog->jit, reinterpret_cast<const void*>(find_helper(1))))
        << "the lookup should be inlined";
    JitOptions called;
    called.inline_helpers = false;
    ASSERT_TRUE(jit_compile(*prog, called).ok());
    EXPECT_TRUE(code_contains_pointer(*prog->jit, reinterpret_cast<const void*>(find_helper(1))));
}

TEST(JitInline, ArrayLookupsAreInlinedAndMatchTheHelper) { check_array_lookups(MapType::Array, 1); }
TEST(JitInline, PerCpuArrayLookupsAreInlinedAndMatchTheHelperOnEveryCpu) {
    check_array_lookups(MapType::PercpuArray, 3);
}

TEST(JitInline, LookupIsNotInlinedWhenTheMapReachesTheCallThroughABranch) {
    auto map = create_map(MapSpec{"arr", static_cast<uint32_t>(MapType::Array), 4, 8, 2, 0}, 1);
    ASSERT_TRUE(map.ok());
    auto prog = build(R"(
        *(u32 *)(r10 -4) = 1
        r2 = r10
        r2 += -4
        r1 = 0x1111 ll
        if r2 == 0 goto join
        r1 = 0x1111 ll
    join:
        call bpf_map_lookup_elem
        if r0 == 0 goto null
        r0 = 1
        exit
    null:
        exit)", {{0x1111, map->get()}});
    ASSERT_TRUE(prog);
    EXPECT_EQ(expect_engines_agree(*prog, {}, "lookup after join"), 1u);
    ASSERT_TRUE(jit_compile(*prog).ok());
    EXPECT_TRUE(code_contains_pointer(*prog->jit, reinterpret_cast<const void*>(find_helper(1))));
}

// ---- fused byte loads ----

// clang's byte-wise u16/u32 reads in their shapes, with the narrow registers
// live afterwards (stored) or dead (overwritten), with a jump into the middle
// (no fusion possible) and with near misses (wrong shift, wrong offset).
TEST(JitFusedLoads, ByteWiseReadsGiveTheSameRegistersAndMemory) {
    const std::vector<std::string> windows = {
        // u16, wide loaded first
        "r2 = *(u8 *)(r1 +11)\n r2 <<= 8\n r3 = *(u8 *)(r1 +10)\n r2 |= r3",
        // u16, narrow loaded first
        "r2 = *(u8 *)(r1 +12)\n r3 = *(u8 *)(r1 +13)\n r3 <<= 8\n r3 |= r2",
        // u32 from two u16s, the second reusing the first's narrow register
        "r2 = *(u8 *)(r1 +7)\n r2 <<= 8\n r3 = *(u8 *)(r1 +6)\n r2 |= r3\n"
        "r3 = *(u8 *)(r1 +9)\n r3 <<= 8\n r4 = *(u8 *)(r1 +8)\n r3 |= r4\n r3 <<= 16\n r3 |= r2",
        // u32 with the same narrow register in both halves
        "r5 = *(u8 *)(r1 +3)\n r4 = *(u8 *)(r1 +4)\n r4 <<= 8\n r4 |= r5\n"
        "r5 = *(u8 *)(r1 +5)\n r0 = *(u8 *)(r1 +6)\n r0 <<= 8\n r0 |= r5\n r0 <<= 16\n r0 |= r4",
        // not a pair: shift by 16, offsets 2 apart, base overwritten
        "r2 = *(u8 *)(r1 +11)\n r2 <<= 16\n r3 = *(u8 *)(r1 +10)\n r2 |= r3",
        "r2 = *(u8 *)(r1 +12)\n r2 <<= 8\n r3 = *(u8 *)(r1 +10)\n r2 |= r3",
        "r6 = r1\n r3 = *(u8 *)(r6 +2)\n r6 = *(u8 *)(r6 +3)\n r6 <<= 8\n r6 |= r3",
        // a jump lands inside the window
        "if r1 == 0 goto +1\n r2 = *(u8 *)(r1 +11)\n r2 <<= 8\n r3 = *(u8 *)(r1 +10)\n r2 |= r3",
        "r2 = 0\n r3 = 0\n if r1 == 0 goto +2\n r2 = *(u8 *)(r1 +11)\n r2 <<= 8\n r3 = *(u8 *)(r1 +10)\n r2 |= r3",
    };
    // Afterwards: either every register is stored (all live) or r2-r5 are
    // overwritten first (dead), then r0 is the sum.
    const std::string live_tail =
        "\n *(u64 *)(r1 +16) = r0\n *(u64 *)(r1 +24) = r2\n *(u64 *)(r1 +32) = r3\n"
        " *(u64 *)(r1 +40) = r4\n *(u64 *)(r1 +48) = r5\n r0 = 1\n exit";
    const std::string dead_tail =
        "\n r0 += r2\n r0 += r3\n *(u64 *)(r1 +16) = r0\n r2 = 0\n r3 = 0\n r4 = 0\n r5 = 0\n exit";
    std::mt19937 rng(7);
    for (const std::string& window : windows) {
        for (const std::string* tail : {&live_tail, &dead_tail}) {
            auto prog = build("r0 = 0\n r4 = 0\n r5 = 0\n r2 = 0\n r3 = 0\n " + window + *tail);
            ASSERT_TRUE(prog) << window;
            std::vector<uint8_t> mem(64);
            for (auto& b : mem) b = static_cast<uint8_t>(rng());
            JitOptions fused, plain;
            plain.fuse_byte_loads = false;
            expect_engines_agree(*prog, mem, window + " fused", fused);
            expect_engines_agree(*prog, mem, window + " plain", plain);
        }
    }
    // The fused form is what runs: the u32 window is one 4-byte load.
    auto quad = build(std::string("r2 = 0\n r3 = 0\n r4 = 0\n ") + windows[2] + "\n r0 = r3\n exit");
    ASSERT_TRUE(quad);
    JitOptions plain;
    plain.fuse_byte_loads = false;
    ASSERT_TRUE(jit_compile(*quad, plain).ok());
    const size_t plain_size = quad->jit->insn_offsets().back() - quad->jit->insn_offsets()[0];
    ASSERT_TRUE(jit_compile(*quad).ok());
    const size_t fused_size = quad->jit->insn_offsets().back() - quad->jit->insn_offsets()[0];
    EXPECT_LT(fused_size * 3, plain_size);
}

// Random windows of byte loads, byte stores, moves and byte shifts on one
// base (the packet through r1, or the stack), with small offsets so that
// sources and destinations overlap often, the registers live afterwards or
// dead, sometimes a jump into the window: fused and plain must both agree
// with the interpreter on r0, memory and every register; and the
// non-overlapping ones must really be fused (fewer bytes of code).
TEST(JitFusedStores, RandomByteWindowsAgreeWithTheInterpreter) {
    std::mt19937 rng(11);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    const char* const regs[] = {"r0", "r2", "r3", "r4", "r5"};
    int fused_smaller = 0;
    for (int round = 0; round < 3000; ++round) {
        const bool stack = pick(0, 1) == 1;
        const char* base = stack ? "r10" : "r1";
        const int lo = stack ? -32 : 0;  // runs reach up to 7 bytes past lo + span - 1
        const int span = pick(0, 2) == 0 ? 24 : 12;  // wide spans rarely overlap
        std::string text;
        // Registers get distinct 64-bit values; the stack gets mem[64..96).
        for (int r = 0; r < 5; ++r) text += std::string(regs[r]) + " = *(u64 *)(r1 +" + std::to_string(32 + 8 * r) + ")\n";
        text += "r6 = *(u64 *)(r1 +88)\n *(u64 *)(r10 -32) = r6\n"
                "r6 = *(u64 *)(r1 +64)\n *(u64 *)(r10 -24) = r6\n r6 = *(u64 *)(r1 +72)\n *(u64 *)(r10 -16) = r6\n"
                "r6 = *(u64 *)(r1 +80)\n *(u64 *)(r10 -8) = r6\n r6 = *(u8 *)(r1 +100)\n";
        // The window: clang's shapes (a byte-wise copy of a run, a register's
        // bytes stored between shifts) mixed with random single operations.
        auto at = [&](int o) { return std::string("(") + base + (o < 0 ? " " : " +") + std::to_string(o) + ")"; };
        auto off = [&] { return lo + pick(0, span - 1); };
        std::vector<std::string> window;
        for (int chunks = pick(1, 3); chunks-- > 0;) {
            const std::string x = regs[pick(0, 4)], y = regs[pick(0, 4)];
            const int n = pick(1, 8), from = off(), to = off();
            const bool down = pick(0, 3) == 0;
            switch (pick(0, 5)) {
                case 0:
                case 1:
                    for (int i = 0; i < n; ++i) {
                        const int k = down ? n - 1 - i : i;
                        window.push_back(x + " = *(u8 *)" + at(from + k));
                        window.push_back("*(u8 *)" + at(to + k) + " = " + x);
                    }
                    break;
                case 2:
                    for (int i = 0; i < n; ++i) {
                        if (i) window.push_back(x + " >>= 8");
                        window.push_back("*(u8 *)" + at(to + i) + " = " + x);
                    }
                    break;
                default:
                    for (int i = 0; i < n; ++i) {
                        switch (pick(0, 9)) {
                            case 0: case 1: case 2: window.push_back(x + " = *(u8 *)" + at(off())); break;
                            case 3: case 4: case 5: case 6: window.push_back("*(u8 *)" + at(off()) + " = " + y); break;
                            case 7: window.push_back(x + " = " + y); break;
                            case 8: window.push_back(x + " >>= " + std::to_string(8 * pick(1, 3))); break;
                            default: window.push_back(x + " += 1"); break;
                        }
                    }
                    break;
            }
        }
        if (pick(0, 3) == 0 && window.size() > 1)
            text += "if r6 > 127 goto +" + std::to_string(pick(1, static_cast<int>(window.size()) - 1)) + "\n";
        for (const std::string& line : window) text += line + "\n";
        // Afterwards: every register and the stack copied to memory (live),
        // or the registers overwritten first (dead).
        if (pick(0, 1) == 0) {
            for (int r = 0; r < 5; ++r) text += "*(u64 *)(r1 +" + std::to_string(104 + 8 * r) + ") = " + regs[r] + "\n";
        } else {
            text += "r0 = 0\n r2 = 0\n r3 = 0\n r4 = 0\n r5 = 0\n";
        }
        text += "r6 = *(u64 *)(r10 -32)\n *(u64 *)(r1 +88) = r6\n"
                "r6 = *(u64 *)(r10 -24)\n *(u64 *)(r1 +64) = r6\n r6 = *(u64 *)(r10 -16)\n *(u64 *)(r1 +72) = r6\n"
                "r6 = *(u64 *)(r10 -8)\n *(u64 *)(r1 +80) = r6\n r0 = 1\n exit";
        auto prog = build(text);
        ASSERT_TRUE(prog) << text;
        std::vector<uint8_t> mem(144);
        for (auto& b : mem) b = static_cast<uint8_t>(rng());
        JitOptions plain;
        plain.fuse_byte_stores = false;
        expect_engines_agree(*prog, mem, text + "\nfused");
        expect_engines_agree(*prog, mem, text + "\nplain", plain);
        if (HasFailure()) return;
        ASSERT_TRUE(jit_compile(*prog, plain).ok());
        const size_t plain_size = prog->jit->code_size();
        ASSERT_TRUE(jit_compile(*prog).ok());
        if (prog->jit->code_size() < plain_size) ++fused_smaller;
    }
    EXPECT_GT(fused_smaller, 1000);
}

// The reflector's swap as clang emits it, on the packet: fused, the copy is
// one 4-byte and one 2-byte move per MAC, and the stores of the stack temp's
// bytes between shifts are one store each.
TEST(JitFusedStores, MacSwapIsFusedAndMatches) {
    const std::string text =
        "r2 = *(u8 *)(r1 +11)\n r2 <<= 8\n r3 = *(u8 *)(r1 +10)\n r2 |= r3\n *(u16 *)(r10 -4) = r2\n"
        "r2 = *(u8 *)(r1 +7)\n r2 <<= 8\n r3 = *(u8 *)(r1 +6)\n r2 |= r3\n r3 = *(u8 *)(r1 +9)\n r3 <<= 8\n"
        "r4 = *(u8 *)(r1 +8)\n r3 |= r4\n r3 <<= 16\n r3 |= r2\n *(u32 *)(r10 -8) = r3\n"
        "r2 = *(u8 *)(r1 +2)\n *(u8 *)(r1 +8) = r2\n r2 = *(u8 *)(r1 +3)\n *(u8 *)(r1 +9) = r2\n"
        "r2 = *(u8 *)(r1 +0)\n *(u8 *)(r1 +6) = r2\n r2 = *(u8 *)(r1 +1)\n *(u8 *)(r1 +7) = r2\n"
        "r2 = *(u8 *)(r1 +4)\n *(u8 *)(r1 +10) = r2\n r2 = *(u8 *)(r1 +5)\n *(u8 *)(r1 +11) = r2\n"
        "r2 = *(u32 *)(r10 -8)\n r3 = r2\n r3 >>= 16\n *(u8 *)(r1 +2) = r3\n r3 = r2\n r3 >>= 24\n"
        "*(u8 *)(r1 +3) = r3\n *(u8 *)(r1 +0) = r2\n r2 >>= 8\n *(u8 *)(r1 +1) = r2\n"
        "r2 = *(u16 *)(r10 -4)\n *(u8 *)(r1 +4) = r2\n r2 >>= 8\n *(u8 *)(r1 +5) = r2\n r0 = 3\n exit";
    auto prog = build(text);
    ASSERT_TRUE(prog);
    std::vector<uint8_t> mem(14);
    for (size_t i = 0; i < mem.size(); ++i) mem[i] = static_cast<uint8_t>(0x10 + i);
    JitOptions plain;
    plain.fuse_byte_stores = false;
    EXPECT_EQ(expect_engines_agree(*prog, mem, "mac swap fused"), 3u);
    EXPECT_EQ(expect_engines_agree(*prog, mem, "mac swap plain", plain), 3u);
    ExecContext ex;
    ASSERT_TRUE(jit_compile(*prog).ok());
    std::vector<uint8_t> out = mem;
    EXPECT_EQ(run_raw(*prog, out.data(), out.size(), ex), 3u);
    const std::vector<uint8_t> swapped = {0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x10,
                                          0x11, 0x12, 0x13, 0x14, 0x15, 0x1c, 0x1d};
    EXPECT_EQ(out, swapped);
    const size_t fused_size = prog->jit->insn_offsets().back() - prog->jit->insn_offsets()[0];
    ASSERT_TRUE(jit_compile(*prog, plain).ok());
    const size_t plain_size = prog->jit->insn_offsets().back() - prog->jit->insn_offsets()[0];
    EXPECT_LT(fused_size * 3, plain_size * 2);
}

TEST(JitInline, SmpProcessorIdIsInlined) {
    auto prog = build("call bpf_get_smp_processor_id\nexit");
    ASSERT_TRUE(prog);
    ASSERT_TRUE(jit_compile(*prog).ok());
    EXPECT_FALSE(code_contains_pointer(*prog->jit, reinterpret_cast<const void*>(find_helper(8))));
    ExecContext ex;
    ex.cpu = 3;
    EXPECT_EQ(run_raw(*prog, nullptr, 0, ex), 3u);
}

// bpf_csum_diff(mem, F, mem + 64, T, seed) with constant sizes: the inline
// sums against the helper, with data that makes every carry happen.
TEST(JitInline, CsumDiffWithConstantSizesIsInlinedAndMatchesTheHelper) {
    std::mt19937 rng(9);
    const uint32_t sizes[] = {0, 4, 8, 20, 64};
    const uint32_t seeds[] = {0, 1, 0xffffffff, 0x8000ffff, 0x12345678};
    for (uint32_t from_size : sizes) {
        for (uint32_t to_size : sizes) {
            const std::string text = "r6 = r1\nr5 = *(u32 *)(r1 +128)\nr2 = " + std::to_string(from_size) +
                                     "\nr3 = r1\nr3 += 64\nr4 = " + std::to_string(to_size) +
                                     "\ncall bpf_csum_diff\nexit\n";
            auto prog = build(text);
            ASSERT_TRUE(prog);
            for (uint32_t seed : seeds) {
                for (int fill = 0; fill < 3; ++fill) {
                    std::vector<uint8_t> mem(132);
                    for (size_t i = 0; i < 128; ++i)
                        mem[i] = fill == 0 ? 0xff : fill == 1 ? 0 : static_cast<uint8_t>(rng());
                    std::memcpy(mem.data() + 128, &seed, 4);
                    const std::string what = "from " + std::to_string(from_size) + " to " + std::to_string(to_size) +
                                             " seed " + std::to_string(seed) + " fill " + std::to_string(fill);
                    JitOptions called;
                    called.inline_helpers = false;
                    expect_engines_agree(*prog, mem, what + " inlined");
                    expect_engines_agree(*prog, mem, what + " called", called);
                    if (testing::Test::HasFailure()) return;
                }
            }
            ASSERT_TRUE(jit_compile(*prog).ok());
            EXPECT_FALSE(code_contains_pointer(*prog->jit, reinterpret_cast<const void*>(find_helper(28))));
        }
    }
    // A size the JIT does not know (from memory) keeps the helper call.
    auto prog = build("r2 = *(u32 *)(r1 +0)\nr3 = r1\nr4 = 4\nr5 = 0\ncall bpf_csum_diff\nexit");
    ASSERT_TRUE(prog);
    ASSERT_TRUE(jit_compile(*prog).ok());
    EXPECT_TRUE(code_contains_pointer(*prog->jit, reinterpret_cast<const void*>(find_helper(28))));
    std::vector<uint8_t> mem = {6, 0, 0, 0, 1, 2, 3, 4};
    expect_engines_agree(*prog, mem, "size from memory");
}

// bpf_xdp_adjust_head with the JIT's inline sequence (frames without
// metadata) and the helper (with metadata, or with inline helpers off)
// against the interpreter: the verdict, where data, data_meta and data_end
// end up, and the bytes, for offsets on and around every bound.
TEST(JitInline, AdjustHeadMatchesTheHelperOnAndAroundItsBounds) {
    const std::vector<uint8_t> packet = [] {
        std::vector<uint8_t> p(60);
        for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<uint8_t>(i * 7 + 1);
        return p;
    }();
    const int64_t len = static_cast<int64_t>(packet.size());
    const int64_t room = kXdpHeadroom - kXdpFrameReserve;  // how far data may move down
    const int64_t offsets[] = {-room - 1, -room, -room + 1, -20, -1, 0, 1, 14, len - 15, len - 14, len - 13,
                               len, 4096, INT32_MIN, INT32_MAX, int64_t{0x100000010}, -int64_t{0x100000000}};
    for (const bool with_meta : {false, true}) {
        for (const int64_t offset : offsets) {
            std::string text = "r6 = r1\n";
            if (with_meta) text += "r2 = -8\ncall bpf_xdp_adjust_meta\nr1 = r6\n";
            text += "r2 = " + std::to_string(offset) + " ll\ncall bpf_xdp_adjust_head\nexit\n";
            auto prog = build(text);
            ASSERT_TRUE(prog);
            struct Outcome {
                uint64_t r0;
                ptrdiff_t data, meta, end;
                std::vector<uint8_t> bytes;
                bool operator==(const Outcome&) const = default;
            };
            auto run_with = [&](const JitOptions* opts) {
                prog->set_jit(nullptr);
                if (opts) {
                    EXPECT_TRUE(jit_compile(*prog, *opts).ok());
                }
                PacketFrame frame(packet);
                XdpBuff& x = frame.xdp();
                ExecContext ex;
                const uint64_t r0 = run_xdp(*prog, x, ex);
                return Outcome{r0, x.data - x.data_hard_start, x.data_meta - x.data_hard_start,
                               x.data_end - x.data_hard_start, std::vector<uint8_t>(x.data_meta, x.data_end)};
            };
            const std::string what = std::string(with_meta ? "with" : "without") + " metadata, offset " +
                                     std::to_string(offset);
            const Outcome interp = run_with(nullptr);
            JitOptions called;
            called.inline_helpers = false;
            EXPECT_TRUE(run_with(&called) == interp) << what << " (helper called)";
            const JitOptions inlined;
            EXPECT_TRUE(run_with(&inlined) == interp) << what << " (inline)";
            const int32_t low = static_cast<int32_t>(offset);
            const bool fits = low >= -room + (with_meta ? 8 : 0) && low <= len - 14;
            EXPECT_EQ(interp.r0, fits ? 0u : static_cast<uint64_t>(-EINVAL)) << what;
            EXPECT_EQ(interp.data, kXdpHeadroom + (fits ? low : 0)) << what;
        }
    }
}

// ---- read-only maps ----

// Returns 1000 + the sign-extended byte at value[5] when the u32 knob at
// value[0] is set, else 2.
constexpr const char* kKnob = R"(
        r1 = 0x3333 ll
        r2 = *(u32 *)(r1 +0)
        if r2 == 0 goto off
        r0 = *(s8 *)(r1 +5)
        r0 += 1000
        exit
    off:
        r0 = 2
        exit)";

std::unique_ptr<Program> build_with_value(Map& map, uint32_t offset) {
    auto prog = build(kKnob);
    if (!prog) return nullptr;
    const uint64_t ptr = reinterpret_cast<uint64_t>(map.value_base()) + offset;
    prog->insns[0].imm = static_cast<int32_t>(static_cast<uint32_t>(ptr));
    prog->insns[1].imm = static_cast<int32_t>(static_cast<uint32_t>(ptr >> 32));
    prog->lddw_origins.push_back(LddwOrigin{0, &map, offset, true});
    return prog;
}

TEST(JitReadOnly, FrozenReadOnlyValuesAreFoldedAndWritableOnesAreNot) {
    constexpr uint32_t kRdonlyProg = 1u << 7;
    auto map = create_map(MapSpec{"obj.rodata", static_cast<uint32_t>(MapType::Array), 4, 8, 1, kRdonlyProg}, 1);
    ASSERT_TRUE(map.ok()) << map.error().str();
    Map& m = **map;
    auto set_value = [&](uint32_t knob, int8_t byte) {
        uint8_t v[8] = {};
        std::memcpy(v, &knob, 4);
        v[5] = static_cast<uint8_t>(byte);
        const uint32_t key = 0;
        ASSERT_EQ(m.user_update(&key, v, kAny), 0);
    };
    auto prog = build_with_value(m, 0);
    ASSERT_TRUE(prog);

    // Not frozen yet: userspace may still change it, so the code must load it.
    set_value(1, -3);
    ASSERT_TRUE(jit_compile(*prog).ok());
    const size_t unfolded_size = prog->jit->code_size();
    ExecContext ex;
    EXPECT_EQ(run_raw(*prog, nullptr, 0, ex), 997u);
    set_value(0, -3);
    EXPECT_EQ(run_raw(*prog, nullptr, 0, ex), 2u);

    set_value(1, -7);
    m.freeze();
    EXPECT_EQ(expect_engines_agree(*prog, {}, "frozen knob set"), 993u);
    ASSERT_TRUE(jit_compile(*prog).ok());
    EXPECT_LT(prog->jit->code_size(), unfolded_size) << "the loads and the branch should be gone";
}

TEST(JitReadOnly, AFrozenMapProgramsMayWriteIsNotFolded) {
    auto map = create_map(MapSpec{"obj.data", static_cast<uint32_t>(MapType::Array), 4, 8, 1, 0}, 1);
    ASSERT_TRUE(map.ok()) << map.error().str();
    Map& m = **map;
    auto prog = build_with_value(m, 0);
    ASSERT_TRUE(prog);
    m.freeze();
    ASSERT_TRUE(jit_compile(*prog).ok());
    ExecContext ex;
    EXPECT_EQ(run_raw(*prog, nullptr, 0, ex), 2u);
    m.value_base()[0] = 1;  // as a program's store would
    m.value_base()[5] = 4;
    EXPECT_EQ(run_raw(*prog, nullptr, 0, ex), 1004u);
}

// ---- atomics really are atomic ----

TEST(JitAtomics, ConcurrentLockedAddsLoseNothing) {
    auto prog = build(R"(
        r2 = 0
        r3 = 1
    loop:
        lock *(u64 *)(r1 +0) += r3
        w4 = 1
        w4 = atomic_fetch_add((u32 *)(r1 +8), w4)
        r2 += 1
        if r2 < 1000000 goto loop
        r0 = 0
        exit)");
    ASSERT_TRUE(prog);
    ASSERT_TRUE(jit_compile(*prog).ok());
    alignas(8) uint64_t words[2] = {0, 0};
    auto worker = [&] {
        ExecContext ex;
        run_raw(*prog, words, sizeof words, ex);
    };
    std::thread a(worker), b(worker);
    a.join();
    b.join();
    EXPECT_EQ(words[0], 2000000u);
    EXPECT_EQ(words[1], 2000000u);
}

// ---- layout, memory, refusals ----

TEST(JitCode, InsnOffsetsAreOrderedAndCoverTheBody) {
    auto prog = build(R"(
        r0 = 1
        r1 = 0x123456789 ll
        if r0 > 0 goto +1
        r0 += 2
        exit)");
    ASSERT_TRUE(prog);
    ASSERT_TRUE(jit_compile(*prog).ok());
    const auto& off = prog->jit->insn_offsets();
    ASSERT_EQ(off.size(), prog->insns.size() + 1);
    EXPECT_GT(off[0], 0u) << "the prologue comes first";
    for (size_t i = 1; i < off.size(); ++i) EXPECT_GE(off[i], off[i - 1]) << i;
    EXPECT_EQ(off[2], off[3]) << "lddw's second slot has no code of its own";
    EXPECT_GT(off[1], off[0]);
    EXPECT_LE(off.back(), prog->jit->code_size());
    EXPECT_EQ(static_cast<const uint8_t*>(prog->jit->tail_entry()), prog->jit->code() + off[0]);
}

struct Mapping {
    uint64_t start, end;
    std::string perms;
};

std::vector<Mapping> read_maps() {
    std::vector<Mapping> out;
    std::ifstream in("/proc/self/maps");
    std::string line;
    while (std::getline(in, line)) {
        Mapping m;
        char dash;
        std::istringstream ls(line);
        ls >> std::hex >> m.start >> dash >> m.end >> m.perms;
        out.push_back(m);
    }
    return out;
}

TEST(JitMemory, CodeIsNeverWritableAndExecutable) {
    auto prog = build("r0 = 42\nexit");
    ASSERT_TRUE(prog);
    ASSERT_TRUE(jit_compile(*prog).ok());
    const auto addr = reinterpret_cast<uint64_t>(prog->jit->code());
    bool found = false;
    for (const Mapping& m : read_maps()) {
        EXPECT_FALSE(m.perms.find('w') != std::string::npos && m.perms.find('x') != std::string::npos)
            << std::hex << m.start << "-" << m.end << " " << m.perms;
        if (addr >= m.start && addr < m.end) {
            found = true;
            EXPECT_EQ(m.perms.substr(0, 3), "r-x");
        }
    }
    EXPECT_TRUE(found);
    ExecContext ex;
    EXPECT_EQ(run_raw(*prog, nullptr, 0, ex), 42u);
}

long resident_pages() {
    std::ifstream in("/proc/self/statm");
    long size = 0, resident = 0;
    in >> size >> resident;
    return resident;
}

TEST(JitMemory, CompilingAndDestroying10000TimesKeepsRssFlat) {
    // Each compile maps at least one page and writes to it, so a leaked
    // mapping per compile would show as 40 MB.
    auto prog = build(R"(
        r0 = 0
        r0 += 1
        call sub
        exit
    sub:
        r0 = 2
        r0 /= r1
        exit)");
    ASSERT_TRUE(prog);
    auto cycle = [&] {
        ASSERT_TRUE(jit_compile(*prog).ok());
        ASSERT_NE(prog->jit, nullptr);
        prog->set_jit(nullptr);
    };
    for (int i = 0; i < 500; ++i) cycle();  // allocator warm-up
    const long before = resident_pages();
    for (int i = 0; i < 10000; ++i) cycle();
    const long after = resident_pages();
    const long page_kb = sysconf(_SC_PAGESIZE) / 1024;
    EXPECT_LT((after - before) * page_kb, 1024) << "RSS grew from " << before * page_kb << " kB to "
                                                << after * page_kb << " kB";
}

TEST(JitErrors, AnOpTheJitDoesNotKnowIsRefusedWithItsIndex) {
    auto prog = build("r0 = 1\nr0 += 2\nr0 += 3\nexit");
    ASSERT_TRUE(prog);
    ASSERT_TRUE(jit_compile(*prog).ok());
    prog->insns[2].op = static_cast<Op>(250);
    const Status st = jit_compile(*prog);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().insn, 2);
    EXPECT_NE(st.error().str().find("does not handle"), std::string::npos) << st.error().str();
    EXPECT_EQ(prog->jit, nullptr) << "a failed compile leaves no code behind";
}

TEST(JitErrors, UnknownHelpersAndBadTargetsAreRefusedWithTheirIndex) {
    auto prog = build("r0 = 1\ncall bpf_ktime_get_ns\nif r0 > 1 goto +1\nexit\nexit");
    ASSERT_TRUE(prog);
    prog->insns[1].imm = 100000;
    Status st = jit_compile(*prog);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().insn, 1);
    EXPECT_NE(st.error().reason.find("helper"), std::string::npos) << st.error().str();
    prog->insns[1].imm = 5;
    prog->insns[2].off = 50;
    st = jit_compile(*prog);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().insn, 2);
    EXPECT_EQ(prog->jit, nullptr);
}

TEST(JitErrors, AnExhaustedCodeBufferIsRefusedWithTheInstructionThatOverflowed) {
    std::string text;
    for (int i = 0; i < 100; ++i) text += "r0 += 1\n";
    text += "exit\n";
    auto prog = build(text);
    ASSERT_TRUE(prog);
    JitOptions opts;
    opts.max_code_bytes = 200;
    const Status st = jit_compile(*prog, opts);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().reason.find("exhausted"), std::string::npos) << st.error().str();
    EXPECT_GT(st.error().insn, 0);
    EXPECT_LT(st.error().insn, 100);
    EXPECT_EQ(prog->jit, nullptr);
}

// ---- objects and replay ----

TEST(JitObjects, LoadCompilesEveryXdpProgramOnlyForTheJitEngine) {
    for (EngineKind engine : {EngineKind::Jit, EngineKind::Interp}) {
        ObjectOptions opts;
        opts.engine = engine;
        auto obj = Object::open(prog_path("tail_calls"), opts);
        ASSERT_TRUE(obj.ok()) << obj.error().str();
        ASSERT_TRUE((*obj)->load().ok());
        int xdp = 0;
        for (const auto& p : (*obj)->programs()) {
            if (p->type != ProgType::Xdp) continue;
            ++xdp;
            EXPECT_EQ(p->jit != nullptr, engine == EngineKind::Jit) << p->name;
        }
        EXPECT_GT(xdp, 1);
    }
    EXPECT_TRUE(parse_engine("jit").ok());
    EXPECT_EQ(parse_engine("jit").value(), EngineKind::Jit);
}

std::vector<std::string> sample_programs() {
    return {"xdp_pass", "xdp_drop", "mac_swap", "pkt_counter", "firewall", "load_balancer",
            "redirect", "tail_calls", "meta_tail", "global_config", "hello"};
}

// Everything replay writes, except the summary line naming the engine.
std::string replay_outputs(const std::string& prog, const std::string& pcap, const std::string& engine,
                           const std::vector<std::string>& extra = {}) {
    const std::string dir = temp_dir();
    std::vector<std::string> args = {xdpdk_binary(), "replay", prog_path(prog), source_path("pcaps/" + pcap),
                                     "--engine", engine, "--out", dir + "/out", "--jsonl", dir + "/records.jsonl",
                                     "--maps-out", dir + "/maps.json", "--cpus", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run_command(args);
    std::string all = "exit " + std::to_string(r.exit_code) + "\n";
    std::string line;
    // Trace lines carry a pid and a time stamp; keep what the program printed.
    std::istringstream err_lines(r.err);
    while (std::getline(err_lines, line)) {
        const size_t at = line.find("bpf_trace_printk: ");
        all += (at == std::string::npos ? line : line.substr(at)) + "\n";
    }
    std::istringstream lines(r.out);
    while (std::getline(lines, line))
        if (line.rfind("prog ", 0) != 0) all += line + "\n";
    for (const char* f : {"/records.jsonl", "/maps.json", "/out/pass.pcap", "/out/tx.pcap", "/out/redirect.pcap"})
        all += std::string(f) + ":" + read_file(dir + f) + "\n";
    return all;
}

// Where two long outputs first differ, with some context.
std::string first_difference(const std::string& a, const std::string& b) {
    size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
    const size_t from = i < 80 ? 0 : i - 80;
    return "at byte " + std::to_string(i) + ":\n  " + a.substr(from, 200) + "\nvs\n  " + b.substr(from, 200);
}

TEST(JitReplay, SampleProgramsGiveIdenticalOutputsOnBothEngines) {
    for (const std::string& prog : sample_programs()) {
        for (const char* pcap : {"sample.pcap", "lb_traffic.pcap", "fw_traffic.pcap", "edge_cases.pcap"}) {
            const std::string jit = replay_outputs(prog, pcap, "jit");
            const std::string interp = replay_outputs(prog, pcap, "interp");
            EXPECT_TRUE(jit == interp) << prog << " on " << pcap << " " << first_difference(jit, interp);
            EXPECT_NE(jit.find("exit 0"), std::string::npos) << prog << " on " << pcap << ": " << jit.substr(0, 400);
        }
    }
}

// The knobs are .rodata: the JIT folds them, so set ones must still act.
TEST(JitReplay, ReadOnlyKnobsSetBeforeLoadActTheSameOnBothEngines) {
    const std::vector<std::string> knobs = {"--set", "blocked_proto=17", "--set", "max_frame_len=300",
                                            "--set", "log_drops=1", "--trace"};
    const std::string jit = replay_outputs("global_config", "sample.pcap", "jit", knobs);
    const std::string interp = replay_outputs("global_config", "sample.pcap", "interp", knobs);
    EXPECT_TRUE(jit == interp) << first_difference(jit, interp);
    EXPECT_NE(jit.find("exit 0\nbpf_trace_printk: xdp drop"), std::string::npos) << jit.substr(0, 600);
    EXPECT_TRUE(jit != replay_outputs("global_config", "sample.pcap", "jit")) << "the knobs change the verdicts";
}

}  // namespace
}  // namespace xdpdk::test
