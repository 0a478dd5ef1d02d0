#include "waits.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "deadlock.h"
#include "gotype.h"
#include "bounds.h"
#include "fresh_memory.h"
#include "parallel.h"
#include "progress.h"
#include "runtime.h"
#include "semtable.h"

namespace goinspect {

namespace {

constexpr uint64_t kScanBytes = 4096;     // stack words searched for a Cond or pollDesc
constexpr uint64_t kMaxReferenceScan = 1 << 20;  // per goroutine, when looking for referrers
constexpr uint64_t kGlobalsBlock = 1 << 20;

// Offsets of what is read here; nullopt members mean "this release lacks it".
struct Offsets {
  explicit Offsets(const GoProgram& p) {
    gWaiting = p.offOpt("runtime.g", "waiting");
    gTimer = p.offOpt("runtime.g", "timer");
    gSleepWhen = p.offOpt("runtime.g", "sleepWhen");
    sgG = p.offOpt("runtime.sudog", "g");
    sgNext = p.offOpt("runtime.sudog", "next");
    sgWaitlink = p.offOpt("runtime.sudog", "waitlink");
    sgC = p.offOpt("runtime.sudog", {"c.maybeTraceablePtr.vu", "c.vu", "c"});
    chQcount = p.offOpt("runtime.hchan", "qcount");
    chDataqsiz = p.offOpt("runtime.hchan", "dataqsiz");
    chClosed = p.offOpt("runtime.hchan", "closed");
    chElemtype = p.offOpt("runtime.hchan", "elemtype");
    chTimer = p.offOpt("runtime.hchan", "timer");
    chRecvq = p.offOpt("runtime.hchan", "recvq.first");
    chSendq = p.offOpt("runtime.hchan", "sendq.first");
    timerWhen = p.offOpt("runtime.timer", "when");
    nlHead = p.offOpt("runtime.notifyList", "head");
    pdRg = p.offOpt("runtime.pollDesc", {"rg.value", "rg"});
    pdWg = p.offOpt("runtime.pollDesc", {"wg.value", "wg"});
    pdFd = p.offOpt("runtime.pollDesc", "fd");
    pdSelf = p.offOpt("runtime.pollDesc", "self");
    // sync's types are in the DWARF only of programs that use them; their layouts have
    // not changed since Go 1.0 where these fields are concerned (sema after a 4-byte
    // state, RWMutex's semaphores after its Mutex, the notifyList after Cond's Locker).
    condNotify = p.offOpt("sync.Cond", "notify").value_or(16);
    mutexSema = p.offOpt("sync.Mutex", {"mu.sema", "sema"}).value_or(4);
    rwW = p.offOpt("sync.RWMutex", "w").value_or(0);
    rwWriterSem = p.offOpt("sync.RWMutex", "writerSem").value_or(8);
    rwReaderSem = p.offOpt("sync.RWMutex", "readerSem").value_or(12);
    wgSema = p.offOpt("sync.WaitGroup", "sema").value_or(8);
  }
  std::optional<uint64_t> gWaiting, gTimer, gSleepWhen, sgG, sgNext, sgWaitlink, sgC, chQcount,
      chDataqsiz, chClosed, chElemtype, chTimer, chRecvq, chSendq, timerWhen, nlHead, pdRg, pdWg,
      pdFd, pdSelf;
  uint64_t condNotify, mutexSema, rwW, rwWriterSem, rwReaderSem, wgSema;
};

bool startsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// [sp, min(hi, sp + max)) of the goroutine's stack in use: where its frames keep what they
// hold. nullopt when the sp is not on its stack.
std::optional<std::pair<uint64_t, uint64_t>> usedStack(const GoroutineView& v, uint64_t max) {
  uint64_t lo = v.bt.startSp ? v.bt.startSp : v.g.sched.sp;
  if (!lo || lo < v.g.stackLo || lo >= v.g.stackHi) return std::nullopt;
  return std::pair{lo, std::min(v.g.stackHi, lo + max)};
}

WaitEntry entry(std::string_view kind, uint64_t address = 0, std::string_view direction = {}) {
  WaitEntry e;
  e.kind = kind;
  e.address = address;
  e.direction = direction;
  return e;
}

class Analyzer {
 public:
  Analyzer(Runtime& rt, const Snapshot& snap)
      : rt_(rt), prog_(rt.prog()), mem_(rt.mem()), snap_(snap), o_(rt.prog()), types_(rt.prog(), rt.mem()) {
    byG_.reserve(snap.goroutines.size());
    for (const GoroutineView& v : snap.goroutines) byG_.push_back({v.g.addr, &v});
    std::sort(byG_.begin(), byG_.end());
  }

