#include "types.h"

#include <dwarf.h>
#include <elfutils/libdw.h>

#include <algorithm>
#include <cstring>

namespace goinspect {

namespace {

// Go's own DWARF attributes (cmd/internal/dwarf/dwarf_defs.go).
constexpr unsigned kAtGoKind = 0x2900, kAtGoKey = 0x2901, kAtGoElem = 0x2902,
                   kAtGoEmbeddedField = 0x2903, kAtGoRuntimeType = 0x2904;

// A type refers to another at most this deep before it is decoded (a chain of typedefs,
// arrays of arrays): past it the DWARF is not what Go's linker writes.
constexpr int kMaxDepth = 64;

Dwarf* D(void* p) { return static_cast<Dwarf*>(p); }

std::optional<uint64_t> udata(Dwarf_Die* die, unsigned name) {
  Dwarf_Attribute a;
  if (!dwarf_attr(die, name, &a)) return std::nullopt;
  Dwarf_Word w;
  if (dwarf_formudata(&a, &w) == 0) return w;
  Dwarf_Addr addr;
  if (dwarf_formaddr(&a, &addr) == 0) return addr;
  return std::nullopt;
}

std::optional<uint64_t> refOffset(Dwarf_Die* die, unsigned name) {
  Dwarf_Attribute a;
  Dwarf_Die out;
  if (!dwarf_attr(die, name, &a) || !dwarf_formref_die(&a, &out)) return std::nullopt;
  return dwarf_dieoffset(&out);
}

bool flag(Dwarf_Die* die, unsigned name) {
  Dwarf_Attribute a;
  bool b = false;
  if (!dwarf_attr(die, name, &a)) return false;
  if (dwarf_formflag(&a, &b) == 0) return b;
  Dwarf_Word w;
  return dwarf_formudata(&a, &w) == 0 && w != 0;
}

std::optional<uint64_t> memberOffset(Dwarf_Die* die) {
  Dwarf_Attribute a;
  if (!dwarf_attr(die, DW_AT_data_member_location, &a)) return 0;
  Dwarf_Word w;
  if (dwarf_formudata(&a, &w) == 0) return w;
  Dwarf_Op* ops = nullptr;
  size_t n = 0;
  if (dwarf_getlocation(&a, &ops, &n) == 0 && n == 1 && ops[0].atom == DW_OP_plus_uconst)
    return ops[0].number;
  return std::nullopt;
}

// A base type without DW_AT_go_kind (not what Go writes, but C-style DWARF is clear enough).
GoKind baseKind(unsigned encoding, uint64_t size) {
  switch (encoding) {
    case DW_ATE_boolean: return GoKind::Bool;
    case DW_ATE_float: return size == 4 ? GoKind::Float32 : GoKind::Float64;
    case DW_ATE_complex_float: return size == 8 ? GoKind::Complex64 : GoKind::Complex128;
    case DW_ATE_signed:
    case DW_ATE_signed_char:
      return size == 1 ? GoKind::Int8 : size == 2 ? GoKind::Int16 : size == 4 ? GoKind::Int32 : GoKind::Int64;
    case DW_ATE_unsigned:
    case DW_ATE_unsigned_char:
      return size == 1 ? GoKind::Uint8 : size == 2 ? GoKind::Uint16 : size == 4 ? GoKind::Uint32 : GoKind::Uint64;
    default: return GoKind::Invalid;
  }
}

}  // namespace

std::unique_ptr<GoTypes> GoTypes::create(void* dwarf) {
  if (!dwarf) return nullptr;
  return std::unique_ptr<GoTypes>(new GoTypes(dwarf));
}

std::unique_ptr<GoTypes> GoTypes::withoutDwarf() { return std::unique_ptr<GoTypes>(new GoTypes(nullptr)); }

GoTypes::GoTypes(void* dwarf) : dwarf_(dwarf) { types_.emplace_back(); }
GoTypes::~GoTypes() = default;

void GoTypes::ensureIndexed() {
  if (indexed_) return;
  indexed_ = true;
  if (!dwarf_) return;
  Dwarf_CU* cu = nullptr;
  Dwarf_CU* next = nullptr;
  Dwarf_Half version = 0;
  uint8_t unitType = 0;
  Dwarf_Die cudie, subdie;
  // Go writes its types and package variables directly under each unit.
  while (dwarf_get_units(D(dwarf_), cu, &next, &version, &unitType, &cudie, &subdie) == 0) {
    cu = next;
    Dwarf_Die die;
    if (dwarf_child(&cudie, &die) != 0) continue;
    do {
      int tag = dwarf_tag(&die);
      if (tag == DW_TAG_subprogram || tag == DW_TAG_constant) continue;
      const char* name = dwarf_diename(&die);
      uint64_t off = dwarf_dieoffset(&die);
      if (tag == DW_TAG_variable) {
        if (name) variableDies_.try_emplace(name, off);
        continue;
      }
      if (name) namedDies_.try_emplace(name, off);
      if (auto rt = udata(&die, kAtGoRuntimeType); rt && *rt) runtimeDies_.try_emplace(*rt, off);
    } while (dwarf_siblingof(&die, &die) == 0);
  }
}

TypeId GoTypes::add(GoType t) {
  types_.push_back(std::move(t));
  return static_cast<TypeId>(types_.size() - 1);
}

TypeId GoTypes::fromDie(uint64_t dieOffset) { return decode(dieOffset, 0); }

TypeId GoTypes::decode(uint64_t off, int depth) {
  if (!off) return 0;
  if (auto it = byDie_.find(off); it != byDie_.end()) return it->second;
  Dwarf_Die die;
  if (depth > kMaxDepth || !dwarf_ || !dwarf_offdie(D(dwarf_), off, &die)) return 0;
  // Claimed before its parts are decoded: a part that refers back gets this id.
  TypeId id = add(GoType{});
  byDie_[off] = id;

  GoType t;
  t.die = off;
  if (const char* n = dwarf_diename(&die)) t.name = n;
  t.size = udata(&die, DW_AT_byte_size).value_or(0);
  t.runtimeType = udata(&die, kAtGoRuntimeType).value_or(0);
  auto goKind = static_cast<GoKind>(udata(&die, kAtGoKind).value_or(0));
  auto under = refOffset(&die, DW_AT_type);
  auto sub = [&](std::optional<uint64_t> o) { return o ? decode(*o, depth + 1) : TypeId{0}; };

  switch (dwarf_tag(&die)) {
    case DW_TAG_typedef: {
      TypeId u = sub(under);
      if (goKind == GoKind::Map || goKind == GoKind::Chan) {
        t.kind = goKind;
        t.size = 8;
        t.elem = sub(refOffset(&die, kAtGoElem));
        if (goKind == GoKind::Map) t.key = sub(refOffset(&die, kAtGoKey));
        t.impl = pointee(u);
      } else if (goKind == GoKind::Func) {
        t.kind = GoKind::Func;
        t.size = 8;
      } else {
        // A named type over its underlying type ("error" over runtime.iface, a generic
        // instance over its struct): the underlying type's shape under this name.
        std::string name = std::move(t.name);
        uint64_t rt = t.runtimeType;
        t = types_[u];
        if (!name.empty()) t.name = std::move(name);
        if (rt) t.runtimeType = rt;
        t.die = off;
        if (goKind == GoKind::Interface) {
          t.kind = GoKind::Interface;
          t.emptyInterface = types_[u].name == "runtime.eface" || types_[u].emptyInterface;
        }
      }
      break;
    }
    case DW_TAG_structure_type: {
      t.kind = goKind == GoKind::Invalid ? GoKind::Struct : goKind;
      if (t.kind == GoKind::Slice) t.elem = sub(refOffset(&die, kAtGoElem));
      Dwarf_Die m;
      if (dwarf_child(&die, &m) == 0) {
        do {
          if (dwarf_tag(&m) != DW_TAG_member) continue;
          GoField f;
          if (const char* n = dwarf_diename(&m)) f.name = n;
          auto o = memberOffset(&m);
          if (!o) continue;
          f.offset = *o;
          f.type = sub(refOffset(&m, DW_AT_type));
          f.embedded = flag(&m, kAtGoEmbeddedField);
          t.fields.push_back(std::move(f));
        } while (dwarf_siblingof(&m, &m) == 0);
      }
      if (t.kind == GoKind::Interface)
        t.emptyInterface = !t.fields.empty() && t.fields[0].name == "_type";
      break;
    }
    case DW_TAG_base_type: {
      unsigned enc = static_cast<unsigned>(udata(&die, DW_AT_encoding).value_or(0));
      t.kind = goKind != GoKind::Invalid ? goKind : baseKind(enc, t.size);
      break;
    }
    case DW_TAG_pointer_type:
      t.size = 8;
      if (!under) {
        t.kind = GoKind::UnsafePointer;
        if (t.name.empty()) t.name = "unsafe.Pointer";
      } else {
        t.kind = GoKind::Pointer;
        t.elem = sub(under);
        if (t.name.empty()) t.name = "*" + types_[t.elem].name;
      }
      break;
    case DW_TAG_array_type: {
      t.kind = GoKind::Array;
      t.elem = sub(under);
      Dwarf_Die r;
      if (dwarf_child(&die, &r) == 0) {
        do {
          if (dwarf_tag(&r) != DW_TAG_subrange_type) continue;
          if (auto c = udata(&r, DW_AT_count)) t.count = *c;
          else if (auto ub = udata(&r, DW_AT_upper_bound)) t.count = *ub + 1;
          break;
        } while (dwarf_siblingof(&r, &r) == 0);
      }
      if (!t.size) t.size = t.count * types_[t.elem].size;
      break;
    }
    case DW_TAG_subroutine_type:
      t.kind = GoKind::Func;
      t.size = 8;
      break;
    default:
      break;
  }
  types_[id] = std::move(t);
  return id;
}

std::optional<TypeId> GoTypes::byName(std::string_view name) {
  ensureIndexed();
  auto it = namedDies_.find(std::string(name));
  TypeId id = it == namedDies_.end() ? 0 : decode(it->second, 0);
  if (!id) return fallback_.byName ? fallback_.byName(name) : std::nullopt;
  return id;
}

std::optional<TypeId> GoTypes::byRuntimeType(uint64_t offset) {
  ensureIndexed();
  auto it = runtimeDies_.find(offset);
  TypeId id = it == runtimeDies_.end() ? 0 : decode(it->second, 0);
  if (!id) return fallback_.byRuntimeType ? fallback_.byRuntimeType(offset) : std::nullopt;
  return id;
}

std::optional<GoTypes::Variable> GoTypes::variable(std::string_view name) {
  ensureIndexed();
  auto it = variableDies_.find(std::string(name));
  if (it == variableDies_.end()) return std::nullopt;
  Dwarf_Die die;
  if (!dwarf_offdie(D(dwarf_), it->second, &die)) return std::nullopt;
  // A package variable lives at one address: DW_OP_addr, alone (dwarf.go putvar). Go
  // writes it as a DW_FORM_block1, which libdw's dwarf_getlocation refuses in DWARF 4
  // units: the block is decoded here.
  Dwarf_Attribute a;
  Dwarf_Block b;
  if (!dwarf_attr(&die, DW_AT_location, &a) || dwarf_formblock(&a, &b) != 0 || b.length != 9 ||
      b.data[0] != DW_OP_addr)
    return std::nullopt;
  Variable v;
  v.name = std::string(name);
  std::memcpy(&v.addr, b.data + 1, 8);  // little-endian, as the target (amd64)
  v.type = decode(refOffset(&die, DW_AT_type).value_or(0), 0);
  if (!v.type) return std::nullopt;
  return v;
}

std::vector<std::string> GoTypes::variablesOf(std::string_view pkg) {
  ensureIndexed();
  std::vector<std::string> out;
  std::string prefix = std::string(pkg) + ".";
  for (const auto& [name, off] : variableDies_)
    if (name.starts_with(prefix)) out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<uint64_t> GoTypes::unitAt(uint64_t pc) {
  if (!unitsIndexed_ && dwarf_) {
    unitsIndexed_ = true;
    Dwarf_CU* cu = nullptr;
    Dwarf_CU* next = nullptr;
    Dwarf_Half version = 0;
    uint8_t unitType = 0;
    Dwarf_Die cudie, subdie;
    while (dwarf_get_units(D(dwarf_), cu, &next, &version, &unitType, &cudie, &subdie) == 0) {
      cu = next;
      Dwarf_Addr base, lo, hi;
      ptrdiff_t off = 0;
      while ((off = dwarf_ranges(&cudie, off, &base, &lo, &hi)) > 0)
        if (hi > lo) unitRanges_.push_back({lo, hi, dwarf_dieoffset(&cudie)});
    }
    std::sort(unitRanges_.begin(), unitRanges_.end(), [](const UnitRange& a, const UnitRange& b) { return a.lo < b.lo; });
  }
  auto it = std::upper_bound(unitRanges_.begin(), unitRanges_.end(), pc,
                             [](uint64_t p, const UnitRange& r) { return p < r.lo; });
  if (it == unitRanges_.begin()) return std::nullopt;
  --it;
  if (pc >= it->hi) return std::nullopt;
  return it->unit;
}

TypeId GoTypes::pointerTo(TypeId id) {
  std::string name = "*" + types_.at(id).name;
  if (auto p = byName(name); p && types_[*p].kind == GoKind::Pointer && types_[*p].elem == id) return *p;
  if (auto it = madePointers_.find(id); it != madePointers_.end()) return it->second;
  GoType t;
  t.kind = GoKind::Pointer;
  t.name = std::move(name);
  t.size = 8;
  t.elem = id;
  return madePointers_[id] = add(std::move(t));
}

TypeId GoTypes::pointee(TypeId id) const {
  const GoType& t = types_.at(id);
  return t.kind == GoKind::Pointer ? t.elem : 0;
}

const GoField* GoTypes::field(TypeId id, std::string_view name) const {
  for (const GoField& f : types_.at(id).fields)
    if (f.name == name) return &f;
  return nullptr;
}

}  // namespace goinspect
