// Path exploration: depth-first over every feasible path, with the states
// kept at prune points (explored_) cutting off paths already proven safe,
// the processed-instruction budget, and the entry point verify().
#include <algorithm>

#include "../disassembler.h"
#include "../helpers.h"
#include "verifier_impl.h"
#include "text.h"

namespace xdpdk::vm::verifier {
namespace {

// Enough states per instruction for real programs (bounded loops keep one
// or more per iteration at the loop head); beyond it pruning only gets
// weaker, and the instruction budget still bounds the work.
constexpr size_t kMaxStatesPerInsn = 256;
constexpr size_t kMaxStateBytes = size_t{256} << 20;
// Branches waiting to be explored, as Linux limits them
// (BPF_COMPLEXITY_LIMIT_JMP_SEQ); each holds a whole state.
constexpr size_t kMaxPendingBranches = 8192;

size_t state_bytes(const State& st) {
    size_t n = sizeof(State);
    for (const Frame& f : st.frames) n += sizeof(Frame) + f.slots.size() * sizeof(StackSlot);
    return n;
}

State entry_state(const VerifyEnv& env) {
    State st;
    st.frames.emplace_back();
    Frame& f = st.frames.back();
    f.regs[10] = RegState::pointer(RegType::Stack);
    if (env.type == ProgType::Raw) {
        if (env.mem_size == 0) {
            f.regs[1] = RegState::constant(0);
        } else {
            f.regs[1] = RegState::pointer(RegType::Mem);
            f.regs[1].mem_size = static_cast<uint32_t>(std::min<uint64_t>(env.mem_size, UINT32_MAX));
        }
        f.regs[2] = RegState::constant(env.mem_size);
    } else {
        f.regs[1] = RegState::pointer(RegType::Ctx);
    }
    return st;
}

}  // namespace

Verifier::Verifier(const Program& prog, const VerifyEnv& env, Cfg cfg)
    : prog_(prog), env_(env), cfg_(std::move(cfg)), raw_semantics_(env.type == ProgType::Raw) {
    explored_.resize(prog.insns.size());
    subprog_stack_.assign(cfg_.subprog_start.size(), 0);
    visited_.assign(prog.insns.size(), false);
    call_map_shape_.assign(prog.insns.size(), {0, 0});
    ctx_load_.assign(prog.insns.size(), false);
    load_kind_.assign(prog.insns.size(), 0);
    init_globals();
}

Error Verifier::fail(std::string reason) const {
    // The path goes on a second line, added after make_insn_error has
    // escaped what came from the input.
    Error e = make_insn_error(prog_.name, pc_, std::move(reason));
    e.reason += "\npath: ";
    e.reason += paths_.str(path_);
    return e;
}

Status Verifier::check_readable(int r) const {
    if (cur_.cur().regs[r].type == RegType::NotInit) return fail(cat(reg_name(r), " !read_ok (register is not initialised)"));
    return {};
}

Status Verifier::push_branch(State st, uint32_t from, uint32_t pc) {
    if (pending_.size() >= kMaxPendingBranches)
        return fail(cat("the sequence of ", pending_.size() + 1, " jumps is too complex"));
    if (parent_) ++parent_->branches;
    pending_.push_back(Pending{std::move(st), pc, parent_, paths_.add(path_, from, pc)});
    Pending& p = pending_.back();
    if (precision_) {
        p.hist = hist_;
        p.hist.push_back(entry_);  // the branch itself, which the pushed path took too
    }
    p.hist_lost = hist_lost_;
    p.written = written_;
    return {};
}

void Verifier::end_path() {
    for (Checkpoint* cp = parent_; cp; cp = cp->parent)
        if (--cp->branches > 0) break;
    parent_ = nullptr;
}

Result<Verifier::Visit> Verifier::visit_prune_point() {
    drop_single_scalar_ids(cur_);
    std::vector<Checkpoint*>& list = explored_[pc_];
    const bool callback_return = cur_.callback_return;
    cur_.callback_return = false;
    const Checkpoint* before = nullptr;  // this call, one callback iteration before
    const uint64_t regs_key = live_regs_key(cur_, pc_, cfg_.live_in);
    for (size_t i = 0; i < list.size(); ++i) {
        Checkpoint* cp = list[i];
        if (cp->branches > 0 && callback_return) {
            // Another iteration changes nothing the earlier one did not
            // cover, compared exactly (Linux's RANGE_WITHIN): no new paths.
            if (state_covers(cp->state, cur_, pc_, cfg_.live_in)) {
                mark_all_precise(parent_);
                return Visit::Pruned;
            }
            before = cp;
            continue;
        }
        if (cp->branches > 0 && cp->state.callback_calls != cur_.callback_calls) {
            if (state_covers(cp->state, cur_, pc_, cfg_.live_in)) {
                mark_all_precise(parent_);
                return Visit::Pruned;
            }
            continue;
        }
        if (cp->branches > 0) {
            // An unfinished state here is an ancestor of this path: the path
            // went around a loop and came back no more precise than before.
            if (cp->live_regs_key == regs_key && same_live_regs(cp->state, cur_, pc_, cfg_.live_in) &&
                state_covers(cp->state, cur_, pc_, cfg_.live_in))
                return fail(cat("infinite loop detected at insn ", std::to_string(pc_) +
                            " (the loop cannot be proven to end)"));
            continue;
        }
        if (state_covers(cp->state, cur_, pc_, cfg_.live_in, precision_ ? &cp->precise : nullptr,
                         env_.exact_states ? nullptr : &cp->live_slots, !env_.strict && !env_.exact_states)) {
            ++cp->hits;
            propagate_precision(*cp);
            propagate_liveness(*cp);
            return Visit::Pruned;
        }
        // As Linux: a finished state that keeps failing to prune is dropped
        // from the list (it stays a parent of its descendants), so the list
        // keeps room for the states that do prune. Linux allows 3 misses per
        // hit (64 at loop heads); fewer than 64 costs the loop tests here
        // (tcp_opts_walk) more than it saves.
        if (++cp->misses > cp->hits * 64 + 64) {
            list[i--] = list.back();
            list.pop_back();
        }
    }
    if (before) widen_scalars(before->state, cur_);
    const size_t bytes = state_bytes(cur_) + hist_.size() * sizeof(HistEntry);
    if (list.size() < kMaxStatesPerInsn && checkpoint_bytes_ + bytes <= kMaxStateBytes) {
        checkpoint_bytes_ += bytes;
        checkpoints_.push_back(Checkpoint{cur_, parent_, 1});
        checkpoints_.back().hist = std::move(hist_);
        checkpoints_.back().hist_lost = hist_lost_;
        checkpoints_.back().live_regs_key = before ? live_regs_key(cur_, pc_, cfg_.live_in) : regs_key;  // cur_ widened since
        checkpoints_.back().written = std::move(written_);
        hist_.clear();
        hist_lost_ = false;
        written_.clear();
        parent_ = &checkpoints_.back();
        list.push_back(parent_);
    }
    return Visit::Continue;
}

void Verifier::widen_scalars(const State& old, State& cur) {
    auto widen = [](const RegState& o, RegState& c) {
        if (o.is_scalar() && c.is_scalar() && !o.value.contains(c.value)) c = RegState::unknown();
    };
    for (size_t f = 0; f < old.frames.size() && f < cur.frames.size(); ++f) {
        const Frame& of = old.frames[f];
        Frame& cf = cur.frames[f];
        for (int r = 0; r < 10; ++r) widen(of.regs[r], cf.regs[r]);
        for (size_t i = 0; i < of.slots.size() && i < cf.slots.size(); ++i) {
            const StackSlot& os = of.slots[i];
            StackSlot& cs = cf.slots[i];
            if (!os.is_spill() || !cs.is_spill() || !os.spilled.is_scalar() || !cs.spilled.is_scalar()) continue;
            if (os.spilled.value.contains(cs.spilled.value)) continue;
            if (cs.spill_size() == kSlotSize) {
                cs.spilled = RegState::unknown();
            } else {
                // A narrow spill: its bytes become unknown ones.
                for (int b = 0; b < kSlotSize; ++b)
                    if (cs.bytes[b] == ByteKind::Spill) cs.bytes[b] = ByteKind::Misc;
                cs.spilled = RegState{};
            }
        }
    }
}

void Verifier::log_insn() {
    std::string& log = *env_.log;
    if (const LineInfo* line = prog_.line_at(pc_); line && line != logged_line_) {
        const size_t text = std::min(line->text.find_first_not_of(" \t\n\v\f\r"), line->text.size());
        const size_t base = line->file.find_last_of('/');
        log += cat("; ", std::string_view(line->text).substr(text), " @ ",
                   base == std::string::npos ? line->file : line->file.substr(base + 1), ":", line->line_num, "\n");
        logged_line_ = line;
    }
    log += cat(pc_, ": ", disassemble_insn(prog_.xlated, pc_), "    ; ", state_str(cur_, cfg_.live_in[pc_] | 0x400), "\n");
}

Result<Flow> Verifier::step(const Insn& in) {
    switch (op_info(in.op).kind) {
        case Kind::AluImm: case Kind::AluReg: case Kind::Neg: case Kind::MovSx: case Kind::Endian:
            XDPDK_RETURN_IF_ERROR(check_alu(in));
            return Flow::Next;
        case Kind::Lddw: {
            RegState r = RegState::constant(uint64_t(uint32_t(in.imm)) | (uint64_t(uint32_t(prog_.insns[pc_ + 1].imm)) << 32));
            if (const Callback* cb = in.src == bpf::PSEUDO_FUNC ? prog_.callback_at(pc_) : nullptr) {
                r = RegState::pointer(RegType::FuncPtr);
                r.func_pc = cb->start;
            }
            for (const LddwOrigin& o : prog_.lddw_origins) {
                if (o.insn != pc_) continue;
                if (o.value) {
                    r = RegState::pointer(RegType::MapValue, static_cast<int32_t>(o.offset));
                } else {
                    r = RegState::pointer(RegType::MapPtr);
                }
                r.map = o.map;
            }
            reg(in.dst) = r;
            next_pc_ = pc_ + 2;
            return Flow::Goto;
        }
        case Kind::LddwTail: return fail("lddw second slot executed");
        case Kind::Ldx: case Kind::Ldxs:
            XDPDK_RETURN_IF_ERROR(check_load(in));
            return Flow::Next;
        case Kind::St: case Kind::Stx:
            XDPDK_RETURN_IF_ERROR(check_store(in));
            return Flow::Next;
        case Kind::Atomic:
            XDPDK_RETURN_IF_ERROR(check_atomic(in));
            return Flow::Next;
        case Kind::Ja:
            next_pc_ = static_cast<uint32_t>(pc_ + 1 + (in.op == Op::Ja ? int64_t{in.off} : int64_t{in.imm}));
            return Flow::Goto;
        case Kind::JmpImm: case Kind::JmpReg: return check_branch(in);
        case Kind::Call:
            if (in.op == Op::CallLocal) {
                XDPDK_RETURN_IF_ERROR(check_local_call(in));
                return Flow::Goto;
            }
            XDPDK_RETURN_IF_ERROR(check_helper_call(in));
            return Flow::Next;
        case Kind::Exit: return check_exit();
    }
    return fail("unhandled instruction");
}

Result<VerifierInfo> Verifier::run() {
    pending_.push_back(Pending{entry_state(env_), 0, nullptr, PathLog::kRoot});
    while (!pending_.empty() || next_global()) {
        Pending p = std::move(pending_.back());
        pending_.pop_back();
        cur_ = std::move(p.state);
        pc_ = p.pc;
        parent_ = p.parent;
        path_ = p.path;
        hist_ = std::move(p.hist);
        hist_lost_ = p.hist_lost;
        written_ = std::move(p.written);
        if (env_.log_insns && env_.log && path_ != PathLog::kRoot) *env_.log += cat("from branch: ", paths_.str(path_, 1), "\n");
        for (;;) {
            if (cfg_.prune_point[pc_]) {
                XDPDK_ASSIGN_OR_RETURN(Visit v, visit_prune_point());
                if (v == Visit::Pruned) {
                    if (env_.log_insns && env_.log) *env_.log += cat(pc_, ": safe (state seen before)\n");
                    end_path();
                    break;
                }
            }
            if (++info_.insns_processed > env_.insn_budget)
                return fail(cat("program too complex: more than ", std::to_string(env_.insn_budget) +
                            " instructions processed"));
            visited_[pc_] = true;
            if (env_.log_insns && env_.log) log_insn();
            const Insn& in = prog_.insns[pc_];
            entry_ = HistEntry{};
            entry_.pc = pc_;
            entry_.frame = static_cast<uint8_t>(cur_.frames.size() - 1);
            XDPDK_ASSIGN_OR_RETURN(Flow flow, step(in));
            if (precision_) {
                hist_.push_back(entry_);
                limit_history();
            }
            if (flow == Flow::End) {
                end_path();
                break;
            }
            pc_ = flow == Flow::Next ? pc_ + 1 : next_pc_;
        }
    }
    XDPDK_RETURN_IF_ERROR(check_stack_limits());
    for (uint32_t pc = 0; pc < prog_.insns.size(); ++pc) {
        if (ctx_load_[pc]) info_.ctx_loads.push_back(pc);
        const auto [type, key_size] = call_map_shape_[pc];
        if (type != 0 && type != kMixedMaps && visited_[pc]) info_.map_calls.push_back({pc, type, key_size});
        if (!visited_[pc] && prog_.insns[pc].op != Op::LddwTail) info_.dead_insns.push_back(pc);
    }
    info_.states_stored = static_cast<uint32_t>(checkpoints_.size());
    if (env_.log)
        *env_.log += cat(prog_.name, ": accepted (", info_.insns_processed, " insns processed, ", info_.states_stored,
                         " states stored, combined stack ", info_.max_combined_stack, " bytes)\n");
    return info_;
}

// The kernel's check_max_stack_depth: along every call chain, each frame
// counts its stack rounded up to 32 bytes (at least 32), 512 in total; a
// subprogram that tail-calls may have at most 256 bytes of callers above it.
Status Verifier::check_stack_limits() {
    const size_t n = cfg_.subprog_start.size();
    auto frame_size = [&](uint32_t s) { return (std::max<uint32_t>(subprog_stack_[s], 1) + 31) / 32 * 32; };
    // The call graph is acyclic (build_cfg refuses recursion): a reverse
    // post-order visits every caller before its callees.
    std::vector<uint32_t> order;
    std::vector<bool> done(n, false);
    auto post = [&](auto&& self, uint32_t s) -> void {
        done[s] = true;
        for (uint32_t c : cfg_.callees[s])
            if (!done[c]) self(self, c);
        order.push_back(s);
    };
    post(post, 0);
    std::reverse(order.begin(), order.end());
    std::vector<uint32_t> above(n, 0);  // deepest stack of the callers above each subprogram
    // Frames of the longest call chain reaching each subprogram: a global
    // function, verified on its own, starts its paths at one frame.
    std::vector<uint32_t> frames(n, 1);
    uint32_t worst = 0;
    for (uint32_t s : order) {
        if (frames[s] > uint32_t(kMaxCallFrames))
            return make_insn_error(prog_.name, cfg_.subprog_start[s],
                                   cat("the call stack of ", frames[s], " frames is too deep (at most ",
                                       kMaxCallFrames, ")"));
        for (uint32_t c : cfg_.callees[s]) frames[c] = std::max(frames[c], frames[s] + 1);
        const uint32_t depth = above[s] + frame_size(s);
        worst = std::max(worst, depth);
        if (depth > 512)
            return make_insn_error(prog_.name, cfg_.subprog_start[s],
                                   cat("combined stack size of the call chain reaching this subprogram is ",
                                       std::to_string(depth), " bytes; the limit is 512"));
        for (uint32_t c : cfg_.callees[s]) above[c] = std::max(above[c], depth);
        if (!cfg_.has_tail_call || above[s] <= 256) continue;
        for (uint32_t pc = cfg_.subprog_start[s]; pc < prog_.insns.size() && cfg_.subprog_of[pc] == s; ++pc) {
            const Insn& in = prog_.insns[pc];
            if (in.op == Op::Call && in.imm == helper_id::TailCall)
                return make_insn_error(prog_.name, pc,
                                       cat("tail call with ", std::to_string(above[s]) +
                                           " bytes of caller stack frames; the limit is 256"));
        }
    }
    info_.max_combined_stack = worst;
    return {};
}

}  // namespace xdpdk::vm::verifier

namespace xdpdk::vm {

Result<VerifierInfo> verify(const Program& prog, const VerifyEnv& env) {
    if (prog.insns.empty()) return make_error(prog.name, "program has no instructions");
    XDPDK_ASSIGN_OR_RETURN(verifier::Cfg cfg, verifier::build_cfg(prog.name, prog.insns, prog.callbacks));
    verifier::Verifier v(prog, env, std::move(cfg));
    return v.run();
}

}  // namespace xdpdk::vm