  Waits run() {
    if (snap_.now > 0) w_.now = snap_.now;
    w_.nowExact = snap_.nowExact;
    Progress progress(mem_.target(), "finding what goroutines wait on", snap_.goroutines.size());
    size_t blocked = std::count_if(snap_.goroutines.begin(), snap_.goroutines.end(), isBlocked);
    w_.goroutines.reserve(blocked);
    adviseHugePages(w_.goroutines);
    // A select waits on one entry per case: room for two a goroutine. Capacity never
    // written is address space, not memory; growing would copy every entry and touch
    // twice the pages.
    w_.entries.reserve(2 * blocked);
    adviseHugePages(w_.entries);
    Prefault aheadG(w_.goroutines, blocked), aheadE(w_.entries, blocked);
    std::vector<size_t> firsts;  // each goroutine's first entry, until the entries stop moving
    firsts.reserve(blocked);
    for (const GoroutineView& v : snap_.goroutines) {
      progress.tick();
      if (!isBlocked(v)) continue;
      GoroutineWaits gw;
      gw.v = &v;
      first_ = w_.entries.size();
      classify(v, gw);
      firsts.push_back(first_);
      w_.goroutines.push_back(std::move(gw));
    }
    std::span<const WaitEntry> all(w_.entries);
    for (size_t i = 0; i < firsts.size(); i++) {
      size_t end = i + 1 < firsts.size() ? firsts[i + 1] : all.size();
      w_.goroutines[i].on = all.subspan(firsts[i], end - firsts[i]);
    }
    findReferrers();
    w_.deadlock = findDeadlock(rt_, snap_, w_);
    return std::move(w_);
  }

