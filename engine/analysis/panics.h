// Panics in flight (g._panic, runtime/panic.go) and why the process died.
//
//   std::vector<PanicRecord> ps = panicsOf(rt, view);   // oldest first, as printpanics
//   Cause c = findCause(rt, snap);                      // c.text() is go info's "died of"
//
// A panic's value is an `any`: its dynamic type comes from the type descriptor; its text is
// what the runtime would print after "panic: " where the memory alone says it (strings,
// numbers, the runtime's own errors, errors.New, fmt.Errorf); Error() methods of other
// types cannot run in a core, so those values are shown by type and address.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fatal.h"
#include "goroutines.h"

namespace goinspect {

struct PanicRecord {
  uint64_t addr = 0;                    // the _panic (on gopanic's frame)
  std::optional<std::string> type;      // the value's dynamic type, nullopt for nil or unreadable
  uint64_t typeAddr = 0;                // its type descriptor; 0 for a nil value
  std::optional<std::string> value;     // its text as the runtime prints it; nullopt if unknown
  uint64_t data = 0;                    // the value's data word
  bool recovered = false, goexit = false, repanicked = false, aborted = false;
  std::optional<std::string> runningDefer;  // the deferred call this panic is running
  // gopanic's argument had this type but its text could not be checked against the string
  // preprintpanics left (an error type whose Error() cannot run here).
  std::optional<std::string> typeBeforePrinting;
};

// The goroutine's panics, oldest first. Bounded; an unreadable record ends the list.
std::vector<PanicRecord> panicsOf(Runtime& rt, const GoroutineView& v, std::string* err = nullptr);

struct Cause {
  std::string kind = "none";            // "panic", "fatal", "signal", "none"
  std::string message;                  // after "panic: " / "fatal error: ", or "SIGSEGV: segmentation violation"
  const GoroutineView* goroutine = nullptr;
  std::optional<int64_t> mId;
  std::optional<uint32_t> threadIndex;
  std::optional<uint64_t> tid;
  std::optional<std::string> signal;    // "SIGSEGV"
  std::optional<uint64_t> sigpc, sigaddr;
  std::optional<int64_t> sigcode;
  bool inCgo = false;                   // the signal arrived during a cgo call
  std::string function;                 // the thrower, the panicking frame, or the faulting function
  std::optional<FatalError> fatal;      // what findFatal saw, when it saw something

  // One line that starts as the runtime's own first line ("panic: ...", "fatal error: ...",
  // "SIGSEGV: segmentation violation") and says where.
  std::string text() const;
  // "; at the same moment fatal error: bad map state on thread #3 (goroutine 7)" when other
  // threads threw too, else "".
  std::string othersText() const;
};

Cause findCause(Runtime& rt, const Snapshot& snap);

}  // namespace goinspect
