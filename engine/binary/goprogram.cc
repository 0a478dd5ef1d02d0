#include "goprogram.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <sys/stat.h>

#include "stripped.h"

namespace goinspect {

namespace {
constexpr uint16_t kEmX86_64 = 62;
}

std::shared_ptr<const ElfFile> ExecutableCache::elf(const std::string& path, const DebugSearch& debug) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return ElfFile::open(path, debug);  // throws the reason
  auto& [size, mtime, file] = elfs_[{path, debug}];
  int64_t m = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  if (!file || size != static_cast<int64_t>(st.st_size) || mtime != m) {
    // What was made from the old file goes first (a GoProgram still using it keeps its own).
    layouts_.clear();
    pclns_.clear();
    file = ElfFile::open(path, debug);
    size = static_cast<int64_t>(st.st_size);
    mtime = m;
  }
  return file;
}

std::shared_ptr<const Layouts> ExecutableCache::layouts(const ElfFile& elf, const std::string& goVersion, bool table) {
  auto& l = layouts_[{&elf, goVersion, table}];
  if (!l) l = table ? Layouts::fromTable(goVersion) : Layouts::load(elf, goVersion);
  return l;
}

std::shared_ptr<const PcLnTab> ExecutableCache::pcln(const ElfFile& elf, std::span<const uint8_t> data,
                                                     uint64_t textLink, uint64_t gofunc) {
  auto& t = pclns_[{&elf, data.data(), textLink, gofunc}];
  if (!t) {
    std::shared_ptr<PcLnTab> tab = PcLnTab::parse(data, textLink);
    if (gofunc) {
      const ElfFile* e = &elf;
      tab->setGoFunc(gofunc, [e](uint64_t addr, uint64_t size) { return e->bytesAt(addr, size); });
    }
    t = std::move(tab);
  }
  return t;
}

namespace {

// The build ID a note section holds (the Go one is "actionID/contentID"), printable.
std::string noteText(std::span<const uint8_t> note) {
  if (note.size() < 12) return "?";
  uint32_t namesz, descsz;
  std::memcpy(&namesz, note.data(), 4);
  std::memcpy(&descsz, note.data() + 4, 4);
  uint64_t at = 12 + ((uint64_t{namesz} + 3) & ~uint64_t{3});
  if (at > note.size() || descsz > note.size() - at) return "?";
  std::string out;
  for (uint8_t c : note.subspan(at, descsz)) out += (c >= 0x20 && c < 0x7f) ? std::string(1, char(c)) : fmt::format("{:02x}", c);
  return out;
}

}  // namespace

// A core or process of another build of the program (rebuilt since the core was written)
// would be read at the wrong addresses, and every answer would be wrong with full
// confidence. The build-ID notes sit in the first page of the text mapping, which a core
// keeps (coredump_filter's ELF-headers bit, on by default): where the target holds them
// they must be the file's. The target's own bytes only, never the file's through Memory.
void GoProgram::checkSameBuild(const ElfFile& elf, Target& target, uint64_t bias) {
  for (const char* name : {".note.go.buildid", ".note.gnu.build-id"}) {
    const ElfSection* s = elf.section(name);
    if (!s || s->data.empty() || s->data.size() > 4096) continue;
    std::vector<uint8_t> mem(s->data.size());
    if (!target.readMemory(s->addr + bias, mem.data(), mem.size())) continue;
    if (std::equal(mem.begin(), mem.end(), s->data.begin())) continue;
    throw Error(fmt::format("{} is not the executable this target runs: its build ID is {}, the target's is {} "
                            "(rebuilt since the core was written?); give the executable that made it",
                            elf.path(), noteText(s->data), noteText(mem)));
  }
}

