// Cached, typed reads of target memory.
//
//   Memory mem(target);
//   std::optional<uint64_t> p = mem.u64(addr);    // nullopt when unreadable
//   mem.read(stackLo, buf.data(), n);            // large blocks go straight to the target
//
// Reads are served from 4 KiB pages kept for the current stop; the cache is dropped when
// Target::stopId() changes. Unreadable pages are remembered too, so a bad pointer costs
// one failed read, not one per access.
#pragma once

#include <array>
#include <functional>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "bounds.h"
#include "target.h"

namespace goinspect {

class Memory {
 public:
  explicit Memory(Target& target) : target_(target) {}

  // Exactly n bytes at addr, or false.
  bool read(uint64_t addr, void* buf, size_t n);
  // The same, past the page cache: for a sweep over memory read once (every stack), which
  // would only push out the pages worth keeping.
  bool readOnce(uint64_t addr, void* buf, size_t n) { return n == 0 || readTarget(addr, buf, n); }

  template <typename T>
  std::optional<T> get(uint64_t addr) {
    T v;
    if (!read(addr, &v, sizeof v)) return std::nullopt;
    return v;
  }
  std::optional<uint64_t> u64(uint64_t addr) { return get<uint64_t>(addr); }
  std::optional<uint32_t> u32(uint64_t addr) { return get<uint32_t>(addr); }
  std::optional<uint8_t> u8(uint64_t addr) { return get<uint8_t>(addr); }
  // An unsigned integer of 1, 2, 4 or 8 bytes (a field whose width DWARF gives).
  std::optional<uint64_t> unsignedAt(uint64_t addr, uint64_t size) {
    switch (size) {
      case 1: if (auto x = u8(addr)) return *x; return std::nullopt;
      case 2: if (auto x = get<uint16_t>(addr)) return *x; return std::nullopt;
      case 4: if (auto x = u32(addr)) return *x; return std::nullopt;
      case 8: return u64(addr);
      default: return std::nullopt;
    }
  }
  // A Go string header {ptr, len} at addr; nullopt if unreadable or longer than maxLen.
  std::optional<std::string> goString(uint64_t addr, size_t maxLen = bounds::kMaxString);
  std::optional<std::string> bytes(uint64_t ptr, size_t len);

  // Bytes the engine put together itself (a value whose DWARF pieces lie in registers or in
  // separate stack slots) at an address of their own, where reads then find them. That
  // range is not canonical on amd64: no target address is ever in it. Kept until the stop
  // changes, at most kMaxScratch bytes (then 0: nothing made).
  uint64_t scratch(const std::string& bytes);
  static bool isScratch(uint64_t addr) { return addr >= kScratchBase; }
  // Drops them: at the start of each command, which alone holds their addresses.
  void clearScratch() { scratch_.clear(); }

  Target& target() { return target_; }
  // Where the target cannot be read, a second source: the executable's own file-backed
  // sections (a core omits mappings the process never wrote).
  using Fallback = std::function<bool(uint64_t addr, void* buf, size_t n)>;
  void setFallback(Fallback f) { fallback_ = std::move(f); }
  const Fallback& fallback() const { return fallback_; }
  // Drops every cached page if the target has run since the last call.
  void syncStop();

  // For a thread other than the command's: reads only through Target::readConcurrently
  // and the fallback, never the debugger; a read that would have needed it fails and is
  // remembered, and the work that made it is done again on the command's thread.
  void setConcurrent() { concurrent_ = true; }
  bool missed() const { return missed_; }
  void clearMissed() { missed_ = false; }

 private:
  static constexpr uint64_t kPage = 4096;
  static constexpr uint64_t kScratchBase = 0xfffe'0000'0000'0000ull;
  static constexpr size_t kMaxScratch = size_t{1} << 20;
  std::string scratch_;  // at kScratchBase
  // At most this many pages are kept (32 MiB); past it the cache starts afresh. Goroutines
  // are read one after another, so recency matters more than a precise LRU.
  static constexpr size_t kMaxPages = 8192;
  struct Page {
    bool ok = false;
    std::array<uint8_t, kPage> data;
  };
  const Page& page(uint64_t base);

  bool readTarget(uint64_t addr, void* buf, size_t n);

  Target& target_;
  Fallback fallback_;
  bool concurrent_ = false, missed_ = false;
  uint64_t stopId_ = ~0ull;
  std::unordered_map<uint64_t, std::unique_ptr<Page>> pages_;
};

}  // namespace goinspect
