// go waits, go chans, go leaks: what blocked goroutines wait on, the channels with waiters,
// and the groups that look leaked; text, JSON and (go waits --dot) Graphviz.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "command_list.h"
#include "command_util.h"
#include "labels.h"
#include "leaks.h"
#include "runtime.h"
#include "waits.h"

namespace goinspect {

using nlohmann::json;

namespace {

constexpr size_t kIdsShown = 10;  // goroutine ids listed inline before "… N more"

std::string ids(const std::vector<int64_t>& v, size_t max = kIdsShown) {
  std::string s;
  for (size_t i = 0; i < v.size() && i < max; i++) s += fmt::format("{}{}", i ? " " : "", v[i]);
  if (v.size() > max) s += fmt::format(" … {} more", v.size() - max);
  return s;
}

std::string count(size_t n, const char* noun) { return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s"); }

std::string ordinal(int n) {
  int k = n % 100;
  const char* suf = (k >= 11 && k <= 13) ? "th" : n % 10 == 1 ? "st" : n % 10 == 2 ? "nd" : n % 10 == 3 ? "rd" : "th";
  return fmt::format("{}{}", n, suf);
}

std::string duration(double s) {
  if (s < 0) return fmt::format("{:.1f}s ago", -s);
  uint64_t t = static_cast<uint64_t>(s);
  if (t >= 3600) return fmt::format("{}h{:02}m{:02}s", t / 3600, t / 60 % 60, t % 60);
  if (t >= 60) return fmt::format("{}m{:02}s", t / 60, t % 60);
  return fmt::format("{:.1f}s", s);
}

std::optional<double> wakesIn(const Waits& w, std::optional<int64_t> when) {
  if (!when || !w.now || *w.now <= 0) return std::nullopt;
  // In double: a when read from a damaged timer may be any int64, and so its distance
  // from now may not fit one.
  return (static_cast<double>(*when) - static_cast<double>(*w.now)) / 1e9;
}

// On a core "now" is the newest time the runtime wrote down, so a wake-up is at most that
// far off; on a live local process it is the clock itself.
const char* bound(const Waits& w) { return w.nowExact ? "" : "≤ "; }

std::string chanShape(const ChanInfo& c) {
  std::string s = fmt::format("chan {}, ", c.elemType);
  s += c.cap ? fmt::format("cap {}, len {}{}", c.cap, c.len, c.len == c.cap ? " (full)" : "") : "unbuffered";
  if (c.closed) s += ", closed";
  return s;
}

const char* syncName(const WaitEntry& e) {
  if (e.kind == "mutex") return "sync.Mutex";
  if (e.kind == "rwmutex") return "sync.RWMutex";
  if (e.kind == "waitgroup") return "sync.WaitGroup";
  if (e.kind == "cond") return "sync.Cond";
  return "semaphore";
}

const SleepQueue* queueOf(const Waits& w, const WaitEntry& e) {
  const auto& m = e.kind == "cond" ? w.notifyLists : w.semas;
  auto it = m.find(e.sema);
  return it == m.end() ? nullptr : &it->second;
}

// ---- text

// One line for what a goroutine waits on; `withPlace`: also its place in the queue.
std::string entryText(const Waits& w, const WaitEntry& e, bool withPlace = true) {
  if (e.kind == "chan") {
    auto it = w.chans.find(e.address);
    if (it == w.chans.end()) return fmt::format("{} chan {:#x}", e.direction, e.address);
    const ChanInfo& c = it->second;
    bool recv = e.direction == "recv";
    const auto& mine = recv ? c.receivers : c.senders;
    const auto& peers = recv ? c.senders : c.receivers;
    std::string s = fmt::format("{} chan {:#x} ({})", recv ? "receive on" : e.direction == "send" ? "send on" : "wait on",
                                e.address, chanShape(c));
    if (e.position >= 0 && withPlace)
      s += fmt::format(": {} of {} ({})", ordinal(e.position + 1), count(mine.size(), recv ? "receiver" : "sender"), ids(mine));
    else if (!mine.empty())
      s += fmt::format(": {} ({})", count(mine.size(), recv ? "receiver" : "sender"), ids(mine));
    s += peers.empty() ? fmt::format("; no {}", recv ? "senders" : "receivers")
                       : fmt::format("; {} ({})", count(peers.size(), recv ? "sender" : "receiver"), ids(peers));
    if (c.timerWhenNs) {
      auto in = wakesIn(w, c.timerWhenNs);
      s += in ? fmt::format("; a timer's channel, fires in {}{}", bound(w), duration(*in)) : "; a timer's channel";
    }
    if (!c.error.empty()) s += fmt::format(" [{}]", c.error);
    return s;
  }
  if (e.kind == "nil-chan")
    return fmt::format("{} on a nil channel: blocked forever", e.direction == "recv" ? "receive" : "send");
  if (e.kind == "select-no-cases") return "select {} with no cases: blocked forever";
  if (e.kind == "mutex" || e.kind == "rwmutex" || e.kind == "waitgroup" || e.kind == "sema" || e.kind == "cond") {
    std::string s = e.address ? fmt::format("{} {:#x}", syncName(e), e.address) : std::string(syncName(e));
    if (!e.side.empty()) s += fmt::format(" ({} side)", e.side);
    if (!e.symbol.empty()) s += fmt::format(" = {}", e.symbol);
    if (e.kind != "sema" && e.kind != "cond" && e.sema) s += fmt::format(", semaphore {:#x}", e.sema);
    if (const SleepQueue* q = queueOf(w, e); q && e.position >= 0 && withPlace)
      s += fmt::format(": {} of {} waiting ({})", ordinal(e.position + 1), q->goids.size(), ids(q->goids));
    else if (const SleepQueue* q = queueOf(w, e))
      s += fmt::format(": {} waiting ({})", q->goids.size(), ids(q->goids));
    return s;
  }
  if (e.kind == "timer") {
    auto in = wakesIn(w, e.whenNs);
    if (in) return fmt::format("timer: wakes in {}{} (when={} ns)", bound(w), duration(*in), *e.whenNs);
    return e.whenNs ? fmt::format("timer: when={} ns", *e.whenNs) : "timer (its time is unreadable)";
  }
  if (e.kind == "netpoll") {
    if (!e.fd) return "network poller (the file descriptor was not found)";
    return fmt::format("network poller: fd {}, waiting to {} (pollDesc {:#x})", *e.fd, e.direction, e.pollDesc);
  }
  if (e.kind == "syscall") {
    std::string t = e.thread ? fmt::format("thread #{}", *e.thread) : "a thread";
    if (e.threadId || e.mId)
      t += fmt::format(" ({}{}{})", e.threadId ? fmt::format("tid {}", *e.threadId) : "",
                       e.threadId && e.mId ? ", " : "", e.mId ? fmt::format("m{}", *e.mId) : "");
    return fmt::format("in a system call on {}: not parked, the OS has it", t);
  }
  return std::string(e.kind);
}

std::string header(const GoroutineView& v) {
  std::string mins = v.waitMinutes && *v.waitMinutes > 0 ? fmt::format(", {} minutes", *v.waitMinutes) : "";
  return fmt::format("goroutine {} [{}{}]: {}", v.g.goid, v.stateText(), mins, locationOf(v));
}

std::string goroutineText(const Waits& w, const GoroutineWaits& gw) {
  std::string s = header(*gw.v) + "\n";
  bool select = !gw.on.empty() && gw.on.front().select;
  for (size_t i = 0; i < gw.on.size(); i++)
    s += fmt::format("    {}{}\n", select ? (i ? "        " : "select: ") : "", entryText(w, gw.on[i]));
  if (!gw.error.empty()) s += fmt::format("    ({})\n", gw.error);
  return s;
}

std::string deadlockText(const Waits& w) {
  if (!w.deadlock) return "Deadlock: none found.\n";
  const Deadlock& d = *w.deadlock;
  std::string s;
  std::string why = d.why.ends_with('!') || d.why.ends_with('.') ? d.why : d.why + ".";
  if (d.allBlocked) s += fmt::format("DEADLOCK{}: {}\n", d.proven ? "" : " (not proven)", why);
  else s += fmt::format("Possible deadlock, {} wait-for cycle{}: {}\n", d.cycles.size(), d.cycles.size() == 1 ? "" : "s", why);
  std::unordered_map<int64_t, const GoroutineWaits*> byId;
  for (const GoroutineWaits& gw : w.goroutines) byId[gw.v->g.goid] = &gw;
  for (size_t k = 0; k < d.cycles.size(); k++) {
    s += fmt::format("  wait-for cycle of {} goroutines ({}):\n", d.cycles[k].size(), d.proven ? "proven" : "a guess");
    for (const WaitLink& l : d.links[k]) {
      auto it = byId.find(l.goid);
      const WaitEntry* e = nullptr;
      if (it != byId.end())
        for (const WaitEntry& x : it->second->on)
          if (x.address == l.object) e = &x;
      s += fmt::format("    goroutine {} waits: {}\n      which goroutine {} holds on its stack\n", l.goid,
                       e ? entryText(w, *e, false) : fmt::format("{:#x}", l.object), l.next);
    }
  }
  return s;
}

std::string summaryLine(const std::vector<const GoroutineWaits*>& shown, size_t systemHidden) {
  std::map<std::string, size_t> by;
  for (const GoroutineWaits* gw : shown) by[gw->v->stateText()]++;
  std::vector<std::pair<std::string, size_t>> v(by.begin(), by.end());
  std::stable_sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.second > b.second; });
  std::string s = fmt::format("{} blocked goroutine{}", shown.size(), shown.size() == 1 ? "" : "s");
  if (systemHidden) s += fmt::format(" (and {} of the runtime's own: --system)", systemHidden);
  for (size_t i = 0; i < v.size(); i++) s += fmt::format("{}{} {}", i ? ", " : ": ", v[i].second, v[i].first);
  return s + "\n";
}

// ---- JSON

// One entry of a goroutine's blocked_on: its place in the queue it waits in and that queue's
// length, never the queue itself, which the answer gives once per object (queuesJson):
// 50,000 goroutines queued on one channel are 50,000 entries, not 50,000 copies of the
// queue.
json entryJson(const Waits& w, const WaitEntry& e) {
  json j = {{"kind", e.kind}};
  if (e.kind == "chan") {
    j["address"] = hex(e.address);
    const std::vector<int64_t>* queue = nullptr;
    if (auto it = w.chans.find(e.address); it != w.chans.end()) {
      const ChanInfo& c = it->second;
      j["elem_type"] = c.elemType;
      j["cap"] = c.cap;
      j["len"] = c.len;
      j["closed"] = c.closed;
      if (c.timerWhenNs) j["timer_when_ns"] = *c.timerWhenNs;
      queue = e.direction == "send" ? &c.senders : e.direction == "recv" ? &c.receivers : nullptr;
    }
    j["direction"] = e.direction.empty() ? json(nullptr) : json(e.direction);
    j["select"] = e.select;
    j["position"] = e.position >= 0 ? json(e.position) : json(nullptr);
    j["queue_length"] = queue ? json(queue->size()) : json(nullptr);
  } else if (e.kind == "nil-chan") {
    j["direction"] = e.direction;
  } else if (e.kind == "mutex" || e.kind == "rwmutex" || e.kind == "waitgroup" || e.kind == "sema") {
    j["address"] = hex(e.address);
    j["sema"] = hex(e.sema);
    if (!e.side.empty()) j["side"] = e.side;
    if (!e.symbol.empty()) j["symbol"] = e.symbol;
    const SleepQueue* q = queueOf(w, e);
    j["position"] = e.position >= 0 ? json(e.position) : json(nullptr);
    j["queue_length"] = q ? q->goids.size() : 0;
  } else if (e.kind == "cond") {
    j["address"] = e.address ? json(hex(e.address)) : json(nullptr);
    j["notify_list"] = e.sema ? json(hex(e.sema)) : json(nullptr);
    const SleepQueue* q = queueOf(w, e);
    j["position"] = e.position >= 0 ? json(e.position) : json(nullptr);
    j["queue_length"] = q ? q->goids.size() : 0;
  } else if (e.kind == "timer") {
    j["when_ns"] = e.whenNs ? json(*e.whenNs) : json(nullptr);
    auto in = wakesIn(w, e.whenNs);
    j["wakes_in_seconds"] = in ? json(*in) : json(nullptr);
  } else if (e.kind == "netpoll") {
    j["fd"] = e.fd ? json(*e.fd) : json(nullptr);
    j["direction"] = e.direction.empty() ? json(nullptr) : json(e.direction);
    j["poll_desc"] = e.pollDesc ? json(hex(e.pollDesc)) : json(nullptr);
  } else if (e.kind == "syscall") {
    j["m"] = e.mId ? json(*e.mId) : json(nullptr);
    j["thread_id"] = e.threadId ? json(*e.threadId) : json(nullptr);
    j["thread"] = e.thread ? json(*e.thread) : json(nullptr);
  }
  return j;
}

// The queues the shown entries wait in, each once: "chans" (address → the channel with its
// senders and receivers in queue order), "semaphores" (semaphore → its sleepers in wake
// order) and "notify_lists" (a Cond's list → its waiters in wake order), keyed as the
// entries name them (address, sema, notify_list).
class Queues {
 public:
  void add(const WaitEntry& e) {
    if (e.kind == "chan") chans_.insert(e.address);
    else if (e.kind == "cond" && e.sema) lists_.insert(e.sema);
    else if (e.kind == "mutex" || e.kind == "rwmutex" || e.kind == "waitgroup" || e.kind == "sema") semas_.insert(e.sema);
  }
  // ,"chans": {...},"semaphores": {...},"notify_lists": {...}: one object per line.
  void write(Out& out, const Waits& w) const {
    auto section = [&](const char* name, const std::set<uint64_t>& keys, auto&& value) {
      out.write(fmt::format(",\n\"{}\": {{", name));
      bool first = true;
      for (uint64_t k : keys) {
        out.write(fmt::format("{}\n{}: {}", first ? "" : ",", jsonText(hex(k)), jsonText(value(k))));
        first = false;
      }
      out.write(first ? "}" : "\n}");
    };
    section("chans", chans_, [&](uint64_t a) {
      auto it = w.chans.find(a);
      if (it == w.chans.end()) return json(nullptr);
      const ChanInfo& c = it->second;
      json j = {{"elem_type", c.elemType}, {"cap", c.cap},         {"len", c.len},
                {"closed", c.closed},      {"senders", c.senders}, {"receivers", c.receivers}};
      if (c.timerWhenNs) j["timer_when_ns"] = *c.timerWhenNs;
      if (!c.error.empty()) j["error"] = c.error;
      return j;
    });
    auto sleepers = [](const std::map<uint64_t, SleepQueue>& m) {
      return [&m](uint64_t a) {
        auto it = m.find(a);
        return it == m.end() ? json::array() : json(it->second.goids);
      };
    };
    section("semaphores", semas_, sleepers(w.semas));
    section("notify_lists", lists_, sleepers(w.notifyLists));
  }

