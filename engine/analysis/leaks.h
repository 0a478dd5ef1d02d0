// Leaked goroutines: blocked goroutines grouped by what makes them the same (every frame's
// function and line, the wait reason, the go statement that made them, their pprof
// labels), with a verdict on each group.
//
// A group reads as leaked when its goroutines can never be woken by anything the data
// shows: two or more of them wait on channels that only they are queued on, all the same
// way, with no timer behind them and no other goroutine holding one on its stack (the
// classic leak: 1,000 goroutines each sending on its own channel whose reader gave up; or
// 100 workers sending results to a handler that returned); or on a nil channel, or in
// select {}; or the runtime's own leak detector (Go 1.26+, GOEXPERIMENT=
// goroutineleakprofile) marked them leaked. A lone goroutine is not called a leak (a
// signal.Notify channel is held only by the heap); everything else is listed, for the
// user to judge, without a verdict.
//
//   for (const LeakGroup& g : findLeaks(waits, userGoroutines)) ... g.members.size(), g.leak
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "waits.h"

namespace goinspect {

struct LeakGroup {
  std::vector<const GoroutineWaits*> members;  // by id
  bool leak = false;
  std::string why;
  const WaitEntry* shared = nullptr;  // the one object every member waits on, if one
  size_t objects = 0;                 // distinct objects the members wait on
  std::optional<int64_t> minMinutes, maxMinutes;
  const GoroutineView& first() const { return *members.front()->v; }
};

// Groups of the goroutines `which` (entries of w.goroutines), judged against all of `w`;
// leaked groups first, then by size, largest first.
std::vector<LeakGroup> findLeaks(const Waits& w, const std::vector<const GoroutineWaits*>& which);

}  // namespace goinspect
