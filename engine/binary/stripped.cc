#include "stripped.h"

#include <algorithm>
#include <set>
#include <unordered_set>
#include <vector>

namespace goinspect {

namespace {

struct DataRange {
  uint64_t lo, hi;  // link-time
};

std::vector<DataRange> dataRanges(const ElfFile& elf) {
  std::vector<DataRange> r;
  for (const char* n : {".data", ".bss", ".noptrdata", ".noptrbss"})
    if (const ElfSection* s = elf.section(n)) r.push_back({s->addr, s->addr + s->size});
  return r;
}

// Candidate data addresses (runtime) referenced by `func`'s code, in code order, each once.
// An instruction may carry an immediate after its displacement (cmp $imm, sym(%rip)), so
// the end of the instruction is tried at +0, +1 and +4 bytes past the displacement.
std::vector<uint64_t> dataRefs(const GoProgram& prog, std::string_view func) {
  std::vector<uint64_t> out;
  const Func* f = prog.pcln().funcByName(func);
  if (!f || f->end <= f->entry || f->end - f->entry > (1 << 20)) return out;
  auto code = prog.elf().bytesAt(f->entry, f->end - f->entry);
  auto ranges = dataRanges(prog.elf());
  std::unordered_set<uint64_t> seen;
  for (size_t i = 0; i + 4 <= code.size(); i++) {
    int32_t disp;
    std::memcpy(&disp, code.data() + i, 4);
    for (uint64_t imm : {0, 1, 4}) {
      uint64_t target = f->entry + i + 4 + imm + static_cast<int64_t>(disp);
      if (target % 8) continue;
      bool inData = std::any_of(ranges.begin(), ranges.end(),
                                [&](const DataRange& d) { return target >= d.lo && target < d.hi; });
      if (inData && seen.insert(target).second) out.push_back(target + prog.bias());
    }
  }
  return out;
}

// A printable Go string header at addr (len ≤ maxLen).
std::optional<std::string> printable(Memory& mem, uint64_t addr, size_t maxLen) {
  auto s = mem.goString(addr, maxLen);
  if (!s) return std::nullopt;
  for (char c : *s)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) return std::nullopt;
  return s;
}

// Length of an array of printable strings at addr, up to max entries.
size_t stringArrayLen(Memory& mem, uint64_t addr, size_t max) {
  size_t n = 0;
  while (n < max && printable(mem, addr + 16 * n, 128)) n++;
  return n;
}

}  // namespace