 private:
  std::set<uint64_t> chans_, semas_, lists_;
};

json deadlockJson(const Waits& w) {
  if (!w.deadlock) return nullptr;
  return {{"all_blocked", w.deadlock->allBlocked},
          {"proven", w.deadlock->proven},
          {"cycles", w.deadlock->cycles},
          {"why", w.deadlock->why}};
}

json goroutineWaitsJson(const Waits& w, const GoroutineWaits& gw) {
  const GoroutineView& v = *gw.v;
  json on = json::array();
  for (const WaitEntry& e : gw.on) on.push_back(entryJson(w, e));
  json j = {{"id", v.g.goid},
            {"status", v.status},
            {"wait_reason", v.waitReason.empty() ? json(nullptr) : json(v.waitReason)},
            {"wait_minutes", v.waitMinutes ? json(*v.waitMinutes) : json(nullptr)},
            {"system", v.system},
            {"location", v.firstUserFrame >= 0 ? json(location(v.bt.frames[v.firstUserFrame], false))
                          : v.bt.frames.empty()   ? json(nullptr)
                                                  : json(location(v.bt.frames.front(), false))},
            {"blocked_on", on}};
  if (!gw.error.empty()) j["error"] = gw.error;
  return j;
}

// ---- DOT

std::string dotQuote(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (c == '\n') o += "\\n";
    else o += c;
  }
  return o + "\"";
}

