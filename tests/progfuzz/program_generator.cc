#include "program_generator.h"

#include <algorithm>
#include <bit>
#include <bitset>
#include <cstdio>
#include <cstdlib>

#include "vm/assembler.h"
#include "vm/helpers.h"

namespace xdpdk::progfuzz {
namespace {

using vm::Kind;
using vm::Op;
using vm::RawInsn;

constexpr int kStackSize = vm::bpf::kStackSize;
constexpr int kArenaReg = 9;
constexpr int kFramePointer = 10;
constexpr int kFirstCounter = 6, kLastCounter = 8;  // loop counters live in callee-saved registers
constexpr int kMaxMainNesting = 2, kMaxSubprogNesting = 1;
constexpr int kMaxLoopCount = 4;
constexpr int kMaxSubprogs = 3;

constexpr uint16_t bit(int r) { return static_cast<uint16_t>(1u << r); }

// A broken generator invariant is a bug in this file; stop loudly rather than
// hand the engines a program that is not what it claims to be.
void require(bool ok, const char* what) {
    if (ok) return;
    std::fprintf(stderr, "program_generator: internal error: %s\n", what);
    std::abort();
}

// splitmix64: tiny, and the same sequence on every platform (the standard
// distributions are not), so a seed names one program for good.
class Rng {
public:
    explicit Rng(uint64_t seed) : state_(seed) {}
    uint64_t next() {
        uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    uint64_t below(uint64_t n) { return next() % n; }
    int range(int lo, int hi) { return lo + static_cast<int>(below(static_cast<uint64_t>(hi - lo) + 1)); }
    bool chance(int percent) { return below(100) < static_cast<uint64_t>(percent); }
    template <class T>
    const T& pick(const std::vector<T>& v) { return v[below(v.size())]; }
    // A random member of a register mask (which must not be empty).
    int pick_bit(uint16_t mask) {
        int k = static_cast<int>(below(static_cast<uint64_t>(std::popcount(mask))));
        for (int r = 0; r < 16; ++r)
            if ((mask & bit(r)) && k-- == 0) return r;
        require(false, "pick_bit on an empty mask");
        return 0;
    }

private:
    uint64_t state_;
};

// The operations each snippet draws from, read from the opcode table so an
// operation added there is generated without touching this file.
struct OpLists {
    std::vector<Op> alu, unary, jumps, loads, stores, atomics;
    std::vector<Op> stores_of_size[9];
};

const OpLists& op_lists() {
    static const OpLists lists = [] {
        OpLists l;
        for (int i = 0; i < vm::kNumOps; ++i) {
            const Op op = static_cast<Op>(i);
            const vm::OpInfo& info = vm::op_info(op);
            switch (info.kind) {
                case Kind::AluImm: case Kind::AluReg: l.alu.push_back(op); break;
                case Kind::Neg: case Kind::MovSx: case Kind::Endian: l.unary.push_back(op); break;
                case Kind::JmpImm: case Kind::JmpReg: l.jumps.push_back(op); break;
                case Kind::Ldx: case Kind::Ldxs: l.loads.push_back(op); break;
                case Kind::St: case Kind::Stx:
                    l.stores.push_back(op);
                    l.stores_of_size[info.size].push_back(op);
                    break;
                case Kind::Atomic: l.atomics.push_back(op); break;
                default: break;  // control flow and lddw have snippets of their own
            }
        }
        return l;
    }();
    return lists;
}

// ALU operations come in groups of four (64imm, 64reg, 32imm, 32reg) at the
// start of the Op enum; the group's first member names the operation.
static_assert(static_cast<int>(Op::Add64Imm) == 0 && static_cast<int>(Op::Smod32Reg) == 14 * 4 - 1);
Op alu_family(Op op) {
    const int i = static_cast<int>(op);
    return static_cast<Op>(i - i % 4);
}

bool is_fetch_atomic(Op op) { return vm::op_info(op).select_value & vm::bpf::FETCH; }
bool is_cmpxchg(Op op) { return vm::op_info(op).select_value == vm::bpf::CMPXCHG; }

// What is known at one program point on every path reaching it.
struct FlowState {
    bool reachable = true;
    uint16_t regs = 0;              // bit r: r holds a scalar this function wrote
    std::bitset<kStackSize> stack;  // bit i: byte r10 - kStackSize + i was written