  // The words of every goroutine's used stack that hold the address of an object some
  // goroutine waits on (read once, past the page cache).
  void findReferrers() {
    std::unordered_set<uint64_t> objects;
    for (const GoroutineWaits& gw : w_.goroutines) {
      for (const WaitEntry& e : gw.on)
        if (e.address && e.kind != "netpoll") objects.insert(e.address);
    }
    if (objects.empty()) return;
    // Most stack words are not these addresses: a one-hash bit filter answers them without
    // touching the map (a third of go waits' time on 100k goroutines, before it).
    std::vector<uint64_t> filter(1 << 12);
    auto bit = [](uint64_t x) { return (x * 0x9E3779B97F4A7C15ull) >> 46; };  // 18 bits
    for (uint64_t obj : objects) filter[bit(obj) >> 6] |= 1ull << (bit(obj) & 63);
    std::vector<uint64_t> words;
    // Global variables: the pointerful data sections, a block at a time.
    for (const char* name : {".data", ".bss"}) {
      const ElfSection* sec = prog_.elf().section(name);
      for (uint64_t off = 0; sec && off + 8 <= sec->size; off += kGlobalsBlock) {
        words.resize(std::min<uint64_t>(kGlobalsBlock, sec->size - off) / 8);
        if (!mem_.readOnce(sec->addr + prog_.bias() + off, words.data(), words.size() * 8)) continue;
        for (uint64_t word : words) {
          uint64_t b = bit(word);
          if ((filter[b >> 6] >> (b & 63) & 1) && objects.count(word)) w_.globalRefs.insert(word);
        }
      }
    }
    // Every goroutine's stack is scanned on its own: split over the machine's cores where
    // the target allows (parallel.h). Each thread lists (goroutine, object) pairs; merged in
    // goroutine order, the referrers come out as one thread would list them.
    using Found = std::vector<std::pair<size_t, uint64_t>>;  // (index in the snapshot, object)
    struct Scan {
      Memory& mem;
      Found& found;
      std::vector<uint64_t> words, refs;
    };
    const auto& views = snap_.goroutines;
    std::deque<Found> founds;  // one per thread (made on this one), kept for the merge
    forEachItem(
        mem_, "finding references to the objects goroutines wait on", views.size(),
        [&](Memory& m) { return std::make_unique<Scan>(Scan{m, founds.emplace_back(), {}, {}}); },
        [&](Scan& sc, size_t vi) {
          const GoroutineView& v = views[vi];
          auto range = usedStack(v, kMaxReferenceScan);
          if (!range) return;
          auto [lo, hi] = *range;
          size_t n = (hi - lo) / 8;
          // A core's stack bytes are read where they lie; anything else is copied once.
          const uint8_t* at = sc.mem.target().inPlace(lo, n * 8);
          if (!at) {
            sc.words.resize(n);
            if (!sc.mem.readOnce(lo, sc.words.data(), n * 8)) return;
            at = reinterpret_cast<const uint8_t*>(sc.words.data());
          }
          sc.refs.clear();
          for (size_t i = 0; i < n; i++) {
            uint64_t word;
            std::memcpy(&word, at + i * 8, 8);
            uint64_t b = bit(word);
            if ((filter[b >> 6] >> (b & 63) & 1) && objects.count(word) &&
                std::find(sc.refs.begin(), sc.refs.end(), word) == sc.refs.end())
              sc.refs.push_back(word);
          }
          const GoroutineWaits* mine = waitsOf(v);
          for (uint64_t obj : sc.refs) {
            bool waitsOnIt = mine && std::any_of(mine->on.begin(), mine->on.end(),
                                                 [&](const WaitEntry& e) { return e.address == obj; });
            if (!waitsOnIt) sc.found.push_back({vi, obj});
          }
        },
        [&](Scan& sc, size_t vi) {
          while (!sc.found.empty() && sc.found.back().first == vi) sc.found.pop_back();
        });
    Found all;
    for (Found& f : founds) all.insert(all.end(), f.begin(), f.end());
    std::stable_sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.first < b.first; });
    for (auto& [vi, obj] : all) w_.referrers[obj].push_back(views[vi].g.goid);
  }

  // The waits of a goroutine, or null if it is not blocked (w_.goroutines are in the
  // snapshot's order, so by address of their views).
  const GoroutineWaits* waitsOf(const GoroutineView& v) const {
    auto it = std::lower_bound(w_.goroutines.begin(), w_.goroutines.end(), &v,
                               [](const GoroutineWaits& gw, const GoroutineView* x) { return gw.v < x; });
    return it != w_.goroutines.end() && it->v == &v ? &*it : nullptr;
  }

 private:
  const GoroutineView* viewOf(uint64_t gp) const {
    auto it = std::lower_bound(byG_.begin(), byG_.end(), std::pair<uint64_t, const GoroutineView*>{gp, nullptr});
    return it != byG_.end() && it->first == gp ? it->second : nullptr;
  }
  int64_t goid(uint64_t gp) const {
    const GoroutineView* v = viewOf(gp);
    return v ? v->g.goid : 0;
  }

  void classify(const GoroutineView& v, GoroutineWaits& gw) {
    std::string_view r = v.waitReason;
    if (v.g.status == kGsyscall) {
      WaitEntry e = entry("syscall");
      e.mId = v.mId;
      e.threadId = v.threadId;
      e.thread = v.threadIndex;
      add(e);
    } else if (r == "chan receive (nil chan)" || r == "chan send (nil chan)") {
      add(entry("nil-chan", 0, r.find("receive") != std::string::npos ? "recv" : "send"));
    } else if (r == "select (no cases)") {
      add(entry("select-no-cases"));
    } else if (startsWith(r, "chan receive") || startsWith(r, "chan send") || startsWith(r, "select")) {
      channelWaits(v, gw);
    } else if (startsWith(r, "sync.Mutex") || startsWith(r, "sync.RWMutex") || startsWith(r, "sync.WaitGroup") ||
               r == "semacquire") {
      semaWait(v, gw);
    } else if (r == "sync.Cond.Wait") {
      condWait(v, gw);
    } else if (r == "sleep") {
      sleepWait(v, gw);
    } else if (r == "IO wait") {
      netpollWait(v, gw);
    }
  }

