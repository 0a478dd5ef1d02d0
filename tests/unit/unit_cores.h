// What the unit tests share about the cores tests/unit/coredata/make-cores.sh makes: the
// toolchains, where each build's core lies, and running a command on one for its JSON.
#pragma once

#include <catch2/catch_test_macros.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "commands.h"

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

}  // namespace goinspect::testing
