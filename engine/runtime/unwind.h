// The goroutine unwinder: physical frames from pclntab's pcsp tables, logical (inlined)
// frames from funcdata inline trees, following runtime/traceback.go's unwinder:
//
//   - where to start: g.syscallsp/syscallpc if set, else g.sched, or for a running
//     goroutine its thread's registers (the system stack and signal frames it is in are
//     crossed the way the runtime's unwindJumpStack and sigctxt do);
//   - symPC: a return address is looked up at pc-1, except after an injected call
//     (sigpanic, asyncPreempt, debugCallV2) or at a signal-interrupted pc (unwindTrap);
//   - a TopFrame function (goexit, mstart, rt0_go) ends the stack; so does an SPWRITE
//     function that is not innermost, as in the runtime;
//   - "traceback stuck": a frame that does not move up the stack ends the walk.
//
//   Unwinder u(rt);
//   Backtrace bt = u.unwind(g);           // never throws; bt.error says what stopped it early
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "frame_list.h"
#include "runtime.h"

namespace goinspect {

struct CreatedBy {
  std::string_view function;
  std::string_view file;
  int32_t line = 0;
  uint64_t pc = 0;
  uint64_t entry = 0;
  int64_t goid = 0;   // parentGoid; 0 when unknown
};

struct Backtrace {
  FrameList frames;            // innermost first
  uint64_t startSp = 0;        // the sp the walk started from on the goroutine's stack
  std::string source;          // "sched", "syscall", "thread N registers", ...
  std::string error;           // why the walk ended early; empty if it reached the top
  bool truncated = false;      // stopped at maxFrames
  // A running goroutine: the frames its thread ran on system stacks (g0, gsignal) before
  // the walk reached the goroutine's own stack, innermost first, and the function whose
  // frame switched stacks ("runtime.morestack", "runtime.systemstack"; "" if none).
  std::vector<Frame> systemFrames;
  std::string_view enteredVia;
  bool fromThread = false;     // the walk started from its thread's registers
  // The registers of frames[0]'s physical frame when they are known: its thread's (stopped
  // in it), or the signal context's (a signal interrupted it). Null for the rest.
  std::shared_ptr<const Registers> innermostRegs;
};

struct ThreadContext {
  uint64_t tid = 0;
  uint32_t index = 0;
  Registers regs;
};

class Unwinder {
 public:
  explicit Unwinder(Runtime& rt) : Unwinder(rt, rt.mem()) {}
  // Reading through `mem` (another thread's own Memory) instead of the Runtime's.
  Unwinder(Runtime& rt, Memory& mem);

  // Requires: g was read by rt.readG. `thread` is g.m's thread when g is running and the
  // debugger knows it. maxFrames bounds the logical frames kept (0 = no bound but the
  // stack's own size).
  Backtrace unwind(const G& g, const ThreadContext* thread, size_t maxFrames = 0);

  std::optional<CreatedBy> createdBy(const G& g);

  // The frames a thread runs on its system stacks (g0, gsignal), innermost first, from its
  // registers up to the first frame that switched stacks (systemstack, morestack, mcall's
  // callee) or the top of the system stack. For threads with no goroutine, and for the
  // post-mortem of a thread that threw. Never throws; bounded.
  std::vector<Frame> threadFrames(const ThreadContext& t);

 private:
  struct Phys {
    uint64_t pc = 0, sp = 0, fp = 0, lr = 0;
    const Func* fn = nullptr;
  };
  // Moves from the thread's registers to the first frame on g's own stack. Returns false
  // (with *why) if it cannot.
  // regs: the registers of the frame entered, when known (the thread's own, or a signal
  // context's); else reset.
  bool enterGoroutineStack(const G& g, const ThreadContext& t, Phys* out, bool* trap, std::string* why,
                           std::vector<Frame>* crossed, std::string_view* via,
                           std::optional<Registers>* regs = nullptr);
  // The logical frames of one physical system-stack frame, appended to *out.
  // (Logical frames at the runtime's symPC: pc-1 for a return address, pc at a trap.)
  void appendFrames(const Func* fn, uint64_t pc, uint64_t sp, uint64_t fp, bool trap, std::vector<Frame>* out);
  // The used part of the goroutine's stack, read in one block; word() serves reads from it
  // and goes to memory for anything outside.
  void loadStack(uint64_t sp, uint64_t hi);
  std::optional<uint64_t> word(uint64_t addr);
  bool onStack(const G& g, uint64_t sp) const { return sp >= g.stackLo && sp < g.stackHi; }
  bool isFunc(const Func* f, uint64_t entry) const { return f && entry && f->entry + prog_.bias() == entry; }

  // pclntab's answers at a pc (pcsp, the inline tree), kept for this unwinder's life: a
  // million goroutines parked in a few dozen places ask about the same few hundred pcs.
  // Bounded: emptied when full.
  // unwind's walk: the frames into `frames`, the rest into bt.
  void walk(const G& g, const ThreadContext* thread, size_t maxFrames, Backtrace& bt, std::vector<Frame>& frames);
  FrameShapes shapes_;
  std::vector<Frame> frames_;  // the walk's frames, reused from one unwind to the next
  int32_t spDelta(const Func& fn, uint64_t pc);
  const std::vector<LogicalFrame>& logicalFrames(const Func& fn, uint64_t symPc);
  std::unordered_map<uint64_t, int32_t> spDeltas_;
  std::unordered_map<uint64_t, std::vector<LogicalFrame>> logical_;

  GoProgram& prog_;
  Memory& mem_;
  std::vector<uint8_t> stack_;     // a copy of the window, when the target has none in place
  const uint8_t* window_ = nullptr;  // the window's bytes: stack_'s, or the target's own
  size_t windowSize_ = 0;
  uint64_t stackBase_ = 0, stackHi_ = 0;
  uint64_t sigtramp_ = 0, systemstack_ = 0, morestack_ = 0, mstart_ = 0, goexit_ = 0;
};

}  // namespace goinspect
