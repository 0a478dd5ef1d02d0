#include "report.h"

#include <fmt/compile.h>
#include <fmt/format.h>

#include <algorithm>

namespace goinspect {

std::string hex(uint64_t v) { return fmt::format("{:#x}", v); }

std::string jsonText(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<size_t> selectFrames(const GoroutineView& v, FrameSelection sel) {
  std::vector<size_t> out;
  const auto& fr = v.bt.frames;
  switch (sel.kind) {
    case FrameSelection::kFirstUser:
      if (v.firstUserFrame >= 0) out.push_back(static_cast<size_t>(v.firstUserFrame));
      break;
    case FrameSelection::kAll:
      for (size_t i = 0; i < fr.size(); i++) out.push_back(i);
      break;
    case FrameSelection::kFirstN:
      for (size_t i = 0; i < fr.size() && i < sel.n; i++) out.push_back(i);
      break;
  }
  return out;
}

nlohmann::json frameJson(const Frame& f) {
  return {{"function", f.function}, {"file", f.file}, {"line", f.line}, {"pc", hex(f.pc)},
          {"sp", hex(f.sp)},        {"fp", hex(f.fp)},   {"inlined", f.inlined}};
}

namespace {

void appendEscaped(std::string& out, char ch) {
  auto u = static_cast<unsigned char>(ch);
  switch (ch) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\t': out += "\\t"; break;
    case '\r': out += "\\r"; break;
    default:
      if (u < 0x20) fmt::format_to(std::back_inserter(out), "\\u{:04x}", u);
      else out += ch;
  }
}

// A JSON string literal (RFC 8259 escaping); bytes that are not UTF-8 become U+FFFD (a
// status or wait reason is the target's own string, and may be anything).
void appendString(std::string& out, std::string_view s) {
  if (std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
    std::string valid = validUtf8(s);
    if (valid != s) return appendString(out, valid);
  }
  out += '"';
  // Nearly every string (a function, a file) needs no escape: runs of plain bytes go in
  // whole, the rest one escape at a time.
  auto plain = [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != '"' && c != '\\'; };
  while (!s.empty()) {
    size_t n = std::find_if_not(s.begin(), s.end(), plain) - s.begin();
    out.append(s.substr(0, n));
    if (n == s.size()) break;
    appendEscaped(out, s[n]);
    s.remove_prefix(n + 1);
  }
  out += '"';
}

}  // namespace

void appendGoroutineJson(std::string& out, const GoroutineView& v, FrameSelection sel, const FrameArgs& args) {
  auto o = std::back_inserter(out);
  fmt::format_to(o, FMT_COMPILE("{{\"id\": {}, \"gp\": \"{:#x}\", \"status\": "), v.g.goid, v.g.addr);
  appendString(out, v.status);
  out += ", \"wait_reason\": ";
  if (v.waitReason.empty()) out += "null";
  else appendString(out, v.waitReason);
  out += ", \"wait_since_minutes\": ";
  out += v.waitMinutes ? std::to_string(*v.waitMinutes) : "null";
  fmt::format_to(o, FMT_COMPILE(", \"locked_to_thread\": {}, \"m\": {}, \"thread_id\": {}, \"system\": {}"),
                 v.lockedToThread, v.mId ? std::to_string(*v.mId) : "null",
                 v.threadId ? std::to_string(*v.threadId) : "null", v.system);
  out += ", \"labels\": {";
  for (size_t i = 0; i < v.labels.size(); i++) {
    if (i) out += ", ";
    appendString(out, v.labels[i].first);
    out += ": ";
    appendString(out, v.labels[i].second);
  }
  out += "}";
  fmt::format_to(o,
                 FMT_COMPILE(", \"stack\": {{\"lo\": \"{:#x}\", \"hi\": \"{:#x}\", \"sp\": \"{:#x}\", \"used_bytes\": {}, "
                 "\"size_bytes\": {}}}, \"frames\": ["),
                 v.g.stackLo, v.g.stackHi, v.bt.startSp, v.usedBytes(), v.sizeBytes());
  bool first = true;
  for (size_t k : selectFrames(v, sel)) {
    const Frame fr = v.bt.frames[k];
    const Frame* f = &fr;
    out += first ? "{\"function\": " : ", {\"function\": ";
    first = false;
    appendString(out, f->function);
    out += ", \"file\": ";
    appendString(out, f->file);
    fmt::format_to(o, FMT_COMPILE(", \"line\": {}, \"pc\": \"{:#x}\", \"sp\": \"{:#x}\", \"fp\": \"{:#x}\", \"inlined\": {}"),
                   f->line, f->pc, f->sp, f->fp, f->inlined);
    if (args) {
      out += ", \"args\": ";
      appendString(out, args(*f, k));
    }
    out += "}";
  }
  out += "], \"created_by\": ";
  if (v.createdBy) {
    out += "{\"function\": ";
    appendString(out, v.createdBy->function);
    out += ", \"file\": ";
    appendString(out, v.createdBy->file);
    fmt::format_to(o, FMT_COMPILE(", \"line\": {}, \"goid\": {}}}"), v.createdBy->line, v.createdBy->goid);
  } else {
    out += "null";
  }
  if (!v.bt.error.empty()) {
    out += ", \"error\": ";
    appendString(out, v.bt.error);
  }
  out += "}";
}

nlohmann::json goroutineJson(const GoroutineView& v, FrameSelection sel, const FrameArgs& args) {
  std::string s;
  appendGoroutineJson(s, v, sel, args);
  return nlohmann::json::parse(s);
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
  if (m < 1024) return m == static_cast<uint64_t>(m) ? fmt::format("{}M", static_cast<uint64_t>(m)) : fmt::format("{:.1f}M", m);
  double g = m / 1024.0;
  return g == static_cast<uint64_t>(g) ? fmt::format("{}G", static_cast<uint64_t>(g)) : fmt::format("{:.1f}G", g);
}

nlohmann::json recursionJson(const Recursion& r, const FrameList& frames, std::optional<uint64_t> moreFit) {
  nlohmann::json j = {{"functions", r.functions}, {"cycle_frames", r.cycleFrames},
                      {"repeats", r.repeats},     {"bytes_per_cycle", r.bytesPerCycle},
                      {"more_fit", moreFit ? nlohmann::json(*moreFit) : nlohmann::json(nullptr)}};
  if (r.entry && *r.entry < frames.size()) j["entered_from"] = frameJson(frames[*r.entry]);
  return j;
}

std::string recursionText(const Recursion& r) {
  std::string cycle;
  for (auto fn : r.functions) cycle += std::string(fn) + " -> ";
  cycle += std::string(r.functions.front());
  return fmt::format("{}: {} cycles of {} frame{} in a row (frames #{}..#{}), {} bytes per cycle", cycle, r.repeats,
                     r.cycleFrames, r.cycleFrames == 1 ? "" : "s", r.innermost, r.outermost, r.bytesPerCycle);
}

std::string recursionShort(const Recursion& r) {
  std::string s;
  for (auto fn : r.functions) s += (s.empty() ? "" : "→") + std::string(fn);
  return fmt::format("{} ×{}", s, r.repeats);
}

std::string backtraceText(const GoroutineView& v, const FrameArgs& args) {
  std::string out = fmt::format("goroutine {} [{}", v.g.goid, v.stateText());
  if (v.waitMinutes && *v.waitMinutes > 0) out += fmt::format(", {} minutes", *v.waitMinutes);
  if (v.lockedToThread) out += ", locked to thread";
  out += "]";
  // pprof labels where Go 1.27 prints them: "[chan receive] {k: v, note: "a b"}:".
  if (!v.labels.empty()) out += " " + labelsText(v.labels);
  if (v.mId) out += fmt::format(" m={}", *v.mId);
  if (v.threadIndex) out += fmt::format(" thread #{} (tid {})", *v.threadIndex, *v.threadId);
  out += ":\n";
  // User code is marked '>' so it stands out among the runtime's frames.
  for (size_t n = 0; n < v.bt.frames.size(); n++) {
    const Frame& f = v.bt.frames[n];
    std::string a = args ? args(f, n) : f.inlined ? "..." : "";
    out += fmt::format("#{:<3}{}{}({})\n", n, v.userFrame(n) ? '>' : ' ', f.function, a);
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
