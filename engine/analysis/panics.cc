#include "panics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "gotype.h"
#include "bounds.h"

namespace goinspect {

namespace {


// internal/abi.Kind values (stable since Go 1.0's reflect.Kind).
enum Kind : uint8_t {
  kBool = 1, kInt, kInt8, kInt16, kInt32, kInt64, kUint, kUint8, kUint16, kUint32, kUint64, kUintptr,
  kFloat32, kFloat64, kComplex64, kComplex128, kArray, kChan, kFunc, kInterface, kMap, kPointer, kSlice,
  kString, kStruct, kUnsafePointer,
};

// Linux signal names as the runtime's sigtable prints them (runtime/sigtab_linux_generic.go).
const char* const kSigNames[] = {
    nullptr, "SIGHUP: terminal line hangup", "SIGINT: interrupt", "SIGQUIT: quit",
    "SIGILL: illegal instruction", "SIGTRAP: trace trap", "SIGABRT: abort", "SIGBUS: bus error",
    "SIGFPE: floating-point exception", "SIGKILL: kill", "SIGUSR1: user-defined signal 1",
    "SIGSEGV: segmentation violation", "SIGUSR2: user-defined signal 2", "SIGPIPE: write to broken pipe",
    "SIGALRM: alarm clock", "SIGTERM: termination", "SIGSTKFLT: stack fault", "SIGCHLD: child status has changed",
    "SIGCONT: continue", "SIGSTOP: stop, unblockable", "SIGTSTP: keyboard stop",
    "SIGTTIN: background read from tty", "SIGTTOU: background write to tty", "SIGURG: urgent condition on socket",
    "SIGXCPU: cpu limit exceeded", "SIGXFSZ: file size limit exceeded", "SIGVTALRM: virtual alarm clock",
    "SIGPROF: profiling alarm clock", "SIGWINCH: window size change", "SIGIO: i/o now possible",
    "SIGPWR: power failure restart", "SIGSYS: bad system call"};

std::string sigLine(uint32_t sig) {
  if (sig < std::size(kSigNames) && kSigNames[sig]) return kSigNames[sig];
  return fmt::format("signal {}", sig);
}

std::string sigName(uint32_t sig) {
  std::string l = sigLine(sig);
  return l.substr(0, l.find(':'));
}

// The runtime's print(float64): sign, one digit, six decimals, e, sign, three digits.
std::string runtimeFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::string s = fmt::format("{:+.6e}", v);  // "+1.500000e+00"
  auto e = s.find('e');
  int exp = std::stoi(s.substr(e + 1));
  return fmt::format("{}e{}{:03d}", s.substr(0, e), exp < 0 ? '-' : '+', std::abs(exp));
}

// An interface value's text as printpanics would print it.
class ValueReader {
 public:
  ValueReader(Runtime& rt) : mem_(rt.mem()), names_(rt.prog(), rt.mem()) {
    kindOff_ = rt.prog().offOpt("internal/abi.Type", "Kind_").value_or(23);
  }

  std::optional<std::string> typeName(uint64_t typ) { return typ ? names_.name(typ) : std::nullopt; }