// Goroutines grouped as go leaks groups them, so 10k leaked goroutines are one node; a group
// whose members each wait alone on their own channel points at one node for all of them.
std::string dotGraph(const Waits& w, const std::vector<LeakGroup>& groups) {
  constexpr size_t kCollapse = 4;  // a group waiting on more private objects gets one node for them
  std::set<int64_t> inCycle;
  if (w.deadlock)
    for (const auto& c : w.deadlock->cycles) inCycle.insert(c.begin(), c.end());
  std::string s = "digraph waits {\n  rankdir=LR;\n  node [fontname=\"monospace\", fontsize=10];\n";
  std::map<uint64_t, std::string> objectNodes;  // object address → node name
  std::unordered_map<int64_t, size_t> groupOf;  // goid → group index
  std::string edges;
  for (size_t i = 0; i < groups.size(); i++) {
    const LeakGroup& g = groups[i];
    const GoroutineView& v = g.first();
    for (const GoroutineWaits* m : g.members) groupOf[m->v->g.goid] = i;
    bool cyc = std::any_of(g.members.begin(), g.members.end(), [&](auto* m) { return inCycle.count(m->v->g.goid); });
    std::string label = g.members.size() == 1 ? fmt::format("goroutine {}", v.g.goid)
                                               : fmt::format("{} goroutines", g.members.size());
    label += fmt::format("\n[{}]\n{}", v.stateText(), locationOf(v));
    s += fmt::format("  g{} [shape=box{}{}, label={}];\n", i, g.leak ? ", style=filled, fillcolor=\"#ffd8d8\"" : "",
                     cyc ? ", color=red, penwidth=2" : "", dotQuote(label));
    if (g.leak && g.objects > kCollapse && !g.shared) {
      // Many private objects: one node stands for them all.
      const WaitEntry& e = g.members.front()->on.front();
      size_t waiters = 0;
      std::set<uint64_t> seen;
      for (const GoroutineWaits* m : g.members)
        for (const WaitEntry& x : m->on)
          if (x.kind == "chan" && seen.insert(x.address).second && w.chans.count(x.address))
            waiters += w.chans.at(x.address).senders.size() + w.chans.at(x.address).receivers.size();
      std::string node = fmt::format("p{}", i);
      std::string what = e.kind == "chan" && w.chans.count(e.address)
                             ? fmt::format("{} channels ({})\n{}", g.objects, chanShape(w.chans.at(e.address)),
                                           waiters == g.objects ? "one waiter each" : fmt::format("{} waiters in all", waiters))
                             : fmt::format("{} {} objects", g.objects, e.kind);
      s += fmt::format("  {} [shape=ellipse, label={}];\n", node, dotQuote(what));
      edges += fmt::format("  g{} -> {} [label={}];\n", i, node, dotQuote(std::string(e.direction.empty() ? e.kind : e.direction)));
      continue;
    }
    std::map<std::pair<uint64_t, std::string_view>, std::pair<const WaitEntry*, size_t>> mine;  // (object, how) → (entry, members)
    for (const GoroutineWaits* m : g.members)
      for (const WaitEntry& e : m->on)
        if (e.address) {
          auto& slot = mine[{e.address, e.direction.empty() ? (e.side.empty() ? e.kind : e.side) : e.direction}];
          slot.first = &e;
          slot.second++;
        }
    for (auto& [key, ent] : mine) {
      const WaitEntry& e = *ent.first;
      if (!objectNodes.count(e.address)) {
        std::string node = fmt::format("o{}", objectNodes.size());
        objectNodes[e.address] = node;
        std::string what = e.kind == "chan" && w.chans.count(e.address)
                               ? fmt::format("chan {:#x}\n{}", e.address, chanShape(w.chans.at(e.address)))
                               : fmt::format("{} {:#x}", syncName(e), e.address);
        s += fmt::format("  {} [shape=ellipse, label={}];\n", node, dotQuote(what));
      }
      std::string label(key.second);
      if (g.members.size() > 1) label += fmt::format(" ×{}", ent.second);
      edges += fmt::format("  g{} -> {} [label={}];\n", i, objectNodes[e.address], dotQuote(label));
    }
  }
  // The other half of a wait-for cycle: the goroutine holding what the waiter waits on.
  if (w.deadlock)
    for (const auto& links : w.deadlock->links)
      for (const WaitLink& l : links)
        if (objectNodes.count(l.object) && groupOf.count(l.next))
          edges += fmt::format("  {} -> g{} [style=dashed, color=red, label=\"held by\"];\n", objectNodes[l.object],
                               groupOf[l.next]);
  return s + edges + "}\n";
}

}  // namespace

