#include "labels.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include "goprogram.h"
#include "bounds.h"
#include "memory.h"

namespace goinspect {

namespace {


uint64_t le64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// "[]internal/runtime/pprof/label.Label" → "internal/runtime/pprof/label.Label".
std::string elemOf(const std::string& sliceType) {
  return sliceType.starts_with("[]") ? sliceType.substr(2) : "";
}

}  // namespace

void LabelReader::resolve() {
  if (resolved_) return;
  resolved_ = true;
  const Layouts& lay = prog_.layouts();
  uint64_t strSize = lay.size("string").value_or(16);

  // 1.24+: labelMap is a struct embedding a label set with a sorted slice of labels. The
  // embedded set's name and its slice's name differ by release; LabelSet itself is the
  // same slice at the start of labelMap where labelMap is not described.
  struct Probe {
    const char* type;
    const char* slice;
  };
  for (Probe pr : {Probe{"runtime/pprof.labelMap", "Set.List"}, Probe{"runtime/pprof.labelMap", "LabelSet.list"}}) {
    auto f = lay.field(pr.type, pr.slice);
    auto arr = lay.offset(pr.type, std::string(pr.slice) + ".array");
    auto len = lay.offset(pr.type, std::string(pr.slice) + ".len");
    if (!f || !arr || !len) continue;
    ListLayout l;
    l.array = *arr;
    l.len = *len;
    std::string elem = elemOf(f->type);
    auto key = prog_.offOpt(elem, {"Key", "key"});
    auto value = prog_.offOpt(elem, {"Value", "value"});
    auto size = lay.size(elem);
    if (key && value && size && *size >= *key + strSize && *size >= *value + strSize) {
      l.key = *key;
      l.value = *value;
      l.elemSize = *size;
    } else {
      // The element's own layout is not in the table (the 1.26+ tables lack
      // internal/runtime/pprof/label.Label): it is {Key, Value string}, two string headers.
      l.key = 0;
      l.value = strSize;
      l.elemSize = 2 * strSize;
    }
    list_ = l;
    return;
  }

  // 1.21-1.23: labelMap is map[string]string, a classic runtime.hmap.
  const char* H = "runtime.hmap";
  auto count = lay.offset(H, "count"), flags = lay.offset(H, "flags"), B = lay.offset(H, "B"),
       buckets = lay.offset(H, "buckets"), oldbuckets = lay.offset(H, "oldbuckets");
  if (count && flags && B && buckets && oldbuckets) {
    MapLayout m;
    m.count = *count;
    m.flags = *flags;
    m.B = *B;
    m.buckets = *buckets;
    m.oldbuckets = *oldbuckets;
    auto constant = [&](const char* name, int64_t def) { return lay.constant(name).value_or(def); };
    m.bucketCnt = static_cast<uint64_t>(
        lay.constant("runtime.bucketCnt").value_or(lay.constant("internal/abi.MapBucketCount").value_or(8)));
    m.minTopHash = constant("runtime.minTopHash", 5);
    m.sameSizeGrow = constant("runtime.sameSizeGrow", 8);
    // The compiler's bucket type for map[string]string where DWARF has it; else the runtime's
    // own rule (bmap is the tophash array; keys, then elems, then the overflow pointer).
    bool found = false;
    for (const char* bt : {"bucket<string,string>", "noalg.map.bucket[string]string"}) {
      auto th = prog_.offOpt(bt, {"tophash", "topbits"});
      auto keys = lay.offset(bt, "keys");
      auto values = prog_.offOpt(bt, {"values", "elems"});
      auto ovf = lay.offset(bt, "overflow");
      auto size = lay.size(bt);
      if (th && keys && values && ovf && size) {
        m.tophash = *th;
        m.keys = *keys;
        m.values = *values;
        m.overflow = *ovf;
        m.bucketSize = *size;
        found = true;
        break;
      }
    }
    if (!found) {
      auto data = lay.size("runtime.bmap");  // dataOffset: the keys follow the tophash array
      if (!data || m.bucketCnt == 0 || m.bucketCnt > 64) return;
      m.keySize = m.valueSize = strSize;
      m.tophash = 0;
      m.keys = *data;
      m.values = m.keys + m.bucketCnt * m.keySize;
      m.overflow = m.values + m.bucketCnt * m.valueSize;
      m.bucketSize = m.overflow + 8;
    }
    if (m.bucketCnt == 0 || m.bucketCnt > 64 || m.bucketSize > 4096 ||
        m.keys + m.bucketCnt * m.keySize > m.bucketSize || m.values + m.bucketCnt * m.valueSize > m.bucketSize ||
        m.overflow + 8 > m.bucketSize || m.tophash + m.bucketCnt > m.bucketSize)
      return;
    map_ = m;
  }
}

std::string LabelReader::kind() {
  resolve();
  return list_ ? "list" : map_ ? "map" : "";
}

std::optional<std::string> LabelReader::readString(uint64_t addr) {
  auto ptr = mem_.u64(addr);
  auto len = mem_.u64(addr + 8);
  if (!ptr || !len) return std::nullopt;
  return stringAt(*ptr, *len);
}

std::optional<std::string> LabelReader::stringAt(uint64_t ptr, uint64_t len) {
  if (len > bounds::kMaxLength) return std::nullopt;
  if (len == 0) return std::string();
  if (len <= bounds::kMaxString) return mem_.bytes(ptr, len);
  auto s = mem_.bytes(ptr, bounds::kMaxString);
  if (s) *s += "...";
  return s;
}

bool LabelReader::readList(uint64_t p, GoLabels& out) {
  const ListLayout& l = *list_;
  auto arr = mem_.u64(p + l.array);
  auto len = mem_.u64(p + l.len);
  if (!arr || !len || *len > bounds::kMaxLength) return false;
  uint64_t n = std::min<uint64_t>(*len, bounds::kMaxLabels);
  if (n == 0) return true;
  if (!*arr) return false;
  // The elements in one read, then each string's bytes.
  std::vector<uint8_t> elems(n * l.elemSize);
  if (!mem_.read(*arr, elems.data(), elems.size())) return false;
  out.reserve(n);
  for (uint64_t i = 0; i < n; i++) {
    const uint8_t* e = elems.data() + i * l.elemSize;
    auto k = stringAt(le64(e + l.key), le64(e + l.key + 8));
    auto v = stringAt(le64(e + l.value), le64(e + l.value + 8));
    if (!k || !v) return false;
    out.emplace_back(std::move(*k), std::move(*v));
  }
  return true;
}

bool LabelReader::readMap(uint64_t p, GoLabels& out) {
  const MapLayout& m = *map_;
  // g.labels is a *labelMap: a pointer to the map variable, which holds the *hmap.
  auto h = mem_.u64(p);
  if (!h) return false;
  if (*h == 0) return true;  // a nil map
  auto count = mem_.u64(*h + m.count);
  auto B = mem_.u8(*h + m.B);
  auto flags = mem_.u8(*h + m.flags);
  auto buckets = mem_.u64(*h + m.buckets);
  auto oldbuckets = mem_.u64(*h + m.oldbuckets);
  if (!count || !B || !flags || !buckets || !oldbuckets) return false;
  if (static_cast<int64_t>(*count) < 0 || *B > 48) return false;
  if (*count == 0) return true;

  std::unordered_set<uint64_t> seen;  // buckets read: cycle check over overflow chains
  std::unordered_set<std::string> keys;
  size_t budget = bounds::kMaxLabelBuckets;
  std::vector<uint8_t> buf(m.bucketSize);
  // One bucket and its overflow chain. In an old bucket, slots already moved to the new
  // array are marked evacuated{X,Y,Empty}; empty slots are below minTopHash everywhere.
  auto chain = [&](uint64_t b) -> bool {
    while (b && out.size() < bounds::kMaxLabels) {
      if (budget == 0 || !seen.insert(b).second) return true;
      budget--;
      if (!mem_.read(b, buf.data(), buf.size())) return false;
      for (uint64_t i = 0; i < m.bucketCnt && out.size() < bounds::kMaxLabels; i++) {
        int64_t top = buf[m.tophash + i];
        if (top < m.minTopHash) continue;  // empty, or evacuated (evacuatedX/Y/Empty < minTopHash)
        auto k = readString(b + m.keys + i * m.keySize);
        auto v = readString(b + m.values + i * m.valueSize);
        if (!k || !v) return false;
        // A slot caught mid-evacuation can be in both arrays: a key counts once.
        if (!keys.insert(*k).second) continue;
        out.emplace_back(std::move(*k), std::move(*v));
      }
      b = le64(buf.data() + m.overflow);
    }
    return true;
  };
  uint64_t nb = uint64_t{1} << *B;
  if (*oldbuckets) {
    uint64_t nold = (*flags & m.sameSizeGrow) ? nb : nb / 2;
    for (uint64_t i = 0; i < nold && out.size() < bounds::kMaxLabels && budget; i++)
      if (!chain(*oldbuckets + i * m.bucketSize)) return false;
  }
  for (uint64_t i = 0; i < nb && out.size() < bounds::kMaxLabels && budget; i++)
    if (!chain(*buckets + i * m.bucketSize)) return false;
  return true;
}

GoLabels LabelReader::read(uint64_t labelsPtr) {
  GoLabels out;
  if (!labelsPtr) return out;
  if (auto it = cache_.find(labelsPtr); it != cache_.end()) return it->second;
  try {
    resolve();
    bool ok = list_ ? readList(labelsPtr, out) : map_ ? readMap(labelsPtr, out) : false;
    if (!ok) return {};
    // The runtime keeps the list sorted by key (and prints it so); a map has no order.
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    if (cache_.size() >= kMaxCached) cache_.clear();
    cache_.emplace(labelsPtr, out);
  } catch (...) {
    return {};
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Printing, as runtime/traceback.go and runtime/print.go do.

namespace {

constexpr uint32_t kRuneError = 0xFFFD;

// Go's utf8.DecodeRune on s[i:]: (rune, width); invalid encodings give (RuneError, 1).
std::pair<uint32_t, size_t> decodeRune(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  size_t n = s.size() - i;
  uint8_t b0 = b(0);
  if (b0 < 0x80) return {b0, 1};
  auto cont = [&](size_t k, uint8_t lo = 0x80, uint8_t hi = 0xBF) { return k < n && b(k) >= lo && b(k) <= hi; };
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (cont(1)) return {((b0 & 0x1Fu) << 6) | (b(1) & 0x3Fu), 2};
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    uint8_t lo = b0 == 0xE0 ? 0xA0 : 0x80, hi = b0 == 0xED ? 0x9F : 0xBF;
    if (cont(1, lo, hi) && cont(2)) return {((b0 & 0x0Fu) << 12) | ((b(1) & 0x3Fu) << 6) | (b(2) & 0x3Fu), 3};
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    uint8_t lo = b0 == 0xF0 ? 0x90 : 0x80, hi = b0 == 0xF4 ? 0x8F : 0xBF;
    if (cont(1, lo, hi) && cont(2) && cont(3))
      return {((b0 & 0x07u) << 18) | ((b(1) & 0x3Fu) << 12) | ((b(2) & 0x3Fu) << 6) | (b(3) & 0x3Fu), 4};
  }
  return {kRuneError, 1};
}

}  // namespace

bool labelNeedsQuoting(std::string_view s) {
  for (char c : s) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                 c == '/' || c == '_';
    if (!plain) return true;  // any other byte, a multi-byte rune's included
  }
  return false;
}

std::string goQuoted(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    auto [r, w] = decodeRune(s, i);
    size_t at = i;
    i += w;
    switch (r) {
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      case '\\': out += "\\\\"; continue;
      case '"': out += "\\\""; continue;
      case kRuneError:
        if (w == 1) {  // an invalid byte, not a real U+FFFD
          fmt::format_to(std::back_inserter(out), "\\x{:02x}", static_cast<uint8_t>(s[at]));
          continue;
        }
        break;
      default:
        break;
    }
    if (r >= ' ' && r <= '~') out += static_cast<char>(r);
    else if (r < 127) fmt::format_to(std::back_inserter(out), "\\x{:02x}", r);
    else if (r < 0x10000) fmt::format_to(std::back_inserter(out), "\\u{:04x}", r);
    else fmt::format_to(std::back_inserter(out), "\\U{:08x}", r);
  }
  out += '"';
  return out;
}

std::string validUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    auto [r, w] = decodeRune(s, i);
    if (r == kRuneError && w == 1) out += "\xEF\xBF\xBD";
    else out.append(s.substr(i, w));
    i += w;
  }
  return out;
}

std::string labelsText(const GoLabels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  auto put = [&](const std::string& s) { out += labelNeedsQuoting(s) ? goQuoted(s) : s; };
  for (size_t i = 0; i < labels.size(); i++) {
    if (i) out += ", ";
    put(labels[i].first);
    out += ": ";
    put(labels[i].second);
  }
  out += "}";
  return out;
}

}  // namespace goinspect