std::unique_ptr<GoProgram> GoProgram::load(Target& target, Memory& mem, ExecutableCache* cache) {
  std::unique_ptr<GoProgram> p(new GoProgram());
  p->target_ = &target;
  std::string exe = target.executablePath();
  if (exe.empty()) throw Error("the target has no executable: create the target with its executable");
  DebugSearch debug{.file = target.symbolFile(), .dirs = target.debugDirectories()};
  p->elf_ = cache ? cache->elf(exe, debug) : ElfFile::open(exe, debug);
  const ElfSection* pcln = p->pclntabSection();
  if (!pcln || pcln->data.empty())
    throw Error(exe + ": not a Go program (no pclntab section)");
  if (p->elf_->machine() != kEmX86_64)
    throw Error(exe + ": only linux/amd64 Go programs are supported");

  p->buildInfo_ = readBuildInfo(*p->elf_);
  if (p->buildInfo_) p->goVersion_ = p->buildInfo_->goVersion;
  p->bias_ = target.loadBias();
  checkSameBuild(*p->elf_, target, p->bias_);

  // Writable data the process never wrote is absent from a core; it is then what the
  // file holds. (Relocated PIE data was written by the loader, so it is in the core.)
  const ElfFile* elf = p->elf_.get();
  uint64_t bias = p->bias_;
  mem.setFallback([elf, bias](uint64_t addr, void* buf, size_t n) {
    auto b = elf->bytesAt(addr - bias, n);
    if (b.size() != n) return false;
    std::memcpy(buf, b.data(), n);
    return true;
  });

  if (p->goVersion_.empty()) {
    if (auto v = p->global("runtime.buildVersion")) p->goVersion_ = mem.goString(*v).value_or("");
  }
  // GOINSPECT_LAYOUT_TABLE=go1.NN forces a built-in table (a devel toolchain's binary whose
  // version names no table); it is checked against the target like any table.
  if (const char* forced = std::getenv("GOINSPECT_LAYOUT_TABLE"); forced && *forced)
    p->layouts_ = cache ? cache->layouts(*p->elf_, forced, true) : Layouts::fromTable(forced);
  else
    p->layouts_ = cache ? cache->layouts(*p->elf_, p->goVersion_, false) : Layouts::load(*p->elf_, p->goVersion_);
  if (!p->layouts_)
    throw Error(fmt::format("{}: no runtime layouts: the binary has no DWARF and there is no "
                            "built-in table for {}", exe, p->goVersion_.empty() ? "its Go version" : p->goVersion_));
  p->locateModuledata(mem, cache);
  p->resolveFuncIDs();
  // No symbol table (or forced, to test discovery against one): find the globals.
  if (!p->elf_->symbol("runtime.allgs") || std::getenv("GOINSPECT_DISCOVER_GLOBALS"))
    for (auto& [name, at] : discoverGlobals(*p, mem)) p->setDiscovered(name, at.first, at.second);
  return p;
}

const ElfSection* GoProgram::pclntabSection() const {
  // PIE builds before Go 1.26 keep it in the relro data.
  if (const ElfSection* s = elf_->section(".gopclntab")) return s;
  if (const ElfSection* s = elf_->section(".data.rel.ro.gopclntab")) return s;
  if (pclnInside_) return &*pclnInside_;
  // Externally linked (cgo) PIE before Go 1.26 has no section of its own: the table sits
  // inside the read-only data, found by runtime.pcheader or by its header (magic
  // 0xfffffff1, two zero pads, minLC 1, pointer size 8).
  static const uint8_t kHeader[] = {0xf1, 0xff, 0xff, 0xff, 0, 0, 1, 8};
  auto inside = [&](const ElfSection& sec, uint64_t addr) {
    ElfSection t = sec;
    t.name = sec.name + " (pclntab)";
    t.addr = addr;
    t.data = sec.data.subspan(addr - sec.addr);
    t.size = t.data.size();
    pclnInside_ = t;
    return &*pclnInside_;
  };
  auto sym = elf_->symbol("runtime.pcheader");
  for (const ElfSection& sec : elf_->sections()) {
    if (sec.data.empty() || !(sec.flags & 2 /*SHF_ALLOC*/) || (sec.flags & 4 /*SHF_EXECINSTR*/)) continue;
    if (sym && *sym >= sec.addr && *sym - sec.addr < sec.data.size()) return inside(sec, *sym);
    if (sym) continue;
    for (size_t i = 0; i + sizeof kHeader <= sec.data.size(); i += 8)
      if (std::equal(std::begin(kHeader), std::end(kHeader), sec.data.begin() + i)) return inside(sec, sec.addr + i);
  }
  return nullptr;
}

