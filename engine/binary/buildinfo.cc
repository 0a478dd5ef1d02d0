// .go.buildinfo, decoded as debug/buildinfo.readRawBuildInfo does, and the module info
// text parsed as runtime/debug.ParseBuildInfo does (leniently: a bad line is skipped).
#include "buildinfo.h"

#include <cstring>
#include <string_view>

#include "elf_file.h"
#include "varint.h"

namespace goinspect {

namespace {

constexpr std::string_view kMagic = "\xff Go buildinf:";
constexpr size_t kHeaderSize = 32;
constexpr size_t kAlign = 16;

// A varint-length-prefixed string at `pos` in `b`; advances pos. False if it does not fit.
bool decodeString(std::span<const uint8_t> b, size_t& pos, std::string& out) {
  if (pos > b.size()) return false;
  uint64_t len = 0;
  size_t n = uvarint(b.subspan(pos), len);
  if (n == 0) return false;
  pos += n;
  if (len > b.size() - pos) return false;
  out.assign(reinterpret_cast<const char*>(b.data() + pos), len);
  pos += len;
  return true;
}

// Pre-1.18 layout: the header holds pointers to Go strings {ptr, len} elsewhere in the file.
std::string readStringPtr(const ElfFile& elf, int ptrSize, bool bigEndian, uint64_t addr) {
  auto rd = [&](const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 0; i < ptrSize; i++) {
      uint64_t byte = p[bigEndian ? i : ptrSize - 1 - i];
      v = v << 8 | byte;
    }
    return v;
  };
  auto hdr = elf.bytesAt(addr, 2 * ptrSize);
  if (hdr.size() != size_t(2 * ptrSize)) return {};
  uint64_t dataAddr = rd(hdr.data()), dataLen = rd(hdr.data() + ptrSize);
  if (dataLen > (1u << 30)) return {};
  auto d = elf.bytesAt(dataAddr, dataLen);
  if (d.size() != dataLen) return {};
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

int hexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void appendUtf8(std::string& out, uint32_t r) {
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = 0xFFFD;
  if (r < 0x80) {
    out += char(r);
  } else if (r < 0x800) {
    out += char(0xC0 | r >> 6);
    out += char(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    out += char(0xE0 | r >> 12);
    out += char(0x80 | (r >> 6 & 0x3F));
    out += char(0x80 | (r & 0x3F));
  } else {
    out += char(0xF0 | r >> 18);
    out += char(0x80 | (r >> 12 & 0x3F));
    out += char(0x80 | (r >> 6 & 0x3F));
    out += char(0x80 | (r & 0x3F));
  }
}

// strconv.QuotedPrefix + strconv.Unquote: the Go string literal ("..." or `...`) at the
// start of s. Returns its length in s (0 if s does not start with a valid literal).
size_t unquotePrefix(std::string_view s, std::string& out) {
  out.clear();
  if (s.empty()) return 0;
  if (s[0] == '`') {
    size_t end = s.find('`', 1);
    if (end == std::string_view::npos) return 0;
    for (char c : s.substr(1, end - 1))
      if (c != '\r') out += c;  // Unquote drops carriage returns from raw strings
    return end + 1;
  }
  if (s[0] != '"') return 0;
  for (size_t i = 1; i < s.size();) {
    char c = s[i];
    if (c == '"') return i + 1;
    if (c == '\n') return 0;
    if (c != '\\') {
      out += c;
      i++;
      continue;
    }
    if (++i >= s.size()) return 0;
    char e = s[i++];
    switch (e) {
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case '\\': out += '\\'; break;
      case '"': out += '"'; break;
      case 'x': case 'u': case 'U': {
        size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (i + n > s.size()) return 0;
        uint32_t v = 0;
        for (size_t k = 0; k < n; k++) {
          int h = hexVal(s[i + k]);
          if (h < 0) return 0;
          v = v << 4 | uint32_t(h);
        }
        i += n;
        if (e == 'x') out += char(v);
        else appendUtf8(out, v);
        break;
      }
      default:
        if (e >= '0' && e <= '7') {  // \ooo: exactly three octal digits
          if (i + 2 > s.size()) return 0;
          uint32_t v = uint32_t(e - '0');
          for (size_t k = 0; k < 2; k++) {
            char d = s[i + k];
            if (d < '0' || d > '7') return 0;
            v = v << 3 | uint32_t(d - '0');
          }
          if (v > 255) return 0;
          i += 2;
          out += char(v);
          break;
        }
        return 0;
    }
  }
  return 0;
}

// One "build\t..." line's payload: key=value, either side possibly quoted.
bool parseBuildSetting(std::string_view kv, std::string& key, std::string& value) {
  if (kv.empty() || kv[0] == '=') return false;
  std::string_view rawValue;
  if (kv[0] == '`' || kv[0] == '"') {
    size_t n = unquotePrefix(kv, key);
    if (n == 0 || n >= kv.size() || kv[n] != '=') return false;
    rawValue = kv.substr(n + 1);
  } else {
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos) return false;
    key.assign(kv.substr(0, eq));
    rawValue = kv.substr(eq + 1);
  }
  value.clear();
  if (!rawValue.empty() && (rawValue[0] == '`' || rawValue[0] == '"')) {
    if (unquotePrefix(rawValue, value) != rawValue.size()) return false;
  } else {
    value.assign(rawValue);
  }
  return true;
}

void parseModInfo(BuildInfo& bi) {
  std::string_view data = bi.modInfo;
  // strings.Cut on "\n": like ParseBuildInfo, a final line without a newline is ignored.
  for (size_t nl; (nl = data.find('\n')) != std::string_view::npos; data.remove_prefix(nl + 1)) {
    std::string_view line = data.substr(0, nl);
    if (line.starts_with("path\t")) {
      bi.path.assign(line.substr(5));
    } else if (line.starts_with("build\t")) {
      std::string key, value;
      if (parseBuildSetting(line.substr(6), key, value)) bi.settings.emplace_back(std::move(key), std::move(value));
    }
  }
}

}  // namespace

std::optional<std::string> BuildInfo::setting(const std::string& key) const {
  for (const auto& [k, v] : settings)
    if (k == key) return v;
  return std::nullopt;
}

std::optional<BuildInfo> readBuildInfo(const ElfFile& elf) {
  const ElfSection* s = elf.section(".go.buildinfo");
  if (!s || s->data.size() < kHeaderSize) return std::nullopt;
  std::span<const uint8_t> d = s->data;
  // debug/buildinfo.searchMagic: the blob sits at a 16-byte boundary (in practice, at 0).
  size_t at = std::string_view::npos;
  for (size_t off = 0; off + kHeaderSize <= d.size(); off += kAlign) {
    if (std::memcmp(d.data() + off, kMagic.data(), kMagic.size()) == 0) {
      at = off;
      break;
    }
  }
  if (at == std::string_view::npos) return std::nullopt;
  const uint8_t* h = d.data() + at;
  const uint8_t flags = h[15];
  BuildInfo bi;
  if (flags & 0x2) {  // flagsVersionInl (Go 1.18+): two varint-prefixed strings after the header
    size_t pos = at + kHeaderSize;
    if (!decodeString(d, pos, bi.goVersion) || !decodeString(d, pos, bi.modInfo)) return std::nullopt;
  } else {  // flagsVersionPtr (before Go 1.18)
    int ptrSize = h[14];
    if (ptrSize != 4 && ptrSize != 8) return std::nullopt;
    bool big = flags & 0x1;
    auto rd = [&](const uint8_t* p) {
      uint64_t v = 0;
      for (int i = 0; i < ptrSize; i++) v = v << 8 | p[big ? i : ptrSize - 1 - i];
      return v;
    };
    bi.goVersion = readStringPtr(elf, ptrSize, big, rd(h + 16));
    bi.modInfo = readStringPtr(elf, ptrSize, big, rd(h + 16 + ptrSize));
  }
  if (bi.goVersion.empty()) return std::nullopt;
  // Strip the 16-byte sentinels (cmd/go/internal/modload.infoStart/infoEnd).
  const std::string& m = bi.modInfo;
  if (m.size() >= 33 && m[m.size() - 17] == '\n')
    bi.modInfo = m.substr(16, m.size() - 32);
  else
    bi.modInfo.clear();
  parseModInfo(bi);
  return bi;
}

std::optional<std::pair<int, int>> parseGoVersion(const std::string& v) {
  std::string_view s = v;
  if (s.starts_with("devel ")) s.remove_prefix(6);  // "devel go1.23-abcdef Tue ..."
  if (!s.starts_with("go")) return std::nullopt;
  s.remove_prefix(2);
  auto number = [&](int& out) {
    size_t n = 0;
    long x = 0;
    while (n < s.size() && s[n] >= '0' && s[n] <= '9' && n < 6) x = x * 10 + (s[n++] - '0');
    if (n == 0 || (n < s.size() && s[n] >= '0' && s[n] <= '9')) return false;
    out = static_cast<int>(x);
    s.remove_prefix(n);
    return true;
  };
  int major = 0, minor = 0;
  if (!number(major)) return std::nullopt;
  if (s.starts_with(".")) {
    s.remove_prefix(1);
    if (!number(minor)) return std::nullopt;
  }
  return std::make_pair(major, minor);
}

}  // namespace goinspect
