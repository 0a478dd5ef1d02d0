// The engine on real cores of tests/unit/coredata/waiters, built with every toolchain
// (plain, stripped, PIE) by tests/unit/coredata/make-cores.sh. No debugger is involved:
// CoreTarget reads the core.
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/generators/catch_generators_range.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstring>
#include <elf.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "commands.h"
#include "core_target.h"
#include "unit_cores.h"
#include "goprogram.h"
#include "recursion.h"
#include "stripped.h"

using namespace goinspect;

namespace {

using testing::coreDir;
using testing::kVersions;
using testing::OverlayTarget;

// Corrupts reads of one address range (a goroutine's stack) to show that a bad structure
// costs only that goroutine.
class CorruptTarget : public Target {
 public:
  CorruptTarget(Target& t, uint64_t lo, uint64_t hi) : t_(t), lo_(lo), hi_(hi) {}
  bool readMemory(uint64_t a, void* b, size_t n) override {
    if (!t_.readMemory(a, b, n)) return false;
    for (size_t i = 0; i < n; i++)
      if (a + i >= lo_ && a + i < hi_) static_cast<uint8_t*>(b)[i] = 0xA5;
    return true;
  }
  std::vector<ThreadInfo> threads() override { return t_.threads(); }
  std::optional<uint64_t> lookupSymbol(const std::string& n) override { return t_.lookupSymbol(n); }
  std::string executablePath() override { return t_.executablePath(); }
  uint64_t loadBias() override { return t_.loadBias(); }
  uint64_t stopId() override { return 1; }

 private:
  Target& t_;
  uint64_t lo_, hi_;
};

size_t countFrames(const GoroutineView& v, std::string_view fn) {
  size_t n = 0;
  for (const Frame& f : v.bt.frames) n += f.function == fn;
  return n;
}

}  // namespace

TEST_CASE("every build of waiters lists its parked goroutines with the runtime's states and frames", "[engine]") {
  auto v = GENERATE(from_range(std::vector<std::string>(std::begin(kVersions), std::end(kVersions))));
  auto mode = GENERATE(as<std::string>{}, "plain", "stripped", "pie");
  CAPTURE(v, mode);
  std::string d = coreDir(v, mode);
  auto t = CoreTarget::open(d + "/waiters", d + "/core");
  Session s(*t);
  const Snapshot& snap = s.snapshot();
  CHECK(snap.goVersion.starts_with(v));
  CHECK(snap.errors.empty());

  size_t recv = 0, lock = 0, deep = 0;
  for (const GoroutineView& g : snap.goroutines) {
    CAPTURE(g.g.goid);
    CHECK(g.bt.error.empty());
    REQUIRE_FALSE(g.bt.frames.empty());
    // Every stack ends where the runtime's do: goexit, or runtime.main's caller for g1.
    CHECK(g.bt.frames.back().function == "runtime.goexit");
    if (countFrames(g, "main.recv")) {
      recv++;
      CHECK(g.stateText() == "chan receive");
      CHECK(g.bt.frames.front().function == "runtime.gopark");
      REQUIRE(g.createdBy);
      CHECK(g.createdBy->function == "main.main");
      CHECK(g.createdBy->goid == 1);
    }
    if (countFrames(g, "main.lock")) {
      lock++;
      CHECK(g.stateText() == "sync.Mutex.Lock");
    }
    if (countFrames(g, "main.deep")) {
      deep++;
      CHECK(countFrames(g, "main.deep") == 51);
      CHECK(g.stateText() == "chan receive");
      CHECK(g.usedBytes() > 0);
      CHECK(g.usedBytes() <= g.sizeBytes());
    }
    if (g.g.goid == 1) {
      CHECK(g.status == "running");
      CHECK(countFrames(g, "runtime.gopanic") == 1);
      CHECK(countFrames(g, "main.main") == 1);
    }
  }
  CHECK(recv == 3);
  CHECK(lock == 1);
  CHECK(deep == 1);
}

