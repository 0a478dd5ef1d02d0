// Layouts read from a binary's DWARF with libdw (internal to the engine and tools/go-layouts).
//
// The first query indexes the top-level DIEs of every unit by name (types and constants,
// keeping only Dwarf_Off); structures are decoded on demand and cached. The object refers
// to the ElfFile's Dwarf handle: the ElfFile must outlive it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "layouts.h"

namespace goinspect {

class DwarfLayouts final : public Layouts {
 public:
  // `dwarf` is a Dwarf* (type erased as in ElfFile::dwarf()); nullptr → nullptr.
  static std::unique_ptr<DwarfLayouts> create(void* dwarf);

  std::optional<FieldInfo> field(std::string_view type, std::string_view path) const override;
  std::optional<uint64_t> size(std::string_view type) const override;
  std::optional<int64_t> constant(std::string_view name) const override;
  std::string source() const override { return "DWARF"; }

  // Every field of a struct type, nested struct members flattened into dotted paths
  // ("sched", "sched.sp", ...), in declaration order; nullopt if the type is not a struct.
  std::optional<std::vector<std::pair<std::string, FieldInfo>>> fields(std::string_view type) const;
  // Every integer constant whose name starts with `prefix`, by name.
  std::map<std::string, int64_t> constants(std::string_view prefix) const;
  // Names of all struct types in the DWARF, sorted.
  std::vector<std::string> structNames() const;

 private:
  struct Member {
    std::string name;
    uint64_t offset = 0;
    uint64_t typeOff = 0;  // Dwarf_Off of the member's type DIE (0: none)
  };
  struct Struct {
    uint64_t size = 0;
    std::vector<Member> members;
  };

  explicit DwarfLayouts(void* dwarf) : dwarf_(dwarf) {}
  void ensureIndexed() const;  // callers hold mu_
  const Struct* structAt(uint64_t off) const;
  const Struct* structNamed(std::string_view name) const;
  std::optional<uint64_t> structOf(uint64_t typeOff) const;  // follows typedefs
  std::optional<uint64_t> sizeAt(uint64_t typeOff, int depth = 0) const;
  std::string nameAt(uint64_t typeOff, int depth = 0) const;
  std::optional<int64_t> constantAt(uint64_t off) const;
  void flatten(const Struct& s, uint64_t base, const std::string& prefix, int depth,
               std::vector<std::pair<std::string, FieldInfo>>& out) const;

  void* dwarf_;
  mutable std::recursive_mutex mu_;
  mutable bool indexed_ = false;
  mutable std::unordered_map<std::string, uint64_t> structs_;    // name → struct DIE
  mutable std::unordered_map<std::string, uint64_t> types_;      // name → other named type DIE
  mutable std::unordered_map<std::string, uint64_t> constants_;  // name → DW_TAG_constant DIE
  mutable std::unordered_map<uint64_t, std::unique_ptr<Struct>> decoded_;
};

}  // namespace goinspect