    bool has(int r) const { return regs & bit(r); }
    void define(int r) { regs |= bit(r); }
    void forget(int r) { regs &= static_cast<uint16_t>(~bit(r)); }
    bool written(int off, int size) const {
        for (int b = off; b < off + size; ++b)
            if (!stack[kStackSize + b]) return false;
        return true;
    }
    void write(int off, int size) {
        for (int b = off; b < off + size; ++b) stack.set(kStackSize + b);
    }
    bool covers(const FlowState& o) const { return (regs & o.regs) == o.regs && (stack & o.stack) == o.stack; }
};

FlowState unreachable() {
    FlowState s;
    s.reachable = false;
    return s;
}

FlowState meet(const FlowState& a, const FlowState& b) {
    if (!a.reachable) return b;
    if (!b.reachable) return a;
    FlowState m;
    m.regs = a.regs & b.regs;
    m.stack = a.stack & b.stack;
    return m;
}

// Instructions with labels: jumps and calls name a label, and finish() turns
// labels into offsets.
class Emitter {
public:
    int new_label() {
        labels_.push_back(-1);
        return static_cast<int>(labels_.size()) - 1;
    }
    void bind(int label) { labels_[label] = static_cast<int64_t>(code_.size()); }
    void emit(Op op, int dst = 0, int src = 0, int off = 0, int32_t imm = 0) {
        code_.push_back(vm::encode_insn(op, static_cast<uint8_t>(dst), static_cast<uint8_t>(src),
                                        static_cast<int16_t>(off), imm));
    }
    void emit_lddw(int dst, uint64_t value) {
        emit(Op::Lddw, dst, 0, 0, static_cast<int32_t>(static_cast<uint32_t>(value)));
        code_.push_back(RawInsn{0, 0, 0, 0, static_cast<int32_t>(static_cast<uint32_t>(value >> 32))});
    }
    void emit_to(Op op, int label, int dst = 0, int src = 0, int32_t imm = 0) {
        fixups_.push_back({code_.size(), label});
        emit(op, dst, src, 0, imm);
    }
    size_t size() const { return code_.size(); }
    // Marks where the next function's code starts (main first).
    void begin_function() { function_starts_.push_back(code_.size()); }

    // Lays the functions out in `order` (a permutation starting with main),
    // then turns labels into offsets.
    std::vector<RawInsn> finish(const std::vector<size_t>& order) {
        reorder(order);
        for (const Fixup& f : fixups_) {
            require(labels_[f.label] >= 0, "jump to an unbound label");
            const int64_t rel = labels_[f.label] - static_cast<int64_t>(f.insn) - 1;
            require(rel >= INT16_MIN && rel <= INT16_MAX, "jump beyond 16 bits");
            RawInsn& r = code_[f.insn];
            const Op op = *vm::decode_op(r);
            if (op == Op::Ja32 || op == Op::CallLocal) r.imm = static_cast<int32_t>(rel);
            else r.off = static_cast<int16_t>(rel);
        }
        return std::move(code_);
    }

private:
    struct Fixup {
        size_t insn;
        int label;
    };

    void reorder(const std::vector<size_t>& order) {
        const size_t n = function_starts_.size();
        require(order.size() == n && (n == 0 || order[0] == 0), "bad function order");
        std::vector<size_t> end(n), new_start(n);
        for (size_t f = 0; f < n; ++f) end[f] = f + 1 < n ? function_starts_[f + 1] : code_.size();
        std::vector<RawInsn> laid_out;
        for (size_t f : order) {
            new_start[f] = laid_out.size();
            laid_out.insert(laid_out.end(), code_.begin() + static_cast<ptrdiff_t>(function_starts_[f]),
                            code_.begin() + static_cast<ptrdiff_t>(end[f]));
        }
        // Every label is bound inside a function (each ends with exit).
        auto moved = [&](int64_t pos) -> int64_t {
            if (pos < 0) return pos;
            for (size_t f = 0; f < n; ++f)
                if (static_cast<size_t>(pos) >= function_starts_[f] && static_cast<size_t>(pos) < end[f])
                    return pos - static_cast<int64_t>(function_starts_[f]) + static_cast<int64_t>(new_start[f]);
            require(false, "label outside every function");
            return pos;
        };
        for (int64_t& l : labels_) l = moved(l);
        for (Fixup& f : fixups_) f.insn = static_cast<size_t>(moved(static_cast<int64_t>(f.insn)));
        code_ = std::move(laid_out);
    }