  // ---- channels

  void channelWaits(const GoroutineView& v, GoroutineWaits& gw) {
    if (!o_.gWaiting || !o_.sgC || !o_.sgWaitlink) {
      gw.error = "this Go release's g or sudog lacks the fields that name a channel";
      return;
    }
    bool select = startsWith(v.waitReason, "select");
    auto sg = mem_.u64(v.g.addr + *o_.gWaiting);
    // Nearly every waiter has one sudog, a select a few: a short list, reused, beats a hash
    // set per waiter; a hash set takes over past 32 (a damaged list may be long).
    std::vector<uint64_t>& seen = seen_;
    seen.clear();
    std::unordered_set<uint64_t> many;
    for (uint64_t s = sg.value_or(0); s && seen.size() < bounds::kMaxSelectCases; ) {
      bool again = seen.size() < 32 ? std::find(seen.begin(), seen.end(), s) != seen.end() : !many.insert(s).second;
      if (again) {
        gw.error = "g.waiting loops";
        break;
      }
      seen.push_back(s);
      if (seen.size() == 32) many.insert(seen.begin(), seen.end());
      auto c = mem_.u64(s + *o_.sgC);
      if (!c) {
        gw.error = fmt::format("sudog {:#x} unreadable", s);
        break;
      }
      if (*c) {
        WaitEntry e = entry("chan", *c);
        e.select = select;
        chan(*c);  // walks its queues, placing this sudog
        if (auto it = queued_.find(s); it != queued_.end()) {
          e.direction = it->second.first;
          e.position = it->second.second;
        } else if (!select) {
          e.direction = startsWith(v.waitReason, "chan receive") ? "recv" : "send";
        }
        add(e);
      }
      s = mem_.u64(s + *o_.sgWaitlink).value_or(0);
    }
    if (w_.entries.size() == first_ && gw.error.empty())
      gw.error = "g.waiting is empty: the goroutine is being woken, or parked without a sudog";
  }

  const ChanInfo& chan(uint64_t c) {
    auto it = w_.chans.find(c);
    if (it != w_.chans.end()) return it->second;
    ChanInfo ch;
    ch.addr = c;
    auto rd = [&](std::optional<uint64_t> off) { return off ? mem_.u64(c + *off) : std::nullopt; };
    ch.len = rd(o_.chQcount).value_or(0);
    ch.cap = rd(o_.chDataqsiz).value_or(0);
    if (o_.chClosed) ch.closed = mem_.u32(c + *o_.chClosed).value_or(0) != 0;
    ch.elemType = types_.name(rd(o_.chElemtype).value_or(0)).value_or("?");
    if (auto t = rd(o_.chTimer); t && *t && o_.timerWhen)
      if (auto when = mem_.get<int64_t>(*t + *o_.timerWhen)) ch.timerWhenNs = *when;
    if (o_.chRecvq) walkQueue(ch, c + *o_.chRecvq, "recv", ch.receivers);
    if (o_.chSendq) walkQueue(ch, c + *o_.chSendq, "send", ch.senders);
    return w_.chans.emplace(c, std::move(ch)).first->second;
  }

