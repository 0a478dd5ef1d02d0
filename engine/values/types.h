// Go types as the executable's DWARF describes them (cmd/link/internal/ld/dwarf.go), decoded
// with libdw on demand, and the package variables that DWARF places.
//
//   auto types = GoTypes::create(elf.dwarf());      // nullptr: no DWARF (a stripped binary)
//   if (auto v = types->variable("main.cfg"))       // link-time address and type
//     const GoType& t = types->type(v->type);        // t.kind == GoKind::Struct, t.fields...
//   types->byRuntimeType(off)                        // an interface's dynamic type
//
// A type is decoded once, when first asked for, and lives as long as the GoTypes; a type
// that refers to itself (type node struct{ next *node }) refers by TypeId, so decoding
// ends. The object refers to the ElfFile's Dwarf handle: the ElfFile must outlive it.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace goinspect {

// internal/abi.Kind, the value of DW_AT_go_kind.
enum class GoKind : uint8_t {
  Invalid = 0, Bool, Int, Int8, Int16, Int32, Int64, Uint, Uint8, Uint16, Uint32, Uint64,
  Uintptr, Float32, Float64, Complex64, Complex128, Array, Chan, Func, Interface, Map,
  Pointer, Slice, String, Struct, UnsafePointer,
};

// An index into GoTypes; 0 is "no type".
using TypeId = uint32_t;

struct GoField {
  std::string name;
  uint64_t offset = 0;
  TypeId type = 0;
  bool embedded = false;  // DW_AT_go_embedded_field
};

struct GoType {
  GoKind kind = GoKind::Invalid;
  std::string name;        // as Go spells it: "main.point", "[]string", "map[string]int"
  uint64_t size = 0;
  TypeId elem = 0;         // Pointer: pointee; Array, Slice, Chan: element; Map: value
  TypeId key = 0;          // Map: key
  uint64_t count = 0;      // Array: length
  // Struct: its fields. String, Slice, Interface: the runtime's header words (str/len,
  // array/len/cap, tab|_type/data). Map, Chan: none (see impl).
  std::vector<GoField> fields;
  // Map: the runtime's map struct the map word points at (hash<K,V> or, with swiss maps,
  // map<K,V>); Chan: hchan<T>. 0 if DWARF has none.
  TypeId impl = 0;
  bool emptyInterface = false;  // Interface: `any` (runtime.eface) rather than an itab
  // DW_AT_go_runtime_type: the abi.Type's offset from moduledata.types; 0 if none.
  uint64_t runtimeType = 0;
  uint64_t die = 0;             // the DIE it was decoded from (0: made here)
};

class GoTypes {
 public:
  // `dwarf` is a Dwarf* (as ElfFile::dwarf() gives it); nullptr → nullptr.
  static std::unique_ptr<GoTypes> create(void* dwarf);
  // For a binary without DWARF: only the types the fallback gives, and no variables.
  static std::unique_ptr<GoTypes> withoutDwarf();
  ~GoTypes();

  // Where byName and byRuntimeType look for a type DWARF does not have (the runtime's type
  // descriptors: runtime_types.h).
  struct Fallback {
    std::function<std::optional<TypeId>(std::string_view name)> byName;
    std::function<std::optional<TypeId>(uint64_t offset)> byRuntimeType;
  };
  void setFallback(Fallback f) { fallback_ = std::move(f); }
  bool hasDwarf() const { return dwarf_ != nullptr; }
  // A type made elsewhere (the fallback's); edit() fills in its parts once it has an id.
  TypeId add(GoType t);
  GoType& edit(TypeId id) { return types_.at(id); }

  void* dwarf() const { return dwarf_; }  // the Dwarf* it reads
  // Valid as long as the GoTypes (decoding more types does not move it).
  const GoType& type(TypeId id) const { return types_.at(id); }
  // A type by its Go name ("main.point", "*main.point", "[]int", "map[string]int").
  std::optional<TypeId> byName(std::string_view name);
  // The type whose abi.Type sits `offset` bytes into the module's types section.
  std::optional<TypeId> byRuntimeType(uint64_t offset);
  // The type of a DIE (a DW_AT_type target), decoded if new.
  TypeId fromDie(uint64_t dieOffset);

  // A package variable: its link-time address and type.
  struct Variable {
    std::string name;
    uint64_t addr = 0;
    TypeId type = 0;
  };
  std::optional<Variable> variable(std::string_view name);
  // The names of package variables in `pkg` (e.g. "main"), sorted: for "did you mean".
  std::vector<std::string> variablesOf(std::string_view pkg);

  // The compile unit whose code holds link-time `pc` (the DIE offset of its
  // DW_TAG_compile_unit); nullopt if none. Go writes no .debug_aranges, which libdw's
  // dwarf_addrdie needs, so the units' own ranges are indexed here, once.
  std::optional<uint64_t> unitAt(uint64_t pc);
  // The type *T for T = `id`: the DWARF's own if the program uses it, else made here.
  TypeId pointerTo(TypeId id);
  // Follows a pointer type: its element; 0 if `id` is not a pointer.
  TypeId pointee(TypeId id) const;
  // The field named `name` of a struct, or nullptr.
  const GoField* field(TypeId id, std::string_view name) const;

 private:
  explicit GoTypes(void* dwarf);
  void ensureIndexed();
  TypeId decode(uint64_t dieOffset, int depth);

  void* dwarf_;
  Fallback fallback_;
  bool indexed_ = false;
  std::deque<GoType> types_;  // [0] is the invalid type; a deque: references stay valid
  std::unordered_map<uint64_t, TypeId> byDie_;               // DIE offset → type
  std::unordered_map<TypeId, TypeId> madePointers_;          // T → *T made by pointerTo
  bool unitsIndexed_ = false;
  struct UnitRange {
    uint64_t lo, hi, unit;
  };
  std::vector<UnitRange> unitRanges_;  // sorted by lo
  std::unordered_map<std::string, uint64_t> namedDies_;      // type name → DIE offset
  std::unordered_map<uint64_t, uint64_t> runtimeDies_;       // runtime type offset → DIE
  std::unordered_map<std::string, uint64_t> variableDies_;   // package variable → DIE
};

}  // namespace goinspect
