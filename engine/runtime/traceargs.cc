#include "traceargs.h"

#include <fmt/compile.h>
#include <fmt/format.h>

#include <unordered_map>

#include "goprogram.h"
#include "memory.h"

namespace goinspect {

namespace {

// internal/abi (type.go): the ArgInfo encoding's operators and its longest program.
constexpr uint8_t kEndSeq = 0xff, kStartAgg = 0xfe, kEndAgg = 0xfd, kDotdotdot = 0xfc, kOffsetTooLarge = 0xfb;
constexpr uint64_t kMaxLen = (5 * 3 + 2) * 10 + 1;  // abi.TraceArgsMaxLen

// ArgInfo decoded: the operators in order, each word with its liveness at the frame's pc.
struct Op {
  uint8_t op = 0;        // kStartAgg, kEndAgg, kDotdotdot, kOffsetTooLarge, or 0: a word
  uint8_t off = 0, sz = 0;
  bool live = true;
};

std::optional<std::vector<Op>> decode(const GoProgram& prog, const Frame& f) {
  if (f.inlined) return std::nullopt;
  const PcLnTab& pcln = prog.pcln();
  const uint64_t bias = prog.bias();
  // symPC, as the runtime looks the frame up (traceback.go: unwinder.symPC).
  uint64_t symPc = (!f.trap && f.pc > f.entry) ? f.pc - 1 : f.pc;
  const Func* fn = pcln.findFunc(symPc - bias);
  if (!fn || fn->entry + bias != f.entry) return std::nullopt;
  auto p = pcln.funcdata(*fn, kFuncdataArgInfo, kMaxLen);
  if (p.empty()) return std::nullopt;

  // Liveness of the register arguments' spill slots: slots at offsets from startOffset on
  // have a bit per slot in the bitmap at liveInfo[liveIdx]; no info or index <= 0: all live.
  int32_t liveIdx = pcln.pcdata(*fn, kPcdataArgLiveIndex, symPc - bias).value_or(-1);
  std::span<const uint8_t> live;
  if (liveIdx > 0) live = pcln.funcdata(*fn, kFuncdataArgLiveInfo, static_cast<uint64_t>(liveIdx) + 32);
  uint8_t startOffset = live.empty() ? 0xff : live[0];
  auto isLive = [&](uint8_t off, uint8_t slot) {
    if (live.empty() || liveIdx <= 0 || off < startOffset) return true;
    size_t at = static_cast<size_t>(liveIdx) + slot / 8;
    return at < live.size() && (live[at] & (1u << (slot % 8))) != 0;
  };

  std::vector<Op> ops;
  uint8_t slot = 0;
  for (size_t i = 0; i < p.size();) {
    uint8_t o = p[i++];
    if (o == kEndSeq) return ops;
    if (o == kStartAgg || o == kEndAgg || o == kDotdotdot || o == kOffsetTooLarge) {
      ops.push_back({o});
      continue;
    }
    if (i >= p.size()) break;
    Op w{0, o, p[i++]};
    w.live = isLive(o, slot);
    if (o >= startOffset) slot++;
    ops.push_back(w);
  }
  return ops;  // no end marker within the longest program: what there was
}

}  // namespace

struct TraceArgsCache::Impl {
  static constexpr size_t kMax = 1 << 16;
  // symPC → (the function's entry, what decode said there)
  std::unordered_map<uint64_t, std::pair<uint64_t, std::optional<std::vector<Op>>>> ops;
};
TraceArgsCache::TraceArgsCache() : impl(std::make_unique<Impl>()) {}
TraceArgsCache::~TraceArgsCache() = default;

std::string traceArgs(const GoProgram& prog, Memory& mem, const Frame& f, TraceArgsCache* cache) {
  if (f.inlined) return "...";
  std::optional<std::vector<Op>> fresh;
  const std::optional<std::vector<Op>>* ops = &fresh;
  uint64_t symPc = (!f.trap && f.pc > f.entry) ? f.pc - 1 : f.pc;
  if (cache) {
    auto& m = cache->impl->ops;
    auto it = m.find(symPc);
    if (it == m.end() || it->second.first != f.entry) {
      if (m.size() >= TraceArgsCache::Impl::kMax) m.clear();
      it = m.insert_or_assign(symPc, std::pair{f.entry, decode(prog, f)}).first;
    }
    ops = &it->second.second;
  } else {
    fresh = decode(prog, f);
  }
  if (!*ops) return "";
  const uint64_t argp = f.fp;  // frame.argp = frame.fp + sys.MinFrameSize, 0 on amd64
  std::string out;
  bool start = true;
  for (const Op& o : **ops) {
    switch (o.op) {
      case kStartAgg:
        out += start ? "{" : ", {";
        start = true;
        continue;
      case kEndAgg: out += '}'; break;
      case kDotdotdot: out += start ? "..." : ", ..."; break;
      case kOffsetTooLarge: out += start ? "_" : ", _"; break;
      default: {
        if (!start) out += ", ";
        // print1 reads 8 bytes and keeps the low sz (x << 64 is 0 in Go: a 0-byte word is 0).
        uint64_t x = 0;
        if (o.sz != 0 && !mem.read(argp + o.off, &x, o.sz > 8 ? 8 : o.sz)) {
          out += "<unreadable>";
        } else {
          fmt::format_to(std::back_inserter(out), FMT_COMPILE("{:#x}"), x);  // little-endian: the low sz bytes, as print1 masks
          if (!o.live) out += '?';
        }
      }
    }
    start = false;
  }
  return out;
}

std::optional<TraceArgSlots> traceArgSlots(const GoProgram& prog, const Frame& f) {
  auto ops = decode(prog, f);
  if (!ops) return std::nullopt;
  TraceArgSlots out;
  int depth = 0;
  for (const Op& o : *ops) {
    if (depth == 0 && o.op == kDotdotdot) {
      out.truncated = true;
      break;
    }
    if (depth == 0 && o.op != kEndAgg) out.params.push_back({std::nullopt, true, true});
    if (out.params.empty()) break;  // an unbalanced program: stop
    TraceArgSlot& s = out.params.back();
    switch (o.op) {
      case kStartAgg: depth++; break;
      case kEndAgg: depth = depth > 0 ? depth - 1 : 0; break;
      case kDotdotdot:
      case kOffsetTooLarge: s.complete = false; break;
      default:
        if (!s.addr) s.addr = f.fp + o.off;
        s.live = s.live && o.live;
    }
  }
  return out;
}

}  // namespace goinspect
