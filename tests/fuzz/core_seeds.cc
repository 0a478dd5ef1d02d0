#include "core_seeds.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <stdexcept>
#include <unordered_set>

#include "harness.h"
#include "runtime.h"
#include "session.h"
#include "stripped.h"
#include "waits.h"

namespace goinspect::fuzz::core {

namespace {

// The seeds, in input order (an input's first byte picks one): toolchains from both ends
// and the middle; plain, stripped (globals found from the code, built-in layout tables),
// PIE and a collected heap. Append only.
const char* const kSeedNames[] = {
    "go1.21/plain", "go1.21/stripped", "go1.24/plain", "go1.24/stripped", "go1.26/plain",
    "go1.26/stripped", "go1.27/plain", "go1.27/stripped", "go1.22/pie", "go1.23/plain",
    "go1.25/gc", "go1.26/pie",
};

// Functions the unwinder, the fatal-error and panic readers and the wait analysis know by
// name: a return pc into one of them sends the engine down its special paths.
const char* const kSpecialFuncs[] = {
    "runtime.goexit", "runtime.mstart", "runtime.rt0_go", "runtime.sigtramp", "runtime.systemstack",
    "runtime.systemstack_switch", "runtime.morestack", "runtime.mcall", "runtime.gogo", "runtime.sigpanic",
    "runtime.asyncPreempt", "runtime.gopanic", "runtime.Goexit", "runtime.throw", "runtime.fatal",
    "runtime.fatalpanic", "runtime.throw.func1", "runtime.fatal.func1", "runtime.dopanic_m",
    "runtime.startpanic_m", "runtime.printlock", "runtime.newstack", "runtime.gopark", "runtime.main",
    "runtime.deferCallSave", "runtime.runOpenDeferFrame", "runtime.deferreturn", "runtime.cgocallback",
    "runtime.asmcgocall", "runtime.chansend", "runtime.chanrecv", "runtime.selectgo", "runtime.semacquire1",
    "runtime.netpollblock", "sync.(*Mutex).Lock", "sync.(*Mutex).lockSlow", "internal/sync.(*Mutex).lockSlow",
    "sync.(*RWMutex).Lock", "sync.(*RWMutex).RLock", "sync.(*WaitGroup).Wait", "sync.(*Cond).Wait",
    "main.main", "main.recv", "main.lock", "main.deep", "main.ping", "main.pong", "main.tri1", "main.tri2",
    "main.tri3",
};

const char* const kGlobals[] = {
    "runtime.allgs", "runtime.allglen", "runtime.allm", "runtime.allp", "runtime.maxstacksize",
    "runtime.maxstackceiling", "runtime.gomaxprocs", "runtime.gcphase", "runtime.iscgo", "runtime.buildVersion",
    "runtime.gStatusStrings", "runtime.waitReasonStrings", "runtime.worldsema", "runtime.gcsema",
};

constexpr size_t kMaxPerKind = 4096;
constexpr uint64_t kMaxStackRegion = 64 << 10;
constexpr uint64_t kRegBase = 0xffffa00000000000ull;  // see MutatingTarget: registers as a region

class Mapper {
 public:
  Mapper(Seed& seed, GoProgram& prog, Memory& mem) : seed_(seed), prog_(prog), mem_(mem) {}

  void add(Kind k, uint64_t addr, uint64_t size) {
    auto& v = seed_.regions[k];
    if (!addr || !size || v.size() >= kMaxPerKind || !seen_[k].insert(addr).second) return;
    v.push_back({addr, size});
  }
  uint64_t size(const char* type, uint64_t def) { return prog_.layouts().size(type).value_or(def); }
  uint64_t off(const char* type, const char* field) { return prog_.offOpt(type, field).value_or(0); }
  uint64_t u64(uint64_t a) { return mem_.u64(a).value_or(0); }

  // A list of structures linked through the word at `link`, each `size` bytes.
  void chain(Kind k, uint64_t head, uint64_t link, uint64_t size, size_t max = 64) {
    std::unordered_set<uint64_t> seen;
    for (uint64_t p = head; p && seen.size() < max && seen.insert(p).second; p = u64(p + link)) add(k, p, size);
  }