    std::vector<RawInsn> code_;
    std::vector<int64_t> labels_;
    std::vector<Fixup> fixups_;
    std::vector<size_t> function_starts_;
};

struct Subprog {
    int label = -1;
    int nargs = 0;       // scalar arguments in r1.. (r2.. when there is an arena)
    int arena_size = 0;  // bytes at the pointer passed in r1; 0: no arena
    bool called = false;
};

class Generator {
public:
    Generator(uint64_t seed, const GeneratorOptions& opts)
        : rng_(seed * 0x2545f4914f6cdd1dull + 0x632be59bd9b4e019ull), opts_(opts) {}

    GeneratedCase run(uint64_t seed) {
        GeneratedCase c;
        c.seed = seed;
        c.cpu = static_cast<uint32_t>(seed % 4);
        c.mem.resize(8 * static_cast<size_t>(rng_.range(1, 16)));
        const bool small_values = rng_.chance(30);
        for (uint8_t& b : c.mem) b = static_cast<uint8_t>(small_values ? rng_.below(4) * 0x7f : rng_.next());

        const int nsubs = std::min(kMaxSubprogs, static_cast<int>(rng_.below(5)));
        for (int i = 0; i < nsubs; ++i) {
            Subprog s;
            s.label = e_.new_label();
            s.arena_size = rng_.chance(60) ? 8 * rng_.range(1, 4) : 0;
            s.nargs = rng_.range(0, s.arena_size ? 4 : 5);
            subs_.push_back(s);
        }
        const int budget = rng_.range(20, 80);
        gen_main(static_cast<int>(c.mem.size()), std::max(8, budget - 10 - 8 * nsubs));
        std::vector<size_t> order = {0};
        for (int i = 0; i < nsubs; ++i) {
            if (!subs_[i].called) continue;
            gen_subprog(i);
            order.push_back(order.size());
        }
        // Callees may sit before their callers, as the kernel allows.
        for (size_t k = order.size() - 1; k > 1; --k) std::swap(order[k], order[1 + rng_.below(k)]);
        c.program = e_.finish(order);
        return c;
    }

private:
    // --- functions -------------------------------------------------------

    void gen_main(int mem_size, int body_budget) {
        fn_index_ = -1;
        arena_size_ = mem_size;
        reserved_ = bit(kArenaReg) | bit(kFramePointer);
        st_ = FlowState{};
        e_.begin_function();
        e_.emit(Op::Mov64Reg, kArenaReg, 1);
        st_.define(2);  // the buffer length
        for (int r : {1, 3, 4, 5, 6, 7, 8}) poison(r);
        if (rng_.chance(20)) e_.emit_lddw(0, imm64());
        else e_.emit(Op::Mov64Imm, 0, 0, 0, imm32());
        st_.define(0);
        budget_end_ = emitted() + static_cast<size_t>(body_budget);
        gen_block(40);
        fold_into_r0();
        // Every buffer word joins r0, so r0 alone shows whether two runs left
        // the same memory (what a regression file can check).
        e_.emit(Op::Mov64Reg, 1, kArenaReg);
        e_.emit(Op::Mov64Imm, 2, 0, 0, mem_size / 8);
        const int fold = e_.new_label();
        e_.bind(fold);
        e_.emit(Op::LdxDW, 3, 1, 0);
        e_.emit(Op::Mul64Imm, 0, 0, 0, 0x01000193);
        e_.emit(Op::Xor64Reg, 0, 3);
        e_.emit(Op::Add64Imm, 1, 0, 0, 8);
        e_.emit(Op::Add64Imm, 2, 0, 0, -1);
        e_.emit_to(Op::Jne64Imm, fold, 2, 0, 0);
        e_.emit(Op::Exit);
    }