std::map<std::string, std::pair<uint64_t, uint64_t>> discoverGlobals(const GoProgram& prog, Memory& mem) {
  std::map<std::string, std::pair<uint64_t, uint64_t>> found;
  const Layouts& lay = prog.layouts();
  auto goidOff = lay.offset("runtime.g", "goid");
  auto statusOff = lay.offset("runtime.g", "atomicstatus");

  // allgs: a slice whose first g is the main goroutine (goid 1); allglen holds its length.
  for (uint64_t x : dataRefs(prog, "runtime.allgadd")) {
    auto ptr = mem.u64(x), len = mem.u64(x + 8), cap = mem.u64(x + 16);
    if (!ptr || !len || !cap || *ptr == 0 || *len == 0 || *len > *cap || *cap > (1ull << 32)) continue;
    auto g0 = mem.u64(*ptr);
    if (!g0 || !goidOff || !statusOff) continue;
    auto goid = mem.u64(*g0 + *goidOff);
    auto st = mem.u32(*g0 + *statusOff);
    if (!goid || *goid != 1 || !st || (*st & ~0x1000u) > 64) continue;
    found["runtime.allgs"] = {x, 24};
    for (uint64_t y : dataRefs(prog, "runtime.allgadd"))
      if (y != x && y != x + 8 && mem.u64(y) == len) found["runtime.allglen"] = {y, 8};
    break;
  }

  // allm: the head of a cycle-free alllink list that reaches m0 (id 0).
  auto mId = lay.offset("runtime.m", "id"), mNext = lay.offset("runtime.m", "alllink"),
       mG0 = lay.offset("runtime.m", "g0");
  if (mId && mNext && mG0) {
    for (uint64_t x : dataRefs(prog, "runtime.mcommoninit")) {
      auto head = mem.u64(x);
      if (!head || *head == 0) continue;
      std::unordered_set<uint64_t> seen;
      bool sawM0 = false, ok = true;
      for (uint64_t mp = *head; mp && ok; ) {
        if (!seen.insert(mp).second || seen.size() > 100000) { ok = false; break; }
        auto id = mem.u64(mp + *mId), g0 = mem.u64(mp + *mG0), next = mem.u64(mp + *mNext);
        if (!id || !g0 || *g0 == 0 || !next || *id > 1000000) { ok = false; break; }
        sawM0 |= *id == 0;
        mp = *next;
      }
      if (ok && sawM0) {
        found["runtime.allm"] = {x, 8};
        break;
      }
    }
  }

  // allp: a slice of *p where allp[i].id == i.
  if (auto pId = lay.offset("runtime.p", "id")) {
    for (uint64_t x : dataRefs(prog, "runtime.procresize")) {
      auto ptr = mem.u64(x), len = mem.u64(x + 8), cap = mem.u64(x + 16);
      if (!ptr || !len || !cap || *ptr == 0 || *len == 0 || *len > *cap || *cap > 100000) continue;
      bool ok = true;
      for (uint64_t i = 0; i < *len && ok; i++) {
        auto pp = mem.u64(*ptr + 8 * i);
        auto id = pp ? mem.u32(*pp + *pId) : std::nullopt;
        ok = id && *id == i;
      }
      if (ok) {
        found["runtime.allp"] = {x, 24};
        break;
      }
    }
  }

  // sched: mnext - nmfreed (mcount) is the length of the allm list; the idle lists are empty
  // exactly when their counts are zero; flags are 0 or 1, counts within mcount and allp. A
  // code reference lands on a field, not on the struct, so each field checkdead touches is
  // tried as the one referenced.
  if (auto allm = found.find("runtime.allm"); allm != found.end() && mNext) {
    int64_t nm = 0;
    std::unordered_set<uint64_t> seen;
    for (uint64_t mp = mem.u64(allm->second.first).value_or(0); mp && seen.insert(mp).second && nm < 100000;
         mp = mem.u64(mp + *mNext).value_or(0))
      nm++;
    uint64_t nps = 0;
    if (auto ap = found.find("runtime.allp"); ap != found.end()) nps = mem.u64(ap->second.first + 8).value_or(0);
    const char* T = "runtime.schedt";
    auto off = [&](const char* f) { return lay.offset(T, f); };
    auto mnext = off("mnext"), nmfreed = off("nmfreed"), nmidle = off("nmidle"), npidle = off("npidle"),
         midle = off("midle"), pidle = off("pidle"), nmspinning = off("nmspinning");
    auto size = lay.size(T);
    auto fits = [&](uint64_t s) {
      auto a = mem.u64(s + *mnext), b = mem.u64(s + *nmfreed);
      auto idle = mem.u32(s + *nmidle), pidles = mem.u32(s + *npidle), spin = mem.u32(s + *nmspinning);
      auto ml = mem.u64(s + *midle), pl = mem.u64(s + *pidle);
      if (!a || !b || !idle || !pidles || !spin || !ml || !pl) return false;
      if (*a < 1 || *a < *b || static_cast<int64_t>(*a - *b) != nm) return false;
      if (*idle > static_cast<uint64_t>(nm) || *spin > static_cast<uint64_t>(nm) || (nps && *pidles > nps)) return false;
      if ((*idle == 0) != (*ml == 0) || (*pidles == 0) != (*pl == 0)) return false;
      for (const char* flag : {"gcwaiting", "sysmonwait", "needspinning"})
        if (auto o = off(flag); o && mem.u32(s + *o).value_or(2) > 1) return false;
      return true;
    };
    std::set<uint64_t> candidates;
    if (mnext && nmfreed && nmidle && npidle && midle && pidle && nmspinning && size) {
      for (const char* fn : {"runtime.checkdead", "runtime.mcount", "runtime.schedtrace"})
        for (uint64_t x : dataRefs(prog, fn))
          for (const char* f : {"lock", "midle", "nmidle", "nmidlelocked", "mnext", "nmsys", "nmfreed", "npidle"})
            if (auto o = off(f); o && x >= *o && fits(x - *o)) candidates.insert(x - *o);
    }
    if (candidates.size() == 1) found["runtime.sched"] = {*candidates.begin(), *size};
  }

  // maxstacksize: newstack compares against it first, then maxstackceiling.
  for (uint64_t x : dataRefs(prog, "runtime.newstack")) {
    auto v = mem.u64(x);
    if (v && *v >= 4096 && *v <= (1ull << 50) && *v % 8 == 0) {
      found["runtime.maxstacksize"] = {x, 8};
      break;
    }
  }

  // memstats: the stack-span allocator updates memstats.heapStats (at offset 0 of mstats)
  // through heapStats.acquire. A candidate must read as the ring of three heapStatsDelta:
  // gen in 0..2, and page-granular bytes in stacks within the bytes committed.
  auto gen = lay.offset("runtime.mstats", "heapStats.gen");
  auto stats = lay.offset("runtime.mstats", "heapStats.stats");
  auto inStacks = lay.offset("runtime.heapStatsDelta", "inStacks");
  auto committed = lay.offset("runtime.heapStatsDelta", "committed");
  auto delta = lay.size("runtime.heapStatsDelta");
  auto mstatsSize = lay.size("runtime.mstats");
  if (gen && stats && *stats == 0 && inStacks && committed && delta && mstatsSize) {
    for (const char* fn : {"runtime.(*mcache).refill", "runtime.(*mheap).allocSpan"}) {
      for (uint64_t x : dataRefs(prog, fn)) {
        auto g = mem.u32(x + *gen);
        if (!g || *g > 2) continue;
        int64_t stacks = 0, comm = 0;
        bool ok = true;
        for (uint64_t k = 0; k < 3 && ok; k++) {
          auto a = mem.u64(x + k * *delta + *inStacks), c = mem.u64(x + k * *delta + *committed);
          ok = a && c;
          if (ok) stacks += static_cast<int64_t>(*a), comm += static_cast<int64_t>(*c);
        }
        if (!ok || stacks <= 0 || stacks % 8192 || stacks > comm || comm > (1ll << 44)) continue;
        found["runtime.memstats"] = {x, *mstatsSize};
        break;
      }
      if (found.count("runtime.memstats")) break;
    }
  }

  // The strings goroutineheader prints: gStatusStrings starts "idle", "runnable";
  // waitReasonStrings starts "" (waitReasonZero), "GC assist marking".
  for (uint64_t x : dataRefs(prog, "runtime.goroutineheader")) {
    auto s0 = printable(mem, x, 64), s1 = printable(mem, x + 16, 64);
    if (!s0 || !s1) continue;
    if (*s0 == "idle" && *s1 == "runnable" && !found.count("runtime.gStatusStrings"))
      found["runtime.gStatusStrings"] = {x, 16 * stringArrayLen(mem, x, 16)};
    if (s0->empty() && *s1 == "GC assist marking" && !found.count("runtime.waitReasonStrings"))
      found["runtime.waitReasonStrings"] = {x, 16 * stringArrayLen(mem, x, 128)};
  }
  return found;
}

std::vector<uint64_t> codeDataRefs(const GoProgram& prog, std::string_view func) { return dataRefs(prog, func); }

}  // namespace goinspect
