#include "frame_scope.h"

#include <fmt/format.h>

#include "bounds.h"
#include "errors.h"
#include "session.h"
#include "traceargs.h"
#include "value.h"

namespace goinspect {

Option goroutineOption() {
  return {"--goroutine", "ID",
                                 "the goroutine (default: the one go goroutine ID selected, else the one on the debugger's "
                                 "selected thread; on a core, the thread that took the fatal signal)"};
}
Option frameOption() {
  return {"--frame", "N|FUNCTION",
                             "the frame, numbered as go bt numbers them, or the innermost frame of FUNCTION "
                             "(default: the frame go frame, go up or go down selected, else the first frame of the user's code)"};
}

const GoroutineView* selectedGoroutine(Session& s, const Parsed& p, std::string* why) {
  // One goroutine is read, not all of them (Session::goroutine).
  if (p.has("--goroutine")) {
    uint64_t id = parseCount(p.get("--goroutine"), "--goroutine");
    if (const GoroutineView* v = s.goroutine(static_cast<int64_t>(id))) return v;
    throw Error(fmt::format("no goroutine {}; 'go goroutines' lists them", id));
  }
  if (auto sel = s.selection())
    if (const GoroutineView* v = s.goroutine(sel->goid)) return v;
  for (const ThreadInfo& t : s.target().threads()) {
    if (!t.selected) continue;
    if (const GoroutineView* v = s.goroutineOnThread(t.tid)) return v;
    *why = fmt::format("the selected thread (tid {}) runs no goroutine", t.tid);
    return nullptr;
  }
  *why = "no thread is selected";
  return nullptr;
}

size_t defaultFrame(const GoroutineView& g) {
  return g.firstUserFrame >= 0 ? static_cast<size_t>(g.firstUserFrame) : 0;
}

std::vector<size_t> selectFrames(Session& s, const GoroutineView& g, const std::string& spec, bool allowAll) {
  size_t n = g.bt.frames.size();
  if (n == 0) throw Error(fmt::format("goroutine {} has no frames{}", g.g.goid, g.bt.error.empty() ? "" : ": " + g.bt.error));
  if (spec.empty()) {
    if (auto sel = s.selection(); sel && sel->goid == g.g.goid && sel->frame < n) return {sel->frame};
    return {defaultFrame(g)};
  }
  if (spec == "all") {
    if (!allowAll) throw Error("--frame all: give one frame here");
    std::vector<size_t> all(n);
    for (size_t k = 0; k < n; k++) all[k] = k;
    return all;
  }
  if (spec.find_first_not_of("0123456789") == std::string::npos) {
    size_t k = parseCount(spec, "--frame");
    if (k >= n) throw Error(fmt::format("goroutine {} has frames #0 to #{}", g.g.goid, n - 1));
    return {k};
  }
  for (size_t k = 0; k < n; k++) {
    std::string_view f = g.bt.frames[k].function;
    if (f == spec || (f.size() > spec.size() && f.starts_with(spec) && f[spec.size()] == '[')) return {k};
  }
  throw Error(fmt::format("goroutine {} has no frame of {}; 'go bt {}' lists its frames", g.g.goid, spec, g.g.goid));
}

namespace {

// Arguments DWARF gives no location at this pc (kept in a register, which a call does not
// preserve) are where the runtime's own traceback reads them when their spill slots are
// live at this pc: ArgInfo lists each input parameter's words in the spill area, in order.
// Only when the parameters DWARF lists are the ones ArgInfo lists (same count, or ArgInfo
// cut short), and the parameter is whole. A slot that is not live (the runtime prints '?')
// holds an older value as often as not (the printers fixture: half of them, on every
// toolchain), so the argument stays unavailable, with that said.
void fromTraceback(const GoProgram& prog, const Frame& f, std::vector<FrameVar>& vars) {
  std::vector<FrameVar*> params;
  for (FrameVar& v : vars)
    if (v.argument && !v.result) params.push_back(&v);
  bool wanted = false;
  for (const FrameVar* v : params) wanted = wanted || (!v->addr && !v->escaped);
  if (!wanted) return;
  auto slots = traceArgSlots(prog, f);
  if (!slots || (slots->truncated ? slots->params.size() > params.size() : slots->params.size() != params.size()))
    return;
  for (size_t i = 0; i < slots->params.size(); i++) {
    FrameVar& v = *params[i];
    const TraceArgSlot& slot = slots->params[i];
    if (v.addr || v.escaped || !slot.complete || !slot.addr) continue;
    if (!slot.live) {
      v.unavailable += "; its spill slot is not live at this pc either (go bt shows the word there with '?': "
                       "it may be an older value)";
      continue;
    }
    v.addr = slot.addr;
    v.fromTraceback = true;
    v.unavailable.clear();
  }
}

// Go's DWARF for an inlined call's variables is not always right: in hungservice (go1.26)
// the inlined sync.(*Mutex).Lock's m is placed, from the function's entry on, at the stack
// slot of main.(*Ledger).Transfer's `from`, and reads as the string's pointer. A variable of
// an inlined call whose place overlaps a variable of the function it is inlined into,
// other than as the very same value (same address and type: an argument passed on), is
// not believed: the enclosing function's own variables are the better described.
void distrustAliases(GoTypes& types, std::vector<FrameVar>& inner, const std::vector<FrameVar>& outer,
                     std::string_view outerFunction) {
  auto extent = [&](const FrameVar& v) -> uint64_t { return v.escaped ? 8 : std::max<uint64_t>(types.type(v.type).size, 1); };
  for (FrameVar& v : inner) {
    if (!v.addr || !v.type) continue;
    for (const FrameVar& o : outer) {
      if (!o.addr || !o.type) continue;
      bool overlap = *v.addr < *o.addr + extent(o) && *o.addr < *v.addr + extent(v);
      bool same = *v.addr == *o.addr && v.escaped == o.escaped && types.type(v.type).name == types.type(o.type).name;
      if (!overlap || same) continue;
      v.unavailable = fmt::format("DWARF places it at this pc in the stack slot of {} ({}), which that "
                                  "variable holds: DWARF for inlined calls is not always right",
                                  o.name, outerFunction);
      v.addr.reset();
      v.fromTraceback = false;
      break;
    }
  }
}

}  // namespace

ScopeFrame scopeFrame(Session& s, const GoroutineView& g, size_t index) {
  const auto& frames = g.bt.frames;
  const Frame f = frames.at(index);
  // The logical frames of one physical frame share its pc and sp, innermost (inlined) first.
  size_t first = index;
  while (first > 0 && frames[first - 1].pc == f.pc && frames[first - 1].sp == f.sp) first--;
  size_t physical = index;
  while (physical + 1 < frames.size() && frames[physical + 1].pc == f.pc && frames[physical + 1].sp == f.sp &&
         frames[physical].inlined)
    physical++;
  // A return address is looked up at pc-1 (the call), except for the innermost frame of a
  // thread's registers and a frame a signal or preemption interrupted: the unwinder's trap
  // pcs (traceback.go symPC).
  bool ret = !frames[first].trap;
  ValueReader& r = s.valuesWithDwarf();
  FrameVars vars(r.types(), r.prog().bias(), &r.mem());
  FrameInfo info{f.pc, f.sp, f.fp, ret, static_cast<int>(index - first), std::string(f.function), f.line};
  // The innermost frame of a running goroutine, stopped in it or interrupted by a signal:
  // its registers are known (its thread's, or the signal context's), so what DWARF places
  // in a register is too.
  if (first == 0 && g.bt.innermostRegs && g.bt.innermostRegs->pc == f.pc && g.bt.innermostRegs->sp == f.sp)
    info.regs = g.bt.innermostRegs.get();
  ScopeFrame out;
  out.index = index;
  out.frame = f;
  out.vars = vars.at(info, &out.function);
  fromTraceback(r.prog(), f, out.vars);
  if (physical != index) {
    const Frame pf = frames[physical];
    FrameInfo outerInfo{pf.pc, pf.sp, pf.fp, ret, static_cast<int>(physical - first), std::string(pf.function), pf.line};
    outerInfo.regs = info.regs;
    std::string outerFunction;
    std::vector<FrameVar> outer = vars.at(outerInfo, &outerFunction);
    fromTraceback(r.prog(), pf, outer);
    distrustAliases(r.types(), out.vars, outer, pf.function);
  }
  return out;
}

Limits parseLimits(const Parsed& p) {
  Limits limits;
  if (p.has("--depth")) limits.depth = static_cast<int>(std::min<uint64_t>(parseCount(p.get("--depth"), "--depth"), 64));
  if (p.has("--elements")) limits.elements = parseCount(p.get("--elements"), "--elements");
  if (p.has("--string-bytes"))
    limits.stringBytes = std::min<uint64_t>(parseCount(p.get("--string-bytes"), "--string-bytes"), bounds::kMaxLength);
  return limits;
}


// The value of a frame variable: read where DWARF places it, or unavailable with why.
Value frameVarValue(ValueReader& r, const FrameVar& v, const Limits& limits) {
  if (!v.addr) {
    Value out = Value::failed(v.type ? r.types().type(v.type).name : "", v.unavailable);
    out.type = v.type;
    out.kind = v.type ? r.types().type(v.type).kind : GoKind::Invalid;
    out.unavailable = true;
    return out;
  }
  if (v.escaped) {
    // DWARF's "&x": the slot holds the address of x, on the heap.
    TypeId t = r.types().pointee(v.type);
    auto p = r.mem().u64(*v.addr);
    if (!t || !p || !*p) {
      Value out = Value::failed(t ? r.types().type(t).name : "", !p ? fmt::format("cannot read its address at {:#x}", *v.addr)
                                                                    : "not yet allocated at this pc");
      out.type = t;
      out.kind = t ? r.types().type(t).kind : GoKind::Invalid;
      out.unavailable = p.has_value();
      return out;
    }
    return r.readAt(t, *p, limits, 0);
  }
  return r.readAt(v.type, *v.addr, limits, 0);
}

}  // namespace goinspect
