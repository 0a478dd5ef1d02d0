// forEachItem (engine/target/parallel.h): work split over threads gives what one thread
// gives, item for item; an item whose read needed the debugger is made again on the
// calling thread; Ctrl-C stops every worker before Interrupted leaves.
#include <catch2/catch_test_macros.hpp>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "errors.h"
#include "parallel.h"

using namespace goinspect;

namespace {

constexpr uint64_t kBase = 0x10000;

// Memory of words: the word at kBase + 8 i is i * 3. Other threads may read all of it but
// the words of items divisible by 97, which only readMemory (the "debugger") gives; it
// counts which threads called it.
struct WordTarget : Target {
  std::thread::id caller = std::this_thread::get_id();
  std::atomic<int> foreignDebuggerReads{0};
  bool concurrent = true;
  static bool word(uint64_t addr, void* buf, size_t n) {
    if (addr < kBase || n != 8 || (addr - kBase) % 8) return false;
    uint64_t v = (addr - kBase) / 8 * 3;
    std::memcpy(buf, &v, 8);
    return true;
  }
  bool readMemory(uint64_t addr, void* buf, size_t n) override {
    if (std::this_thread::get_id() != caller) foreignDebuggerReads++;
    return word(addr, buf, n);
  }
  bool readConcurrently(uint64_t addr, void* buf, size_t n) override {
    return ((addr - kBase) / 8) % 97 != 0 && word(addr, buf, n);
  }
  bool concurrentReads() override { return concurrent; }
  std::vector<ThreadInfo> threads() override { return {}; }
  std::optional<uint64_t> lookupSymbol(const std::string&) override { return std::nullopt; }
  std::string executablePath() override { return "/nonexistent"; }
  uint64_t loadBias() override { return 0; }
  uint64_t stopId() override { return 1; }
};

struct State {
  Memory& mem;
  int items = 0;
};

// Reads item i's word through the Memory it is given (past the page cache, so that every
// item makes its own read). The calling thread waits (up to 10 s) until a worker has made an
// item, so that workers take part however the threads are scheduled: without it, a loaded
// machine may let this thread take every block before a worker starts.
std::vector<uint64_t> run(WordTarget& t, size_t n, int* made = nullptr) {
  Memory mem(t);
  std::vector<uint64_t> out(n, ~0ull);
  std::atomic<int> undone{0};
  std::atomic<bool> workerRan{false};
  forEachItem(
      mem, "reading words", n, [&](Memory& m) { return std::make_unique<State>(State{m}); },
      [&](State& s, size_t i) {
        s.items++;
        if (&s.mem != &mem) {
          workerRan = true;
        } else if (n >= kParallelMin && t.concurrent && std::thread::hardware_concurrency() >= 2) {
          for (int k = 0; k < 10000 && !workerRan; k++) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        uint64_t v = 0;
        out[i] = s.mem.readOnce(kBase + 8 * i, &v, 8) ? v : 0;
      },
      [&](State&, size_t i) {
        out[i] = ~0ull;
        undone++;
      });
  if (made) *made = undone;
  return out;
}

struct StopAfter : FrontEnd {
  int looks = 0, after;
  explicit StopAfter(int a) : after(a) {}
  bool interruptRequested() override { return ++looks > after; }
};

}  // namespace

TEST_CASE("work split over threads gives what one thread gives; debugger reads stay on the calling thread",
          "[parallel]") {
  const size_t n = 5 * kParallelMin + 123;  // enough to split, and not a whole number of blocks
  WordTarget serial;
  serial.concurrent = false;
  std::vector<uint64_t> want = run(serial, n);
  for (size_t i = 0; i < n; i++) REQUIRE(want[i] == i * 3);

  WordTarget split;
  int undone = 0;
  std::vector<uint64_t> got = run(split, n, &undone);
  CHECK(got == want);
  CHECK(split.foreignDebuggerReads == 0);
  // Every item whose word only the debugger gives, and that a worker took, was undone and
  // made again here (with one core there are no workers, and nothing to undo).
  if (std::thread::hardware_concurrency() >= 2) CHECK(undone > 0);
}

TEST_CASE("few items, or a target other threads may not read, run on the calling thread", "[parallel]") {
  WordTarget small;
  int undone = -1;
  std::vector<uint64_t> got = run(small, kParallelMin - 1, &undone);
  CHECK(undone == 0);
  for (size_t i = 0; i < got.size(); i++) REQUIRE(got[i] == i * 3);
}

TEST_CASE("Ctrl-C during split work stops it and leaves as Interrupted", "[parallel]") {
  WordTarget t;
  StopAfter fe(0);  // the first look: this thread looks at least once, however few blocks it takes
  t.setFrontEnd(&fe);
  CHECK_THROWS_AS(run(t, 50 * kParallelMin), Interrupted);
  // The threads were joined (a std::thread left joinable would have ended the process) and
  // the same target works again afterwards.
  t.setFrontEnd(nullptr);
  std::vector<uint64_t> got = run(t, kParallelMin);
  CHECK(got[kParallelMin - 1] == (kParallelMin - 1) * 3);
}
