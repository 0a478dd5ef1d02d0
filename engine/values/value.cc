#include "value.h"

#include <fmt/format.h>

#include <cstring>

#include "bounds.h"
#include "literals.h"

namespace goinspect {

namespace {

std::string hex(uint64_t v) { return fmt::format("{:#x}", v); }

std::string cannotRead(uint64_t size, uint64_t addr) {
  return fmt::format("cannot read {} bytes at {:#x}", size, addr);
}

bool composite(GoKind k) {
  return k == GoKind::Struct || k == GoKind::Array || k == GoKind::Slice || k == GoKind::Map ||
         k == GoKind::Chan || k == GoKind::Interface;
}

}  // namespace

ValueReader::ValueReader(GoTypes& types, const GoProgram& prog, Memory& mem, TypeNames& names)
    : types_(types), prog_(prog), mem_(mem), names_(names), typesBase_(names.typesBase()) {
  // abi.ITab.Type (1.22+), runtime.itab._type (1.21): the dynamic type of a non-empty interface.
  for (auto [type, field] : {std::pair{"internal/abi.ITab", "Type"}, std::pair{"runtime.itab", "_type"}})
    if (auto id = types_.byName(type))
      if (const GoField* f = types_.field(*id, field)) {
        itabTypeOff_ = f->offset;
        break;
      }
  // Without DWARF (or a type for it): the layouts' own (built-in tables for a stripped binary).
  if (!itabTypeOff_) itabTypeOff_ = prog.offOpt("internal/abi.ITab", "Type");
  if (!itabTypeOff_) itabTypeOff_ = prog.offOpt("runtime.itab", "_type");
}

Value ValueReader::readAt(TypeId type, uint64_t addr, const Limits& limits, int depth) {
  const GoType& t = types_.type(type);
  Value v;
  v.type = type;
  v.typeName = t.name;
  v.kind = t.kind;
  v.addr = addr;
  if (depth == 0) nodesLeft_ = limits.nodes;
  bool spent = nodesLeft_ == 0;
  if (!spent) nodesLeft_--;
  if (composite(t.kind) && (depth > limits.depth || spent) && t.kind != GoKind::Interface) {
    v.elided = true;
    // A slice's, map's or channel's length is cheap and says what was left out.
    Limits none{limits.depth, 0, 0};
    if (t.kind == GoKind::Slice) readSlice(v, t, addr, none, depth);
    if (t.kind == GoKind::Array) v.len = t.count;
    if (t.kind == GoKind::Map || t.kind == GoKind::Chan) {
      auto p = mem_.u64(addr);
      if (!p) v.error = cannotRead(8, addr);
      else if (!*p) v.nil = true;
      else if (t.kind == GoKind::Map) readMap(v, t, *p, none, depth);
      else readChan(v, t, *p, none, depth);
    }
    return v;
  }
  switch (t.kind) {
    case GoKind::String:
      readString(v, addr, limits);
      break;
    case GoKind::Slice:
      readSlice(v, t, addr, limits, depth);
      break;
    case GoKind::Array:
      readArray(v, t, addr, limits, depth);
      break;
    case GoKind::Struct:
      readStruct(v, t, addr, limits, depth);
      break;
    case GoKind::Interface:
      readInterface(v, t, addr, limits, depth);
      break;
    case GoKind::Func:
      readFunc(v, addr);
      break;
    case GoKind::Map:
    case GoKind::Chan: {
      auto p = mem_.u64(addr);
      if (!p) {
        v.error = cannotRead(8, addr);
      } else if (*p == 0) {
        v.nil = true;
      } else {
        v.text = hex(*p);
        if (t.kind == GoKind::Map) readMap(v, t, *p, limits, depth);
        else readChan(v, t, *p, limits, depth);
      }
      break;
    }
    case GoKind::Pointer:
    case GoKind::UnsafePointer: {
      auto p = mem_.u64(addr);
      if (!p) v.error = cannotRead(8, addr);
      else if (*p == 0) v.nil = true;
      else v.text = hex(*p);
      break;
    }
    case GoKind::Invalid:
      v.error = t.name.empty() ? "no type information" : fmt::format("type {} is not one Go has", t.name);
      break;
    default:
      if (!readScalar(v, t, addr)) v.error = cannotRead(t.size, addr);
      break;
  }
  return v;
}

bool ValueReader::readScalar(Value& v, const GoType& t, uint64_t addr) {
  uint8_t buf[16] = {};
  if (t.size == 0 || t.size > sizeof buf || !mem_.read(addr, buf, t.size)) return false;
  auto u = [&](size_t n) {
    uint64_t x = 0;
    std::memcpy(&x, buf, n);
    return x;
  };
  auto s = [&](size_t n) {
    uint64_t x = u(n);
    unsigned shift = 64 - 8 * static_cast<unsigned>(n);
    return static_cast<int64_t>(x << shift) >> shift;  // sign-extend n bytes
  };
  auto f32 = [&](size_t at) {
    float f;
    std::memcpy(&f, buf + at, 4);
    return f;
  };
  auto f64 = [&](size_t at) {
    double d;
    std::memcpy(&d, buf + at, 8);
    return d;
  };
  switch (t.kind) {
    case GoKind::Bool: v.text = buf[0] ? "true" : "false"; break;
    case GoKind::Int: case GoKind::Int8: case GoKind::Int16: case GoKind::Int32: case GoKind::Int64:
      v.text = fmt::format("{}", s(t.size));
      break;
    case GoKind::Uint: case GoKind::Uint8: case GoKind::Uint16: case GoKind::Uint32: case GoKind::Uint64:
      v.text = fmt::format("{}", u(t.size));
      break;
    case GoKind::Uintptr: v.text = hex(u(t.size)); break;
    case GoKind::Float32: v.text = goFloat32(f32(0)); break;
    case GoKind::Float64: v.text = goFloat64(f64(0)); break;
    case GoKind::Complex64: v.text = goComplex64(f32(0), f32(4)); break;
    case GoKind::Complex128: v.text = goComplex128(f64(0), f64(8)); break;
    default: return false;
  }
  return true;
}

void ValueReader::readString(Value& v, uint64_t addr, const Limits& limits) {
  uint64_t hdr[2];
  if (!mem_.read(addr, hdr, sizeof hdr)) {
    v.error = cannotRead(16, addr);
    return;
  }
  auto [ptr, len] = std::pair{hdr[0], hdr[1]};
  if (len > bounds::kMaxLength) {
    v.error = fmt::format("implausible string: length {}", len);
    return;
  }
  v.len = len;
  uint64_t want = std::min<uint64_t>(len, limits.stringBytes + 4);  // room to cut on a rune
  std::string bytes(want, '\0');
  if (want && !mem_.read(ptr, bytes.data(), want)) {
    v.error = fmt::format("cannot read the string's {} bytes at {:#x}", len, ptr);
    return;
  }
  size_t keep = runeCut(bytes, limits.stringBytes);
  bytes.resize(keep);
  v.more = len - keep;
  v.text = goQuote(bytes);
}

void ValueReader::readSlice(Value& v, const GoType& t, uint64_t addr, const Limits& limits, int depth) {
  uint64_t hdr[3];
  if (!mem_.read(addr, hdr, sizeof hdr)) {
    v.error = cannotRead(24, addr);
    return;
  }
  auto [array, len, cap] = std::tuple{hdr[0], hdr[1], hdr[2]};
  if (len > cap || cap > bounds::kMaxLength) {
    v.error = fmt::format("implausible slice: len {}, cap {}", len, cap);
    return;
  }
  v.len = len;
  v.cap = cap;
  v.nil = array == 0 && len == 0 && cap == 0;
  if (v.elided || v.nil) return;
  uint64_t elemSize = types_.type(t.elem).size;
  uint64_t n = std::min(len, limits.elements);
  for (uint64_t i = 0; i < n; i++)
    v.children.push_back({std::to_string(i), nullptr,
                          std::make_unique<Value>(readAt(t.elem, array + i * elemSize, limits, depth + 1))});
  v.more = len - n;
}

void ValueReader::readArray(Value& v, const GoType& t, uint64_t addr, const Limits& limits, int depth) {
  v.len = t.count;
  uint64_t elemSize = types_.type(t.elem).size;
  uint64_t n = std::min(t.count, limits.elements);
  for (uint64_t i = 0; i < n; i++)
    v.children.push_back({std::to_string(i), nullptr,
                          std::make_unique<Value>(readAt(t.elem, addr + i * elemSize, limits, depth + 1))});
  v.more = t.count - n;
}

void ValueReader::readStruct(Value& v, const GoType& t, uint64_t addr, const Limits& limits, int depth) {
  for (const GoField& f : t.fields)
    v.children.push_back({f.name, nullptr, std::make_unique<Value>(readAt(f.type, addr + f.offset, limits, depth + 1))});
}

void ValueReader::readFunc(Value& v, uint64_t addr) {
  // A func value points at a funcval whose first word is the code (runtime/runtime2.go).
  auto fv = mem_.u64(addr);
  if (!fv) {
    v.error = cannotRead(8, addr);
    return;
  }
  if (*fv == 0) {
    v.nil = true;
    return;
  }
  auto pc = mem_.u64(*fv);
  if (!pc) {
    v.error = fmt::format("cannot read the func value's code pointer at {:#x}", *fv);
    return;
  }
  const Func* f = prog_.findFunc(*pc);
  v.text = f ? std::string(prog_.funcName(*f)) : fmt::format("func({:#x})", *pc);
}

std::pair<TypeId, std::string> ValueReader::dynamicType(uint64_t typeAddr) {
  // Only an address inside the module's type data can be a type (moduledata.types..etypes).
  TypeId id = 0;
  if (typesBase_ && typeAddr >= typesBase_)
    if (auto t = types_.byRuntimeType(typeAddr - typesBase_)) id = *t;
  std::string name = id ? types_.type(id).name : "";
  if (name.empty()) name = names_.name(typeAddr).value_or("");
  return {id, name};
}

bool ValueReader::directIface(TypeId id) const {
  // cmd/compile/internal/types: IsDirectIface.
  const GoType& t = types_.type(id);
  switch (t.kind) {
    case GoKind::Pointer: case GoKind::UnsafePointer: case GoKind::Chan: case GoKind::Map: case GoKind::Func:
      return true;
    case GoKind::Array:
      return t.count == 1 && directIface(t.elem);
    case GoKind::Struct:
      return t.fields.size() == 1 && directIface(t.fields[0].type);
    default:
      return false;
  }
}

void ValueReader::readInterface(Value& v, const GoType& t, uint64_t addr, const Limits& limits, int depth) {
  uint64_t words[2];
  if (!mem_.read(addr, words, sizeof words)) {
    v.error = cannotRead(16, addr);
    return;
  }
  uint64_t typeAddr = words[0];
  if (!t.emptyInterface && typeAddr) {
    // A non-empty interface holds an itab; the type is in it.
    auto ty = itabTypeOff_ ? mem_.u64(typeAddr + *itabTypeOff_) : std::nullopt;
    if (!ty) {
      v.error = itabTypeOff_ ? fmt::format("cannot read the itab at {:#x}", typeAddr)
                             : "no itab layout in the binary's DWARF";
      return;
    }
    typeAddr = *ty;
  }
  if (typeAddr == 0) {
    v.nil = true;
    return;
  }
  auto [id, name] = dynamicType(typeAddr);
  if (name.empty()) {
    // Not a type descriptor: a damaged value, or a location that optimised code's DWARF
    // gives wrongly (Go 1.26 places a whole interface where only its data word was
    // spilled). Its data word would be read as the wrong type: nothing is shown.
    v.error = fmt::format("its type word {:#x} is not a Go type descriptor{}", typeAddr,
                          t.emptyInterface ? "" : " (read through its itab)");
    return;
  }
  v.dynamicType = name;
  if (!id) {
    Value dyn = Value::failed(name, fmt::format("no DWARF type for {} (data word {:#x})", name, words[1]));
    v.children.push_back({"", nullptr, std::make_unique<Value>(std::move(dyn))});
    return;
  }
  // Pointer-shaped values sit in the data word itself; the rest are pointed at.
  bool direct = directIface(id);
  if (!direct && words[1] == 0) {
    v.children.push_back({"", nullptr, std::make_unique<Value>(Value::failed(name, "the interface's data word is nil"))});
    return;
  }
  Value dyn = readAt(id, direct ? addr + 8 : words[1], limits, depth + 1);
  if (!direct) dyn.addr = words[1];
  // A pointer in an interface (an *errors.errorString) is followed: its pointee is the news.
  if (dyn.kind == GoKind::Pointer && !dyn.nil && !dyn.error && depth + 1 <= limits.depth)
    followPointer(dyn, limits, depth + 1);
  v.children.push_back({"", nullptr, std::make_unique<Value>(std::move(dyn))});
}

Value ValueReader::readContainer(TypeId type, uint64_t ptr, const Limits& limits) {
  const GoType& t = types_.type(type);
  Value v;
  v.type = type;
  v.typeName = t.name;
  v.kind = t.kind;
  nodesLeft_ = limits.nodes;
  if (t.kind != GoKind::Map && t.kind != GoKind::Chan) {
    v.error = fmt::format("{} is not a map or channel type", t.name);
  } else if (ptr == 0) {
    v.nil = true;
  } else if (t.kind == GoKind::Map) {
    readMap(v, t, ptr, limits, 0);
  } else {
    readChan(v, t, ptr, limits, 0);
  }
  return v;
}

void ValueReader::followPointer(Value& v, const Limits& limits, int depth) {
  const GoType& t = types_.type(v.type);
  if (t.kind != GoKind::Pointer || v.nil || v.error || !t.elem) return;
  auto p = mem_.u64(*v.addr);
  if (!p || !*p) return;
  v.children.push_back({"", nullptr, std::make_unique<Value>(readAt(t.elem, *p, limits, depth))});
}

}  // namespace goinspect
