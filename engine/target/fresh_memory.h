// Large arrays made for one command (a view per goroutine, a wait entry per waiter) are new
// memory, and new memory costs more than the work that fills it: each page the process
// touches first is a fault, and the kernel (and, on a VM, the host) finds and zeroes a page.
// Two remedies, for arrays written from start to end:
//
//   std::vector<GoroutineView> views;
//   views.reserve(n);
//   adviseHugePages(views);        // 2 MiB pages: a fault per 2 MiB, not per 4 KiB
//   Prefault ahead(views, n);      // the other core takes the faults while this one works
//   ... views.emplace_back() ...   // (ahead stops and is joined when it goes out of scope)
//
// Linux backs memory with huge pages only where asked (transparent_hugepage "madvise", as
// Debian sets it); MADV_POPULATE_WRITE is Linux 5.14+. Both are hints: without them the
// memory is the same, only slower to get.
#pragma once

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <system_error>
#include <thread>
#include <vector>

namespace goinspect {

namespace fresh_memory {
constexpr uintptr_t kHuge = uintptr_t{2} << 20;
constexpr size_t kMinBytes = size_t{8} << 20;  // below this, the faults are not worth a thread
constexpr size_t kChunk = size_t{8} << 20;     // populated per call: the stop flag's latency
inline uintptr_t down(uintptr_t a) { return a & ~(kHuge - 1); }
inline uintptr_t up(uintptr_t a) { return (a + kHuge - 1) & ~(kHuge - 1); }
}  // namespace fresh_memory

// Asks for huge pages for the whole 2 MiB pages inside [p, p + bytes).
inline void adviseHugePages(void* p, size_t bytes) {
  using namespace fresh_memory;
  uintptr_t lo = up(reinterpret_cast<uintptr_t>(p)), hi = down(reinterpret_cast<uintptr_t>(p) + bytes);
#ifdef MADV_HUGEPAGE
  if (hi > lo) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);
#endif
}

// The vector's whole capacity (after reserve, before the elements are written).
template <typename T, typename A>
void adviseHugePages(std::vector<T, A>& v) {
  adviseHugePages(v.data(), v.capacity() * sizeof(T));
}

// Faults in [p, p + bytes) on a thread of its own, a chunk at a time, while the caller fills
// the memory from its start: the two meet, and every page the caller reaches after that is
// ready. Only whole pages inside the range (the memory around it is someone else's).
// Stops within a chunk when destroyed.
class Prefault {
 public:
  Prefault(void* p, size_t bytes) {
#ifdef MADV_POPULATE_WRITE
    using namespace fresh_memory;
    uintptr_t lo = (reinterpret_cast<uintptr_t>(p) + 4095) & ~uintptr_t{4095};
    uintptr_t hi = (reinterpret_cast<uintptr_t>(p) + bytes) & ~uintptr_t{4095};
    if (hi <= lo || hi - lo < kMinBytes) return;
    try {
      thread_ = std::thread([this, lo, hi] {
        for (uintptr_t a = lo; a < hi && !stop_.load(std::memory_order_relaxed); a += kChunk)
          if (madvise(reinterpret_cast<void*>(a), std::min<uintptr_t>(kChunk, hi - a), MADV_POPULATE_WRITE) != 0)
            return;  // an older kernel, or no memory: the caller's own faults will do
      });
    } catch (const std::system_error&) {
      // No thread to be had: nothing is lost but time.
    }
#endif
  }
  // The first n elements of a vector whose capacity holds them.
  template <typename T, typename A>
  Prefault(std::vector<T, A>& v, size_t n) : Prefault(v.data(), std::min(n, v.capacity()) * sizeof(T)) {}
  Prefault(const Prefault&) = delete;
  Prefault& operator=(const Prefault&) = delete;
  ~Prefault() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace goinspect
