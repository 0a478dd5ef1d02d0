#include "lldb_target.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <string_view>

namespace goinspect {

namespace {
std::optional<uint64_t> reg(lldb::SBFrame& frame, const char* name) {
  lldb::SBValue v = frame.FindRegister(name);
  if (!v.IsValid()) return std::nullopt;
  lldb::SBError err;
  uint64_t x = v.GetValueAsUnsigned(err, 0);
  if (err.Fail()) return std::nullopt;
  return x;
}
}  // namespace

const CoreFile* LldbTarget::findCoreFile() {
  lldb::SBProcess proc = target_.GetProcess();
  if (!proc.IsValid()) return nullptr;
  coreLooked_ = true;
  if (!proc.GetPluginName() || std::string_view(proc.GetPluginName()) != "elf-core") return nullptr;
  lldb::SBFileSpec fs = proc.GetCoreFile();
  char path[4096];
  if (!fs.IsValid() || !fs.GetPath(path, sizeof path)) return nullptr;
  try {
    auto core = std::make_unique<CoreFile>(path);
    // The file must still be the one LLDB opened: its first thread's stack top reads the
    // same both ways (a core replaced on disk since would not).
    if (core->threads().empty() || !core->threads()[0].regs) return nullptr;
    uint64_t sp = core->threads()[0].regs->sp;
    uint8_t ours[64], lldbs[64];
    lldb::SBError err;
    if (!core->read(sp, ours, sizeof ours) || proc.ReadMemory(sp, lldbs, sizeof lldbs, err) != sizeof lldbs ||
        std::memcmp(ours, lldbs, sizeof ours) != 0)
      return nullptr;
    core_ = std::move(core);
  } catch (const std::exception&) {
    // Not a core we can map (another architecture, unreadable): LLDB reads it, as before.
  }
  return core_.get();
}

LldbTarget::~LldbTarget() {
  if (live_ && live_->fd >= 0) ::close(live_->fd);
}

LldbTarget::Live* LldbTarget::live() {
  if (!liveLooked_) {
    liveLooked_ = true;
    lldb::SBProcess proc = target_.GetProcess();
    lldb::SBPlatform platform = target_.GetPlatform();
    bool host = platform.IsValid() && platform.GetName() && std::string_view(platform.GetName()) == "host";
    if (proc.IsValid() && host && proc.GetPluginName() && std::string_view(proc.GetPluginName()) != "elf-core") {
      int fd = ::open(fmt::format("/proc/{}/mem", proc.GetProcessID()).c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0) {
        live_ = std::make_unique<Live>();
        live_->fd = fd;
        listCode(stopId());
      }
    }
  }
  return live_.get();
}

void LldbTarget::listCode(uint64_t stop) {
  if (!live_ || live_->stop == stop) return;
  // The code ranges as of this stop: a module loaded since adds its own.
  live_->stop = stop;
  live_->code.clear();
  for (uint32_t m = 0; m < target_.GetNumModules(); m++) {
    lldb::SBModule mod = target_.GetModuleAtIndex(m);
    std::vector<lldb::SBSection> todo;
    for (uint32_t i = 0; i < mod.GetNumSections(); i++) todo.push_back(mod.GetSectionAtIndex(i));
    while (!todo.empty()) {
      lldb::SBSection sec = todo.back();
      todo.pop_back();
      for (uint32_t i = 0; i < sec.GetNumSubSections(); i++) todo.push_back(sec.GetSubSectionAtIndex(i));
      if (sec.GetSectionType() != lldb::eSectionTypeCode || !sec.GetByteSize()) continue;
      lldb::addr_t a = sec.GetLoadAddress(target_);
      if (a != LLDB_INVALID_ADDRESS) live_->code.push_back({a, a + sec.GetByteSize()});
    }
  }
  std::sort(live_->code.begin(), live_->code.end());
}

bool LldbTarget::readLive(const Live& l, uint64_t addr, void* buf, size_t size) const {
  if (size == 0) return true;
  if (addr + size < addr || addr > uint64_t(INT64_MAX) - size) return false;  // pread's offset is signed
  // Not where any code range starts below the read's end and ends above its start.
  auto it = std::lower_bound(l.code.begin(), l.code.end(), std::pair{addr + size, uint64_t{0}});
  if (it != l.code.begin() && std::prev(it)->second > addr) return false;
  ssize_t n = ::pread(l.fd, buf, size, static_cast<off_t>(addr));
  return n == static_cast<ssize_t>(size);
}

bool LldbTarget::concurrentReads() { return coreFile() || live(); }

bool LldbTarget::readConcurrently(uint64_t addr, void* buf, size_t size) {
  if (core_) return core_->read(addr, buf, size);
  return live_ && live_->fd >= 0 && readLive(*live_, addr, buf, size);
}

const uint8_t* LldbTarget::inPlace(uint64_t addr, size_t size) {
  const CoreFile* core = coreFile();
  return core ? core->inPlace(addr, size) : nullptr;
}

bool LldbTarget::readMemory(uint64_t addr, void* buf, size_t size) {
  // The core's dumped bytes are what LLDB would read; LLDB still reads the rest (file-backed
  // mappings the kernel left out of the core).
  if (const CoreFile* core = coreFile(); core && core->read(addr, buf, size)) return true;
  if (const Live* l = coreFile() ? nullptr : live(); l && readLive(*l, addr, buf, size)) return true;
  lldb::SBProcess proc = target_.GetProcess();
  if (!proc.IsValid()) return false;
  lldb::SBError err;
  size_t n = proc.ReadMemory(addr, buf, size, err);
  return err.Success() && n == size;
}

std::vector<ThreadInfo> LldbTarget::threads() {
  std::vector<ThreadInfo> out;
  lldb::SBProcess proc = target_.GetProcess();
  if (!proc.IsValid()) return out;
  uint32_t n = proc.GetNumThreads();
  lldb::tid_t selected = proc.GetSelectedThread().IsValid() ? proc.GetSelectedThread().GetThreadID() : 0;
  for (uint32_t i = 0; i < n; i++) {
    lldb::SBThread t = proc.GetThreadAtIndex(i);
    if (!t.IsValid()) continue;
    ThreadInfo ti;
    ti.tid = t.GetThreadID();
    ti.index = t.GetIndexID();
    ti.selected = ti.tid == selected;
    lldb::SBFrame f = t.GetFrameAtIndex(0);
    if (f.IsValid()) {
      auto pc = reg(f, "rip"), sp = reg(f, "rsp"), fp = reg(f, "rbp");
      if (pc && sp) {
        Registers r;
        r.pc = *pc;
        r.sp = *sp;
        r.fp = fp.value_or(0);
        r.fsBase = reg(f, "fs_base");
        for (size_t k = 0; k < kDwarfGprNames.size(); k++) r.gpr[k] = reg(f, kDwarfGprNames[k]);
        ti.regs = r;
      }
    }
    out.push_back(ti);
  }
  return out;
}

std::optional<uint64_t> LldbTarget::lookupSymbol(const std::string& name) {
  lldb::SBSymbolContextList list = target_.FindSymbols(name.c_str(), lldb::eSymbolTypeAny);
  for (uint32_t i = 0; i < list.GetSize(); i++) {
    lldb::SBSymbol sym = list.GetContextAtIndex(i).GetSymbol();
    if (!sym.IsValid()) continue;
    lldb::addr_t a = sym.GetStartAddress().GetLoadAddress(target_);
    if (a != LLDB_INVALID_ADDRESS) return a;
  }
  return std::nullopt;
}

std::string LldbTarget::executablePath() {
  lldb::SBFileSpec fs = target_.GetExecutable();
  if (!fs.IsValid()) return "";
  char buf[4096];
  uint32_t n = fs.GetPath(buf, sizeof buf);
  return n ? std::string(buf, n) : std::string();
}

namespace {

std::string pathOf(const lldb::SBFileSpec& fs) {
  if (!fs.IsValid()) return "";
  char buf[4096];
  uint32_t n = fs.GetPath(buf, sizeof buf);
  return n ? std::string(buf, n) : std::string();
}

}  // namespace

// The symbol file LLDB reads the executable's debug info from: the one `target symbols add`
// gave, or the separate debug file LLDB found itself (the executable itself when it has its
// own; the engine then ignores it).
std::string LldbTarget::symbolFile() {
  lldb::SBModule m = target_.FindModule(target_.GetExecutable());
  return m.IsValid() ? pathOf(m.GetSymbolFileSpec()) : "";
}

// target.debug-file-search-paths, then /usr/lib/debug (LLDB's own default).
std::vector<std::string> LldbTarget::debugDirectories() {
  std::vector<std::string> dirs;
  lldb::SBStructuredData paths = target_.GetDebugger().GetSetting("target.debug-file-search-paths");
  for (size_t i = 0; paths.IsValid() && i < paths.GetSize(); i++) {
    char buf[4096];
    size_t n = paths.GetItemAtIndex(i).GetStringValue(buf, sizeof buf);
    if (n) dirs.emplace_back(buf, std::min(n, sizeof buf - 1));
  }
  dirs.push_back("/usr/lib/debug");
  return dirs;
}

uint64_t LldbTarget::loadBias() {
  lldb::SBFileSpec exe = target_.GetExecutable();
  lldb::SBModule m = target_.FindModule(exe);
  if (!m.IsValid()) return 0;
  lldb::SBAddress hdr = m.GetObjectFileHeaderAddress();
  lldb::addr_t load = hdr.GetLoadAddress(target_);
  lldb::addr_t file = hdr.GetFileAddress();
  if (load == LLDB_INVALID_ADDRESS || file == LLDB_INVALID_ADDRESS) return 0;
  return load - file;
}

uint64_t LldbTarget::stopId() {
  lldb::SBProcess proc = target_.GetProcess();
  if (!proc.IsValid()) return 0;
  uint64_t id = (static_cast<uint64_t>(proc.GetUniqueID()) << 32) ^ proc.GetStopID();
  // The engine asks at the start of every command, before it reads: the live reads' code
  // ranges are renewed here, on the command's thread, never while other threads read.
  listCode(id);
  return id;
}

std::optional<int64_t> LldbTarget::monotonicNow() {
  // Only a live process on this host shares our clock: not a core, not a remote target.
  lldb::SBProcess proc = target_.GetProcess();
  if (!proc.IsValid() || !proc.GetPluginName() || std::string_view(proc.GetPluginName()) == "elf-core")
    return std::nullopt;
  lldb::SBPlatform platform = target_.GetPlatform();
  if (!platform.IsValid() || !platform.GetName() || std::string_view(platform.GetName()) != "host")
    return std::nullopt;
  timespec ts{};
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return std::nullopt;
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace goinspect
