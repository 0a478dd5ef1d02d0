#include "layouts_dwarf.h"

#include <dwarf.h>
#include <elfutils/libdw.h>

#include <algorithm>

namespace goinspect {

namespace {

Dwarf* D(void* p) { return static_cast<Dwarf*>(p); }

bool isTypeTag(int tag) {
  switch (tag) {
    case DW_TAG_structure_type:
    case DW_TAG_typedef:
    case DW_TAG_base_type:
    case DW_TAG_pointer_type:
    case DW_TAG_array_type:
    case DW_TAG_subroutine_type:
    case DW_TAG_unspecified_type:
    case DW_TAG_union_type:
    case DW_TAG_enumeration_type:
    case DW_TAG_const_type:
    case DW_TAG_volatile_type:
      return true;
    default:
      return false;
  }
}

// The DIE that DW_AT_type of `die` refers to.
bool typeOf(Dwarf_Die* die, Dwarf_Die* out) {
  Dwarf_Attribute a;
  if (!dwarf_attr(die, DW_AT_type, &a)) return false;
  return dwarf_formref_die(&a, out) != nullptr;
}

std::optional<uint64_t> udataAttr(Dwarf_Die* die, unsigned name) {
  Dwarf_Attribute a;
  Dwarf_Word w;
  if (!dwarf_attr(die, name, &a) || dwarf_formudata(&a, &w) != 0) return std::nullopt;
  return w;
}

// DW_AT_data_member_location: a constant (what Go emits) or a location expression
// (DW_OP_plus_uconst N, as older producers wrote it).
std::optional<uint64_t> memberLocation(Dwarf_Die* die) {
  Dwarf_Attribute a;
  if (!dwarf_attr(die, DW_AT_data_member_location, &a)) return 0;  // union-like / first member
  switch (dwarf_whatform(&a)) {
    case DW_FORM_data1:
    case DW_FORM_data2:
    case DW_FORM_data4:
    case DW_FORM_data8:
    case DW_FORM_udata:
    case DW_FORM_sdata:
    case DW_FORM_implicit_const: {
      Dwarf_Word w;
      if (dwarf_formudata(&a, &w) != 0) return std::nullopt;
      return w;
    }
    default:
      break;
  }
  Dwarf_Op* ops = nullptr;
  size_t n = 0;
  if (dwarf_getlocation(&a, &ops, &n) != 0 || n != 1) return std::nullopt;
  if (ops[0].atom == DW_OP_plus_uconst || ops[0].atom == DW_OP_constu) return ops[0].number;
  return std::nullopt;
}

}  // namespace

std::unique_ptr<DwarfLayouts> DwarfLayouts::create(void* dwarf) {
  if (!dwarf) return nullptr;
  return std::unique_ptr<DwarfLayouts>(new DwarfLayouts(dwarf));
}

void DwarfLayouts::ensureIndexed() const {
  if (indexed_) return;
  indexed_ = true;
  Dwarf* dw = D(dwarf_);
  Dwarf_CU* cu = nullptr;
  Dwarf_CU* next = nullptr;
  Dwarf_Half version = 0;
  uint8_t unitType = 0;
  Dwarf_Die cudie, subdie;
  // Top-level DIEs only: Go puts its types and package constants directly under the unit.
  while (dwarf_get_units(dw, cu, &next, &version, &unitType, &cudie, &subdie) == 0) {
    cu = next;
    Dwarf_Die die;
    if (dwarf_child(&cudie, &die) != 0) continue;
    do {
      int tag = dwarf_tag(&die);
      if (tag == DW_TAG_subprogram || tag == DW_TAG_variable) continue;
      const char* name = nullptr;
      if (tag == DW_TAG_constant) {
        if ((name = dwarf_diename(&die))) constants_.try_emplace(name, dwarf_dieoffset(&die));
      } else if (tag == DW_TAG_structure_type) {
        // A declaration (no size, no members) must not shadow the definition.
        if ((name = dwarf_diename(&die)) && dwarf_hasattr(&die, DW_AT_byte_size))
          structs_.try_emplace(name, dwarf_dieoffset(&die));
      } else if (isTypeTag(tag)) {
        if ((name = dwarf_diename(&die))) types_.try_emplace(name, dwarf_dieoffset(&die));
      }
    } while (dwarf_siblingof(&die, &die) == 0);
  }
}

const DwarfLayouts::Struct* DwarfLayouts::structAt(uint64_t off) const {
  auto it = decoded_.find(off);
  if (it != decoded_.end()) return it->second.get();
  Dwarf_Die die;
  if (!dwarf_offdie(D(dwarf_), off, &die) || dwarf_tag(&die) != DW_TAG_structure_type)
    return nullptr;
  auto s = std::make_unique<Struct>();
  s->size = udataAttr(&die, DW_AT_byte_size).value_or(0);
  Dwarf_Die m;
  if (dwarf_child(&die, &m) == 0) {
    do {
      if (dwarf_tag(&m) != DW_TAG_member) continue;
      Member mem;
      const char* n = dwarf_diename(&m);
      mem.name = n ? n : "";
      auto loc = memberLocation(&m);
      if (!loc) continue;
      mem.offset = *loc;
      Dwarf_Die t;
      if (typeOf(&m, &t)) mem.typeOff = dwarf_dieoffset(&t);
      s->members.push_back(std::move(mem));
    } while (dwarf_siblingof(&m, &m) == 0);
  }
  return (decoded_[off] = std::move(s)).get();
}

const DwarfLayouts::Struct* DwarfLayouts::structNamed(std::string_view name) const {
  ensureIndexed();
  std::string key(name);
  auto it = structs_.find(key);
  if (it != structs_.end()) return structAt(it->second);
  // A typedef (or other named type) that leads to a struct.
  auto t = types_.find(key);
  if (t == types_.end()) return nullptr;
  auto s = structOf(t->second);
  return s ? structAt(*s) : nullptr;
}

std::optional<uint64_t> DwarfLayouts::structOf(uint64_t typeOff) const {
  Dwarf_Die die;
  if (!typeOff || !dwarf_offdie(D(dwarf_), typeOff, &die)) return std::nullopt;
  for (int i = 0; i < 16; i++) {
    int tag = dwarf_tag(&die);
    if (tag == DW_TAG_structure_type) {
      if (dwarf_hasattr(&die, DW_AT_byte_size)) return dwarf_dieoffset(&die);
      // A declaration: find the definition by name.
      const char* n = dwarf_diename(&die);
      auto it = n ? structs_.find(n) : structs_.end();
      if (it == structs_.end()) return std::nullopt;
      return it->second;
    }
    if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type)
      return std::nullopt;
    if (!typeOf(&die, &die)) return std::nullopt;
  }
  return std::nullopt;
}

