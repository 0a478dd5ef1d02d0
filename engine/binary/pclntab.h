// Go's pc-line table (.gopclntab) for the Go 1.20+ layout (magic 0xFFFFFFF1), which every
// release from Go 1.21 to 1.27 uses; see runtime/symtab.go and runtime/symtabinl.go.
//
//   auto tab = goinspect::PcLnTab::parse(pclntabBytes, textStart);   // throws Error if malformed
//   if (const Func* f = tab->findFunc(pc)) {
//     auto [file, line] = tab->fileLine(*f, pc);
//     int32_t frameSize = tab->spDelta(*f, pc);
//   }
//
// All addresses are link-time addresses (the caller subtracts the load bias). Every offset
// read from the table is bounds-checked; a bad offset yields nullopt / an empty name, never
// a read outside the table.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace goinspect {

// One _func record (runtime/runtime2.go).
struct Func {
  uint32_t index = 0;      // position in ftab
  uint64_t entry = 0;      // link-time entry pc
  uint64_t end = 0;        // entry of the next function (exclusive end)
  int32_t nameOff = 0;
  int32_t args = 0;
  uint32_t deferreturn = 0;
  uint32_t pcsp = 0, pcfile = 0, pcln = 0;
  uint32_t npcdata = 0;
  uint32_t cuOffset = 0;
  int32_t startLine = 0;
  uint8_t funcID = 0;      // abi.FuncID; values differ between releases, see FuncIDs
  uint8_t flag = 0;        // abi.FuncFlag: TopFrame=1, SPWrite=2, Asm=4
  uint8_t nfuncdata = 0;
  uint32_t recordOff = 0;  // offset of the _func record inside pclntable
};

// abi.PCDATA_* and abi.FUNCDATA_* (stable across 1.21..1.27).
enum : uint32_t { kPcdataUnsafePoint = 0, kPcdataStackMapIndex = 1, kPcdataInlTreeIndex = 2, kPcdataArgLiveIndex = 3 };
enum : uint32_t { kFuncdataInlTree = 3, kFuncdataOpenCodedDeferInfo = 4, kFuncdataArgInfo = 5, kFuncdataArgLiveInfo = 6 };
enum : uint8_t { kFuncFlagTopFrame = 1, kFuncFlagSPWrite = 2, kFuncFlagAsm = 4 };

// A logical frame at one pc: the physical function, or a call inlined into it.
struct LogicalFrame {
  std::string_view function;  // "main.worker", "runtime.gopark"
  std::string_view file;
  int32_t line = 0;
  uint8_t funcID = 0;         // the inlined callee's funcID, or the physical function's
  bool inlined = false;       // true for every frame except the outermost (physical) one
};

class PcLnTab {
 public:
  // `data`: the whole .gopclntab section. `textStart`: link-time moduledata.text (Go 1.26
  // no longer stores it in the header; older headers' value is ignored in its favour).
  // Throws Error on a bad magic, a pointer size other than 8, or offsets outside `data`.
  static std::unique_ptr<PcLnTab> parse(std::span<const uint8_t> data, uint64_t textStart);

  // Static bytes at a link-time address (the executable's rodata), used to read inline
  // trees through funcdata. Set once moduledata.gofunc is known; without it, expand()
  // returns only the physical frame.
  using StaticReader = std::function<std::span<const uint8_t>(uint64_t addr, uint64_t size)>;
  void setGoFunc(uint64_t gofunc, StaticReader reader);

  uint32_t magic() const;
  size_t numFuncs() const;
  uint64_t textStart() const;
  uint64_t minPc() const;   // first function's entry
  uint64_t maxPc() const;   // end of the last function

  // The function containing pc (binary search over ftab), nullptr outside the text.
  const Func* findFunc(uint64_t pc) const;
  const Func* funcAt(size_t index) const;
  // Exact name lookup (built lazily on first use).
  const Func* funcByName(std::string_view name) const;

  std::string_view funcName(const Func& f) const;
  std::string_view nameAt(int32_t nameOff) const;  // funcnametab string

  // Generic pc-value table lookup (runtime.pcvalue): the value at `targetPc` of the table at
  // `tableOff` in pctab. nullopt if the table is absent (0) or pc is not covered.
  std::optional<int32_t> pcValue(const Func& f, uint32_t tableOff, uint64_t targetPc) const;
  // SP delta at pc (pcsp): bytes between the frame's sp at `pc` and the caller's sp minus
  // the return address; -1 if unknown. Same semantics as runtime.funcspdelta.
  int32_t spDelta(const Func& f, uint64_t pc) const;
  // File and line at pc, via pcfile (through cutab to filetab) and pcln.
  std::pair<std::string_view, int32_t> fileLine(const Func& f, uint64_t pc) const;
  std::optional<int32_t> pcdata(const Func& f, uint32_t table, uint64_t pc) const;
  // funcdata[idx] as an offset from moduledata.gofunc; nullopt if absent (^uint32(0)).
  std::optional<uint32_t> funcdataOffset(const Func& f, uint32_t idx) const;

  // Up to `size` bytes of funcdata[idx] (fewer at the end of the section); empty if the
  // function has none or the static data is not available.
  std::span<const uint8_t> funcdata(const Func& f, uint32_t idx, uint64_t size) const;

  // Every logical frame at pc, innermost first, ending with the physical function, the way
  // runtime.newInlineUnwinder walks funcdata InlTree + pcdata InlTreeIndex.
  // Requires: f == findFunc(pc). `pc` is the pc to look up (already pc-1 for return addresses).
  std::vector<LogicalFrame> expand(const Func& f, uint64_t pc) const;

 private:
  PcLnTab() = default;
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace goinspect
