#include "stacks.h"

#include <algorithm>
#include <bit>
#include <map>
#include <unordered_map>

#include "fresh_memory.h"
#include "progress.h"

namespace goinspect {

namespace {
// runtime.stackPreempt: stackguard0 set to this asks the goroutine to yield at its next
// function prologue; it is not a stack bound.
constexpr uint64_t kStackPreempt = 0xfffffffffffffade;
constexpr uint64_t kStackFork = 0xfffffffffffffb2e;
}  // namespace

GoroutineStack goroutineStack(const GoroutineView& v, std::optional<uint64_t> maxStack, RecursionsByShape* recursions) {
  GoroutineStack s;
  s.v = &v;
  s.sp = v.bt.startSp;
  s.used = v.usedBytes();
  s.size = v.sizeBytes();
  const G& g = v.g;
  // Both on the stack, so the distance fits (a stack is at most bounds::kMaxStackBytes);
  // their difference as int64s would overflow for a stack straddling 2^63.
  if (g.stackguard0 != kStackPreempt && g.stackguard0 != kStackFork && g.stackguard0 >= g.stackLo &&
      g.stackguard0 < g.stackHi && s.sp >= g.stackLo && s.sp <= g.stackHi)
    s.guardDistance = s.sp >= g.stackguard0 ? static_cast<int64_t>(s.sp - g.stackguard0)
                                            : -static_cast<int64_t>(g.stackguard0 - s.sp);
  s.frames = v.bt.frames.size();
  s.nextSize = 2 * s.size;
  s.nextExceedsMax = maxStack && s.nextSize > *maxStack;
  auto find = [&]() -> std::shared_ptr<const Recursion> {
    auto r = findRecursion(v.bt.frames);
    return r ? std::make_shared<const Recursion>(std::move(*r)) : nullptr;
  };
  if (!recursions || !v.bt.frames.whole()) {
    s.recursion = find();
  } else {
    auto [it, fresh] = recursions->try_emplace(v.bt.frames.shape());
    if (fresh) it->second = find();
    s.recursion = it->second;
  }
  if (s.recursion && s.recursion->bytesPerCycle && maxStack && *maxStack > s.used)
    s.moreFit = (*maxStack - s.used) / s.recursion->bytesPerCycle;
  return s;
}

StackReport stackReport(Runtime& rt, const Snapshot& snap) {
  StackReport r;
  r.maxStack = rt.maxstacksize();

  r.goroutines.reserve(snap.goroutines.size());
  adviseHugePages(r.goroutines);
  Prefault ahead(r.goroutines, snap.goroutines.size());
  RecursionsByShape recursions;  // the snapshot keeps every shape alive meanwhile
  Progress progress(rt.mem().target(), "measuring stacks", snap.goroutines.size());
  for (const GoroutineView& v : snap.goroutines) {
    progress.tick();
    r.goroutines.push_back(goroutineStack(v, r.maxStack, &recursions));
  }
  std::stable_sort(r.goroutines.begin(), r.goroutines.end(),
                   [](const GoroutineStack& a, const GoroutineStack& b) { return a.used > b.used; });

  // Histogram and totals.
  std::map<uint64_t, SizeBucket> buckets;
  StackTotals& t = r.totals;
  for (const GoroutineStack& s : r.goroutines) {
    uint64_t b = s.size ? std::bit_ceil(s.size) : 0;
    SizeBucket& k = buckets[b];
    k.size = b;
    k.goroutines++;
    k.bytes += s.size;
    t.goroutines++;
    t.allocated += s.size;
    t.used += s.used;
  }
  for (auto& [size, b] : buckets) r.histogram.push_back(b);
  t.deadWithStack = snap.deadWithStack;
  t.deadBytes = snap.deadStackBytes;

  // System stacks: each M's g0 and gsignal; the thread's sp tells which one it is on.
  std::unordered_map<uint64_t, const ThreadContext*> threads;
  for (const ThreadContext& tc : snap.threads) threads[tc.tid] = &tc;
  auto iscgo = rt.prog().global("runtime.iscgo");
  bool cgo = iscgo && rt.mem().get<uint8_t>(*iscgo).value_or(0) != 0;
  r.ms = rt.allms().size();
  for (const M& m : rt.allms()) {
    const ThreadContext* tc = nullptr;
    if (auto it = threads.find(m.procid); it != threads.end()) tc = it->second;
    for (auto [kind, gp] : {std::pair<const char*, uint64_t>{"g0", m.g0}, {"gsignal", m.gsignal}}) {
      std::string err;
      auto g = gp ? rt.readG(gp, &err) : std::nullopt;
      if (!g || g->stackHi <= g->stackLo) continue;
      SystemStack s;
      s.mId = m.id;
      s.kind = kind;
      s.lo = g->stackLo;
      s.hi = g->stackHi;
      if (m.procid) s.tid = m.procid;
      if (tc && tc->regs.sp >= s.lo && tc->regs.sp < s.hi) {
        s.sp = tc->regs.sp;
        s.used = s.hi - tc->regs.sp;
      }
      // m0's g0 runs on the process's main thread stack, and with cgo every g0 runs on
      // the stack the C library made for the thread; the rest came from stackalloc.
      s.goAllocated = kind == std::string_view("gsignal") || (m.id != 0 && !cgo);
      if (s.goAllocated) t.systemGoBytes += s.hi - s.lo;
      r.system.push_back(s);
    }
  }

  t.runtimeInUse = rt.stackInUse();
  if (t.runtimeInUse)
    t.unaccounted = static_cast<int64_t>(*t.runtimeInUse) -
                    static_cast<int64_t>(t.allocated + t.deadBytes + t.systemGoBytes);

  // The post-mortem: a thread that threw "stack overflow" from newstack.
  r.fatal = findFatal(rt, snap);
  if (r.fatal && r.fatal->stackLimit && r.fatal->goroutine)
    for (size_t i = 0; i < r.goroutines.size(); i++)
      if (r.goroutines[i].v == r.fatal->goroutine) r.overflow = StackOverflow{i, *r.fatal->stackLimit};
  return r;
}

}  // namespace goinspect