  void walkQueue(ChanInfo& ch, uint64_t head, const char* dir, std::vector<int64_t>& out) {
    // A loop is caught with no memory (Brent's method: compare with a mark that moves at
    // each power of two): a queue of a million waiters needs no set of them.
    uint64_t mark = 0;
    size_t power = 1, sinceMark = 0;
    for (uint64_t s = mem_.u64(head).value_or(0); s;) {
      if (out.size() >= bounds::kMaxQueue || s == mark) {
        ch.error = fmt::format("the {} queue loops or passes {} entries", dir, bounds::kMaxQueue);
        return;
      }
      if (++sinceMark == power) mark = s, power *= 2, sinceMark = 0;
      auto gp = mem_.u64(s + *o_.sgG);
      if (!gp) {
        ch.error = fmt::format("sudog {:#x} in the {} queue is unreadable", s, dir);
        return;
      }
      queued_[s] = {dir, static_cast<int>(out.size())};
      out.push_back(goid(*gp));
      s = mem_.u64(s + *o_.sgNext).value_or(0);
    }
  }

  // ---- semaphores: sync.Mutex, RWMutex, WaitGroup, and the runtime's own

  void semaWait(const GoroutineView& v, GoroutineWaits& gw) {
    if (!semtable_) {
      semtable_ = readSemtable(rt_, snap_);
      if (!semtable_->error.empty()) w_.errors.push_back(semtable_->error);
      w_.semas = std::move(semtable_->queues);  // only byGoroutine is looked at from here on
    }
    auto it = semtable_->byGoroutine.find(v.g.addr);
    if (it == semtable_->byGoroutine.end()) {
      gw.error = semtable_->error.empty() ? "not found in the runtime's semaphore table (being woken?)"
                                          : semtable_->error;
      return;
    }
    WaitEntry e = syncObject(v, it->second.first);
    e.position = it->second.second;
    add(e);
  }

  // Which sync object a semaphore belongs to, told by the goroutine's innermost sync frame.
  WaitEntry syncObject(const GoroutineView& v, uint64_t sema) {
    WaitEntry e = entry("sema", sema);
    e.sema = sema;
    bool inMutex = false;
    for (const Frame& f : v.bt.frames) {
      std::string_view fn = f.function;
      if (fn == "sync.(*Mutex).Lock" || fn == "sync.(*Mutex).lockSlow" || fn == "internal/sync.(*Mutex).Lock" ||
          fn == "internal/sync.(*Mutex).lockSlow") {
        inMutex = true;
        e.kind = "mutex";
        e.address = sema - o_.mutexSema;
        continue;
      }
      if (fn == "sync.(*RWMutex).Lock") {
        e.kind = "rwmutex";
        e.side = "writer";
        // Waiting for rw.w (another writer holds it), or for the readers to leave.
        e.address = inMutex ? sema - o_.mutexSema - o_.rwW : sema - o_.rwWriterSem;
        return e;
      }
      if (fn == "sync.(*RWMutex).RLock") {
        e.kind = "rwmutex";
        e.side = "reader";
        e.address = sema - o_.rwReaderSem;
        return e;
      }
      if (fn == "sync.(*WaitGroup).Wait") {
        e.kind = "waitgroup";
        e.address = sema - o_.wgSema;
        return e;
      }
      if (inMutex) return e;  // a Mutex on its own
    }
    if (e.kind == "sema")
      for (const char* name : {"runtime.worldsema", "runtime.gcsema"})
        if (prog_.global(name) == sema) e.symbol = name;
    return e;
  }

  // ---- sync.Cond

  void condWait(const GoroutineView& v, GoroutineWaits& gw) {
    WaitEntry e = entry("cond");
    if (!o_.nlHead || !o_.sgG || !o_.sgNext) {
      add(e);
      gw.error = "this Go release's notifyList lacks the fields to walk";
      return;
    }
    // Cond.Wait keeps c in its frame for the c.L.Lock() after the wait: a word c whose
    // notify list holds a sudog of this goroutine is the Cond.
    scanStack(v, [&](uint64_t c) {
      uint64_t list = c + o_.condNotify;
      std::vector<int64_t> ids;
      int pos = -1;
      std::unordered_set<uint64_t> seen;
      for (uint64_t s = mem_.u64(list + *o_.nlHead).value_or(0); s && ids.size() < bounds::kMaxQueue;) {
        if (!seen.insert(s).second) return false;
        auto gp = mem_.u64(s + *o_.sgG);
        if (!gp || !viewOf(*gp)) return false;
        if (*gp == v.g.addr) pos = static_cast<int>(ids.size());
        ids.push_back(goid(*gp));
        s = mem_.u64(s + *o_.sgNext).value_or(0);
      }
      if (pos < 0) return false;
      e.address = c;
      e.sema = list;
      e.position = pos;
      w_.notifyLists[list] = SleepQueue{list, ids};
      return true;
    });
    if (!e.address) gw.error = "the sync.Cond was not found in Cond.Wait's frame";
    add(e);
  }

