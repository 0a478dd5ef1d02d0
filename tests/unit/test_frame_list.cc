// FrameList (engine/runtime/frame_list.h): goroutines parked the same way share one shape,
// and every Frame read back is the one put in; Progress (engine/target/progress.h): a long
// step reports through the front end and stops on its interrupt.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <string>
#include <thread>
#include <vector>

#include "errors.h"
#include "frame_list.h"
#include "progress.h"

using namespace goinspect;

namespace {

// Two frames at sp, each 0x40 bytes, the first inlined into the second.
std::vector<Frame> parkedAt(uint64_t sp, uint64_t pc = 0x401000) {
  return {{"main.inner", "/src/main.go", 10, true, false, pc, sp, sp + 0x40, 0x400f00},
          {"main.outer", "/src/main.go", 20, false, false, pc, sp, sp + 0x40, 0x400f00},
          {"main.caller", "/src/main.go", 30, false, false, 0x402000, sp + 0x40, sp + 0x80, 0x401f00}};
}

bool same(const Frame& a, const Frame& b) {
  return a.function == b.function && a.file == b.file && a.line == b.line && a.inlined == b.inlined &&
         a.trap == b.trap && a.pc == b.pc && a.sp == b.sp && a.fp == b.fp && a.entry == b.entry;
}

// A front end that counts what it is told and asks to stop after `stopAfter` looks.
struct CountingFrontEnd : FrontEnd {
  int looks = 0, reports = 0, ends = 0;
  int stopAfter = -1;
  uint64_t lastDone = 0, lastTotal = 0;
  bool interruptRequested() override { return stopAfter >= 0 && ++looks > stopAfter; }
  void progress(const std::string&, uint64_t done, uint64_t total) override {
    reports++;
    lastDone = done;
    lastTotal = total;
  }
  void progressEnd() override { ends++; }
};

struct NoTarget : Target {
  bool readMemory(uint64_t, void*, size_t) override { return false; }
  std::vector<ThreadInfo> threads() override { return {}; }
  std::optional<uint64_t> lookupSymbol(const std::string&) override { return std::nullopt; }
  std::string executablePath() override { return "/nonexistent"; }
  uint64_t loadBias() override { return 0; }
  uint64_t stopId() override { return 1; }
};

}  // namespace

TEST_CASE("frame lists of goroutines parked the same way share a shape and read back exactly", "[frames]") {
  FrameShapes shapes;
  FrameList a = shapes.make(parkedAt(0xc000100f00));
  FrameList b = shapes.make(parkedAt(0xc000200e80));
  FrameList c = shapes.make(parkedAt(0xc000300f00, 0x401004));  // parked at another pc
  CHECK(a.shape() == b.shape());
  CHECK(a.shape() != c.shape());
  CHECK(shapes.count() == 2);
  for (auto [list, sp] : {std::pair{&a, 0xc000100f00ull}, {&b, 0xc000200e80ull}}) {
    std::vector<Frame> want = parkedAt(sp);
    REQUIRE(list->size() == want.size());
    for (size_t i = 0; i < want.size(); i++) {
      CHECK(same((*list)[i], want[i]));
      CHECK(list->function(i) == want[i].function);
      CHECK(list->sp(i) == want[i].sp);
      CHECK(list->fp(i) == want[i].fp);
    }
    size_t n = 0;
    for (const Frame& f : *list) CHECK(same(f, want[n++]));
    CHECK(n == want.size());
  }
}

TEST_CASE("a truncated frame list keeps its first frames and says it is not whole", "[frames]") {
  FrameList l(parkedAt(0x1000));
  CHECK(l.whole());
  l.truncate(2);
  CHECK(l.size() == 2);
  CHECK_FALSE(l.whole());
  CHECK(l.back().function == "main.outer");
  CHECK_THROWS_AS(l.at(2), std::out_of_range);
  l.truncate(5);  // never grows back
  CHECK(l.size() == 2);
  CHECK(FrameList().empty());
  CHECK(FrameList().whole());
}

TEST_CASE("sp and fp below the innermost sp survive the relative form", "[frames]") {
  // A damaged stack can give a frame an sp below the first one's: unsigned offsets still
  // give the same value back.
  std::vector<Frame> fs = parkedAt(0x2000);
  fs[2].sp = 0x10;
  fs[2].fp = 0;
  FrameList l(fs);
  CHECK(l[2].sp == 0x10);
  CHECK(l[2].fp == 0);
}

TEST_CASE("Progress stops a long step when the front end asks, and says how far it got", "[progress]") {
  NoTarget t;
  CountingFrontEnd fe;
  fe.stopAfter = 2;  // the third look says stop
  t.setFrontEnd(&fe);
  uint64_t reached = 0;
  try {
    Progress p(t, "unwinding goroutines", 10000);
    for (; reached < 10000; reached++) p.tick();
    FAIL("not interrupted");
  } catch (const Interrupted& e) {
    CHECK_THAT(e.what(), Catch::Matchers::StartsWith("interrupted while unwinding goroutines, after 768 of 10000"));
  }
  CHECK(reached == 767);  // looks every 256 items
  CHECK(fe.looks == 3);
  CHECK(fe.reports == 0);  // not half a second into the command yet
  CHECK(fe.ends == 0);
}

TEST_CASE("Progress reports from half a second into the command and ends its report", "[progress]") {
  NoTarget t;
  CountingFrontEnd fe;
  t.setFrontEnd(&fe);
  std::this_thread::sleep_for(std::chrono::milliseconds(550));  // the command began at fe's making
  {
    Progress p(t, "writing JSON", 1000);
    for (int i = 0; i < 600; i++) p.tick();
  }
  CHECK(fe.reports == 1);  // at most once per 100 ms
  CHECK(fe.lastDone == 256);  // 512 came within 100 ms of it
  CHECK(fe.lastTotal == 1000);
  CHECK(fe.ends == 1);
  // Without a front end of its own, a target reports nothing and never stops.
  NoTarget quiet;
  Progress p(quiet, "x", 0);
  for (int i = 0; i < 1000; i++) p.tick();
  CHECK(p.done() == 1000);
}