    void gen_subprog(int index) {
        const Subprog& s = subs_[index];
        fn_index_ = index;
        arena_size_ = s.arena_size;
        reserved_ = bit(kFramePointer) | (s.arena_size ? bit(kArenaReg) : 0);
        st_ = FlowState{};
        nesting_ = 0;
        loop_depth_ = 0;
        e_.begin_function();
        e_.bind(s.label);
        const int first_arg = s.arena_size ? 2 : 1;
        for (int k = 0; k < s.nargs; ++k) st_.define(first_arg + k);
        if (s.arena_size) e_.emit(Op::Mov64Reg, kArenaReg, 1);
        // The caller's r6-r9 are not ours to read (the engines restore them).
        for (int r = 1; r <= 9; ++r)
            if (!st_.has(r) && !(reserved_ & bit(r))) poison(r);
        if (s.nargs && rng_.chance(40)) e_.emit(Op::Mov64Reg, 0, first_arg + rng_.range(0, s.nargs - 1));
        else e_.emit(Op::Mov64Imm, 0, 0, 0, imm32());
        st_.define(0);
        budget_end_ = emitted() + static_cast<size_t>(rng_.range(4, 14));
        gen_block(12);
        fold_into_r0();
        e_.emit(Op::Exit);
    }

    // Mixes what the function computed into r0, so a wrong register or stack
    // slot anywhere shows in the result.
    void fold_into_r0() {
        static const std::vector<Op> kMix = {Op::Add64Reg, Op::Xor64Reg, Op::Sub64Reg};
        define_r0();
        for (int r = 1; r <= 9; ++r)
            if (st_.has(r) && rng_.chance(60)) e_.emit(rng_.pick(kMix), 0, r);
        for (int n = rng_.range(0, 2); n > 0; --n) {
            const int off = written_stack_slot(8);
            if (off == 0) break;
            e_.emit(Op::LdxDW, 1, kFramePointer, off);
            e_.emit(rng_.pick(kMix), 0, 1);
        }
    }

    // --- control flow ----------------------------------------------------

    // Up to n snippets with forward jumps between their boundaries; snippets
    // stop once the function's budget is spent.
    void gen_block(int n) {
        std::vector<int> labels(static_cast<size_t>(n) + 1);
        for (int& l : labels) l = e_.new_label();
        std::vector<FlowState> incoming(labels.size(), unreachable());
        for (int i = 0; i < n; ++i) {
            e_.bind(labels[i]);
            st_ = meet(st_, incoming[i]);
            if (emitted() >= budget_end_) continue;
            if (rng_.chance(12)) {
                const int target = i + 1 + static_cast<int>(rng_.below(static_cast<uint64_t>(std::min(4, n - i))));
                cond_jump(labels[target]);
                incoming[target] = meet(incoming[target], st_);
            } else {
                snippet();
            }
        }
        e_.bind(labels[n]);
        st_ = meet(st_, incoming[n]);
    }

    void snippet() {
        const bool can_nest = nesting_ < (fn_index_ < 0 ? kMaxMainNesting : kMaxSubprogNesting);
        const int r = static_cast<int>(rng_.below(100));
        if (r < 28) return alu();
        if (r < 36) return unary();
        if (r < 40) return lddw();
        if (r < 58) return memory_access();
        if (r < 66) return atomic();
        if (r < 71) return helper_call();
        if (r < 77) return local_call();
        if (r < 86 && can_nest) return diamond();
        if (r < 93 && can_nest) return loop();
        if (r < (fn_index_ < 0 ? 95 : 99)) return early_exit();
        alu();
    }

    // A conditional return from the middle of the function (from main it
    // skips the buffer fold; the runner still compares the buffer).
    void early_exit() {
        const int skip = e_.new_label();
        cond_jump(skip);
        const FlowState at_branch = st_;
        if (rng_.chance(30)) e_.emit(Op::Mov64Imm, 0, 0, 0, imm32());
        else define_r0();
        e_.emit(Op::Exit);
        e_.bind(skip);
        st_ = at_branch;
    }

    void define_r0() {
        if (st_.has(0)) return;
        e_.emit(Op::Mov64Imm, 0, 0, 0, imm32());
        st_.define(0);
    }

    void cond_jump(int label) {
        const Op op = rng_.pick(op_lists().jumps);
        const int dst = scalar();
        if (vm::op_info(op).kind == Kind::JmpImm) e_.emit_to(op, label, dst, 0, imm32());
        else e_.emit_to(op, label, dst, scalar());
    }

    void diamond() {
        const int else_label = e_.new_label(), end_label = e_.new_label();
        cond_jump(else_label);
        const FlowState at_branch = st_;
        ++nesting_;
        gen_block(rng_.range(1, 4));
        const FlowState then_end = st_;
        e_.emit_to(rng_.chance(25) ? Op::Ja32 : Op::Ja, end_label);
        e_.bind(else_label);
        st_ = at_branch;
        gen_block(rng_.range(1, 4));
        --nesting_;
        e_.bind(end_label);
        st_ = meet(then_end, st_);
    }

