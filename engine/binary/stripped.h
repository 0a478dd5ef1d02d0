// Finding the runtime's globals in a stripped binary (-ldflags=-s -w), where the symbol
// table is gone but pclntab still names every function.
//
// Each global is found through a runtime function that uses it: the function's code holds
// RIP-relative references (a 32-bit displacement from the next instruction) to the data
// it touches. Every 4-byte window of the code is read as such a displacement; windows that
// land in the data sections are candidates, and a candidate is accepted only if the memory
// there has the shape of the global (e.g. allgs: a slice whose first g has goid 1). No
// disassembler is needed and a wrong guess is rejected, not used.
//
// Rejected: scanning all of .data/.bss for slice-shaped words (slow on large programs and
// ambiguous); hard-coded addresses per release (they move with every build).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "goprogram.h"

namespace goinspect {

// Runtime addresses and sizes of the globals it can find: runtime.allgs, runtime.allglen,
// runtime.allm, runtime.allp, runtime.sched, runtime.maxstacksize, runtime.memstats, runtime.gStatusStrings,
// runtime.waitReasonStrings. Missing entries could not be found or validated.
std::map<std::string, std::pair<uint64_t, uint64_t>> discoverGlobals(const GoProgram& prog, Memory& mem);

// The data addresses (runtime) that `func`'s code may reference, in code order: candidates,
// for a caller that can check each by the shape of what it finds there.
std::vector<uint64_t> codeDataRefs(const GoProgram& prog, std::string_view func);

}  // namespace goinspect
