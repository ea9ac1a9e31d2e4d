// The verifier's working state, shared by the files that implement it:
// explore.cc (paths, pruning, budget), check_alu.cc, check_mem.cc,
// check_call.cc and check_branch.cc (one transfer function per instruction
// kind, driven by the opcode table's Kind), global_funcs.cc (calls to global
// functions, and their own verification).
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../helpers.h"
#include "../map.h"
#include "cfg.h"
#include "path_log.h"
#include "state.h"
#include "verifier.h"

namespace xdpdk::vm::verifier {

// Limits as the kernel has them.
constexpr int64_t kMaxVarOff = 1 << 29;     // BPF_MAX_VAR_OFF
constexpr uint32_t kMaxPacketOff = 0xffff;  // MAX_PACKET_OFF
constexpr int kMaxCallFrames = 8;
constexpr uint32_t kMapFlagRdonlyProg = 1u << 7;  // BPF_F_RDONLY_PROG
// BPF_F_INNER_MAP: arrays of this template's shape may have any size.
constexpr uint32_t kMapFlagInnerMap = 1u << 12;

// Which byte of its 8-byte slot the stack address fp+fp_off is.
int byte_in_slot(int64_t fp_off);
// What a fixed-offset read of `size` bytes at `byte` of the slot yields
// (the bytes are initialised); NotInit when it would split a spilled pointer.
RegState read_stack_slot(const StackSlot& s, int byte, unsigned size, bool sign_extend);

// One processed instruction, as precision tracking walks it backwards: the
// frame it ran in, the stack slot a fixed-offset access touched, and for a
// comparison the scalars linked to its operands (narrowed with them).
struct HistEntry {
    uint32_t pc = 0;
    uint8_t frame = 0;
    int8_t stack_frame = -1;  // -1: no fixed-offset stack access
    uint8_t stack_slot = 0;
    bool whole_slot = false;  // the store wrote all 8 bytes
    bool linked_other = false;  // linked copies in other frames
    uint16_t linked_regs = 0;
    uint64_t linked_slots = 0;
};

// Registers and slots (per frame) whose sources a backwards walk looks for.
struct Backtrack {
    std::vector<PreciseSet> frames;
    bool empty() const;
    PreciseSet& at(size_t frame);
};

// A state kept at a prune point. `branches` counts the paths still being
// explored below it; only finished ones (0) may prune, and a path that comes
// back to an unfinished one without progress is an endless loop. `hist` is
// the path from the parent checkpoint to this one; `precise` what paths below
// it relied on (complete once branches is 0).
struct Checkpoint {
    State state;
    Checkpoint* parent;
    uint32_t branches;
    std::vector<HistEntry> hist{};
    std::vector<PreciseSet> precise{};
    uint32_t hits = 0, misses = 0;  // comparisons once finished
    uint64_t live_regs_key = 0;     // of state, at its instruction
    bool hist_lost = false;    // hist was cut short: nothing above can be followed
    bool all_precise = false;  // so is every checkpoint above it
    // Stack liveness (per frame, bit per slot): slots read below before
    // being written, and slots the path from the parent wrote whole.
    std::vector<uint64_t> live_slots{};
    std::vector<uint64_t> written{};
};

enum class AccessKind : uint8_t { Read, Write };

// How an instruction ends for the current path.
enum class Flow : uint8_t { Next, Goto, End };

class Verifier {
public:
    Verifier(const Program& prog, const VerifyEnv& env, Cfg cfg);
    Result<VerifierInfo> run();

    // ---- shared by the transfer functions ----
    Error fail(std::string reason) const;
    static std::string reg_name(int r) {
        std::string s = "R";
        s += std::to_string(r);
        return s;
    }
    Status check_readable(int r) const;
    RegState& reg(int r) { return cur_.cur().regs[r]; }
    uint32_t new_id() { return ++id_gen_; }

    // Transfer functions; each may set next_pc_ (Flow::Goto).
    Status check_alu(const Insn& in);
    Status check_load(const Insn& in);
    Status check_store(const Insn& in);
    Status check_atomic(const Insn& in);
    Result<Flow> check_branch(const Insn& in);
    Status check_helper_call(const Insn& in);
    std::optional<uint64_t> constant_stack_key(const RegState& ptr, uint32_t size);
    void release_reference(State& st, uint32_t id);
    Status check_local_call(const Insn& in);
    Status check_spin_lock(int r, bool lock);
    Status push_callback(const HelperSpec& helper, uint32_t start, const Map* map, const RegState& ctx);
    // Scalars in `cur` that differ from `old` (the state at the same
    // callback call one iteration before) become unknown, so that the
    // iterations of a callback converge (Linux's widen_imprecise_scalars,
    // applied to every scalar rather than only the imprecise ones).
    static void widen_scalars(const State& old, State& cur);
    Status check_global_call(uint32_t sub);
    Result<Flow> check_exit();
    // Global functions (VerifyEnv::global_funcs), by subprogram: each called
    // one is verified once on its own, after the paths that call it.
    std::vector<int> global_of_;  // per subprogram: index in global_funcs, or -1
    std::vector<bool> global_called_, global_verified_;
    void init_globals();
    // Queues the next called, unverified global function; false when none is left.
    bool next_global();
    bool subprog_changes_packet(uint32_t sub) const;