// ---- commands

const Usage kWaitsUsage = {
    "[ID...]",
    "Every blocked goroutine (or the ones named) and exactly what it waits on, read from the "
    "runtime's own wait structures: the channel (address, element type, len/cap, closed, every "
    "goroutine queued to send or receive and this one's place in the queue; a select lists each "
    "case), the sync.Mutex / RWMutex side / WaitGroup / Cond and every goroutine asleep on it (the "
    "runtime's semaphore table), when a sleeping goroutine wakes, the file descriptor of a network "
    "wait, the thread of a goroutine in a system call.\n"
    "First a summary and the deadlock verdict: whether every goroutine is blocked with nothing left "
    "to wake it (proven, as the runtime's own \"all goroutines are asleep\"), and the wait-for cycles "
    "among goroutines (goroutine A waits on an object only B references, B on one only A references).",
    {{"--system", "", "include the runtime's own goroutines (GC workers, finalizers, ...)"},
     {"--limit", "N", "goroutines shown in text (default 100)"},
     {"--dot", "",
      "Graphviz DOT: goroutines grouped by stack (one node per group, with a count) pointing at the "
      "channels and sync objects they wait on"},
     jsonOption("{\"deadlock\": null or {\"all_blocked\", \"proven\", \"cycles\", \"why\"}, \"goroutines\": "
                "[{\"id\", \"wait_reason\", \"blocked_on\": [{..., \"position\", \"queue_length\"}]}], "
                "and each queue once: \"chans\": {address: {..., \"senders\", \"receivers\"}}, "
                "\"semaphores\": {sema: [ids]}, \"notify_lists\": {notify_list: [ids]}}"),
     outputOption()}};

