#include "binary_seed.h"

#include <elf.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "binary_target.h"
#include "harness.h"

namespace goinspect::fuzz {

const char* const kNamedFuncs[] = {
    // stripped.cc's discoverGlobals reads these functions' code.
    "runtime.allgadd", "runtime.mcommoninit", "runtime.procresize", "runtime.checkdead",
    "runtime.mcount", "runtime.schedtrace", "runtime.main", "runtime.newstack",
    "runtime.gcMarkTermination", "runtime.(*mcache).refill", "runtime.(*mheap).allocSpan",
    "runtime.goroutineheader",
    // GoProgram resolves these funcIDs by name; the unwinder stops or switches stacks at them.
    "runtime.gopark", "runtime.systemstack", "runtime.systemstack_switch", "runtime.mstart",
    "runtime.morestack", "runtime.goexit", "runtime.sigpanic", "runtime.asyncPreempt",
    "runtime.mcall", "runtime.rt0_go", "runtime.gogo", "runtime.gopanic", "runtime.schedule",
    "runtime.findRunnable", "runtime.gcBgMarkWorker", "main.main", "fmt.Fprintln",
};
const size_t kNamedFuncCount = std::size(kNamedFuncs);
static_assert(std::size(kNamedFuncs) > kSearchedFuncs);

namespace {

template <typename T>
bool readAt(const std::vector<uint8_t>& b, uint64_t off, T& out) {
  if (off > b.size() || b.size() - off < sizeof(T)) return false;
  std::memcpy(&out, b.data() + off, sizeof(T));
  return true;
}

std::vector<SectionInfo> parseSections(const std::vector<uint8_t>& b) {
  std::vector<SectionInfo> out;
  Elf64_Ehdr eh;
  if (!readAt(b, 0, eh)) return out;
  std::vector<Elf64_Shdr> sh(eh.e_shnum);
  for (size_t i = 0; i < sh.size(); i++)
    if (!readAt(b, eh.e_shoff + i * sizeof(Elf64_Shdr), sh[i])) return out;
  const Elf64_Shdr* names = eh.e_shstrndx < sh.size() ? &sh[eh.e_shstrndx] : nullptr;
  for (const Elf64_Shdr& s : sh) {
    SectionInfo si;
    if (names && names->sh_offset + s.sh_name < b.size())
      si.name = reinterpret_cast<const char*>(b.data() + names->sh_offset + s.sh_name);
    si.off = s.sh_offset;
    si.size = s.sh_type == SHT_NOBITS ? 0 : s.sh_size;
    si.addr = s.sh_addr;
    si.flags = s.sh_flags;
    si.type = s.sh_type;
    out.push_back(std::move(si));
  }
  return out;
}

// The file with every zlib-compressed section inflated and appended at its end, its section
// header rewritten to point there (cmd/link compresses .debug_*; see debug/elf's
// sectionReader for the Elf64_Chdr that precedes the stream).
std::vector<uint8_t> inflateDebug(std::vector<uint8_t> b) {
  Elf64_Ehdr eh;
  if (!readAt(b, 0, eh)) return b;
  for (size_t i = 0; i < eh.e_shnum; i++) {
    uint64_t at = eh.e_shoff + i * sizeof(Elf64_Shdr);
    Elf64_Shdr sh;
    Elf64_Chdr ch;
    if (!readAt(b, at, sh) || !(sh.sh_flags & SHF_COMPRESSED) || !readAt(b, sh.sh_offset, ch) ||
        ch.ch_type != ELFCOMPRESS_ZLIB || sh.sh_size < sizeof ch || sh.sh_offset + sh.sh_size > b.size())
      continue;
    std::vector<uint8_t> out(ch.ch_size);
    uLongf n = out.size();
    if (uncompress(out.data(), &n, b.data() + sh.sh_offset + sizeof ch, sh.sh_size - sizeof ch) != Z_OK ||
        n != out.size())
      throw std::runtime_error("fuzz seed: cannot inflate a debug section");
    sh.sh_offset = (b.size() + 7) & ~uint64_t{7};
    sh.sh_size = n;
    sh.sh_flags &= ~uint64_t{SHF_COMPRESSED};
    sh.sh_addralign = 1;
    std::memcpy(b.data() + at, &sh, sizeof sh);  // the header table is not moved
    b.resize(sh.sh_offset);
    b.insert(b.end(), out.begin(), out.end());
  }
  return b;
}

std::vector<uint8_t> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in)
    throw std::runtime_error("fuzz seed " + path + " is missing: build the fixtures (tests/unit/build-testbins.sh " +
                             seedDir() + ")");
  std::vector<uint8_t> b(static_cast<size_t>(in.tellg()));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(b.data()), static_cast<std::streamsize>(b.size()));
  return b;
}

