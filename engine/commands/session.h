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

#include <memory>
#include <optional>
#include <string>

#include "goroutines.h"
#include "memory.h"

namespace goinspect {

struct Waits;
class GoTypes;
class TypeNames;
class ValueReader;

class Session {
 public:
  explicit Session(Target& target, ExecutableCache* cache = nullptr);
  ~Session();
  Target& target() { return target_; }
  // The program and runtime model, loaded on first use; throws Error.
  Runtime& runtime();
  // Every goroutine at the current stop, taken once per stop.
  const Snapshot& snapshot();
  // What every blocked goroutine waits on (waits.h), analysed once per snapshot: go waits,
  // go chans and go leaks share it, and its stack sweep is the costly part.
  const Waits& waits();
  // The reader of Go values (values/), over the executable's DWARF types; made on first use
  // and kept with the program. Throws Error when the executable has no DWARF.
  ValueReader& values();

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
  std::optional<Snapshot> snap_;
  uint64_t snapStop_ = ~0ull;
  std::unique_ptr<Waits> waits_;  // of snap_; dropped with it
  std::unique_ptr<GoTypes> types_;  // of prog_
  std::unique_ptr<TypeNames> typeNames_;
  std::unique_ptr<ValueReader> values_;
  std::optional<Selection> selection_;
  uint64_t selectionStop_ = 0;
};

}  // namespace goinspect
