// The deferred calls a goroutine still has to run, in the order it would run them
// (runtime/panic.go: deferreturn and _panic.nextDefer):
//
//   - _defer records on g._defer (heap- or stack-allocated by deferproc/deferprocStack),
//     newest first, each belonging to the frame whose sp it saved;
//   - range-over-func defers (Go 1.22+): a rangefunc record whose head list holds the loop
//     body's defers, newest first, run in place of the record;
//   - open-coded defers (Go 1.14+, most defers): no record at all. A function with
//     FUNCDATA_OpenCodedDeferInfo keeps a deferBits byte and one closure slot per defer
//     statement in its frame; bit i set means defer i was executed and has not run. They
//     run highest bit first, before the frame's records.
//
//   PendingDefers pending(rt);                 // once: layouts are looked up here
//   GoroutineDefers d = pending.of(view);
//   for (const PendingDefer& x : d.defers) ... x.function, x.kind, x.frameIndex
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "goroutines.h"

namespace goinspect {

struct PendingDefer {
  std::string function;          // the deferred function ("main.f.deferwrap1"); "" if unreadable
  uint64_t fn = 0;               // the func value (*funcval)
  std::string kind;              // "heap", "stack", "open-coded", "rangefunc"
  std::optional<size_t> frameIndex;  // into the goroutine's bt.frames; nullopt: no frame has its sp
  std::string frame;             // that frame's function
  uint64_t frameSp = 0;
  std::optional<uint64_t> deferPc;  // the return pc of the deferproc call, as the record keeps it
  std::string deferFile;         // the `defer` statement, from deferPc
  int32_t deferLine = 0;
  std::optional<uint64_t> record;   // the _defer's address; nullopt for open-coded defers
  std::string functionFile;      // where the deferred function starts: for a closure of the
  int32_t functionLine = 0;      // frame's function (deferwrapN, funcN), the defer statement
};

struct GoroutineDefers {
  std::vector<PendingDefer> defers;  // run order
  std::vector<std::string> warnings;  // frames with a pile of pending records
  std::string error;                  // why the chain could not be read whole; "" if it was
};

// A frame with at least this many pending heap records is flagged: a `defer` in a loop.
constexpr size_t kManyDefers = 10;

class DeferReader;

// Reads only; bounded and cycle-checked.
class PendingDefers {
 public:
  explicit PendingDefers(Runtime& rt);
  ~PendingDefers();
  GoroutineDefers of(const GoroutineView& v);

 private:
  std::unique_ptr<DeferReader> r_;
};

}  // namespace goinspect
