// go waits, go chans and go leaks on real cores of tests/unit/coredata/waiters (every
// toolchain; plain, stripped, PIE). waiters parks six goroutines receiving on one
// unbuffered chan int (three from recv, then deep, ping, tri1) and one on a sync.Mutex
// that main holds, then panics. No debugger: CoreTarget reads the core.
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/generators/catch_generators_range.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>

#include "commands.h"
#include "core_target.h"
#include "unit_cores.h"

using namespace goinspect;
using nlohmann::json;

namespace {

using testing::coreDir;
using testing::kVersions;
using testing::runJson;


const json* byId(const json& gs, int64_t id) {
  for (const auto& g : gs)
    if (g["id"] == id) return &g;
  return nullptr;
}

}  // namespace

TEST_CASE("go waits names the channel and mutex of every waiting goroutine, with their queues", "[waits]") {
  auto v = GENERATE(Catch::Generators::from_range(std::begin(kVersions), std::end(kVersions)));
  auto mode = GENERATE(as<std::string>{}, "plain", "stripped", "pie");
  DYNAMIC_SECTION(v << " " << mode) {
    std::string d = coreDir(v, mode);
    auto t = CoreTarget::open(d + "/waiters", d + "/core");
    Session s(*t);
    json w = runJson(s, {"waits", "--json"});
    CHECK(w["deadlock"].is_null());  // main runs (it panics): nothing is deadlocked
    const json& gs = w["goroutines"];
    REQUIRE(gs.size() == 7);

    // The six receivers share one unbuffered chan int; each holds its own place in recvq.
    std::set<std::string> chans;
    std::set<int64_t> positions, receiverIds;
    json receivers;
    const json* mutexWaiter = nullptr;
    for (const auto& g : gs) {
      CHECK_FALSE(g["system"].get<bool>());
      REQUIRE(g["blocked_on"].size() == 1);
      const json& e = g["blocked_on"][0];
      if (g["wait_reason"] == "chan receive") {
        CHECK(e["kind"] == "chan");
        CHECK(e["elem_type"] == "int");
        CHECK(e["cap"] == 0);
        CHECK(e["len"] == 0);
        CHECK(e["closed"] == false);
        CHECK(e["direction"] == "recv");
        CHECK(e["select"] == false);
        // The queue itself is the answer's, once per channel; the entry has its place in it.
        const json& c = w["chans"][e["address"].get<std::string>()];
        CHECK(c["senders"].empty());
        CHECK(c["elem_type"] == "int");
        chans.insert(e["address"].get<std::string>());
        receivers = c["receivers"];
        CHECK(e["queue_length"] == receivers.size());
        CHECK_FALSE(e.contains("receivers"));
        REQUIRE(e["position"].is_number());
        positions.insert(e["position"].get<int64_t>());
        CHECK(receivers[e["position"].get<size_t>()] == g["id"]);
        receiverIds.insert(g["id"].get<int64_t>());
      } else {
        CHECK(g["wait_reason"] == "sync.Mutex.Lock");
        mutexWaiter = &g;
      }
    }
    CHECK(chans.size() == 1);
    CHECK(w["chans"].size() == 1);  // exactly the channels the entries name
    CHECK(positions == std::set<int64_t>{0, 1, 2, 3, 4, 5});
    CHECK(std::set<int64_t>(receivers.begin(), receivers.end()) == receiverIds);

    // The mutex: a sync.Mutex whose semaphore is its second word, with this one waiter.
    REQUIRE(mutexWaiter);
    const json& m = (*mutexWaiter)["blocked_on"][0];
    CHECK(m["kind"] == "mutex");
    CHECK(std::stoull(m["sema"].get<std::string>(), nullptr, 16) -
              std::stoull(m["address"].get<std::string>(), nullptr, 16) == 4);
    CHECK(w["semaphores"][m["sema"].get<std::string>()] == json::array({(*mutexWaiter)["id"]}));
    CHECK(w["semaphores"].size() == 1);
    CHECK(w["notify_lists"].empty());
    CHECK(m["queue_length"] == 1);
    CHECK_FALSE(m.contains("waiters"));
    CHECK(m["position"] == 0);

    // --system adds the runtime's own goroutines, each marked.
    json all = runJson(s, {"waits", "--system", "--json"});
    CHECK(all["goroutines"].size() > gs.size());
    for (const auto& g : all["goroutines"])
      if (!byId(gs, g["id"])) CHECK(g["system"].get<bool>());

    // go chans: the one channel, its six receivers in queue order.
    json c = runJson(s, {"chans", "--json"});
    REQUIRE(c["chans"].size() == 1);
    CHECK(c["chans"][0]["address"] == *chans.begin());
    CHECK(c["chans"][0]["receivers"] == receivers);
    CHECK(c["chans"][0]["elem_type"] == "int");

    // go leaks: the three recv goroutines are one group sharing the channel; no verdict
    // of leak (six goroutines wait on one channel: somebody may still send).
    json l = runJson(s, {"leaks", "--json"});
    size_t sum = 0;
    bool sawRecv = false;
    for (const auto& grp : l["groups"]) {
      sum += grp["count"].get<size_t>();
      CHECK(grp["leak"] == false);
      CHECK(grp["goroutines"].size() == grp["count"]);
      if (grp["frames"].size() && grp["count"] == 3) {
        sawRecv = true;
        CHECK(grp["shared"]["kind"] == "chan");
        CHECK(grp["shared"]["address"] == *chans.begin());
        CHECK(grp["objects"] == 1);
        CHECK(grp["wait_reason"] == "chan receive");
        CHECK(grp["created_by"]["function"] == "main.main");
      }
    }
    CHECK(sawRecv);
    CHECK(sum == gs.size());
  }
}