    // A counted loop, 1 to kMaxLoopCount iterations, with the counter in a
    // callee-saved register the body may read but not write.
    void loop() {
        uint16_t free = 0;
        for (int r = kFirstCounter; r <= kLastCounter; ++r)
            if (!(reserved_ & bit(r))) free |= bit(r);
        if (!free) return alu();
        const int rc = rng_.pick_bit(free);
        const int count = rng_.range(1, kMaxLoopCount);
        const bool wide = rng_.chance(50);
        const int variant = static_cast<int>(rng_.below(3));
        const int head = e_.new_label(), out = e_.new_label();
        e_.emit(wide ? Op::Mov64Imm : Op::Mov32Imm, rc, 0, 0, variant == 1 ? 0 : count);
        st_.define(rc);
        reserved_ |= bit(rc);
        // Calls and pointer temporaries in one iteration clobber r1-r5 for the
        // next; the body starts without them so every iteration is alike.
        for (int r = 1; r <= 5; ++r) st_.forget(r);
        const FlowState at_head = st_;
        e_.bind(head);
        if (variant == 2) e_.emit_to(wide ? Op::Jeq64Imm : Op::Jeq32Imm, out, rc, 0, 0);
        ++nesting_;
        ++loop_depth_;
        gen_block(rng_.range(1, 4));
        --loop_depth_;
        --nesting_;
        require(st_.covers(at_head), "loop body forgot what its head relies on");
        switch (variant) {
            case 0: {  // count down, test at the bottom
                static const std::vector<Op> kDec = {Op::Add64Imm, Op::Sub64Imm, Op::Add32Imm, Op::Sub32Imm};
                const Op dec = rng_.pick(kDec);
                const bool add = dec == Op::Add64Imm || dec == Op::Add32Imm;
                e_.emit(dec, rc, 0, 0, add ? -1 : 1);
                // Each holds while the counter is still in 1..count.
                static const std::vector<std::pair<Op, int32_t>> kWhile = {
                    {Op::Jne64Imm, 0}, {Op::Jne32Imm, 0}, {Op::Jsgt64Imm, 0}, {Op::Jsgt32Imm, 0},
                    {Op::Jgt64Imm, 0}, {Op::Jgt32Imm, 0}, {Op::Jsge64Imm, 1}, {Op::Jge32Imm, 1}};
                const auto& [op, imm] = rng_.pick(kWhile);
                e_.emit_to(op, head, rc, 0, imm);
                break;
            }
            case 1: {  // count up from 0, test at the bottom
                e_.emit(wide ? Op::Add64Imm : Op::Add32Imm, rc, 0, 0, 1);
                static const std::vector<std::pair<Op, int32_t>> kWhile = {
                    {Op::Jlt64Imm, 0}, {Op::Jlt32Imm, 0}, {Op::Jne64Imm, 0}, {Op::Jne32Imm, 0},
                    {Op::Jslt64Imm, 0}, {Op::Jle64Imm, -1}, {Op::Jsle32Imm, -1}};
                const auto& [op, bias] = rng_.pick(kWhile);
                e_.emit_to(op, head, rc, 0, count + bias);
                break;
            }
            default:  // test at the top, jump back at the bottom
                e_.emit(wide ? Op::Sub64Imm : Op::Sub32Imm, rc, 0, 0, 1);
                e_.emit_to(rng_.chance(30) ? Op::Ja32 : Op::Ja, head);
                e_.bind(out);
                st_ = meet(at_head, st_);
                break;
        }
        if (variant != 2) e_.bind(out);
        reserved_ &= static_cast<uint16_t>(~bit(rc));
    }

    // --- computation -----------------------------------------------------

    void alu() {
        const Op op = rng_.pick(op_lists().alu);
        const vm::OpInfo& info = vm::op_info(op);
        const Op family = alu_family(op);
        const bool imm_form = info.kind == Kind::AluImm;
        const int src = imm_form ? 0 : scalar();
        const int dst = family == Op::Mov64Imm ? writable() : scalar_rw();
        int32_t imm = 0;
        if (imm_form) {
            // The kernel refuses constant shifts past the width and constant
            // division by zero; register operands may be anything.
            if (family == Op::Lsh64Imm || family == Op::Rsh64Imm || family == Op::Arsh64Imm) {
                imm = rng_.range(0, info.is64 ? 63 : 31);
            } else if (family == Op::Div64Imm || family == Op::Mod64Imm || family == Op::Sdiv64Imm ||
                       family == Op::Smod64Imm) {
                do imm = imm32();
                while (imm == 0);
            } else {
                imm = imm32();
            }
        }
        e_.emit(op, dst, src, 0, imm);
        st_.define(dst);
    }

