// Recursion in a goroutine's stack: the call cycle that repeats most, direct (f → f) or
// mutual (ping → pong → ping, and longer), read off the logical frames by function name.
//
//   if (auto r = findRecursion(bt.frames)) ... r->functions, r->repeats, r->bytesPerCycle
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "unwind.h"

namespace goinspect {

struct Recursion {
  std::vector<std::string_view> functions;  // one cycle, outermost call first
  size_t cycleFrames = 0;                   // frames per cycle
  size_t repeats = 0;                       // consecutive cycles on the stack (≥ 2)
  uint64_t bytesPerCycle = 0;               // stack the outermost cycle takes (fp - sp)
  size_t innermost = 0, outermost = 0;      // frame indexes the cycles cover
  // The frame that called into the cycle (outermost + 1), if there is one.
  std::optional<size_t> entry;
};

// The cycle covering the most frames (ties: the shortest cycle), or nullopt. Cycles of up to
// maxCycle functions are looked for; a cycle must repeat at least twice back to back.
// Cost: O(frames × maxCycle).
std::optional<Recursion> findRecursion(const FrameList& frames, size_t maxCycle = 16);

}  // namespace goinspect
