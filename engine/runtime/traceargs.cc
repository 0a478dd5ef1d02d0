#include "traceargs.h"

#include <fmt/format.h>

#include "goprogram.h"
#include "memory.h"

namespace goinspect {

namespace {

// internal/abi (type.go): the ArgInfo encoding's operators and its longest program.
constexpr uint8_t kEndSeq = 0xff, kStartAgg = 0xfe, kEndAgg = 0xfd, kDotdotdot = 0xfc, kOffsetTooLarge = 0xfb;
constexpr uint64_t kMaxLen = (5 * 3 + 2) * 10 + 1;  // abi.TraceArgsMaxLen

}  // namespace

std::string traceArgs(const GoProgram& prog, Memory& mem, const Frame& f) {
  if (f.inlined) return "...";
  const PcLnTab& pcln = prog.pcln();
  const uint64_t bias = prog.bias();
  // symPC, as the runtime looks the frame up (traceback.go: unwinder.symPC).
  uint64_t symPc = (!f.trap && f.pc > f.entry) ? f.pc - 1 : f.pc;
  const Func* fn = pcln.findFunc(symPc - bias);
  if (!fn || fn->entry + bias != f.entry) return "";
  auto p = pcln.funcdata(*fn, kFuncdataArgInfo, kMaxLen);
  if (p.empty()) return "";

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

  const uint64_t argp = f.fp;  // frame.argp = frame.fp + sys.MinFrameSize, 0 on amd64
  std::string out;
  bool start = true;
  auto comma = [&] {
    if (!start) out += ", ";
  };
  uint8_t slot = 0;
  for (size_t i = 0; i < p.size();) {
    uint8_t o = p[i++];
    if (o == kEndSeq) break;
    switch (o) {
      case kStartAgg:
        comma();
        out += '{';
        start = true;
        continue;
      case kEndAgg: out += '}'; break;
      case kDotdotdot: comma(); out += "..."; break;
      case kOffsetTooLarge: comma(); out += '_'; break;
      default: {
        comma();
        if (i >= p.size()) return out;
        uint8_t sz = p[i++];
        // print1 reads 8 bytes and keeps the low sz (x << 64 is 0 in Go: a 0-byte word is 0).
        uint64_t x = 0;
        if (sz != 0 && !mem.read(argp + o, &x, sz > 8 ? 8 : sz)) {
          out += "<unreadable>";
        } else {
          out += fmt::format("{:#x}", x);  // little-endian: the low sz bytes, as print1 masks
          if (!isLive(o, slot)) out += '?';
        }
        if (o >= startOffset) slot++;
      }
    }
    start = false;
  }
  return out;
}

}  // namespace goinspect
