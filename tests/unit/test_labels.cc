// pprof goroutine labels (engine/labels.h) on real cores of tests/fixtures/parked, built with
// every toolchain (plain and stripped) by tests/fixtures/build.sh into FIXTURE_DIR/integration.
// The cores are made here on first use (FIXTURE_DIR/cores-labels/go1.NN/MODE/{parked,core,
// dump.txt}, `parked crash` with GOTRACEBACK=crash GODEBUG=tracebacklabels=1) and kept while
// newer than the fixture. Then label maps built by hand in an overlay on a core: a growing
// classic map with overflow chains and evacuated slots, bounds, unreadable pointers.
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/generators/catch_generators_range.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "commands.h"
#include "core_target.h"
#include "goprogram.h"
#include "labels.h"
#include "bounds.h"
#include "report.h"

using namespace goinspect;
namespace fs = std::filesystem;

namespace {

const char* kVersions[] = {"go1.21", "go1.22", "go1.23", "go1.24", "go1.25", "go1.26", "go1.27"};
int minorOf(const std::string& v) { return std::stoi(v.substr(4)); }

// What tests/fixtures/parked/main.go's labelled() sets, sorted by key.
const GoLabels kParkedLabels = {{"fixture", "parked"}, {"note", "has spaces, commas: and \"quotes\""}};

// FIXTURE_DIR/cores-labels/VERSION/MODE with parked, core and dump.txt; made if missing or
// older than the fixture binary.
std::string parkedCore(const std::string& v, const std::string& mode) {
  fs::path exe = fs::path(FIXTURE_DIR) / "integration" / v / mode / "parked";
  if (!fs::exists(exe))
    FAIL("missing " << exe << ": run tests/fixtures/build.sh " << FIXTURE_DIR << "/integration");
  fs::path dir = fs::path(FIXTURE_DIR) / "cores-labels" / v / mode;
  std::error_code ec;
  auto fresh = [&] {
    return fs::exists(dir / "core") && fs::exists(dir / "parked") &&
           fs::last_write_time(dir / "core", ec) >= fs::last_write_time(exe, ec);
  };
  if (fresh()) return dir.string();
  // Made beside, then renamed into place: concurrent test processes never see half a core.
  fs::path tmp = dir.string() + fmt::format(".tmp{}", getpid());
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp);
  fs::copy_file(exe, tmp / "parked", fs::copy_options::overwrite_existing);
  std::string cmd = fmt::format(
      "cd '{}' && ulimit -c unlimited && GOTRACEBACK=crash GODEBUG=tracebacklabels=1 ./parked crash "
      ">dump.txt 2>&1",
      tmp.string());
  (void)std::system(cmd.c_str());
  if (!fs::exists(tmp / "core")) {
    std::ifstream pattern("/proc/sys/kernel/core_pattern");
    std::string p;
    std::getline(pattern, p);
    fs::remove_all(tmp, ec);
    FAIL("no core from `parked crash` in " << tmp << " (kernel core_pattern: " << p << ")");
  }
  if (fresh()) {  // another test process made it meanwhile
    fs::remove_all(tmp, ec);
    return dir.string();
  }
  fs::remove_all(dir, ec);
  fs::rename(tmp, dir, ec);
  if (ec && !fs::exists(dir / "core")) FAIL("cannot move " << tmp << " to " << dir << ": " << ec.message());
  fs::remove_all(tmp, ec);
  return dir.string();
}

