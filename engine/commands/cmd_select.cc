// go frame, go up, go down: move the selection `go goroutine ID` made (session.h).
#include <fmt/format.h>

#include "command_list.h"
#include "command_util.h"
#include "frame_scope.h"
#include "session.h"

namespace goinspect {

namespace {

// The selected goroutine (or the one --goroutine names, which becomes selected).
const GoroutineView& selected(Session& s, const Parsed& p) {
  std::string why;
  const GoroutineView* g = selectedGoroutine(s, p, &why);
  if (!g) throw Error(fmt::format("no goroutine selected ({}): 'go goroutine ID' selects one", why));
  return *g;
}

CommandResult selectFrame(Session& s, const Parsed& p, const GoroutineView& g, size_t k) {
  s.select(Session::Selection{g.g.goid, k});
  const Frame& f = g.bt.frames[k];
  return deliver(p, fmt::format("goroutine {} frame #{} {}{} at {}:{}\n", g.g.goid, k, f.function,
                                f.inlined ? " (inlined)" : "", f.file, f.line),
                 "the selection");
}

CommandResult move(Session& s, const std::vector<std::string>& args, const Usage& usage, int direction) {
  Parsed p = parse(args, usage);
  if (p.positional.size() > 1) throw Error(fmt::format("usage: go {} [N]", args[0]));
  uint64_t n = p.positional.empty() ? 1 : parseCount(p.positional[0], "N");
  const GoroutineView& g = selected(s, p);
  size_t cur = selectFrames(s, g, "", false)[0], count = g.bt.frames.size();
  if (direction > 0 && (n >= count || cur + n >= count))
    throw Error(fmt::format("goroutine {} has no frame {} above #{} (its outermost is #{})", g.g.goid, n, cur, count - 1));
  if (direction < 0 && n > cur)
    throw Error(fmt::format("goroutine {} has no frame {} below #{} (its innermost is #0)", g.g.goid, n, cur));
  return selectFrame(s, p, g, direction > 0 ? cur + n : cur - n);
}

}  // namespace

const Usage kFrameUsage = {
    "N|FUNCTION",
    "Selects a frame of the selected goroutine (go goroutine ID) for go print, go locals and go args: its "
    "number as go bt numbers them, or the innermost frame of FUNCTION.",
    {goroutineOption(), outputOption()}};

const Usage kUpUsage = {"[N]", "Selects the frame N (default 1) above the selected one: its caller's.",
                        {goroutineOption(), outputOption()}};
const Usage kDownUsage = {"[N]", "Selects the frame N (default 1) below the selected one: its callee's.",
                          {goroutineOption(), outputOption()}};

CommandResult cmdFrame(Session& s, const std::vector<std::string>& args) {
  Parsed p = parse(args, kFrameUsage);
  if (p.positional.size() != 1) throw Error("usage: go frame N|FUNCTION");
  const GoroutineView& g = selected(s, p);
  return selectFrame(s, p, g, selectFrames(s, g, p.positional[0], false)[0]);
}

CommandResult cmdUp(Session& s, const std::vector<std::string>& args) { return move(s, args, kUpUsage, +1); }
CommandResult cmdDown(Session& s, const std::vector<std::string>& args) { return move(s, args, kDownUsage, -1); }

}  // namespace goinspect
