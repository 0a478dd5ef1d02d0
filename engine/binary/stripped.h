// Finding the runtime's globals in a stripped binary (-ldflags=-s -w), where the symbol
// table is gone but pclntab still names every function.
//
// Each global is found through a runtime function that uses it: the function's code holds
// RIP-relative references (a ModRM byte, then a 32-bit displacement from the next
// instruction) to the data it touches. Every 4-byte window of the code after such a byte is
// read as a displacement; windows that land in the data sections are candidates. A global
// is accepted only if exactly one candidate fits what the code says of it (memstats: the
// one base every field gcMarkTermination writes fits; maxstacksize: the word runtime.main
// stores 1000000000 into) and the memory there has its shape (allgs: a slice whose first g
// has goid 1). Memory that merely looks right never decides between candidates: what it
// holds depends on the heap's history. No disassembler is needed, and when the candidates
// cannot be told apart the global is not found (the commands then say "unknown").
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
// runtime.allm, runtime.allp, runtime.sched, runtime.maxstacksize, runtime.maxstackceiling,
// runtime.memstats, runtime.gStatusStrings, runtime.waitReasonStrings. Missing entries could
// not be found or validated.
std::map<std::string, std::pair<uint64_t, uint64_t>> discoverGlobals(const GoProgram& prog, Memory& mem);

// The data addresses (runtime) that `func`'s code may reference, in code order: candidates,
// for a caller that can check each by the shape of what it finds there.
std::vector<uint64_t> codeDataRefs(const GoProgram& prog, std::string_view func);

}  // namespace goinspect