bool hasFrame(const GoroutineView& v, std::string_view fn) {
  for (const Frame& f : v.bt.frames)
    if (f.function == fn) return true;
  return false;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("the labelled goroutine of parked has the labels main.go sets, the others none", "[labels]") {
  auto v = GENERATE(from_range(std::vector<std::string>(std::begin(kVersions), std::end(kVersions))));
  auto mode = GENERATE(as<std::string>{}, "plain", "stripped");
  CAPTURE(v, mode);
  std::string d = parkedCore(v, mode);
  auto t = CoreTarget::open(d + "/parked", d + "/core");
  Session s(*t);
  const Snapshot& snap = s.snapshot();
  REQUIRE(snap.goVersion.starts_with(v));
  CHECK(snap.errors.empty());

  // The layout probed from the binary's layouts is the one runtime/pprof/label.go has.
  LabelReader reader(s.runtime().prog(), s.runtime().mem());
  CHECK(reader.kind() == (minorOf(v) <= 23 ? "map" : "list"));

  const GoroutineView* labelled = nullptr;
  size_t withLabels = 0;
  for (const GoroutineView& g : snap.goroutines) {
    CAPTURE(g.g.goid);
    if (hasFrame(g, "main.labelled.func1")) labelled = &g;
    if (!g.labels.empty()) withLabels++;
    if (!hasFrame(g, "main.labelled.func1")) CHECK(g.labels.empty());
  }
  REQUIRE(labelled);
  CHECK(withLabels == 1);
  CHECK(labelled->labels == kParkedLabels);
  CHECK(labelled->g.labels != 0);
  CHECK(reader.read(labelled->g.labels) == kParkedLabels);

  // JSON: an object, always present.
  nlohmann::json j = goroutineJson(*labelled, {FrameSelection::kFirstUser, 0});
  CHECK(j["labels"] == nlohmann::json({{"fixture", "parked"}, {"note", "has spaces, commas: and \"quotes\""}}));
  for (const GoroutineView& g : snap.goroutines)
    if (&g != labelled) CHECK(goroutineJson(g, {FrameSelection::kFirstUser, 0})["labels"] == nlohmann::json::object());

  // The header as Go 1.27 prints it, and the same text in the runtime's own dump where it
  // prints labels (GODEBUG=tracebacklabels=1: 1.26 inside the brackets, every string quoted;
  // 1.27 after them, quoted only where needed).
  std::string text = labelsText(labelled->labels);
  CHECK(text == R"({fixture: parked, note: "has spaces, commas: and \"quotes\""})");
  CHECK(backtraceText(*labelled).starts_with(fmt::format("goroutine {} [chan receive] {}:\n", labelled->g.goid, text)));
  std::string dump = readFile(d + "/dump.txt");
  if (minorOf(v) >= 27)
    CHECK(dump.find(fmt::format(" [chan receive] {}:\n", text)) != std::string::npos);
  else if (minorOf(v) == 26)
    CHECK(dump.find(R"( [chan receive labels:{"fixture": "parked", "note": "has spaces, commas: and \"quotes\""}]:)") !=
          std::string::npos);

  // go goroutines --label: by key, by key=value, several at once.
  auto run = [&](std::vector<std::string> args) {
    CommandResult r = runCommand(s, args);
    REQUIRE(r.ok);
    return nlohmann::json::parse(r.output);
  };
  auto ids = [](const nlohmann::json& j) {
    std::vector<int64_t> out;
    for (const auto& g : j["goroutines"]) out.push_back(g["id"].get<int64_t>());
    return out;
  };
  std::vector<int64_t> just = {labelled->g.goid};
  CHECK(ids(run({"goroutines", "--json", "--label", "fixture"})) == just);
  CHECK(ids(run({"goroutines", "--json", "--label=fixture=parked"})) == just);
  CHECK(ids(run({"goroutines", "--json", "--label", "note=has spaces, commas: and \"quotes\""})) == just);
  CHECK(ids(run({"goroutines", "--json", "--label", "fixture=parked", "--label", "note"})) == just);
  CHECK(ids(run({"goroutines", "--json", "--label", "fixture=other"})).empty());
  CHECK(ids(run({"goroutines", "--json", "--label", "fixture", "--label", "nosuch"})).empty());
  CHECK_FALSE(runCommand(s, {"goroutines", "--label", "=x"}).ok);
  CommandResult list = runCommand(s, {"goroutines", "--label", "fixture"});
  REQUIRE(list.ok);
  CHECK(list.output.find("chan receive " + text) != std::string::npos);
}

TEST_CASE("label text is quoted as the runtime's traceback quotes it", "[labels]") {
  CHECK_FALSE(labelNeedsQuoting("abc.DEF/09_x"));
  CHECK_FALSE(labelNeedsQuoting(""));
  CHECK(labelNeedsQuoting("a b"));
  CHECK(labelNeedsQuoting("a-b"));
  CHECK(labelNeedsQuoting("é"));
  CHECK(goQuoted("plain") == "\"plain\"");
  CHECK(goQuoted("q\"b\\") == R"("q\"b\\")");
  CHECK(goQuoted("n\nr\rt\t") == R"("n\nr\rt\t")");
  CHECK(goQuoted(std::string("\x01\x7f", 2)) == R"("\x01\u007f")");
  CHECK(goQuoted("é€😀") == R"("\u00e9\u20ac\U0001f600")");
  CHECK(goQuoted("\xff" "a") == R"("\xffa")");           // an invalid byte
  CHECK(goQuoted("\xef\xbf\xbd") == R"("\ufffd")");      // a real U+FFFD
  CHECK(goQuoted("\xed\xa0\x80") == R"("\xed\xa0\x80")");  // a surrogate is invalid UTF-8
  CHECK(goQuoted("\xc0\x80") == R"("\xc0\x80")");          // so is an overlong encoding
  CHECK(labelsText({}) == "");
  CHECK(labelsText({{"k", "v"}, {"a b", ""}}) == R"({k: v, "a b": })");
  CHECK(validUtf8("ok é") == "ok é");
  CHECK(validUtf8("a\xff" "b") == "a\xef\xbf\xbd" "b");
}

