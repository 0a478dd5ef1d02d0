// What the unit tests share about the cores tests/unit/coredata/make-cores.sh makes: the
// toolchains, where each build's core lies, and running a command on one for its JSON.
#pragma once

#include <catch2/catch_test_macros.hpp>

#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "commands.h"
#include "target.h"

namespace goinspect::testing {

inline const char* kVersions[] = {"go1.21", "go1.22", "go1.23", "go1.24", "go1.25", "go1.26", "go1.27"};

// FIXTURE_DIR/cores/VERSION/MODE, holding waiters, core and dump.txt; fails the test when
// the core was not made.
inline std::string coreDir(const std::string& v, const std::string& mode) {
  std::string d = std::string(FIXTURE_DIR) + "/cores/" + v + "/" + mode;
  if (!std::filesystem::exists(d + "/core"))
    FAIL("missing " << d << "/core: run tests/unit/coredata/make-cores.sh " << FIXTURE_DIR << "/cores");
  return d;
}

// The JSON a command prints; fails the test, with the command's error, if it fails.
inline nlohmann::json runJson(Session& s, const std::vector<std::string>& args) {
  CommandResult r = runCommand(s, args);
  INFO(r.error);
  REQUIRE(r.ok);
  return nlohmann::json::parse(r.output);
}

// Overlays chosen words on a target's memory, whatever the target holds there (or not).
class OverlayTarget : public Target {
 public:
  explicit OverlayTarget(Target& t) : t_(t) {}
  void set(uint64_t addr, uint64_t value) {
    for (int i = 0; i < 8; i++) bytes_[addr + i] = static_cast<uint8_t>(value >> (8 * i));
  }
  bool readMemory(uint64_t a, void* b, size_t n) override {
    auto it = bytes_.lower_bound(a);
    bool touched = it != bytes_.end() && it->first < a + n;
    if (!t_.readMemory(a, b, n)) {
      if (!touched) return false;
      std::memset(b, 0, n);
    }
    for (; it != bytes_.end() && it->first < a + n; ++it) static_cast<uint8_t*>(b)[it->first - a] = it->second;
    return true;
  }
  std::vector<ThreadInfo> threads() override { return t_.threads(); }
  std::optional<uint64_t> lookupSymbol(const std::string& n) override { return t_.lookupSymbol(n); }
  std::string executablePath() override { return t_.executablePath(); }
  uint64_t loadBias() override { return t_.loadBias(); }
  uint64_t stopId() override { return 1; }

 private:
  Target& t_;
  std::map<uint64_t, uint8_t> bytes_;
};

}  // namespace goinspect::testing