    void unary() {
        const Op op = rng_.pick(op_lists().unary);
        if (vm::op_info(op).kind == Kind::MovSx) {
            const int src = scalar();
            const int dst = writable();
            e_.emit(op, dst, src);
            st_.define(dst);
        } else {
            e_.emit(op, scalar_rw());
        }
    }

    void lddw() {
        const int dst = writable();
        e_.emit_lddw(dst, imm64());
        st_.define(dst);
    }

    // --- memory ----------------------------------------------------------

    // A load or store on the stack (size-aligned, reading only written bytes)
    // or on the arena (any alignment within bounds).
    void memory_access() {
        const OpLists& lists = op_lists();
        const bool on_stack = arena_size_ == 0 || rng_.chance(50);
        Op op = rng_.chance(50) ? rng_.pick(lists.loads) : rng_.pick(lists.stores);
        const int size = vm::op_info(op).size;
        bool is_load = vm::op_info(op).kind == Kind::Ldx || vm::op_info(op).kind == Kind::Ldxs;
        int addr;
        if (on_stack) {
            addr = is_load ? written_stack_slot(size) : 0;
            if (addr == 0) {  // nothing readable yet: write instead
                if (is_load) op = rng_.pick(lists.stores_of_size[size]);
                is_load = false;
                addr = random_stack_slot(size);
            }
        } else {
            addr = rng_.chance(50) ? size * rng_.range(0, arena_size_ / size - 1) : rng_.range(0, arena_size_ - size);
        }
        const Kind kind = vm::op_info(op).kind;
        const int src = kind == Kind::Stx ? scalar() : -1;
        const auto [base, off, temp] = address(on_stack, addr, src);
        if (is_load) {
            const int dst = writable();
            e_.emit(op, dst, base, off);
            st_.define(dst);
            if (temp >= 0 && temp != dst) poison(temp);
            return;
        }
        if (kind == Kind::Stx) e_.emit(op, base, src, off);
        else e_.emit(op, base, 0, off, imm32());
        if (on_stack) st_.write(addr, size);
        if (temp >= 0) poison(temp);
    }

    void atomic() {
        const Op op = rng_.pick(op_lists().atomics);
        const int size = vm::op_info(op).size;
        const bool on_stack = arena_size_ == 0 || rng_.chance(50);
        int addr;
        if (on_stack) {
            addr = written_stack_slot(size);
            if (addr == 0) {
                addr = random_stack_slot(size);
                e_.emit(size == 8 ? Op::StDW : Op::StW, kFramePointer, 0, addr, imm32());
                st_.write(addr, size);
            }
        } else {
            addr = size * rng_.range(0, arena_size_ / size - 1);
        }
        // Fetching forms write the old value back into src; cmpxchg compares
        // with r0 and leaves the old value there.
        const bool writes_src = is_fetch_atomic(op) && !is_cmpxchg(op);
        const int src = writes_src ? scalar_rw() : scalar();
        if (is_cmpxchg(op)) define_r0();
        const auto [base, off, temp] = address(on_stack, addr, src, is_cmpxchg(op) ? 0 : -1);
        e_.emit(op, base, src, off);
        if (is_cmpxchg(op)) st_.define(0);
        if (temp >= 0) poison(temp);
    }

    struct Address {
        int base;  // register holding the base pointer
        int off;   // the instruction's offset from it
        int temp;  // scratch register holding a derived pointer, or -1
    };

