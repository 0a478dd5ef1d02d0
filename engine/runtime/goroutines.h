// One consistent account of every live goroutine at a stop: what the runtime's own
// goroutine header and traceback would say (runtime/traceback.go goroutineheader,
// traceback2, printcreatedby), plus the stack and thread facts a debugger adds.
//
//   Snapshot s = takeSnapshot(rt, target);
//   for (const GoroutineView& v : s.goroutines) ...     // sorted by id, dead ones left out
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "labels.h"
#include "unwind.h"

namespace goinspect {

struct GoroutineView {
  G g;
  std::string status;       // the runtime's status word: "waiting", "running", ...
  std::string waitReason;   // the runtime's wait reason string, "" if none
  std::optional<int64_t> waitMinutes;  // (now - waitsince) / 1 min, when the runtime knows
  bool lockedToThread = false;
  std::optional<int64_t> mId;
  std::optional<uint64_t> threadId;     // OS thread id
  std::optional<uint32_t> threadIndex;  // the debugger's thread number
  Backtrace bt;
  std::optional<CreatedBy> createdBy;
  int firstUserFrame = -1;  // index into bt.frames, -1 if all frames are Go's own
  // Per frame: in the user's code (not GOROOT, not runtime.*); shared by the goroutines
  // whose frames share a shape.
  std::shared_ptr<const std::vector<bool>> user;
  bool userFrame(size_t k) const { return user && k < user->size() && (*user)[k]; }
  bool system = false;      // a runtime goroutine (runtime.isSystemGoroutine's rule)
  // pprof labels (g.labels), sorted by key as the runtime prints them; empty if none.
  std::vector<std::pair<std::string, std::string>> labels;

  // What the runtime prints between the brackets of "goroutine N [...]".
  std::string stateText() const { return waitReason.empty() ? status : waitReason; }
  uint64_t usedBytes() const { return bt.startSp && bt.startSp <= g.stackHi ? g.stackHi - bt.startSp : 0; }
  uint64_t sizeBytes() const { return g.stackHi - g.stackLo; }
};

struct Snapshot {
  std::string goVersion;
  std::string goroot;       // from the runtime's own file paths, to tell user code apart
  std::vector<GoroutineView> goroutines;
  std::vector<std::string> errors;  // goroutines that could not be read, one line each
  size_t allgsLen = 0;
  // Dead goroutines kept on the runtime's free lists with their stacks (gfput keeps a
  // standard-size stack for reuse): memory the runtime counts as stack in use.
  size_t deadWithStack = 0;
  uint64_t deadStackBytes = 0;
  std::vector<ThreadContext> threads;  // every thread whose registers the debugger gave
  int64_t now = 0;          // the target's nanotime as Runtime::nowEstimate has it (0: unknown)
  bool nowExact = false;    // `now` is the live target's clock, not the newest time it wrote
};

class Target;
// Reads and unwinds every goroutine. Per-goroutine failures become entries in
// Snapshot::errors or GoroutineView::bt.error; only a missing allgs throws.
Snapshot takeSnapshot(Runtime& rt, Target& target);

// The first live goroutine `match` accepts, read and unwound as takeSnapshot reads each, or
// nullopt: every g's header is read (the clock estimate of waitMinutes needs them all), only
// that one is unwound: what a command about one goroutine needs.
std::optional<GoroutineView> takeGoroutine(Runtime& rt, Target& target, const std::function<bool(const G&)>& match);

}  // namespace goinspect
