#include "runtime_types.h"

#include <fmt/format.h>

#include <deque>
#include <unordered_set>

#include "bounds.h"

namespace goinspect {

namespace {

constexpr int kMaxDepth = 64;                // nesting of types decoded at once
constexpr size_t kMaxDescriptors = 1'000'000;  // indexed by name
constexpr uint64_t kMaxFields = 10'000;      // of one struct
// Descriptors decoded, and struct fields read, in all: damaged memory can make every word
// of the type data look like a descriptor.
constexpr size_t kMaxDecoded = 200'000;
constexpr uint64_t kMaxFieldsRead = 2'000'000;
constexpr uint8_t kKindMask = (1 << 5) - 1;  // internal/abi.KindMask (1.21-1.25 keep flags above it)
constexpr uint8_t kTFlagUncommon = 1 << 0;   // internal/abi.TFlagUncommon
constexpr uint8_t kTFlagNamed = 1 << 2;      // internal/abi.TFlagNamed
constexpr uint8_t kNameEmbedded = 1 << 3;    // internal/abi.Name: the field is embedded

// The kind-specific descriptor types; the map's was renamed twice (swiss maps in 1.24).
constexpr std::string_view kPtrType = "internal/abi.PtrType", kSliceType = "internal/abi.SliceType",
                           kArrayType = "internal/abi.ArrayType", kChanType = "internal/abi.ChanType",
                           kStructType = "internal/abi.StructType", kStructField = "internal/abi.StructField",
                           kInterfaceType = "internal/abi.InterfaceType", kFuncType = "internal/abi.FuncType",
                           kType = "internal/abi.Type";
constexpr std::string_view kMapTypes[] = {"internal/abi.MapType", "internal/abi.SwissMapType", "internal/abi.OldMapType"};

// reflect names a type by its package's name: "example.com/shop/store.Order" is
// "store.Order", "[]*a/b.T" is "[]*b.T".
std::string reflectName(std::string_view name) {
  std::string out;
  size_t token = 0;  // where the current package path began in `out`
  for (char c : name) {
    if (c == '/') {
      out.resize(token);
      continue;
    }
    out += c;
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) token = out.size();
  }
  return out;
}

}  // namespace

RuntimeTypes::RuntimeTypes(GoTypes& types, const GoProgram& prog, Memory& mem, TypeNames& names)
    : types_(types), prog_(prog), mem_(mem), names_(names) {
  moduledata_ = prog.global("runtime.firstmoduledata").value_or(0);
}

GoTypes::Fallback RuntimeTypes::fallback() {
  GoTypes::Fallback f;
  f.byName = [this](std::string_view name) { return byName(name); };
  f.byRuntimeType = [this](uint64_t off) -> std::optional<TypeId> {
    if (!names_.typesBase()) return std::nullopt;
    return at(names_.typesBase() + off);
  };
  return f;
}

std::optional<std::string> RuntimeTypes::fieldName(uint64_t nameAddr, bool* embedded) {
  // internal/abi.Name: a flags byte, a varint length, the bytes.
  auto flags = mem_.u8(nameAddr);
  if (!flags) return std::nullopt;
  *embedded = *flags & kNameEmbedded;
  uint64_t p = nameAddr + 1, len = 0;
  for (int shift = 0;; shift += 7) {
    auto b = mem_.u8(p++);
    if (!b || shift > 28) return std::nullopt;
    len |= static_cast<uint64_t>(*b & 0x7f) << shift;
    if (!(*b & 0x80)) break;
  }
  if (len > bounds::kMaxString) return std::nullopt;
  return mem_.bytes(p, len);
}

uint64_t RuntimeTypes::kindStructSize(GoKind kind) {
  switch (kind) {
    case GoKind::Array: return prog_.sizeOf(kArrayType);
    case GoKind::Chan: return prog_.sizeOf(kChanType);
    case GoKind::Pointer: return prog_.sizeOf(kPtrType);
    case GoKind::Slice: return prog_.sizeOf(kSliceType);
    case GoKind::Func: return prog_.sizeOf(kFuncType);
    case GoKind::Interface: return prog_.sizeOf(kInterfaceType);
    case GoKind::Struct: return prog_.sizeOf(kStructType);
    case GoKind::Map:
      for (std::string_view mt : kMapTypes)
        if (prog_.offOpt(mt, "Key")) return prog_.sizeOf(mt);
      return 0;
    default: return prog_.sizeOf(kType);
  }
}

