// go bt: a goroutine's backtrace (or every goroutine's), as the runtime's traceback prints it.
#include <fmt/format.h>

#include "command_list.h"
#include "command_util.h"
#include "format.h"
#include "frame_scope.h"
#include "session.h"
#include "value.h"

namespace goinspect {

const Usage kBtUsage = {
    "ID|all",
    "Every logical frame of the goroutine, innermost first, inlined calls included: function and "
    "arguments, file:line, pc and sp of the physical frame, then the 'created by' line, as the "
    "runtime's own traceback prints them. Arguments are the words the compiler listed for the "
    "traceback (FUNCDATA_ArgInfo) in hex, aggregates in braces; '?' marks a register argument "
    "whose spill slot is not live at that pc (possibly stale), '...' an inlined call. 'go args' "
    "shows them named and typed. Parked goroutines unwind from g.sched, goroutines in a syscall from "
    "syscallsp/syscallpc, running ones from their thread's registers (across signal handlers and "
    "system-stack switches). Works on stripped binaries: only pclntab is needed.",
    {{"--frames", "N", "at most N frames per goroutine (default: all)"},
     {"--values", "",
      "arguments named and typed from DWARF, in Go syntax, shallow (name=value; 'go args' shows "
      "them whole, and why one is <unavailable>), in place of the runtime's words; text only"},
     jsonOption("the same goroutine objects as 'go goroutines --json'"),
     outputOption()}};

namespace {

// A frame's arguments from DWARF: "o=(*main.Order)(0xc000012345), depth=4", each shallow;
// one that is not known at the frame's pc says so, with why.
FrameArgs namedArgsOf(Session& s, const GoroutineView& g) {
  return [&s, &g](const Frame&, size_t k) -> std::string {
    if (k >= g.bt.frames.size()) return "?";
    ScopeFrame sf = scopeFrame(s, g, k);
    if (sf.function.empty()) return "<no DWARF scope for this pc>";
    static const Limits kShallow{.depth = 0, .elements = 4, .stringBytes = 48, .nodes = 64};
    std::string out;
    for (const FrameVar& v : sf.vars) {
      if (!v.argument || v.result) continue;
      if (!out.empty()) out += ", ";
      Value val = frameVarValue(s.valuesWithDwarf(), v, kShallow);
      // The reason is one line long: 'go args' gives it (the note after the backtrace).
      out += v.name + "=" + (val.unavailable ? std::string("<unavailable>") : formatText(val));
    }
    return out;
  };
}

}  // namespace

CommandResult cmdBt(Session& s, const std::vector<std::string>& args) {
  Parsed p = parse(args, kBtUsage);
  if (p.positional.size() != 1) throw Error("usage: go bt ID|all");
  std::vector<const GoroutineView*> sel;
  std::vector<std::string> errors;
  if (p.positional[0] == "all") {
    const Snapshot& snap = s.snapshot();
    for (const auto& v : snap.goroutines) sel.push_back(&v);
    errors = snap.errors;
  } else {
    sel.push_back(&goroutineById(s, p.positional[0]));
  }
  FrameSelection fs = parseFrames(p, {FrameSelection::kAll, 0});
  if (p.has("--json"))
    return deliverGoroutinesJson(s.target(), p, s.runtime().prog().goVersion(), errors, sel, fs,
                                 fmt::format("{} backtraces", sel.size()), traceArgsOf(s));
  if (sel.empty()) return deliver(p, kNotStarted, "nothing");  // never a silent answer
  if (p.has("--values") && p.has("--json"))
    throw Error("--values is for text: 'go args --frame all --json' gives the arguments with their parts");
  if (p.has("--values")) s.valuesWithDwarf();  // without DWARF, say so once, not per frame
  Out out(p);
  for (const auto* v : sel) {
    if (v != sel.front()) out.write("\n");
    auto argsOf = [&](const GoroutineView& shown) { return p.has("--values") ? namedArgsOf(s, shown) : traceArgsOf(s); };
    if (fs.kind == FrameSelection::kFirstN && v->bt.frames.size() > fs.n) {
      GoroutineView cut = *v;
      cut.bt.frames.truncate(fs.n);
      cut.bt.truncated = true;
      out.write(backtraceText(cut, argsOf(cut)));
    } else {
      out.write(backtraceText(*v, argsOf(*v)));
    }
    if (p.has("--values"))
      out.write(fmt::format("('go args --goroutine {} --frame N' says why a value is <unavailable>)\n", v->g.goid));
  }
  return out.finish(fmt::format("{} backtraces", sel.size()));
}

}  // namespace goinspect