const Usage kChansUsage = {
    "",
    "One line per channel that has a goroutine waiting to send or receive: address, element type, "
    "len/cap, closed, and the ids of the waiting senders and receivers in queue order.",
    {{"--limit", "N", "channels shown in text (default 50)"},
     jsonOption("{\"chans\": [{\"address\", \"elem_type\", \"cap\", \"len\", \"closed\", \"senders\", "
                "\"receivers\"}]}"),
     outputOption()}};

const Usage kLeaksUsage = {
    "",
    "Blocked user goroutines grouped by everything that makes them alike: every frame, the wait "
    "reason, the go statement that created them and their pprof labels. Each group has its size, the "
    "range of minutes waited, the object its goroutines share or how many distinct ones they wait on, "
    "and a verdict: LEAK when nothing the data shows can wake them (each waits alone on its own "
    "channel, a nil channel, select {}, or the runtime's leak detector said so). Leaked groups "
    "first, then by size.",
    {{"--min", "N", "leave out groups smaller than N (default 1)"},
     {"--limit", "N", "groups shown in text (default 20)"},
     jsonOption("{\"groups\": [{\"count\", \"wait_reason\", \"frames\", \"created_by\", \"labels\", "
                "\"wait_minutes\", \"goroutines\", \"leak\", \"why\", \"shared\", \"objects\"}]}"),
     outputOption()}};