std::optional<uint64_t> DwarfLayouts::sizeAt(uint64_t typeOff, int depth) const {
  Dwarf_Die die;
  if (!typeOff || depth > 16 || !dwarf_offdie(D(dwarf_), typeOff, &die)) return std::nullopt;
  if (auto bs = udataAttr(&die, DW_AT_byte_size)) return *bs;
  Dwarf_Die t;
  switch (dwarf_tag(&die)) {
    case DW_TAG_pointer_type:
    case DW_TAG_subroutine_type: {
      Dwarf_Die cudie;
      uint8_t addrSize = 8;
      if (dwarf_diecu(&die, &cudie, &addrSize, nullptr)) return addrSize;
      return 8;
    }
    case DW_TAG_typedef:
    case DW_TAG_const_type:
    case DW_TAG_volatile_type:
      if (typeOf(&die, &t)) return sizeAt(dwarf_dieoffset(&t), depth + 1);
      return std::nullopt;
    default: {
      Dwarf_Word w;
      if (dwarf_aggregate_size(&die, &w) == 0) return w;
      return std::nullopt;
    }
  }
}

std::string DwarfLayouts::nameAt(uint64_t typeOff, int depth) const {
  Dwarf_Die die;
  if (!typeOff || depth > 16 || !dwarf_offdie(D(dwarf_), typeOff, &die)) return "";
  if (const char* n = dwarf_diename(&die)) return n;
  // Go names every type; spell anonymous ones C-style just in case.
  Dwarf_Die t;
  bool hasT = typeOf(&die, &t);
  switch (dwarf_tag(&die)) {
    case DW_TAG_pointer_type:
      return hasT ? "*" + nameAt(dwarf_dieoffset(&t), depth + 1) : "unsafe.Pointer";
    case DW_TAG_array_type:
      return hasT ? "[]" + nameAt(dwarf_dieoffset(&t), depth + 1) : "[]?";
    case DW_TAG_typedef:
    case DW_TAG_const_type:
    case DW_TAG_volatile_type:
      return hasT ? nameAt(dwarf_dieoffset(&t), depth + 1) : "";
    default:
      return "?";
  }
}

std::optional<FieldInfo> DwarfLayouts::field(std::string_view type, std::string_view path) const {
  std::lock_guard lock(mu_);
  const Struct* s = structNamed(type);
  if (!s || path.empty()) return std::nullopt;
  uint64_t base = 0;
  while (true) {
    size_t dot = path.find('.');
    std::string_view step = path.substr(0, dot);
    const Member* found = nullptr;
    for (const auto& m : s->members)
      if (m.name == step) {
        found = &m;
        break;
      }
    if (!found) return std::nullopt;
    base += found->offset;
    if (dot == std::string_view::npos) {
      FieldInfo fi;
      fi.offset = base;
      fi.size = sizeAt(found->typeOff).value_or(0);
      fi.type = nameAt(found->typeOff);
      return fi;
    }
    path.remove_prefix(dot + 1);
    auto inner = structOf(found->typeOff);
    if (!inner || !(s = structAt(*inner))) return std::nullopt;
  }
}