  // The text of the value (typ, data) of an `any`; nullopt when the memory does not say it.
  std::optional<std::string> text(uint64_t typ, uint64_t data, int depth = 0) {
    if (!typ) return "nil";
    if (depth > bounds::kMaxErrorDepth) return std::nullopt;
    auto name = typeName(typ);
    auto kind = mem_.u8(typ + kindOff_);
    if (!name || !kind) return std::nullopt;
    const std::string& n = *name;
    uint8_t k = *kind & 0x1f;
    auto str = [&](uint64_t at) { return mem_.goString(at, bounds::kMaxString); };
    // The runtime's own errors, and the standard library's common ones, by their fields.
    if (n == "runtime.errorString" || n == "runtime.errorAddressString") {
      if (auto s = str(data)) return "runtime error: " + *s;
      return std::nullopt;
    }
    if (n == "runtime.plainError") return str(data);
    if (n == "runtime.boundsError") return boundsError(data);
    if (n == "*runtime.TypeAssertionError") return typeAssertion(data);
    if (n == "*errors.errorString" || n == "*fmt.wrapError" || n == "*fmt.wrapErrors") return str(data);
    if (n == "*fs.PathError" || n == "*os.PathError" || n == "*os.SyscallError") {
      // PathError: Op + " " + Path + ": " + Err.Error(); SyscallError: Syscall + ": " + Err.Error().
      bool path = n != "*os.SyscallError";
      auto op = str(data);
      auto p = path ? str(data + 16) : std::optional<std::string>("");
      auto err = errorText(data + (path ? 32 : 16), depth);
      if (op && p && err) return path ? *op + " " + *p + ": " + *err : *op + ": " + *err;
      return std::nullopt;
    }
    if (n == "syscall.Errno") return std::nullopt;  // its text is a table lookup in the target
    bool named = n.find('.') != std::string::npos;
    auto wrap = [&](std::string v) { return named ? fmt::format("{}({})", n, v) : v; };
    switch (k) {
      case kString:
        if (auto s = str(data)) return named ? fmt::format("{}(\"{}\")", n, *s) : *s;
        return std::nullopt;
      case kBool:
        if (auto b = mem_.u8(data)) return wrap(*b ? "true" : "false");
        return std::nullopt;
      case kInt: case kInt64: case kUint: case kUint64: case kUintptr: case kInt32: case kUint32:
      case kInt16: case kUint16: case kInt8: case kUint8: {
        static const uint8_t size[] = {0, 0, 8, 1, 2, 4, 8, 8, 1, 2, 4, 8, 8};
        uint64_t v = 0;
        if (!mem_.read(data, &v, size[k])) return std::nullopt;
        bool isSigned = k >= kInt && k <= kInt64;
        if (isSigned && size[k] < 8 && (v >> (8 * size[k] - 1)) & 1) v |= ~0ull << (8 * size[k]);
        return wrap(isSigned ? std::to_string(static_cast<int64_t>(v)) : std::to_string(v));
      }
      case kFloat64:
        if (auto v = mem_.get<double>(data)) return wrap(runtimeFloat(*v));
        return std::nullopt;
      case kFloat32:
        if (auto v = mem_.get<float>(data)) return wrap(runtimeFloat(*v));
        return std::nullopt;
    }
    return std::nullopt;
  }

  // A non-empty interface (error) at addr: {itab, data}; the itab's second word is the type.
  std::optional<std::string> errorText(uint64_t addr, int depth) {
    auto tab = mem_.u64(addr), data = mem_.u64(addr + 8);
    if (!tab || !data) return std::nullopt;
    if (!*tab) return "<nil>";
    auto typ = mem_.u64(*tab + 8);
    if (!typ) return std::nullopt;
    return text(*typ, *data, depth + 1);
  }

 private:
  // runtime.boundsError{x int64; y int; signed bool; code uint8}.Error().
  std::optional<std::string> boundsError(uint64_t data) {
    static const char* const fmts[] = {
        "index out of range [%x] with length %y", "slice bounds out of range [:%x] with length %y",
        "slice bounds out of range [:%x] with capacity %y", "slice bounds out of range [%x:%y]",
        "slice bounds out of range [::%x] with length %y", "slice bounds out of range [::%x] with capacity %y",
        "slice bounds out of range [:%x:%y]", "slice bounds out of range [%x:%y:]",
        "cannot convert slice with length %y to array or pointer to array with length %x"};
    static const char* const negFmts[] = {
        "index out of range [%x]", "slice bounds out of range [:%x]", "slice bounds out of range [:%x]",
        "slice bounds out of range [%x:]", "slice bounds out of range [::%x]", "slice bounds out of range [::%x]",
        "slice bounds out of range [:%x:]", "slice bounds out of range [%x::]"};
    struct {
      int64_t x, y;
      uint8_t isSigned, code;
    } e{};
    if (!mem_.read(data, &e.x, 8) || !mem_.read(data + 8, &e.y, 8) || !mem_.read(data + 16, &e.isSigned, 1) ||
        !mem_.read(data + 17, &e.code, 1) || e.code >= std::size(fmts))
      return std::nullopt;
    std::string f = e.isSigned && e.x < 0 && e.code < std::size(negFmts) ? negFmts[e.code] : fmts[e.code];
    std::string out = "runtime error: ";
    for (size_t i = 0; i < f.size(); i++) {
      if (f[i] != '%' || i + 1 >= f.size()) {
        out += f[i];
        continue;
      }
      char c = f[++i];
      if (c == 'x') out += e.isSigned ? std::to_string(e.x) : std::to_string(static_cast<uint64_t>(e.x));
      if (c == 'y') out += std::to_string(e.y);
    }
    return out;
  }

