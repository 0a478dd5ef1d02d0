// The libFuzzer driver of one harness (GOINSPECT_HARNESS, set by CMakeLists.txt).
#include "harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const goinspect::fuzz::Harness& h = goinspect::fuzz::harness(GOINSPECT_HARNESS);
  h.run(data, size);
  return 0;
}
