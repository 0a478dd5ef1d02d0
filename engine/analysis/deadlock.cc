#include "deadlock.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "fatal.h"
#include "bounds.h"
#include "runtime.h"

namespace goinspect {

namespace {

bool wakeable(const WaitEntry& e) {
  return e.kind == "chan" || e.kind == "mutex" || e.kind == "rwmutex" || e.kind == "waitgroup" ||
         e.kind == "cond" || e.kind == "sema";
}

// Waits that only something outside the goroutines can end: a timer, the network, the OS.
bool external(const WaitEntry& e) { return e.kind == "timer" || e.kind == "netpoll" || e.kind == "syscall"; }

// Timers pending on any P: one may fire and wake a goroutine (checkdead's "there are
// timers" case). nullopt when the layout does not say where they are.
std::optional<size_t> pendingTimers(Runtime& rt) {
  GoProgram& prog = rt.prog();
  Memory& mem = rt.mem();
  auto allp = prog.global("runtime.allp");
  // p.timers.heap since Go 1.23; before, p.timers itself was the slice of *timer.
  auto heap = prog.offOpt("runtime.p", {"timers.heap", "timers"});
  if (!allp || !heap) return std::nullopt;
  auto ptr = mem.u64(*allp), len = mem.u64(*allp + 8);
  if (!ptr || !len || *len > bounds::kMaxPs) return std::nullopt;
  size_t n = 0;
  for (uint64_t i = 0; i < *len; i++) {
    auto pp = mem.u64(*ptr + 8 * i);
    if (!pp) return std::nullopt;
    if (*pp) n += mem.u64(*pp + *heap + 8).value_or(0);
  }
  return n;
}

// A directed graph as flat arrays (compressed rows): a million goroutines with an edge or
// two each, and no vector per node.
struct Graph {
  std::vector<size_t> start;  // node i's edges are to[start[i] .. start[i + 1])
  std::vector<size_t> to;
  size_t size() const { return start.empty() ? 0 : start.size() - 1; }
  const size_t* begin(size_t i) const { return to.data() + start[i]; }
  const size_t* end(size_t i) const { return to.data() + start[i + 1]; }
  size_t degree(size_t i) const { return start[i + 1] - start[i]; }
  size_t at(size_t i, size_t k) const { return to[start[i] + k]; }