    // Memory access through register `r` (whose state is `ptr`) at
    // insn offset `off`: bounds, alignment, permissions. A read puts what it
    // yields in *loaded; a write stores `value` (nullptr: an unknown scalar).
    Status check_mem_access(int r, const RegState& ptr, int32_t off, unsigned size, AccessKind kind,
                            const RegState* value, RegState* loaded, bool sign_extend = false);
    // Helper access of [0, size) bytes through pointer register `r`.
    Status check_helper_mem(int r, uint64_t size, AccessKind kind);
    Status check_const_str(int r, const std::string& fname);
    Status check_stack_range(const RegState& ptr, int64_t lo, int64_t hi, bool need_init, int r,
                             const char* what);
    void note_stack_depth(uint32_t frame, int64_t lowest_off);
    // Applies `fn` to every register and spilled register of every frame.
    template <class Fn>
    void for_each_reg(State& st, Fn&& fn) {
        for (Frame& f : st.frames) {
            for (RegState& r : f.regs) fn(r);
            for (StackSlot& s : f.slots)
                if (s.is_spill()) fn(s.spilled);
        }
    }

    const Program& prog_;
    const VerifyEnv& env_;
    Cfg cfg_;
    bool raw_semantics_;

    State cur_;
    uint32_t pc_ = 0;
    uint32_t next_pc_ = 0;
    Checkpoint* parent_ = nullptr;
    uint32_t path_ = PathLog::kRoot;

    struct Pending {
        State state;
        uint32_t pc;
        Checkpoint* parent;
        uint32_t path;
        // What precision and liveness need of the path so far (see below).
        std::vector<HistEntry> hist{};
        bool hist_lost = false;
        std::vector<uint64_t> written{};
    };
    std::vector<Pending> pending_;
    // Pushes `st` to be explored from `pc` later; `from` is the branch insn.
    Status push_branch(State st, uint32_t from, uint32_t pc);

    PathLog paths_;
    // The source line last named in the per-instruction log, as the kernel's
    // log names a line when it changes ("; <line> @ <file>:<n>").
    const LineInfo* logged_line_ = nullptr;
    std::vector<std::vector<Checkpoint*>> explored_;
    std::deque<Checkpoint> checkpoints_;
    size_t checkpoint_bytes_ = 0;
    uint32_t id_gen_ = 0;
    std::vector<uint32_t> subprog_stack_;  // deepest stack byte used, per subprogram
    std::vector<bool> visited_;
    // Per helper call with a map argument: its map's type and key size, or
    // kMixedMaps once two paths disagree.
    static constexpr uint32_t kMixedMaps = UINT32_MAX;
    std::vector<std::pair<uint32_t, uint32_t>> call_map_shape_;
    std::vector<bool> ctx_load_;
    std::vector<uint8_t> load_kind_;  // per load: 0 not reached, 1 from ctx, 2 from other memory
    RegState scratch_;                // what helper reads would load; unused
    VerifierInfo info_;

    // ---- precision (precision.cc) ----
    // Off: every scalar is compared by range (unprivileged Linux does so).
    bool precision_ = !env_.exact_states;
    std::vector<HistEntry> hist_;  // this path since parent_
    bool hist_lost_ = false;       // cut short (see kMaxHistory)
    HistEntry entry_;              // the instruction being checked
    // The value of register r (running frame) or of a spilled slot decided
    // something: it, and what it was computed from, must match exactly
    // wherever this path's checkpoints are used to prune.
    void mark_reg_precise(int r);
    void mark_slot_precise(uint32_t frame, uint32_t slot);
    void mark_precise(Backtrack bt);
    void mark_all_precise(Checkpoint* from);
    void limit_history();
    bool backtrack_segment(const std::vector<HistEntry>& hist, Backtrack& bt);
    void note_linked(int r);
    void propagate_precision(const Checkpoint& old);

    // ---- stack liveness (liveness.cc), as Linux's REG_LIVE_READ ----
    std::vector<uint64_t> written_;  // per frame: slots written whole since parent_
    void mark_slot_read(uint32_t frame, uint32_t slot);
    void mark_range_read(uint32_t frame, int64_t lo, int64_t hi);  // bytes fp+lo .. fp+hi
    void note_slot_written(uint32_t frame, uint32_t slot);
    void note_new_frame(uint32_t frame);
    void propagate_liveness(const Checkpoint& old);

private:
    enum class Visit { Continue, Pruned };
    Result<Visit> visit_prune_point();
    void end_path();
    Result<Flow> step(const Insn& in);
    Status check_stack_limits();
    void log_insn();
};

}  // namespace xdpdk::vm::verifier
