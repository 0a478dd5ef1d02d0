// Go types from the runtime's own type descriptors (internal/abi.Type and the kind's
// PtrType, SliceType, ArrayType, StructType, ...), as reflect reads them: for what DWARF
// does not describe (a stripped binary's types, a dynamic type DWARF lacks).
//
//   RuntimeTypes rtypes(types, prog, mem, names);
//   types.setFallback(rtypes.fallback());   // GoTypes::byName and byRuntimeType then ask it
//
// A descriptor is decoded into a GoType once. By name, the module's descriptors are indexed
// on first use: moduledata.typelinks up to Go 1.26, the descriptors laid one after another
// from moduledata.types from Go 1.27 (runtime/type.go, moduleTypelinks), then the types they
// refer to. Names are reflect's (Type.String()): a package's name, not its path ("store.Order"
// for example.com/shop/store.Order); a path given is cut to its last element.
// Maps and channels decoded here have no DWARF struct of the runtime's behind them (GoType::
// impl is 0), so their contents are not read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "gotype.h"
#include "goprogram.h"
#include "memory.h"
#include "types.h"

namespace goinspect {

class RuntimeTypes {
 public:
  RuntimeTypes(GoTypes& types, const GoProgram& prog, Memory& mem, TypeNames& names);
  // The type whose descriptor is at runtime address `addr`; nullopt if none is there.
  std::optional<TypeId> at(uint64_t addr) { return decode(addr, 0); }
  // By reflect's name ("main.point", "*main.point", "[]string").
  std::optional<TypeId> byName(std::string_view name);
  // For GoTypes::setFallback. The RuntimeTypes must outlive the GoTypes' use of it.
  GoTypes::Fallback fallback();

 private:
  std::optional<TypeId> decode(uint64_t addr, int depth);
  // Marks a descriptor whose parts do not add up as no type (nullopt).
  std::optional<TypeId> implausible(TypeId id);
  void index();
  std::optional<uint64_t> descriptorSize(uint64_t addr);
  uint64_t kindStructSize(GoKind kind);
  std::string fullName(uint64_t addr, GoKind kind, uint8_t tflag, std::string name);
  std::optional<std::string> fieldName(uint64_t nameAddr, bool* embedded);

  GoTypes& types_;
  const GoProgram& prog_;
  Memory& mem_;
  TypeNames& names_;
  uint64_t moduledata_ = 0;
  std::unordered_map<uint64_t, TypeId> byAddr_;
  uint64_t fieldsRead_ = 0;
  bool indexed_ = false;
  std::unordered_map<std::string, uint64_t> byName_;  // reflect's name → descriptor
};

}  // namespace goinspect
