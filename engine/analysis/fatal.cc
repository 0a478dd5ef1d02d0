#include "fatal.h"

#include <algorithm>
#include <unordered_map>

#include "bounds.h"

namespace goinspect {

namespace {

constexpr size_t kMaxGoroutineFrames = 64;

bool printableText(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u == '\n' || u == '\t' || (u >= 0x20 && u != 0x7f);
  });
}

// throw(s) and fatal(s) print s from a closure, systemstack(func() { print(..., s) }): the
// closure's funcval {fn, captured...} lives in their frame after the call returns. The
// string is the (ptr, len) pair among the captured words that reads as text.
std::optional<std::string> throwMessage(Runtime& rt, const Frame& f) {
  GoProgram& prog = rt.prog();
  uint64_t closure = prog.funcAddr(std::string(f.function) + ".func1");
  if (!closure || f.fp <= f.sp || f.fp - f.sp > 4096) return std::nullopt;
  std::vector<uint64_t> words((f.fp - f.sp) / 8);
  if (!rt.mem().read(f.sp, words.data(), words.size() * 8)) return std::nullopt;
  for (size_t i = 0; i < words.size(); i++) {
    if (words[i] != closure) continue;
    for (size_t j = i + 1; j + 1 < words.size() && j <= i + 3; j++) {
      uint64_t len = words[j + 1];
      if (words[j] == 0 || len == 0 || len > bounds::kMaxString) continue;
      std::string s(len, '\0');
      if (rt.mem().read(words[j], s.data(), len) && printableText(s)) return s;
    }
  }
  return std::nullopt;
}

size_t indexOf(const std::vector<Frame>& fs, std::string_view fn) {
  for (size_t i = 0; i < fs.size(); i++)
    if (fs[i].function == fn) return i;
  return fs.size();
}

// When several threads throw at once (both writers of a map see "concurrent map writes"),
// they take turns on paniclk: the first prints its goroutine and then every other one,
// and each but the last then waits in dopanic_m for the others; the last crashes. The
// first to print is the one the runtime's account leads with, so prefer a thread in
// dopanic_m, then one past it (crash, exit), and last one still queued in startpanic_m
// (paniclk) or printlock; a thread still printing its "fatal error:" line, not yet in
// fatalthrow (panic.go), comes last: its line may be missing from the runtime's account.
int dyingRank(const std::vector<Frame>& fs) {
  if (indexOf(fs, "runtime.dopanic_m") < fs.size()) return 0;
  if (indexOf(fs, "runtime.fatalthrow") == fs.size() && indexOf(fs, "runtime.fatalpanic") == fs.size()) return 3;
  if (indexOf(fs, "runtime.startpanic_m") < fs.size() || indexOf(fs, "runtime.printlock") < fs.size()) return 2;
  return 1;
}

}  // namespace

std::optional<FatalError> findFatal(Runtime& rt, const Snapshot& snap) {
  // The goroutine each thread runs, when its backtrace started from the thread's registers:
  // it carries the thread's system frames already.
  std::unordered_map<uint64_t, const GoroutineView*> onThread;
  for (const GoroutineView& v : snap.goroutines)
    if (v.threadId && v.bt.fromThread) onThread[*v.threadId] = &v;
  std::unordered_map<uint64_t, int64_t> mOfThread;
  for (const M& m : rt.allms()) mOfThread[m.procid] = m.id;

  Unwinder unwinder(rt);
  std::optional<FatalError> best;  // see dyingRank
  int bestRank = 4;
  std::vector<FatalError::Other> others;
  auto consider = [&](FatalError&& f) {
    int r = dyingRank(f.frames);
    if (r < bestRank) {
      if (best) others.push_back({best->kind, best->message, best->tid, best->threadIndex, best->goroutine});
      best = std::move(f), bestRank = r;
    } else {
      others.push_back({f.kind, f.message, f.tid, f.threadIndex, f.goroutine});
    }
  };
  for (const ThreadContext& t : snap.threads) {
    FatalError f;
    f.tid = t.tid;
    f.threadIndex = t.index;
    if (auto it = mOfThread.find(t.tid); it != mOfThread.end()) f.mId = it->second;
    if (auto it = onThread.find(t.tid); it != onThread.end()) f.goroutine = it->second;
    if (f.goroutine) {
      f.frames = f.goroutine->bt.systemFrames;
      // The innermost frames are the ones that tell: throw, newstack, gopanic and its caller.
      const auto& gf = f.goroutine->bt.frames;
      f.frames.insert(f.frames.end(), gf.begin(), gf.begin() + std::min<size_t>(gf.size(), kMaxGoroutineFrames));
    } else {
      f.frames = unwinder.threadFrames(t);
    }

    size_t k = std::min(indexOf(f.frames, "runtime.throw"), indexOf(f.frames, "runtime.fatal"));
    if (k < f.frames.size()) {
      f.kind = "fatal error";
      f.message = throwMessage(rt, f.frames[k]);
      if (k + 1 < f.frames.size()) f.thrower = f.frames[k + 1].function;
      // newstack throws "stack overflow" when the doubled stack would pass the limit.
      if (f.thrower == "runtime.newstack" && f.goroutine) {
        uint64_t next = 2 * f.goroutine->sizeBytes();
        auto max = rt.maxstacksize(), ceiling = rt.maxstackceiling();
        if (max && next > *max) f.stackLimit = max;
        else if (ceiling && next > *ceiling) f.stackLimit = ceiling;
        if (f.stackLimit) {
          f.kind = "stack overflow";
          if (!f.message) f.message = "stack overflow";
        }
      }
      consider(std::move(f));
      continue;
    }
    size_t p = indexOf(f.frames, "runtime.fatalpanic");
    if (p < f.frames.size()) {
      f.kind = "panic";
      // The panicking frame: the first one outside the runtime past gopanic (past
      // sigpanic/panicmem for a fault, past panicIndex and friends for a bounds check).
      for (size_t i = indexOf(f.frames, "runtime.gopanic"); i < f.frames.size(); i++)
        if (!f.frames[i].function.starts_with("runtime.")) {
          f.thrower = f.frames[i].function;
          break;
        }
      consider(std::move(f));
    }
  }
  if (best) {
    std::sort(others.begin(), others.end(), [](const auto& a, const auto& b) { return a.threadIndex < b.threadIndex; });
    best->others = std::move(others);
  }
  return best;
}

}  // namespace goinspect
