// The runtime's semaphore table (runtime/sema.go): who sleeps on which semaphore address.
//
// semtable is 251 semaRoots (each padded to a cache line); a root's treap holds one sudog
// per address (ordered by address, linked by prev/next/parent), and each of those heads a
// waitlink list of every goroutine asleep on that address, in the order they will wake.
//
// In a stripped binary the table is found among the data semacquire1 references: the
// candidate whose treaps hold the goroutines that the snapshot shows asleep on semaphores.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "goroutines.h"

namespace goinspect {

// Every goroutine asleep on one semaphore address or Cond notify list, in wake order.
struct SleepQueue {
  uint64_t addr = 0;
  std::vector<int64_t> goids;
};

struct Semtable {
  std::map<uint64_t, SleepQueue> queues;                             // address → sleepers
  std::unordered_map<uint64_t, std::pair<uint64_t, int>> byGoroutine;  // g → (address, position)
  std::string error;
};

Semtable readSemtable(Runtime& rt, const Snapshot& snap);

}  // namespace goinspect
