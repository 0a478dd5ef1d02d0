// Deadlocks: whether every goroutine is blocked with nothing left to wake it (the runtime's
// own "all goroutines are asleep" condition, runtime/proc.go checkdead), and the wait-for
// cycles among blocked goroutines.
//
// An edge X → Y means: X waits on an object (channel, sync object) and Y, itself blocked,
// holds a reference to that object on its stack without waiting on it the same way, so Y
// is who could wake X (send, receive, unlock, Done, Signal). References are words of Y's
// used stack equal to the object's address: a guess (a dead stack slot may still hold
// one, a heap object may hold another), so a cycle is proof only when every goroutine is
// blocked anyway.
#pragma once

#include <optional>

#include "waits.h"

namespace goinspect {

class Runtime;
// nullopt when nothing is all-blocked and no cycle is found.
std::optional<Deadlock> findDeadlock(Runtime& rt, const Snapshot& snap, const Waits& w);

}  // namespace goinspect
