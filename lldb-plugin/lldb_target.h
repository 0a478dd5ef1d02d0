// The engine's Target on top of LLDB's SB API: a live process, an attached one, or a core.
#pragma once

#include <lldb/API/LLDB.h>

#include <memory>

#include "core_file.h"
#include "target.h"

namespace goinspect {

class LldbTarget : public Target {
 public:
  explicit LldbTarget(lldb::SBTarget target) : target_(target) {}
  ~LldbTarget() override;
  void reset(lldb::SBTarget target) { target_ = target; }

  bool readMemory(uint64_t addr, void* buf, size_t size) override;
  const uint8_t* inPlace(uint64_t addr, size_t size) override;
  // A core we map, or a live process's /proc/PID/mem: any thread reads those; the SB API
  // stays on the command's thread.
  bool readConcurrently(uint64_t addr, void* buf, size_t size) override;
  bool concurrentReads() override;
  std::vector<ThreadInfo> threads() override;
  std::optional<uint64_t> lookupSymbol(const std::string& name) override;
  std::string executablePath() override;
  std::string symbolFile() override;
  std::vector<std::string> debugDirectories() override;
  uint64_t loadBias() override;
  uint64_t stopId() override;
  std::optional<int64_t> monotonicNow() override;

 private:
  // On a core, the core file mapped whole: the engine reads its bytes in place, not copied
  // through SBProcess::ReadMemory. Null for a live process, or a core we cannot map. Looked
  // for once: the plugin keeps one LldbTarget per process (plugin.cc sessionFor).
  const CoreFile* coreFile() { return coreLooked_ ? core_.get() : findCoreFile(); }
  const CoreFile* findCoreFile();
  lldb::SBTarget target_;
  std::unique_ptr<CoreFile> core_;
  bool coreLooked_ = false;

  // A live process on this machine: its memory read with pread(2) from /proc/PID/mem, a
  // system call where LLDB's read is a round trip to lldb-server. Not in code, where LLDB
  // hides the breakpoints it inserted: those ranges (every module's code sections, as of
  // the stop) go through LLDB. fd -1 where the file cannot be opened (another user's
  // process): then LLDB reads everything, as before.
  struct Live {
    int fd = -1;
    uint64_t stop = ~0ull;  // the stop `code` was listed at
    std::vector<std::pair<uint64_t, uint64_t>> code;  // [start, end), sorted
  };
  Live* live();
  void listCode(uint64_t stop);
  bool readLive(const Live& l, uint64_t addr, void* buf, size_t size) const;
  std::unique_ptr<Live> live_;
  bool liveLooked_ = false;
};

}  // namespace goinspect
