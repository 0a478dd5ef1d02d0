#include "stripped.h"

#include <algorithm>
#include <cstring>
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
// A RIP-relative operand is a ModRM byte with mod 00 and r/m 101, then the 32-bit
// displacement (no SIB byte can come between), so only windows after such a byte are read;
// the others cannot be an operand. An instruction may carry an immediate after its
// displacement (cmp $imm, sym(%rip)), so the end of the instruction is tried at +0, +1 and
// +4 bytes past the displacement. What remains still includes bytes that only look like an
// operand: a candidate is never proof.
std::vector<uint64_t> dataRefs(const GoProgram& prog, std::string_view func) {
  std::vector<uint64_t> out;
  const Func* f = prog.pcln().funcByName(func);
  if (!f || f->end <= f->entry || f->end - f->entry > (1 << 20)) return out;
  auto code = prog.elf().bytesAt(f->entry, f->end - f->entry);
  auto ranges = dataRanges(prog.elf());
  std::unordered_set<uint64_t> seen;
  for (size_t i = 1; i + 4 <= code.size(); i++) {
    if ((code[i - 1] & 0xc7) != 0x05) continue;
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

// The data addresses (runtime) that `func` stores the constant `imm` into with
// MOVQ $imm32, sym(%rip): REX.W C7 /0, ModRM 05, the displacement, then the immediate.
std::set<uint64_t> constStores(const GoProgram& prog, std::string_view func, uint32_t imm) {
  std::set<uint64_t> out;
  const Func* f = prog.pcln().funcByName(func);
  if (!f || f->end <= f->entry || f->end - f->entry > (1 << 20)) return out;
  auto code = prog.elf().bytesAt(f->entry, f->end - f->entry);
  for (size_t i = 0; i + 11 <= code.size(); i++) {
    uint32_t v;
    std::memcpy(&v, code.data() + i + 7, 4);
    if (code[i] != 0x48 || code[i + 1] != 0xc7 || code[i + 2] != 0x05 || v != imm) continue;
    int32_t disp;
    std::memcpy(&disp, code.data() + i + 3, 4);
    out.insert(f->entry + i + 11 + static_cast<int64_t>(disp) + prog.bias());
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
  // Every candidate that fits is collected: a global is found only when exactly one does.
  // Taking the first that fits would make the answer depend on the code's order and on what
  // the memory at the other candidates happens to hold (the heap's history).
  auto one = [](const auto& xs) { return xs.size() == 1 ? std::optional<uint64_t>(*xs.begin()) : std::nullopt; };

  // allgs: allgadd appends to it, so its code reads the slice's len and cap too (proc.go);
  // its first g is the main goroutine (goid 1). allgptr, also read there, points at the same
  // array but has no len and cap beside it. allglen: the one other word holding the length.
  auto allgadd = dataRefs(prog, "runtime.allgadd");
  std::set<uint64_t> allgaddSet(allgadd.begin(), allgadd.end());
  std::set<uint64_t> allgs;
  for (uint64_t x : allgadd) {
    if (!allgaddSet.count(x + 8) || !allgaddSet.count(x + 16)) continue;
    auto ptr = mem.u64(x), len = mem.u64(x + 8), cap = mem.u64(x + 16);
    if (!ptr || !len || !cap || *ptr == 0 || *len == 0 || *len > *cap || *cap > (1ull << 32)) continue;
    auto g0 = mem.u64(*ptr);
    if (!g0 || !goidOff || !statusOff) continue;
    auto goid = mem.u64(*g0 + *goidOff);
    auto st = mem.u32(*g0 + *statusOff);
    if (!goid || *goid != 1 || !st || (*st & ~0x1000u) > 64) continue;
    allgs.insert(x);
  }
  if (auto x = one(allgs)) {
    found["runtime.allgs"] = {*x, 24};
    auto len = mem.u64(*x + 8);
    std::set<uint64_t> lens;
    for (uint64_t y : allgadd)
      if ((y < *x || y >= *x + 24) && mem.u64(y) == len) lens.insert(y);
    if (auto y = one(lens)) found["runtime.allglen"] = {*y, 8};
  }

  // allm: the head of a cycle-free alllink list that reaches m0 (id 0). mcommoninit puts each
  // new M at the head (proc.go), so a word holding any other M of the list heads a tail of
  // it: allm is the candidate whose list holds every other candidate's head.
  auto mId = lay.offset("runtime.m", "id"), mNext = lay.offset("runtime.m", "alllink"),
       mG0 = lay.offset("runtime.m", "g0");
  if (mId && mNext && mG0) {
    struct MList {
      uint64_t x, head;
      std::unordered_set<uint64_t> ms;
    };
    std::vector<MList> lists;
    for (uint64_t x : dataRefs(prog, "runtime.mcommoninit")) {
      auto head = mem.u64(x);
      if (!head || *head == 0) continue;
      MList l{x, *head, {}};
      bool sawM0 = false, ok = true;
      for (uint64_t mp = *head; mp && ok; ) {
        if (!l.ms.insert(mp).second || l.ms.size() > 100000) { ok = false; break; }
        auto id = mem.u64(mp + *mId), g0 = mem.u64(mp + *mG0), next = mem.u64(mp + *mNext);
        if (!id || !g0 || *g0 == 0 || !next || *id > 1000000) { ok = false; break; }
        sawM0 |= *id == 0;
        mp = *next;
      }
      if (ok && sawM0) lists.push_back(std::move(l));
    }
    std::set<uint64_t> allm;
    for (const MList& l : lists)
      if (std::all_of(lists.begin(), lists.end(), [&](const MList& o) {
            return &o == &l || (o.head != l.head && l.ms.count(o.head));
          }))
        allm.insert(l.x);
    if (auto x = one(allm)) found["runtime.allm"] = {*x, 8};
  }

  // allp: a slice of *p where allp[i].id == i.
  if (auto pId = lay.offset("runtime.p", "id")) {
    std::set<uint64_t> allp;
    for (uint64_t x : dataRefs(prog, "runtime.procresize")) {
      auto ptr = mem.u64(x), len = mem.u64(x + 8), cap = mem.u64(x + 16);
      if (!ptr || !len || !cap || *ptr == 0 || *len == 0 || *len > *cap || *cap > 100000) continue;
      bool ok = true;
      for (uint64_t i = 0; i < *len && ok; i++) {
        auto pp = mem.u64(*ptr + 8 * i);
        auto id = pp ? mem.u32(*pp + *pId) : std::nullopt;
        ok = id && *id == i;
      }
      if (ok) allp.insert(x);
    }
    if (auto x = one(allp)) found["runtime.allp"] = {*x, 24};
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

  // maxstacksize and maxstackceiling: runtime.main sets both to constants before any user
  // code runs (proc.go: 1000000000 on 64-bit, and twice that), and newstack compares against
  // both (stack.go). The stores name the addresses; the value does not (SetMaxStack sets any).
  // Only runtime.main writes maxstackceiling: 1<<20 from the data until then, 2e9 after.
  auto newstack = dataRefs(prog, "runtime.newstack");
  auto storedBy = [&](uint32_t imm) -> std::optional<uint64_t> {
    auto x = one(constStores(prog, "runtime.main", imm));
    if (!x || std::find(newstack.begin(), newstack.end(), *x) == newstack.end()) return std::nullopt;
    return x;
  };
  auto maxstack = storedBy(1000000000), ceiling = storedBy(2000000000);
  if (maxstack && ceiling && *maxstack != *ceiling) {
    auto c = mem.u64(*ceiling);
    if (c && (*c == 2000000000 || *c == (1 << 20))) {
      found["runtime.maxstacksize"] = {*maxstack, 8};
      found["runtime.maxstackceiling"] = {*ceiling, 8};
    }
  }

  // memstats: gcMarkTermination records each GC in it (mgc.go: last_gc_unix, pause_total_ns,
  // pause_ns[numgc%256], pause_end[...], numgc, gc_cpu_fraction, last_gc_nanotime,
  // lastHeapInUse), so its code references each of those fields: the one base they all fit
  // is memstats. The stack allocator updates memstats.heapStats (offset 0 of mstats) through
  // heapStats.acquire in (*mcache).refill and (*mheap).allocSpan, whose code must reference
  // the same base. Memory only confirms: the ring of three heapStatsDelta has gen in 0..2
  // and whole pages in stacks. It cannot choose: once GCs have run, mheap_.sweepgen, which
  // refill references, reads as such a ring too (allspans' cap of 8192 in the place of
  // inStacks, sweepgen and a span set's head and tail in that of committed).
  auto stats = lay.offset("runtime.mstats", "heapStats.stats");
  auto gen = lay.offset("runtime.mstats", "heapStats.gen");
  auto inStacks = lay.offset("runtime.heapStatsDelta", "inStacks");
  auto delta = lay.size("runtime.heapStatsDelta");
  auto mstatsSize = lay.size("runtime.mstats");
  std::vector<uint64_t> recorded;
  for (const char* f : {"last_gc_unix", "pause_total_ns", "pause_ns", "pause_end", "numgc", "gc_cpu_fraction",
                        "last_gc_nanotime", "lastHeapInUse"})
    if (auto o = lay.offset("runtime.mstats", f)) recorded.push_back(*o);
  if (recorded.size() == 8 && stats && *stats == 0 && gen && inStacks && delta && mstatsSize) {
    auto marked = dataRefs(prog, "runtime.gcMarkTermination");
    std::set<uint64_t> markSet(marked.begin(), marked.end()), bases;
    for (uint64_t x : marked)
      if (x >= recorded[0] && std::all_of(recorded.begin(), recorded.end(),
                                          [&](uint64_t o) { return markSet.count(x - recorded[0] + o); }))
        bases.insert(x - recorded[0]);
    auto base = one(bases);
    bool updated = false;
    for (const char* fn : {"runtime.(*mcache).refill", "runtime.(*mheap).allocSpan"}) {
      auto refs = dataRefs(prog, fn);
      updated |= base && std::find(refs.begin(), refs.end(), *base) != refs.end();
    }
    if (base && updated) {
      auto g = mem.u32(*base + *gen);
      int64_t inUse = 0;
      bool ok = g && *g <= 2;
      for (uint64_t k = 0; k < 3 && ok; k++) {
        auto a = mem.u64(*base + k * *delta + *inStacks);
        ok = a.has_value();
        if (ok) inUse += static_cast<int64_t>(*a);
      }
      if (ok && inUse >= 0 && inUse % 8192 == 0 && inUse < (1ll << 44)) found["runtime.memstats"] = {*base, *mstatsSize};
    }
  }

  // The strings goroutineheader prints: gStatusStrings starts "idle", "runnable";
  // waitReasonStrings starts "" (waitReasonZero), "GC assist marking".
  std::set<uint64_t> gStatus, waitReasons;
  for (uint64_t x : dataRefs(prog, "runtime.goroutineheader")) {
    auto s0 = printable(mem, x, 64), s1 = printable(mem, x + 16, 64);
    if (!s0 || !s1) continue;
    if (*s0 == "idle" && *s1 == "runnable") gStatus.insert(x);
    if (s0->empty() && *s1 == "GC assist marking") waitReasons.insert(x);
  }
  if (auto x = one(gStatus)) found["runtime.gStatusStrings"] = {*x, 16 * stringArrayLen(mem, *x, 16)};
  if (auto x = one(waitReasons)) found["runtime.waitReasonStrings"] = {*x, 16 * stringArrayLen(mem, *x, 128)};
  return found;
}

std::vector<uint64_t> codeDataRefs(const GoProgram& prog, std::string_view func) { return dataRefs(prog, func); }

}  // namespace goinspect
