// Everything the engine knows about the Go program behind a target: its executable, Go
// version, pclntab, runtime layouts, the addresses of the runtime's globals, and the
// funcIDs of the runtime functions the unwinder treats specially.
//
//   auto prog = GoProgram::load(target, mem);   // throws Error("...: not a Go program")
//   const Func* f = prog->findFunc(pc);         // runtime pc, bias handled here
//   uint64_t off = prog->off("runtime.g", "sched.pc");
//
//   ExecutableCache cache;                       // many targets of one executable (a fuzzer):
//   auto p2 = GoProgram::load(target, mem, &cache);   // its file is parsed once
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>

#include "buildinfo.h"
#include "elf_file.h"
#include "layouts.h"
#include "memory.h"
#include "pclntab.h"

namespace goinspect {

// abi.FuncID values of this binary, found by function name because the numbering changes
// between releases (corostart in 1.22, runFinalizers/runCleanups in 1.25). kNone when absent.
struct FuncIDs {
  static constexpr int kNone = -1;
  int wrapper = kNone, systemstack = kNone, systemstackSwitch = kNone, mstart = kNone,
      morestack = kNone, sigpanic = kNone, asyncPreempt = kNone, debugCallV2 = kNone,
      gopanic = kNone, panicwrap = kNone, goexit = kNone, rt0go = kNone, mcall = kNone,
      gogo = kNone, abort = kNone, asmcgocall = kNone, cgocallback = kNone;
};

// What a GoProgram takes from the executable's file alone (the ELF file, its runtime
// layouts, its pclntab as moduledata places it), kept for the next GoProgram of the same
// file: what the target's memory says is still read for each. Immutable once made; one
// thread at a time.
class ExecutableCache {
 public:
  // The file at `path`, opened once while its size and modification time stay the same.
  std::shared_ptr<const ElfFile> elf(const std::string& path, const DebugSearch& debug = {});
  // Layouts::load(elf, goVersion), or Layouts::fromTable(goVersion) if `table`.
  std::shared_ptr<const Layouts> layouts(const ElfFile& elf, const std::string& goVersion, bool table);
  // The pclntab in `data` for text at `textLink` and funcdata at `gofunc` (0: unknown).
  std::shared_ptr<const PcLnTab> pcln(const ElfFile& elf, std::span<const uint8_t> data, uint64_t textLink,
                                      uint64_t gofunc);

 private:
  std::map<std::pair<std::string, DebugSearch>, std::tuple<int64_t, int64_t, std::shared_ptr<const ElfFile>>> elfs_;  // size, mtime
  std::map<std::tuple<const ElfFile*, std::string, bool>, std::shared_ptr<const Layouts>> layouts_;
  std::map<std::tuple<const ElfFile*, const uint8_t*, uint64_t, uint64_t>, std::shared_ptr<const PcLnTab>> pclns_;
};

class GoProgram {
 public:
  // `cache` (optional) keeps what the executable's file gives for the next load.
  static std::unique_ptr<GoProgram> load(Target& target, Memory& mem, ExecutableCache* cache = nullptr);

  const ElfFile& elf() const { return *elf_; }
  const PcLnTab& pcln() const { return *pcln_; }
  const Layouts& layouts() const { return *layouts_; }
  const std::string& goVersion() const { return goVersion_; }
  const std::optional<BuildInfo>& buildInfo() const { return buildInfo_; }
  uint64_t bias() const { return bias_; }
  const FuncIDs& funcIDs() const { return ids_; }
  std::string goos() const;
  std::string goarch() const;

  // pclntab lookups on runtime addresses.
  const Func* findFunc(uint64_t pc) const;
  uint64_t entry(const Func& f) const { return f.entry + bias_; }
  std::string_view funcName(const Func& f) const { return pcln_->funcName(f); }
  uint64_t funcAddr(std::string_view name) const;  // runtime entry pc, 0 if absent

  // Runtime address of a runtime global (runtime.allgs ...): the executable's symbols, then
  // the debugger's; nullopt when stripped and not recoverable.
  std::optional<uint64_t> global(const std::string& name) const;
  std::optional<uint64_t> globalSize(const std::string& name) const;

  // A field offset that must exist; throws Error naming the type and field.
  uint64_t off(std::string_view type, std::string_view path) const;
  // The first of several paths this release has (a field renamed or wrapped between
  // releases: "c.maybeTraceablePtr.vu" on 1.26+, "c" before).
  std::optional<uint64_t> offOpt(std::string_view type, std::initializer_list<std::string_view> paths) const {
    for (auto p : paths)
      if (auto o = layouts_->offset(type, p)) return o;
    return std::nullopt;
  }
  std::optional<uint64_t> offOpt(std::string_view type, std::string_view path) const {
    return layouts_->offset(type, path);
  }
  uint64_t sizeOf(std::string_view type) const;

  // Records a global found without a symbol (see stripped.cc).
  void setDiscovered(const std::string& name, uint64_t addr, uint64_t size);

 private:
  GoProgram() = default;
  static void checkSameBuild(const ElfFile& elf, Target& target, uint64_t bias);
  void locateModuledata(Memory& mem, ExecutableCache* cache);
  const ElfSection* pclntabSection() const;
  mutable std::optional<ElfSection> pclnInside_;  // a table inside another section (cgo PIE)
  void resolveFuncIDs();

  Target* target_ = nullptr;
  std::shared_ptr<const ElfFile> elf_;
  std::shared_ptr<const PcLnTab> pcln_;
  std::shared_ptr<const Layouts> layouts_;
  std::optional<BuildInfo> buildInfo_;
  std::string goVersion_;
  uint64_t bias_ = 0;
  FuncIDs ids_;
  std::unordered_map<std::string, std::pair<uint64_t, uint64_t>> discovered_;
};

}  // namespace goinspect
