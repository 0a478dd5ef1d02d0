// The one interface between the engine and a debugger (LLDB, GDB, or a test double).
//
//   goinspect::Target& t = ...;           // an LldbTarget, a GdbTarget, a FakeTarget
//   uint64_t word;
//   if (t.readMemory(addr, &word, 8)) ...  // live process or core, the engine does not care
//
// Everything here only reads: no implementation may write target memory or registers, or
// run code in the target.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace goinspect {

// The general registers in DWARF's numbering for amd64 (System V ABI, figure 3.36): the
// names a debugger knows them by.
inline constexpr std::array<const char*, 16> kDwarfGprNames = {
    "rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"};

// The registers the unwinder needs, for linux/amd64 (rip, rsp, rbp and the TLS base), and
// the general registers, by DWARF number, for the values of the innermost frame.
struct Registers {
  uint64_t pc = 0;
  uint64_t sp = 0;
  uint64_t fp = 0;
  std::optional<uint64_t> fsBase;  // absent where the debugger does not expose it
  std::array<std::optional<uint64_t>, 16> gpr;  // absent where the debugger does not give them
};

struct ThreadInfo {
  uint64_t tid = 0;         // the OS thread id (LWP), as m.procid holds it
  uint32_t index = 0;       // the debugger's own thread number, for the user
  std::optional<Registers> regs;  // absent when the debugger cannot read them
  // The debugger's selected thread (a core's first thread, which took the fatal signal):
  // whose goroutine a command about "this goroutine" means when none is named.
  bool selected = false;
};

// What the user sees of long work and how they stop it, as each front end has it: LLDB's
// SBProgress and SBDebugger::InterruptRequested, GDB's quit flag and a line on stderr, the
// CLI's SIGINT. The default shows nothing and is never interrupted.
class FrontEnd {
 public:
  virtual ~FrontEnd() = default;
  // When the command began: a front end makes its FrontEnd as the command starts, and
  // progress shows once the command, not one step of it, has run half a second.
  std::chrono::steady_clock::time_point started() const { return started_; }
  // The user asked the running command to stop (Ctrl-C). Called every few hundred items of
  // long work: must be cheap.
  virtual bool interruptRequested() { return false; }
  // Long work under way: `done` of `total` items (total 0: unknown), at most ten times a
  // second, from half a second into the command on.
  virtual void progress(const std::string& title, uint64_t done, uint64_t total) {}
  // The work that progress reported ended (done, failed or interrupted).
  virtual void progressEnd() {}

 private:
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

class Target {
 public:
  virtual ~Target() = default;

  // The front end's progress and interruption; a front end sets it once, or never.
  FrontEnd& frontEnd() { return frontEnd_ ? *frontEnd_ : quiet_; }
  void setFrontEnd(FrontEnd* f) { frontEnd_ = f; }

  // Reads exactly `size` bytes at `addr`. Returns false if any byte is unreadable; the
  // contents of `buf` are then unspecified.
  virtual bool readMemory(uint64_t addr, void* buf, size_t size) = 0;

  // The `size` bytes at `addr` where they already lie in this process's memory (a core
  // file mapped whole), valid while the target lives; nullptr when they do not (then
  // readMemory copies them). Saves the engine a cache of copies.
  virtual const uint8_t* inPlace(uint64_t addr, size_t size) { return nullptr; }
  // Asks the CPU to bring those bytes into its cache, where they lie in place: a loop over
  // a million goroutines says which g or stack comes a few items ahead, so that its cache
  // and TLB misses overlap the work on this one instead of stalling it. Only a hint.
  void prefetch(uint64_t addr, size_t size) {
    if (const uint8_t* p = inPlace(addr, size))
      for (size_t off = 0; off < size; off += 64) __builtin_prefetch(p + off);
  }

  // Reads that any thread may make, so that per-goroutine work can be split over the
  // machine's cores: the bytes of a mapped core, or of a live process's /proc/PID/mem;
  // never the debugger's API, which belongs to the command's thread. False where this read
  // needs the debugger (then the command's thread makes it with readMemory).
  virtual bool readConcurrently(uint64_t addr, void* buf, size_t size) { return false; }
  // Whether readConcurrently can serve reads at all on this target.
  virtual bool concurrentReads() { return false; }

  // The threads the debugger knows, in its own order.
  virtual std::vector<ThreadInfo> threads() = 0;

  // The address of a symbol the debugger knows (it may have symbol files the engine
  // cannot see). The engine reads the executable's own symbol table first.
  virtual std::optional<uint64_t> lookupSymbol(const std::string& name) = 0;

  // The main executable's path on this machine.
  virtual std::string executablePath() = 0;

  // Where the executable's DWARF may be when it has none of its own: the symbol file the
  // user gave the debugger ("" if none), and the debugger's global debug directories.
  virtual std::string symbolFile() { return {}; }
  virtual std::vector<std::string> debugDirectories() { return {"/usr/lib/debug"}; }

  // Runtime address minus link-time address of the executable (non-zero for PIE).
  virtual uint64_t loadBias() = 0;

  // A key that changes whenever the target may have changed (the process ran). Caches
  // keyed on it are dropped when it changes. Cores never change.
  virtual uint64_t stopId() = 0;

  // The target's CLOCK_MONOTONIC now, which is the Go runtime's nanotime(): known for a live
  // process on this machine, nullopt for a core or a remote process.
  virtual std::optional<int64_t> monotonicNow() { return std::nullopt; }

 private:
  FrontEnd quiet_;
  FrontEnd* frontEnd_ = nullptr;
};

}  // namespace goinspect
