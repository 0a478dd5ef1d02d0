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
#include <string_view>
#include <vector>

#include "labels.h"
#include "unwind.h"

namespace goinspect {

struct GoroutineView {
  G g;
  // The runtime's words, as Runtime::statusName and waitReasonString keep them.
  std::string_view status;      // the runtime's status word: "waiting", "running", ...
  std::string_view waitReason;  // the runtime's wait reason string, "" if none
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
  std::string stateText() const { return std::string(waitReason.empty() ? status : waitReason); }
  uint64_t usedBytes() const { return bt.startSp && bt.startSp <= g.stackHi ? g.stackHi - bt.startSp : 0; }
  uint64_t sizeBytes() const { return g.stackHi - g.stackLo; }
};

// What decides how a goroutine's stack prints, without printing it: its frames' shape (the
// same pcs, so the same functions, files and lines), the state, the pc that created it.
// Goroutines with equal keys print alike; a million of them parked in a few dozen places
// have a few dozen keys, so grouping them builds a text per key, not per goroutine.
struct StackIdentity {
  const void* shape = nullptr;
  size_t frames = 0;
  std::string_view state;
  uint64_t creatorPc = 0;
  bool hasCreator = false;

  static StackIdentity of(const GoroutineView& v) {
    return {v.bt.frames.shape(), v.bt.frames.size(),
            v.waitReason.empty() ? v.status : v.waitReason,
            v.createdBy ? v.createdBy->pc : 0, v.createdBy.has_value()};
  }
  bool operator==(const StackIdentity&) const = default;
  struct Hash {
    size_t operator()(const StackIdentity& k) const {
      uint64_t h = reinterpret_cast<uintptr_t>(k.shape) * 0x9E3779B97F4A7C15ull ^ k.frames;
      h = h * 31 + std::hash<std::string_view>()(k.state);
      return static_cast<size_t>(h * 31 + k.creatorPc * 2 + k.hasCreator);
    }
  };
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
