// pprof goroutine labels (runtime/pprof SetGoroutineLabels, pprof.Do): what g.labels points
// to, read from the target, and printed the way the runtime's traceback header prints them.
//
//   LabelReader labels(prog, mem);
//   GoLabels l = labels.read(g.labels);   // sorted by key; {} when none or unreadable
//   std::string s = labelsText(l);        // {fixture: parked, note: "a b"}
//
// g.labels is an unsafe.Pointer to a runtime/pprof labelMap, whose layout the binary's
// layouts tell (probed by field, never by version):
//   Go 1.21-1.23  labelMap is map[string]string: g.labels points to the map variable, a
//                 *runtime.hmap (buckets of 8 tophash bytes, 8 keys, 8 elems, overflow).
//   Go 1.24-1.25  labelMap is struct{LabelSet}, LabelSet{list []label{key, value string}}.
//   Go 1.26+      labelMap is struct{Set label.Set}, label.Set{List []label.Label{Key, Value}}
//                 (internal/runtime/pprof/label, shared with the runtime's traceback).
// Every read is bounded (bounds.h: kMaxLabels entries, kMaxString bytes a string,
// kMaxLabelBuckets buckets) and never throws: a label map that cannot be read gives no labels.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace goinspect {

class GoProgram;
class Memory;

using GoLabels = std::vector<std::pair<std::string, std::string>>;

class LabelReader {
 public:
  LabelReader(GoProgram& prog, Memory& mem) : prog_(prog), mem_(mem) {}

  // The labels g.labels (`labelsPtr`) points to, sorted by key. Never throws. A goroutine
  // inherits its creator's labelMap pointer, so many share one: each map is read once per
  // reader (make one per stop).
  GoLabels read(uint64_t labelsPtr);

  // Which layout this binary's labelMap has: "list" (1.24+), "map" (1.21-1.23) or "" when
  // its layouts know neither. Resolved on first use.
  std::string kind();

 private:
  struct ListLayout {
    uint64_t array = 0, len = 0;         // in the labelMap
    uint64_t elemSize = 0, key = 0, value = 0;  // in one label
  };
  struct MapLayout {
    uint64_t count = 0, flags = 0, B = 0, buckets = 0, oldbuckets = 0;
    uint64_t bucketSize = 0, tophash = 0, keys = 0, values = 0, overflow = 0;
    uint64_t bucketCnt = 8, keySize = 16, valueSize = 16;
    int64_t minTopHash = 5;    // tophash below this: empty or evacuated (runtime/map.go)
    int64_t sameSizeGrow = 8;  // hmap.flags: growing to the same number of buckets
  };
  void resolve();
  std::optional<std::string> readString(uint64_t addr);  // a Go string header at addr
  std::optional<std::string> stringAt(uint64_t ptr, uint64_t len);
  bool readList(uint64_t p, GoLabels& out);
  bool readMap(uint64_t p, GoLabels& out);

  GoProgram& prog_;
  Memory& mem_;
  bool resolved_ = false;
  std::optional<ListLayout> list_;
  std::optional<MapLayout> map_;
  static constexpr size_t kMaxCached = 8192;  // label maps remembered, by address
  std::unordered_map<uint64_t, GoLabels> cache_;
};

// The runtime's header form (Go 1.27 traceback.go goroutineheader): "{k: v, k2: "v 2"}", a
// key or value quoted (printquoted) only when it holds anything but [A-Za-z0-9./_].
// "" for no labels.
std::string labelsText(const GoLabels& labels);
// runtime.tracebackStringNeedsQuoting and runtime.printquoted.
bool labelNeedsQuoting(std::string_view s);
std::string goQuoted(std::string_view s);
// s with every byte that is not part of valid UTF-8 replaced by U+FFFD (as Go's
// encoding/json does), for JSON: a label is any bytes, JSON text must be UTF-8.
std::string validUtf8(std::string_view s);

}  // namespace goinspect
