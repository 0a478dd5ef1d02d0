// What every blocked goroutine waits on, read from the runtime's own wait structures:
//
//   channels   g.waiting, the goroutine's sudogs (one per select case), each naming its
//              hchan; the hchan's recvq/sendq give every goroutine queued there, in order
//              (runtime/chan.go, select.go)
//   sync       runtime.semtable: 251 treaps of sudogs keyed by semaphore address, each
//              node heading the list of goroutines asleep on that address (sema.go); the
//              sync object (Mutex, RWMutex side, WaitGroup) is told by the goroutine's
//              frames, its address by the semaphore's offset in it
//   sync.Cond  its notifyList, found through the Cond pointer Cond.Wait keeps in its frame
//              and proved by the list holding this goroutine's sudog
//   timers     g.sleepWhen (g.timer.when before Go 1.23)
//   netpoll    the pollDesc whose rg or wg holds this g (netpollblock keeps &pd.rg/&pd.wg
//              in its frame; pd.self == pd proves it)
//   syscalls   the M and thread running the goroutine
//
//   Waits w = analyzeWaits(rt, snap);
//   for (const GoroutineWaits& gw : w.goroutines) for (const WaitEntry& e : gw.on) ...
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "goroutines.h"
#include "semtable.h"

namespace goinspect {

// One thing a goroutine is blocked on; `kind` is one of chan, nil-chan, select-no-cases,
// mutex, rwmutex, waitgroup, cond, sema, timer, netpoll, syscall.
// Its words are the analysis's own literals (and runtime global names), so an entry holds
// views, not strings: a million waiters allocate nothing for them.
struct WaitEntry {
  std::string_view kind;
  uint64_t address = 0;   // hchan, sync object (or the semaphore when unrecognised), Cond
  std::string_view direction;  // chan, nil-chan: "send" / "recv"; netpoll: "read" / "write"
  bool select = false;    // a case of a select
  int position = -1;      // index in the queue it waits in (-1: not found there)
  uint64_t sema = 0;      // semaphore word (mutex, rwmutex, waitgroup, sema); cond: notifyList
  std::string_view side;  // rwmutex: "writer" / "reader"
  std::string_view symbol;  // the runtime global a semaphore is (runtime.worldsema)
  std::optional<int64_t> whenNs;  // timer: nanotime at which it fires
  std::optional<int64_t> fd;      // netpoll
  uint64_t pollDesc = 0;
  std::optional<int64_t> mId;     // syscall
  std::optional<uint64_t> threadId;
  std::optional<uint32_t> thread;

  // The identity of the object, for grouping: "chan 0x..", "mutex 0x..", "" if none.
  std::string objectKey() const;
};

struct ChanInfo {
  uint64_t addr = 0;
  std::string elemType;   // "?" when the type descriptor is unreadable
  uint64_t cap = 0, len = 0;
  bool closed = false;
  std::vector<int64_t> senders, receivers;  // queue order
  std::optional<int64_t> timerWhenNs;       // a time.Timer/After channel (Go 1.23+)
  std::string error;                        // the queues could not be walked whole
};

struct GoroutineWaits {
  const GoroutineView* v = nullptr;
  std::span<const WaitEntry> on;  // in Waits::entries
  std::string error;  // what could not be found out (the entries hold what could)
};

// One step of a wait-for cycle: `goid` waits on `object`, which `next` references.
struct WaitLink {
  int64_t goid = 0;
  uint64_t object = 0;
  int64_t next = 0;
};

struct Deadlock {
  bool allBlocked = false;  // no goroutine can run and nothing outside could wake one
  bool proven = false;
  std::vector<std::vector<int64_t>> cycles;  // goroutine ids, sorted
  std::vector<std::vector<WaitLink>> links;  // per cycle, one link per goroutine
  std::string why;
};

struct Waits {
  Waits() = default;
  Waits(Waits&&) = default;  // moving keeps `entries` where the spans point
  Waits& operator=(Waits&&) = default;
  Waits(const Waits&) = delete;
  Waits& operator=(const Waits&) = delete;

  std::vector<GoroutineWaits> goroutines;  // every blocked goroutine, system ones too, by id
  std::vector<WaitEntry> entries;          // theirs, one goroutine after another
  std::map<uint64_t, ChanInfo> chans;      // every channel a goroutine waits on
  std::map<uint64_t, SleepQueue> semas;    // semtable: semaphore address → sleepers
  std::map<uint64_t, SleepQueue> notifyLists;
  // Who else could wake a waiter: for every object waited on, the goroutines (any state)
  // whose used stack holds its address but that do not wait on it themselves. A guess
  // either way: a dead stack slot may hold an old address, the heap may hold one too.
  std::unordered_map<uint64_t, std::vector<int64_t>> referrers;
  // Objects whose address a global variable holds (the program's .data and .bss): anyone
  // may reach them.
  std::unordered_set<uint64_t> globalRefs;
  std::optional<int64_t> now;              // the target's nanotime, or a lower bound on it
  bool nowExact = false;                   // now is the live target's clock
  std::optional<Deadlock> deadlock;
  std::vector<std::string> errors;         // whole-structure failures (semtable unreadable)
};

// Blocked: waiting (or leaked, or a goroutine in a syscall); the goroutines listed.
bool isBlocked(const GoroutineView& v);

class Runtime;
Waits analyzeWaits(Runtime& rt, const Snapshot& snap);

}  // namespace goinspect
