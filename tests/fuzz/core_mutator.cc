#include "core_mutator.h"

#include <algorithm>
#include <cstring>

namespace goinspect::fuzz::core {

namespace {

constexpr size_t kMaxMutations = 64;
constexpr uint64_t kRegBase = 0xffffa00000000000ull;  // core_seeds.cc: thread i at kRegBase + 64 i
constexpr uint64_t kRegStride = 64, kRegBytes = 40;   // pc, sp, fp, fs_base, tid

enum Op : uint8_t { kSetBytes, kXor, kU32, kU64, kPointer, kSelf, kWild, kUnreadable, kAdd, kCopy, kCode,
                    kBuildLabels, kBuildDefers, kOps };

// Values that sit on an edge: zero, one, all ones, sizes just past what the engine bounds
// (allglen 50M, Ms 100k, a queue 1M, a label string 4096, ...), the runtime's own magic
// numbers (stackPreempt, maxstacksize), and a little past 32 and 64 bits.
const uint64_t kU64s[] = {
    0, 1, 2, 7, 8, 0x10, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000, 0x1001, 0x10000, 1 << 20, (1 << 20) + 1, 1 << 21,
    (1 << 21) + 1, 1 << 24, 1ull << 31, 1ull << 32, 1ull << 40, (1ull << 40) + 1, 1ull << 48, 1ull << 62, 1ull << 63,
    ~0ull, ~0ull - 1, 0x7fffffffffffffffull, 50'000'000, 50'000'001, 1'000'000, 1'000'001, 100'000, 100'001, 4096,
    4097, 1000, 1001, 10'000'000, 10'000'001, 0xfffffffffffffadeull, 0xfffffffffffffb2eull, 2'000'000'000,
    1'000'000'000, 0x7fffffff, 0x80000000, 65536, 65537, 251, 252,
};
const uint32_t kU32s[] = {0,    1,    2,    3,  4,  5,   6,   8,          9,          10,         11,
                          16,   25,   26,   40, 63, 64,  65,  255,        256,        0x1000,     0x1001,
                          0x1002, 0x1004, 0x1006, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 0x7ffffffe};
// Special lengths for a built structure's strings and counts.
const uint64_t kLens[] = {4096, 4097, 1ull << 40, (1ull << 40) + 1, ~0ull, 100000, 1001, 0};

struct Pick {
  const Region* r = nullptr;
  Kind kind = kKinds;
  uint64_t index = 0;
};

// kind:u8 index:u16: a structure of that kind (or the next kind the seed has).
Pick pick(InputReader& in, const Seed& s) {
  uint8_t k = in.u8();
  uint16_t i = in.u16();
  for (int step = 0; step < kKinds; step++) {
    Kind kind = static_cast<Kind>((k + step) % kKinds);
    const auto& v = s.regions[kind];
    if (!v.empty()) return {&v[i % v.size()], kind, i % v.size()};
  }
  return {};
}

uint64_t at(InputReader& in, const Region& r) { return r.addr + in.u16() % r.size; }

// A label set for one goroutine, in the layout of its release, built in a scratch area.
void buildLabels(InputReader& in, const Seed& s, MutatingTarget& t, uint64_t gp) {
  const SeedLayouts& l = s.lay;
  const auto& scratch = s.regions[kScratch];
  if (!l.hasLabels || scratch.empty()) return;
  const Region& area = scratch[in.u8() % scratch.size()];
  if (area.size < 4096) return;
  uint64_t n = in.u8() % 9;
  uint64_t base = area.addr;
  uint64_t strings = base + 2048;
  // A string header: its bytes from the input, or a length past the bounds.
  auto str = [&](uint64_t hdr) {
    uint8_t sel = in.u8();
    uint64_t len = sel < 0xf0 ? sel % 24 : kLens[sel & 7];
    uint8_t buf[24];
    in.bytes(buf, std::min<uint64_t>(len, 24));
    if (len <= 24) t.write(strings, buf, len);
    t.writeU64(hdr, strings);
    t.writeU64(hdr + 8, len);
    strings += 24;
  };
  t.writeU64(gp + l.gLabels, base);
  if (l.labelList) {
    uint64_t arr = base + 64;
    t.writeU64(base + l.listArray, arr);
    t.writeU64(base + l.listLen, in.u8() >= 0xf8 ? kLens[in.u8() & 7] : n);
    for (uint64_t i = 0; i < n; i++) {
      str(arr + i * l.labelSize + l.labelKey);
      str(arr + i * l.labelSize + l.labelValue);
    }
    return;
  }
  // 1.21-1.23: g.labels points to the map variable, which holds the *hmap.
  uint64_t h = base + 16, buckets = base + 128;
  uint8_t flags = in.u8(), B = in.u8() % 3;
  t.writeU64(base, h);
  t.writeU64(h + l.hmapCount, n);
  t.write(h + l.hmapFlags, &flags, 1);
  t.write(h + l.hmapB, &B, 1);
  t.writeU64(h + l.hmapBuckets, buckets);
  t.writeU64(h + l.hmapOldbuckets, flags & 0x80 ? buckets : 0);
  uint64_t nb = uint64_t{1} << B;
  for (uint64_t b = 0; b < nb; b++) {
    uint8_t zero[8] = {};
    t.write(buckets + b * l.bucketSize + l.bucketTophash, zero, 8);
    // The overflow pointer: none, or back to the first bucket (a cycle) or to the next.
    uint64_t ovf = flags & 0x40 ? buckets : flags & 0x20 ? buckets + ((b + 1) % nb) * l.bucketSize : 0;
    t.writeU64(buckets + b * l.bucketSize + l.bucketOverflow, ovf);
  }
  for (uint64_t i = 0; i < n; i++) {
    uint64_t b = buckets + (i % nb) * l.bucketSize, slot = i / nb;
    uint8_t top = in.u8();
    t.write(b + l.bucketTophash + slot, &top, 1);
    str(b + l.bucketKeys + slot * 16);
    str(b + l.bucketValues + slot * 16);
  }
}

// A chain of _defer records for one goroutine, each naming one of its frames, built in a
// scratch area: heap or stack, rangefunc lists, started, open-coded markers, cycles.
void buildDefers(InputReader& in, const Seed& s, MutatingTarget& t, uint64_t gp, size_t gIndex) {
  const SeedLayouts& l = s.lay;
  const auto& scratch = s.regions[kScratch];
  if (!l.hasDefer || scratch.empty() || s.codePcs.empty()) return;
  const Region& area = scratch[in.u8() % scratch.size()];
  if (area.size < 4096) return;
  uint64_t n = in.u8() % 9;
  const uint64_t stride = std::max<uint64_t>(128, (l.dSize + 15) & ~15ull);
  uint64_t recs = area.addr, funcvals = area.addr + 8 * stride, heads = funcvals + 8 * 16;
  const std::vector<uint64_t>* sps = gIndex < s.frameSps.size() ? &s.frameSps[gIndex] : nullptr;
  auto flag = [&](const std::optional<uint64_t>& off, uint64_t rec, bool v) {
    uint8_t b = v;
    if (off) t.write(rec + *off, &b, 1);
  };
  for (uint64_t i = 0; i < n; i++) {
    uint64_t rec = recs + i * stride;
    uint8_t f = in.u8();
    uint64_t sp = sps && !sps->empty() && !(f & 1) ? (*sps)[in.u8() % sps->size()] : in.u64();
    uint64_t pc = s.codePcs[in.u16() % s.codePcs.size()] + in.u8();
    uint64_t fnpc = s.codePcs[in.u16() % s.codePcs.size()];
    t.writeU64(funcvals + i * 16, fnpc);
    t.writeU64(rec + l.dSp, sp);
    t.writeU64(rec + l.dPc, pc);
    t.writeU64(rec + l.dFn, f & 2 ? 0 : funcvals + i * 16);
    uint64_t link = i + 1 < n ? rec + stride : 0;
    if (f & 4) link = recs;  // a cycle
    t.writeU64(rec + l.dLink, link);
    flag(l.dHeap, rec, f & 8);
    flag(l.dStarted, rec, (f & 0x30) == 0x30);
    flag(l.dOpenDefer, rec, (f & 0x50) == 0x50);
    flag(l.dRangefunc, rec, f & 0x80);
    // A rangefunc record's head: a word holding the list of the loop body's records.
    if (l.dHead) {
      t.writeU64(heads + i * 8, f & 0x40 ? 1 /* badDefer */ : link);
      t.writeU64(rec + *l.dHead, f & 0x80 ? heads + i * 8 : 0);
    }
  }
  t.writeU64(gp + l.gDefer, n ? recs : 0);
}

}  // namespace

void MutatingTarget::write(uint64_t addr, const void* bytes, size_t n) {
  auto* b = static_cast<const uint8_t*>(bytes);
  while (n > 0) {
    Patch p;
    p.addr = addr;
    p.len = static_cast<uint8_t>(std::min<size_t>(n, sizeof p.bytes));
    std::memcpy(p.bytes, b, p.len);
    patches_.push_back(p);
    addr += p.len;
    b += p.len;
    n -= p.len;
  }
}

void MutatingTarget::unreadable(uint64_t addr, uint64_t n) {
  uint64_t hi = addr + n < addr ? ~0ull : addr + n;
  unreadable_.push_back({addr, hi});
}

bool MutatingTarget::isUnreadable(uint64_t addr, uint64_t n) const {
  uint64_t hi = addr + n < addr ? ~0ull : addr + n;
  for (auto [lo, h] : unreadable_)
    if (addr < h && lo < hi) return true;
  return false;
}

void MutatingTarget::overlay(uint64_t addr, uint8_t* buf, size_t n) const {
  for (const Patch& p : patches_) {
    uint64_t lo = std::max(addr, p.addr), hi = std::min(addr + n, p.addr + p.len);
    if (lo < hi) std::memcpy(buf + (lo - addr), p.bytes + (lo - p.addr), hi - lo);
  }
}

bool MutatingTarget::peek(uint64_t addr, void* buf, size_t size) const {
  if (!original(addr, buf, size)) return false;
  overlay(addr, static_cast<uint8_t*>(buf), size);
  return true;
}

bool MutatingTarget::original(uint64_t addr, void* buf, size_t size) const {
  if (readBase(addr, buf, size)) return true;
  // A thread's registers, as the region kRegs names them.
  if (addr >= kRegBase && addr - kRegBase < kRegStride * seed_.threads.size()) {
    size_t i = (addr - kRegBase) / kRegStride;
    uint64_t off = addr - kRegBase - i * kRegStride;
    const ThreadInfo& th = seed_.threads[i];
    uint64_t w[5] = {th.regs ? th.regs->pc : 0, th.regs ? th.regs->sp : 0, th.regs ? th.regs->fp : 0,
                     th.regs ? th.regs->fsBase.value_or(0) : 0, th.tid};
    if (off + size > sizeof w) return false;
    std::memcpy(buf, reinterpret_cast<const uint8_t*>(w) + off, size);
    return true;
  }
  return false;
}

bool MutatingTarget::readBase(uint64_t addr, void* buf, size_t size) const {
  if (seed_.core->readMemory(addr, buf, size)) return true;
  // What a core omits is the executable's file (as GoProgram's fallback reads it).
  auto b = seed_.exe->bytesAt(addr - seed_.bias, size);
  if (b.size() != size) return false;
  std::memcpy(buf, b.data(), size);
  return true;
}

bool MutatingTarget::readMemory(uint64_t addr, void* buf, size_t size) {
  if (size == 0) return true;
  if (addr + size < addr || isUnreadable(addr, size)) return false;
  if (!readBase(addr, buf, size)) return false;
  overlay(addr, static_cast<uint8_t*>(buf), size);
  return true;
}

std::vector<ThreadInfo> MutatingTarget::threads() {
  std::vector<ThreadInfo> out = seed_.threads;
  for (size_t i = 0; i < out.size(); i++) {
    uint64_t base = kRegBase + kRegStride * i;
    if (isUnreadable(base, kRegBytes)) {
      out[i].regs.reset();
      continue;
    }
    uint64_t w[5] = {};
    if (out[i].regs) {
      w[0] = out[i].regs->pc, w[1] = out[i].regs->sp, w[2] = out[i].regs->fp;
      w[3] = out[i].regs->fsBase.value_or(0);
    }
    w[4] = out[i].tid;
    overlay(base, reinterpret_cast<uint8_t*>(w), sizeof w);
    if (out[i].regs || std::any_of(w, w + 4, [](uint64_t x) { return x != 0; }))
      out[i].regs = Registers{w[0], w[1], w[2], w[3]};
    out[i].tid = w[4];
  }
  return out;
}

void applyMutations(InputReader& in, const Seed& s, MutatingTarget& t) {
  for (size_t n = 0; n < kMaxMutations && !in.empty(); n++) {
    Op op = static_cast<Op>(in.u8() % kOps);
    Pick p = pick(in, s);
    if (!p.r) return;
    uint64_t a = at(in, *p.r);
    switch (op) {
      case kSetBytes: {
        uint8_t buf[16];
        size_t len = 1 + in.u8() % 16;
        in.bytes(buf, len);
        t.write(a, buf, len);
        break;
      }
      case kXor: {
        uint8_t b = 0;
        t.peek(a, &b, 1);
        b ^= in.u8() | 1;
        t.write(a, &b, 1);
        break;
      }
      case kU32: {
        uint32_t v = kU32s[in.u8() % std::size(kU32s)];
        t.write(a, &v, 4);
        break;
      }
      case kU64:
        t.writeU64(a, kU64s[in.u8() % std::size(kU64s)]);
        break;
      case kPointer: {
        Pick q = pick(in, s);
        t.writeU64(a, q.r ? at(in, *q.r) : 0);
        break;
      }
      case kSelf:
        t.writeU64(a, p.r->addr + (in.u8() % p.r->size));
        break;
      case kWild:
        t.writeU64(a, s.wildPointers[in.u8() % s.wildPointers.size()]);
        break;
      case kUnreadable:
        t.unreadable(a, 1 + in.u16());
        break;
      case kAdd: {
        uint64_t v = 0;
        t.peek(a, &v, 8);
        t.writeU64(a, v + static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(in.u8())) * 8));
        break;
      }
      case kCopy: {
        Pick q = pick(in, s);
        uint64_t from = q.r ? at(in, *q.r) : 0;
        size_t len = 1 + in.u8() % 64;
        uint8_t buf[64];
        if (q.r && t.readMemory(from, buf, len)) t.write(a, buf, len);
        break;
      }
      case kCode: {
        if (s.codePcs.empty()) break;
        uint16_t sel = in.u16();
        uint64_t pc = (sel & 0x8000) || !s.specialPcs ? s.codePcs[(sel & 0x7fff) % s.codePcs.size()]
                                                      : s.codePcs[sel % s.specialPcs];
        t.writeU64(a, pc + in.u8() % 64);
        break;
      }
      case kBuildLabels:
      case kBuildDefers: {
        // On a goroutine: the one picked if it is a g, else the index-th live one.
        const auto& gs = s.regions[kG];
        if (gs.empty()) break;
        size_t gi = p.kind == kG ? p.index : p.index % gs.size();
        if (op == kBuildLabels) buildLabels(in, s, t, gs[gi].addr);
        else buildDefers(in, s, t, gs[gi].addr, gi);
        break;
      }
      default:
        break;
    }
  }
}

}  // namespace goinspect::fuzz::core
