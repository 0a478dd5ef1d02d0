#include "report.h"

#include <fmt/format.h>

namespace goinspect {

std::string hex(uint64_t v) { return fmt::format("{:#x}", v); }

std::vector<const Frame*> selectFrames(const GoroutineView& v, FrameSelection sel) {
  std::vector<const Frame*> out;
  const auto& fr = v.bt.frames;
  switch (sel.kind) {
    case FrameSelection::kFirstUser:
      if (v.firstUserFrame >= 0) out.push_back(&fr[v.firstUserFrame]);
      break;
    case FrameSelection::kAll:
      for (const Frame& f : fr) out.push_back(&f);
      break;
    case FrameSelection::kFirstN:
      for (size_t i = 0; i < fr.size() && i < sel.n; i++) out.push_back(&fr[i]);
      break;
  }
  return out;
}

nlohmann::json frameJson(const Frame& f) {
  return {{"function", f.function}, {"file", f.file},   {"line", f.line},
          {"pc", hex(f.pc)},        {"sp", hex(f.sp)},  {"inlined", f.inlined}};
}

nlohmann::json goroutineJson(const GoroutineView& v, FrameSelection sel) {
  using nlohmann::json;
  json j;
  j["id"] = v.g.goid;
  j["gp"] = hex(v.g.addr);
  j["status"] = v.status;
  j["wait_reason"] = v.waitReason.empty() ? json(nullptr) : json(v.waitReason);
  j["wait_since_minutes"] = v.waitMinutes ? json(*v.waitMinutes) : json(nullptr);
  j["locked_to_thread"] = v.lockedToThread;
  j["m"] = v.mId ? json(*v.mId) : json(nullptr);
  j["thread_id"] = v.threadId ? json(*v.threadId) : json(nullptr);
  j["system"] = v.system;
  j["stack"] = {{"lo", hex(v.g.stackLo)},        {"hi", hex(v.g.stackHi)},
                {"sp", hex(v.bt.startSp)},       {"used_bytes", v.usedBytes()},
                {"size_bytes", v.sizeBytes()}};
  json frames = json::array();
  for (const Frame* f : selectFrames(v, sel)) frames.push_back(frameJson(*f));
  j["frames"] = std::move(frames);
  if (v.createdBy)
    j["created_by"] = {{"function", v.createdBy->function},
                       {"file", v.createdBy->file},
                       {"line", v.createdBy->line},
                       {"goid", v.createdBy->goid}};
  else
    j["created_by"] = nullptr;
  if (!v.bt.error.empty()) j["error"] = v.bt.error;
  return j;
}

std::string shortPath(std::string_view file) {
  // Keep "pkg/file.go": enough to recognise, short enough for a table.
  auto last = file.rfind('/');
  if (last == std::string_view::npos || last == 0) return std::string(file);
  auto prev = file.rfind('/', last - 1);
  return std::string(prev == std::string_view::npos ? file : file.substr(prev + 1));
}

std::string location(const Frame& f, bool shortFile) {
  return fmt::format("{} at {}:{}", f.function, shortFile ? shortPath(f.file) : std::string(f.file), f.line);
}

std::string bytesShort(uint64_t n) {
  if (n < 1024) return fmt::format("{}", n);
  double k = n / 1024.0;
  if (k < 1024) return k == static_cast<uint64_t>(k) ? fmt::format("{}K", static_cast<uint64_t>(k)) : fmt::format("{:.1f}K", k);
  double m = k / 1024.0;
  return m == static_cast<uint64_t>(m) ? fmt::format("{}M", static_cast<uint64_t>(m)) : fmt::format("{:.1f}M", m);
}

std::string backtraceText(const GoroutineView& v) {
  std::string out = fmt::format("goroutine {} [{}", v.g.goid, v.stateText());
  if (v.waitMinutes && *v.waitMinutes > 0) out += fmt::format(", {} minutes", *v.waitMinutes);
  if (v.lockedToThread) out += ", locked to thread";
  out += "]";
  if (v.mId) out += fmt::format(" m={}", *v.mId);
  if (v.threadIndex) out += fmt::format(" thread #{} (tid {})", *v.threadIndex, *v.threadId);
  out += ":\n";
  int n = 0;
  for (const Frame& f : v.bt.frames) {
    out += fmt::format("#{:<3} {}{}\n", n++, f.function, f.inlined ? "(...)" : "()");
    out += fmt::format("       {}:{}", f.file, f.line);
    if (!f.inlined) {
      if (f.pc > f.entry) out += fmt::format(" +{:#x}", f.pc - f.entry);
      out += fmt::format(" pc={:#x} sp={:#x}", f.pc, f.sp);
    }
    out += "\n";
  }
  if (v.bt.truncated) out += "...additional frames not shown...\n";
  if (!v.bt.error.empty()) out += fmt::format("error: {}\n", v.bt.error);
  if (v.createdBy) {
    out += fmt::format("created by {}", v.createdBy->function);
    if (v.createdBy->goid) out += fmt::format(" in goroutine {}", v.createdBy->goid);
    out += fmt::format("\n       {}:{}", v.createdBy->file, v.createdBy->line);
    if (v.createdBy->pc > v.createdBy->entry) out += fmt::format(" +{:#x}", v.createdBy->pc - v.createdBy->entry);
    out += "\n";
  }
  return out;
}

}  // namespace goinspect
