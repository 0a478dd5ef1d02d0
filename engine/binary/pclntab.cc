// Go 1.20+ pc-line table (magic 0xFFFFFFF1): the reader side of
// cmd/link/internal/ld/pcln.go, decoded the way runtime/symtab.go and runtime/symtabinl.go
// decode it. Every read is bounds-checked against the table it belongs to.
#include "pclntab.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>

#include "errors.h"

namespace goinspect {

namespace {

constexpr uint32_t kGo120Magic = 0xFFFFFFF1;
constexpr size_t kHeaderSize = 8 + 8 * 8;  // pcHeader with 8-byte pointers
constexpr size_t kFuncSize = 44;           // sizeof(runtime._func) without the trailing arrays
constexpr size_t kInlinedCallSize = 16;    // sizeof(runtime.inlinedCall)
constexpr int kMaxInlineDepth = 1024;      // bound on a (possibly corrupt) inline tree walk

uint32_t rd32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);  // little-endian host (linux/amd64 only)
  return v;
}
uint64_t rd64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// A NUL-terminated string at `off` inside `tab`; empty if out of range or unterminated.
std::string_view cstrAt(std::span<const uint8_t> tab, uint64_t off) {
  if (off >= tab.size()) return {};
  const auto* p = tab.data() + off;
  const void* nul = std::memchr(p, 0, tab.size() - off);
  if (!nul) return {};
  return {reinterpret_cast<const char*>(p), static_cast<size_t>(static_cast<const uint8_t*>(nul) - p)};
}

// A per-thread direct-mapped cache of pc-value lookups, like the runtime's per-M
// pcvalueCache: stacks repeat the same return pcs over and over, and decoding a table is
// linear in the function's size. Entries are keyed by the table's unique id, so a table
// freed and another allocated at the same address never see each other's entries.
struct PcValueCacheEntry {  // trivial, so the thread_local array needs no initialization guard
  uint64_t tableId;  // 0: empty
  uint64_t pc;
  uint64_t entry;
  uint32_t off;
  int32_t val;
  bool found;
};
constexpr size_t kPcValueCacheSize = 1024;
thread_local PcValueCacheEntry pcValueCache[kPcValueCacheSize];
std::atomic<uint64_t> nextTableId{1};

}  // namespace

struct PcLnTab::Impl {
  const uint64_t id = nextTableId.fetch_add(1, std::memory_order_relaxed);
  std::span<const uint8_t> data;
  uint64_t textStart = 0;
  uint32_t magic = 0;
  uint8_t minLC = 1;
  uint64_t nfunc = 0;
  std::span<const uint8_t> funcnametab, cutab, filetab, pctab, pclntable;

  std::vector<uint32_t> entryOffs;  // ftab[i].entryoff, nfunc + 1 of them (the last is the end)
  std::vector<Func> funcs;

  uint64_t gofunc = 0;
  StaticReader reader;

  bool nameIndexBuilt = false;
  std::unordered_map<std::string_view, uint32_t> byName;

  // runtime.pcvalue, non-strict (nullopt where the runtime returns -1, 0), through the cache.
  std::optional<int32_t> pcValue(const Func& f, uint32_t off, uint64_t targetPc) const {
    if (off == 0 || off >= pctab.size()) return std::nullopt;
    // The value depends on f only through f.entry, which pc and off pin down in a
    // well-formed table; key on entry too so a corrupt table cannot mix functions up.
    uint64_t h = (targetPc ^ (uint64_t{off} << 20) ^ (f.entry << 7)) * 0x9E3779B97F4A7C15ull;
    PcValueCacheEntry& e = pcValueCache[h >> (64 - 10)];
    static_assert(kPcValueCacheSize == 1024);
    if (e.tableId == id && e.pc == targetPc && e.off == off && e.entry == f.entry)
      return e.found ? std::optional<int32_t>(e.val) : std::nullopt;
    auto v = decode(f, off, targetPc);
    e = PcValueCacheEntry{id, targetPc, f.entry, off, v.value_or(0), v.has_value()};
    return v;
  }