    // Where the access at `addr` (from r10 or from the arena start at r9)
    // takes its base: the region's own register, or a pointer derived from it
    // into another register (not `keep` or `keep2`). Inside a loop only r1-r5
    // may hold one: the loop body must not lose anything else it relies on.
    Address address(bool on_stack, int addr, int keep, int keep2 = -1) {
        const int region = on_stack ? kFramePointer : kArenaReg;
        if (!rng_.chance(35)) return {region, addr, -1};
        uint16_t allowed = loop_depth_ ? uint16_t{0b111110} : writable_mask();
        for (int k : {keep, keep2})
            if (k >= 0) allowed &= static_cast<uint16_t>(~bit(k));
        const int temp = rng_.pick_bit(allowed);
        const int delta = on_stack ? -rng_.range(0, kStackSize) : rng_.range(0, arena_size_);
        e_.emit(Op::Mov64Reg, temp, region);
        st_.forget(temp);
        if (delta != 0 || rng_.chance(50)) {
            if (rng_.chance(70)) e_.emit(Op::Add64Imm, temp, 0, 0, delta);
            else e_.emit(Op::Sub64Imm, temp, 0, 0, -delta);
        }
        return {temp, addr - delta, temp};
    }

    // A size-aligned stack offset whose bytes were all written; 0 when none.
    int written_stack_slot(int size) {
        std::vector<int> slots;
        for (int off = -size; off >= -kStackSize; off -= size)
            if (st_.written(off, size)) slots.push_back(off);
        return slots.empty() ? 0 : rng_.pick(slots);
    }

    // A size-aligned stack offset, mostly near the top of the frame so loads
    // find written bytes.
    int random_stack_slot(int size) {
        const int window = rng_.chance(75) ? 64 : kStackSize;
        return -size * rng_.range(1, window / size);
    }

    // --- calls -----------------------------------------------------------

    void clobber_caller_saved() {
        for (int r = 1; r <= 5; ++r) {
            st_.forget(r);
            poison(r);
        }
        st_.define(0);
    }

    void helper_call() {
        if (rng_.chance(35)) {
            e_.emit(Op::Call, 0, 0, 0, vm::helper_id::GetSmpProcessorId);
            return clobber_caller_saved();
        }
        // bpf_csum_diff(from, from_size, to, to_size, seed): the seed first,
        // since it may be copied from r1-r4.
        if (rng_.chance(50)) e_.emit(Op::Mov64Imm, 5, 0, 0, imm32());
        else e_.emit(rng_.chance(70) ? Op::Mov64Reg : Op::Mov32Reg, 5, scalar());
        st_.define(5);
        bytes_argument(1, 2);
        bytes_argument(3, 4);
        e_.emit(Op::Call, 0, 0, 0, vm::helper_id::CsumDiff);
        clobber_caller_saved();
    }

    // A pointer to readable bytes in `ptr` and their count in `size_reg`.
    void bytes_argument(int ptr, int size_reg) {
        int size = 0;
        if (arena_size_ && rng_.chance(60)) {
            const int start = rng_.range(0, arena_size_);
            size = rng_.range(0, std::min(arena_size_ - start, 64));
            e_.emit(Op::Mov64Reg, ptr, kArenaReg);
            if (start) e_.emit(Op::Add64Imm, ptr, 0, 0, start);
        } else {
            std::vector<int> starts;
            for (int off = -kStackSize; off < 0; ++off)
                if (st_.written(off, 1)) starts.push_back(off);
            int start = -8;
            if (!starts.empty()) {
                start = rng_.pick(starts);
                int run = 0;
                while (start + run < 0 && run < 64 && st_.written(start + run, 1)) ++run;
                size = rng_.range(1, run);
            }
            e_.emit(Op::Mov64Reg, ptr, kFramePointer);
            e_.emit(Op::Add64Imm, ptr, 0, 0, start);
        }
        st_.forget(ptr);
        e_.emit(Op::Mov64Imm, size_reg, 0, 0, size);
        st_.define(size_reg);
    }

    void local_call() {
        std::vector<int> callees;
        for (int j = fn_index_ + 1; j < static_cast<int>(subs_.size()); ++j) callees.push_back(j);
        if (callees.empty()) return alu();
        Subprog& s = subs_[rng_.pick(callees)];
        s.called = true;
        const int first_arg = s.arena_size ? 2 : 1;
        for (int k = 0; k < s.nargs; ++k) {
            const int arg = first_arg + k;
            if (rng_.chance(40)) e_.emit(Op::Mov64Imm, arg, 0, 0, imm32());
            else e_.emit(rng_.chance(80) ? Op::Mov64Reg : Op::Mov32Reg, arg, scalar());
            st_.define(arg);
        }
        if (s.arena_size) arena_argument(s.arena_size);
        e_.emit_to(Op::CallLocal, s.label);
        clobber_caller_saved();
    }