// A named type's name with its package's path, as DWARF and go print spell it
// ("container/list.Element", where reflect says "list.Element"): the path is the uncommon
// type's PkgPath, which follows the kind's descriptor.
std::string RuntimeTypes::fullName(uint64_t addr, GoKind kind, uint8_t tflag, std::string name) {
  if (!(tflag & kTFlagNamed) || !(tflag & kTFlagUncommon)) return name;
  auto pkgOff = prog_.offOpt("internal/abi.UncommonType", "PkgPath");
  auto off = pkgOff ? mem_.get<int32_t>(addr + kindStructSize(kind) + *pkgOff) : std::nullopt;
  if (!off || *off <= 0 || !names_.typesBase()) return name;
  bool embedded = false;
  auto path = fieldName(names_.typesBase() + static_cast<uint64_t>(*off), &embedded);
  if (!path) return name;
  size_t slash = path->rfind('/');
  if (slash == std::string::npos) return name;
  std::string last = path->substr(slash + 1) + ".";
  if (!name.starts_with(last)) return name;
  return path->substr(0, slash + 1) + name;
}

std::optional<TypeId> RuntimeTypes::implausible(TypeId id) {
  types_.edit(id).kind = GoKind::Invalid;
  return std::nullopt;
}

std::optional<TypeId> RuntimeTypes::decode(uint64_t addr, int depth) {
  if (auto it = byAddr_.find(addr); it != byAddr_.end()) {
    if (types_.type(it->second).kind == GoKind::Invalid) return std::nullopt;  // found implausible
    return it->second;
  }
  // Only an address inside the module's type data holds a descriptor.
  if (depth > kMaxDepth || addr < names_.typesBase() || addr >= names_.typesEnd() || byAddr_.size() >= kMaxDecoded)
    return std::nullopt;
  auto sizeOff = prog_.offOpt(kType, "Size_"), kindOff = prog_.offOpt(kType, "Kind_");
  if (!sizeOff || !kindOff) return std::nullopt;
  auto size = mem_.u64(addr + *sizeOff);
  auto kindByte = mem_.u8(addr + *kindOff);
  auto name = names_.name(addr);
  if (!size || !kindByte || !name || *size > bounds::kMaxLength) return std::nullopt;
  uint8_t kind = *kindByte & kKindMask;
  if (kind == 0 || kind > static_cast<uint8_t>(GoKind::UnsafePointer)) return std::nullopt;
  auto tflagOff = prog_.offOpt(kType, "TFlag");
  auto tflag = tflagOff ? mem_.u8(addr + *tflagOff) : std::nullopt;
  if (!tflag) return std::nullopt;

  GoType t;
  t.kind = static_cast<GoKind>(kind);
  t.name = fullName(addr, t.kind, *tflag, *name);
  t.size = *size;
  t.runtimeType = addr - names_.typesBase();
  // Claimed before its parts are decoded: a part that refers back (type node struct{ next
  // *node }) gets this id.
  TypeId id = types_.add(std::move(t));
  byAddr_[addr] = id;
  auto ref = [&](std::string_view type, std::string_view field) -> TypeId {
    auto off = prog_.offOpt(type, field);
    auto p = off ? mem_.u64(addr + *off) : std::nullopt;
    return p && *p ? decode(*p, depth + 1).value_or(0) : 0;
  };
  switch (static_cast<GoKind>(kind)) {
    case GoKind::Pointer:
    case GoKind::Slice:
    case GoKind::Chan: {
      GoKind k = static_cast<GoKind>(kind);
      TypeId e = ref(k == GoKind::Pointer ? kPtrType : k == GoKind::Slice ? kSliceType : kChanType, "Elem");
      types_.edit(id).elem = e;
      break;
    }
    case GoKind::Array: {
      TypeId e = ref(kArrayType, "Elem");
      auto lenOff = prog_.offOpt(kArrayType, "Len");
      auto len = lenOff ? mem_.u64(addr + *lenOff) : std::nullopt;
      GoType& a = types_.edit(id);
      a.elem = e;
      a.count = len && *len <= bounds::kMaxLength ? *len : 0;
      // The array's size is its elements': else the descriptor is not what it seems.
      uint64_t esize = e ? types_.type(e).size : 0;
      bool fits = a.count == 0 ? a.size == 0 : a.size % a.count == 0 && a.size / a.count == esize;
      if (!e || !len || !fits) return implausible(id);
      break;
    }
    case GoKind::Map:
      for (std::string_view mt : kMapTypes)
        if (prog_.offOpt(mt, "Key")) {
          TypeId k = ref(mt, "Key"), v = ref(mt, "Elem");
          GoType& m = types_.edit(id);
          m.key = k;
          m.elem = v;
          break;
        }
      break;
    case GoKind::Interface: {
      auto lenOff = prog_.offOpt(kInterfaceType, "Methods.len");
      auto n = lenOff ? mem_.u64(addr + *lenOff) : std::nullopt;
      types_.edit(id).emptyInterface = n && *n == 0;
      break;
    }
    case GoKind::Struct: {
      auto arrOff = prog_.offOpt(kStructType, {"Fields.array", "Fields"});
      auto lenOff = prog_.offOpt(kStructType, "Fields.len");
      auto nameOff = prog_.offOpt(kStructField, {"Name.Bytes", "Name"}), typOff = prog_.offOpt(kStructField, "Typ"),
           offOff = prog_.offOpt(kStructField, "Offset");
      auto arr = arrOff ? mem_.u64(addr + *arrOff) : std::nullopt;
      auto n = lenOff ? mem_.u64(addr + *lenOff) : std::nullopt;
      if (!arr || !n || !nameOff || !typOff || !offOff || *n > kMaxFields || fieldsRead_ + *n > kMaxFieldsRead)
        return implausible(id);
      fieldsRead_ += *n;
      uint64_t stride = prog_.sizeOf(kStructField);
      std::vector<GoField> fields;
      for (uint64_t i = 0; i < *n; i++) {
        uint64_t f = *arr + i * stride;
        auto np = mem_.u64(f + *nameOff), tp = mem_.u64(f + *typOff), fo = mem_.u64(f + *offOff);
        bool embedded = false;
        auto fname = np ? fieldName(*np, &embedded) : std::nullopt;
        TypeId ft = tp ? decode(*tp, depth + 1).value_or(0) : 0;
        // A field missing, or not inside the struct, would print wrong: no struct at all.
        uint64_t whole = types_.type(id).size;
        if (!fname || !ft || !fo || *fo > whole || types_.type(ft).size > whole - *fo) return implausible(id);
        fields.push_back(GoField{*fname, *fo, ft, embedded});
      }
      types_.edit(id).fields = std::move(fields);
      break;
    }
    default:
      break;
  }
  // An unnamed composite is spelled from its parts, so that their package paths show.
  if (!(*tflag & kTFlagNamed)) {
    GoType& c = types_.edit(id);
    auto part = [&](TypeId p) { return types_.type(p).name; };
    if (c.kind == GoKind::Pointer && c.elem) c.name = "*" + part(c.elem);
    if (c.kind == GoKind::Slice && c.elem) c.name = "[]" + part(c.elem);
    if (c.kind == GoKind::Array && c.elem) c.name = fmt::format("[{}]{}", c.count, part(c.elem));
    if (c.kind == GoKind::Map && c.key && c.elem) c.name = fmt::format("map[{}]{}", part(c.key), part(c.elem));
    if (c.kind == GoKind::Chan && c.elem)
      for (std::string_view dir : {"chan<- ", "<-chan ", "chan "})
        if (c.name.starts_with(dir)) {
          c.name = std::string(dir) + part(c.elem);
          break;
        }
  }
  return id;
}