  // The table walk itself: runtime.pcvalue's loop over runtime.step.
  std::optional<int32_t> decode(const Func& f, uint32_t off, uint64_t targetPc) const {
    const uint8_t* p = pctab.data() + off;
    const uint8_t* const end = pctab.data() + pctab.size();
    uint64_t pc = f.entry;
    int32_t val = -1;
    // Every step consumes at least one byte, so the table's length bounds the loop.
    for (bool first = true;; first = false) {
      uint32_t uvdelta, pcdelta;
      if (p >= end) return std::nullopt;
      if (*p == 0 && !first) return std::nullopt;  // end of table: pc not covered
      // Most deltas are one byte each (runtime.step's fast path).
      if (end - p >= 2 && !((p[0] | p[1]) & 0x80)) {
        uvdelta = p[0];
        pcdelta = p[1];
        p += 2;
      } else if (!readVarint(p, end, uvdelta) || !readVarint(p, end, pcdelta)) {
        return std::nullopt;
      }
      // Go's int32 arithmetic wraps (runtime/symtab.go, step: *val += vdelta); C++'s must
      // not overflow, so add as unsigned.
      val = static_cast<int32_t>(static_cast<uint32_t>(val) + (-(uvdelta & 1) ^ (uvdelta >> 1)));
      pc += static_cast<uint32_t>(pcdelta * minLC);
      if (targetPc < pc) return val;
    }
  }

  // runtime.readvarint with bounds: advances p; false if the table ends inside the varint.
  static bool readVarint(const uint8_t*& p, const uint8_t* end, uint32_t& out) {
    uint32_t v = 0, shift = 0;
    while (p < end) {
      uint8_t b = *p++;
      v |= static_cast<uint32_t>(b & 0x7F) << (shift & 31);
      if (!(b & 0x80)) {
        out = v;
        return true;
      }
      shift += 7;
    }
    return false;
  }

  std::optional<uint32_t> pcdataStart(const Func& f, uint32_t table) const {
    if (table >= f.npcdata) return std::nullopt;
    // parse() checked that the record's trailing arrays lie inside pclntable.
    return rd32(pclntable.data() + f.recordOff + kFuncSize + size_t{table} * 4);
  }

  std::optional<int32_t> pcdata(const Func& f, uint32_t table, uint64_t pc) const {
    auto start = pcdataStart(f, table);
    if (!start) return std::nullopt;
    return pcValue(f, *start, pc);
  }

  std::string_view file(const Func& f, int32_t fileno) const {
    if (fileno < 0) return {};
    uint64_t idx = uint64_t{f.cuOffset} + static_cast<uint32_t>(fileno);
    if (idx >= cutab.size() / 4) return {};
    uint32_t fileoff = rd32(cutab.data() + idx * 4);
    if (fileoff == ~uint32_t{0}) return {};
    return cstrAt(filetab, fileoff);
  }

  std::pair<std::string_view, int32_t> fileLine(const Func& f, uint64_t pc) const {
    auto fileno = pcValue(f, f.pcfile, pc);
    auto line = pcValue(f, f.pcln, pc);
    if (!fileno || !line || *fileno == -1 || *line == -1) return {{}, 0};
    auto name = file(f, *fileno);
    if (name.empty()) return {{}, 0};
    return {name, *line};
  }
};