  // ---- timers and the netpoller

  void sleepWait(const GoroutineView& v, GoroutineWaits& gw) {
    WaitEntry e = entry("timer");
    if (o_.gSleepWhen)
      if (auto w = mem_.get<int64_t>(v.g.addr + *o_.gSleepWhen); w && *w) e.whenNs = *w;
    if (!e.whenNs && o_.gTimer && o_.timerWhen)
      if (auto t = mem_.u64(v.g.addr + *o_.gTimer); t && *t)
        if (auto w = mem_.get<int64_t>(*t + *o_.timerWhen); w && *w) e.whenNs = *w;
    add(e);
  }

  void netpollWait(const GoroutineView& v, GoroutineWaits& gw) {
    WaitEntry e = entry("netpoll");
    if (o_.pdRg && o_.pdWg && o_.pdSelf) {
        // poll_runtime_pollWait keeps pd; a word is pd, &pd.rg or &pd.wg.
      scanStack(v, [&](uint64_t w) {
        for (uint64_t pd : {w, w - *o_.pdRg, w - *o_.pdWg}) {
          if (mem_.u64(pd + *o_.pdSelf) != pd) continue;
          const char* dir = mem_.u64(pd + *o_.pdRg) == v.g.addr   ? "read"
                            : mem_.u64(pd + *o_.pdWg) == v.g.addr ? "write"
                                                                   : nullptr;
          if (!dir) continue;
          e.pollDesc = pd;
          e.direction = dir;
          if (o_.pdFd)
            if (auto fd = mem_.get<int64_t>(pd + *o_.pdFd)) e.fd = *fd;
          return true;
        }
        return false;
      });
    }
    if (!e.pollDesc) gw.error = "the pollDesc was not found in netpollblock's frame";
    add(e);
  }

  // Calls fn on each word of the innermost kScanBytes of the goroutine's stack until it
  // returns true.
  template <typename Fn>
  void scanStack(const GoroutineView& v, Fn fn) {
    auto range = usedStack(v, kScanBytes);
    if (!range) return;
    auto [lo, hi] = *range;
    std::vector<uint64_t> words((hi - lo) / 8);
    if (!mem_.read(lo, words.data(), words.size() * 8)) return;
    std::unordered_set<uint64_t> tried;
    for (uint64_t w : words)
      if (w >= 4096 && w % 8 == 0 && tried.insert(w).second && fn(w)) return;
  }

  Runtime& rt_;
  GoProgram& prog_;
  Memory& mem_;
  const Snapshot& snap_;
  Offsets o_;
  TypeNames types_;
  Waits w_;
  std::vector<std::pair<uint64_t, const GoroutineView*>> byG_;  // by g address, sorted
  std::unordered_map<uint64_t, std::pair<const char*, int>> queued_;  // sudog → (dir, pos)
  std::vector<uint64_t> seen_;  // channelWaits' sudogs of one goroutine
  size_t first_ = 0;            // where the goroutine being classified starts in w_.entries
  void add(const WaitEntry& e) { w_.entries.push_back(e); }
  std::optional<Semtable> semtable_;
};

}  // namespace

std::string WaitEntry::objectKey() const {
  if (!address) return "";
  return fmt::format("{} {:#x}", kind, address);
}

bool isBlocked(const GoroutineView& v) {
  return v.g.status == kGwaiting || v.g.status == kGsyscall || v.status == "leaked";
}

Waits analyzeWaits(Runtime& rt, const Snapshot& snap) { return Analyzer(rt, snap).run(); }

}  // namespace goinspect
