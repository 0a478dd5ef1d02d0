// The core harness's damage: a Target that serves a seed core's memory and threads through
// a layer of rewritten bytes and unreadable ranges, and the reader that turns a fuzz input
// into those rewrites, structure by structure.
//
//   MutatingTarget t(seed);
//   applyMutations(input, seed, t);   // the rest of the input: one mutation after another
//   Session s(t);                     // every read the engine makes sees the damage
//
// Input format (core_input.h reads it; every field wraps modulo its range, so any bytes
// are an input):
//   mutation := op:u8 kind:u8 index:u16 offset:u16 operands...
// `kind` picks a structure kind of the seed (core_seeds.h Kind; a kind the seed has none of
// moves on to the next one), `index` one of them, `offset` a byte inside it. The ops, and
// their operands:
//   kSetBytes     n:u8 bytes[1 + n%16]       raw bytes
//   kXor          mask:u8                    one byte flipped
//   kU32          sel:u8                     an interesting 32-bit value (kU32s)
//   kU64          sel:u8                     an interesting 64-bit value (kU64s): 0, -1,
//                                            huge lengths, the engine's own bounds ± 1
//   kPointer      kind:u8 index:u16 off:u16  the address of (a byte in) another structure,
//                                            of any kind: the same one makes a cycle
//   kSelf         off:u8                     a pointer into this structure itself
//   kWild         sel:u8                     an address that is not memory, or barely
//   kUnreadable   len:u16                    1 + len bytes from here become unreadable
//   kAdd          delta:u8                   the word += (int8)delta * 8
//   kCopy         kind:u8 index:u16 off:u16 n:u8   bytes of another structure, copied here
//   kCode         sel:u16 delta:u8           a pc: a function the engine treats specially
//                                            (goexit, systemstack, gopanic, ...), or any
//   kBuildLabels  area:u8 n:u8 ...          g.labels of the goroutine (the one picked if
//                                            kind is g, else the index-th) points to n%9
//                                            labels built in a scratch area, in its
//                                            release's layout (list or map), keys and
//                                            values from the input (buildLabels)
//   kBuildDefers  area:u8 n:u8 records...   its g._defer: a chain of n%9 _defer records
//                                            built in a scratch area, each naming one of
//                                            its frames: heap, stack, rangefunc, started,
//                                            cycles (buildDefers)
#pragma once

#include <cstdint>
#include <vector>

#include "core_input.h"
#include "core_seeds.h"
#include "target.h"

namespace goinspect::fuzz::core {

class MutatingTarget : public Target {
 public:
  explicit MutatingTarget(const Seed& seed) : seed_(seed) {}

  // Bytes at addr read as `bytes` from now on (later writes win).
  void write(uint64_t addr, const void* bytes, size_t n);
  void writeU64(uint64_t addr, uint64_t v) { write(addr, &v, 8); }
  // Reads touching [addr, addr + n) fail.
  void unreadable(uint64_t addr, uint64_t n);

  bool readMemory(uint64_t addr, void* buf, size_t size) override;
  std::vector<ThreadInfo> threads() override;
  std::optional<uint64_t> lookupSymbol(const std::string&) override { return std::nullopt; }
  std::string executablePath() override { return seed_.core->executablePath(); }
  uint64_t loadBias() override { return seed_.bias; }
  uint64_t stopId() override { return 1; }

  // The bytes as written so far, readable or not (the core, else the executable's file; a
  // thread's registers at its kRegs region), for a mutation that builds on them.
  bool peek(uint64_t addr, void* buf, size_t size) const;

 private:
  struct Patch {
    uint64_t addr;
    uint8_t len;
    uint8_t bytes[16];
  };
  bool original(uint64_t addr, void* buf, size_t size) const;  // readBase, or the registers
  bool readBase(uint64_t addr, void* buf, size_t size) const;  // the core, else the file
  bool isUnreadable(uint64_t addr, uint64_t n) const;
  void overlay(uint64_t addr, uint8_t* buf, size_t n) const;

  const Seed& seed_;
  std::vector<Patch> patches_;
  std::vector<std::pair<uint64_t, uint64_t>> unreadable_;  // [lo, hi)
};

// Applies the mutations the input describes until it runs out (at most kMaxMutations).
void applyMutations(InputReader& in, const Seed& seed, MutatingTarget& t);

}  // namespace goinspect::fuzz::core
