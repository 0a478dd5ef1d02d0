// Maps, read as the runtime lays them out: the classic hash table of Go 1.21-1.23
// (runtime/map.go) and the swiss tables of Go 1.24+ (internal/runtime/maps). Every offset
// comes from the structs the linker writes into DWARF for each map type (hash<K,V> and
// bucket<K,V>; map<K,V>, table<K,V>, groupReference<K,V> and the group), not from a table
// per release.
//
// A map read whole is sorted by key as fmt prints it (internal/fmtsort): the keys are read
// again from the target for that, as plain numbers and bytes, so that the order does not
// depend on how a key is printed or cut.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <string_view>
#include <unordered_set>

#include "bounds.h"
#include "value.h"

namespace goinspect {

namespace {

// A field of a struct DWARF describes: its offset, type and the type's size.
struct Field {
  uint64_t offset = 0;
  TypeId type = 0;
  uint64_t size = 0;
};

std::optional<Field> fieldOf(const GoTypes& types, TypeId id, std::initializer_list<std::string_view> names) {
  if (!id) return std::nullopt;
  for (std::string_view name : names)
    if (const GoField* f = types.field(id, name)) return Field{f->offset, f->type, types.type(f->type).size};
  return std::nullopt;
}

// Where slot i of a bucket or group keeps its key (or value): off + i * stride; `indirect`
// when the slot holds a pointer to it, as for keys and values over 128 bytes
// (cmd/compile/internal/reflectdata: MapBucketType, MapGroupType).
struct Part {
  uint64_t off = 0, stride = 0;
  bool indirect = false;
};

struct Slots {
  uint64_t count = 0;  // slots in a bucket or group
  Part key, elem;
};

// Whether a slot of type `slot` holds a `want` (false) or a pointer to one (true).
std::optional<bool> indirect(const GoTypes& types, TypeId slot, TypeId want) {
  if (!slot || !want) return std::nullopt;
  if (slot == want) return false;
  const GoType& s = types.type(slot);
  const GoType& w = types.type(want);
  if (s.name == w.name && s.size == w.size) return false;
  if (s.kind == GoKind::Pointer && s.elem && (s.elem == want || types.type(s.elem).name == w.name)) return true;
  return std::nullopt;
}

// The part of a slot that an array field of `count` elements holds (bucket.keys, group.keys).
std::optional<Part> arrayPart(const GoTypes& types, const Field& f, TypeId want, uint64_t count) {
  const GoType& a = types.type(f.type);
  if (a.kind != GoKind::Array || a.count != count) return std::nullopt;
  auto ind = indirect(types, a.elem, want);
  if (!ind) return std::nullopt;
  return Part{f.offset, types.type(a.elem).size, *ind};
}

// ---- the order of internal/fmtsort

// A key as internal/fmtsort's compare sees it: ints, uints (also bools, pointers and
// channels, by address), floats and complex numbers, strings, and sequences (a struct's
// fields, an array's elements, an interface's dynamic type and value). Nil is a nil
// interface, which sorts first.
struct SortKey {
  enum class Tag : uint8_t { Nil, Int, Uint, Float, String, Seq };
  Tag tag = Tag::Nil;
  int64_t i = 0;
  uint64_t u = 0;
  double re = 0, im = 0;
  std::string s;
  std::vector<SortKey> parts;
};

// cmp.Compare on floats: NaN is below every number and equal to NaN, -0 equals 0.
int compareFloat(double a, double b) {
  bool an = std::isnan(a), bn = std::isnan(b);
  if (an || bn) return an && bn ? 0 : an ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

template <typename T>
int compare3(const T& a, const T& b) {
  return a < b ? -1 : b < a ? 1 : 0;
}

// internal/fmtsort/sort.go: compare. Keys of one map have one type, so the tags differ only
// where one interface is nil (nilCompare: nil first); the rest keeps the order total.
int compareKeys(const SortKey& a, const SortKey& b) {
  if (a.tag != b.tag) return compare3(a.tag, b.tag);
  switch (a.tag) {
    case SortKey::Tag::Nil: return 0;
    case SortKey::Tag::Int: return compare3(a.i, b.i);
    case SortKey::Tag::Uint: return compare3(a.u, b.u);
    case SortKey::Tag::Float:
      if (int c = compareFloat(a.re, b.re)) return c;
      return compareFloat(a.im, b.im);
    case SortKey::Tag::String: return compare3(std::string_view(a.s), std::string_view(b.s));
    case SortKey::Tag::Seq:
      for (size_t k = 0; k < a.parts.size() && k < b.parts.size(); k++)
        if (int c = compareKeys(a.parts[k], b.parts[k])) return c;
      return compare3(a.parts.size(), b.parts.size());
  }
  return 0;
}

// Reads keys from the target as SortKeys. Work is bounded by the engine, not the target:
// past these a map is shown in the runtime's order instead.
class KeyReader {
 public:
  static constexpr int kMaxDepth = 64;            // structs, arrays, interfaces nested
  static constexpr uint64_t kMaxNodes = 1 << 20;  // scalars over all keys of one map
  static constexpr uint64_t kMaxString = 1 << 16; // bytes of one string key

  explicit KeyReader(ValueReader& r) : r_(r) {
    // abi.ITab.Type (1.22+), runtime.itab._type before: an iface's dynamic type.
    itabType_ = r.prog().offOpt("internal/abi.ITab", "Type")
                    .value_or(r.prog().offOpt("runtime.itab", "_type").value_or(8));
  }

  std::optional<SortKey> read(TypeId type, uint64_t addr, int depth) {
    if (depth > kMaxDepth || ++nodes_ > kMaxNodes) return std::nullopt;
    Memory& mem = r_.mem();
    // Copied: an interface's dynamic type may be decoded below, which moves the types.
    const GoType& t = r_.types().type(type);
    const GoKind kind = t.kind;
    const uint64_t size = t.size;
    SortKey k;
    switch (kind) {
      case GoKind::Int: case GoKind::Int8: case GoKind::Int16: case GoKind::Int32: case GoKind::Int64: {
        auto u = mem.unsignedAt(addr, size);
        if (!u) return std::nullopt;
        unsigned shift = 64 - 8 * static_cast<unsigned>(size);
        k.tag = SortKey::Tag::Int;
        k.i = static_cast<int64_t>(*u << shift) >> shift;
        return k;
      }
      case GoKind::Bool: case GoKind::Uint: case GoKind::Uint8: case GoKind::Uint16: case GoKind::Uint32:
      case GoKind::Uint64: case GoKind::Uintptr: case GoKind::Pointer: case GoKind::UnsafePointer:
      case GoKind::Chan: {
        auto u = mem.unsignedAt(addr, size);
        if (!u) return std::nullopt;
        k.tag = SortKey::Tag::Uint;
        k.u = kind == GoKind::Bool ? (*u & 0xff) != 0 : *u;
        return k;
      }
      case GoKind::Float32: case GoKind::Complex64: {
        auto re = mem.get<float>(addr);
        auto im = kind == GoKind::Complex64 ? mem.get<float>(addr + 4) : std::optional<float>(0.0f);
        if (!re || !im) return std::nullopt;
        k.tag = SortKey::Tag::Float;
        k.re = *re;
        k.im = *im;
        return k;
      }
      case GoKind::Float64: case GoKind::Complex128: {
        auto re = mem.get<double>(addr);
        auto im = kind == GoKind::Complex128 ? mem.get<double>(addr + 8) : std::optional<double>(0.0);
        if (!re || !im) return std::nullopt;
        k.tag = SortKey::Tag::Float;
        k.re = *re;
        k.im = *im;
        return k;
      }
      case GoKind::String: return string(type, addr);
      case GoKind::Struct: return structure(type, addr, depth);
      case GoKind::Array: return array(type, addr, depth);
      case GoKind::Interface: return interface(type, addr, depth);
      default: return std::nullopt;  // maps, slices and funcs are not comparable: no keys
    }
  }

 private:
  std::optional<SortKey> string(TypeId type, uint64_t addr) {
    auto str = fieldOf(r_.types(), type, {"str"});
    auto len = fieldOf(r_.types(), type, {"len"});
    auto p = r_.mem().u64(addr + (str ? str->offset : 0));
    auto n = r_.mem().u64(addr + (len ? len->offset : 8));
    if (!p || !n || *n > kMaxString) return std::nullopt;
    SortKey k;
    k.tag = SortKey::Tag::String;
    if (*n == 0) return k;
    auto bytes = r_.mem().bytes(*p, *n);
    if (!bytes) return std::nullopt;
    k.s = std::move(*bytes);
    return k;
  }

  std::optional<SortKey> structure(TypeId type, uint64_t addr, int depth) {
    SortKey k;
    k.tag = SortKey::Tag::Seq;
    for (size_t i = 0; i < r_.types().type(type).fields.size(); i++) {
      GoField f = r_.types().type(type).fields[i];
      auto part = read(f.type, addr + f.offset, depth + 1);
      if (!part) return std::nullopt;
      k.parts.push_back(std::move(*part));
    }
    return k;
  }

  std::optional<SortKey> array(TypeId type, uint64_t addr, int depth) {
    const GoType& t = r_.types().type(type);
    TypeId elem = t.elem;
    uint64_t count = t.count, stride = r_.types().type(elem).size;
    SortKey k;
    k.tag = SortKey::Tag::Seq;
    if (stride == 0) return k;  // elements of no size are all equal
    for (uint64_t i = 0; i < count; i++) {
      auto part = read(elem, addr + i * stride, depth + 1);
      if (!part) return std::nullopt;
      k.parts.push_back(std::move(*part));
    }
    return k;
  }

  // fmtsort: nil first, then by the dynamic type (the address of its descriptor), then the
  // value.
  std::optional<SortKey> interface(TypeId type, uint64_t addr, int depth) {
    const GoType& t = r_.types().type(type);
    bool empty = t.emptyInterface;
    uint64_t tabOff = t.fields.size() == 2 ? t.fields[0].offset : 0;
    uint64_t dataOff = t.fields.size() == 2 ? t.fields[1].offset : 8;
    auto word = r_.mem().u64(addr + tabOff);
    if (!word) return std::nullopt;
    uint64_t typeAddr = *word;
    if (typeAddr && !empty) {
      auto ty = r_.mem().u64(typeAddr + itabType_);
      if (!ty) return std::nullopt;
      typeAddr = *ty;
    }
    SortKey k;
    if (!typeAddr) return k;  // nil
    TypeId dyn = r_.dynamicType(typeAddr).first;
    if (!dyn) return std::nullopt;
    uint64_t valueAddr = addr + dataOff;
    if (!r_.directIface(dyn)) {
      auto data = r_.mem().u64(addr + dataOff);
      if (!data) return std::nullopt;
      valueAddr = *data;
    }
    auto value = read(dyn, valueAddr, depth + 1);
    if (!value) return std::nullopt;
    k.tag = SortKey::Tag::Seq;
    SortKey typeKey;
    typeKey.tag = SortKey::Tag::Uint;
    typeKey.u = typeAddr;
    k.parts.push_back(std::move(typeKey));
    k.parts.push_back(std::move(*value));
    return k;
  }

  ValueReader& r_;
  uint64_t itabType_ = 8;
  uint64_t nodes_ = 0;
};

// ---- the entries

class MapReader {
 public:
  MapReader(ValueReader& r, Value& v, TypeId key, TypeId elem, const Limits& limits, int depth)
      : r_(r), mem_(r.mem()), T_(r.types()), v_(v), key_(key), elem_(elem), limits_(limits), depth_(depth) {}

  void classic(TypeId impl, uint64_t h);
  void swiss(TypeId impl, uint64_t m);

 private:
  // The classic layout: offsets in hash<K,V> and bucket<K,V>.
  struct Classic {
    Field count, flags, B, buckets, oldbuckets;
    uint64_t bucketSize = 0, tophash = 0, overflow = 0;
    Slots slots;
    uint64_t sameSizeGrow = 8;  // hmap.flags: growing to as many buckets
    uint8_t minTopHash = 5;     // tophash of a full slot
  };
  // The swiss layout: map<K,V>, table<K,V>, its groupReference and the group.
  struct Swiss {
    Field used, dirPtr, dirLen, globalDepth;
    Field localDepth, tableUsed, groupsData, groupsMask;  // from the table's start
    bool hasTableUsed = false;
    uint64_t groupSize = 0, ctrl = 0, ctrlSize = 0;
    Slots slots;
  };

  std::optional<Classic> classicLayout(TypeId impl);
  std::optional<Swiss> swissLayout(TypeId impl);
  bool chain(uint64_t b, const Classic& L);
  bool table(uint64_t tab, const Swiss& L);
  bool group(uint64_t g, const Swiss& L);

  // Starts the entries of a map of `count`: reads up to `limits.elements` of them.
  void begin(uint64_t count) {
    count_ = count;
    v_.len = count;
    want_ = std::min<uint64_t>(count, limits_.elements);
  }
  bool full() const { return v_.children.size() >= want_; }
  void add(uint64_t base, uint64_t i, const Slots& s);
  std::pair<uint64_t, Value> part(TypeId type, uint64_t slot, bool indirect, const char* what);
  void finish();
  void sortByKey();

  // The whole map is an error: what was read is dropped.
  void fail(std::string why) {
    v_.error = std::move(why);
    v_.children.clear();
    v_.more = 0;
  }
  std::string layoutName(TypeId id) const { return T_.type(id).name; }

  ValueReader& r_;
  Memory& mem_;
  GoTypes& T_;
  Value& v_;
  TypeId key_, elem_;
  const Limits& limits_;
  int depth_;
  uint64_t count_ = 0, want_ = 0;
  std::vector<uint64_t> keyAddrs_;  // where each entry's key lives (0: unreadable), for sorting
};

// ---- Go 1.21-1.23: runtime/map.go

std::optional<MapReader::Classic> MapReader::classicLayout(TypeId impl) {
  Classic L;
  auto count = fieldOf(T_, impl, {"count"}), flags = fieldOf(T_, impl, {"flags"}), B = fieldOf(T_, impl, {"B"}),
       buckets = fieldOf(T_, impl, {"buckets"}), old = fieldOf(T_, impl, {"oldbuckets"});
  if (!count || !flags || !B || !buckets || !old) {
    fail(fmt::format("DWARF's {} lacks count, flags, B, buckets or oldbuckets", layoutName(impl)));
    return std::nullopt;
  }
  L.count = *count, L.flags = *flags, L.B = *B, L.buckets = *buckets, L.oldbuckets = *old;
  TypeId bucket = T_.pointee(buckets->type);
  auto tophash = fieldOf(T_, bucket, {"tophash"}), keys = fieldOf(T_, bucket, {"keys"}),
       values = fieldOf(T_, bucket, {"values", "elems"}), overflow = fieldOf(T_, bucket, {"overflow"});
  if (!tophash || !keys || !values || !overflow) {
    fail(fmt::format("DWARF's bucket of {} lacks tophash, keys, values or overflow", layoutName(impl)));
    return std::nullopt;
  }
  const GoType& th = T_.type(tophash->type);
  L.slots.count = th.kind == GoKind::Array ? th.count : 0;
  auto k = arrayPart(T_, *keys, key_, L.slots.count);
  auto e = arrayPart(T_, *values, elem_, L.slots.count);
  if (L.slots.count == 0 || L.slots.count > 64 || !k || !e || overflow->size != 8) {
    fail(fmt::format("DWARF's bucket of {} is not tophash [8]uint8, keys [8]K, values [8]V, overflow",
                     layoutName(impl)));
    return std::nullopt;
  }
  L.slots.key = *k;
  L.slots.elem = *e;
  L.bucketSize = T_.type(bucket).size;
  L.tophash = tophash->offset;
  L.overflow = overflow->offset;
  const Layouts& lay = r_.prog().layouts();
  L.sameSizeGrow = static_cast<uint64_t>(lay.constant("runtime.sameSizeGrow").value_or(8));
  L.minTopHash = static_cast<uint8_t>(lay.constant("runtime.minTopHash").value_or(5));
  return L;
}

void MapReader::classic(TypeId impl, uint64_t h) {
  auto L = classicLayout(impl);
  if (!L) return;
  auto count = mem_.unsignedAt(h + L->count.offset, L->count.size);
  auto flags = mem_.unsignedAt(h + L->flags.offset, L->flags.size);
  auto B = mem_.unsignedAt(h + L->B.offset, L->B.size);
  auto buckets = mem_.u64(h + L->buckets.offset);
  auto old = mem_.u64(h + L->oldbuckets.offset);
  if (!count || !flags || !B || !buckets || !old) return fail(fmt::format("cannot read the map at {:#x}", h));
  auto n = static_cast<int64_t>(*count);  // hmap.count is an int
  if (n < 0 || static_cast<uint64_t>(n) > bounds::kMaxMapEntries)
    return fail(fmt::format("implausible map: {} entries", n));
  if (*B > bounds::kMaxMapB) return fail(fmt::format("implausible map: 2^{} buckets", *B));
  begin(static_cast<uint64_t>(n));
  if (n > 0 && !*buckets) return fail(fmt::format("the map of {} entries at {:#x} has no buckets", n, h));

  uint64_t nb = uint64_t{1} << *B;
  // runtime/map.go: while the map grows, buckets not yet evacuated are still in
  // oldbuckets, half as many as buckets (the same number in a sameSizeGrow); the new
  // buckets they will go to are still empty.
  if (*old && !full()) {
    uint64_t nold = (*flags & L->sameSizeGrow) ? nb : nb / 2;
    for (uint64_t i = 0; i < nold && !full(); i++)
      if (!chain(*old + i * L->bucketSize, *L)) return;
  }
  for (uint64_t i = 0; i < nb && !full(); i++)
    if (!chain(*buckets + i * L->bucketSize, *L)) return;
  finish();
}

// One bucket and its overflow chain.
bool MapReader::chain(uint64_t b, const Classic& L) {
  // runtime/map.go: tophash below minTopHash is an empty slot (emptyRest, emptyOne) or, in
  // an old bucket, one already evacuated (evacuatedX, evacuatedY, evacuatedEmpty): its
  // entry, if any, is in the new buckets. Marked slot by slot, so a bucket caught in the
  // middle of evacuate() still gives each entry once.
  std::array<uint8_t, 64> top{};
  std::unordered_set<uint64_t> seen;
  while (b && !full()) {
    if (seen.size() >= bounds::kMaxMapOverflow || !seen.insert(b).second) {
      fail(fmt::format("the map's overflow chain at {:#x} loops or passes {} buckets", b, bounds::kMaxMapOverflow));
      return false;
    }
    if (!mem_.read(b + L.tophash, top.data(), L.slots.count)) {
      fail(fmt::format("cannot read the map's bucket at {:#x}", b));
      return false;
    }
    for (uint64_t i = 0; i < L.slots.count && !full(); i++)
      if (top[i] >= L.minTopHash) add(b, i, L.slots);
    auto next = mem_.u64(b + L.overflow);
    if (!next) {
      fail(fmt::format("cannot read the map's bucket at {:#x}", b));
      return false;
    }
    b = *next;
  }
  return true;
}

// ---- Go 1.24+: internal/runtime/maps

std::optional<MapReader::Swiss> MapReader::swissLayout(TypeId impl) {
  Swiss L;
  auto used = fieldOf(T_, impl, {"used"}), dirPtr = fieldOf(T_, impl, {"dirPtr"}),
       dirLen = fieldOf(T_, impl, {"dirLen"}), globalDepth = fieldOf(T_, impl, {"globalDepth"});
  if (!used || !dirPtr || !dirLen || !globalDepth) {
    fail(fmt::format("DWARF's {} lacks used, dirPtr, dirLen or globalDepth", layoutName(impl)));
    return std::nullopt;
  }
  L.used = *used, L.dirPtr = *dirPtr, L.dirLen = *dirLen, L.globalDepth = *globalDepth;
  TypeId table = T_.pointee(T_.pointee(dirPtr->type));  // dirPtr is **table<K,V>
  auto localDepth = fieldOf(T_, table, {"localDepth"}), groups = fieldOf(T_, table, {"groups"});
  auto data = groups ? fieldOf(T_, groups->type, {"data"}) : std::nullopt;
  auto mask = groups ? fieldOf(T_, groups->type, {"lengthMask"}) : std::nullopt;
  if (!localDepth || !data || !mask) {
    fail(fmt::format("DWARF's table of {} lacks localDepth or groups.data, groups.lengthMask", layoutName(impl)));
    return std::nullopt;
  }
  L.localDepth = *localDepth;
  if (auto u = fieldOf(T_, table, {"used"})) {
    L.tableUsed = *u;
    L.hasTableUsed = true;
  }
  L.groupsData = Field{groups->offset + data->offset, data->type, data->size};
  L.groupsMask = Field{groups->offset + mask->offset, mask->type, mask->size};

  // reflectdata.MapGroupType: ctrl, then slots [8]struct{key K; elem V}, or, with
  // GOEXPERIMENT=mapsplitgroup, keys [8]K and elems [8]V.
  TypeId group = T_.pointee(data->type);
  auto ctrl = fieldOf(T_, group, {"ctrl"});
  if (!ctrl) {
    fail(fmt::format("DWARF's group of {} lacks ctrl", layoutName(impl)));
    return std::nullopt;
  }
  std::optional<Part> k, e;
  if (auto slots = fieldOf(T_, group, {"slots"})) {
    const GoType& arr = T_.type(slots->type);
    TypeId slot = arr.kind == GoKind::Array ? arr.elem : 0;
    L.slots.count = arr.kind == GoKind::Array ? arr.count : 0;
    auto kf = fieldOf(T_, slot, {"key"}), ef = fieldOf(T_, slot, {"elem"});
    uint64_t stride = slot ? T_.type(slot).size : 0;
    if (kf && ef) {
      if (auto ind = indirect(T_, kf->type, key_)) k = Part{slots->offset + kf->offset, stride, *ind};
      if (auto ind = indirect(T_, ef->type, elem_)) e = Part{slots->offset + ef->offset, stride, *ind};
    }
  } else if (auto keys = fieldOf(T_, group, {"keys"}), elems = fieldOf(T_, group, {"elems"}); keys && elems) {
    const GoType& arr = T_.type(keys->type);
    L.slots.count = arr.kind == GoKind::Array ? arr.count : 0;
    k = arrayPart(T_, *keys, key_, L.slots.count);
    e = arrayPart(T_, *elems, elem_, L.slots.count);
  }
  // One control byte per slot, in one word.
  if (!k || !e || L.slots.count == 0 || L.slots.count > ctrl->size || ctrl->size > 8) {
    fail(fmt::format("DWARF's group of {} is not ctrl and 8 slots of K and V", layoutName(impl)));
    return std::nullopt;
  }
  L.slots.key = *k;
  L.slots.elem = *e;
  L.ctrl = ctrl->offset;
  L.ctrlSize = ctrl->size;
  L.groupSize = T_.type(group).size;
  return L;
}

void MapReader::swiss(TypeId impl, uint64_t m) {
  auto L = swissLayout(impl);
  if (!L) return;
  auto used = mem_.unsignedAt(m + L->used.offset, L->used.size);
  auto dirLen = mem_.unsignedAt(m + L->dirLen.offset, L->dirLen.size);
  auto dirPtr = mem_.u64(m + L->dirPtr.offset);
  auto globalDepth = mem_.unsignedAt(m + L->globalDepth.offset, L->globalDepth.size);
  if (!used || !dirLen || !dirPtr || !globalDepth) return fail(fmt::format("cannot read the map at {:#x}", m));
  if (*used > bounds::kMaxMapEntries) return fail(fmt::format("implausible map: {} entries", *used));
  auto nDir = static_cast<int64_t>(*dirLen);  // Map.dirLen is an int
  if (nDir < 0 || static_cast<uint64_t>(nDir) > bounds::kMaxMapDirectory)
    return fail(fmt::format("implausible map: a directory of {} tables", nDir));
  begin(*used);
  if (*used > 0 && !*dirPtr) return fail(fmt::format("the map of {} entries at {:#x} has no groups", *used, m));
  if (full()) return finish();

  // map.go: a small map (dirLen 0) is one group, at dirPtr.
  if (nDir == 0) {
    if (group(*dirPtr, *L)) finish();
    return;
  }
  // map.go: the directory has 2^globalDepth entries; a table of localDepth d fills
  // 2^(globalDepth-d) of them in a row (table.go: Iter.Next steps over them so).
  uint64_t gd = *globalDepth;
  if (gd >= 64 || (uint64_t{1} << gd) != static_cast<uint64_t>(nDir))
    return fail(fmt::format("implausible map: a directory of {} tables at global depth {}", nDir, gd));
  std::unordered_set<uint64_t> seen;
  for (uint64_t i = 0; i < static_cast<uint64_t>(nDir) && !full();) {
    uint64_t at = *dirPtr + i * 8;
    auto tab = mem_.u64(at);
    if (!tab) return fail(fmt::format("cannot read the map's directory at {:#x}", at));
    if (!*tab) return fail(fmt::format("the map's directory at {:#x} has no table at {}", *dirPtr, i));
    auto ld = mem_.unsignedAt(*tab + L->localDepth.offset, L->localDepth.size);
    if (!ld) return fail(fmt::format("cannot read the map's table at {:#x}", *tab));
    if (*ld > gd) return fail(fmt::format("implausible map: a table of depth {} under global depth {}", *ld, gd));
    i += uint64_t{1} << (gd - *ld);
    if (seen.insert(*tab).second && !table(*tab, *L)) return;
  }
  finish();
}

bool MapReader::table(uint64_t tab, const Swiss& L) {
  if (L.hasTableUsed) {
    auto used = mem_.unsignedAt(tab + L.tableUsed.offset, L.tableUsed.size);
    if (used && *used == 0) return true;  // its groups hold deleted slots at most
  }
  auto data = mem_.u64(tab + L.groupsData.offset);
  auto mask = mem_.unsignedAt(tab + L.groupsMask.offset, L.groupsMask.size);
  if (!data || !mask) {
    fail(fmt::format("cannot read the map's table at {:#x}", tab));
    return false;
  }
  // table.go: groups.lengthMask is the number of groups, a power of two, minus one.
  uint64_t n = *mask + 1;
  if (n == 0 || n > bounds::kMaxMapTableGroups || (n & (n - 1)) != 0) {
    fail(fmt::format("implausible map: a table of {:#x} + 1 groups", *mask));
    return false;
  }
  if (!*data) {
    fail(fmt::format("the map's table at {:#x} has no groups", tab));
    return false;
  }
  for (uint64_t g = 0; g < n && !full(); g++)
    if (!group(*data + g * L.groupSize, L)) return false;
  return true;
}

bool MapReader::group(uint64_t g, const Swiss& L) {
  auto ctrl = mem_.unsignedAt(g + L.ctrl, L.ctrlSize);
  if (!ctrl) {
    fail(fmt::format("cannot read the map's group at {:#x}", g));
    return false;
  }
  // group.go: slot i's control byte is byte i of the word (ctrlGroup.get, little-endian);
  // the high bit is set for ctrlEmpty and ctrlDeleted, clear for a full slot.
  for (uint64_t i = 0; i < L.slots.count && !full(); i++)
    if (((*ctrl >> (8 * i)) & 0x80) == 0) add(g, i, L.slots);
  return true;
}

// ---- entries, and their order

void MapReader::add(uint64_t base, uint64_t i, const Slots& s) {
  auto [keyAddr, key] = part(key_, base + s.key.off + i * s.key.stride, s.key.indirect, "key");
  auto [elemAddr, elem] = part(elem_, base + s.elem.off + i * s.elem.stride, s.elem.indirect, "value");
  Value::Child c;
  c.key = std::make_unique<Value>(std::move(key));
  c.value = std::make_unique<Value>(std::move(elem));
  v_.children.push_back(std::move(c));
  keyAddrs_.push_back(keyAddr);
}

// A key or value in its slot, or where the slot points: (its address, 0 if unknown; it).
std::pair<uint64_t, Value> MapReader::part(TypeId type, uint64_t slot, bool indirect, const char* what) {
  uint64_t addr = slot;
  if (indirect) {
    auto p = mem_.u64(slot);
    if (!p || !*p) {
      Value bad = Value::failed(T_.type(type).name,
                                p ? fmt::format("the map's slot at {:#x} has a nil {} pointer", slot, what)
                                  : fmt::format("cannot read the map's {} pointer at {:#x}", what, slot));
      bad.type = type;
      bad.kind = T_.type(type).kind;
      return {0, std::move(bad)};
    }
    addr = *p;
  }
  return {addr, r_.readAt(type, addr, limits_, depth_ + 1)};
}

void MapReader::finish() {
  v_.more = count_ > v_.children.size() ? count_ - v_.children.size() : 0;
  if (v_.more == 0) sortByKey();
}

// As fmt prints a map: by key (internal/fmtsort). Left in the runtime's order if a key
// cannot be read again, or is too big to compare here.
void MapReader::sortByKey() {
  size_t n = v_.children.size();
  if (n < 2) {
    v_.sorted = true;
    return;
  }
  KeyReader reader(r_);
  std::vector<SortKey> keys;
  keys.reserve(n);
  for (uint64_t addr : keyAddrs_) {
    if (!addr) return;
    auto k = reader.read(key_, addr, 0);
    if (!k) return;
    keys.push_back(std::move(*k));
  }
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return compareKeys(keys[a], keys[b]) < 0; });
  std::vector<Value::Child> sorted;
  sorted.reserve(n);
  for (size_t i : order) sorted.push_back(std::move(v_.children[i]));
  v_.children = std::move(sorted);
  v_.sorted = true;
}

}  // namespace

void ValueReader::readMap(Value& v, const GoType& t, uint64_t mapPtr, const Limits& limits, int depth) {
  // Copied: reading the entries may decode types, which moves `t`.
  const TypeId key = t.key, elem = t.elem, impl = t.impl;
  if (!impl) {
    v.error = t.die ? fmt::format("DWARF has no runtime struct for {}", v.typeName)
                    : fmt::format("not read: {} is typed by its runtime type descriptor, and only DWARF describes "
                                  "the runtime's map struct", v.typeName);
    return;
  }
  if (!key || !elem) {
    v.error = fmt::format("DWARF gives {} no key or value type", v.typeName);
    return;
  }
  MapReader m(*this, v, key, elem, limits, depth);
  if (types().field(impl, "buckets"))
    m.classic(impl, mapPtr);
  else if (types().field(impl, "dirPtr"))
    m.swiss(impl, mapPtr);
  else
    v.error = fmt::format("unknown map layout {}", types().type(impl).name);
}

}  // namespace goinspect
