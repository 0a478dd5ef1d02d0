// Go values read from the target as a tree, bounded by Limits, for the text and JSON
// printers (format.h). Nothing here writes the target or runs code in it.
//
//   ValueReader reader(types, prog, mem, names);
//   Value v = reader.read(var.type, var.addr + prog.bias(), limits);
//   std::string text = formatText(v);            // main.point {X: 1, Y: 2}
//
// A value that cannot be read is kept in the tree with the reason (`error`), and the rest
// of the tree is still read: one bad pointer in a struct spoils one field, not the struct.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gotype.h"
#include "goprogram.h"
#include "memory.h"
#include "types.h"

namespace goinspect {

struct Limits {
  int depth = 4;               // composite levels expanded below the value itself
  uint64_t elements = 64;      // elements of an array, slice, map or channel buffer
  uint64_t stringBytes = 256;  // bytes of a string
  // Values read in all for one printed value: nested containers multiply (64 elements at
  // each of 4 levels would be 16 million); past it, composites are left out as at the depth
  // limit.
  uint64_t nodes = 100'000;
};

struct Value {
  TypeId type = 0;
  std::string typeName;        // the static type, as Go spells it
  GoKind kind = GoKind::Invalid;
  std::optional<uint64_t> addr;  // where it lives in the target (runtime address)

  // The scalar's Go literal: 42, "A-17" (quoted, cut at Limits::stringBytes), true, 1.5,
  // (1+2i); a pointer's, channel's, map's or unsafe.Pointer's address as 0x...; a func's
  // function name. Empty for composites.
  std::string text;
  // Set when the value (or its part) could not be read: why. The rest is then empty.
  std::optional<std::string> error;
  // The error is that the value does not exist at this pc (optimised away, in a register
  // lost across a call): shown as unavailable, not as a failed read.
  bool unavailable = false;
  bool nil = false;            // nil pointer, slice, map, chan, func, interface
  bool elided = false;         // a composite past Limits::depth: not read
  std::optional<uint64_t> len, cap;  // string (len), slice, array (len), map (len), chan
  uint64_t more = 0;           // elements (or string bytes) there are but were not read
  // Maps: the entries are sorted by key (every entry was read) or in the runtime's order.
  bool sorted = false;
  // Chans: closed, and the goroutines (goids) queued to send and to receive.
  bool closed = false;
  std::vector<int64_t> senders, receivers;
  // Interfaces: the dynamic type's name ("" for a nil interface); the value is the child.
  std::string dynamicType;

  // A struct's fields (name), an array's, slice's or channel buffer's elements (index), a
  // map's entries (key and value), an interface's dynamic value (one child, no name).
  struct Child {
    std::string name;
    std::unique_ptr<Value> key;  // maps only
    std::unique_ptr<Value> value;
  };
  std::vector<Child> children;

  static Value failed(std::string typeName, std::string why) {
    Value v;
    v.typeName = std::move(typeName);
    v.error = std::move(why);
    return v;
  }
};

class ValueReader {
 public:
  ValueReader(GoTypes& types, const GoProgram& prog, Memory& mem, TypeNames& names);

  // The value of type `type` at runtime address `addr`, read down to `limits.depth`.
  Value read(TypeId type, uint64_t addr, const Limits& limits) { return readAt(type, addr, limits, 0); }

  // A map's or channel's contents from the map or chan word's value (the runtime's map or
  // hchan pointer): for the GDB printers, which so share go print's decoders. The entries'
  // and elements' addresses are in their values' `addr`.
  Value readContainer(TypeId type, uint64_t ptr, const Limits& limits);

  GoTypes& types() { return types_; }
  Memory& mem() { return mem_; }
  const GoProgram& prog() const { return prog_; }

  // Below: the parts, for the readers of maps (maps.cc) and channels (chans.cc).
  Value readAt(TypeId type, uint64_t addr, const Limits& limits, int depth);
  // Fills a map value (v.kind == Map) from the map word's value `mapPtr`.
  void readMap(Value& v, const GoType& t, uint64_t mapPtr, const Limits& limits, int depth);
  // Fills a channel value from the chan word's value `hchan`.
  void readChan(Value& v, const GoType& t, uint64_t hchan, const Limits& limits, int depth);
  // The interface's dynamic type, by its runtime type descriptor's address: its DWARF type
  // (0 if none) and its name ("" if the address holds no type descriptor).
  std::pair<TypeId, std::string> dynamicType(uint64_t typeAddr);
  // A non-nil pointer value gets its pointee as its one child (read at `depth`): done for
  // the value printed and for an interface's dynamic value, as fmt's %v does at the top.
  void followPointer(Value& v, const Limits& limits, int depth);
  // Whether a value of `type` is kept in the interface's data word itself (a pointer-shaped
  // type, as the compiler decides: types.IsDirectIface).
  bool directIface(TypeId type) const;

 private:
  void readString(Value& v, uint64_t addr, const Limits& limits);
  void readSlice(Value& v, const GoType& t, uint64_t addr, const Limits& limits, int depth);
  void readArray(Value& v, const GoType& t, uint64_t addr, const Limits& limits, int depth);
  void readStruct(Value& v, const GoType& t, uint64_t addr, const Limits& limits, int depth);
  void readInterface(Value& v, const GoType& t, uint64_t addr, const Limits& limits, int depth);
  void readFunc(Value& v, uint64_t addr);
  bool readScalar(Value& v, const GoType& t, uint64_t addr);

  GoTypes& types_;
  const GoProgram& prog_;
  Memory& mem_;
  TypeNames& names_;
  uint64_t nodesLeft_ = 0;  // of Limits::nodes, for the value being read (depth 0)
  uint64_t typesBase_ = 0;  // moduledata.types: DW_AT_go_runtime_type offsets are from here
  std::optional<uint64_t> itabTypeOff_;
};

}  // namespace goinspect
