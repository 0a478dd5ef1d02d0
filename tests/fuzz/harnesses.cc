#include <cstdlib>
#include <stdexcept>

#include "harness.h"

namespace goinspect::fuzz {

void runBinaryInput(const uint8_t* data, size_t size);  // harness_binary.cc
void runCoreInput(const uint8_t* data, size_t size);    // harness_core.cc

const std::vector<Harness>& harnesses() {
  static const std::vector<Harness> all = {
      {"binary", runBinaryInput},  // the executable: ELF, build info, pclntab, layouts, stripped search
      {"core", runCoreInput},      // the runtime's structures in a core, then every go command
  };
  return all;
}

const Harness& harness(const std::string& name) {
  for (const Harness& h : harnesses())
    if (name == h.name) return h;
  throw std::invalid_argument("no fuzz harness " + name);
}

std::string seedDir() {
  if (const char* d = std::getenv("GOINSPECT_FUZZ_SEEDS"); d && *d) return d;
  return FIXTURE_DIR;
}

}  // namespace goinspect::fuzz