CommandResult cmdWaits(Session& s, const std::vector<std::string>& args) {
  Parsed p = parse(args, kWaitsUsage);
  if (p.has("--dot") && p.has("--json")) throw Error("--dot and --json exclude each other");
  size_t limit = p.has("--limit") ? parseCount(p.get("--limit"), "--limit") : 100;
  const Snapshot& snap = s.snapshot();
  const Waits& w = s.waits();

  std::vector<const GoroutineWaits*> shown;
  size_t systemHidden = 0;
  if (!p.positional.empty()) {
    for (const std::string& id : p.positional) {
      const GoroutineView* v = findGoroutine(snap, id);  // throws on an unknown id
      auto it = std::find_if(w.goroutines.begin(), w.goroutines.end(), [&](auto& gw) { return gw.v == v; });
      if (it == w.goroutines.end())
        throw Error(fmt::format("goroutine {} is not blocked: it is {}", v->g.goid, v->stateText()));
      shown.push_back(&*it);
    }
  } else {
    for (const GoroutineWaits& gw : w.goroutines) {
      if (gw.v->system && !p.has("--system")) systemHidden++;
      else shown.push_back(&gw);
    }
  }

  if (p.has("--dot")) {
    return deliver(p, dotGraph(w, findLeaks(w, shown)), "Graphviz DOT graph");
  }
  if (p.has("--json")) {
    Out out(p);
    out.write(fmt::format("{{\"go_version\": {},\n\"deadlock\": {},\n\"goroutines\": [", jsonText(snap.goVersion),
                          jsonText(deadlockJson(w))));
    Queues queues;
    for (size_t i = 0; i < shown.size(); i++) {
      out.write((i ? ",\n" : "\n") + jsonText(goroutineWaitsJson(w, *shown[i])));
      for (const WaitEntry& e : shown[i]->on) queues.add(e);
    }
    out.write("\n]");
    queues.write(out, w);
    std::vector<std::string> errors = snap.errors;
    errors.insert(errors.end(), w.errors.begin(), w.errors.end());
    if (!errors.empty()) out.write(fmt::format(",\n\"errors\": {}", jsonText(errors)));
    out.write("}\n");
    return out.finish(fmt::format("{} goroutines' waits", shown.size()));
  }

  std::string text;
  if (p.positional.empty()) {
    text += summaryLine(shown, systemHidden);
    text += deadlockText(w);
    text += "\n";
  }
  size_t n = p.positional.empty() ? std::min(limit, shown.size()) : shown.size();
  for (size_t i = 0; i < n; i++) text += goroutineText(w, *shown[i]);
  if (n < shown.size())
    text += fmt::format("... {} more blocked goroutines: --limit N, 'go waits ID', or --json for all\n", shown.size() - n);
  for (const std::string& e : w.errors) text += fmt::format("warning: {}\n", e);
  return deliver(p, text, "waits");
}

