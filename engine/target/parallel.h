// Work over many items (a million goroutines) split over the machine's cores, where other
// threads may read the target (Target::concurrentReads): blocks of items taken in turn by
// this thread and up to seven more, each with its own Memory and state. Elsewhere, or for
// few items, all of it runs here.
//
//   forEachItem(mem, "unwinding goroutines", views.size(),
//       [&](Memory& m) { return std::make_unique<Viewer>(rt, target, m); },  // per thread, made here
//       [&](Viewer& v, size_t i) { v.fill(views[i], now); },                  // one item
//       [&](Viewer&, size_t i) { views[i] = ...; });                          // undo a missed one
//
// A worker's Memory reads only what needs no debugger (Target::readConcurrently); an item
// whose reads needed the debugger is undone and made again on this thread, so the result
// never depends on the split. Progress and Ctrl-C are this thread's: an interruption stops
// every worker before Interrupted leaves here. An exception in a worker is rethrown here.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "memory.h"
#include "progress.h"

namespace goinspect {

inline constexpr size_t kParallelBlock = 1024;
inline constexpr size_t kParallelMin = 16 * kParallelBlock;
inline constexpr unsigned kMaxWorkThreads = 8;

template <typename Make, typename Item, typename Undo>
void forEachItem(Memory& mem, const std::string& title, size_t n, Make make, Item item, Undo undo) {
  Target& target = mem.target();
  Progress progress(target, title, n);
  auto mine = make(mem);
  unsigned threads = std::min(std::thread::hardware_concurrency(), kMaxWorkThreads);
  if (n < kParallelMin || threads < 2 || !target.concurrentReads()) {
    for (size_t i = 0; i < n; i++) {
      progress.tick();
      item(*mine, i);
    }
    return;
  }
  struct Worker {
    Memory mem;
    decltype(make(mem)) state;
    std::vector<size_t> redo;  // items that needed the debugger
    std::exception_ptr error;
    explicit Worker(Target& t) : mem(t) {}
  };
  std::vector<std::unique_ptr<Worker>> workers;
  for (unsigned t = 1; t < threads; t++) {
    auto w = std::make_unique<Worker>(target);
    w->mem.setFallback(mem.fallback());
    w->mem.setConcurrent();
    w->state = make(w->mem);  // on this thread: making it may ask the debugger
    workers.push_back(std::move(w));
  }
  std::atomic<size_t> next{0}, done{0};
  std::atomic<bool> stop{false};
  auto work = [&](Worker& w) {
    try {
      for (size_t b; !stop && (b = next.fetch_add(kParallelBlock)) < n;) {
        size_t e = std::min(n, b + kParallelBlock);
        for (size_t i = b; i < e; i++) {
          w.mem.clearMissed();
          item(*w.state, i);
          if (w.mem.missed()) {
            undo(*w.state, i);
            w.redo.push_back(i);
          }
        }
        done += e - b;
      }
    } catch (...) {
      w.error = std::current_exception();
      stop = true;
    }
  };
  std::vector<std::thread> running;
  for (auto& w : workers) running.emplace_back(work, std::ref(*w));
  auto joinAll = [&] {
    for (std::thread& t : running) t.join();
    running.clear();
  };
  // This thread takes blocks too, and between them counts everyone's progress (and Ctrl-C).
  uint64_t counted = 0;
  try {
    for (size_t b; !stop && (b = next.fetch_add(kParallelBlock)) < n;) {
      size_t e = std::min(n, b + kParallelBlock);
      for (size_t i = b; i < e; i++) item(*mine, i);
      done += e - b;
      uint64_t d = done;
      progress.add(d - counted);
      counted = d;
    }
  } catch (...) {
    stop = true;
    joinAll();
    throw;
  }
  joinAll();
  for (auto& w : workers)
    if (w->error) std::rethrow_exception(w->error);
  // What the workers did last counts too, and Ctrl-C is looked at once more: even when
  // they took every block, this thread has checked at least once.
  progress.add(done - counted);
  for (auto& w : workers)
    for (size_t i : w->redo) item(*mine, i);
}

}  // namespace goinspect
