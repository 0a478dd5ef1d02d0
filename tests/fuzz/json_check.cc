#include "json_check.h"

#include <cstdint>

namespace goinspect::fuzz {

namespace {

class Checker {
 public:
  explicit Checker(std::string_view s) : s_(s) {}

  bool document() {
    ws();
    if (!value(0)) return false;
    ws();
    return i_ == s_.size();
  }

 private:
  static constexpr int kMaxDepth = 512;

  bool at(char c) const { return i_ < s_.size() && s_[i_] == c; }
  uint8_t cur() const { return static_cast<uint8_t>(s_[i_]); }
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) i_++;
  }
  bool literal(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }

  bool value(int depth) {
    if (i_ >= s_.size() || depth > kMaxDepth) return false;
    switch (s_[i_]) {
      case '{': return object(depth);
      case '[': return array(depth);
      case '"': return string();
      case 't': return literal("true");
      case 'f': return literal("false");
      case 'n': return literal("null");
      default: return number();
    }
  }

  bool object(int depth) {
    i_++;
    ws();
    if (at('}')) return i_++, true;
    for (;;) {
      ws();
      if (!at('"') || !string()) return false;
      ws();
      if (!at(':')) return false;
      i_++;
      ws();
      if (!value(depth + 1)) return false;
      ws();
      if (at('}')) return i_++, true;
      if (!at(',')) return false;
      i_++;
    }
  }

  bool array(int depth) {
    i_++;
    ws();
    if (at(']')) return i_++, true;
    for (;;) {
      ws();
      if (!value(depth + 1)) return false;
      ws();
      if (at(']')) return i_++, true;
      if (!at(',')) return false;
      i_++;
    }
  }

  bool digits() {
    size_t from = i_;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') i_++;
    return i_ > from;
  }

  bool number() {
    if (at('-')) i_++;
    if (at('0')) i_++;
    else if (!digits()) return false;
    if (at('.')) {
      i_++;
      if (!digits()) return false;
    }
    if (at('e') || at('E')) {
      i_++;
      if (at('+') || at('-')) i_++;
      if (!digits()) return false;
    }
    return true;
  }

  bool hex4() {
    for (int k = 0; k < 4; k++, i_++) {
      if (i_ >= s_.size()) return false;
      char c = s_[i_];
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
    }
    return true;
  }

  // One UTF-8 sequence (RFC 3629: no overlongs, no surrogates, at most U+10FFFF).
  bool utf8() {
    uint8_t b = cur();
    size_t n = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : 0;
    if (!n || i_ + n >= s_.size()) return false;  // bytes i_+1 .. i_+n must be there
    uint8_t lo = 0x80, hi = 0xbf;
    if (b == 0xe0) lo = 0xa0;
    if (b == 0xed) hi = 0x9f;
    if (b == 0xf0) lo = 0x90;
    if (b == 0xf4) hi = 0x8f;
    for (size_t k = 1; k <= n; k++) {
      uint8_t c = static_cast<uint8_t>(s_[i_ + k]);
      if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xbf)) return false;
    }
    i_ += n + 1;
    return true;
  }

  bool string() {
    i_++;  // the opening quote
    while (i_ < s_.size()) {
      uint8_t c = cur();
      if (c == '"') return i_++, true;
      if (c < 0x20) return false;
      if (c == '\\') {
        i_++;
        if (i_ >= s_.size()) return false;
        char e = s_[i_++];
        if (e == 'u') {
          if (!hex4()) return false;
        } else if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't') {
          return false;
        }
        continue;
      }
      if (c < 0x80) {
        i_++;
        continue;
      }
      if (!utf8()) return false;
    }
    return false;
  }

  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

bool isJson(std::string_view text) { return Checker(text).document(); }

}  // namespace goinspect::fuzz
