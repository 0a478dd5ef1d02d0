// An ELF core file mapped whole: its PT_LOAD segments (the process's memory as dumped), its
// threads' registers (NT_PRSTATUS) and where the executable's program headers were (AT_PHDR).
//
//   CoreFile core("/path/core");                  // throws Error
//   const uint8_t* p = core.inPlace(addr, n);     // the dumped bytes, or nullptr
//
// The CLI's CoreTarget reads everything from it; a debugger's Target on a core uses it to
// hand the engine the bytes in place (no copy through the debugger's API).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "target.h"

namespace goinspect {

class CoreFile {
 public:
  explicit CoreFile(const std::string& path);
  ~CoreFile();
  CoreFile(const CoreFile&) = delete;
  CoreFile& operator=(const CoreFile&) = delete;

  // The `size` bytes at `addr` when one segment dumped them all; else nullptr. Valid while
  // this object lives.
  const uint8_t* inPlace(uint64_t addr, size_t size) const;
  // Exactly `size` bytes at `addr`, across segments; false if any byte was not dumped.
  bool read(uint64_t addr, void* buf, size_t size) const;

  const std::vector<ThreadInfo>& threads() const { return threads_; }
  uint64_t phdrAddr() const { return phdrAddr_; }  // AT_PHDR; 0 if the core has no auxv

 private:
  struct Segment {
    uint64_t vaddr, filesz, memsz, offset;
  };
  const Segment* segmentOf(uint64_t addr) const;
  int fd_ = -1;
  const uint8_t* map_ = nullptr;
  size_t size_ = 0;
  std::vector<Segment> segs_;
  std::vector<ThreadInfo> threads_;
  uint64_t phdrAddr_ = 0;
};

}  // namespace goinspect