std::optional<uint64_t> DwarfLayouts::size(std::string_view type) const {
  std::lock_guard lock(mu_);
  if (const Struct* s = structNamed(type)) return s->size;
  auto it = types_.find(std::string(type));
  if (it == types_.end()) return std::nullopt;
  return sizeAt(it->second);
}

std::optional<int64_t> DwarfLayouts::constantAt(uint64_t off) const {
  Dwarf_Die die;
  if (!dwarf_offdie(D(dwarf_), off, &die)) return std::nullopt;
  Dwarf_Attribute a;
  if (!dwarf_attr(&die, DW_AT_const_value, &a)) return std::nullopt;
  // Only integers: the constant's type must be an integer (or boolean) base type.
  Dwarf_Die t;
  int encoding = DW_ATE_signed;
  if (typeOf(&die, &t)) {
    for (int i = 0; i < 16 && dwarf_tag(&t) == DW_TAG_typedef; i++)
      if (!typeOf(&t, &t)) break;
    if (auto e = udataAttr(&t, DW_AT_encoding)) encoding = static_cast<int>(*e);
  }
  bool isUnsigned = false;
  switch (encoding) {
    case DW_ATE_signed:
    case DW_ATE_signed_char:
      break;
    case DW_ATE_unsigned:
    case DW_ATE_unsigned_char:
    case DW_ATE_boolean:
      isUnsigned = true;
      break;
    default:
      return std::nullopt;  // float, complex, string
  }
  unsigned form = dwarf_whatform(&a);
  unsigned width = 0;
  switch (form) {
    case DW_FORM_data1: width = 1; break;
    case DW_FORM_data2: width = 2; break;
    case DW_FORM_data4: width = 4; break;
    case DW_FORM_data8: width = 8; break;
    case DW_FORM_sdata: {
      Dwarf_Sword v;
      if (dwarf_formsdata(&a, &v) != 0) return std::nullopt;
      return static_cast<int64_t>(v);
    }
    case DW_FORM_udata:
    case DW_FORM_implicit_const: {
      Dwarf_Word v;
      if (dwarf_formudata(&a, &v) != 0) return std::nullopt;
      return static_cast<int64_t>(v);
    }
    default:
      return std::nullopt;  // blocks, strings
  }
  Dwarf_Word v;
  if (dwarf_formudata(&a, &v) != 0) return std::nullopt;
  if (width < 8) {
    v &= (uint64_t{1} << (8 * width)) - 1;
    if (!isUnsigned && (v >> (8 * width - 1)) & 1) v |= ~((uint64_t{1} << (8 * width)) - 1);
  }
  return static_cast<int64_t>(v);
}

std::optional<int64_t> DwarfLayouts::constant(std::string_view name) const {
  std::lock_guard lock(mu_);
  ensureIndexed();
  auto it = constants_.find(std::string(name));
  if (it == constants_.end()) return std::nullopt;
  return constantAt(it->second);
}

void DwarfLayouts::flatten(const Struct& s, uint64_t base, const std::string& prefix, int depth,
                           std::vector<std::pair<std::string, FieldInfo>>& out) const {
  for (const auto& m : s.members) {
    std::string path = prefix.empty() ? m.name : prefix + "." + m.name;
    FieldInfo fi;
    fi.offset = base + m.offset;
    fi.size = sizeAt(m.typeOff).value_or(0);
    fi.type = nameAt(m.typeOff);
    out.emplace_back(path, fi);
    if (depth >= 8) continue;
    if (auto inner = structOf(m.typeOff))
      if (const Struct* is = structAt(*inner)) flatten(*is, fi.offset, path, depth + 1, out);
  }
}

std::optional<std::vector<std::pair<std::string, FieldInfo>>> DwarfLayouts::fields(
    std::string_view type) const {
  std::lock_guard lock(mu_);
  const Struct* s = structNamed(type);
  if (!s) return std::nullopt;
  std::vector<std::pair<std::string, FieldInfo>> out;
  flatten(*s, 0, "", 0, out);
  return out;
}

std::map<std::string, int64_t> DwarfLayouts::constants(std::string_view prefix) const {
  std::lock_guard lock(mu_);
  ensureIndexed();
  std::map<std::string, int64_t> out;
  for (const auto& [name, off] : constants_)
    if (std::string_view(name).starts_with(prefix))
      if (auto v = constantAt(off)) out.emplace(name, *v);
  return out;
}

std::vector<std::string> DwarfLayouts::structNames() const {
  std::lock_guard lock(mu_);
  ensureIndexed();
  std::vector<std::string> out;
  out.reserve(structs_.size());
  for (const auto& [name, off] : structs_) out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace goinspect
