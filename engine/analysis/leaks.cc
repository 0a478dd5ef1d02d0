#include "leaks.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>
#include <unordered_map>

namespace goinspect {

namespace {

// Everything that makes two goroutines "the same" for a reader of a dump: the wait, every
// frame's function, file and line, the creator, the labels. Names are views into the
// binary's pclntab, one per name, so their addresses stand for them: the key is built
// from raw words, not formatted (this runs for every goroutine of a 100k-goroutine core).
std::string signature(const GoroutineView& v) {
  std::string k = v.stateText();
  auto word = [&](uint64_t x) { k.append(reinterpret_cast<const char*>(&x), sizeof x); };
  for (const Frame& f : v.bt.frames) {
    word(reinterpret_cast<uint64_t>(f.function.data()) ^ (static_cast<uint64_t>(f.function.size()) << 48));
    word(reinterpret_cast<uint64_t>(f.file.data()));
    word(static_cast<uint64_t>(f.line));
  }
  if (v.createdBy) {
    word(reinterpret_cast<uint64_t>(v.createdBy->function.data()));
    word(static_cast<uint64_t>(v.createdBy->line));
  }
  for (const auto& [key, val] : v.labels) k += "\x01" + key + "\x02" + val;
  return k;
}

std::string plural(size_t n, const char* one, const char* many) { return fmt::format("{} {}", n, n == 1 ? one : many); }

void judge(LeakGroup& g, const Waits& w) {
  size_t n = g.members.size();
  // Sorted lists, not hash sets: the largest group may hold a million goroutines.
  std::vector<int64_t> ids;
  ids.reserve(n);
  for (const GoroutineWaits* m : g.members) ids.push_back(m->v->g.goid);
  std::sort(ids.begin(), ids.end());
  std::vector<uint64_t> keys;  // object addresses, made distinct below
  bool allAlone = true, allForever = true, allLeaked = true, sameEverywhere = true;
  // Channels only this group is queued on, with no timer to fire and no other goroutine
  // holding their address on its stack.
  bool orphaned = true;
  std::string direction;
  std::unordered_map<uint64_t, bool> onlyUsByChan;
  std::vector<uint64_t> firstKeys, mine;
  for (const GoroutineWaits* m : g.members) {
    allLeaked &= m->v->status == "leaked";
    mine.clear();
    for (const WaitEntry& e : m->on) {
      if (e.address) keys.push_back(e.address), mine.push_back(e.address);
      allForever &= e.kind == "nil-chan" || e.kind == "select-no-cases";
      auto it = e.kind == "chan" ? w.chans.find(e.address) : w.chans.end();
      if (it == w.chans.end()) {
        allAlone = orphaned = false;
        continue;
      }
      const ChanInfo& c = it->second;
      allAlone &= c.senders.size() + c.receivers.size() == 1;
      auto [cached, fresh] = onlyUsByChan.emplace(e.address, false);
      if (fresh) {  // once per channel: a queue may hold 50,000 goroutines
        bool onlyUs = !c.timerWhenNs && !w.referrers.count(e.address) && !w.globalRefs.count(e.address);
        for (const auto* q : {&c.senders, &c.receivers})
          for (size_t k = 0; k < q->size() && onlyUs; k++) onlyUs = std::binary_search(ids.begin(), ids.end(), (*q)[k]);
        cached->second = onlyUs;
      }
      bool onlyUs = cached->second;
      orphaned &= onlyUs && (direction.empty() || direction == e.direction);
      direction = e.direction;
    }
    if (m->on.empty()) allAlone = allForever = orphaned = false;
    if (m == g.members.front()) firstKeys = mine;
    sameEverywhere &= !mine.empty() && mine == firstKeys;
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  g.objects = keys.size();
  if (sameEverywhere && g.members.front()->on.size() == 1) g.shared = &g.members.front()->on.front();
  const char* other = direction == "send" ? "receive" : "send";
  if (allLeaked) {
    g.leak = true;
    g.why = "the runtime's leak detector marked them leaked: nothing reachable can wake them";
  } else if (allForever) {
    g.leak = true;
    g.why = "blocked forever: a nil channel or select {} can never proceed";
  } else if (orphaned && allAlone && n >= 2 && keys.size() == n) {
    const ChanInfo& c = w.chans.at(g.members.front()->on.front().address);
    g.leak = true;
    g.why = fmt::format("each waits alone on its own channel: {} (chan {}, {}), no other goroutine queued on any "
                        "or holding one on its stack, no global variable holding one; whoever was to {} has gone",
                        plural(n, "channel", "distinct channels"), c.elemType,
                        c.cap ? fmt::format("cap {}", c.cap) : std::string("unbuffered"), other);
  } else if (orphaned && n >= 2) {
    g.leak = true;
    g.why = fmt::format("they wait on {} that only they are queued on, that no other goroutine holds on its stack "
                        "and no global variable holds: whoever was to {} has gone (a reference kept only in the heap would not show)",
                        plural(keys.size(), "channel", "channels"), other);
  }
}

}  // namespace

std::vector<LeakGroup> findLeaks(const Waits& w, const std::vector<const GoroutineWaits*>& which) {
  std::vector<LeakGroup> groups;
  std::unordered_map<std::string, size_t> index;
  // Goroutines without labels that print alike share a signature: it is built once per
  // StackIdentity, not once per goroutine.
  std::unordered_map<StackIdentity, size_t, StackIdentity::Hash> alike;
  auto groupOf = [&](const GoroutineView& v) {
    auto [it, fresh] = index.emplace(signature(v), groups.size());
    if (fresh) groups.emplace_back();
    return it->second;
  };
  for (const GoroutineWaits* gw : which) {
    size_t gi;
    if (!gw->v->labels.empty()) {
      gi = groupOf(*gw->v);
    } else {
      auto [it, fresh] = alike.try_emplace(StackIdentity::of(*gw->v), 0);
      if (fresh) it->second = groupOf(*gw->v);
      gi = it->second;
    }
    LeakGroup& g = groups[gi];
    g.members.push_back(gw);
    if (auto m = gw->v->waitMinutes) {
      g.minMinutes = std::min(g.minMinutes.value_or(*m), *m);
      g.maxMinutes = std::max(g.maxMinutes.value_or(*m), *m);
    }
  }
  std::unordered_set<int64_t> inCycle;
  if (w.deadlock)
    for (const auto& c : w.deadlock->cycles) inCycle.insert(c.begin(), c.end());
  for (LeakGroup& g : groups) {
    judge(g, w);
    bool cycled = std::all_of(g.members.begin(), g.members.end(),
                              [&](const GoroutineWaits* m) { return inCycle.count(m->v->g.goid) > 0; });
    if (!g.leak && cycled) {
      g.leak = true;
      g.why = w.deadlock->proven ? "deadlocked: in a wait-for cycle, and nothing else can run ('go waits' shows it)"
                                 : "in a wait-for cycle: each waits on an object another one holds on its stack "
                                   "('go waits' shows the cycle; a guess)";
    }
  }
  std::stable_sort(groups.begin(), groups.end(), [](const LeakGroup& a, const LeakGroup& b) {
    if (a.leak != b.leak) return a.leak;
    return a.members.size() > b.members.size();
  });
  return groups;
}

}  // namespace goinspect