CommandResult cmdChans(Session& s, const std::vector<std::string>& args) {
  Parsed p = parse(args, kChansUsage);
  if (!p.positional.empty()) throw Error(fmt::format("go chans: unexpected argument '{}'", p.positional[0]));
  size_t limit = p.has("--limit") ? parseCount(p.get("--limit"), "--limit") : 50;
  const Waits& w = s.waits();
  std::vector<const ChanInfo*> chans;
  for (auto& [addr, c] : w.chans)
    if (!c.senders.empty() || !c.receivers.empty()) chans.push_back(&c);
  std::stable_sort(chans.begin(), chans.end(), [](const ChanInfo* a, const ChanInfo* b) {
    return a->senders.size() + a->receivers.size() > b->senders.size() + b->receivers.size();
  });
  if (p.has("--json")) {
    json arr = json::array();
    for (const ChanInfo* c : chans) {
      json j = {{"address", hex(c->addr)}, {"elem_type", c->elemType}, {"cap", c->cap},       {"len", c->len},
                {"closed", c->closed},     {"senders", c->senders},   {"receivers", c->receivers}};
      if (c->timerWhenNs) j["timer_when_ns"] = *c->timerWhenNs;
      if (!c->error.empty()) j["error"] = c->error;
      arr.push_back(j);
    }
    return deliver(p, dumpJson({{"chans", arr}}), fmt::format("{} channels", chans.size()));
  }
  if (chans.empty()) return deliver(p, "no goroutine is queued on any channel\n", "channels");
  std::vector<std::vector<std::string>> rows = {{"ADDRESS", "ELEMENT", "LEN/CAP", "CLOSED", "SENDERS", "RECEIVERS"}};
  for (size_t i = 0; i < chans.size() && i < limit; i++) {
    const ChanInfo& c = *chans[i];
    auto who = [](const std::vector<int64_t>& v) { return v.empty() ? std::string("-") : fmt::format("{}: {}", v.size(), ids(v, 6)); };
    rows.push_back({hex(c.addr), c.elemType, fmt::format("{}/{}", c.len, c.cap), c.closed ? "closed" : "-",
                    who(c.senders), who(c.receivers)});
  }
  std::string text = fmt::format("{} channel{} with waiting goroutines, most waiters first:\n", chans.size(),
                                 chans.size() == 1 ? "" : "s");
  text += table(rows, {false, false, true, false, false, false});
  if (chans.size() > limit) text += fmt::format("... {} more: --limit N or --json\n", chans.size() - limit);
  return deliver(p, text, "channels");
}