std::unique_ptr<PcLnTab> PcLnTab::parse(std::span<const uint8_t> data, uint64_t textStart) {
  auto impl = std::make_shared<Impl>();
  impl->data = data;
  impl->textStart = textStart;
  if (data.size() < kHeaderSize) throw Error(".gopclntab: too short for a pcHeader");
  const uint8_t* h = data.data();
  impl->magic = rd32(h);
  if (impl->magic != kGo120Magic) {
    char buf[96];
    std::snprintf(buf, sizeof buf, ".gopclntab: unsupported magic %#x (want %#x, Go 1.20+)", impl->magic,
                  kGo120Magic);
    throw Error(buf);
  }
  if (h[4] != 0 || h[5] != 0) throw Error(".gopclntab: bad header padding");
  impl->minLC = h[6];
  if (impl->minLC != 1 && impl->minLC != 2 && impl->minLC != 4)
    throw Error(".gopclntab: bad instruction size quantum " + std::to_string(h[6]));
  if (h[7] != 8) throw Error(".gopclntab: pointer size " + std::to_string(h[7]) + ", only 8 is supported");
  impl->nfunc = rd64(h + 8);
  // h + 16: nfiles (unused; files are reached through cutab). h + 24: textStart before Go
  // 1.26, unused since; the caller's moduledata.text is used instead.
  uint64_t offs[5];
  for (int i = 0; i < 5; i++) {
    offs[i] = rd64(h + 32 + 8 * i);
    if (offs[i] < kHeaderSize || offs[i] > data.size())
      throw Error(".gopclntab: table offset outside the section");
  }
  // Each table runs to the next table that starts after it (the linker lays them out
  // funcnametab, cutab, filetab, pctab, functab), or to the end of the section.
  auto table = [&](int i) {
    uint64_t end = data.size();
    for (int j = 0; j < 5; j++)
      if (offs[j] > offs[i] && offs[j] < end) end = offs[j];
    return data.subspan(offs[i], end - offs[i]);
  };
  impl->funcnametab = table(0);
  impl->cutab = table(1);
  impl->filetab = table(2);
  impl->pctab = table(3);
  impl->pclntable = table(4);

  const auto& pt = impl->pclntable;
  const uint64_t n = impl->nfunc;
  if (n == 0 || n > pt.size() / 8 || (n * 2 + 1) * 4 > pt.size())
    throw Error(".gopclntab: function table does not fit (nfunc " + std::to_string(n) + ")");
  impl->entryOffs.resize(n + 1);
  impl->funcs.resize(n);
  for (uint64_t i = 0; i <= n; i++) {
    impl->entryOffs[i] = rd32(pt.data() + i * 8);
    if (i > 0 && impl->entryOffs[i] < impl->entryOffs[i - 1])
      throw Error(".gopclntab: function table not sorted by pc");
  }
  for (uint64_t i = 0; i < n; i++) {
    uint32_t funcoff = rd32(pt.data() + i * 8 + 4);
    if (funcoff > pt.size() || pt.size() - funcoff < kFuncSize)
      throw Error(".gopclntab: _func record outside the table");
    const uint8_t* r = pt.data() + funcoff;
    Func& f = impl->funcs[i];
    f.index = static_cast<uint32_t>(i);
    f.recordOff = funcoff;
    uint32_t entryOff = rd32(r);
    if (entryOff != impl->entryOffs[i]) throw Error(".gopclntab: _func entry disagrees with the function table");
    f.entry = textStart + entryOff;
    f.end = textStart + impl->entryOffs[i + 1];
    f.nameOff = static_cast<int32_t>(rd32(r + 4));
    f.args = static_cast<int32_t>(rd32(r + 8));
    f.deferreturn = rd32(r + 12);
    f.pcsp = rd32(r + 16);
    f.pcfile = rd32(r + 20);
    f.pcln = rd32(r + 24);
    f.npcdata = rd32(r + 28);
    f.cuOffset = rd32(r + 32);
    f.startLine = static_cast<int32_t>(rd32(r + 36));
    f.funcID = r[40];
    f.flag = r[41];
    f.nfuncdata = r[43];
    uint64_t arrays = (uint64_t{f.npcdata} + f.nfuncdata) * 4;
    if (arrays > pt.size() - funcoff - kFuncSize)
      throw Error(".gopclntab: pcdata/funcdata arrays outside the table");
  }
  std::unique_ptr<PcLnTab> t(new PcLnTab());
  t->impl_ = std::move(impl);
  return t;
}

void PcLnTab::setGoFunc(uint64_t gofunc, StaticReader reader) {
  impl_->gofunc = gofunc;
  impl_->reader = std::move(reader);
}

uint32_t PcLnTab::magic() const { return impl_->magic; }
size_t PcLnTab::numFuncs() const { return impl_->funcs.size(); }
uint64_t PcLnTab::textStart() const { return impl_->textStart; }
uint64_t PcLnTab::minPc() const { return impl_->textStart + impl_->entryOffs.front(); }
uint64_t PcLnTab::maxPc() const { return impl_->textStart + impl_->entryOffs.back(); }

const Func* PcLnTab::findFunc(uint64_t pc) const {
  const Impl& m = *impl_;
  if (pc < m.textStart) return nullptr;
  uint64_t off = pc - m.textStart;
  if (off < m.entryOffs.front() || off >= m.entryOffs.back()) return nullptr;
  // The last entry with entryoff <= off; entryOffs.back() > off guarantees it is a function.
  auto it = std::upper_bound(m.entryOffs.begin(), m.entryOffs.end(), static_cast<uint32_t>(off));
  return &m.funcs[static_cast<size_t>(it - m.entryOffs.begin()) - 1];
}

const Func* PcLnTab::funcAt(size_t index) const {
  return index < impl_->funcs.size() ? &impl_->funcs[index] : nullptr;
}

