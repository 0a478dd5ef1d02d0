// The scheduler's state as the runtime's own GODEBUG=schedtrace=N,scheddetail=1 prints it
// (runtime/proc.go schedtrace), read from a core or a stopped process: runtime.sched's
// counters, every P in allp, every M on allm, and which OS thread each M is.
//
//   SchedState s = readSched(rt, target.threads());
//   for (const PState& p : s.ps) ... p.runq (goroutine ids, queue order)
//
// Fields a release or a stripped binary does not have stay nullopt; nothing is guessed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime.h"
#include "target.h"

namespace goinspect {

struct PState {
  uint64_t addr = 0;
  int32_t id = 0;
  uint32_t status = 0;       // _Pidle, _Prunning, ... (the runtime's number)
  std::string statusName;    // "idle", "running", "syscall", "gcstop", "dead"
  uint32_t schedtick = 0, syscalltick = 0;
  std::optional<int64_t> m;  // the M's id, nullopt for nil
  uint32_t runqsize = 0;     // runqtail - runqhead, as schedtrace prints it
  std::vector<int64_t> runq;  // goroutine ids, head first
  std::optional<int64_t> runnext;
  std::optional<int64_t> gfreecnt;   // dead gs cached for reuse
  std::optional<int64_t> timerslen;  // timers in the P's heap
};

struct MState {
  M m;
  std::optional<uint32_t> threadIndex;  // the debugger's thread number for m.procid
  std::optional<int32_t> p;             // the P's id, nullopt for nil
  std::optional<int64_t> curg, lockedg;  // goroutine ids
  std::optional<int64_t> mallocing, throwing, locks, dying;
  std::optional<std::string> preemptoff;
  bool spinning = false, blocked = false, incgo = false;
  bool isextra = false;    // an extra M kept for C threads that call into Go (cgo callbacks)
  bool curgDead = false;   // its curg is dead: an extra M's placeholder goroutine
  bool inSyscall = false;  // its curg is in _Gsyscall
};

struct SchedState {
  std::optional<int64_t> gomaxprocs, idleprocs, threads, spinningthreads, needspinning, idlethreads, runqueue;
  std::vector<int64_t> runqGoroutines;  // the global run queue, head first
  std::optional<bool> gcwaiting, sysmonwait;
  std::optional<int64_t> nmidlelocked, stopwait;
  std::optional<uint32_t> gcphase;      // _GCoff 0, _GCmark 1, _GCmarktermination 2
  std::vector<PState> ps;
  std::vector<MState> ms;               // allm order (newest first), as schedtrace prints
  std::vector<std::string> errors;      // what could not be read, one line each

  std::string gcPhaseName() const;      // "off", "mark", "mark termination", "unknown"
  // The world is stopped: a stop-the-world asked every P to stop and none is left to stop
  // (a fatal error's freezetheworld counts: it stops every P it can and never restarts).
  std::optional<bool> worldStopped() const;
  // "running", "stopping (N Ps left)", "stopped", "frozen by a fatal error", "unknown".
  std::string worldText() const;
};

// Reads, never throws for a bad P or M (it becomes an entry in errors); bounded loops.
// Reads only what the Ps and Ms point at, never every goroutine.
SchedState readSched(Runtime& rt, const std::vector<ThreadInfo>& threads);

}  // namespace goinspect
