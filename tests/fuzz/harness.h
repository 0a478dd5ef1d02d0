// The fuzz harnesses' bodies, shared by the libFuzzer drivers (fuzz_NAME.cc) and the unit
// test that replays tests/fuzz/regressions/NAME/ (tests/unit/test_fuzz_regressions.cc).
//
//   goinspect::fuzz::Harness h = goinspect::fuzz::harness("binary");
//   h.run(data, size);   // returns whatever the input; a crash, a sanitizer report, a hang
//                        // or an allocation past libFuzzer's limits is a finding
//
// An input is not a whole file: it says how to damage a real seed (a fixture binary, a
// fixture core) that the harness loads from the seed directory, so inputs stay small and
// mean the same after the fixtures are rebuilt (tests/fuzz/README.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace goinspect::fuzz {

struct Harness {
  const char* name;
  void (*run)(const uint8_t* data, size_t size);
};

// Every harness, by name ("binary", "core").
const std::vector<Harness>& harnesses();
const Harness& harness(const std::string& name);

// Where the seeds are: $GOINSPECT_FUZZ_SEEDS, else the build's FIXTURE_DIR.
std::string seedDir();

}  // namespace goinspect::fuzz
