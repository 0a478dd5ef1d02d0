// Stack usage against its limits: every goroutine's stack (bounds, use, distance to the
// guard, what the next growth would allocate), the system stacks of every M (g0 and
// gsignal), a histogram of stack sizes, totals set against the runtime's own accounting,
// and the post-mortem of a stack overflow (runtime/stack.go newstack).
//
//   StackReport r = stackReport(rt, snap);
//   for (const GoroutineStack& s : r.goroutines) ...   // most used first
//   if (r.overflow) ... r.goroutines[r.overflow->index].v->g.goid
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "fatal.h"
#include "recursion.h"

namespace goinspect {

struct GoroutineStack {
  const GoroutineView* v = nullptr;
  uint64_t sp = 0, used = 0, size = 0;
  // sp - stackguard0: how far the goroutine is from calling morestack; negative past it.
  // nullopt when stackguard0 is not a guard (stackPreempt: a preemption is requested).
  std::optional<int64_t> guardDistance;
  size_t frames = 0;            // logical frames, inlined calls included
  uint64_t nextSize = 0;        // what newstack would allocate: twice the size
  bool nextExceedsMax = false;  // ... and whether that passes runtime.maxstacksize
  std::shared_ptr<const Recursion> recursion;  // shared by the goroutines of one frame shape
  std::optional<uint64_t> moreFit;  // at the cycle's rate, cycles that fit before the max
};

struct SystemStack {
  int64_t mId = 0;
  const char* kind = "g0";  // "g0" or "gsignal"
  uint64_t lo = 0, hi = 0;
  std::optional<uint64_t> sp, used;  // when the M's thread is on this stack now
  std::optional<uint64_t> tid;
  bool goAllocated = true;  // from the runtime's stack spans (not the OS's thread stack)
};

struct SizeBucket {
  uint64_t size = 0;  // a power of two: stacks of size in (size/2, size]
  size_t goroutines = 0;
  uint64_t bytes = 0;
};

struct StackTotals {
  size_t goroutines = 0;
  uint64_t allocated = 0, used = 0;
  size_t deadWithStack = 0;
  uint64_t deadBytes = 0;
  uint64_t systemGoBytes = 0;  // g0 and gsignal stacks taken from the runtime's stack spans
  std::optional<uint64_t> runtimeInUse;  // MemStats.StackInuse as the target holds it
  // runtimeInUse minus what the goroutines, dead goroutines and system stacks account
  // for: free stacks the runtime keeps for reuse (stackpool, stackLarge, per-P caches).
  std::optional<int64_t> unaccounted;
};

struct StackOverflow {
  size_t index = 0;    // into StackReport::goroutines: the goroutine that overflowed
  uint64_t limit = 0;  // the limit it hit (maxstacksize or the ceiling)
};

struct StackReport {
  std::optional<uint64_t> maxStack;  // runtime.maxstacksize in force
  std::vector<GoroutineStack> goroutines;  // every live goroutine, most used first
  size_t ms = 0;                     // Ms on runtime.allm
  std::vector<SystemStack> system;   // their g0 and gsignal stacks, where they have one
  std::vector<SizeBucket> histogram;  // smallest first
  StackTotals totals;
  std::optional<FatalError> fatal;
  std::optional<StackOverflow> overflow;
};

// recursions: findRecursion's answers by frame shape (the same frames, the same answer),
// when a caller goes over many goroutines.
using RecursionsByShape = std::unordered_map<const void*, std::shared_ptr<const Recursion>>;
GoroutineStack goroutineStack(const GoroutineView& v, std::optional<uint64_t> maxStack,
                              RecursionsByShape* recursions = nullptr);
StackReport stackReport(Runtime& rt, const Snapshot& snap);

}  // namespace goinspect
