// go goroutine: everything known about one goroutine, then its backtrace.
#include <fmt/format.h>

#include "command_list.h"
#include "command_util.h"
#include "frame_scope.h"
#include "session.h"

namespace goinspect {

using nlohmann::json;

const Usage kGoroutineUsage = {
    "ID",
    "The goroutine's g address, status and wait reason, lock to a thread, its M and thread, stack "
    "bounds and use, where the unwind started, its first user frame and creator, then its backtrace.\n"
    "It also selects the goroutine, and its first frame of user code, for go print, go locals and go args "
    "(go frame, go up and go down move in it); go goroutine none forgets the selection, and so does "
    "the target's running on.",
    {jsonOption("the goroutine object of 'go goroutines --json', with every frame"), outputOption()}};

CommandResult cmdGoroutine(Session& s, const std::vector<std::string>& args) {
  Parsed p = parse(args, kGoroutineUsage);
  if (p.positional.size() != 1) throw Error("usage: go goroutine ID");
  if (p.positional[0] == "none") {
    bool had = s.selection().has_value();
    s.select(std::nullopt);
    return deliver(p, had ? "no goroutine selected\n" : "no goroutine was selected\n", "the selection");
  }
  const GoroutineView& v = goroutineById(s, p.positional[0]);
  s.select(Session::Selection{v.g.goid, v.bt.frames.empty() ? 0 : defaultFrame(v)});
  if (p.has("--json"))
    return deliver(p, dumpJson(goroutineJson(v, {FrameSelection::kAll, 0}, traceArgsOf(s))), fmt::format("goroutine {}", v.g.goid));
  std::vector<std::vector<std::string>> rows;
  auto row = [&](std::string k, std::string val) { rows.push_back({std::move(k), std::move(val)}); };
  row("goroutine", std::to_string(v.g.goid));
  row("g", hex(v.g.addr));
  row("status", std::string(v.status) + (v.g.scan ? " (scan)" : ""));
  if (!v.waitReason.empty()) row("wait reason", std::string(v.waitReason));
  if (v.waitMinutes) row("waiting for", fmt::format("{} minutes or more", *v.waitMinutes));
  row("locked to thread", v.lockedToThread ? "yes" : "no");
  row("M / thread", v.mId ? fmt::format("m{}{}", *v.mId, v.threadId ? fmt::format(", tid {}{}", *v.threadId,
                                   v.threadIndex ? fmt::format(" (thread #{})", *v.threadIndex) : "") : "")
                          : "none");
  row("stack", fmt::format("[{}, {}) {} used of {}, sp {}", hex(v.g.stackLo), hex(v.g.stackHi), v.usedBytes(),
                           v.sizeBytes(), hex(v.bt.startSp)));
  row("unwound from", v.bt.source);
  row("kind", v.system ? "runtime goroutine" : "user goroutine");
  if (v.firstUserFrame >= 0) row("user code", location(v.bt.frames[v.firstUserFrame], false));
  if (v.createdBy)
    row("created by", fmt::format("{} at {}:{}{}", v.createdBy->function, v.createdBy->file, v.createdBy->line,
                                  v.createdBy->goid ? fmt::format(" in goroutine {}", v.createdBy->goid) : ""));
  std::string out = table(rows, {false, false}) + "\n" + backtraceText(v, traceArgsOf(s));
  return deliver(p, out, fmt::format("goroutine {}", v.g.goid));
}

}  // namespace goinspect