TEST_CASE("globals found without symbols are the ones the symbol table names", "[engine][stripped]") {
  auto v = GENERATE(from_range(std::vector<std::string>(std::begin(kVersions), std::end(kVersions))));
  // plain and pie; gc: the plain binary after several collections (what memory near the
  // globals holds changes); layout: more packages linked in (the globals and their
  // neighbours move).
  auto mode = GENERATE(as<std::string>{}, "plain", "pie", "gc", "layout");
  CAPTURE(v, mode);
  std::string d = coreDir(v, mode);
  auto t = CoreTarget::open(d + "/waiters", d + "/core");
  Memory mem(*t);
  auto prog = GoProgram::load(*t, mem);
  auto found = discoverGlobals(*prog, mem);
  for (const char* name : {"runtime.allgs", "runtime.allglen", "runtime.allm", "runtime.allp", "runtime.maxstacksize",
                           "runtime.maxstackceiling", "runtime.memstats", "runtime.gStatusStrings",
                           "runtime.waitReasonStrings"}) {
    CAPTURE(name);
    REQUIRE(found.count(name));
    CHECK(found[name].first == *prog->elf().symbol(name) + prog->bias());
  }
  // runtime.sched must be found; gcphase is not looked for (no shape tells it from the other
  // zero words setGCPhase's inlined callers touch), so it must not be "found".
  REQUIRE(found.count("runtime.sched"));
  CHECK(found["runtime.sched"].first == *prog->elf().symbol("runtime.sched") + prog->bias());
  CHECK_FALSE(found.count("runtime.gcphase"));
  // The string tables' lengths come from memory; they must cover the real arrays.
  CHECK(found["runtime.gStatusStrings"].second >= *prog->elf().symbolSize("runtime.gStatusStrings"));
  CHECK(found["runtime.waitReasonStrings"].second >= *prog->elf().symbolSize("runtime.waitReasonStrings"));
  CHECK(found["runtime.memstats"].second == *prog->elf().symbolSize("runtime.memstats"));
  // The gc cores did collect: memstats.numgc counts runtime.GC's five and any of its own.
  if (mode == "gc") CHECK(mem.u32(found["runtime.memstats"].first + prog->off("runtime.mstats", "numgc")) >= 5);
}


TEST_CASE("what memory holds beside a global does not choose it", "[engine][stripped]") {
  auto v = GENERATE(from_range(std::vector<std::string>(std::begin(kVersions), std::end(kVersions))));
  CAPTURE(v);
  std::string d = coreDir(v, "plain");
  auto core = CoreTarget::open(d + "/waiters", d + "/core");
  OverlayTarget t(*core);
  uint64_t maxstack = 0, ceiling = 0, memstats = 0;
  std::set<uint64_t> dressed;
  {
    Memory mem(*core);
    auto prog = GoProgram::load(*core, mem);
    auto sym = [&](const char* n) { return *prog->elf().symbol(n) + prog->bias(); };
    maxstack = sym("runtime.maxstacksize"), ceiling = sym("runtime.maxstackceiling"), memstats = sym("runtime.memstats");
    uint64_t mstatsSize = prog->sizeOf("runtime.mstats");
    uint64_t md = sym("runtime.firstmoduledata"), mdSize = prog->sizeOf("runtime.moduledata");
    // The real globals keep what they hold, and so does the moduledata the program is read
    // through; any other word may be made to look like them.
    auto dress = [&](uint64_t x, uint64_t value) {
      bool real = x == maxstack || x == ceiling || (x >= memstats && x < memstats + mstatsSize) ||
                  (x + 8 > md && x < md + mdSize);
      if (!real) t.set(x, value);
      return !real;
    };
    // Every other word newstack may reference reads as a stack limit (2^32, as one seen in
    // the wild), and every other base the heap-stats code may reference as a ring of
    // heapStatsDelta with a page of stacks: the look of the real ones, elsewhere.
    for (uint64_t x : codeDataRefs(*prog, "runtime.newstack"))
      if (dress(x, 1ull << 32)) dressed.insert(x);
    uint64_t delta = prog->sizeOf("runtime.heapStatsDelta");
    uint64_t gen = prog->off("runtime.mstats", "heapStats.gen");
    uint64_t committed = prog->off("runtime.heapStatsDelta", "committed");
    uint64_t inStacks = prog->off("runtime.heapStatsDelta", "inStacks");
    for (const char* fn : {"runtime.(*mcache).refill", "runtime.(*mheap).allocSpan", "runtime.gcMarkTermination"})
      for (uint64_t x : codeDataRefs(*prog, fn)) {
        if (!dress(x + gen, 0)) continue;
        for (uint64_t k = 0; k < 3; k++) {
          dress(x + k * delta + committed, 1 << 20);
          dress(x + k * delta + inStacks, k == 0 ? 8192 : 0);
        }
        dressed.insert(x);
      }
  }
  REQUIRE(dressed.size() > 3);
  Memory mem(t);
  auto prog = GoProgram::load(t, mem);
  auto found = discoverGlobals(*prog, mem);
  auto at = [&](const char* name) { return found.count(name) ? found[name].first : 0; };
  CHECK(at("runtime.maxstacksize") == maxstack);
  CHECK(at("runtime.maxstackceiling") == ceiling);
  CHECK(at("runtime.memstats") == memstats);
}