namespace {

// A core with extra memory laid over it: label maps built by hand at an address the core
// does not map.
class OverlayTarget : public Target {
 public:
  static constexpr uint64_t kBase = 0x7e0000000000;
  static constexpr size_t kSize = 1 << 20;
  explicit OverlayTarget(Target& t) : t_(t), mem_(kSize, 0) {}
  bool readMemory(uint64_t a, void* b, size_t n) override {
    if (a >= kBase && a < kBase + kSize) {
      if (a + n > kBase + kSize) return false;
      std::memcpy(b, mem_.data() + (a - kBase), n);
      return true;
    }
    return t_.readMemory(a, b, n);
  }
  std::vector<ThreadInfo> threads() override { return t_.threads(); }
  std::optional<uint64_t> lookupSymbol(const std::string& n) override { return t_.lookupSymbol(n); }
  std::string executablePath() override { return t_.executablePath(); }
  uint64_t loadBias() override { return t_.loadBias(); }
  // Every write is a new stop, so Memory::syncStop drops pages cached before it.
  uint64_t stopId() override { return version_; }

  // A bump allocator over the overlay.
  uint64_t alloc(size_t n) {
    uint64_t a = kBase + used_;
    used_ += (n + 15) & ~size_t{15};
    if (used_ > kSize) FAIL("overlay full");
    return a;
  }
  void put(uint64_t a, const void* p, size_t n) {
    if (a < kBase || a + n > kBase + kSize) FAIL("overlay write outside the overlay");
    std::memcpy(mem_.data() + (a - kBase), p, n);
    version_++;
  }
  void u64(uint64_t a, uint64_t v) { put(a, &v, 8); }
  void u8(uint64_t a, uint8_t v) { put(a, &v, 1); }
  // A Go string header at `a` pointing at a fresh copy of s.
  void str(uint64_t a, std::string_view s) {
    uint64_t p = alloc(s.size() + 1);
    put(p, s.data(), s.size());
    u64(a, p);
    u64(a + 8, s.size());
  }

 private:
  Target& t_;
  std::vector<uint8_t> mem_;
  size_t used_ = 0;
  uint64_t version_ = 1;
};

// The classic map's amd64 layout (runtime/map.go, Go 1.21-1.23): hmap{count int; flags,
// B uint8; noverflow uint16; hash0 uint32; buckets, oldbuckets unsafe.Pointer; ...} and, for
// map[string]string, buckets of 8 tophash bytes, 8 keys, 8 elems and the overflow pointer.
constexpr uint64_t kBucket = 272, kKeys = 8, kElems = 136, kOverflow = 264;

void slot(OverlayTarget& o, uint64_t bucket, int i, uint8_t top, std::string_view k, std::string_view v) {
  o.u8(bucket + i, top);
  o.str(bucket + kKeys + 16 * i, k);
  o.str(bucket + kElems + 16 * i, v);
}

}  // namespace