CommandResult cmdLeaks(Session& s, const std::vector<std::string>& args) {
  Parsed p = parse(args, kLeaksUsage);
  if (!p.positional.empty()) throw Error(fmt::format("go leaks: unexpected argument '{}'", p.positional[0]));
  size_t min = p.has("--min") ? parseCount(p.get("--min"), "--min") : 1;
  size_t limit = p.has("--limit") ? parseCount(p.get("--limit"), "--limit") : 20;
  const Waits& w = s.waits();
  std::vector<const GoroutineWaits*> user;
  for (const GoroutineWaits& gw : w.goroutines)
    if (!gw.v->system) user.push_back(&gw);
  std::vector<LeakGroup> all = findLeaks(w, user);
  std::vector<const LeakGroup*> groups;
  for (const LeakGroup& g : all)
    if (g.members.size() >= min) groups.push_back(&g);

  if (p.has("--json")) {
    Out out(p);
    out.write("{\"groups\": [");
    for (size_t i = 0; i < groups.size(); i++) {
      const LeakGroup& g = *groups[i];
      const GoroutineView& v = g.first();
      json frames = json::array();
      for (const Frame& f : v.bt.frames) frames.push_back({{"function", f.function}, {"file", f.file}, {"line", f.line}});
      json labels = json::object();
      for (const auto& [k, val] : v.labels) labels[k] = val;
      std::vector<int64_t> members;
      for (const GoroutineWaits* m : g.members) members.push_back(m->v->g.goid);
      json j = {{"count", g.members.size()},
                {"wait_reason", v.stateText()},
                {"frames", frames},
                {"created_by", v.createdBy ? json({{"function", v.createdBy->function},
                                                    {"file", v.createdBy->file},
                                                    {"line", v.createdBy->line},
                                                    {"goid", v.createdBy->goid}})
                                           : json(nullptr)},
                {"labels", labels},
                {"wait_minutes", g.minMinutes ? json({*g.minMinutes, *g.maxMinutes}) : json(nullptr)},
                {"goroutines", members},
                {"leak", g.leak},
                {"why", g.why.empty() ? json(nullptr) : json(g.why)},
                {"shared", g.shared ? entryJson(w, *g.shared) : json(nullptr)},
                {"objects", g.objects}};
      out.write((i ? ",\n" : "\n") + jsonText(j));
    }
    out.write("\n]}\n");
    return out.finish(fmt::format("{} groups", groups.size()));
  }

  size_t leakGroups = 0, leaked = 0;
  for (const LeakGroup* g : groups)
    if (g->leak) leakGroups++, leaked += g->members.size();
  std::string text = leakGroups ? fmt::format("{} group{} look{} leaked ({} goroutines), of {} groups of blocked goroutines:\n",
                                              leakGroups, leakGroups == 1 ? "" : "s", leakGroups == 1 ? "s" : "", leaked,
                                              groups.size())
                                 : fmt::format("No group looks leaked; {} groups of blocked goroutines, largest first:\n",
                                               groups.size());
  for (size_t i = 0; i < groups.size() && i < limit; i++) {
    const LeakGroup& g = *groups[i];
    const GoroutineView& v = g.first();
    std::string mins;
    if (g.maxMinutes && *g.maxMinutes > 0)
      mins = *g.minMinutes == *g.maxMinutes ? fmt::format(", {} minutes", *g.maxMinutes)
                                            : fmt::format(", {}-{} minutes", *g.minMinutes, *g.maxMinutes);
    std::string labels = v.labels.empty() ? "" : " " + labelsText(v.labels);  // as the runtime prints them
    text += fmt::format("\n{:>6} × [{}{}]{}{}\n", g.members.size(), v.stateText(), mins, labels, g.leak ? "  LEAK" : "");
    if (g.leak) text += fmt::format("         {}\n", g.why);
    if (g.shared) text += fmt::format("         all on: {}\n", entryText(w, *g.shared, false));
    else if (g.objects > 1 && !g.leak) text += fmt::format("         on {} distinct objects\n", g.objects);
    for (const Frame& f : v.bt.frames) text += fmt::format("         {}\n", location(f, true));
    if (v.createdBy)
      text += fmt::format("         created by {} at {}:{}{}\n", v.createdBy->function, shortPath(v.createdBy->file),
                          v.createdBy->line, v.createdBy->goid ? fmt::format(" in goroutine {}", v.createdBy->goid) : "");
    std::vector<int64_t> members;
    for (const GoroutineWaits* m : g.members) members.push_back(m->v->g.goid);
    text += fmt::format("         goroutines: {}\n", ids(members));
  }
  if (groups.size() > limit) text += fmt::format("\n... {} more groups: --limit N, --min N or --json\n", groups.size() - limit);
  return deliver(p, text, "leak report");
}

}  // namespace goinspect