  // *runtime.TypeAssertionError{_interface, concrete, asserted *_type; missingMethod string}.
  std::optional<std::string> typeAssertion(uint64_t data) {
    auto iface = mem_.u64(data), concrete = mem_.u64(data + 8), asserted = mem_.u64(data + 16);
    auto missing = mem_.goString(data + 24, bounds::kMaxString);
    if (!iface || !concrete || !asserted || !missing) return std::nullopt;
    std::string inter = *iface ? typeName(*iface).value_or("?") : "interface";
    std::string as = typeName(*asserted).value_or("?");
    if (!*concrete) return "interface conversion: " + inter + " is nil, not " + as;
    std::string cs = typeName(*concrete).value_or("?");
    if (missing->empty()) {
      std::string msg = "interface conversion: " + inter + " is " + cs + ", not " + as;
      if (cs == as) msg += " (types from different packages)";
      return msg;
    }
    return "interface conversion: " + cs + " is not " + as + ": missing method " + *missing;
  }

  Memory& mem_;
  TypeNames names_;
  uint64_t kindOff_ = 23;
};

// Each gopanic / Goexit frame, innermost first: the deferred call it is running (the frame
// it called) and, for gopanic, the `any` it was called with, as its argument spill slot
// holds it (what the runtime's traceback prints as "panic({0x4b8fa0?, 0xc000012345?})").
struct PanicFrame {
  std::optional<std::string> running;
  bool gopanic = false;
  uint64_t fp = 0;
};

std::vector<PanicFrame> panicFrames(const GoroutineView& v) {
  std::vector<PanicFrame> out;
  const auto& fs = v.bt.frames;
  for (size_t k = 0; k < fs.size(); k++) {
    if (fs[k].function != "runtime.gopanic" && fs[k].function != "runtime.Goexit") continue;
    PanicFrame pf;
    pf.gopanic = fs[k].function == "runtime.gopanic";
    pf.fp = fs[k].fp;
    for (size_t j = k; j-- > 0;) {
      std::string_view f = fs[j].function;
      // Go 1.21 runs a frame's open-coded defers through these two.
      if (f == "runtime.deferCallSave" || f == "runtime.runOpenDeferFrame") continue;
      if (!f.starts_with("runtime.")) pf.running = std::string(f);
      break;
    }
    out.push_back(pf);
  }
  return out;
}

}  // namespace