    // r1 = a pointer to `size` written, 8-aligned bytes: a slice of our own
    // arena, or of our stack (written first where needed).
    void arena_argument(int size) {
        if (arena_size_ >= size && rng_.chance(60)) {
            const int start = 8 * rng_.range(0, (arena_size_ - size) / 8);
            e_.emit(Op::Mov64Reg, 1, kArenaReg);
            if (start) e_.emit(Op::Add64Imm, 1, 0, 0, start);
        } else {
            const int start = -8 * rng_.range(size / 8, kStackSize / 8);
            for (int off = start; off < start + size; off += 8) {
                if (st_.written(off, 8)) continue;
                if (rng_.chance(50)) e_.emit(Op::StDW, kFramePointer, 0, off, imm32());
                else e_.emit(Op::StxDW, kFramePointer, scalar(), off);
                st_.write(off, 8);
            }
            e_.emit(Op::Mov64Reg, 1, kFramePointer);
            e_.emit(Op::Add64Imm, 1, 0, 0, start);
        }
        st_.forget(1);
    }

    // --- registers and values ---------------------------------------------

    uint16_t writable_mask() const { return static_cast<uint16_t>(0x3ff & ~reserved_); }

    int writable() { return rng_.pick_bit(writable_mask()); }

    // A register holding a scalar to read; sometimes (or when there is none)
    // a freshly set one.
    int scalar() { return scalar_in(st_.regs); }
    // The same, among registers this code may also overwrite.
    int scalar_rw() { return scalar_in(static_cast<uint16_t>(st_.regs & writable_mask())); }

    int scalar_in(uint16_t candidates) {
        if (candidates && !rng_.chance(8)) return rng_.pick_bit(candidates);
        const int r = writable();
        e_.emit(Op::Mov64Imm, r, 0, 0, imm32());
        st_.define(r);
        return r;
    }

    int32_t imm32() {
        static const std::vector<int32_t> kEdges = {0,      1,      -1,     2,          7,         31,
                                                    32,     63,     64,     0x7f,       0x80,      0xff,
                                                    0x100,  0x7fff, 0x8000, 0xffff,     0x10000,   INT32_MAX,
                                                    INT32_MIN, -2,  -128,   -32768,     0x7ffffffe, -0x7fffffff};
        switch (rng_.below(6)) {
            case 0: return rng_.range(-16, 16);
            case 1: case 2: return rng_.pick(kEdges);
            case 3: return static_cast<int32_t>((uint32_t{1} << rng_.below(32)) - static_cast<uint32_t>(rng_.below(2)));
            default: return static_cast<int32_t>(static_cast<uint32_t>(rng_.next()));
        }
    }

    uint64_t imm64() {
        static const std::vector<uint64_t> kEdges = {
            0, 1, ~uint64_t{0}, uint64_t{1} << 63, (uint64_t{1} << 63) - 1, 0xffffffffull, 0x100000000ull,
            0x80000000ull, 0x7fffffffull, 0xffffffff80000000ull, 0x8000000000000001ull, 0x00000000ffff0000ull};
        switch (rng_.below(4)) {
            case 0: return rng_.pick(kEdges);
            case 1: return static_cast<uint64_t>(static_cast<int64_t>(imm32()));
            default: return rng_.next();
        }
    }

    // --- poison mode -------------------------------------------------------

    // Instructions that only exist in poison mode; budgets ignore them so a
    // seed gives the same program shape in both modes.
    size_t emitted() const { return e_.size() - poison_insns_; }

    void poison(int r) {
        if (!opts_.poison) return;
        e_.emit_lddw(r, opts_.poison_value);
        poison_insns_ += 2;
    }

    Rng rng_;
    const GeneratorOptions& opts_;
    Emitter e_;
    std::vector<Subprog> subs_;
    FlowState st_;
    int fn_index_ = -1;      // -1: main, else the subprogram being generated
    int arena_size_ = 0;     // bytes at r9; 0: this function has no arena
    uint16_t reserved_ = 0;  // registers this code may read but not write
    int nesting_ = 0;
    int loop_depth_ = 0;     // enclosing loops in this function
    size_t budget_end_ = 0;  // no new snippets once emitted() reaches this
    size_t poison_insns_ = 0;
};

}  // namespace

GeneratedCase generate_case(uint64_t seed, const GeneratorOptions& opts) {
    return Generator(seed, opts).run(seed);
}

}  // namespace xdpdk::progfuzz
