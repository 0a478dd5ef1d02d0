// Go type names read from the runtime's type descriptors (internal/abi.Type), as reflect's
// Type.String() prints them: "main.job", "*main.job", "[]uint8", "map[string]int".
//
//   TypeNames names(prog, mem);
//   std::string s = names.name(hchanElemtype).value_or("?");
//
// The name is the descriptor's Str, a NameOff into the module's type data
// (moduledata.types): a flags byte, a varint length, the bytes. TFlagExtraStar means the
// stored name has a '*' too many (the pointer type shares its element's string).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "goprogram.h"

namespace goinspect {

class TypeNames {
 public:
  TypeNames(const GoProgram& prog, Memory& mem);
  // nullopt when the descriptor or its name cannot be read.
  std::optional<std::string> name(uint64_t type);
  // moduledata.types, the base of every type offset (DW_AT_go_runtime_type); 0 if unknown.
  uint64_t typesBase() const { return types_; }
  // moduledata.etypes: where the type data ends; 0 if unknown.
  uint64_t typesEnd() const { return etypes_; }

 private:
  Memory& mem_;
  uint64_t types_ = 0, etypes_ = 0;
  std::optional<uint64_t> strOff_, tflagOff_;
  std::unordered_map<uint64_t, std::optional<std::string>> cache_;
};

}  // namespace goinspect