std::vector<PanicRecord> panicsOf(Runtime& rt, const GoroutineView& v, std::string* err) {
  std::vector<PanicRecord> out;
  GoProgram& prog = rt.prog();
  const char* T = "runtime._panic";
  auto arg = prog.offOpt(T, "arg"), link = prog.offOpt(T, "link");
  if (!v.g.panicp) return out;
  if (!arg || !link) {
    if (err) *err = "this binary's runtime._panic layout is unknown";
    return out;
  }
  ValueReader values(rt);
  std::unordered_set<uint64_t> seen;
  for (uint64_t p = v.g.panicp; p && out.size() < bounds::kMaxPanics && seen.insert(p).second;) {
    auto typ = rt.mem().u64(p + *arg), data = rt.mem().u64(p + *arg + 8), next = rt.mem().u64(p + *link);
    if (!typ || !data || !next) {
      if (err) *err = fmt::format("cannot read the _panic record at {:#x}", p);
      break;
    }
    PanicRecord r;
    r.addr = p;
    r.data = *data;
    r.recovered = rt.readInt(p, T, {"recovered"}).value_or(0) != 0;
    r.goexit = rt.readInt(p, T, {"goexit"}).value_or(0) != 0;
    r.repanicked = rt.readInt(p, T, {"repanicked"}).value_or(0) != 0;
    r.aborted = rt.readInt(p, T, {"aborted"}).value_or(0) != 0;
    r.typeAddr = *typ;
    if (*typ) {
      r.type = values.typeName(*typ);
      r.value = values.text(*typ, *data);
    }
    out.push_back(std::move(r));
    p = *next;
  }
  // Newest first on the chain and on the stack: pair them up, then turn to oldest first.
  auto frames = panicFrames(v);
  for (size_t i = 0; i < out.size() && i < frames.size(); i++) {
    out[i].runningDefer = frames[i].running;
    // A fatal panic's printing (preprintpanics) replaced each error or Stringer value with
    // its text: the record now holds a string. The type it was is still in gopanic's
    // argument slot when that slot holds this very string's text under another type.
    if (out[i].type == "string" && frames[i].gopanic) {
      auto typ = rt.mem().u64(frames[i].fp), data = rt.mem().u64(frames[i].fp + 8);
      if (typ && data && *typ) {
        auto name = values.typeName(*typ);
        if (name && *name != "string" && values.text(*typ, *data) == out[i].value) out[i].type = name;
        else if (name && *name != "string") out[i].typeBeforePrinting = name;
      }
    }
  }
  std::reverse(out.begin(), out.end());
  return out;
}

namespace {

// The kernel's signal frame on an M's signal stack (linux/amd64 rt_sigframe: the return
// address, a ucontext, then the siginfo). Its ucontext's uc_stack is the sigaltstack the
// runtime registered, which is exactly gsignal's stack: that pair of words finds it. The
// highest one is the newest signal the M took outside a nested handler.
struct SignalFrame {
  uint32_t signo = 0;
  int32_t code = 0;
  uint64_t pc = 0, addr = 0;
};

constexpr uint64_t kUcStack = 16, kUcStackSize = 32, kUcRip = 40 + 16 * 8, kUcSize = 304;

std::optional<SignalFrame> signalFrame(Runtime& rt, uint64_t gsignal) {
  auto g = rt.readG(gsignal, nullptr);
  if (!g || g->stackHi <= g->stackLo || g->stackHi - g->stackLo > (1u << 20)) return std::nullopt;
  uint64_t lo = g->stackLo, size = g->stackHi - g->stackLo;
  std::vector<uint64_t> w(size / 8);
  if (!rt.mem().readOnce(lo, w.data(), w.size() * 8)) return std::nullopt;
  const uint64_t need = (kUcSize + 24) / 8;
  for (size_t i = w.size() > need ? w.size() - need : 0; i-- > 0;) {
    if (w[i + kUcStack / 8] != lo || w[i + kUcStackSize / 8] != size) continue;
    SignalFrame f;
    uint64_t info = kUcSize / 8;
    f.signo = static_cast<uint32_t>(w[i + info]);
    f.code = static_cast<int32_t>(w[i + info + 1]);
    f.addr = w[i + info + 2];
    f.pc = w[i + kUcRip / 8];
    if (f.signo == 0 || f.signo > 64) continue;
    return f;
  }
  return std::nullopt;
}

// The runtime relays SIGQUIT to the process (raiseproc: kill(getpid(), SIGQUIT), so
// SI_USER from its own pid; tgkill in some releases, SI_TKILL) so that each M prints its
// stack. Such a SIGQUIT is an echo of the crash, not its cause.
constexpr int32_t kSiUser = 0, kSiTkill = -6;
bool relayedQuit(const SignalFrame& f, uint64_t pid) {
  return f.signo == 3 && (f.code == kSiUser || f.code == kSiTkill) && (f.addr & 0xffffffff) == pid;
}

}  // namespace