TEST_CASE("go waits text, DOT and errors", "[waits][commands]") {
  std::string d = coreDir("go1.26", "plain");
  auto t = CoreTarget::open(d + "/waiters", d + "/core");
  Session s(*t);
  CommandResult r = runCommand(s, {"waits"});
  REQUIRE(r.ok);
  CHECK(r.output.starts_with("7 blocked goroutines (and "));
  CHECK(r.output.find("Deadlock: none found.") != std::string::npos);
  CHECK(r.output.find("of 6 receivers") != std::string::npos);
  CHECK(r.output.find("sync.Mutex 0x") != std::string::npos);

  CommandResult dot = runCommand(s, {"waits", "--dot"});
  REQUIRE(dot.ok);
  CHECK(dot.output.starts_with("digraph waits {"));
  CHECK(dot.output.find("chan int, unbuffered") != std::string::npos);
  CHECK(dot.output.ends_with("}\n"));

  // One goroutine by id (ids depend on the run that made the core: take one from the list);
  // the main goroutine is running (panicking), not blocked.
  json all = runJson(s, {"waits", "--json"});
  REQUIRE_FALSE(all["goroutines"].empty());
  std::string id = std::to_string(all["goroutines"][0]["id"].get<int64_t>());
  json one = runJson(s, {"waits", "--json", id});
  REQUIRE(one["goroutines"].size() == 1);
  CHECK(one["goroutines"][0]["id"] == all["goroutines"][0]["id"]);
  // Its queue, and no other: each goroutine here waits on one object.
  CHECK(one["chans"].size() + one["semaphores"].size() + one["notify_lists"].size() == 1);
  // Each queue is written once however many goroutines wait in it (six on the channel).
  std::string text = runCommand(s, {"waits", "--json"}).output;
  size_t n = 0;
  for (size_t at = text.find("\"receivers\""); at != std::string::npos; at = text.find("\"receivers\"", at + 1)) n++;
  CHECK(n == 1);
  CommandResult main = runCommand(s, {"waits", "1"});
  CHECK_FALSE(main.ok);
  CHECK(main.error.find("goroutine 1 is not blocked") != std::string::npos);
  CHECK_FALSE(runCommand(s, {"waits", "999999"}).ok);
  CHECK_FALSE(runCommand(s, {"waits", "--json", "--dot"}).ok);
  CHECK_FALSE(runCommand(s, {"chans", "extra"}).ok);
  CHECK_FALSE(runCommand(s, {"leaks", "--min", "x"}).ok);

  CommandResult leaks = runCommand(s, {"leaks"});
  REQUIRE(leaks.ok);
  CHECK(leaks.output.starts_with("No group looks leaked; "));
  CommandResult chans = runCommand(s, {"chans"});
  REQUIRE(chans.ok);
  CHECK(chans.output.starts_with("1 channel with waiting goroutines"));
}