TEST_CASE("a stripped build gives the same account as the plain build of the same program", "[engine][stripped]") {
  auto v = GENERATE(from_range(std::vector<std::string>(std::begin(kVersions), std::end(kVersions))));
  CAPTURE(v);
  // The two cores come from two runs of waiters: compare, as multisets, only what is the
  // same by nature. Not ids or their order (each P hands out goids from its own batch). The
  // user's goroutines, all parked by main.go: state, every frame, creator. The runtime's:
  // only entry function and creator (the sweeper and the scavenger park elsewhere, or run,
  // once a GC has run, which one run may have had and not the other), and not the GC
  // workers, which exist only once a GC has started.
  struct Account {
    std::multiset<std::string> user, runtime;
  };
  auto account = [&](const std::string& mode) {
    std::string d = coreDir(v, mode);
    auto t = CoreTarget::open(d + "/waiters", d + "/core");
    Session s(*t);
    Account a;
    for (const GoroutineView& g : s.snapshot().goroutines) {
      REQUIRE_FALSE(g.bt.frames.empty());
      std::string creator =
          g.createdBy ? fmt::format(" created by {}:{} in goroutine {}", g.createdBy->function, g.createdBy->line,
                                    g.createdBy->goid)
                      : "";
      if (g.system) {
        if (countFrames(g, "runtime.gcBgMarkWorker")) continue;
        // The outermost frame above goexit: the function the goroutine was started in.
        size_t k = g.bt.frames.size() - 1;
        if (k > 0 && g.bt.frames[k].function == "runtime.goexit") k--;
        a.runtime.insert(fmt::format("{}{}", g.bt.frames[k].function, creator));
        continue;
      }
      std::string line = fmt::format("[{}{}]", g.stateText(), g.lockedToThread ? ", locked to thread" : "");
      // The crashing goroutine's frames above gopanic are the crash path, which depends on
      // which thread won the race to die in that run; from gopanic down they must agree.
      bool skip = g.g.goid == 1;
      for (const Frame& f : g.bt.frames) {
        skip = skip && f.function != "runtime.gopanic";
        if (!skip) line += fmt::format(" {}:{}", f.function, f.line);
      }
      a.user.insert(line + creator);
    }
    return a;
  };
  Account stripped = account("stripped"), plain = account("plain");
  CHECK(stripped.user == plain.user);
  CHECK(stripped.runtime == plain.runtime);
  CHECK(plain.user.size() == 8);  // main and the seven goroutines it starts
}

TEST_CASE("a goroutine whose stack reads as garbage gets an error; the others are still shown", "[engine]") {
  std::string d = coreDir("go1.26", "plain");
  auto core = CoreTarget::open(d + "/waiters", d + "/core");
  uint64_t lo = 0, hi = 0;
  int64_t victim = 0;
  size_t total = 0;
  {
    Session s(*core);
    for (const GoroutineView& g : s.snapshot().goroutines)
      if (countFrames(g, "main.deep")) {
        lo = g.bt.startSp;
        hi = g.g.stackHi;
        victim = g.g.goid;
      }
    total = s.snapshot().goroutines.size();
  }
  REQUIRE(victim != 0);
  CorruptTarget bad(*core, lo + 64, hi - 64);
  Session s(bad);
  const Snapshot& snap = s.snapshot();
  CHECK(snap.goroutines.size() == total);
  for (const GoroutineView& g : snap.goroutines) {
    if (g.g.goid == victim) CHECK_FALSE(g.bt.error.empty());
    else CHECK(g.bt.error.empty());
  }
  // And a command still answers, with the error in the goroutine's line.
  CommandResult r = runCommand(s, {"goroutines"});
  CHECK(r.ok);
  CHECK(r.output.find("[unwind error]") != std::string::npos);
}

