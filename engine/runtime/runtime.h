// The Go runtime's own structures, read from the target: allgs, g, m, p and the strings the
// runtime prints for them (runtime/runtime2.go, runtime/traceback.go).
//
//   Runtime rt(prog, mem);
//   for (uint64_t gp : rt.allgs()) if (auto g = rt.readG(gp, &err)) ...
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "goprogram.h"

namespace goinspect {

// runtime.gobuf: the registers saved when a goroutine stops running.
struct Gobuf {
  uint64_t sp = 0, pc = 0, bp = 0;
};

// The fields of a runtime.g that the engine uses.
struct G {
  uint64_t addr = 0;
  int64_t goid = 0;
  uint32_t status = 0;   // atomicstatus without the _Gscan bit
  bool scan = false;     // the _Gscan bit was set
  uint8_t waitreason = 0;
  int64_t waitsince = 0;
  uint64_t stackLo = 0, stackHi = 0, stackguard0 = 0;
  Gobuf sched;
  uint64_t syscallsp = 0, syscallpc = 0, syscallbp = 0;
  uint64_t m = 0;        // *m running it, 0 if none
  uint64_t lockedm = 0;  // muintptr: locked to this M's thread
  uint64_t gopc = 0;     // pc of the go statement that created it
  uint64_t startpc = 0;
  int64_t parentGoid = 0;
  uint64_t panicp = 0, deferp = 0;
  uint64_t labels = 0;   // unsafe.Pointer to a runtime/pprof labelMap, 0 if none (labels.h)
};

// The fields of a runtime.m that the engine uses.
struct M {
  uint64_t addr = 0;
  int64_t id = 0;
  uint64_t procid = 0;   // the OS thread id (gettid)
  uint64_t curg = 0, g0 = 0, gsignal = 0, lockedg = 0, p = 0;
};

// runtime's _G* status values (runtime2.go); stable since Go 1.0 except the newer ones.
enum GStatus : uint32_t {
  kGidle = 0, kGrunnable = 1, kGrunning = 2, kGsyscall = 3, kGwaiting = 4, kGdead = 6,
  kGcopystack = 8, kGpreempted = 9,
};

class Runtime {
 public:
  Runtime(GoProgram& prog, Memory& mem);

  GoProgram& prog() { return prog_; }
  // Forgets what was read at an earlier stop (Ms, strings); layouts stay.
  void clearCaches();
  Memory& mem() { return mem_; }

  // Requires layouts from a built-in table (no DWARF): checks that they fit this binary by
  // reading the main goroutine through them. Throws Error saying what did not fit.
  void checkTableLayouts();

  // Every g pointer in runtime.allgs (including dead ones), bounded by allglen.
  // Throws Error when allgs cannot be found or read.
  std::vector<uint64_t> allgs();
  // Reads one g; nullopt (with *err set) if unreadable or implausible.
  std::optional<G> readG(uint64_t gp, std::string* err) { return readG(gp, err, mem_); }
  // The same through another Memory: a worker thread's (parallel.h).
  std::optional<G> readG(uint64_t gp, std::string* err, Memory& mem) const;
  uint64_t gSize() const { return gSize_; }  // sizeof(runtime.g)
  // Whether the g at gp is dead by its status alone (false when unreadable: readG tells why).
  bool deadG(uint64_t gp, Memory& mem) const;
  // Every M on runtime.allm, cycle-checked.
  const std::vector<M>& allms();
  const M* mByAddr(uint64_t addr);
  // Reads now what statusName, waitReasonString and mByAddr would read on first use, so
  // that several threads may call them at once afterwards (none of them changes this
  // Runtime again until clearCaches).
  void prepareForThreads();

  // The runtime's words: gStatusStrings[status], waitReasonStrings[reason]. Views into
  // this Runtime's own copies, valid while it lives (a million views hold no strings).
  std::string_view statusName(uint32_t status);
  std::string_view waitReasonString(uint8_t reason);
  // The status of dead goroutines, the ones nobody lists (_Gdead, and _Gdeadextra in 1.26+).
  bool isDead(uint32_t status) const;
  uint32_t leakedStatus() const { return leaked_; }

  // An integer or bool field of a structure at `base`, read at its own size (1, 2, 4 or 8
  // bytes; signed where its type is), by the first of `paths` this release has. nullopt if
  // no path exists or the memory is unreadable.
  std::optional<int64_t> readInt(uint64_t base, std::string_view type, std::initializer_list<std::string_view> paths);

  std::optional<int64_t> gomaxprocs();
  std::optional<uint64_t> maxstacksize();
  // runtime.maxstackceiling: the hard cap newstack also checks (maxstacksize at start-up).
  std::optional<uint64_t> maxstackceiling();
  // The runtime's own count of bytes in stack spans (MemStats.StackInuse): the sum of
  // inStacks over memstats.heapStats' three generations, as the stopped-world reader
  // (consistentHeapStats.unsafeRead) adds them. nullopt without runtime.memstats.
  std::optional<uint64_t> stackInUse();
  size_t numPs();
  // A lower bound on the target's nanotime(): the newest waitsince or poll time seen.
  int64_t nowEstimate(int64_t newestWaitsince);

 private:
  std::vector<std::string> readStringArray(const std::string& sym);

  GoProgram& prog_;
  Memory& mem_;
  uint64_t gSize_ = 0;
  struct GOffsets {
    uint64_t goid, status, waitreason, waitsince, stackLo, stackHi, stackguard0, schedSp, schedPc,
        schedBp, syscallsp, syscallpc, m, lockedm, gopc, startpc;
    std::optional<uint64_t> syscallbp, parentGoid, panicp, deferp, labels;
  } go_{};
  std::optional<std::vector<M>> ms_;
  std::unordered_map<uint64_t, size_t> msByAddr_;  // m address → index in ms_
  bool msIndexed_ = false;
  std::optional<std::vector<std::string_view>> statusStrings_, waitStrings_;
  // Every word those views name, kept for the Runtime's life (a few dozen; a new stop may
  // read the tables again, and views taken before must stay valid).
  // Locked: views are made on several threads (goroutines.cc).
  std::string_view intern(std::string s) {
    std::lock_guard<std::mutex> lock(wordsMu_);
    return *words_.insert(std::move(s)).first;
  }
  std::unordered_set<std::string> words_;
  std::mutex wordsMu_;
  uint32_t dead_ = kGdead, deadextra_ = ~0u, leaked_ = ~0u;
};

}  // namespace goinspect
