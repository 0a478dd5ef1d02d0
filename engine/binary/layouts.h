// Layouts of the runtime's structures (runtime.g, runtime.m, ...), by type and field name.
//
//   auto lay = goinspect::Layouts::load(elf, "go1.26.11");   // DWARF first, else the table
//   uint64_t off = lay->offset("runtime.g", "sched.pc").value();
//   if (lay->has("runtime.g", "syscallbp")) ...                 // probe; never guess by version
//
// From the binary's DWARF (libdw) when present. Stripped binaries (-ldflags=-s -w) fall back
// to tables generated from the DWARF of each supported Go release for linux/amd64
// (engine/binary/layouts/go1.NN.json, made by scripts/gen-layouts.sh); DWARF wins when present.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace goinspect {

class ElfFile;

struct FieldInfo {
  uint64_t offset = 0;   // from the start of the outermost type
  uint64_t size = 0;
  std::string type;      // the field's Go type name as DWARF spells it ("uintptr", "*runtime.m")
};

class Layouts {
 public:
  virtual ~Layouts() = default;

  // DWARF of `elf` if it has any, else the built-in table for goVersion's major release
  // (go1.21 .. go1.27). nullptr if neither is available.
  static std::unique_ptr<Layouts> load(const ElfFile& elf, const std::string& goVersion);
  static std::unique_ptr<Layouts> fromDwarf(const ElfFile& elf);          // nullptr: no DWARF
  static std::unique_ptr<Layouts> fromTable(const std::string& goVersion);  // nullptr: no table

  // A field by dotted path through nested structs ("sched.pc", "stack.lo",
  // "atomicstatus.value"); nullopt if the type or any step is missing.
  virtual std::optional<FieldInfo> field(std::string_view type, std::string_view path) const = 0;
  std::optional<uint64_t> offset(std::string_view type, std::string_view path) const;
  bool has(std::string_view type, std::string_view path) const;
  // sizeof(type); nullopt if unknown.
  virtual std::optional<uint64_t> size(std::string_view type) const = 0;
  // A Go constant the compiler recorded ("runtime._Grunning", "runtime._Gscan").
  virtual std::optional<int64_t> constant(std::string_view name) const = 0;

  // "DWARF" or "built-in table for go1.26"; shown by `go info`.
  virtual std::string source() const = 0;
};

}  // namespace goinspect