 private:
  Seed& seed_;
  GoProgram& prog_;
  Memory& mem_;
  std::map<Kind, std::unordered_set<uint64_t>> seen_;
};

// The end of the mapping holding addr, found a page at a time (bounded).
uint64_t mappingEnd(Target& t, uint64_t addr) {
  uint8_t b;
  uint64_t a = addr & ~0xfffull;
  for (int i = 0; i < 1 << 16 && t.readMemory(a, &b, 1); i++) a += 0x1000;
  return a;
}

void mapSemtable(Seed& seed, Mapper& m, GoProgram& prog, Memory& mem, const std::unordered_set<uint64_t>& live) {
  auto treap = prog.offOpt("runtime.semaRoot", "treap");
  auto sg = prog.offOpt("runtime.sudog", "g"), prev = prog.offOpt("runtime.sudog", "prev"),
       next = prog.offOpt("runtime.sudog", "next"), waitlink = prog.offOpt("runtime.sudog", "waitlink");
  if (!treap || !sg || !prev || !next || !waitlink) return;
  uint64_t sudogSize = m.size("runtime.sudog", 96);
  auto holdsSleeper = [&](uint64_t table) {
    for (uint64_t i = 0; i < 251; i++)
      if (uint64_t s = m.u64(table + i * 64 + *treap); s && live.count(m.u64(s + *sg))) return true;
    return false;
  };
  std::optional<uint64_t> table = prog.global("runtime.semtable");
  if (!table)
    for (uint64_t x : codeDataRefs(prog, "runtime.semacquire1"))
      if (holdsSleeper(x)) {
        table = x;
        break;
      }
  if (!table) return;
  m.add(kSemaRoot, *table, 64);  // root 0, whatever it holds
  for (uint64_t i = 0; i < 251; i++) {
    uint64_t root = m.u64(*table + i * 64 + *treap);
    if (!root) continue;
    m.add(kSemaRoot, *table + i * 64, 64);
    std::vector<uint64_t> todo{root};
    std::unordered_set<uint64_t> seen;
    while (!todo.empty() && seen.size() < 256) {
      uint64_t s = todo.back();
      todo.pop_back();
      if (!s || !seen.insert(s).second) continue;
      m.chain(kSudog, s, *waitlink, sudogSize);
      todo.push_back(m.u64(s + *prev));
      todo.push_back(m.u64(s + *next));
    }
  }
  (void)seed;
  (void)mem;
}

void mapLayouts(SeedLayouts& l, GoProgram& prog) {
  auto o = [&](const char* t, std::initializer_list<std::string_view> f) { return prog.offOpt(t, f); };
  l.gLabels = o("runtime.g", {"labels"}).value_or(0);
  l.hasLabels = o("runtime.g", {"labels"}).has_value();
  l.gDefer = o("runtime.g", {"_defer"}).value_or(0);
  l.gPanic = o("runtime.g", {"_panic"}).value_or(0);
  l.gWaiting = o("runtime.g", {"waiting"}).value_or(0);
  l.gWaitreason = o("runtime.g", {"waitreason"}).value_or(0);
  l.gStatus = o("runtime.g", {"atomicstatus"}).value_or(0);
  const Layouts& lay = prog.layouts();
  for (auto [type, slice] : {std::pair{"runtime/pprof.labelMap", "Set.List"}, {"runtime/pprof.labelMap", "LabelSet.list"}}) {
    auto arr = lay.offset(type, std::string(slice) + ".array"), len = lay.offset(type, std::string(slice) + ".len");
    if (arr && len) {
      l.labelList = true;
      l.listArray = *arr;
      l.listLen = *len;
      break;
    }
  }
  if (!l.labelList) {
    l.hmapCount = lay.offset("runtime.hmap", "count").value_or(0);
    l.hmapFlags = lay.offset("runtime.hmap", "flags").value_or(8);
    l.hmapB = lay.offset("runtime.hmap", "B").value_or(9);
    l.hmapBuckets = lay.offset("runtime.hmap", "buckets").value_or(16);
    l.hmapOldbuckets = lay.offset("runtime.hmap", "oldbuckets").value_or(24);
    // map[string]string buckets: 8 tophash bytes, 8 keys, 8 values, the overflow pointer.
    l.bucketTophash = 0, l.bucketKeys = 8, l.bucketValues = 8 + 8 * 16, l.bucketOverflow = 8 + 16 * 16;
    l.bucketSize = l.bucketOverflow + 8;
  }
  const char* D = "runtime._defer";
  l.hasDefer = o(D, {"sp"}) && o(D, {"pc"}) && o(D, {"fn"}) && o(D, {"link"});
  l.dSp = o(D, {"sp"}).value_or(0);
  l.dPc = o(D, {"pc"}).value_or(0);
  l.dFn = o(D, {"fn"}).value_or(0);
  l.dLink = o(D, {"link"}).value_or(0);
  l.dSize = lay.size(D).value_or(64);
  l.dHeap = o(D, {"heap"});
  l.dRangefunc = o(D, {"rangefunc"});
  l.dHead = o(D, {"head"});
  l.dStarted = o(D, {"started"});
  l.dOpenDefer = o(D, {"openDefer"});
}

std::unique_ptr<Seed> loadSeed(const std::string& dir, const std::string& name) {
  auto seed = std::make_unique<Seed>();
  seed->name = name;
  seed->core = CoreTarget::open(dir + "/waiters", dir + "/core");
  seed->exe = ElfFile::open(dir + "/waiters");
  seed->bias = seed->core->loadBias();
  seed->threads = seed->core->threads();
  seed->cache = std::make_unique<ExecutableCache>();

  Session s(*seed->core, seed->cache.get());
  Runtime& rt = s.runtime();
  GoProgram& prog = rt.prog();
  Memory& mem = rt.mem();
  const Snapshot& snap = s.snapshot();
  const Waits& w = s.waits();
  Mapper m(*seed, prog, mem);
  mapLayouts(seed->lay, prog);

  uint64_t gSize = m.size("runtime.g", 440);
  if (auto a = prog.global("runtime.allgs")) m.add(kAllgs, m.u64(*a), snap.allgsLen * 8);
  std::unordered_set<uint64_t> live;
  for (const GoroutineView& v : snap.goroutines) {
    live.insert(v.g.addr);
    m.add(kG, v.g.addr, gSize);
    std::vector<uint64_t> sps;
    for (const Frame& f : v.bt.frames)
      if (!f.inlined) sps.push_back(f.sp);
    seed->frameSps.push_back(std::move(sps));
    uint64_t lo = v.bt.startSp ? v.bt.startSp : v.g.sched.sp;
    if (lo >= v.g.stackLo && lo < v.g.stackHi) {
      m.add(kStack, lo, std::min(v.g.stackHi - lo, kMaxStackRegion));
      // Below the sp: stack nobody reads, room for structures an input builds.
      if (lo - v.g.stackLo > 1024) m.add(kScratch, v.g.stackLo, std::min<uint64_t>(lo - 512 - v.g.stackLo, 16 << 10));
    }
    m.chain(kDefer, v.g.deferp, m.off("runtime._defer", "link"), m.size("runtime._defer", 64));
    m.chain(kPanic, v.g.panicp, m.off("runtime._panic", "link"), m.size("runtime._panic", 64));
    if (v.g.labels) m.add(kLabels, v.g.labels, 64);
    if (seed->lay.gWaiting)
      m.chain(kSudog, m.u64(v.g.addr + seed->lay.gWaiting), m.off("runtime.sudog", "waitlink"), m.size("runtime.sudog", 96));
  }
  for (uint64_t gp : rt.allgs())
    if (!live.count(gp) && seed->regions[kDeadG].size() < 64) m.add(kDeadG, gp, gSize);

  uint64_t mSize = m.size("runtime.m", 1024);
  for (const M& mm : rt.allms()) {
    m.add(kM, mm.addr, mSize);
    m.add(kSystemG, mm.g0, gSize);
    m.add(kSystemG, mm.gsignal, gSize);
    if (auto gs = rt.readG(mm.gsignal, nullptr); gs && gs->stackHi > gs->stackLo)
      m.add(kSystemStack, std::max(gs->stackLo, gs->stackHi - (32 << 10)), std::min<uint64_t>(gs->stackHi - gs->stackLo, 32 << 10));
  }
  for (size_t i = 0; i < seed->threads.size(); i++) {
    m.add(kRegs, kRegBase + 64 * i, 40);
    if (!seed->threads[i].regs) continue;
    uint64_t sp = seed->threads[i].regs->sp, n = 8 << 10;
    std::vector<uint8_t> buf(n);
    while (n >= 64 && !seed->core->readMemory(sp, buf.data(), n)) n /= 2;
    if (n >= 64) m.add(kSystemStack, sp, n);
  }
  if (auto a = prog.global("runtime.allp")) {
    uint64_t ptr = m.u64(*a), len = std::min<uint64_t>(m.u64(*a + 8), 1024);
    m.add(kAllp, ptr, len * 8);
    for (uint64_t i = 0; i < len; i++) m.add(kP, m.u64(ptr + 8 * i), m.size("runtime.p", 1024));
  }
  if (auto a = prog.global("runtime.sched")) m.add(kSched, *a, m.size("runtime.schedt", 512));

  uint64_t sudogSize = m.size("runtime.sudog", 96), next = m.off("runtime.sudog", "next");
  for (const auto& [addr, c] : w.chans) {
    m.add(kHchan, addr, m.size("runtime.hchan", 96));
    for (const char* q : {"recvq.first", "sendq.first"})
      if (auto o = prog.offOpt("runtime.hchan", q)) m.chain(kSudog, m.u64(addr + *o), next, sudogSize);
    if (auto o = prog.offOpt("runtime.hchan", "elemtype")) m.add(kType, m.u64(addr + *o), m.size("internal/abi.Type", 48));
  }
  mapSemtable(*seed, m, prog, mem, live);

  // Type descriptors: every one typelinks lists (up to a bound), and the panics' values'.
  uint64_t typeSize = m.size("internal/abi.Type", 48);
  for (const Region& r : seed->regions[kPanic])
    if (auto o = prog.offOpt("runtime._panic", "arg")) m.add(kType, m.u64(r.addr + *o), typeSize);
  if (auto md = prog.global("runtime.firstmoduledata")) {
    m.add(kModuledata, *md, m.size("runtime.moduledata", 512));
    auto types = prog.offOpt("runtime.moduledata", "types"), links = prog.offOpt("runtime.moduledata", "typelinks");
    auto strOff = prog.offOpt("internal/abi.Type", "Str");
    if (types && links) {
      uint64_t base = m.u64(*md + *types), arr = m.u64(*md + *links), n = std::min<uint64_t>(m.u64(*md + *links + 8), 512);
      std::vector<int32_t> offs(n);
      if (n && mem.read(arr, offs.data(), n * 4)) {
        for (size_t i = 0; i < offs.size(); i++) {
          m.add(kType, base + static_cast<uint32_t>(offs[i]), typeSize);
          if (strOff && i < 64)  // the name: a flags byte, a varint length, the bytes
            if (auto so = mem.get<int32_t>(base + offs[i] + *strOff)) m.add(kType, base + static_cast<uint32_t>(*so), 16);
        }
      }
    }
  }
  for (const char* g : kGlobals)
    if (auto a = prog.global(g)) m.add(kGlobal, *a, std::clamp<uint64_t>(prog.globalSize(g).value_or(8), 8, 4096));
  // The parts of big globals the engine reads: memstats' heap stats, work.tstart.
  if (auto a = prog.global("runtime.memstats"))
    if (auto o = prog.offOpt("runtime.mstats", "heapStats.stats"))
      m.add(kGlobal, *a + *o, 3 * m.size("runtime.heapStatsDelta", 128));
  if (auto a = prog.global("runtime.work"))
    if (auto o = prog.offOpt("runtime.workType", "tstart")) m.add(kGlobal, *a + *o, 8);

  const PcLnTab& tab = prog.pcln();
  for (const char* f : kSpecialFuncs)
    if (uint64_t pc = prog.funcAddr(f)) seed->codePcs.push_back(pc);
  seed->specialPcs = seed->codePcs.size();
  for (size_t i = 0; i < tab.numFuncs(); i++)
    if (const Func* f = tab.funcAt(i)) seed->codePcs.push_back(prog.entry(*f));

  seed->wildPointers = {0, 1, 8, 0x1000, 0xdead0000, 0x00007ffffffff000, 1ull << 47, 0x8000000000000000ull,
                        ~0ull, ~0ull - 7, ~0ull - 0xfff, kRegBase};
  for (Kind k : {kAllgs, kG, kStack, kModuledata})
    if (!seed->regions[k].empty()) {
      uint64_t a = seed->regions[k].front().addr, end = mappingEnd(*seed->core, a);
      for (uint64_t x : {end - 8, end - 4, end - 1, end, a + 1}) seed->wildPointers.push_back(x);
    }
  return seed;
}

}  // namespace

const char* kindName(Kind k) {
  static const char* const names[] = {"allgs", "g", "stack", "m", "p", "sched", "hchan", "sudog", "semaroot",
                                      "defer", "panic", "labels", "type", "moduledata", "global", "systemg",
                                      "systemstack", "deadg", "allp", "regs", "scratch"};
  static_assert(std::size(names) == kKinds);
  return k < kKinds ? names[k] : "?";
}

const std::vector<std::unique_ptr<Seed>>& coreSeeds() {
  static const std::vector<std::unique_ptr<Seed>> seeds = [] {
    std::vector<std::unique_ptr<Seed>> out;
    std::string root = seedDir() + "/cores/";
    for (const char* name : kSeedNames) {
      std::string dir = root + name;
      out.push_back(std::filesystem::exists(dir + "/core") ? loadSeed(dir, name) : nullptr);
    }
    if (std::all_of(out.begin(), out.end(), [](auto& s) { return !s; }))
      throw std::runtime_error("no seed core under " + root + ": run tests/unit/coredata/make-cores.sh " + root);
    return out;
  }();
  return seeds;
}

}  // namespace goinspect::fuzz::core