void GoProgram::locateModuledata(Memory& mem, ExecutableCache* cache) {
  const ElfSection* pcln = pclntabSection();
  uint64_t pclnAddr = pcln->addr + bias_;
  std::optional<uint64_t> md = global("runtime.firstmoduledata");
  if (!md) {
    // Stripped: moduledata.pcHeader (its first field) points at the pclntab.
    // firstmoduledata has its own section from Go 1.26 on, .noptrdata before.
    for (const char* name : {".go.module", ".noptrdata", ".data"}) {
      const ElfSection* s = elf_->section(name);
      if (!s || md) continue;
      // These sections have file contents (PROGBITS), so the file bounds them: sh_size
      // alone is a number anyone can write (the words themselves come from memory, where
      // a PIE's loader relocated them).
      std::vector<uint64_t> words(s->data.size() / 8);
      if (!mem.read(s->addr + bias_, words.data(), words.size() * 8)) continue;
      for (size_t i = 0; i < words.size(); i++)
        if (words[i] == pclnAddr) {
          md = s->addr + bias_ + i * 8;
          break;
        }
    }
  }
  uint64_t text = 0, gofunc = 0;
  if (md) {
    auto t = offOpt("runtime.moduledata", "text");
    auto g = offOpt("runtime.moduledata", "gofunc");
    if (t) text = mem.u64(*md + *t).value_or(0);
    if (g) gofunc = mem.u64(*md + *g).value_or(0);
    discovered_["runtime.firstmoduledata"] = {*md, sizeOf("runtime.moduledata")};
  }
  const ElfSection* textSec = elf_->section(".text");
  // Without moduledata, .text's start is runtime.text for internally linked programs.
  uint64_t textLink = text ? text - bias_ : (textSec ? textSec->addr : 0);
  uint64_t gofuncLink = gofunc ? gofunc - bias_ : 0;
  if (cache) {
    pcln_ = cache->pcln(*elf_, pcln->data, textLink, gofuncLink);
    return;
  }
  std::shared_ptr<PcLnTab> tab = PcLnTab::parse(pcln->data, textLink);
  if (gofunc) {
    const ElfFile* elf = elf_.get();
    tab->setGoFunc(gofuncLink, [elf](uint64_t addr, uint64_t size) { return elf->bytesAt(addr, size); });
  }
  pcln_ = std::move(tab);
}

void GoProgram::resolveFuncIDs() {
  auto id = [&](const char* name) -> int {
    const Func* f = pcln_->funcByName(name);
    return f ? f->funcID : FuncIDs::kNone;
  };
  ids_.systemstack = id("runtime.systemstack");
  ids_.systemstackSwitch = id("runtime.systemstack_switch");
  ids_.mstart = id("runtime.mstart");
  ids_.morestack = id("runtime.morestack");
  ids_.sigpanic = id("runtime.sigpanic");
  ids_.asyncPreempt = id("runtime.asyncPreempt");
  ids_.debugCallV2 = id("runtime.debugCallV2");
  ids_.gopanic = id("runtime.gopanic");
  ids_.panicwrap = id("runtime.panicwrap");
  ids_.goexit = id("runtime.goexit");
  ids_.rt0go = id("runtime.rt0_go");
  ids_.mcall = id("runtime.mcall");
  ids_.gogo = id("runtime.gogo");
  ids_.abort = id("runtime.abort");
  ids_.asmcgocall = id("runtime.asmcgocall");
  ids_.cgocallback = id("runtime.cgocallback");
  // FuncIDWrapper is declared right after FuncID_systemstack_switch in every release
  // (internal/abi/symtab.go), and no named function carries it.
  if (ids_.systemstackSwitch != FuncIDs::kNone) ids_.wrapper = ids_.systemstackSwitch + 1;
}

const Func* GoProgram::findFunc(uint64_t pc) const {
  if (pc < bias_) return nullptr;
  return pcln_->findFunc(pc - bias_);
}

uint64_t GoProgram::funcAddr(std::string_view name) const {
  const Func* f = pcln_->funcByName(name);
  return f ? f->entry + bias_ : 0;
}

std::optional<uint64_t> GoProgram::global(const std::string& name) const {
  if (auto it = discovered_.find(name); it != discovered_.end()) return it->second.first;
  if (auto a = elf_->symbol(name)) return *a + bias_;
  if (target_) return target_->lookupSymbol(name);
  return std::nullopt;
}

std::optional<uint64_t> GoProgram::globalSize(const std::string& name) const {
  if (auto it = discovered_.find(name); it != discovered_.end()) return it->second.second;
  return elf_->symbolSize(name);
}

void GoProgram::setDiscovered(const std::string& name, uint64_t addr, uint64_t size) {
  discovered_[name] = {addr, size};
}

uint64_t GoProgram::off(std::string_view type, std::string_view path) const {
  auto o = layouts_->offset(type, path);
  if (!o) throw Error(fmt::format("{} has no field {} in this Go release ({})", type, path, layouts_->source()));
  return *o;
}

uint64_t GoProgram::sizeOf(std::string_view type) const {
  auto s = layouts_->size(type);
  if (!s) throw Error(fmt::format("no layout for {} ({})", type, layouts_->source()));
  return *s;
}

std::string GoProgram::goos() const {
  if (buildInfo_) if (auto v = buildInfo_->setting("GOOS")) return *v;
  return "linux";
}

std::string GoProgram::goarch() const {
  if (buildInfo_) if (auto v = buildInfo_->setting("GOARCH")) return *v;
  return "amd64";
}

}  // namespace goinspect
