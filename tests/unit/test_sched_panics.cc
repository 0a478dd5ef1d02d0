// go panics, go defers, go sched and go threads on real cores of tests/unit/coredata/waiters
// (every toolchain; plain, stripped, PIE). waiters' main goroutine panics with the string
// "waiters: dump" while six goroutines wait on a channel and one on a mutex. No debugger.
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/generators/catch_generators_range.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "commands.h"
#include "core_target.h"
#include "memory.h"
#include "goprogram.h"
#include "unit_cores.h"

using namespace goinspect;
using nlohmann::json;

using testing::coreDir;
using testing::kVersions;
using testing::OverlayTarget;
using testing::runJson;

TEST_CASE("go panics names the unrecovered panic, its value and its goroutine", "[panics]") {
  auto v = GENERATE(Catch::Generators::from_range(std::begin(kVersions), std::end(kVersions)));
  auto mode = GENERATE(as<std::string>{}, "plain", "stripped", "pie");
  DYNAMIC_SECTION(v << " " << mode) {
    std::string d = coreDir(v, mode);
    auto t = CoreTarget::open(d + "/waiters", d + "/core");
    Session s(*t);
    json p = runJson(s, {"panics", "--json"});
    const json& c = p["cause"];
    CHECK(c["kind"] == "panic");
    CHECK(c["message"] == "waiters: dump");
    CHECK(c["goroutine"] == 1);
    CHECK(c["function"] == "main.main");
    CHECK(c["signal"].is_null());
    REQUIRE(p["goroutines"].size() == 1);
    const json& g = p["goroutines"][0];
    CHECK(g["id"] == 1);
    REQUIRE(g["panics"].size() == 1);
    CHECK(g["panics"][0]["type"] == "string");
    CHECK(g["panics"][0]["value"] == "waiters: dump");
    CHECK(g["panics"][0]["recovered"] == false);
    CHECK(g["panics"][0]["goexit"] == false);

    // go info says it in one line, in the runtime's own first words.
    CommandResult info = runCommand(s, {"info"});
    REQUIRE(info.ok);
    CHECK(info.output.find("died of         panic: waiters: dump (in goroutine 1 at main.main") != std::string::npos);

    // Nothing is deferred but what the runtime itself keeps; every entry is well formed.
    json defers = runJson(s, {"defers", "all", "--json"});
    for (const auto& dg : defers["goroutines"])
      for (const auto& x : dg["defers"]) {
        CHECK(std::set<std::string>{"heap", "stack", "open-coded", "rangefunc"}.count(x["kind"].get<std::string>()));
        CHECK_FALSE(x["frame"].get<std::string>().empty());
      }
    CHECK_FALSE(runCommand(s, {"defers"}).ok);  // an id or 'all' is required
  }
}

TEST_CASE("go sched and go threads agree with allm, allp and the goroutine that panicked", "[sched]") {
  auto v = GENERATE(Catch::Generators::from_range(std::begin(kVersions), std::end(kVersions)));
  auto mode = GENERATE(as<std::string>{}, "plain", "stripped", "pie");
  DYNAMIC_SECTION(v << " " << mode) {
    std::string d = coreDir(v, mode);
    auto t = CoreTarget::open(d + "/waiters", d + "/core");
    Session s(*t);
    json info = runJson(s, {"info", "--json"});
    json sc = runJson(s, {"sched", "--json"});
    CHECK(sc["procs"] == info["gomaxprocs"]);
    REQUIRE(sc["ps"].size() == info["ps"]);
    for (size_t i = 0; i < sc["ps"].size(); i++) CHECK(sc["ps"][i]["id"] == i);
    // mcount() = mnext - nmfreed is the length of allm: runtime.sched was read (and found by
    // shape in the stripped build).
    CHECK(sc["threads"] == sc["ms"].size());
    CHECK(sc["threads"] == info["ms"]);
    // A fatal panic freezes the world (freezetheworld): gcwaiting, stopwait near freezeStopWait.
    CHECK(sc["gcwaiting"] == true);
    CHECK(sc["world"] == "frozen by a fatal error");

    // Goroutine 1 runs on the M that holds a running P, on the thread that threw.
    json p = runJson(s, {"panics", "--json"});
    int64_t m = p["cause"]["m"].get<int64_t>();
    const json* mj = nullptr;
    for (const auto& x : sc["ms"])
      if (x["id"] == m) mj = &x;
    REQUIRE(mj);
    CHECK((*mj)["curg"] == 1);
    CHECK((*mj)["thread"] == p["cause"]["thread"]);
    REQUIRE((*mj)["p"].is_number());
    CHECK(sc["ps"][(*mj)["p"].get<size_t>()]["status_name"] == "running");
    CHECK(sc["ps"][(*mj)["p"].get<size_t>()]["m"] == m);

    json th = runJson(s, {"threads", "--json"});
    std::set<int64_t> ms;
    for (const auto& x : th["threads"]) {
      REQUIRE(x["m"].is_number());  // a pure Go program: every thread is an M
      ms.insert(x["m"].get<int64_t>());
      if (x["m"] == m) {
        CHECK(x["goroutine"] == 1);
        CHECK(x["index"] == p["cause"]["thread"]);
      }
    }
    CHECK(ms.size() == sc["ms"].size());
  }
}

TEST_CASE("go sched shows only real Ps of a damaged allp, its errors one line per run", "[sched]") {
  std::string d = coreDir("go1.26", "plain");
  auto core = CoreTarget::open(d + "/waiters", d + "/core");
  uint64_t allp = 0, array = 0, p0 = 0;
  {
    Memory mem(*core);
    auto prog = GoProgram::load(*core, mem);
    allp = *prog->global("runtime.allp");
    array = *mem.u64(allp);
    p0 = *mem.u64(array);
  }
  OverlayTarget t(*core);
  // allp's length says 100,000 (bounds::kMaxPs, the most that is read), allp[1] points to P 0,
  // and what lies past the real array is whatever memory holds there.
  t.set(allp + 8, 100'000);
  t.set(array + 8, p0);
  Session s(t);
  json sc = runJson(s, {"sched", "--json"});
  std::set<int64_t> ids;
  for (const auto& p : sc["ps"]) CHECK(ids.insert(p["id"].get<int64_t>()).second);
  CHECK(!ids.contains(1));
  std::vector<std::string> errors = sc["errors"];
  INFO(sc["errors"].dump(1));
  // waiters runs with GOMAXPROCS 2: allp[1] and the garbage after it are runs of errors, the
  // first eight said, the rest counted.
  CHECK(sc["ps"].size() == 1);
  REQUIRE(errors.size() == 9);
  CHECK(errors[0].starts_with("allp[1] to allp["));
  CHECK(errors[0].ends_with("are not Ps (their ids are not their indexes)"));
  CHECK(errors[8].starts_with("and "));
  CHECK(errors[8].ends_with(" more allp entries that are not Ps"));
}
