#include "defers.h"

#include <fmt/format.h>

#include <map>
#include <unordered_set>

#include "bounds.h"
#include "varint.h"

namespace goinspect {

namespace {

constexpr uint64_t kBadDefer = 1;          // runtime.badDefer(): a rangefunc list closed for good

struct Record {
  uint64_t addr = 0, sp = 0, pc = 0, fn = 0, link = 0, head = 0;
  bool heap = false, rangefunc = false, started = false, openDefer = false;
};

}  // namespace

// The _defer layout and the reads, looked up once per command.
class DeferReader {
 public:
  explicit DeferReader(Runtime& rt) : rt_(rt), prog_(rt.prog()), mem_(rt.mem()) {
    const char* T = "runtime._defer";
    heap_ = prog_.offOpt(T, "heap");
    rangefunc_ = prog_.offOpt(T, "rangefunc");
    started_ = prog_.offOpt(T, "started");
    openDefer_ = prog_.offOpt(T, "openDefer");
    sp_ = prog_.offOpt(T, "sp");
    pc_ = prog_.offOpt(T, "pc");
    fn_ = prog_.offOpt(T, "fn");
    link_ = prog_.offOpt(T, "link");
    head_ = prog_.offOpt(T, "head");
  }

  bool usable() const { return sp_ && pc_ && fn_ && link_; }
  // Go 1.21's open-coded funcdata lists each closure's offset; 1.22+ has one slots offset.
  bool oldOpenCodedFormat() const { return openDefer_.has_value(); }

  std::optional<Record> record(uint64_t addr) {
    Record r;
    r.addr = addr;
    auto sp = mem_.u64(addr + *sp_), pc = mem_.u64(addr + *pc_), fn = mem_.u64(addr + *fn_),
         link = mem_.u64(addr + *link_);
    if (!sp || !pc || !fn || !link) return std::nullopt;
    r.sp = *sp, r.pc = *pc, r.fn = *fn, r.link = *link;
    auto flag = [&](const std::optional<uint64_t>& off) { return off && mem_.u8(addr + *off).value_or(0) != 0; };
    r.heap = flag(heap_);
    r.rangefunc = flag(rangefunc_);
    r.started = flag(started_);
    r.openDefer = flag(openDefer_);
    if (head_) r.head = mem_.u64(addr + *head_).value_or(0);
    return r;
  }

  // The function a func value calls (its first word is the code pointer), and where it starts.
  void setFunction(PendingDefer* d, uint64_t fn) {
    d->fn = fn;
    auto pc = fn ? mem_.u64(fn) : std::nullopt;
    const Func* f = pc ? prog_.findFunc(*pc) : nullptr;
    if (!f) return;
    d->function = std::string(prog_.funcName(*f));
    auto [file, line] = prog_.pcln().fileLine(*f, f->entry);
    d->functionFile = std::string(file);
    d->functionLine = line;
  }

  // The `defer` statement: the call to deferproc that returns to pc.
  void deferSite(PendingDefer* d, uint64_t pc) {
    if (!pc) return;
    d->deferPc = pc;
    if (const Func* f = prog_.findFunc(pc - 1)) {
      auto frames = prog_.pcln().expand(*f, pc - 1 - prog_.bias());
      if (!frames.empty()) {
        d->deferFile = std::string(frames.front().file);
        d->deferLine = frames.front().line;
      }
    }
  }

  Runtime& rt_;
  GoProgram& prog_;
  Memory& mem_;