std::optional<uint64_t> RuntimeTypes::descriptorSize(uint64_t addr) {
  // internal/abi.Type.DescriptorSize (Go 1.27): the kind's descriptor, the uncommon type,
  // what follows (parameters, fields, interface methods), then the methods.
  auto kindOff = prog_.offOpt(kType, "Kind_"), tflagOff = prog_.offOpt(kType, "TFlag");
  auto kind = kindOff ? mem_.u8(addr + *kindOff) : std::nullopt;
  auto tflag = tflagOff ? mem_.u8(addr + *tflagOff) : std::nullopt;
  if (!kind || !tflag) return std::nullopt;
  uint64_t base = 0, add = 0;
  auto u64At = [&](std::string_view type, std::string_view field) -> std::optional<uint64_t> {
    auto off = prog_.offOpt(type, field);
    return off ? mem_.u64(addr + *off) : std::nullopt;
  };
  GoKind k = static_cast<GoKind>(*kind & kKindMask);
  if (k == GoKind::Invalid) return std::nullopt;
  base = kindStructSize(k);
  if (k == GoKind::Func) {
    auto in = prog_.offOpt(kFuncType, "InCount"), out = prog_.offOpt(kFuncType, "OutCount");
    auto i = in ? mem_.get<uint16_t>(addr + *in) : std::nullopt;
    auto o = out ? mem_.get<uint16_t>(addr + *out) : std::nullopt;
    if (!i || !o) return std::nullopt;
    add = (*i + (*o & 0x7fff)) * 8ull;  // OutCount's top bit: variadic
  } else if (k == GoKind::Interface || k == GoKind::Struct) {
    bool iface = k == GoKind::Interface;
    auto n = u64At(iface ? kInterfaceType : kStructType, iface ? "Methods.len" : "Fields.len");
    if (!n || *n > kMaxFields) return std::nullopt;
    add = *n * prog_.sizeOf(iface ? std::string_view("internal/abi.Imethod") : kStructField);
  }
  uint64_t size = base;
  if (*tflag & kTFlagUncommon) {
    auto mcOff = prog_.offOpt("internal/abi.UncommonType", "Mcount");
    auto mcount = mcOff ? mem_.get<uint16_t>(addr + base + *mcOff) : std::nullopt;
    if (!mcount) return std::nullopt;
    size += prog_.sizeOf("internal/abi.UncommonType") + add + *mcount * prog_.sizeOf("internal/abi.Method");
  } else {
    size += add;
  }
  return size;
}

