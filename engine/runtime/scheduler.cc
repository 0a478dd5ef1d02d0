#include "scheduler.h"

#include <fmt/format.h>

#include <unordered_map>
#include <unordered_set>

#include "bounds.h"

namespace goinspect {

namespace {

constexpr uint64_t kRunqLen = 256;          // len(p.runq), fixed since Go 1.4
// runtime.freezeStopWait: a fatal error's freezetheworld sets stopwait to it, and each P it
// stops counts it down by one.
constexpr int64_t kFreezeStopWait = 0x7fffffff;
bool frozen(int64_t stopwait) { return stopwait > kFreezeStopWait - int64_t{bounds::kMaxPs} && stopwait <= kFreezeStopWait; }

const char* pStatusName(uint32_t s) {
  static const char* const names[] = {"idle", "running", "syscall", "gcstop", "dead"};
  return s < 5 ? names[s] : "???";
}

// Goroutine ids by g address, read as they are met: the scheduler's state costs what its Ps
// and Ms hold, not a walk of every goroutine.
class Goids {
 public:
  explicit Goids(Runtime& rt) : rt_(rt) {}
  std::optional<int64_t> operator()(uint64_t gp) {
    const G* g = get(gp);
    return g ? std::optional<int64_t>(g->goid) : std::nullopt;
  }
  const G* get(uint64_t gp) {
    if (!gp) return nullptr;
    auto it = gs_.find(gp);
    if (it == gs_.end()) it = gs_.emplace(gp, rt_.readG(gp, nullptr)).first;
    return it->second ? &*it->second : nullptr;
  }

 private:
  Runtime& rt_;
  std::unordered_map<uint64_t, std::optional<G>> gs_;
};

void readGlobals(Runtime& rt, SchedState* s, Goids& goid) {
  GoProgram& prog = rt.prog();
  const char* T = "runtime.schedt";
  auto sched = prog.global("runtime.sched");
  if (!sched) {
    s->errors.push_back("runtime.sched not found: the global counters are unknown");
    return;
  }
  uint64_t b = *sched;
  s->idleprocs = rt.readInt(b, T, {"npidle"});
  auto mnext = rt.readInt(b, T, {"mnext"}), nmfreed = rt.readInt(b, T, {"nmfreed"});
  if (mnext && nmfreed) s->threads = *mnext - *nmfreed;  // mcount()
  s->spinningthreads = rt.readInt(b, T, {"nmspinning"});
  s->needspinning = rt.readInt(b, T, {"needspinning"});
  s->idlethreads = rt.readInt(b, T, {"nmidle"});
  s->runqueue = rt.readInt(b, T, {"runq.size", "runqsize"});
  s->nmidlelocked = rt.readInt(b, T, {"nmidlelocked"});
  s->stopwait = rt.readInt(b, T, {"stopwait"});
  if (auto v = rt.readInt(b, T, {"gcwaiting"})) s->gcwaiting = *v != 0;
  if (auto v = rt.readInt(b, T, {"sysmonwait"})) s->sysmonwait = *v != 0;

  // The global run queue: a list through g.schedlink, head first.
  auto head = prog.offOpt(T, "runq.head");
  auto link = prog.offOpt("runtime.g", "schedlink");
  if (head && link) {
    std::unordered_set<uint64_t> seen;
    uint64_t gp = rt.mem().u64(b + *head).value_or(0);
    while (gp && seen.size() < bounds::kMaxGlobalRunq && seen.insert(gp).second) {
      if (auto id = goid(gp)) s->runqGoroutines.push_back(*id);
      gp = rt.mem().u64(gp + *link).value_or(0);
    }
  }
  if (auto a = prog.global("runtime.gcphase"))
    if (auto v = rt.mem().u32(*a)) s->gcphase = *v;
}

// Consecutive allp entries that are not Ps, said as one error line per run of one reason.
class BadRuns {
 public:
  struct Why {
    const char* one;   // "is nil or unreadable"
    const char* many;  // "are nil or unreadable"
  };
  explicit BadRuns(std::vector<std::string>& errors) : errors_(errors) {}
  void add(uint64_t i, const Why& why) {
    if (n_ && (why_ != &why || first_ + n_ != i)) good();
    if (!n_) first_ = i, why_ = &why;
    n_++;
  }
  void good() {
    if (n_ && lines_ >= kMaxLines) dropped_ += n_;
    else if (n_ == 1) errors_.push_back(fmt::format("allp[{}] {}", first_, why_->one));
    else if (n_) errors_.push_back(fmt::format("allp[{}] to allp[{}] ({} entries) {}", first_, first_ + n_ - 1, n_, why_->many));
    lines_ += n_ ? 1 : 0;
    n_ = 0;
  }
  void finish() {
    good();
    if (dropped_) errors_.push_back(fmt::format("and {} more allp entries that are not Ps", dropped_));
  }

