// What killed the process, read off a core (or a live process stopped at the throw): the
// thread that ran runtime.throw, runtime.fatal or runtime.fatalpanic, the goroutine it
// ran, the function that threw and, where the runtime's own data still holds it, the
// message it printed after "fatal error: ".
//
//   if (auto f = findFatal(rt, snap)) ... f->kind == "stack overflow", f->goroutine->g.goid
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "goroutines.h"

namespace goinspect {

struct FatalError {
  std::string kind;                    // "stack overflow", "fatal error" or "panic"
  std::optional<std::string> message;  // what followed "fatal error: ", when recoverable
  uint64_t tid = 0;                    // the thread that threw
  uint32_t threadIndex = 0;
  std::optional<int64_t> mId;
  const GoroutineView* goroutine = nullptr;  // the goroutine its M ran, if any
  // The function that called throw/fatal ("runtime.newstack"), or for a panic the frame
  // that called panic; "" if the stack does not show it.
  std::string thrower;
  // A stack overflow: the limit newstack's doubled size passed (maxstacksize, or else
  // maxstackceiling).
  std::optional<uint64_t> stackLimit;
  // The thread's frames, innermost first: its system stacks', then at most the innermost
  // 64 of its goroutine's.
  std::vector<Frame> frames;
  // Other threads that threw or died of a panic at the same moment (two writers of one map
  // can throw "concurrent map writes" and "bad map state" together): each printed its own
  // "fatal error:" line, in an order the core does not record.
  struct Other {
    std::string kind;
    std::optional<std::string> message;
    uint64_t tid = 0;
    uint32_t threadIndex = 0;
    const GoroutineView* goroutine = nullptr;
  };
  std::vector<Other> others;
};

// The thread whose frames show a throw or a fatal panic; when several do, the one whose
// account the runtime printed first (see dyingRank in fatal.cc), else the first in the
// debugger's order, with the other throwing threads in its `others`; nullopt when no thread
// shows one. Reads only; never throws for a bad thread, it is skipped.
std::optional<FatalError> findFatal(Runtime& rt, const Snapshot& snap);

}  // namespace goinspect
