// encoding/binary.Uvarint over a bounded span, for the varints Go writes into binaries
// (build info strings, open-coded defer funcdata).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace goinspect {

// The value at the start of b in *out; the bytes it took, 0 if truncated or overflowing.
inline size_t uvarint(std::span<const uint8_t> b, uint64_t& out) {
  uint64_t x = 0;
  unsigned s = 0;
  for (size_t i = 0; i < b.size() && i < 10; i++) {
    uint8_t c = b[i];
    if (c < 0x80) {
      if (i == 9 && c > 1) return 0;  // overflow
      out = x | uint64_t{c} << s;
      return i + 1;
    }
    x |= uint64_t{c & 0x7Fu} << s;
    s += 7;
  }
  return 0;
}

}  // namespace goinspect