Cause findCause(Runtime& rt, const Snapshot& snap) {
  Cause c;
  std::unordered_map<uint64_t, const GoroutineView*> byAddr;
  for (const GoroutineView& v : snap.goroutines) byAddr.emplace(v.g.addr, &v);
  std::unordered_map<uint64_t, uint32_t> threadOf;
  for (const ThreadContext& t : snap.threads) threadOf.emplace(t.tid, t.index);
  GoProgram& prog = rt.prog();

  // A Go fault the runtime turned into a panic (or a throw) leaves the signal on the g.
  auto faultOf = [&](const GoroutineView* v) {
    if (!v) return;
    auto sig = rt.readInt(v->g.addr, "runtime.g", {"sig"});
    if (!sig || *sig <= 0) return;
    c.signal = sigName(static_cast<uint32_t>(*sig));
    c.sigcode = rt.readInt(v->g.addr, "runtime.g", {"sigcode0"});
    if (auto a = rt.readInt(v->g.addr, "runtime.g", {"sigcode1"})) c.sigaddr = static_cast<uint64_t>(*a);
    if (auto pc = rt.readInt(v->g.addr, "runtime.g", {"sigpc"})) c.sigpc = static_cast<uint64_t>(*pc);
  };

  if (auto f = findFatal(rt, snap)) {
    c.goroutine = f->goroutine;
    c.mId = f->mId;
    c.threadIndex = f->threadIndex;
    c.tid = f->tid;
    c.function = f->thrower;
    if (f->kind == "panic") {
      c.kind = "panic";
      if (f->goroutine) {
        auto ps = panicsOf(rt, *f->goroutine);
        if (!ps.empty()) {
          const PanicRecord& last = ps.back();
          c.message = last.value ? *last.value
                      : last.type ? fmt::format("({}) {:#x}", *last.type, last.data)
                      : last.typeAddr ? fmt::format("(a type whose descriptor at {:#x} cannot be read) {:#x}",
                                                    last.typeAddr, last.data)
                                      : "nil";
        }
      }
    } else {
      c.kind = "fatal";
      c.message = f->message.value_or(f->kind == "stack overflow" ? "stack overflow" : "");
    }
    faultOf(f->goroutine);
    c.fatal = std::move(f);
    return c;
  }

  // A signal the runtime could not turn into a panic (in C code, or SIGQUIT and friends):
  // the M that caught it keeps the g it interrupted in caughtsig.
  auto caughtsig = prog.offOpt("runtime.m", "caughtsig");
  auto incgo = prog.offOpt("runtime.m", "incgo");
  if (!caughtsig) return c;
  // The runtime relays SIGQUIT to every other M so each prints its stack: those Ms caught
  // a signal too, but the cause is the one that did not come from the runtime itself.
  const M* best = nullptr;
  std::optional<SignalFrame> bestFrame;
  bool bestRelayed = false;
  uint64_t pid = 0;  // m0 runs on the main thread, whose tid is the pid
  for (const M& m : rt.allms())
    if (m.id == 0) pid = m.procid;
  for (const M& m : rt.allms()) {
    auto gp = rt.mem().u64(m.addr + *caughtsig);
    if (!gp || !*gp) continue;
    auto sf = signalFrame(rt, m.gsignal);
    bool relayed = sf && relayedQuit(*sf, pid);
    if (!best || (bestRelayed && !relayed)) {
      best = &m;
      bestFrame = sf;
      bestRelayed = relayed;
    }
  }
  if (!best) return c;
  c.kind = "signal";
  c.mId = best->id;
  c.tid = best->procid;
  if (auto it = threadOf.find(best->procid); it != threadOf.end()) c.threadIndex = it->second;
  if (bestFrame) {
    c.message = sigLine(bestFrame->signo);
    c.signal = sigName(bestFrame->signo);
    c.sigpc = bestFrame->pc;
    c.sigcode = bestFrame->code;
    if (bestFrame->signo == 11 || bestFrame->signo == 7) c.sigaddr = bestFrame->addr;
    if (const Func* f = prog.findFunc(bestFrame->pc)) c.function = std::string(prog.funcName(*f));
  } else {
    c.message = "a signal (its number is not readable on the M's signal stack)";
  }
  // fatalsignal: a signal on g0 during a cgo call is blamed on the goroutine that made it.
  uint64_t gp = rt.mem().u64(best->addr + *caughtsig).value_or(0);
  bool cgo = incgo && rt.mem().u8(best->addr + *incgo).value_or(0);
  if (cgo && gp == best->g0 && best->curg) gp = best->curg;
  c.inCgo = cgo;
  if (auto it = byAddr.find(gp); it != byAddr.end()) c.goroutine = it->second;
  return c;
}

