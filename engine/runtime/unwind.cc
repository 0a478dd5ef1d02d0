#include "unwind.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "bounds.h"

namespace goinspect {

namespace {
// linux/amd64 rt_sigframe: the ucontext follows the return address the kernel pushed;
// uc_mcontext.gregs starts 40 bytes in (uc_flags, uc_link, uc_stack).
constexpr uint64_t kUcGregs = 40;
constexpr uint64_t kRegRsp = 15, kRegRip = 16;
// uc_mcontext.gregs' index (sys/ucontext.h REG_*) of each DWARF register number.
constexpr uint64_t kGregOfDwarf[16] = {13, 12, 14, 11, 9, 8, 10, 15, 0, 1, 2, 3, 4, 5, 6, 7};
}  // namespace

Unwinder::Unwinder(Runtime& rt, Memory& mem) : prog_(rt.prog()), mem_(mem) {
  sigtramp_ = prog_.funcAddr("runtime.sigtramp");
  systemstack_ = prog_.funcAddr("runtime.systemstack");
  morestack_ = prog_.funcAddr("runtime.morestack");
  mstart_ = prog_.funcAddr("runtime.mstart");
  goexit_ = prog_.funcAddr("runtime.goexit");
}

constexpr size_t kMaxPcFacts = 1 << 16;

int32_t Unwinder::spDelta(const Func& fn, uint64_t pc) {
  if (auto it = spDeltas_.find(pc); it != spDeltas_.end()) return it->second;
  if (spDeltas_.size() >= kMaxPcFacts) spDeltas_.clear();
  return spDeltas_[pc] = prog_.pcln().spDelta(fn, pc);
}

const std::vector<LogicalFrame>& Unwinder::logicalFrames(const Func& fn, uint64_t symPc) {
  if (auto it = logical_.find(symPc); it != logical_.end()) return it->second;
  if (logical_.size() >= kMaxPcFacts) logical_.clear();
  return logical_[symPc] = prog_.pcln().expand(fn, symPc);
}

void Unwinder::appendFrames(const Func* fn, uint64_t pc, uint64_t sp, uint64_t fp, bool trap,
                            std::vector<Frame>* out) {
  const uint64_t bias = prog_.bias();
  uint64_t symPc = (!trap && pc > fn->entry + bias) ? pc - 1 : pc;
  for (const LogicalFrame& lf : logicalFrames(*fn, symPc - bias))
    out->push_back({lf.function, lf.file, lf.line, lf.inlined, symPc == pc, pc, sp, fp, fn->entry + bias});
}

std::vector<Frame> Unwinder::threadFrames(const ThreadContext& t) {
  // No goroutine stack to reach: the walk ends at the first stack switch or the top.
  G none;
  Phys out;
  bool trap = false;
  std::string why;
  std::string_view via;
  std::vector<Frame> frames;
  enterGoroutineStack(none, t, &out, &trap, &why, &frames, &via);
  return frames;
}

bool Unwinder::enterGoroutineStack(const G& g, const ThreadContext& t, Phys* out, bool* trap,
                                   std::string* why, std::vector<Frame>* crossed, std::string_view* via,
                                   std::optional<Registers>* regs) {
  uint64_t pc = t.regs.pc, sp = t.regs.sp;
  *trap = true;  // a stopped thread's pc is the next instruction, not a return address
  // The registers of the frame at pc: the thread's, then a signal context's; unknown after
  // a return (Go saves no register across a call).
  std::optional<Registers> ctx = t.regs;
  if (regs) regs->reset();
  for (size_t i = 0; i < bounds::kMaxSystemFrames; i++) {
    const Func* fn = prog_.findFunc(pc);
    if (onStack(g, sp)) {
      if (!fn) {
        *why = fmt::format("thread {} is at pc {:#x}, outside Go code", t.index, pc);
        return false;
      }
      *out = {pc, sp, 0, 0, fn};
      if (regs) *regs = ctx;
      return true;
    }
    if (!fn) {
      *why = fmt::format("thread {} is on a system stack at pc {:#x}, outside Go code", t.index, pc);
      return false;
    }
    int32_t d = spDelta(*fn, pc - prog_.bias());
    if (d < 0) {
      *why = fmt::format("no frame size for {} at {:#x}", prog_.funcName(*fn), pc);
      return false;
    }
    uint64_t fp = sp + static_cast<uint64_t>(d) + 8;
    if (crossed && crossed->size() < bounds::kMaxSystemFrames) appendFrames(fn, pc, sp, fp, *trap, crossed);
    if (isFunc(fn, sigtramp_)) {
      // The signal handler's frame: continue from the interrupted context, a trap pc.
      uint64_t gregs = fp + kUcGregs;
      uint64_t words[17];
      if (!mem_.read(gregs, words, sizeof words)) {
        *why = "cannot read the signal context";
        return false;
      }
      pc = words[kRegRip];
      sp = words[kRegRsp];
      *trap = true;
      ctx = Registers{pc, sp, words[kGregOfDwarf[6]], std::nullopt, {}};
      for (size_t r = 0; r < 16; r++) ctx->gpr[r] = words[kGregOfDwarf[r]];
      continue;
    }
    // The runtime's unwindJumpStack: a systemstack or morestack frame on g0 continues on
    // the user goroutine (runtime/traceback.go resolveInternal).
    if (isFunc(fn, systemstack_)) {
      *via = "runtime.systemstack";
      if (!g.stackHi) return false;  // threadFrames: the walk ends here
      *out = {pc, g.sched.sp, 0, 0, fn};
      *trap = false;
      return true;
    }
    if (isFunc(fn, morestack_)) {
      *via = "runtime.morestack";
      if (!g.stackHi) return false;
      const Func* f2 = prog_.findFunc(g.sched.pc);
      if (!f2) break;
      *out = {g.sched.pc, g.sched.sp, 0, 0, f2};
      *trap = false;
      return true;
    }
    if (fn->flag & kFuncFlagTopFrame) {
      *why = fmt::format("thread {} runs {} on its system stack", t.index, prog_.funcName(*fn));
      return false;
    }
    ctx.reset();
    auto lr = mem_.u64(fp - 8);
    if (!lr) break;
    *trap = fn->funcID == prog_.funcIDs().sigpanic || fn->funcID == prog_.funcIDs().asyncPreempt ||
            fn->funcID == prog_.funcIDs().debugCallV2;
    pc = *lr;
    sp = fp;
  }
  *why = fmt::format("cannot walk thread {}'s system stack back to goroutine {}", t.index, g.goid);
  return false;
}

void Unwinder::loadStack(uint64_t sp, uint64_t hi) {
  // Parked stacks use a few KiB; a deep one is read in 1 MiB slices as the walk needs.
  constexpr uint64_t kMaxBlock = 1 << 20;
  window_ = nullptr;
  windowSize_ = 0;
  stackBase_ = sp;
  stackHi_ = hi;
  if (sp >= hi) return;
  uint64_t n = std::min(hi - sp, kMaxBlock);
  if ((window_ = mem_.target().inPlace(sp, n))) {
    windowSize_ = n;
    return;
  }
  stack_.resize(n);
  if (mem_.read(sp, stack_.data(), n)) window_ = stack_.data(), windowSize_ = n;
}

std::optional<uint64_t> Unwinder::word(uint64_t addr) {
  // The walk moves up the stack: past the window, load the next slice from there.
  if (addr >= stackBase_ + windowSize_ && addr < stackHi_ && window_) loadStack(addr & ~7ull, stackHi_);
  if (addr >= stackBase_ && addr + 8 <= stackBase_ + windowSize_) {
    uint64_t v;
    std::memcpy(&v, window_ + (addr - stackBase_), 8);
    return v;
  }
  return mem_.u64(addr);
}

Backtrace Unwinder::unwind(const G& g, const ThreadContext* thread, size_t maxFrames) {
  Backtrace bt;
  frames_.clear();
  walk(g, thread, maxFrames, bt, frames_);
  bt.frames = shapes_.makeFrom(frames_);
  return bt;
}

void Unwinder::walk(const G& g, const ThreadContext* thread, size_t maxFrames, Backtrace& bt,
                    std::vector<Frame>& frames) {
  const FuncIDs& ids = prog_.funcIDs();
  const uint64_t bias = prog_.bias();

  Phys fr;
  bool trap = false;
  bool isSyscall = false;
  std::string why;
  std::optional<Registers> entered;
  if (g.status == kGrunning && thread &&
      enterGoroutineStack(g, *thread, &fr, &trap, &why, &bt.systemFrames, &bt.enteredVia, &entered)) {
    bt.source = fmt::format("thread {} registers", thread->index);
    bt.fromThread = true;
    if (entered) bt.innermostRegs = std::make_shared<const Registers>(*entered);
  } else {
    if (g.status == kGrunning) {
      if (!thread) why = "its thread is not known to the debugger";
      // The saved context is the best left; say why the live one was not used.
      bt.error = "running goroutine: " + why + "; frames from its last saved context";
    }
    trap = false;
    if (g.syscallsp != 0) {
      fr.pc = g.syscallpc;
      fr.sp = g.syscallsp;
      isSyscall = true;
      bt.source = "syscall";
    } else {
      fr.pc = g.sched.pc;
      fr.sp = g.sched.sp;
      bt.source = "sched";
    }
    if (fr.pc == 0 && fr.sp != 0) {  // as runtime initAt: the pc is on the stack
      fr.pc = mem_.u64(fr.sp).value_or(0);
      fr.sp += 8;
    }
    fr.fn = prog_.findFunc(fr.pc);
  }
  bt.startSp = fr.sp;
  // morestack was called before the frame was allocated: the return address that call
  // pushed is the lowest word in use (newstack prints this sp in "runtime: sp=...").
  if (bt.enteredVia == "runtime.morestack") bt.startSp -= 8;
  loadStack(fr.sp, g.stackHi);
  if (!fr.fn) {
    if (bt.error.empty()) bt.error = fmt::format("unknown pc {:#x}", fr.pc);
    return;
  }

  bool innermost = true;
  // Each physical frame moves sp up the stack, so the stack's size bounds the walk.
  for (size_t guard = 0; guard < (g.stackHi - g.stackLo) / 8 + 2; guard++) {
    const Func* fn = fr.fn;
    int32_t d = spDelta(*fn, fr.pc - bias);
    if (d < 0) {
      bt.error = fmt::format("no frame size for {} at pc {:#x}", prog_.funcName(*fn), fr.pc);
      break;
    }
    fr.fp = fr.sp + static_cast<uint64_t>(d) + 8;
    uint8_t flag = fn->flag;
    if ((isSyscall && innermost) || (fn->funcID == ids.cgocallback)) flag &= ~kFuncFlagSPWrite;
    // The runtime's jump over systemstack: the frame continues at curg.sched.sp and is
    // unwound as an ordinary frame (traceback.go clears FuncFlagSPWrite there too).
    if (innermost && bt.enteredVia == "runtime.systemstack") flag &= ~kFuncFlagSPWrite;
    fr.lr = 0;
    bool readLr = !(flag & kFuncFlagTopFrame) && !(flag & kFuncFlagSPWrite);
    if (readLr) {
      auto lr = word(fr.fp - 8);
      if (!lr) {
        bt.error = fmt::format("cannot read the return address at {:#x}", fr.fp - 8);
        readLr = false;
      } else {
        fr.lr = *lr;
      }
    }

    appendFrames(fn, fr.pc, fr.sp, fr.fp, trap, &frames);
    if (maxFrames && frames.size() > maxFrames) {
      frames.resize(maxFrames);
      bt.truncated = true;
      return;
    }

    if (fr.lr == 0) break;
    const Func* flr = prog_.findFunc(fr.lr);
    if (!flr) {
      bt.error = fmt::format("unexpected return pc {:#x} for {}", fr.lr, prog_.funcName(*fn));
      break;
    }
    if (fr.pc == fr.lr && fr.sp == fr.fp) {
      bt.error = fmt::format("traceback stuck at pc {:#x} sp {:#x}", fr.pc, fr.sp);
      break;
    }
    if (fr.fp <= fr.sp || fr.fp > g.stackHi) {
      bt.error = fmt::format("frame at sp {:#x} leaves the goroutine's stack [{:#x}, {:#x})", fr.fp,
                             g.stackLo, g.stackHi);
      break;
    }
    trap = fn->funcID == ids.sigpanic || fn->funcID == ids.asyncPreempt || fn->funcID == ids.debugCallV2;
    fr = {fr.lr, fr.fp, 0, 0, flr};
    innermost = false;
  }
  return;
}

std::optional<CreatedBy> Unwinder::createdBy(const G& g) {
  // runtime.printcreatedby: not for the main goroutine; the physical function holding
  // gopc, and file:line at the call (pc-1).
  if (g.goid == 1 || g.gopc == 0) return std::nullopt;
  const Func* f = prog_.findFunc(g.gopc);
  if (!f) return std::nullopt;
  uint64_t entry = f->entry + prog_.bias();
  uint64_t tracepc = g.gopc > entry ? g.gopc - 1 : g.gopc;
  auto [file, line] = prog_.pcln().fileLine(*f, tracepc - prog_.bias());
  return CreatedBy{prog_.funcName(*f), file, line, g.gopc, entry, g.parentGoid};
}

}  // namespace goinspect
