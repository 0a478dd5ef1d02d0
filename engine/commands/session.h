// One engine session per debugger target: the program and runtime model, loaded once, and
// what every command of one stop shares (the snapshot of every goroutine, the wait
// analysis), taken once per stop and dropped when the target runs.
//
//   Session session(target);
//   const Snapshot& snap = session.snapshot();   // throws Error
//
// Sessions over many targets of one executable (a fuzzer's damaged copies of one core) may
// share an ExecutableCache, so that its file is parsed once; everything read from a
// target is still read from that target.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "goroutines.h"
#include "memory.h"

namespace goinspect {

struct Waits;
class GoTypes;
class RuntimeTypes;
class TypeNames;
class ValueReader;

class Session {
 public:
  explicit Session(Target& target, ExecutableCache* cache = nullptr);
  ~Session();
  Target& target() { return target_; }
  // At the start of every command: what one command made for itself is dropped.
  void beginCommand() { mem_.clearScratch(); }
  // The program and runtime model, loaded on first use; throws Error.
  Runtime& runtime();
  // Every goroutine at the current stop, taken once per stop.
  const Snapshot& snapshot();
  // One goroutine at the current stop: from the snapshot once it is taken, else read and
  // unwound alone (no snapshot of a million goroutines for go print on one of them), and kept
  // for the stop. nullptr if there is no such live goroutine.
  const GoroutineView* goroutine(int64_t goid);
  // The goroutine running, or in a system call, on the thread with OS id tid.
  const GoroutineView* goroutineOnThread(uint64_t tid);
  // What every blocked goroutine waits on (waits.h), analysed once per snapshot: go waits,
  // go chans and go leaks share it, and its stack sweep is the costly part.
  const Waits& waits();
  // The reader of Go values (values/), over the executable's DWARF types and, for what DWARF
  // lacks (all of it in a stripped binary), the runtime's type descriptors; made on first
  // use and kept with the program.
  ValueReader& values();
  // Throws Error, saying where DWARF was looked for, unless the executable has it: what
  // frames' variables need.
  ValueReader& valuesWithDwarf();

  // The goroutine and frame `go goroutine ID`, `go frame`, `go up` and `go down` chose:
  // where go print, go locals and go args look when not told. Forgotten when the target
  // runs (its stop changes) or with `go goroutine none`.
  struct Selection {
    int64_t goid = 0;
    size_t frame = 0;
  };
  std::optional<Selection> selection();
  void select(std::optional<Selection> s);

 private:
  Target& target_;
  ExecutableCache* cache_;
  Memory mem_;
  std::string exe_;
  std::unique_ptr<GoProgram> prog_;
  std::unique_ptr<Runtime> rt_;
  // Drops what was read at an earlier stop.
  void syncStop(Runtime& rt);
  const GoroutineView* one(const std::function<bool(const GoroutineView&)>& inSnapshot,
                           const std::function<bool(const G&)>& match);
  uint64_t stop_ = ~0ull;
  std::optional<Snapshot> snap_;
  std::deque<GoroutineView> ones_;  // goroutines read alone at this stop (stable addresses)
  std::unique_ptr<Waits> waits_;  // of snap_; dropped with it
  std::unique_ptr<GoTypes> types_;  // of prog_
  std::unique_ptr<RuntimeTypes> runtimeTypes_;  // types_'s fallback
  std::unique_ptr<TypeNames> typeNames_;
  std::unique_ptr<ValueReader> values_;
  std::optional<Selection> selection_;
  uint64_t selectionStop_ = 0;
};

}  // namespace goinspect