namespace {

std::string firstUserFunction(const GoroutineView& v) {
  const auto& fs = v.bt.frames;
  if (fs.empty()) return "?";
  size_t k = v.firstUserFrame >= 0 && static_cast<size_t>(v.firstUserFrame) < fs.size() ? v.firstUserFrame : 0;
  return std::string(fs[k].function);
}

}  // namespace

std::string Cause::othersText() const {
  if (!fatal || fatal->others.empty()) return "";
  std::string s = "; at the same moment";
  for (size_t i = 0; i < fatal->others.size(); i++) {
    const FatalError::Other& o = fatal->others[i];
    std::string what = o.kind == "panic" ? "a fatal panic" : "fatal error: " + o.message.value_or("?");
    s += fmt::format("{} {} on thread #{}{}", i ? "," : "", what, o.threadIndex,
                     o.goroutine ? fmt::format(" (goroutine {})", o.goroutine->g.goid) : "");
  }
  return s;
}

std::string Cause::text() const {
  if (kind == "none") return "";
  std::string where = threadIndex ? fmt::format("thread #{}{}", *threadIndex, mId ? fmt::format(" (m{})", *mId) : "")
                      : mId      ? fmt::format("m{}", *mId)
                                 : "an unknown thread";
  std::string g = goroutine ? fmt::format("goroutine {}", goroutine->g.goid) : "no goroutine";
  if (kind == "panic") {
    std::string s = fmt::format("panic: {}", message);
    if (signal)
      s += fmt::format(" [signal {}{}{}]", *signal, sigaddr ? fmt::format(" addr={:#x}", *sigaddr) : "",
                       sigpc ? fmt::format(" pc={:#x}", *sigpc) : "");
    return s + fmt::format(" (in {}{} on {}; 'go panics' has the chain)", g,
                           function.empty() ? "" : " at " + function, where);
  }
  if (kind == "fatal") {
    if (fatal && fatal->kind == "stack overflow")
      return fmt::format("fatal error: stack overflow ({} ({}) hit the stack limit on {}; 'go stacks' has the "
                         "post-mortem)", g, goroutine ? firstUserFunction(*goroutine) : "?", where);
    std::string s = fmt::format("fatal error: {}", message.empty() ? "?" : message);
    if (signal) s += fmt::format(" [signal {}{}]", *signal, sigpc ? fmt::format(" pc={:#x}", *sigpc) : "");
    if (goroutine) g += " at " + firstUserFunction(*goroutine);
    return s + fmt::format(" (thrown by {} in {} on {}){}", function.empty() ? "runtime.throw" : function, g, where,
                           othersText());
  }
  std::string s = message;
  if (sigpc) s += fmt::format(" (PC={:#x}", *sigpc);
  else s += " (";
  if (sigaddr) s += fmt::format(" addr={:#x}", *sigaddr);
  s += inCgo ? " during a cgo call" : function.empty() ? " outside Go code" : " in " + function;
  return s + fmt::format("; {} on {})", g, where);
}

}  // namespace goinspect