 private:
  std::optional<uint64_t> heap_, rangefunc_, started_, openDefer_, sp_, pc_, fn_, link_, head_;
};

// The next uvarint of b at *i, advancing *i; ~0 when truncated (the caller rejects it).
namespace {

uint64_t readUvarint(std::span<const uint8_t> b, size_t* i) {
  uint64_t v = 0;
  size_t n = *i < b.size() ? uvarint(b.subspan(*i), v) : 0;
  if (!n) return ~0ull;
  *i += n;
  return v;
}

// The open-coded defers pending in one physical frame, highest bit first (nextDefer).
void openCoded(DeferReader& r, const Frame& fr, size_t index, std::vector<PendingDefer>* out, std::string* err) {
  const Func* f = r.prog_.findFunc(fr.pc - (fr.pc > fr.entry ? 1 : 0));
  if (!f) return;
  std::span<const uint8_t> fd = r.prog_.pcln().funcdata(*f, kFuncdataOpenCodedDeferInfo, 64);
  if (fd.empty()) return;
  // The frame's varp (runtime traceback): below the return address, and below the saved
  // frame pointer when the frame has one.
  uint64_t varp = fr.fp - 8;
  if (varp > fr.sp) varp -= 8;
  size_t i = 0;
  uint64_t bitsOff = readUvarint(fd, &i);
  if (bitsOff == ~0ull || bitsOff > varp) return;
  auto bits = r.mem_.u8(varp - bitsOff);
  if (!bits) {
    *err = fmt::format("cannot read the deferBits of {} at {:#x}", fr.function, varp - bitsOff);
    return;
  }
  if (!*bits) return;
  std::vector<uint64_t> slot(8, 0);  // slot[i]: where defer i's closure is
  if (r.oldOpenCodedFormat()) {
    // Go 1.21: deferBitsOffset, nDefers, then each closure's offset for i = nDefers-1 .. 0.
    uint64_t n = readUvarint(fd, &i);
    if (n > 8) return;
    for (int64_t k = static_cast<int64_t>(n) - 1; k >= 0; k--) {
      uint64_t off = readUvarint(fd, &i);
      if (off == ~0ull || off > varp) return;
      slot[k] = varp - off;
    }
  } else {
    uint64_t slotsOff = readUvarint(fd, &i);
    if (slotsOff == ~0ull || slotsOff > varp) return;
    for (int k = 0; k < 8; k++) slot[k] = varp - slotsOff + 8 * k;
  }
  for (int k = 7; k >= 0; k--) {
    if (!(*bits & (1u << k)) || !slot[k]) continue;
    PendingDefer d;
    d.kind = "open-coded";
    r.setFunction(&d, r.mem_.u64(slot[k]).value_or(0));
    d.frameIndex = index;
    d.frame = std::string(fr.function);
    d.frameSp = fr.sp;
    out->push_back(std::move(d));
  }
}

}  // namespace

PendingDefers::PendingDefers(Runtime& rt) : r_(std::make_unique<DeferReader>(rt)) {}
PendingDefers::~PendingDefers() = default;

GoroutineDefers PendingDefers::of(const GoroutineView& v) {
  GoroutineDefers out;
  DeferReader& r = *r_;
  if (!r.usable()) {
    out.error = "this binary's runtime._defer layout is unknown";
    return out;
  }

  // The chain, newest first, grouped by the frame sp each record saved.
  std::map<uint64_t, std::vector<Record>> bySp;
  std::vector<uint64_t> spOrder;
  std::unordered_set<uint64_t> seen;
  for (uint64_t d = v.g.deferp; d && seen.size() < bounds::kMaxDefers; ) {
    if (!seen.insert(d).second) {
      out.error = fmt::format("the _defer chain loops at {:#x}", d);
      break;
    }
    auto rec = r.record(d);
    if (!rec) {
      out.error = fmt::format("cannot read the _defer record at {:#x}", d);
      break;
    }
    if (!bySp.count(rec->sp)) spOrder.push_back(rec->sp);
    bySp[rec->sp].push_back(*rec);
    d = rec->link;
  }
  if (seen.size() >= bounds::kMaxDefers) out.error = fmt::format("the _defer chain is longer than {} records", bounds::kMaxDefers);

  auto addRecords = [&](uint64_t sp, std::optional<size_t> index, const std::string& frame) {
    auto it = bySp.find(sp);
    if (it == bySp.end()) return;
    for (const Record& rec : it->second) {
      // Go 1.21: a record standing for a frame's open-coded defers (read from the frame's
      // bits instead), or one whose call is already running.
      if (rec.openDefer || rec.started) continue;
      auto push = [&](const Record& x, const char* kind) {
        PendingDefer d;
        d.kind = kind;
        r.setFunction(&d, x.fn);
        d.frameIndex = index;
        d.frame = frame;
        d.frameSp = sp;
        d.record = x.addr;
        if (std::string_view(kind) != "rangefunc") r.deferSite(&d, x.pc);
        out.defers.push_back(std::move(d));
      };
      if (rec.rangefunc) {
        // The loop body's defers, newest first, on the list the record's head points to.
        uint64_t d = rec.head ? r.mem_.u64(rec.head).value_or(0) : 0;
        std::unordered_set<uint64_t> inList;
        while (d && d != kBadDefer && inList.size() < bounds::kMaxDefers && inList.insert(d).second) {
          auto x = r.record(d);
          if (!x) {
            out.error = fmt::format("cannot read the rangefunc _defer record at {:#x}", d);
            break;
          }
          push(*x, "rangefunc");
          d = x->link;
        }
        continue;
      }
      if (!rec.fn) continue;  // a converted rangefunc head: nothing to call
      push(rec, rec.heap ? "heap" : "stack");
    }
    bySp.erase(it);
  };

  // Innermost frame first; a physical frame's logical frames share its sp, and its defers
  // belong to the physical (outermost, not inlined) one.
  const FrameList& fs = v.bt.frames;
  for (size_t k = 0; k < fs.size(); k++) {
    const Frame f = fs[k];
    if (f.inlined) continue;
    size_t before = out.defers.size();
    openCoded(r, f, k, &out.defers, &out.error);
    addRecords(f.sp, k, std::string(f.function));
    size_t heap = 0;
    for (size_t i = before; i < out.defers.size(); i++) heap += out.defers[i].kind == "heap";
    if (heap >= kManyDefers)
      out.warnings.push_back(fmt::format(
          "{} (frame {}) holds {} pending heap defers: a 'defer' inside a loop? they run only when it returns",
          f.function, k, heap));
  }
  // Records whose frame the backtrace did not reach (a truncated or failed unwind).
  for (uint64_t sp : spOrder)
    if (bySp.count(sp)) addRecords(sp, std::nullopt, "?");
  return out;
}

}  // namespace goinspect
