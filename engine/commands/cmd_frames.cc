// go frames: one goroutine's frames, each with its size and its depth in the stack.
#include <fmt/format.h>

#include "command_list.h"
#include "command_util.h"
#include "stacks.h"

namespace goinspect {

using nlohmann::json;

const Usage kFramesUsage = {
    "ID",
    "Every frame of the goroutine, innermost first, with its size in bytes (from pclntab's pcsp "
    "table: locals, spilled arguments and the return address) and its depth (bytes from the "
    "innermost sp to the frame's top), so frames that eat the stack stand out: a large struct copied "
    "by value, a big local array. Inlined calls live inside the frame below them.",
    {jsonOption("{\"id\", \"stack\": {\"lo\", \"hi\", \"sp\", \"used_bytes\", \"size_bytes\"}, \"frames\": "
                "[{..., \"size_bytes\", \"depth_bytes\"}], \"recursion\"}"),
     outputOption()}};

// Each physical frame's size is fp - sp (pcsp's delta plus the return address); its depth is
// how far its top is from the innermost sp. Inlined calls live inside their physical frame.
CommandResult cmdFrames(Session& s, const std::vector<std::string>& args) {
  Parsed p = parse(args, kFramesUsage);
  if (p.positional.size() != 1) throw Error("usage: go frames ID");
  const GoroutineView& v = goroutineById(s, p.positional[0]);
  const uint64_t base = v.bt.startSp;
  auto size = [](const Frame& f) { return f.inlined ? 0 : f.fp - f.sp; };
  auto depth = [&](const Frame& f) { return f.fp - base; };
  // The recursion and, at its rate, the cycles that fit before runtime.maxstacksize.
  GoroutineStack st = goroutineStack(v, s.runtime().maxstacksize());
  const Recursion* rec = st.recursion.get();
  const std::optional<uint64_t>& moreFit = st.moreFit;
  if (p.has("--json")) {
    json frames = json::array();
    for (const Frame& f : v.bt.frames) {
      json j = frameJson(f);
      j["size_bytes"] = size(f);
      j["depth_bytes"] = depth(f);
      frames.push_back(std::move(j));
    }
    json out = {{"id", v.g.goid},
                {"stack", {{"lo", hex(v.g.stackLo)}, {"hi", hex(v.g.stackHi)}, {"sp", hex(base)},
                           {"used_bytes", v.usedBytes()}, {"size_bytes", v.sizeBytes()}}},
                {"frames", std::move(frames)},
                {"recursion", nullptr}};
    if (rec) out["recursion"] = recursionJson(*rec, v.bt.frames, moreFit);
    if (!v.bt.error.empty()) out["error"] = v.bt.error;
    return deliver(p, dumpJson(out), fmt::format("goroutine {}'s frames", v.g.goid));
  }
  std::string out = fmt::format("goroutine {} [{}]: stack [{}, {}) {} bytes, {} used ({}%)\n", v.g.goid,
                                v.stateText(), hex(v.g.stackLo), hex(v.g.stackHi), v.sizeBytes(), v.usedBytes(),
                                v.sizeBytes() ? v.usedBytes() * 100 / v.sizeBytes() : 0);
  std::vector<std::vector<std::string>> rows = {{"#", "SIZE", "DEPTH", "FUNCTION", "AT"}};
  std::optional<Frame> largest;
  for (size_t i = 0; i < v.bt.frames.size(); i++) {
    const Frame f = v.bt.frames[i];
    if (!f.inlined && (!largest || size(f) > size(*largest))) largest = f;
    rows.push_back({std::to_string(i), f.inlined ? "-" : std::to_string(size(f)),
                    f.inlined ? "-" : std::to_string(depth(f)),
                    std::string(v.userFrame(i) ? ">" : " ") + std::string(f.function) + (f.inlined ? " (inlined)" : ""),
                    fmt::format("{}:{}", shortPath(f.file), f.line)});
  }
  out += table(rows, {true, true, true, false, false});
  if (largest && v.usedBytes())
    out += fmt::format("largest frame: {}, {} bytes ({}% of the used stack)\n", largest->function, size(*largest),
                       size(*largest) * 100 / v.usedBytes());
  if (rec) {
    out += "recursion: " + recursionText(*rec);
    if (moreFit) out += fmt::format("; {} more fit before runtime.maxstacksize", *moreFit);
    out += "\n";
    if (rec->entry)
      out += fmt::format("  entered from #{} {}\n", *rec->entry, location(v.bt.frames[*rec->entry], false));
  }
  if (!v.bt.error.empty()) out += fmt::format("error: {}\n", v.bt.error);
  return deliver(p, out, fmt::format("goroutine {}'s frames", v.g.goid));
}

}  // namespace goinspect