TEST_CASE("a core whose headers point past its end is refused or read, never read outside", "[engine]") {
  std::string d = coreDir("go1.26", "plain");
  std::ifstream in(d + "/core", std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(bytes.size() > 4096);
  Elf64_Ehdr eh;
  std::memcpy(&eh, bytes.data(), sizeof eh);
  auto opened = [&](const std::vector<char>& b) {
    std::string path = std::string(FIXTURE_DIR) + "/cores/damaged-headers.core";
    std::ofstream(path, std::ios::binary).write(b.data(), static_cast<std::streamsize>(b.size()));
    try {
      auto t = CoreTarget::open(d + "/waiters", path);
      Session s(*t);
      runCommand(s, {"goroutines"});  // an answer or an error: never a read outside the file
      return std::string("opened");
    } catch (const Error& e) {
      return std::string(e.what());
    }
  };
  // e_phoff + e_phnum * 56 wraps around 2^64 when e_phoff is near it.
  for (uint64_t phoff : {~uint64_t{0}, ~uint64_t{0} - 55, uint64_t(bytes.size())}) {
    std::vector<char> b = bytes;
    std::memcpy(b.data() + offsetof(Elf64_Ehdr, e_phoff), &phoff, 8);
    CAPTURE(phoff);
    CHECK(opened(b).find("program headers lie past the end") != std::string::npos);
  }
  // A PT_NOTE or PT_LOAD whose p_offset + p_filesz wraps around.
  for (int i = 0; i < eh.e_phnum; i++) {
    std::vector<char> b = bytes;
    uint64_t off = ~uint64_t{0} - 15;
    std::memcpy(b.data() + eh.e_phoff + i * sizeof(Elf64_Phdr) + offsetof(Elf64_Phdr, p_offset), &off, 8);
    CAPTURE(i);
    std::string r = opened(b);
    CHECK_FALSE(r.empty());
  }
}

TEST_CASE("commands refuse bad input with one clear line and never throw", "[engine][commands]") {
  std::string d = coreDir("go1.26", "plain");
  auto t = CoreTarget::open(d + "/waiters", d + "/core");
  Session s(*t);
  auto err = [&](std::vector<std::string> args) {
    CommandResult r = runCommand(s, args);
    CHECK_FALSE(r.ok);
    CHECK(r.error.find('\n') == std::string::npos);
    return r.error;
  };
  CHECK(err({"goroutines", "--bogus"}).find("unknown option --bogus") != std::string::npos);
  CHECK(err({"goroutines", "--limit", "x"}).find("--limit") != std::string::npos);
  CHECK(err({"goroutines", "--group-by", "color"}).find("--group-by") != std::string::npos);
  CHECK(err({"bt", "999999"}).find("no goroutine 999999") != std::string::npos);
  CHECK(err({"bt"}).find("usage") != std::string::npos);
  CHECK(err({"frobnicate"}).find("unknown command") != std::string::npos);
}

TEST_CASE("a core opened with another build of its program is refused, not misread", "[engine]") {
  // Go 1.25's build of waiters is the same program built by another toolchain: its globals
  // sit elsewhere, so reading this core through it would give wrong answers.
  std::string d = coreDir("go1.26", "plain"), other = coreDir("go1.25", "plain");
  auto t = CoreTarget::open(other + "/waiters", d + "/core");
  Session s(*t);
  CommandResult r = runCommand(s, {"goroutines"});
  CHECK_FALSE(r.ok);
  CHECK(r.error.find("is not the executable this target runs") != std::string::npos);
  CHECK(r.error.find('\n') == std::string::npos);
  // Its own executable still opens it.
  auto own = CoreTarget::open(d + "/waiters", d + "/core");
  Session ok(*own);
  CHECK(runCommand(ok, {"goroutines"}).ok);
}

TEST_CASE("go goroutines --json follows the documented contract", "[engine][commands]") {
  std::string d = coreDir("go1.26", "plain");
  auto t = CoreTarget::open(d + "/waiters", d + "/core");
  Session s(*t);
  CommandResult r = runCommand(s, {"goroutines", "--json", "--frames", "all"});
  REQUIRE(r.ok);
  auto j = nlohmann::json::parse(r.output);
  CHECK(j["go_version"].get<std::string>().starts_with("go1.26"));
  for (const auto& g : j["goroutines"]) {
    for (const char* k : {"id", "gp", "status", "wait_reason", "wait_since_minutes", "locked_to_thread", "m",
                          "thread_id", "stack", "frames", "created_by"})
      CHECK(g.contains(k));
    CHECK(g["gp"].get<std::string>().starts_with("0x"));
    for (const char* k : {"lo", "hi", "sp", "used_bytes", "size_bytes"}) CHECK(g["stack"].contains(k));
    for (const auto& f : g["frames"])
      for (const char* k : {"function", "file", "line", "pc", "sp", "inlined", "args"}) CHECK(f.contains(k));
  }
  // Without --frames: the first user frame only.
  auto j1 = nlohmann::json::parse(runCommand(s, {"goroutines", "--json"}).output);
  for (const auto& g : j1["goroutines"]) CHECK(g["frames"].size() <= 1);
  // --group-by counts every goroutine exactly once.
  auto jg = nlohmann::json::parse(runCommand(s, {"goroutines", "--json", "--group-by", "stack"}).output);
  size_t sum = 0;
  for (const auto& grp : jg["groups"]) sum += grp["count"].get<size_t>();
  CHECK(sum == j["goroutines"].size());
}

// Each goroutine's frames' argument texts in a GOTRACEBACK=crash dump, by goroutine id: the
// text between a frame line's last '(' and its final ')' ("0x0?, {0x1, 0x2}", "...").
std::map<int64_t, std::vector<std::string>> dumpArgs(const std::string& path) {
  std::map<int64_t, std::vector<std::string>> out;
  std::ifstream in(path);
  int64_t id = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("goroutine ")) {
      id = std::stoll(line.substr(10));
      out[id];
    } else if (line.empty() || line[0] == '\t' || line.starts_with("created by ") || !line.ends_with(")")) {
      if (line.empty()) id = 0;
    } else if (id) {
      out[id].push_back(line.substr(line.rfind('(') + 1, line.size() - line.rfind('(') - 2));
    }
  }
  return out;
}

