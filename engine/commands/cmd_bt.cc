// go bt: a goroutine's backtrace (or every goroutine's), as the runtime's traceback prints it.
#include <fmt/format.h>

#include "command_list.h"
#include "command_util.h"

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
     jsonOption("the same goroutine objects as 'go goroutines --json'"),
     outputOption()}};

CommandResult cmdBt(Session& s, const std::vector<std::string>& args) {
  Parsed p = parse(args, kBtUsage);
  if (p.positional.size() != 1) throw Error("usage: go bt ID|all");
  const Snapshot& snap = s.snapshot();
  std::vector<const GoroutineView*> sel;
  if (p.positional[0] == "all")
    for (const auto& v : snap.goroutines) sel.push_back(&v);
  else
    sel.push_back(findGoroutine(snap, p.positional[0]));
  FrameSelection fs = parseFrames(p, {FrameSelection::kAll, 0});
  if (p.has("--json")) return deliverGoroutinesJson(p, snap, sel, fs, fmt::format("{} backtraces", sel.size()), traceArgsOf(s));
  if (sel.empty()) return deliver(p, kNotStarted, "nothing");  // never a silent answer
  Out out(p);
  FrameArgs frameArgs = traceArgsOf(s);
  for (const auto* v : sel) {
    if (v != sel.front()) out.write("\n");
    if (fs.kind == FrameSelection::kFirstN && v->bt.frames.size() > fs.n) {
      GoroutineView cut = *v;
      cut.bt.frames.resize(fs.n);
      cut.bt.truncated = true;
      out.write(backtraceText(cut, frameArgs));
    } else {
      out.write(backtraceText(*v, frameArgs));
    }
  }
  return out.finish(fmt::format("{} backtraces", sel.size()));
}

}  // namespace goinspect
