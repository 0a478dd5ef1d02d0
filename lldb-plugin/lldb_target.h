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
  void reset(lldb::SBTarget target) { target_ = target; }

  bool readMemory(uint64_t addr, void* buf, size_t size) override;
  const uint8_t* inPlace(uint64_t addr, size_t size) override;
  // On a core we map, other threads read its bytes in place; the SB API stays on the
  // command's thread.
  ThreadReads threadReads() override { return coreFile() ? ThreadReads::kInPlace : ThreadReads::kNone; }
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
};

}  // namespace goinspect