void RuntimeTypes::index() {
  indexed_ = true;
  uint64_t types = names_.typesBase();
  if (!types || !moduledata_) return;
  std::deque<uint64_t> todo;
  if (auto tl = prog_.offOpt("runtime.moduledata", {"typelinks.array", "typelinks"})) {
    // Up to Go 1.26: typelinks, offsets from moduledata.types.
    auto arr = mem_.u64(moduledata_ + *tl);
    auto lenOff = prog_.offOpt("runtime.moduledata", "typelinks.len");
    auto n = lenOff ? mem_.u64(moduledata_ + *lenOff) : std::nullopt;
    if (arr && n && *n <= kMaxDescriptors)
      for (uint64_t i = 0; i < *n; i++)
        if (auto off = mem_.get<int32_t>(*arr + 4 * i); off && *off >= 0) todo.push_back(types + *off);
  } else if (auto dl = prog_.offOpt("runtime.moduledata", "typedesclen")) {
    // Go 1.27: the descriptors one after another (runtime/type.go, moduleTypelinks).
    auto len = mem_.u64(moduledata_ + *dl);
    uint64_t end = len ? types + std::min<uint64_t>(*len, names_.typesEnd() - types) : types;
    for (uint64_t td = types + 8; td < end && todo.size() < kMaxDescriptors;) {
      td = (td + 7) & ~uint64_t{7};
      auto size = descriptorSize(td);
      if (!size || *size == 0) break;  // damaged: what was found so far is kept
      todo.push_back(td);
      td += *size;
    }
  }
  // The types the listed ones refer to: a named type is listed only through them.
  std::unordered_set<uint64_t> seen;
  auto elemOf = [&](uint64_t addr, std::string_view type, std::string_view field) {
    auto off = prog_.offOpt(type, field);
    if (auto p = off ? mem_.u64(addr + *off) : std::nullopt; p && *p) todo.push_back(*p);
  };
  auto kindOff = prog_.offOpt(kType, "Kind_");
  while (!todo.empty() && seen.size() < kMaxDescriptors) {
    uint64_t addr = todo.front();
    todo.pop_front();
    if (addr < types || addr >= names_.typesEnd() || !seen.insert(addr).second) continue;
    auto name = names_.name(addr);
    auto kind = kindOff ? mem_.u8(addr + *kindOff) : std::nullopt;
    if (!name || !kind) continue;
    byName_.emplace(*name, addr);
    switch (static_cast<GoKind>(*kind & kKindMask)) {
      case GoKind::Pointer: elemOf(addr, kPtrType, "Elem"); break;
      case GoKind::Slice: elemOf(addr, kSliceType, "Elem"); break;
      case GoKind::Array: elemOf(addr, kArrayType, "Elem"); break;
      case GoKind::Chan: elemOf(addr, kChanType, "Elem"); break;
      case GoKind::Map:
        for (std::string_view mt : kMapTypes)
          if (prog_.offOpt(mt, "Key")) {
            elemOf(addr, mt, "Key");
            elemOf(addr, mt, "Elem");
            break;
          }
        break;
      case GoKind::Struct: {
        auto arrOff = prog_.offOpt(kStructType, {"Fields.array", "Fields"});
        auto lenOff = prog_.offOpt(kStructType, "Fields.len");
        auto typOff = prog_.offOpt(kStructField, "Typ");
        auto arr = arrOff ? mem_.u64(addr + *arrOff) : std::nullopt;
        auto n = lenOff ? mem_.u64(addr + *lenOff) : std::nullopt;
        if (arr && n && typOff && *n <= kMaxFields)
          for (uint64_t i = 0; i < *n; i++)
            if (auto t = mem_.u64(*arr + i * prog_.sizeOf(kStructField) + *typOff); t && *t) todo.push_back(*t);
        break;
      }
      default: break;
    }
  }
}

std::optional<TypeId> RuntimeTypes::byName(std::string_view name) {
  if (!indexed_) index();
  auto it = byName_.find(reflectName(name));
  if (it == byName_.end()) return std::nullopt;
  return at(it->second);
}

}  // namespace goinspect
