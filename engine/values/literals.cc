#include "literals.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdint>

namespace goinspect {

namespace {

// One rune decoded as unicode/utf8.DecodeRune does: {rune, size}, or {-1, 1} for a byte
// that does not start a valid, shortest, non-surrogate sequence.
std::pair<int32_t, size_t> decodeRune(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  uint8_t c = b(i);
  if (c < 0x80) return {c, 1};
  size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
  if (n == 0 || c > 0xf4 || i + n > s.size()) return {-1, 1};
  int32_t r = c & (0x7f >> n);
  for (size_t k = 1; k < n; k++) {
    if ((b(i + k) & 0xc0) != 0x80) return {-1, 1};
    r = (r << 6) | (b(i + k) & 0x3f);
  }
  static constexpr int32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (r < kMin[n] || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) return {-1, 1};
  return {r, n};
}

// strconv.IsPrint: exact for ASCII and Latin-1 (unicode/graphic.go's table); above that,
// the separators and format characters Go escapes, which is what real strings hold.
bool isPrint(int32_t r) {
  if (r < 0x7f) return r >= 0x20;
  if (r < 0xa1) return false;           // DEL, C1 controls, NBSP (U+00A0 is not IsPrint)
  if (r == 0xad) return false;          // soft hyphen
  if (r < 0x100) return true;
  if (r == 0x2028 || r == 0x2029 || r == 0xfeff || (r >= 0x200b && r <= 0x200f) ||
      (r >= 0x202a && r <= 0x202e) || (r >= 0x2060 && r <= 0x206f) || (r >= 0xfff9 && r <= 0xfffb))
    return false;
  if (r >= 0xe0000 && r <= 0xe007f) return false;   // tags
  if ((r & 0xfffe) == 0xfffe) return false;           // noncharacters
  if (r >= 0xe000 && r <= 0xf8ff) return false;       // private use
  if (r >= 0xf0000) return false;                     // supplementary private use
  return true;
}

// Go's %e exponent has at least two digits, as C's does; both spell "1e+21".
std::string shortest(double f, bool is32) {
  if (std::isnan(f)) return "NaN";
  if (std::isinf(f)) return f > 0 ? "+Inf" : "-Inf";
  char sci[64], fix[512];
  auto r1 = is32 ? std::to_chars(sci, sci + sizeof sci, static_cast<float>(f), std::chars_format::scientific)
                 : std::to_chars(sci, sci + sizeof sci, f, std::chars_format::scientific);
  std::string s(sci, r1.ptr);
  // strconv's 'g' with the shortest digits uses %e when exp < -4 || exp >= 6 (strconv/
  // ftoa.go: "if precision was the shortest possible, use precision 6 for this decision").
  auto e = s.find('e');
  int exp = std::atoi(s.c_str() + e + 1);
  if (exp < -4 || exp >= 6) return s;
  auto r2 = is32 ? std::to_chars(fix, fix + sizeof fix, static_cast<float>(f), std::chars_format::fixed)
                 : std::to_chars(fix, fix + sizeof fix, f, std::chars_format::fixed);
  return std::string(fix, r2.ptr);
}

std::string complexText(double re, double im, bool is64) {
  std::string i = shortest(im, is64);
  if (i[0] != '-' && i[0] != '+') i.insert(0, "+");
  return "(" + shortest(re, is64) + i + "i)";
}

}  // namespace

std::string goQuote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    auto [r, n] = decodeRune(s, i);
    if (r < 0) {
      out += fmt::format("\\x{:02x}", static_cast<uint8_t>(s[i]));
      i++;
      continue;
    }
    if (r == '"' || r == '\\') {
      out += '\\';
      out += static_cast<char>(r);
    } else if (isPrint(r)) {
      out.append(s.substr(i, n));
    } else {
      switch (r) {
        case '\a': out += "\\a"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\v': out += "\\v"; break;
        default:
          if (r < 0x20 || r == 0x7f) out += fmt::format("\\x{:02x}", r);
          else if (r < 0x10000) out += fmt::format("\\u{:04x}", r);
          else out += fmt::format("\\U{:08x}", r);
      }
    }
    i += n;
  }
  out += '"';
  return out;
}

std::string goFloat64(double f) { return shortest(f, false); }
std::string goFloat32(float f) { return shortest(f, true); }
std::string goComplex128(double re, double im) { return complexText(re, im, false); }
std::string goComplex64(float re, float im) { return complexText(re, im, true); }

size_t runeCut(std::string_view s, size_t limit) {
  if (s.size() <= limit) return s.size();
  size_t cut = limit;
  // Back up over continuation bytes to the start of the sequence the limit falls in.
  size_t back = 0;
  while (cut > 0 && back < 3 && (static_cast<uint8_t>(s[cut]) & 0xc0) == 0x80) {
    cut--;
    back++;
  }
  return cut;
}

}  // namespace goinspect