TEST_CASE("go bt prints every frame's arguments as the runtime's own dump does", "[engine][commands]") {
  auto v = GENERATE(from_range(std::vector<std::string>(std::begin(kVersions), std::end(kVersions))));
  auto mode = GENERATE(as<std::string>{}, "plain", "stripped", "pie");
  CAPTURE(v, mode);
  std::string d = coreDir(v, mode);
  auto t = CoreTarget::open(d + "/waiters", d + "/core");
  Session s(*t);
  auto j = nlohmann::json::parse(runCommand(s, {"bt", "all", "--json"}).output);
  auto dump = dumpArgs(d + "/dump.txt");
  REQUIRE(dump.size() >= 8);
  size_t frames = 0;
  for (const auto& g : j["goroutines"]) {
    auto it = dump.find(g["id"].get<int64_t>());
    REQUIRE(it != dump.end());
    const auto& want = it->second;
    const auto& fr = g["frames"];
    // The crashing goroutine: the runtime printed it from inside the panic, so its innermost
    // frames (raise, dieFromSignal, ...) are ours alone; the rest are the same frames.
    REQUIRE(fr.size() >= want.size());
    for (size_t k = 0; k < want.size(); k++) {
      CAPTURE(g["id"], k, fr[fr.size() - want.size() + k]["function"]);
      CHECK(fr[fr.size() - want.size() + k]["args"] == want[k]);
      frames++;
    }
  }
  CHECK(frames >= 30);
}

