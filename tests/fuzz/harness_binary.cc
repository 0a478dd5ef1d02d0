// The binary harness: a fixture executable, damaged as the input says (binary_input.h),
// through what the engine does with an executable, as it does it: ElfFile, build info,
// the pclntab and its lookups, layouts (DWARF or the built-in tables), GoProgram::load on a
// Target serving the image's own segments, and the stripped-globals search.
//
// Only goinspect::Error is caught: the engine's way of saying "this input is broken". Any
// other exception, a crash, a sanitizer report, a hang or an allocation past libFuzzer's
// limits is a finding.
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "binary_input.h"
#include "binary_seed.h"
#include "binary_target.h"
#include "buildinfo.h"
#include "elf_file.h"
#include "errors.h"
#include "goprogram.h"
#include "harness.h"
#include "layouts.h"
#include "pclntab.h"
#include "stripped.h"

namespace goinspect::fuzz {

namespace {

// Everything the engine hands back is read, so that a view pointing outside its table is
// seen by ASan here and not only where a command would print it.
struct Sink {
  uint64_t h = 0;
  void add(uint64_t v) { h = h * 31 + v; }
  void add(std::string_view s) {
    for (char c : s) add(static_cast<uint8_t>(c));
  }
  void add(std::span<const uint8_t> b) {
    for (uint8_t c : b) add(c);
  }
};

constexpr uint32_t kValues32[] = {
    0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 44, 63, 64, 127, 128, 255, 256, 1023, 1024, 4095, 4096,
    0x7fff, 0x8000, 0xffff, 0x10000, 0x100000, 0x7fffffff, 0x80000000, 0xfffffff0, 0xfffffffe, 0xffffffff};
constexpr uint64_t kValues64[] = {
    0x100000000ull, 0xffffffffull, 1ull << 40, 0x7fffffffffffffffull, 1ull << 63, ~0ull, ~0ull - 7,
    0x400000, 0x401000, Seed::kPieBias, Seed::kPieBias + 0x401000, 0x7ffffffff000ull};

// Sizes and offsets of this seed: a count or offset that is almost right is the dangerous kind.
uint64_t interesting(bool wide, uint8_t idx, const Region& r, uint64_t off, uint64_t fileSize) {
  const uint64_t dynamic[] = {r.size, r.size - 1, r.size + 1, r.size / 8, off - r.off, fileSize, fileSize - 1,
                              fileSize + 1, r.off, r.off + r.size};
  const size_t n32 = std::size(kValues32), nd = std::size(dynamic);
  const size_t n = n32 + nd + (wide ? std::size(kValues64) : 0);
  size_t i = idx % n;
  if (i < n32) return kValues32[i];
  if (i < n32 + nd) return dynamic[i - n32];
  return kValues64[i - n32 - nd];
}

uint64_t readCurrent(const SeedImage& img, uint64_t off, size_t n) {
  uint64_t v = 0;
  if (off < img.currentSize()) std::memcpy(&v, img.current() + off, std::min<uint64_t>(n, img.currentSize() - off));
  return v;
}

// Applies one patch; says whether it can have changed what DWARF says.
struct Applied {
  bool touchesDwarf = false;
  std::vector<uint32_t> funcs;  // functions whose own structures were patched: look at them
  uint64_t truncateAt = ~0ull;
};

void apply(const Seed& s, SeedImage& img, const Patch& p, Applied& a) {
  Region r = s.resolve(img, p.at);
  if (r.size == 0) return;
  const uint64_t size = img.original().size();
  if (isDebug(p.at.structure) || p.at.structure == kWholeFile || p.at.structure == kElfHeader ||
      p.at.structure == kSectionHeaders || p.at.structure == kShstrtab)
    a.touchesDwarf = true;
  if (isFunctionScoped(p.at.structure)) a.funcs.push_back(s.funcIndex(p.at));
  if (p.op == kTruncate) {
    a.truncateAt = std::min(a.truncateAt, r.off + p.at.offset % (r.size + 1));
    a.touchesDwarf = true;
    return;
  }
  const uint64_t off = r.off + p.at.offset % r.size;
  auto put = [&](uint64_t v, size_t n) { img.write(off, &v, n); };
  auto where = [&](const Place& q) -> std::optional<uint64_t> {
    Region o = s.resolve(img, q);
    if (o.size == 0) return std::nullopt;
    return o.off + q.offset % o.size;
  };
  switch (p.op) {
    case kSetByte: put(p.operand, 1); break;
    case kXorByte: put(readCurrent(img, off, 1) ^ p.operand, 1); break;
    case kInteresting32: put(interesting(false, p.operand, r, off, size), 4); break;
    case kInteresting64: put(interesting(true, p.operand, r, off, size), 8); break;
    case kRaw32: put(p.operand, 4); break;
    case kRaw64: put(p.operand, 8); break;
    case kAdd32: put(readCurrent(img, off, 4) + static_cast<int8_t>(p.operand), 4); break;
    case kAdd64: put(readCurrent(img, off, 8) + static_cast<int8_t>(p.operand), 8); break;
    case kOffsetOf32: {
      Place base;
      base.structure = p.base;
      Region b = s.resolve(img, base);
      if (auto t = where(p.other)) put(*t - b.off, 4);
      break;
    }
    case kAddressOf64:
      if (auto t = where(p.other)) put(img.addressOf(*t).value_or(*t), 8);
      break;
    case kCopy:
      if (auto t = where(p.other); t && *t < size)
        img.write(off, img.original().data() + *t, std::min<uint64_t>(p.operand, size - *t));
      break;
    case kFill: {
      std::vector<uint8_t> b(p.operand, p.fill);
      img.write(off, b.data(), b.size());
      break;
    }
  }
  if (isDebug(p.at.structure) && p.op == kCopy) a.touchesDwarf = true;
}

// Lookups on the pclntab, at link-time pcs.
void queryPcln(const PcLnTab& tab, const std::vector<uint64_t>& pcs, bool everyFunc, Sink& sink) {
  sink.add(tab.numFuncs());
  sink.add(tab.minPc());
  sink.add(tab.maxPc());
  auto at = [&](uint64_t pc) {
    const Func* f = tab.findFunc(pc);
    if (!f) return;
    sink.add(tab.funcName(*f));
    auto [file, line] = tab.fileLine(*f, pc);
    sink.add(file);
    sink.add(static_cast<uint64_t>(line));
    sink.add(static_cast<uint64_t>(tab.spDelta(*f, pc)));
    for (uint32_t k = 0; k < 4; k++) sink.add(static_cast<uint64_t>(tab.pcdata(*f, k, pc).value_or(-7)));
    for (uint32_t k = 0; k < 8; k++) sink.add(tab.funcdataOffset(*f, k).value_or(7));
    sink.add(tab.funcdata(*f, kFuncdataOpenCodedDeferInfo, 64));
    for (const LogicalFrame& lf : tab.expand(*f, pc)) {
      sink.add(lf.function);
      sink.add(lf.file);
      sink.add(static_cast<uint64_t>(lf.line) + lf.funcID);
    }
  };
  for (uint64_t pc : pcs) at(pc);
  if (everyFunc)
    for (size_t i = 0; i < tab.numFuncs(); i++) at(tab.funcAt(i)->entry);
  for (size_t i = 0; i < kNamedFuncCount; i++)
    if (const Func* f = tab.funcByName(kNamedFuncs[i])) sink.add(f->entry);
}

void queryLayouts(const Layouts& lay, Sink& sink) {
  static const std::pair<const char*, const char*> kFields[] = {
      {"runtime.g", "goid"}, {"runtime.g", "atomicstatus"}, {"runtime.g", "sched.pc"}, {"runtime.g", "stack.lo"},
      {"runtime.g", "m"}, {"runtime.m", "id"}, {"runtime.m", "alllink"}, {"runtime.m", "g0"},
      {"runtime.p", "id"}, {"runtime.schedt", "mnext"}, {"runtime.moduledata", "text"},
      {"runtime.moduledata", "gofunc"}, {"runtime.mstats", "heapStats.stats"}, {"runtime.hchan", "recvq.first"}};
  for (auto [t, f] : kFields)
    if (auto fi = lay.field(t, f)) {
      sink.add(fi->offset + fi->size);
      sink.add(fi->type);
    }
  for (const char* t : {"runtime.g", "runtime.moduledata", "runtime.heapStatsDelta", "uintptr"})
    sink.add(lay.size(t).value_or(7));
  for (const char* c : {"runtime._Grunning", "runtime._Gscan", "internal/abi.FuncIDWrapper"})
    sink.add(static_cast<uint64_t>(lay.constant(c).value_or(7)));
  sink.add(lay.source());
}

void queryProgram(const GoProgram& prog, Memory& mem, const std::vector<uint64_t>& pcs, bool everyFunc,
                  bool searchGlobals, Sink& sink) {
  queryPcln(prog.pcln(), pcs, everyFunc, sink);
  for (uint64_t pc : pcs)
    if (const Func* f = prog.findFunc(pc + prog.bias())) sink.add(prog.entry(*f) + prog.funcName(*f).size());
  queryLayouts(prog.layouts(), sink);
  sink.add(prog.goVersion());
  sink.add(prog.goos());
  sink.add(prog.goarch());
  if (const auto& bi = prog.buildInfo()) {
    sink.add(bi->path);
    for (const auto& [k, v] : bi->settings) sink.add(k + v);
  }
  for (const char* g : {"runtime.allgs", "runtime.allglen", "runtime.allm", "runtime.allp", "runtime.sched",
                        "runtime.firstmoduledata", "runtime.buildVersion", "runtime.memstats"}) {
    sink.add(prog.global(g).value_or(7));
    sink.add(prog.globalSize(g).value_or(7));
  }
  if (auto v = prog.global("runtime.buildVersion")) sink.add(mem.goString(*v).value_or(""));
  for (const char* t : {"runtime.g", "runtime.moduledata"}) try {
      sink.add(prog.sizeOf(t));
    } catch (const Error&) {
    }
  sink.add(prog.funcIDs().wrapper);
  // GoProgram::load searched already when the file had no symbols; a file with them is
  // searched too, as GOINSPECT_DISCOVER_GLOBALS makes it.
  if (searchGlobals && prog.elf().symbol("runtime.allgs"))
    for (auto& [name, at] : discoverGlobals(prog, mem)) sink.add(at.first + name.size());
  for (uint64_t a : codeDataRefs(prog, "runtime.allgadd")) sink.add(a);
}

// When GoProgram::load gave up: the pieces it did not reach, on their own.
void queryParts(const std::string& path, const std::vector<uint64_t>& pcs, bool everyFunc, Sink& sink) {
  std::unique_ptr<ElfFile> elf;
  try {
    elf = ElfFile::open(path);
  } catch (const Error&) {
    return;
  }
  for (const ElfSection& s : elf->sections()) sink.add(s.name);
  sink.add(elf->symbol("runtime.allgs").value_or(7));
  std::string version;
  if (auto bi = readBuildInfo(*elf)) {
    version = bi->goVersion;
    if (auto v = parseGoVersion(version)) sink.add(v->second);
  }
  try {
    if (auto lay = Layouts::load(*elf, version)) queryLayouts(*lay, sink);
  } catch (const Error&) {
  }
  const ElfSection* pcln = elf->section(".gopclntab");
  if (!pcln) pcln = elf->section(".data.rel.ro.gopclntab");
  const ElfSection* text = elf->section(".text");
  if (!pcln || !text) return;
  try {
    auto tab = PcLnTab::parse(pcln->data, text->addr);
    queryPcln(*tab, pcs, everyFunc, sink);
  } catch (const Error&) {
  }
}

}  // namespace

void runBinaryInput(const uint8_t* data, size_t size) {
  InputReader in(data, size);
  const BinaryInput input = BinaryInput::parse(in);
  Seed& s = seed(input.seed);
  SeedImage& img = s.image(!input.flags.compressedDebug());
  img.begin();
  Applied a;
  for (const Patch& p : input.patches) apply(s, img, p, a);
  img.truncate(a.truncateAt);

  // The pcs looked at: inside each named runtime function, at the entry and at the last
  // byte of each patched function and in its middle, and the input's own.
  std::vector<uint64_t> pcs;
  for (uint32_t i : s.namedFuncs()) {
    const FuncPlaces& f = s.func(i);
    pcs.push_back(f.entry + (f.end - f.entry) / 3);
  }
  for (uint32_t i : a.funcs) {
    const FuncPlaces& f = s.func(i);
    pcs.insert(pcs.end(), {f.entry, f.entry + (f.end - f.entry) / 2, f.end - 1});
  }
  for (uint32_t v : input.pcs) pcs.push_back(s.textLo() + v % s.textSize());

  // DWARF is the slowest thing the engine reads (libdw indexes every unit). When no patch
  // can have changed it, the built-in table for the seed's release says the same (both come
  // from the same DWARF, scripts/gen-layouts.sh), at a fraction of the cost.
  if (s.hasDwarf() && !a.touchesDwarf && !input.flags.fullDwarf())
    setenv("GOINSPECT_LAYOUT_TABLE", s.release().c_str(), 1);
  else
    unsetenv("GOINSPECT_LAYOUT_TABLE");

  const bool stale = input.flags.staleMemory();
  ImageTarget target(img.path(), stale ? img.original().data() : img.current(),
                     stale ? img.original().size() : img.currentSize(), s.bias(), &s.relocations());
  if (input.flags.noMemory()) target.disableMemory();
  Memory mem(target);
  Sink sink;
  const bool everyFunc = input.flags.everyFunc();
  std::unique_ptr<GoProgram> prog;
  try {
    prog = GoProgram::load(target, mem);
  } catch (const Error& e) {
    sink.add(e.what());
  }
  if (prog) {
    try {
      queryProgram(*prog, mem, pcs, everyFunc, input.flags.searchGlobals(), sink);
    } catch (const Error& e) {
      sink.add(e.what());
    }
  } else {
    queryParts(img.path(), pcs, everyFunc, sink);
  }
  unsetenv("GOINSPECT_LAYOUT_TABLE");
  static volatile uint64_t keep [[maybe_unused]];
  keep = sink.h;
}

}  // namespace goinspect::fuzz
