#include "semtable.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <unordered_set>

#include "bounds.h"
#include "runtime.h"
#include "stripped.h"

namespace goinspect {

namespace {

constexpr uint64_t kSemTabSize = 251;   // runtime.semTabSize
constexpr uint64_t kRootStride = 64;    // semaRoot padded to cpu.CacheLinePadSize (amd64)

struct Walker {
  Memory& mem;
  const std::vector<std::pair<uint64_t, int64_t>>& goids;  // (g, goid), sorted by g
  uint64_t treapOff, gOff, prevOff, nextOff, waitlinkOff, elemOff;
  Semtable out;
  size_t nodes = 0;
  bool bad = false;
  std::unordered_set<uint64_t> seen;

  // The treap under root, iteratively (a corrupt core must not exhaust our stack).
  bool visit(uint64_t root) {
    std::vector<uint64_t> todo{root};
    while (!todo.empty()) {
      uint64_t s = todo.back();
      todo.pop_back();
      if (!s) continue;
      if (nodes++ > bounds::kMaxSleepers || !seen.insert(s).second) return false;
      auto addr = mem.u64(s + elemOff);
      if (!addr) return false;
      SleepQueue& q = out.queues[*addr];
      q.addr = *addr;
      for (uint64_t w = s; w;) {
        auto gp = mem.u64(w + gOff);
        auto it = gp ? std::lower_bound(goids.begin(), goids.end(), std::pair<uint64_t, int64_t>{*gp, INT64_MIN})
                     : goids.end();
        if (it == goids.end() || it->first != *gp) return false;  // not a goroutine: not a semtable
        out.byGoroutine[*gp] = {*addr, static_cast<int>(q.goids.size())};
        q.goids.push_back(it->second);
        w = mem.u64(w + waitlinkOff).value_or(0);
        if (w && (nodes++ > bounds::kMaxSleepers || !seen.insert(w).second)) return false;
      }
      auto l = mem.u64(s + prevOff), r = mem.u64(s + nextOff);
      if (!l || !r) return false;
      todo.push_back(*r);
      todo.push_back(*l);
    }
    return true;
  }
};

Semtable failed(std::string why) {
  Semtable t;
  t.error = std::move(why);
  return t;
}

}  // namespace

Semtable readSemtable(Runtime& rt, const Snapshot& snap) {
  GoProgram& prog = rt.prog();
  Memory& mem = rt.mem();
  auto treap = prog.offOpt("runtime.semaRoot", "treap");
  auto g = prog.offOpt("runtime.sudog", "g"), prev = prog.offOpt("runtime.sudog", "prev"),
       next = prog.offOpt("runtime.sudog", "next"), waitlink = prog.offOpt("runtime.sudog", "waitlink");
  auto elem = prog.offOpt("runtime.sudog", {"elem.vu", "elem"});
  if (!treap || !g || !prev || !next || !waitlink || !elem)
    return failed("this Go release's semaRoot or sudog lacks the fields to walk");

  // A sorted list, not a hash map: a million goroutines, a few of them asleep here.
  std::vector<std::pair<uint64_t, int64_t>> goids;
  goids.reserve(snap.goroutines.size());
  for (const GoroutineView& v : snap.goroutines) goids.push_back({v.g.addr, v.g.goid});
  std::sort(goids.begin(), goids.end());

  auto walk = [&](uint64_t table) -> std::optional<Semtable> {
    Walker w{mem, goids, *treap, *g, *prev, *next, *waitlink, *elem, {}, 0, false, {}};
    for (uint64_t i = 0; i < kSemTabSize; i++) {
      auto root = mem.u64(table + i * kRootStride + *treap);
      if (!root || !w.visit(*root)) return std::nullopt;
    }
    return std::move(w.out);
  };

  if (auto sym = prog.global("runtime.semtable")) {
    if (auto t = walk(*sym)) return std::move(*t);
    return failed(fmt::format("runtime.semtable at {:#x} could not be walked", *sym));
  }
  // Stripped: of the tables that walk cleanly, the one holding the most sleepers. An
  // all-empty table proves nothing, so with no sleeper found nothing is claimed.
  std::optional<Semtable> best;
  for (uint64_t x : codeDataRefs(prog, "runtime.semacquire1")) {
    auto t = walk(x);
    if (t && !t->byGoroutine.empty() && (!best || t->byGoroutine.size() > best->byGoroutine.size()))
      best = std::move(t);
  }
  if (best) return std::move(*best);
  return failed("runtime.semtable not found (stripped binary, and no table among semacquire1's data holds a "
                "sleeping goroutine)");
}

}  // namespace goinspect