// The top-level items of a dump's argument text: "0x1, {0x2, 0x3}, 0x4?" -> three items.
std::vector<std::string> topLevel(const std::string& args) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (size_t i = 0; i < args.size(); i++) {
    char c = args[i];
    if (c == '{') depth++;
    if (c == '}') depth--;
    if (c == ',' && depth == 0) {
      out.push_back(cur);
      cur.clear();
      if (i + 1 < args.size() && args[i + 1] == ' ') i++;
      continue;
    }
    cur += c;
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// An argument's word as go print shows a scalar: 42, -7, true, (*T)(0x1f), nil; nullopt for
// any other kind (strings, structs, interfaces, floats: not compared here).
std::optional<uint64_t> scalarWord(const nlohmann::json& v) {
  std::string kind = v.value("kind", ""), text = v.value("value", "");
  if (kind == "bool") return text == "true" ? 1 : 0;
  if (kind == "ptr" || kind == "unsafe.Pointer") {
    if (v.value("nil", false)) return 0;
    auto at = text.rfind("0x");
    return at == std::string::npos ? std::nullopt : std::optional<uint64_t>(std::stoull(text.substr(at), nullptr, 16));
  }
  static const std::set<std::string> ints = {"int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16",
                                             "uint32", "uint64", "uintptr"};
  if (!ints.contains(kind)) return std::nullopt;
  uint64_t size = kind == "int8" || kind == "uint8" ? 1 : kind == "int16" || kind == "uint16" ? 2
                  : kind == "int32" || kind == "uint32" ? 4 : 8;
  uint64_t w = kind.starts_with("u") ? std::stoull(text) : static_cast<uint64_t>(std::stoll(text));
  return size == 8 ? w : w & ((uint64_t{1} << (8 * size)) - 1);
}

TEST_CASE("every scalar argument go args shows equals the runtime's own word for it", "[engine][values]") {
  auto v = GENERATE(from_range(std::vector<std::string>(std::begin(kVersions), std::end(kVersions))));
  auto mode = GENERATE(as<std::string>{}, "plain", "pie");
  CAPTURE(v, mode);
  std::string d = coreDir(v, mode);
  auto t = CoreTarget::open(d + "/waiters", d + "/core");
  Session s(*t);
  auto bt = nlohmann::json::parse(runCommand(s, {"bt", "all", "--json"}).output);
  size_t compared = 0;
  for (const auto& g : bt["goroutines"]) {
    std::string id = std::to_string(g["id"].get<int64_t>());
    auto a = runCommand(s, {"args", "--goroutine", id, "--frame", "all", "--json"});
    REQUIRE(a.ok);
    auto frames = nlohmann::json::parse(a.output)["frames"];
    for (const auto& f : frames) {
      const auto& bf = g["frames"][f["frame"].get<size_t>()];
      if (bf["inlined"].get<bool>()) continue;
      std::vector<std::string> words = topLevel(bf["args"].get<std::string>());
      size_t i = 0;
      for (const auto& var : f["variables"]) {
        if (var["result"].get<bool>()) continue;
        size_t k = i++;
        if (k >= words.size() || var.value("available", true) == false) continue;
        const std::string& w = words[k];
        if (w.empty() || w[0] == '{' || w.ends_with("?") || w == "..." || w == "_") continue;
        auto ours = scalarWord(var);
        if (!ours) continue;
        CAPTURE(g["id"], bf["function"], var["name"], var["value"], w);
        CHECK(*ours == std::stoull(w, nullptr, 16));
        compared++;
      }
    }
  }
  CHECK(compared >= 10);
}

TEST_CASE("a built-in layout table that does not fit the binary is refused, not used", "[engine][stripped]") {
  std::string d = coreDir("go1.26", "stripped");
  auto t = CoreTarget::open(d + "/waiters", d + "/core");
  setenv("GOINSPECT_LAYOUT_TABLE", "go1.22", 1);  // g's fields sit elsewhere in 1.22
  Session wrong(*t);
  CommandResult r = runCommand(wrong, {"goroutines"});
  unsetenv("GOINSPECT_LAYOUT_TABLE");
  CHECK_FALSE(r.ok);
  CHECK(r.error.find("built-in table for go1.22 does not fit this binary") != std::string::npos);

  setenv("GOINSPECT_LAYOUT_TABLE", "go1.26", 1);
  Session right(*t);
  CommandResult ok = runCommand(right, {"goroutines"});
  unsetenv("GOINSPECT_LAYOUT_TABLE");
  CHECK(ok.ok);
}

TEST_CASE("go frames sizes every physical frame as fp - sp and accumulates them up the stack", "[engine][commands]") {
  auto v = GENERATE(from_range(std::vector<std::string>(std::begin(kVersions), std::end(kVersions))));
  CAPTURE(v);
  std::string d = coreDir(v, "plain");
  auto t = CoreTarget::open(d + "/waiters", d + "/core");
  Session s(*t);
  int64_t deepId = 0;
  for (const GoroutineView& g : s.snapshot().goroutines)
    if (countFrames(g, "main.deep")) deepId = g.g.goid;
  REQUIRE(deepId != 0);
  CommandResult r = runCommand(s, {"frames", std::to_string(deepId), "--json"});
  REQUIRE(r.ok);
  auto j = nlohmann::json::parse(r.output);
  uint64_t sum = 0, lastDepth = 0, deepFrames = 0;
  for (const auto& f : j["frames"]) {
    uint64_t sp = std::stoull(f["sp"].get<std::string>(), nullptr, 16);
    uint64_t fp = std::stoull(f["fp"].get<std::string>(), nullptr, 16);
    uint64_t size = f["size_bytes"], depth = f["depth_bytes"];
    if (f["inlined"]) {
      CHECK(size == 0);
      continue;
    }
    CHECK(size == fp - sp);
    sum += size;
    CHECK(depth == sum);  // frames tile the stack from the innermost sp up
    CHECK(depth >= lastDepth);
    lastDepth = depth;
    if (f["function"] == "main.deep") {
      deepFrames++;
      CHECK(size > 0);
    }
  }
  CHECK(deepFrames == 51);
  CHECK(sum <= j["stack"]["used_bytes"].get<uint64_t>());
  CHECK(runCommand(s, {"frames", std::to_string(deepId)}).output.find("largest frame:") != std::string::npos);
}

TEST_CASE("recursion is found with its exact cycle and repeat count, and only where it is", "[engine][recursion]") {
  auto v = GENERATE(from_range(std::vector<std::string>(std::begin(kVersions), std::end(kVersions))));
  auto mode = GENERATE(as<std::string>{}, "plain", "stripped");
  CAPTURE(v, mode);
  std::string d = coreDir(v, mode);
  auto t = CoreTarget::open(d + "/waiters", d + "/core");
  Session s(*t);
  size_t seen = 0;
  for (const GoroutineView& g : s.snapshot().goroutines) {
    CAPTURE(g.g.goid);
    auto r = findRecursion(g.bt.frames);
    if (countFrames(g, "main.deep")) {  // deep(50): 51 frames of deep
      REQUIRE(r);
      CHECK(r->functions == std::vector<std::string_view>{"main.deep"});
      CHECK(r->repeats == 51);
      // One cycle is one deep frame: its size, fp - sp.
      CHECK(r->bytesPerCycle == g.bt.frames[r->outermost].fp - g.bt.frames[r->outermost].sp);
      CHECK(r->bytesPerCycle > 0);
      REQUIRE(r->entry);
      CHECK(g.bt.frames[*r->entry].function != "main.deep");
      seen++;
    } else if (countFrames(g, "main.ping")) {  // ping(20): ping, then 10 × (pong, ping) below it
      REQUIRE(r);
      CHECK(r->functions == std::vector<std::string_view>{"main.ping", "main.pong"});
      CHECK(r->cycleFrames == 2);
      CHECK(r->repeats == 10);
      REQUIRE(r->entry);
      CHECK(g.bt.frames[*r->entry].function.starts_with("main.main"));
      seen++;
    } else if (countFrames(g, "main.tri1")) {  // tri1(7): 7 × (tri1, tri2, tri3), then tri1
      REQUIRE(r);
      CHECK(r->functions == std::vector<std::string_view>{"main.tri1", "main.tri2", "main.tri3"});
      CHECK(r->repeats == 7);
      CHECK(r->bytesPerCycle > 0);
      seen++;
    } else {
      // Ordinary stacks (gopark → chanrecv → user code, the runtime's own goroutines, the
      // panicking main) have no cycle.
      CHECK_FALSE(r);
    }
  }
  CHECK(seen == 3);
}

TEST_CASE("go stacks accounts for every goroutine's stack and names what killed the process", "[engine][stacks]") {
  auto v = GENERATE(from_range(std::vector<std::string>(std::begin(kVersions), std::end(kVersions))));
  auto mode = GENERATE(as<std::string>{}, "plain", "stripped", "pie");
  CAPTURE(v, mode);
  std::string d = coreDir(v, mode);
  auto t = CoreTarget::open(d + "/waiters", d + "/core");
  Session s(*t);
  const Snapshot& snap = s.snapshot();
  CommandResult r = runCommand(s, {"stacks", "--all", "--json"});
  REQUIRE(r.ok);
  auto j = nlohmann::json::parse(r.output);
  REQUIRE(j["goroutines"].size() == snap.goroutines.size());
  CHECK(j["goroutines_total"] == snap.goroutines.size());

  // Each goroutine: the sp its backtrace starts from, used = hi - sp, most used first.
  std::map<int64_t, const GoroutineView*> byId;
  for (const GoroutineView& g : snap.goroutines) byId[g.g.goid] = &g;
  uint64_t lastUsed = UINT64_MAX, allocated = 0, used = 0;
  for (const auto& g : j["goroutines"]) {
    const GoroutineView& view = *byId.at(g["id"].get<int64_t>());
    CAPTURE(view.g.goid);
    uint64_t sp = std::stoull(g["sp"].get<std::string>(), nullptr, 16);
    uint64_t hi = std::stoull(g["hi"].get<std::string>(), nullptr, 16);
    uint64_t lo = std::stoull(g["lo"].get<std::string>(), nullptr, 16);
    CHECK(sp == view.bt.startSp);
    CHECK(sp == view.bt.frames.at(0).sp);  // parked and panicking: no morestack word below
    CHECK(g["used_bytes"] == hi - sp);
    CHECK(g["size_bytes"] == hi - lo);
    CHECK(g["frames"] == view.bt.frames.size());
    CHECK(g["next_size_bytes"] == 2 * (hi - lo));
    CHECK(g["used_bytes"].get<uint64_t>() <= lastUsed);
    lastUsed = g["used_bytes"];
    allocated += hi - lo;
    used += hi - sp;
    // A parked goroutine is above its guard; stackguard0 = lo + the runtime's stackGuard.
    if (!g["guard_distance_bytes"].is_null() && view.status == "waiting")
      CHECK(g["guard_distance_bytes"].get<int64_t>() > 0);
    CHECK(g["recursion"].is_null() == !findRecursion(view.bt.frames));
  }
  CHECK(j["max_stack_bytes"] == 1000000000);

  // Histogram: power-of-two sizes whose counts and bytes add up to the goroutines'.
  uint64_t n = 0, bytes = 0;
  for (const auto& b : j["histogram"]) {
    uint64_t size = b["size_bytes"];
    CHECK((size & (size - 1)) == 0);
    n += b["goroutines"].get<uint64_t>();
    bytes += b["total_bytes"].get<uint64_t>();
  }
  CHECK(n == snap.goroutines.size());
  CHECK(bytes == allocated);
  CHECK(j["totals"]["allocated_bytes"] == allocated);
  CHECK(j["totals"]["used_bytes"] == used);

  // The runtime's own count holds at least the goroutines' and the Ms' stacks (stripped:
  // runtime.memstats is found from the code that updates it).
  REQUIRE(j["totals"]["runtime_stack_inuse_bytes"].is_number());
  CHECK(j["totals"]["free_cached_bytes"].get<int64_t>() >= 0);

  // Every M has a g0; m0's runs on the OS main thread stack, the others' came from stackalloc.
  size_t g0s = 0;
  for (const auto& st : j["system_stacks"]) {
    if (st["kind"] != "g0") continue;
    g0s++;
    CHECK(st["go_allocated"] == (st["m"] != 0));
  }
  CHECK(g0s >= 2);

  // waiters dies of panic("waiters: dump") in main.main, on goroutine 1's thread.
  REQUIRE(j["fatal"].is_object());
  CHECK(j["fatal"]["kind"] == "panic");
  CHECK(j["fatal"]["goroutine"] == 1);
  CHECK(j["fatal"]["thrower"] == "main.main");
  CHECK(j["overflow"].is_null());

  // --top and --recursion narrow the list; the text names the limit and the totals.
  CHECK(nlohmann::json::parse(runCommand(s, {"stacks", "--top", "2", "--json"}).output)["goroutines"].size() == 2);
  auto rec = nlohmann::json::parse(runCommand(s, {"stacks", "--recursion", "--json"}).output);
  CHECK(rec["goroutines"].size() == 3);  // deep, ping/pong, tri1/2/3
  std::string text = runCommand(s, {"stacks"}).output;
  CHECK(text.find("max stack size: 1000000000 bytes") != std::string::npos);
  CHECK(text.find("stack sizes:") != std::string::npos);
  CHECK(runCommand(s, {"goroutines", "--recursion"}).output.find("3 goroutines of") == 0);
  CHECK_FALSE(runCommand(s, {"stacks", "--top", "2", "--all"}).ok);
  CHECK(runCommand(s, {"info"}).output.find("died of         panic: waiters: dump (in goroutine 1 at main.main") !=
        std::string::npos);
}

TEST_CASE("go goroutine selects a goroutine and frame for the values commands; go up/down move", "[engine][values]") {
  std::string d = coreDir("go1.26", "plain");
  auto t = CoreTarget::open(d + "/waiters", d + "/core");
  Session s(*t);
  // Without a selection, the goroutine on the core's first thread: main, which panicked.
  nlohmann::json first = testing::runJson(s, {"locals", "--json"});
  CHECK(first["goroutine"] == 1);
  nlohmann::json gs = testing::runJson(s, {"goroutines", "--json"});
  int64_t other = 0;
  for (const nlohmann::json& g : gs["goroutines"])
    if (g["id"] != 1 && !g["system"].get<bool>()) other = g["id"].get<int64_t>();
  REQUIRE(other != 0);
  REQUIRE(runCommand(s, {"goroutine", std::to_string(other)}).ok);
  nlohmann::json sel = testing::runJson(s, {"args", "--json"});
  CHECK(sel["goroutine"] == other);
  size_t start = sel["frames"][0]["frame"].get<size_t>();
  CommandResult up = runCommand(s, {"up"});
  REQUIRE(up.ok);
  CHECK(up.output.find(fmt::format("frame #{} ", start + 1)) != std::string::npos);
  CHECK(testing::runJson(s, {"locals", "--json"})["frames"][0]["frame"] == start + 1);
  REQUIRE(runCommand(s, {"down"}).ok);
  CHECK(testing::runJson(s, {"locals", "--json"})["frames"][0]["frame"] == start);
  CommandResult tooFar = runCommand(s, {"down", "1000"});
  CHECK_FALSE(tooFar.ok);
  CHECK(tooFar.error.find("no frame") != std::string::npos);
  REQUIRE(runCommand(s, {"frame", "0"}).ok);
  CHECK(testing::runJson(s, {"args", "--json"})["frames"][0]["frame"] == 0);
  REQUIRE(runCommand(s, {"goroutine", "none"}).ok);
  CHECK(testing::runJson(s, {"locals", "--json"})["goroutine"] == 1);
}
