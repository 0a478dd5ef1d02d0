// Long work over many items (a million goroutines): shows its progress through the
// target's front end once the command has run half a second, and stops when the user presses
// Ctrl-C by throwing Interrupted, which the command boundary reports like any Error.
//
//   Progress progress(target, "unwinding goroutines", gs.size());
//   for (const G& g : gs) { progress.tick(); ... }
//
// Nothing else happens per item but a counter; the clock and the front end are looked at
// every 256 items.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "target.h"

namespace goinspect {

class Progress {
 public:
  Progress(Target& target, std::string title, uint64_t total);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // One more item done. Throws Interrupted.
  void tick() {
    if ((++done_ & 255) == 0) check();
  }
  // n more items done at once (work split over threads, counted by the command's thread).
  void add(uint64_t n) {
    done_ += n;
    check();
  }
  // Throws Interrupted when the user asked to stop; reports progress when due.
  void check();
  uint64_t done() const { return done_; }

 private:
  using Clock = std::chrono::steady_clock;
  FrontEnd& fe_;
  std::string title_;
  uint64_t total_;
  uint64_t done_ = 0;
  Clock::time_point last_{};
  bool shown_ = false;
};

}  // namespace goinspect
