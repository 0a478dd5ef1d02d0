#include "runtime.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <unordered_set>

#include "bounds.h"

namespace goinspect {

namespace {
constexpr uint32_t kGscan = 0x1000;  // runtime._Gscan
}  // namespace

Runtime::Runtime(GoProgram& prog, Memory& mem) : prog_(prog), mem_(mem) {
  const char* T = "runtime.g";
  gSize_ = prog.sizeOf(T);
  go_.goid = prog.off(T, "goid");
  go_.status = prog.off(T, "atomicstatus");
  go_.waitreason = prog.off(T, "waitreason");
  go_.waitsince = prog.off(T, "waitsince");
  go_.stackLo = prog.off(T, "stack.lo");
  go_.stackHi = prog.off(T, "stack.hi");
  go_.stackguard0 = prog.off(T, "stackguard0");
  go_.schedSp = prog.off(T, "sched.sp");
  go_.schedPc = prog.off(T, "sched.pc");
  go_.schedBp = prog.off(T, "sched.bp");
  go_.syscallsp = prog.off(T, "syscallsp");
  go_.syscallpc = prog.off(T, "syscallpc");
  go_.m = prog.off(T, "m");
  go_.lockedm = prog.off(T, "lockedm");
  go_.gopc = prog.off(T, "gopc");
  go_.startpc = prog.off(T, "startpc");
  go_.syscallbp = prog.offOpt(T, "syscallbp");
  go_.parentGoid = prog.offOpt(T, "parentGoid");
  go_.panicp = prog.offOpt(T, "_panic");
  go_.deferp = prog.offOpt(T, "_defer");
  go_.labels = prog.offOpt(T, "labels");

  const Layouts& lay = prog.layouts();
  if (auto c = lay.constant("runtime._Gdead")) dead_ = static_cast<uint32_t>(*c);
  if (auto c = lay.constant("runtime._Gdeadextra")) deadextra_ = static_cast<uint32_t>(*c);
  if (auto c = lay.constant("runtime._Gleaked")) leaked_ = static_cast<uint32_t>(*c);
}

void Runtime::checkTableLayouts() {
  auto fail = [&](const std::string& what) {
    throw Error(fmt::format("the {} does not fit this binary ({}); its layouts cannot be trusted",
                            prog_.layouts().source(), what));
  };
  std::vector<uint64_t> gs = allgs();
  if (gs.empty()) fail("runtime.allgs is empty");
  std::string err;
  auto g = readG(gs[0], &err);
  if (!g) fail(err);
  // allgs[0] is the main goroutine: goid 1, a power-of-two stack holding its saved sp.
  uint64_t size = g->stackHi - g->stackLo;
  if (g->goid != 1) fail(fmt::format("the first goroutine reads as goid {}", g->goid));
  if (g->status > 16) fail(fmt::format("goroutine 1 reads as status {}", g->status));
  if (g->stackHi <= g->stackLo || (size & (size - 1)) || size > (1ull << 40))
    fail(fmt::format("goroutine 1's stack reads as [{:#x}, {:#x})", g->stackLo, g->stackHi));
  if (g->status != kGrunning && g->sched.sp && (g->sched.sp < g->stackLo || g->sched.sp > g->stackHi))
    fail(fmt::format("goroutine 1's saved sp {:#x} is outside its stack", g->sched.sp));
  // It was started at runtime.main by a go statement in Go code (rt0_go).
  if (g->startpc != prog_.funcAddr("runtime.main"))
    fail(fmt::format("goroutine 1's start pc {:#x} is not runtime.main", g->startpc));
  if (!prog_.findFunc(g->gopc)) fail(fmt::format("goroutine 1's creation pc {:#x} is not in Go code", g->gopc));
  // Every M's g0 is a goid-0 g with a stack (none yet for a cgo extra M's, made for C
  // threads that have not called into Go), and its curg (if any) is in allgs.
  std::unordered_set<uint64_t> known(gs.begin(), gs.end());
  for (const M& m : allms()) {
    auto g0 = readG(m.g0, &err);
    bool noStack = g0 && g0->stackHi == 0 && g0->stackLo == 0;
    if (!g0 || g0->goid != 0 || (g0->stackHi <= g0->stackLo && !noStack))
      fail(fmt::format("m{}'s g0 at {:#x} does not read as a system goroutine", m.id, m.g0));
    if (m.curg && !known.count(m.curg)) fail(fmt::format("m{}'s curg {:#x} is not in allgs", m.id, m.curg));
  }
  if (allms().empty()) fail("runtime.allm lists no M");
}

void Runtime::clearCaches() {
  ms_.reset();
  msByAddr_.clear();
  msIndexed_ = false;
  statusStrings_.reset();
  waitStrings_.reset();
}

std::vector<uint64_t> Runtime::allgs() {
  auto sym = prog_.global("runtime.allgs");
  if (!sym) throw Error("cannot find runtime.allgs (the goroutine list) in this binary");
  auto ptr = mem_.u64(*sym);
  auto len = mem_.u64(*sym + 8);
  if (!ptr || !len) throw Error(fmt::format("cannot read runtime.allgs at {:#x}", *sym));
  // allglen is what the runtime itself trusts; allgs may have grown past it mid-append.
  if (auto lenSym = prog_.global("runtime.allglen"))
    if (auto l = mem_.u64(*lenSym); l && *l <= *len) len = l;
  if (*len > bounds::kMaxGoroutines)
    throw Error(fmt::format("runtime.allgs has an implausible length {}", *len));
  // A block at a time: what is allocated follows what the target really holds, not what a
  // corrupt allglen claims.
  constexpr uint64_t kBlock = 1 << 16;
  std::vector<uint64_t> out;
  for (uint64_t i = 0; i < *len; i += kBlock) {
    uint64_t n = std::min(kBlock, *len - i);
    out.resize(i + n);
    if (!mem_.read(*ptr + 8 * i, out.data() + i, n * 8))
      throw Error(fmt::format("cannot read the {} entries of runtime.allgs at {:#x}", *len, *ptr));
  }
  return out;
}

bool Runtime::deadG(uint64_t gp, Memory& mem) const {
  auto st = gp ? mem.u32(gp + go_.status) : std::nullopt;
  return st && isDead(*st & ~kGscan);
}

std::optional<G> Runtime::readG(uint64_t gp, std::string* err, Memory& mem) const {
  // The g's bytes where they lie (a mapped core: only the fields' cache lines are touched),
  // else a copy; no allocation either way (a million gs are read).
  std::array<uint8_t, 2048> local;
  std::vector<uint8_t> big;
  const uint8_t* bytes = gp ? mem.target().inPlace(gp, gSize_) : nullptr;
  if (!bytes && gp) {
    uint8_t* into = gSize_ <= local.size() ? local.data() : (big.resize(gSize_), big.data());
    if (mem.read(gp, into, gSize_)) bytes = into;
  }
  if (!bytes) {
    if (err) *err = fmt::format("cannot read g at {:#x}", gp);
    return std::nullopt;
  }
  auto at = [&](auto& v, uint64_t off) {
    if (off + sizeof v <= gSize_) std::memcpy(&v, bytes + off, sizeof v);
  };
  G g;
  g.addr = gp;
  at(g.goid, go_.goid);
  uint32_t st = 0;
  at(st, go_.status);
  g.scan = st & kGscan;
  g.status = st & ~kGscan;
  at(g.waitreason, go_.waitreason);
  at(g.waitsince, go_.waitsince);
  at(g.stackLo, go_.stackLo);
  at(g.stackHi, go_.stackHi);
  at(g.stackguard0, go_.stackguard0);
  at(g.sched.sp, go_.schedSp);
  at(g.sched.pc, go_.schedPc);
  at(g.sched.bp, go_.schedBp);
  at(g.syscallsp, go_.syscallsp);
  at(g.syscallpc, go_.syscallpc);
  if (go_.syscallbp) at(g.syscallbp, *go_.syscallbp);
  at(g.m, go_.m);
  at(g.lockedm, go_.lockedm);
  at(g.gopc, go_.gopc);
  at(g.startpc, go_.startpc);
  if (go_.parentGoid) at(g.parentGoid, *go_.parentGoid);
  if (go_.panicp) at(g.panicp, *go_.panicp);
  if (go_.deferp) at(g.deferp, *go_.deferp);
  if (go_.labels) at(g.labels, *go_.labels);
  if (g.status > 64 || g.goid < 0) {
    if (err) *err = fmt::format("g at {:#x} looks corrupt (status {}, goid {})", gp, st, g.goid);
    return std::nullopt;
  }
  // Every size and depth the engine computes from a stack starts here: bounds that are not
  // a stack make the g corrupt, not its stack a 2^64-byte one.
  if (g.stackHi < g.stackLo || g.stackHi - g.stackLo > bounds::kMaxStackBytes) {
    if (err) *err = fmt::format("g at {:#x} looks corrupt (stack [{:#x}, {:#x}))", gp, g.stackLo, g.stackHi);
    return std::nullopt;
  }
  return g;
}

const std::vector<M>& Runtime::allms() {
  if (ms_) return *ms_;
  ms_.emplace();
  auto head = prog_.global("runtime.allm");
  if (!head) return *ms_;
  const char* T = "runtime.m";
  uint64_t oId = prog_.off(T, "id"), oProc = prog_.off(T, "procid"), oCurg = prog_.off(T, "curg"),
           oG0 = prog_.off(T, "g0"), oSig = prog_.off(T, "gsignal"), oLocked = prog_.off(T, "lockedg"),
           oP = prog_.off(T, "p"), oNext = prog_.off(T, "alllink");
  std::unordered_set<uint64_t> seen;
  uint64_t mp = mem_.u64(*head).value_or(0);
  while (mp && ms_->size() < bounds::kMaxMs && seen.insert(mp).second) {
    M m;
    m.addr = mp;
    m.id = static_cast<int64_t>(mem_.u64(mp + oId).value_or(0));
    m.procid = mem_.u64(mp + oProc).value_or(0);
    m.curg = mem_.u64(mp + oCurg).value_or(0);
    m.g0 = mem_.u64(mp + oG0).value_or(0);
    m.gsignal = mem_.u64(mp + oSig).value_or(0);
    m.lockedg = mem_.u64(mp + oLocked).value_or(0);
    m.p = mem_.u64(mp + oP).value_or(0);
    ms_->push_back(m);
    auto next = mem_.u64(mp + oNext);
    if (!next) break;
    mp = *next;
  }
  return *ms_;
}

void Runtime::prepareForThreads() {
  statusName(0);
  waitReasonString(0);
  mByAddr(0);
}

const M* Runtime::mByAddr(uint64_t addr) {
  // Called once per goroutine: an index, not a scan of every M.
  const std::vector<M>& ms = allms();
  if (!msIndexed_) {  // once per stop: later calls only read (several threads may call)
    msByAddr_.clear();
    for (size_t i = 0; i < ms.size(); i++) msByAddr_.emplace(ms[i].addr, i);
    msIndexed_ = true;
  }
  auto it = msByAddr_.find(addr);
  return it == msByAddr_.end() ? nullptr : &ms[it->second];
}

std::vector<std::string> Runtime::readStringArray(const std::string& sym) {
  std::vector<std::string> out;
  auto a = prog_.global(sym);
  auto size = prog_.globalSize(sym);
  if (!a || !size || *size % 16 || *size / 16 > bounds::kMaxRuntimeStrings) return out;
  for (uint64_t i = 0; i < *size / 16; i++)
    out.push_back(mem_.goString(*a + 16 * i, bounds::kMaxRuntimeString).value_or(""));
  return out;
}

std::string_view Runtime::statusName(uint32_t status) {
  if (!statusStrings_) {
    std::vector<std::string> words = readStringArray("runtime.gStatusStrings");
    // Where the binary does not say, the status constants' own names do ("_Gwaiting").
    if (words.empty()) {
      for (const char* n : {"idle", "runnable", "running", "syscall", "waiting", "moribund_unused",
                            "dead", "enqueue_unused", "copystack", "preempted", "leaked"}) {
        std::string cname = std::string("runtime._G") + n;
        if (auto c = prog_.layouts().constant(cname); c && *c >= 0 && *c < 64) {
          if (words.size() <= static_cast<size_t>(*c)) words.resize(*c + 1);
          words[*c] = n;
        }
      }
    }
    statusStrings_.emplace();
    for (size_t i = 0; i < words.size(); i++) {
      if (words[i] == "leaked" && leaked_ == ~0u) leaked_ = static_cast<uint32_t>(i);
      if (words[i] == "waiting for cgo callback" && deadextra_ == ~0u) deadextra_ = static_cast<uint32_t>(i);
      statusStrings_->push_back(intern(std::move(words[i])));
    }
  }
  if (status < statusStrings_->size() && !(*statusStrings_)[status].empty()) return (*statusStrings_)[status];
  return "???";
}

std::string_view Runtime::waitReasonString(uint8_t reason) {
  if (!waitStrings_) {
    waitStrings_.emplace();
    for (std::string& w : readStringArray("runtime.waitReasonStrings")) waitStrings_->push_back(intern(std::move(w)));
  }
  if (reason < waitStrings_->size()) return (*waitStrings_)[reason];
  return intern(fmt::format("wait reason {}", reason));
}

bool Runtime::isDead(uint32_t status) const {
  return status == dead_ || status == deadextra_;
}

std::optional<int64_t> Runtime::readInt(uint64_t base, std::string_view type,
                                        std::initializer_list<std::string_view> paths) {
  for (auto path : paths) {
    auto f = prog_.layouts().field(type, path);
    if (!f) continue;
    uint64_t v = 0;
    if (f->size == 0 || f->size > 8 || !mem_.read(base + f->offset, &v, f->size)) return std::nullopt;
    // int32, atomic.Int32 and the like are signed; uint32, bool, uintptr are not.
    bool isSigned = f->type.starts_with("int") || f->type.find(".Int") != std::string::npos;
    if (isSigned && f->size < 8 && (v >> (8 * f->size - 1)) & 1) v |= ~0ull << (8 * f->size);
    return static_cast<int64_t>(v);
  }
  return std::nullopt;
}

std::optional<int64_t> Runtime::gomaxprocs() {
  auto a = prog_.global("runtime.gomaxprocs");
  // Without the symbol (stripped): procresize keeps len(allp) == gomaxprocs.
  if (!a) {
    size_t n = numPs();
    return n ? std::optional<int64_t>(static_cast<int64_t>(n)) : std::nullopt;
  }
  auto v = mem_.u32(*a);
  if (!v) return std::nullopt;
  return static_cast<int32_t>(*v);
}

std::optional<uint64_t> Runtime::maxstacksize() {
  auto a = prog_.global("runtime.maxstacksize");
  if (!a) return std::nullopt;
  return mem_.u64(*a);
}

std::optional<uint64_t> Runtime::maxstackceiling() {
  auto a = prog_.global("runtime.maxstackceiling");
  if (!a) return std::nullopt;
  return mem_.u64(*a);
}

std::optional<uint64_t> Runtime::stackInUse() {
  auto a = prog_.global("runtime.memstats");
  auto stats = prog_.offOpt("runtime.mstats", "heapStats.stats");
  auto in = prog_.offOpt("runtime.heapStatsDelta", "inStacks");
  auto delta = prog_.layouts().size("runtime.heapStatsDelta");
  if (!a || !stats || !in || !delta) return std::nullopt;
  int64_t sum = 0;
  for (uint64_t k = 0; k < 3; k++) {
    auto v = mem_.u64(*a + *stats + k * *delta + *in);
    // Each generation's delta may be negative; the three never add up past int64, unless
    // what was read is not a count.
    if (!v || __builtin_add_overflow(sum, static_cast<int64_t>(*v), &sum)) return std::nullopt;
  }
  if (sum < 0) return std::nullopt;
  return static_cast<uint64_t>(sum);
}

size_t Runtime::numPs() {
  auto a = prog_.global("runtime.allp");
  if (!a) return 0;
  return mem_.u64(*a + 8).value_or(0);
}

int64_t Runtime::nowEstimate(int64_t newestWaitsince) {
  // A live process on this machine: its nanotime() is our CLOCK_MONOTONIC.
  if (auto now = mem_.target().monotonicNow()) return *now;
  // Otherwise the newest time the runtime wrote down: a goroutine's waitsince, the last
  // netpoll, the start of the last GC and its end, when sysmon last looked at each P.
  int64_t now = 0;
  auto see = [&](std::optional<uint64_t> v) {
    if (v && *v < (1ull << 62)) now = std::max(now, static_cast<int64_t>(*v));
  };
  now = std::max(now, newestWaitsince);
  if (auto s = prog_.global("runtime.sched"))
    if (auto o = prog_.offOpt("runtime.schedt", "lastpoll")) see(mem_.u64(*s + *o));
  if (auto w = prog_.global("runtime.work"))
    if (auto o = prog_.offOpt("runtime.workType", "tstart")) see(mem_.u64(*w + *o));
  if (auto m = prog_.global("runtime.memstats"))
    if (auto o = prog_.offOpt("runtime.mstats", "last_gc_nanotime")) see(mem_.u64(*m + *o));
  auto allp = prog_.global("runtime.allp");
  auto schedwhen = prog_.offOpt("runtime.p", "sysmontick.schedwhen");
  auto syscallwhen = prog_.offOpt("runtime.p", "sysmontick.syscallwhen");
  if (allp && schedwhen && syscallwhen) {
    auto ptr = mem_.u64(*allp), len = mem_.u64(*allp + 8);
    for (uint64_t i = 0; ptr && len && i < *len && i < bounds::kMaxPs; i++)
      if (auto pp = mem_.u64(*ptr + 8 * i); pp && *pp) {
        see(mem_.u64(*pp + *schedwhen));
        see(mem_.u64(*pp + *syscallwhen));
      }
  }
  return now;
}

}  // namespace goinspect
