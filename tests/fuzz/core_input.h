// The core harness's reader of a fuzz input: little-endian integers and bytes taken from
// the front, zeros once it runs out (so every input, however short, means something).
// libFuzzer's FuzzedDataProvider would do, but it is clang's and the unit tests that
// replay the regressions build with gcc too.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace goinspect::fuzz::core {

class InputReader {
 public:
  InputReader(const uint8_t* data, size_t size) : p_(data), n_(size) {}

  bool empty() const { return n_ == 0; }
  uint8_t u8() {
    if (!n_) return 0;
    n_--;
    return *p_++;
  }
  uint16_t u16() { return static_cast<uint16_t>(u8() | (u8() << 8)); }
  uint32_t u32() { return u16() | (static_cast<uint32_t>(u16()) << 16); }
  uint64_t u64() { return u32() | (static_cast<uint64_t>(u32()) << 32); }
  // n bytes into out; zeros past the end of the input.
  void bytes(uint8_t* out, size_t n) {
    size_t k = std::min(n, n_);
    if (k) std::memcpy(out, p_, k);
    std::memset(out + k, 0, n - k);
    p_ += k;
    n_ -= k;
  }

 private:
  const uint8_t* p_;
  size_t n_;
};

}  // namespace goinspect::fuzz::core
