// The binary harness's input: which fixture executable to start from, and the damage to do
// to it (tests/fuzz/README.md, "The binary harness"). Read with a tiny reader of our own
// (libFuzzer's FuzzedDataProvider is clang-only; the unit tests build with gcc).
//
//   InputReader in(data, size);
//   BinaryInput bi = BinaryInput::parse(in);   // never fails: a short input reads as zeros
//
// Every offset is relative to a structure of the seed (a section, a table inside
// .gopclntab, one function's _func record...), so an input means the same after the
// fixtures are rebuilt.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace goinspect::fuzz {

// Bytes in order; past the end every read is 0, so any byte string is an input.
class InputReader {
 public:
  InputReader(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  bool empty() const { return p_ >= end_; }
  size_t left() const { return empty() ? 0 : static_cast<size_t>(end_ - p_); }
  uint8_t u8() { return p_ < end_ ? *p_++ : 0; }
  uint16_t u16() { return static_cast<uint16_t>(u8() | u8() << 8); }
  uint32_t u32() { return u16() | uint32_t{u16()} << 16; }
  uint64_t u64() { return u32() | uint64_t{u32()} << 32; }
  // LEB128, at most 10 bytes.
  uint64_t varint() {
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
      uint8_t b = u8();
      if (shift < 64) v |= uint64_t{b & 0x7fu} << shift;
      if (!(b & 0x80)) break;
    }
    return v;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

// The structures a patch can aim at. The function-scoped ones (kFuncRecord .. kRuntimeCode)
// also name a function (FuncSel); kPcTable also a table of it.
enum Structure : uint8_t {
  kWholeFile,
  kElfHeader,
  kProgramHeaders,
  kSectionHeaders,
  kShstrtab,
  kPclntab,        // the whole .gopclntab
  kPcHeader,       // its first 72 bytes (runtime.pcHeader)
  kFuncnametab,
  kCutab,
  kFiletab,
  kPctab,
  kFunctab,        // ftab: nfunc+1 {entryoff, funcoff} pairs
  kFuncRecord,     // one function's _func with its pcdata/funcdata offset arrays
  kPcTable,        // one function's pcsp, pcfile, pcln or pcdata[i] table
  kInlineTree,     // one function's funcdata[FUNCDATA_InlTree]
  kFuncdata,       // one function's other funcdata (open-coded defer info, arg info...)
  kRuntimeCode,    // .text of a function the stripped-globals search reads
  kBuildInfo,      // .go.buildinfo
  kModuledata,     // runtime.firstmoduledata
  kNoptrdata,
  kData,
  kRodata,
  kGoFunc,         // go:func.* (.go.func, or inside .rodata before 1.26)
  kText,
  kDebugInfo,
  kDebugAbbrev,
  kDebugStr,
  kDebugLine,
  kDebugRanges,    // .debug_rnglists, or .debug_ranges before Go 1.22
  kDebugLoc,       // .debug_loclists, or .debug_loc
  kDebugAddr,
  kDebugFrame,
  kSymtab,
  kStrtab,
  kDynsym,         // .dynsym (a PIE's; the engine reads its symbols too)
  kNumStructures
};

inline bool isFunctionScoped(uint8_t s) { return s >= kFuncRecord && s <= kRuntimeCode; }
inline bool isDebug(uint8_t s) { return s >= kDebugInfo && s <= kDebugFrame; }

// A place in the seed: a structure, for a function-scoped one which function (and table),
// and an offset inside it (taken modulo the structure's size when resolved).
struct Place {
  uint8_t structure = kWholeFile;
  uint16_t func = 0;   // function-scoped: bit 15 set → the n-th of a fixed list of runtime
                       // functions (kNamedFuncs in binary_seed.cc), else an index into ftab
  uint8_t table = 0;   // kPcTable: 0 pcsp, 1 pcfile, 2 pcln, 3+i pcdata[i]; kFuncdata: index
  uint64_t offset = 0;

  static Place read(InputReader& in) {
    Place p;
    p.structure = in.u8() % kNumStructures;
    if (isFunctionScoped(p.structure)) p.func = in.u16();
    if (p.structure == kPcTable || p.structure == kFuncdata) p.table = in.u8();
    p.offset = in.varint();
    return p;
  }
};

// What a patch does at its place.
enum Op : uint8_t {
  kSetByte,        // operand: the byte
  kXorByte,        // operand: the mask
  kInteresting32,  // operand: index into the interesting 32-bit values (0, 1, -1, sizes...)
  kInteresting64,
  kRaw32,          // operand: 4 bytes
  kRaw64,          // operand: 8 bytes
  kAdd32,          // operand: a signed byte added to the u32 there
  kAdd64,
  kOffsetOf32,     // operand: a Place and a base structure: u32 (place - base), file offsets
  kAddressOf64,    // operand: a Place: its link-time address (u64)
  kCopy,           // operand: a Place and a length (1..64): the seed's bytes there
  kFill,           // operand: a length (1..4096) and a byte
  kTruncate,       // the file ends here
  kNumOps
};

struct Patch {
  Place at;
  uint8_t op = kSetByte;
  uint64_t operand = 0;  // the byte, mask, index, raw value, delta or length
  uint8_t fill = 0;      // kFill's byte
  Place other;           // kOffsetOf32, kAddressOf64, kCopy
  uint8_t base = kWholeFile;  // kOffsetOf32

  static Patch read(InputReader& in) {
    Patch p;
    p.at = Place::read(in);
    p.op = in.u8() % kNumOps;
    switch (p.op) {
      case kSetByte: case kXorByte: case kInteresting32: case kInteresting64: case kAdd32: case kAdd64:
        p.operand = in.u8();
        break;
      case kRaw32: p.operand = in.u32(); break;
      case kRaw64: p.operand = in.u64(); break;
      case kOffsetOf32:
        p.other = Place::read(in);
        p.base = in.u8() % kNumStructures;
        break;
      case kAddressOf64: p.other = Place::read(in); break;
      case kCopy:
        p.other = Place::read(in);
        p.operand = in.u8() % 64 + 1;
        break;
      case kFill:
        p.operand = in.varint() % 4096 + 1;
        p.fill = in.u8();
        break;
      default: break;
    }
    return p;
  }
};

// Flags (the input's second byte): the expensive choices are the rare ones, so that most
// executions stay cheap (random bytes pick each with the probability noted).
struct Flags {
  uint8_t b = 0;
  // The debug sections as the linker wrote them (zlib) instead of inflated: libelf inflates
  // them on every open, which costs more than everything else (1/16).
  bool compressedDebug() const { return (b & 0x0f) == 0x0f; }
  // Every function looked up, not only the picked ones (1/16).
  bool everyFunc() const { return (b & 0x0f) == 0x0e; }
  // The layouts from DWARF even when no patch can have changed it (1/8).
  bool fullDwarf() const { return (b & 0x70) == 0x70; }
  // The stripped-globals search also on a seed with symbols (the search is the same code;
  // GoProgram::load runs it on its own only when there are none) (1/4).
  bool searchGlobals() const { return (b & 0x30) == 0x10; }
  // The target's memory is the unpatched seed's: the exe on disk is not the process's (1/4).
  bool staleMemory() const { return (b >> 6) == 1; }
  // The target reads nothing; only the file answers (1/4).
  bool noMemory() const { return (b >> 6) == 2; }
};

constexpr size_t kMaxPatches = 16;
constexpr size_t kMaxQueries = 8;

struct BinaryInput {
  uint8_t seed = 0;
  Flags flags;
  std::vector<Patch> patches;
  std::vector<uint32_t> pcs;  // text offsets to look up (modulo the text's size)

  static BinaryInput parse(InputReader& in) {
    BinaryInput b;
    b.seed = in.u8();
    b.flags.b = in.u8();
    size_t n = in.u8() % (kMaxPatches + 1);
    for (size_t i = 0; i < n; i++) b.patches.push_back(Patch::read(in));
    while (!in.empty() && b.pcs.size() < kMaxQueries) b.pcs.push_back(in.u32());
    return b;
  }
};

}  // namespace goinspect::fuzz
