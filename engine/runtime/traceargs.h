// A frame's arguments as the runtime's own traceback prints them (runtime/traceback.go,
// printArgs): the words the compiler listed in FUNCDATA_ArgInfo (cmd/compile's
// EmitArgInfo: each input parameter in order, an aggregate's words in braces), read at the
// frame's argp (its fp on amd64), in hex, "..." past ten components, "_" at an offset too
// large to encode, and "?" after a register argument's spill slot that FUNCDATA_ArgLiveInfo
// says is not live at the frame's pc (possibly stale).
//
//   traceArgs(prog, mem, frame)  ->  "0xc000012345, 0x4, {0xc00001c030, 0x2, 0x2}, 0x0?"
//   traceArgSlots(prog, frame)   ->  where each parameter's words are, for go args to read
//                                    a parameter DWARF gives no location at that pc
//
// An inlined frame has no arguments of its own: "..." as the runtime prints. A word that
// cannot be read is "<unreadable>"; a function without ArgInfo prints nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "unwind.h"

namespace goinspect {

class GoProgram;
class Memory;

// What traceArgs decodes at a pc (ArgInfo and the liveness of its words), kept across the
// frames of one command: a million goroutines parked in the same functions decode each pc
// once. Bounded.
class TraceArgsCache {
 public:
  TraceArgsCache();
  ~TraceArgsCache();
  struct Impl;
  std::unique_ptr<Impl> impl;
};

std::string traceArgs(const GoProgram& prog, Memory& mem, const Frame& f, TraceArgsCache* cache = nullptr);

// One input parameter (the receiver first; a generic function's dictionary not listed), as
// ArgInfo places it: its words start at argp + offset in the parameter's own layout (the
// spill area is laid out as stack-assigned arguments are).
struct TraceArgSlot {
  std::optional<uint64_t> addr;  // argp + the offset of its first word; none for {} or "_"
  bool complete = false;         // every word listed (no "..." or "_" inside)
  bool live = true;              // no word is a dead spill slot ('?')
};
struct TraceArgSlots {
  std::vector<TraceArgSlot> params;
  bool truncated = false;  // the list stopped at ten components: parameters after are not listed
};
// nullopt when the frame is inlined or its function has no ArgInfo.
std::optional<TraceArgSlots> traceArgSlots(const GoProgram& prog, const Frame& f);

}  // namespace goinspect