const Func* PcLnTab::funcByName(std::string_view name) const {
  Impl& m = *impl_;
  if (!m.nameIndexBuilt) {
    m.byName.reserve(m.funcs.size());
    for (const Func& f : m.funcs) {
      auto n = nameAt(f.nameOff);
      if (n.empty()) continue;
      // ABI wrappers carry the name of the function they wrap (the ELF symbol table tells
      // them apart with a ".abi0" suffix, the pclntab does not). Their funcID is
      // FuncIDWrapper, the last and largest abi.FuncID in every release: keep the smallest.
      auto [it, fresh] = m.byName.try_emplace(n, f.index);
      if (!fresh && f.funcID < m.funcs[it->second].funcID) it->second = f.index;
    }
    m.nameIndexBuilt = true;
  }
  auto it = m.byName.find(name);
  return it == m.byName.end() ? nullptr : &m.funcs[it->second];
}

std::string_view PcLnTab::funcName(const Func& f) const { return nameAt(f.nameOff); }

std::string_view PcLnTab::nameAt(int32_t nameOff) const {
  if (nameOff < 0) return {};
  return cstrAt(impl_->funcnametab, static_cast<uint32_t>(nameOff));
}

std::optional<int32_t> PcLnTab::pcValue(const Func& f, uint32_t tableOff, uint64_t targetPc) const {
  return impl_->pcValue(f, tableOff, targetPc);
}

int32_t PcLnTab::spDelta(const Func& f, uint64_t pc) const {
  return impl_->pcValue(f, f.pcsp, pc).value_or(-1);
}

std::pair<std::string_view, int32_t> PcLnTab::fileLine(const Func& f, uint64_t pc) const {
  return impl_->fileLine(f, pc);
}

std::optional<int32_t> PcLnTab::pcdata(const Func& f, uint32_t table, uint64_t pc) const {
  return impl_->pcdata(f, table, pc);
}

std::optional<uint32_t> PcLnTab::funcdataOffset(const Func& f, uint32_t idx) const {
  if (idx >= f.nfuncdata) return std::nullopt;
  uint32_t off = rd32(impl_->pclntable.data() + f.recordOff + kFuncSize + (size_t{f.npcdata} + idx) * 4);
  if (off == ~uint32_t{0}) return std::nullopt;
  return off;
}

std::span<const uint8_t> PcLnTab::funcdata(const Func& f, uint32_t idx, uint64_t size) const {
  auto off = funcdataOffset(f, idx);
  if (!off || !impl_->reader) return {};
  for (uint64_t n = size; n > 0; n /= 2)  // a short read near the end of the section
    if (auto b = impl_->reader(impl_->gofunc + *off, n); !b.empty()) return b;
  return {};
}

std::vector<LogicalFrame> PcLnTab::expand(const Func& f, uint64_t pc) const {
  const Impl& m = *impl_;
  std::vector<LogicalFrame> out;
  auto physical = [&](uint64_t atPc) {
    auto [file, line] = m.fileLine(f, atPc);
    out.push_back(LogicalFrame{funcName(f), file, line, f.funcID, false});
  };
  auto inlOff = funcdataOffset(f, kFuncdataInlTree);
  if (!inlOff || !m.reader) {
    physical(pc);
    return out;
  }
  const uint64_t tree = m.gofunc + *inlOff;

  // runtime.newInlineUnwinder / next: the index at pc names the innermost inlined call;
  // its parentPc is a pc in the caller's body whose index names the next one out.
  uint64_t cur = pc;
  int32_t idx = m.pcdata(f, kPcdataInlTreeIndex, cur).value_or(-1);
  for (int depth = 0; idx >= 0; depth++) {
    std::span<const uint8_t> call;
    if (depth < kMaxInlineDepth) call = m.reader(tree + uint64_t(uint32_t(idx)) * kInlinedCallSize, kInlinedCallSize);
    if (call.size() != kInlinedCallSize) {  // unreadable or cyclic tree: physical frame only
      out.clear();
      physical(pc);
      return out;
    }
    const uint8_t* c = call.data();
    auto [file, line] = m.fileLine(f, cur);
    out.push_back(LogicalFrame{nameAt(static_cast<int32_t>(rd32(c + 4))), file, line, c[0], true});
    cur = f.entry + static_cast<int64_t>(static_cast<int32_t>(rd32(c + 8)));  // entry + parentPc
    idx = m.pcdata(f, kPcdataInlTreeIndex, cur).value_or(-1);
  }
  physical(cur);
  return out;
}

}  // namespace goinspect
