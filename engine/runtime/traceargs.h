// A frame's arguments as the runtime's own traceback prints them (runtime/traceback.go,
// printArgs): the words the compiler listed in FUNCDATA_ArgInfo, read at the frame's argp
// (its fp on amd64), in hex, grouped in braces as the aggregates they belong to, "..." past
// ten components, "_" at an offset too large to encode, and "?" after a register argument's
// spill slot that FUNCDATA_ArgLiveInfo says is not live at the frame's pc (possibly stale).
//
//   traceArgs(prog, mem, frame)  ->  "0xc000012345, 0x4, {0xc00001c030, 0x2, 0x2}, 0x0?"
//
// An inlined frame has no arguments of its own: "..." as the runtime prints. A word that
// cannot be read is "<unreadable>"; a function without ArgInfo prints nothing.
#pragma once

#include <string>

#include "unwind.h"

namespace goinspect {

class GoProgram;
class Memory;

std::string traceArgs(const GoProgram& prog, Memory& mem, const Frame& f);

}  // namespace goinspect
