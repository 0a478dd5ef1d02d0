#include "recursion.h"

namespace goinspect {

std::optional<Recursion> findRecursion(const FrameList& frames, size_t maxCycle) {
  const size_t n = frames.size();
  std::optional<Recursion> best;
  for (size_t p = 1; p <= maxCycle && 2 * p <= n; p++) {
    // Longest run of i with frames[i] == frames[i + p]: such a run of length L holds
    // (L + p) / p whole cycles starting at its first frame.
    size_t i = 0;
    while (i + p < n) {
      if (frames.function(i) != frames.function(i + p)) {
        i++;
        continue;
      }
      size_t start = i;
      while (i + p < n && frames.function(i) == frames.function(i + p)) i++;
      size_t covered = (i - start) + p;  // frames start .. i + p - 1
      size_t repeats = covered / p;
      if (repeats >= 2) {
        size_t used = repeats * p;
        bool better = !best || used > best->cycleFrames * best->repeats;
        // A longer period that is a shorter one repeated (f f f f as "f f") covers no more
        // frames, and the shorter one was tried first, so it stays.
        if (better) {
          Recursion r;
          r.cycleFrames = p;
          r.repeats = repeats;
          // Whole cycles are counted from the outermost call, where the recursion was
          // entered; a partial cycle left at the innermost end is the deepest call's own.
          r.outermost = start + covered - 1;
          r.innermost = r.outermost + 1 - used;
          // One cycle, outermost call first: the frames just inside the outermost end.
          for (size_t k = 0; k < p; k++) r.functions.push_back(frames.function(r.outermost - k));
          // The outermost cycle's own stack: the innermost cycle may be short (a frame
          // caught in its prologue by morestack has not allocated its frame yet).
          uint64_t lo = frames.sp(r.outermost + 1 - p), hi = frames.fp(r.outermost);
          r.bytesPerCycle = hi > lo ? hi - lo : 0;
          if (r.outermost + 1 < n) r.entry = r.outermost + 1;
          best = std::move(r);
        }
      }
    }
  }
  return best;
}

}  // namespace goinspect