  // From (from, to) pairs in any order; a node's edges keep the pairs' order.
  static Graph of(size_t nodes, const std::vector<std::pair<size_t, size_t>>& pairs) {
    Graph g;
    g.start.assign(nodes + 1, 0);
    for (auto& [f, t] : pairs) g.start[f + 1]++;
    for (size_t i = 0; i < nodes; i++) g.start[i + 1] += g.start[i];
    g.to.resize(pairs.size());
    std::vector<size_t> fill(g.start.begin(), g.start.end() - 1);
    for (auto& [f, t] : pairs) g.to[fill[f]++] = t;
    return g;
  }
};

// Strongly connected components of size ≥ 2 (Tarjan's, iterative).
std::vector<std::vector<size_t>> cycles(const Graph& edges) {
  size_t n = edges.size(), counter = 0;
  std::vector<size_t> index(n, SIZE_MAX), low(n, 0);
  std::vector<bool> onStack(n, false);
  std::vector<size_t> stack;
  std::vector<std::vector<size_t>> out;
  for (size_t root = 0; root < n; root++) {
    if (index[root] != SIZE_MAX) continue;
    std::vector<std::pair<size_t, size_t>> work{{root, 0}};  // (node, next edge)
    while (!work.empty()) {
      auto& [v, e] = work.back();
      if (e == 0 && index[v] == SIZE_MAX) {
        index[v] = low[v] = counter++;
        stack.push_back(v);
        onStack[v] = true;
      }
      if (e < edges.degree(v)) {
        size_t u = edges.at(v, e++);
        if (index[u] == SIZE_MAX) work.push_back({u, 0});
        else if (onStack[u]) low[v] = std::min(low[v], index[u]);
        continue;
      }
      if (low[v] == index[v]) {
        std::vector<size_t> scc;
        size_t u;
        do {
          u = stack.back();
          stack.pop_back();
          onStack[u] = false;
          scc.push_back(u);
        } while (u != v);
        if (scc.size() >= 2) out.push_back(std::move(scc));
      }
      size_t done = v;
      work.pop_back();
      if (!work.empty()) low[work.back().first] = std::min(low[work.back().first], low[done]);
    }
  }
  return out;
}

}  // namespace

std::optional<Deadlock> findDeadlock(Runtime& rt, const Snapshot& snap, const Waits& w) {
  Deadlock d;
  // Blocked user goroutines and what they wait on.
  std::vector<const GoroutineWaits*> blocked;
  blocked.reserve(w.goroutines.size());
  bool anyExternal = false;
  for (const GoroutineWaits& gw : w.goroutines) {
    if (gw.v->system) continue;
    blocked.push_back(&gw);
    for (const WaitEntry& e : gw.on) anyExternal |= external(e) || (e.kind == "chan" && w.chans.count(e.address) &&
                                                                    w.chans.at(e.address).timerWhenNs);
  }
  size_t user = std::count_if(snap.goroutines.begin(), snap.goroutines.end(),
                              [](const GoroutineView& v) { return !v.system; });
  auto fatal = findFatal(rt, snap);
  bool runtimeSaidSo = fatal && fatal->message && fatal->message->find("all goroutines are asleep") != std::string::npos;
  if (runtimeSaidSo) {
    d.allBlocked = d.proven = true;
    d.why = "the runtime said so: fatal error: " + *fatal->message;
  } else if (!blocked.empty() && blocked.size() == user && !anyExternal) {
    auto timers = pendingTimers(rt);
    if (timers && *timers == 0) {
      d.allBlocked = d.proven = true;
      d.why = "every goroutine is blocked on a channel or sync object; none runs, sleeps, waits for I/O or is in "
              "a system call, and no timer is pending: nothing is left to wake any of them";
    } else if (timers) {
      d.allBlocked = true;
      d.why = fmt::format("every goroutine is blocked on a channel or sync object, but {} timer(s) are pending and "
                          "one may still wake something",
                          *timers);
    }
  }

  // A graph of goroutines (nodes 0..n) and the objects they wait on (nodes n..): an edge
  // from a goroutine to each object it waits on, and from an object to each other blocked
  // goroutine that references it without waiting on it (Waits::referrers). Linear in the
  // references, however many goroutines share one object.
  size_t n = blocked.size();
  std::unordered_map<uint64_t, size_t> objectNode;
  std::vector<uint64_t> objectAt(n, 0);  // node → object address (0 for goroutines)
  std::vector<std::pair<size_t, size_t>> pairs;
  pairs.reserve(w.entries.size());
  for (size_t i = 0; i < n; i++)
    for (const WaitEntry& e : blocked[i]->on)
      if (wakeable(e) && e.address) {
        auto [it, fresh] = objectNode.emplace(e.address, objectAt.size());
        if (fresh) objectAt.push_back(e.address);
        pairs.push_back({i, it->second});
      }
  // blocked is in goroutine id order (the snapshot's): a referrer's node by binary search.
  auto indexOf = [&](int64_t id) -> std::optional<size_t> {
    auto it = std::lower_bound(blocked.begin(), blocked.end(), id,
                               [](const GoroutineWaits* gw, int64_t x) { return gw->v->g.goid < x; });
    if (it == blocked.end() || (*it)->v->g.goid != id) return std::nullopt;
    return static_cast<size_t>(it - blocked.begin());
  };
  // Objects in node order, so that each object's edges come out the same in every run.
  for (size_t node = n; node < objectAt.size(); node++)
    if (auto it = w.referrers.find(objectAt[node]); it != w.referrers.end())
      for (int64_t id : it->second)
        if (auto y = indexOf(id)) pairs.push_back({node, *y});
  Graph edges = Graph::of(objectAt.size(), pairs);
  pairs = {};
  std::vector<std::pair<std::vector<int64_t>, std::vector<WaitLink>>> found;
  for (auto& scc : cycles(edges)) {
    std::unordered_set<size_t> members(scc.begin(), scc.end());
    std::vector<int64_t> ids;
    std::vector<WaitLink> links;
    for (size_t i : scc) {
      if (i >= n) continue;
      ids.push_back(blocked[i]->v->g.goid);
      // The step that keeps i in the cycle: an object it waits on that a member references.
      for (const size_t* oi = edges.begin(i); oi != edges.end(i); oi++) {
        size_t o = *oi;
        if (!members.count(o)) continue;
        auto y = std::find_if(edges.begin(o), edges.end(o), [&](size_t k) { return members.count(k) > 0; });
        if (y == edges.end(o)) continue;
        links.push_back({blocked[i]->v->g.goid, objectAt[o], blocked[*y]->v->g.goid});
        break;
      }
    }
    if (ids.size() < 2) continue;
    std::sort(ids.begin(), ids.end());
    std::sort(links.begin(), links.end(), [](const WaitLink& a, const WaitLink& b) { return a.goid < b.goid; });
    found.push_back({std::move(ids), std::move(links)});
  }
  std::sort(found.begin(), found.end(), [](auto& a, auto& b) { return a.first < b.first; });
  for (auto& [ids, links] : found) {
    d.cycles.push_back(std::move(ids));
    d.links.push_back(std::move(links));
  }
  if (!d.allBlocked && d.cycles.empty()) return std::nullopt;
  if (!d.allBlocked)
    d.why = "a guess from stack references: each goroutine of a cycle waits on an object that another one of "
            "it holds on its stack (a lock it took, a channel it would use), while a reference kept elsewhere "
            "(the heap, a running goroutine) could still wake them";
  return d;
}

}  // namespace goinspect
