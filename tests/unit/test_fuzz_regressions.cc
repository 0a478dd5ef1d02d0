// The fuzz harnesses in the ordinary build: every seed input (tests/fuzz/corpus/HARNESS/)
// and every input a fuzzer ever found a bug with (tests/fuzz/regressions/HARNESS/) runs
// through its harness to its end; under the sanitizers too, in CI's sanitizer build.
#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "harness.h"

namespace fs = std::filesystem;

TEST_CASE("every fuzz seed and every input a fuzzer found a bug with runs to its end", "[fuzz]") {
  for (const goinspect::fuzz::Harness& h : goinspect::fuzz::harnesses()) {
    size_t seeds = 0;
    for (const char* kind : {"corpus", "regressions"}) {
      fs::path dir = fs::path(SOURCE_DIR) / "tests/fuzz" / kind / h.name;
      if (!fs::exists(dir)) continue;
      for (const auto& e : fs::directory_iterator(dir)) {
        if (!e.is_regular_file() || e.path().filename().string().starts_with("README")) continue;
        CAPTURE(h.name, kind, e.path().filename().string());
        std::ifstream in(e.path(), std::ios::binary);
        std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        h.run(data.data(), data.size());
        seeds += std::string(kind) == "corpus";
      }
    }
    CAPTURE(h.name);
    CHECK(seeds > 0);  // a harness with no seed input fuzzes from nothing
  }
}