 private:
  std::vector<std::string>& errors_;
  static constexpr int kMaxLines = 8;
  uint64_t first_ = 0, n_ = 0, dropped_ = 0;
  int lines_ = 0;
  const Why* why_ = nullptr;
};

void readPs(Runtime& rt, SchedState* s, Goids& goid) {
  GoProgram& prog = rt.prog();
  Memory& mem = rt.mem();
  const char* T = "runtime.p";
  auto allp = prog.global("runtime.allp");
  if (!allp) {
    s->errors.push_back("runtime.allp not found: no P can be shown");
    return;
  }
  auto ptr = mem.u64(*allp), len = mem.u64(*allp + 8);
  if (!ptr || !len || *len > bounds::kMaxPs) {
    s->errors.push_back(fmt::format("cannot read runtime.allp at {:#x}", *allp));
    return;
  }
  auto runq = prog.offOpt(T, "runq"), runnext = prog.offOpt(T, "runnext");
  auto timers = prog.offOpt(T, {"timers.heap", "timers"});  // a slice: its len is word 1
  auto mId = prog.offOpt("runtime.m", "id");
  // Entries that are not Ps, in runs of one kind: a damaged allp's length can say a hundred
  // thousand, and the user needs one line per run, not one per entry.
  static const BadRuns::Why kNil{"is nil or unreadable", "are nil or unreadable"},
      kUnreadable{"points to unreadable memory", "point to unreadable memory"},
      kNotP{"is not a P (its id is not its index)", "are not Ps (their ids are not their indexes)"};
  BadRuns bad(s->errors);
  for (uint64_t i = 0; i < *len; i++) {
    auto pp = mem.u64(*ptr + 8 * i);
    if (!pp || !*pp) {
      bad.add(i, kNil);
      continue;
    }
    PState p;
    p.addr = *pp;
    auto id = rt.readInt(*pp, T, {"id"});
    auto status = rt.readInt(*pp, T, {"status"});
    if (!id || !status) {
      bad.add(i, kUnreadable);
      continue;
    }
    // procresize (runtime/proc.go) publishes allp[i] only after pp.init(i) set its id to i.
    if (*id < 0 || static_cast<uint64_t>(*id) != i) {
      bad.add(i, kNotP);
      continue;
    }
    bad.good();
    p.id = static_cast<int32_t>(*id);
    p.status = static_cast<uint32_t>(*status);
    p.statusName = pStatusName(p.status);
    p.schedtick = static_cast<uint32_t>(rt.readInt(*pp, T, {"schedtick"}).value_or(0));
    p.syscalltick = static_cast<uint32_t>(rt.readInt(*pp, T, {"syscalltick"}).value_or(0));
    if (auto mp = rt.readInt(*pp, T, {"m"}); mp && *mp && mId)
      if (auto m = mem.u64(static_cast<uint64_t>(*mp) + *mId)) p.m = static_cast<int64_t>(*m);
    auto h = rt.readInt(*pp, T, {"runqhead"}), t = rt.readInt(*pp, T, {"runqtail"});
    if (h && t) {
      // runqtail - runqhead counts the slots in use (uint32 arithmetic, as runqput's), never
      // more than the 256 there are: a count past that is not a queue, and is not walked.
      p.runqsize = static_cast<uint32_t>(*t) - static_cast<uint32_t>(*h);
      if (p.runqsize > kRunqLen)
        s->errors.push_back(fmt::format("P {} (allp[{}]): its run queue's head {} and tail {} say {} goroutines, "
                                        "more than its {} slots",
                                        p.id, i, *h, *t, p.runqsize, kRunqLen));
      for (uint32_t k = 0; runq && p.runqsize <= kRunqLen && k < p.runqsize; k++)
        if (auto gp = mem.u64(*pp + *runq + 8 * ((static_cast<uint32_t>(*h) + k) % kRunqLen)))
          if (auto g = goid(*gp)) p.runq.push_back(*g);
    }
    if (runnext)
      if (auto gp = mem.u64(*pp + *runnext); gp && *gp) p.runnext = goid(*gp);
    p.gfreecnt = rt.readInt(*pp, T, {"gFree.size", "gFree.n"});
    if (timers)
      if (auto n = mem.u64(*pp + *timers + 8)) p.timerslen = static_cast<int64_t>(*n);
    s->ps.push_back(std::move(p));
  }
  bad.finish();
}

void readMs(Runtime& rt, SchedState* s, Goids& goid, const std::vector<ThreadInfo>& threads) {
  const char* T = "runtime.m";
  std::unordered_map<uint64_t, uint32_t> threadOf;
  for (const ThreadInfo& t : threads) threadOf.emplace(t.tid, t.index);
  std::unordered_map<uint64_t, int32_t> pId;
  for (const PState& p : s->ps) pId.emplace(p.addr, p.id);
  auto preemptoff = rt.prog().offOpt(T, "preemptoff");

  for (const M& m : rt.allms()) {
    MState ms;
    ms.m = m;
    if (auto it = threadOf.find(m.procid); it != threadOf.end()) ms.threadIndex = it->second;
    if (m.p) {
      if (auto it = pId.find(m.p); it != pId.end()) ms.p = it->second;
      else if (auto id = rt.readInt(m.p, "runtime.p", {"id"})) ms.p = static_cast<int32_t>(*id);
    }
    ms.curg = goid(m.curg);
    ms.lockedg = goid(m.lockedg);
    ms.mallocing = rt.readInt(m.addr, T, {"mallocing"});
    ms.throwing = rt.readInt(m.addr, T, {"throwing"});
    ms.locks = rt.readInt(m.addr, T, {"locks"});
    ms.dying = rt.readInt(m.addr, T, {"dying"});
    if (preemptoff) ms.preemptoff = rt.mem().goString(m.addr + *preemptoff, bounds::kMaxRuntimeString);
    ms.spinning = rt.readInt(m.addr, T, {"spinning"}).value_or(0) != 0;
    ms.blocked = rt.readInt(m.addr, T, {"blocked"}).value_or(0) != 0;
    ms.incgo = rt.readInt(m.addr, T, {"incgo"}).value_or(0) != 0;
    ms.isextra = rt.readInt(m.addr, T, {"isextra"}).value_or(0) != 0;
    if (const G* g = goid.get(m.curg)) {
      ms.inSyscall = g->status == kGsyscall;
      ms.curgDead = rt.isDead(g->status);
    }
    s->ms.push_back(std::move(ms));
  }
}

}  // namespace

std::string SchedState::gcPhaseName() const {
  if (!gcphase) return "unknown";
  switch (*gcphase) {
    case 0: return "off";
    case 1: return "mark";
    case 2: return "mark termination";
  }
  return fmt::format("phase {}", *gcphase);
}

std::optional<bool> SchedState::worldStopped() const {
  if (!gcwaiting || !stopwait) return std::nullopt;
  return *gcwaiting && (*stopwait == 0 || frozen(*stopwait));
}

std::string SchedState::worldText() const {
  if (!gcwaiting || !stopwait) return "unknown";
  if (!*gcwaiting) return "running";
  if (frozen(*stopwait)) return "frozen by a fatal error";
  if (*stopwait == 0) return "stopped";
  return fmt::format("stopping ({} Ps left)", *stopwait);
}

SchedState readSched(Runtime& rt, const std::vector<ThreadInfo>& threads) {
  SchedState s;
  Goids goid(rt);
  s.gomaxprocs = rt.gomaxprocs();
  readGlobals(rt, &s, goid);
  readPs(rt, &s, goid);
  readMs(rt, &s, goid, threads);
  return s;
}

}  // namespace goinspect
