// A Target over an ELF core file and its executable, with no debugger: memory from the
// core's PT_LOAD segments, threads and registers from its NT_PRSTATUS notes.
//
//   auto t = CoreTarget::open("/path/exe", "/path/core");   // throws Error
//   Session s(*t);  runCommand(s, {"goroutines"});
//
// The engine's unit tests and the goinspect command-line tool use it; the debuggers have
// their own Targets. Executable bytes the core omits are filled in by GoProgram's fallback.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core_file.h"
#include "target.h"

namespace goinspect {

class CoreTarget : public Target {
 public:
  static std::unique_ptr<CoreTarget> open(const std::string& exe, const std::string& core);

  bool readMemory(uint64_t addr, void* buf, size_t size) override { return core_->read(addr, buf, size); }
  const uint8_t* inPlace(uint64_t addr, size_t size) override { return core_->inPlace(addr, size); }
  // A mapped file, read-only: any thread reads it.
  bool readConcurrently(uint64_t addr, void* buf, size_t size) override { return core_->read(addr, buf, size); }
  bool concurrentReads() override { return true; }
  std::vector<ThreadInfo> threads() override { return core_->threads(); }
  std::optional<uint64_t> lookupSymbol(const std::string&) override { return std::nullopt; }
  std::string executablePath() override { return exe_; }
  // The executable's separate debug file, as the CLI's --symbols names it.
  void setSymbolFile(std::string path) { symbolFile_ = std::move(path); }
  std::string symbolFile() override { return symbolFile_; }
  uint64_t loadBias() override { return bias_; }
  uint64_t stopId() override { return 1; }

 private:
  CoreTarget() = default;
  std::string exe_, symbolFile_;
  std::unique_ptr<CoreFile> core_;
  uint64_t bias_ = 0;
};

}  // namespace goinspect