TEST_CASE("a classic label map is read whole: growing, overflow chains, evacuated slots", "[labels]") {
  auto v = GENERATE(as<std::string>{}, "go1.21", "go1.23");
  auto mode = GENERATE(as<std::string>{}, "plain", "stripped");
  CAPTURE(v, mode);
  std::string d = parkedCore(v, mode);
  auto core = CoreTarget::open(d + "/parked", d + "/core");
  OverlayTarget o(*core);
  Session s(o);
  Runtime& rt = s.runtime();
  LabelReader labels(rt.prog(), rt.mem());
  REQUIRE(labels.kind() == "map");
  // Memory changes between reads here: a fresh reader (and page cache) each time, as at
  // each stop.
  auto read = [&](uint64_t p) {
    rt.mem().syncStop();
    return LabelReader(rt.prog(), rt.mem()).read(p);
  };

  // hmap with B=1 (2 buckets) growing from 1 old bucket (not same-size).
  uint64_t h = o.alloc(48), old = o.alloc(kBucket), nb = o.alloc(2 * kBucket), ovf = o.alloc(kBucket);
  o.u64(h, 6);
  o.u8(h + 8, 0);  // flags
  o.u8(h + 9, 1);  // B
  o.u64(h + 16, nb);
  o.u64(h + 24, old);
  slot(o, old, 0, 2, "moved", "x");       // evacuatedX: in the new buckets now
  slot(o, old, 1, 200, "old", "1");       // not yet evacuated
  slot(o, old, 2, 4, "gone", "x");        // evacuatedEmpty
  slot(o, nb, 0, 100, "moved", "2");
  slot(o, nb, 3, 1, "empty", "x");        // emptyOne
  slot(o, nb, 7, 9, "b0-last", "3");
  o.u64(nb + kOverflow, ovf);
  slot(o, ovf, 0, 50, "in overflow", "4 \"q\"");
  o.u64(ovf + kOverflow, ovf);            // a cycle: must stop
  slot(o, nb + kBucket, 5, 77, "a", "5");
  uint64_t mapVar = o.alloc(8);           // g.labels points to the map variable
  o.u64(mapVar, h);

  GoLabels want = {{"a", "5"}, {"b0-last", "3"}, {"in overflow", "4 \"q\""}, {"moved", "2"}, {"old", "1"}};
  CHECK(read(mapVar) == want);

  // A nil map, an empty one: no labels. An unreadable hmap or bucket: no labels, no throw.
  uint64_t nilVar = o.alloc(8);
  CHECK(read(nilVar).empty());
  uint64_t badVar = o.alloc(8);
  o.u64(badVar, 0x10);
  CHECK(read(badVar).empty());
  o.u64(ovf + kOverflow, 0xdead0000);     // an overflow pointer into nothing
  CHECK(read(mapVar).empty());
  CHECK(read(0x20).empty());
  CHECK(read(0).empty());
}

TEST_CASE("a label list is bounded and an unreadable one gives no labels", "[labels]") {
  auto v = GENERATE(as<std::string>{}, "go1.24", "go1.27");
  auto mode = GENERATE(as<std::string>{}, "plain", "stripped");
  CAPTURE(v, mode);
  std::string d = parkedCore(v, mode);
  auto core = CoreTarget::open(d + "/parked", d + "/core");
  OverlayTarget o(*core);
  Session s(o);
  Runtime& rt = s.runtime();
  LabelReader labels(rt.prog(), rt.mem());
  REQUIRE(labels.kind() == "list");
  // Memory changes between reads here: a fresh reader (and page cache) each time, as at
  // each stop.
  auto read = [&](uint64_t p) {
    rt.mem().syncStop();
    return LabelReader(rt.prog(), rt.mem()).read(p);
  };

  // labelMap{Set{List []Label{Key, Value string}}}: the slice header, elements of 32 bytes.
  auto labelMap = [&](size_t n, size_t len) {
    uint64_t m = o.alloc(24), arr = o.alloc(32 * n);
    for (size_t i = 0; i < n; i++) {
      o.str(arr + 32 * i, fmt::format("k{:04}", i));
      o.str(arr + 32 * i + 16, fmt::format("v{}", i));
    }
    o.u64(m, arr);
    o.u64(m + 8, len);
    o.u64(m + 16, len);
    return m;
  };
  GoLabels got = read(labelMap(3, 3));
  CHECK(got == GoLabels{{"k0000", "v0"}, {"k0001", "v1"}, {"k0002", "v2"}});
  CHECK(read(labelMap(1200, 1200)).size() == bounds::kMaxLabels);
  CHECK(read(labelMap(2, uint64_t{1} << 50)).empty());  // an implausible length
  uint64_t bad = labelMap(2, 2), badArr = 0;
  REQUIRE(o.readMemory(bad, &badArr, 8));
  o.u64(badArr + 32 + 8, uint64_t{1} << 50);  // the second key's length is garbage
  CHECK(read(bad).empty());

  uint64_t m = labelMap(1, 1);
  uint64_t arr = 0;
  REQUIRE(o.readMemory(m, &arr, 8));
  o.str(arr + 16, std::string(10000, 'x'));  // a long value is cut at kMaxString
  got = read(m);
  REQUIRE(got.size() == 1);
  CHECK(got[0].second == std::string(bounds::kMaxString, 'x') + "...");
  o.u64(arr, 0xdead0000);  // the key's bytes cannot be read
  CHECK(read(m).empty());
}