Region sectionRegion(const SeedImage& img, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (const SectionInfo* s = img.section(n)) return {s->off, s->size};
  return {};
}

}  // namespace

SeedImage::SeedImage(std::vector<uint8_t> bytes, const std::string& name) : bytes_(std::move(bytes)) {
  sections_ = parseSections(bytes_);
  fd_ = memfd_create(name.c_str(), MFD_CLOEXEC);
  if (fd_ < 0 || ftruncate(fd_, static_cast<off_t>(bytes_.size())) != 0)
    throw std::runtime_error("fuzz seed: cannot make a memfd");
  void* m = mmap(nullptr, bytes_.size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (m == MAP_FAILED) throw std::runtime_error("fuzz seed: cannot map the memfd");
  map_ = static_cast<uint8_t*>(m);
  std::memcpy(map_, bytes_.data(), bytes_.size());
  size_ = bytes_.size();
  path_ = "/proc/self/fd/" + std::to_string(fd_);
}

SeedImage::~SeedImage() {
  if (map_) munmap(map_, bytes_.size());
  if (fd_ >= 0) close(fd_);
}

void SeedImage::begin() {
  if (size_ < bytes_.size()) {
    if (ftruncate(fd_, static_cast<off_t>(bytes_.size())) != 0) throw std::runtime_error("fuzz seed: ftruncate");
    std::memcpy(map_ + size_, bytes_.data() + size_, bytes_.size() - size_);
    size_ = bytes_.size();
  }
  for (auto [off, n] : dirty_) std::memcpy(map_ + off, bytes_.data() + off, n);
  dirty_.clear();
}

void SeedImage::write(uint64_t off, const void* data, uint64_t n) {
  if (off >= size_) return;
  n = std::min<uint64_t>(n, size_ - off);
  std::memcpy(map_ + off, data, n);
  dirty_.emplace_back(off, n);
}

void SeedImage::truncate(uint64_t size) {
  if (size >= size_) return;
  if (ftruncate(fd_, static_cast<off_t>(size)) != 0) throw std::runtime_error("fuzz seed: ftruncate");
  size_ = size;
}

const SectionInfo* SeedImage::section(std::string_view name) const {
  for (const auto& s : sections_)
    if (s.name == name) return &s;
  return nullptr;
}

std::optional<uint64_t> SeedImage::addressOf(uint64_t off) const {
  for (const auto& s : sections_)
    if ((s.flags & SHF_ALLOC) && s.size && off >= s.off && off - s.off < s.size) return s.addr + (off - s.off);
  return std::nullopt;
}

std::optional<uint64_t> SeedImage::offsetOf(uint64_t addr) const {
  for (const auto& s : sections_)
    if ((s.flags & SHF_ALLOC) && s.size && s.type != SHT_NOBITS && addr >= s.addr && addr - s.addr < s.size)
      return s.off + (addr - s.addr);
  return std::nullopt;
}

Seed::Seed(std::string path, std::string release, std::string mode)
    : path_(std::move(path)), release_(std::move(release)), mode_(std::move(mode)) {
  images_[0] = std::make_unique<SeedImage>(readFile(path_), release_ + "-" + mode_);
  SeedImage& img = *images_[0];
  for (const char* n : {".rela", ".rela.dyn"}) {
    const SectionInfo* s = img.section(n);
    if (!s || !pie()) continue;
    for (uint64_t o = s->off; o + sizeof(Elf64_Rela) <= s->off + s->size; o += sizeof(Elf64_Rela)) {
      Elf64_Rela r;
      if (readAt(img.original(), o, r) && ELF64_R_TYPE(r.r_info) == R_X86_64_RELATIVE)
        relocs_.emplace_back(r.r_offset, r.r_addend);
    }
  }
  std::sort(relocs_.begin(), relocs_.end());
  // The engine on the intact seed says where everything is.
  ImageTarget t(img.path(), img.original().data(), img.original().size(), bias(), &relocs_);
  Memory mem(t);
  auto prog = GoProgram::load(t, mem);
  index(*prog, img);
}

void Seed::index(const GoProgram& prog, const SeedImage& img) {
  auto& r = regions_;
  const auto& b = img.original();
  r[kWholeFile] = {0, b.size()};
  Elf64_Ehdr eh;
  readAt(b, 0, eh);
  r[kElfHeader] = {0, sizeof eh};
  r[kProgramHeaders] = {eh.e_phoff, uint64_t{eh.e_phnum} * eh.e_phentsize};
  r[kSectionHeaders] = {eh.e_shoff, uint64_t{eh.e_shnum} * eh.e_shentsize};
  r[kShstrtab] = sectionRegion(img, {".shstrtab"});
  Region pcln = r[kPclntab] = sectionRegion(img, {".gopclntab", ".data.rel.ro.gopclntab"});
  r[kPcHeader] = {pcln.off, 72};
  // runtime.pcHeader: funcnameOffset, cuOffset, filetabOffset, pctabOffset, pclnOffset.
  uint64_t offs[5];
  for (int i = 0; i < 5; i++) readAt(b, pcln.off + 32 + 8 * i, offs[i]);
  auto table = [&](int i) -> Region {
    uint64_t end = pcln.size;
    for (int j = 0; j < 5; j++)
      if (offs[j] > offs[i] && offs[j] < end) end = offs[j];
    return {pcln.off + offs[i], end - offs[i]};
  };
  r[kFuncnametab] = table(0);
  r[kCutab] = table(1);
  r[kFiletab] = table(2);
  r[kPctab] = table(3);
  const PcLnTab& tab = prog.pcln();
  r[kFunctab] = {pcln.off + offs[4], (tab.numFuncs() + 1) * 8};
  r[kBuildInfo] = sectionRegion(img, {".go.buildinfo"});
  if (auto md = prog.global("runtime.firstmoduledata"))
    if (auto o = img.offsetOf(*md - bias())) r[kModuledata] = {*o, prog.sizeOf("runtime.moduledata")};
  r[kNoptrdata] = sectionRegion(img, {".noptrdata"});
  r[kData] = sectionRegion(img, {".data"});
  r[kRodata] = sectionRegion(img, {".rodata"});
  r[kText] = sectionRegion(img, {".text"});
  r[kSymtab] = sectionRegion(img, {".symtab"});
  r[kStrtab] = sectionRegion(img, {".strtab"});
  r[kDynsym] = sectionRegion(img, {".dynsym"});
  if (const SectionInfo* t = img.section(".text")) {
    textLo_ = t->addr;
    textSize_ = t->size;
  }

  // Per function: where its record, tables, funcdata and code lie in the file.
  const uint64_t pctab = r[kPctab].off, pctabEnd = r[kPctab].off + r[kPctab].size;
  for (size_t i = 0; i < tab.numFuncs(); i++) {
    const Func& f = *tab.funcAt(i);
    FuncPlaces fp;
    fp.entry = f.entry;
    fp.end = f.end;
    uint64_t rec = pcln.off + offs[4] + f.recordOff;
    fp.record = {rec, 44 + 4 * (uint64_t{f.npcdata} + f.nfuncdata)};
    std::vector<uint32_t> tables = {f.pcsp, f.pcfile, f.pcln};
    for (uint32_t k = 0; k < f.npcdata; k++) {
      uint32_t v = 0;
      readAt(b, rec + 44 + 4 * k, v);
      tables.push_back(v);
    }
    for (uint32_t t : tables)
      fp.tables.push_back(t == 0 || pctab + t >= pctabEnd ? Region{} : Region{pctab + t, std::min<uint64_t>(256, pctabEnd - pctab - t)});
    for (uint32_t k = 0; k < f.nfuncdata; k++) {
      Region fd;
      // The engine's reader hands back a span of the seed's own mapping: find it in the file.
      auto span = tab.funcdata(f, k, 16);
      if (!span.empty())
        for (const ElfSection& s : prog.elf().sections())
          if (!s.data.empty() && span.data() >= s.data.data() && span.data() < s.data.data() + s.data.size())
            if (auto o = img.offsetOf(s.addr + (span.data() - s.data.data())))
              if (const SectionInfo* si = img.section(s.name))
                fd = {*o, std::min<uint64_t>(k == kFuncdataInlTree ? 512 : 64, si->off + si->size - *o)};
      fp.funcdata.push_back(fd);
    }
    if (fp.funcdata.size() > kFuncdataInlTree && fp.funcdata[kFuncdataInlTree].size) withInline_.push_back(i);
    if (auto o = img.offsetOf(f.entry)) fp.code = {*o, f.end - f.entry};
    funcs_.push_back(std::move(fp));
  }
  for (size_t i = 0; i < kNamedFuncCount; i++)
    if (const Func* f = tab.funcByName(kNamedFuncs[i])) named_.push_back(f->index);
  if (named_.size() < kSearchedFuncs) throw std::runtime_error("fuzz seed " + path_ + ": runtime functions missing");
  // go:func.*, where funcdata points (moduledata.gofunc).
  if (auto md = prog.global("runtime.firstmoduledata"))
    if (auto g = prog.offOpt("runtime.moduledata", "gofunc")) {
      uint64_t gofunc = 0;
      if (auto o = img.offsetOf(*md - bias() + *g); o && readAt(b, *o, gofunc)) {
        // A PIE's moduledata holds 0 in the file; the loader writes the relocated value.
        auto rel = std::lower_bound(relocs_.begin(), relocs_.end(), std::make_pair(*md - bias() + *g, uint64_t{0}));
        if (rel != relocs_.end() && rel->first == *md - bias() + *g) gofunc = rel->second;
        if (auto go = img.offsetOf(gofunc))
          for (const auto& s : img.sections())
            if (*go >= s.off && *go < s.off + s.size) r[kGoFunc] = {*go, s.off + s.size - *go};
      }
    }
}

uint32_t Seed::funcIndex(const Place& p) const {
  if (p.func & 0x8000) {
    size_t n = p.structure == kRuntimeCode ? kSearchedFuncs : named_.size();
    return named_[(p.func & 0x7fff) % n];
  }
  if (p.structure == kRuntimeCode) return named_[p.func % kSearchedFuncs];
  if (p.structure == kInlineTree && !withInline_.empty()) return withInline_[p.func % withInline_.size()];
  return p.func % funcs_.size();
}

Region Seed::resolve(const SeedImage& img, const Place& p) const {
  if (isDebug(p.structure)) {
    // Debug sections move when inflated: look them up in this image.
    switch (p.structure) {
      case kDebugInfo: return sectionRegion(img, {".debug_info"});
      case kDebugAbbrev: return sectionRegion(img, {".debug_abbrev"});
      case kDebugStr: return sectionRegion(img, {".debug_str", ".debug_line_str"});
      case kDebugLine: return sectionRegion(img, {".debug_line"});
      case kDebugRanges: return sectionRegion(img, {".debug_rnglists", ".debug_ranges"});
      case kDebugLoc: return sectionRegion(img, {".debug_loclists", ".debug_loc"});
      case kDebugAddr: return sectionRegion(img, {".debug_addr"});
      default: return sectionRegion(img, {".debug_frame"});
    }
  }
  if (p.structure == kSectionHeaders || p.structure == kWholeFile) {
    Elf64_Ehdr eh;
    readAt(img.original(), 0, eh);
    if (p.structure == kWholeFile) return {0, img.original().size()};
    return {eh.e_shoff, uint64_t{eh.e_shnum} * eh.e_shentsize};
  }
  if (!isFunctionScoped(p.structure)) return regions_[p.structure];
  const FuncPlaces& f = funcs_[funcIndex(p)];
  switch (p.structure) {
    case kFuncRecord: return f.record;
    case kPcTable: return f.tables[p.table % f.tables.size()];
    case kInlineTree: return f.funcdata.size() > kFuncdataInlTree ? f.funcdata[kFuncdataInlTree] : Region{};
    case kFuncdata: return f.funcdata.empty() ? Region{} : f.funcdata[p.table % f.funcdata.size()];
    default: return f.code;
  }
}

SeedImage& Seed::image(bool inflated) {
  auto& img = images_[inflated ? 1 : 0];
  if (!img) img = std::make_unique<SeedImage>(inflateDebug(images_[0]->original()), release_ + "-" + mode_ + "-inflated");
  return *img;
}

namespace {
constexpr const char* kReleases[] = {"go1.21", "go1.24", "go1.26", "go1.27"};
constexpr const char* kModes[] = {"plain", "noopt", "stripped", "pie"};
constexpr size_t kSeeds = std::size(kReleases) * std::size(kModes);
}  // namespace

size_t seedCount() { return kSeeds; }

Seed& seed(uint8_t selector) {
  static std::unique_ptr<Seed> seeds[kSeeds];
  size_t i = selector % kSeeds;
  if (!seeds[i]) {
    std::string rel = kReleases[i / std::size(kModes)], mode = kModes[i % std::size(kModes)];
    seeds[i] = std::make_unique<Seed>(seedDir() + "/unit/" + rel + "/" + mode + "/hello", rel, mode);
  }
  return *seeds[i];
}

}  // namespace goinspect::fuzz
