// The executable on disk, opened read-only with libelf and mapped into memory.
//
//   auto elf = goinspect::ElfFile::open("/path/to/exe");   // throws Error if unreadable / not ELF
//   if (auto* s = elf->section(".gopclntab")) use(s->data, s->addr);
//   std::optional<uint64_t> a = elf->symbol("runtime.allgs");  // nullopt when stripped
//
// Static read-only data (pclntab, rodata, funcdata, inline trees) is read from here, never
// from the target: cores usually omit file-backed read-only mappings, and it is faster.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "debug_file.h"
#include "errors.h"

namespace goinspect {

struct ElfSection {
  std::string name;
  uint64_t addr = 0;     // link-time virtual address
  uint64_t size = 0;
  uint32_t type = 0;     // SHT_*
  uint64_t flags = 0;    // SHF_*
  std::span<const uint8_t> data;  // empty for SHT_NOBITS (.bss)
};

class ElfFile {
 public:
  // Throws Error("<path>: not an ELF file") and the like. A file without DWARF of its own
  // takes it from its separate debug file (debug_file.h), searched as `debug` says.
  static std::unique_ptr<ElfFile> open(const std::string& path, const DebugSearch& debug = {});
  ~ElfFile();

  const std::string& path() const { return path_; }
  bool isPie() const { return type_ == 3 /*ET_DYN*/; }
  uint16_t machine() const { return machine_; }  // EM_X86_64 == 62

  const ElfSection* section(std::string_view name) const;
  const std::vector<ElfSection>& sections() const { return sections_; }

  // Link-time address of a symbol from .symtab (or .dynsym); nullopt if absent/stripped.
  std::optional<uint64_t> symbol(std::string_view name) const;
  std::optional<uint64_t> symbolSize(std::string_view name) const;

  // Bytes at a link-time address, from any section with file contents; empty span if the
  // range is not wholly inside one such section.
  std::span<const uint8_t> bytesAt(uint64_t addr, uint64_t size) const;

  // The libdw handle for DWARF (the file's own, or its separate debug file's), or nullptr
  // when there is none. (Type erased so that users of this header need not include
  // elfutils headers.)
  void* dwarf() const { return dwarf_ ? dwarf_ : debug_ ? debug_->dwarf_ : nullptr; }
  // The separate debug file the DWARF came from ("" when the file's own or none), and
  // without DWARF, where it was looked for.
  const std::string& debugFile() const { return debug_ ? debug_->path_ : noDebug_; }
  const std::string& debugLooked() const { return debugLooked_; }

 private:
  ElfFile() = default;
  std::string path_;
  int fd_ = -1;
  void* map_ = nullptr;
  size_t mapSize_ = 0;
  void* elf_ = nullptr;    // Elf*
  void* dwarf_ = nullptr;  // Dwarf*
  std::unique_ptr<ElfFile> debug_;  // the separate debug file, when dwarf_ is nullptr
  std::string debugLooked_;
  static inline const std::string noDebug_;
  uint16_t type_ = 0, machine_ = 0;
  std::vector<ElfSection> sections_;
  // addr, size; the names point into libelf's string table, alive until elf_end (a binary
  // has tens of thousands of symbols: a copy of each name is most of the cost of opening it)
  std::unordered_map<std::string_view, std::pair<uint64_t, uint64_t>> symbols_;
};

}  // namespace goinspect
