#include "command_util.h"

#include <algorithm>
#include <map>

#include "session.h"
#include "traceargs.h"

namespace goinspect {

Out::Out(const Parsed& p) {
  if (!p.has("--output")) return;
  path_ = p.get("--output");
  file_ = std::fopen(path_.c_str(), "wb");
  if (!file_) throw Error(fmt::format("cannot write {}", path_));
  buf_.reserve(kBlock + (kBlock >> 3));
}

Out::~Out() {
  // Never leaves the writer running (a command that threw): the file is closed as it is.
  if (pending_.valid()) pending_.wait();
  if (file_) std::fclose(file_);
}

void Out::waitWrite() {
  if (pending_.valid() && !pending_.get()) throw Error(fmt::format("cannot write {}", path_));
}

void Out::flush() {
  waitWrite();
  std::swap(buf_, writing_);
  buf_.clear();
  std::FILE* f = file_;
  const std::string* block = &writing_;
  pending_ = std::async(std::launch::async,
                        [f, block] { return std::fwrite(block->data(), 1, block->size(), f) == block->size(); });
}

void Out::abandon() {
  if (!file_) return;
  if (pending_.valid()) pending_.wait();
  pending_ = {};
  std::fclose(file_);
  file_ = nullptr;
  std::remove(path_.c_str());
}

CommandResult Out::finish(const std::string& what) {
  CommandResult r;
  if (!file_) {
    r.output = std::move(buf_);
    return r;
  }
  flush();
  waitWrite();
  bool ok = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!ok) throw Error(fmt::format("cannot write {}", path_));
  r.output = fmt::format("wrote {} ({} bytes) to {}\n", what, total_, path_);
  return r;
}

FrameSelection parseFrames(const Parsed& p, FrameSelection def) {
  if (!p.has("--frames")) return def;
  std::string v = p.get("--frames");
  if (v == "all") return {FrameSelection::kAll, 0};
  return {FrameSelection::kFirstN, parseCount(v, "--frames")};
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

CommandResult deliver(const Parsed& p, const std::string& text, const std::string& what) {
  Out out(p);
  out.write(text);
  return out.finish(what);
}

const char* const kNotStarted =
    "no goroutines yet: the Go runtime has not started (runtime.allgs is empty); "
    "continue to main.main, e.g. 'b main.main' then 'continue'\n";

std::string dumpJson(const nlohmann::json& j) { return jsonText(j, 2) + "\n"; }

const GoroutineView* findGoroutine(const Snapshot& s, const std::string& idText) {
  int64_t id = static_cast<int64_t>(parseCount(idText, "goroutine id"));
  for (const GoroutineView& v : s.goroutines)
    if (v.g.goid == id) return &v;
  throw Error(fmt::format("no goroutine {} (dead goroutines are not listed; 'go goroutines' shows the live ones)", id));
}

const GoroutineView& goroutineById(Session& s, const std::string& idText) {
  int64_t id = static_cast<int64_t>(parseCount(idText, "goroutine id"));
  if (const GoroutineView* v = s.goroutine(id)) return *v;
  throw Error(fmt::format("no goroutine {} (dead goroutines are not listed; 'go goroutines' shows the live ones)", id));
}

std::string locationOf(const GoroutineView& v) {
  if (v.firstUserFrame >= 0) return location(v.bt.frames[v.firstUserFrame], true);
  if (!v.bt.frames.empty()) return location(v.bt.frames.front(), true);
  return "?";
}

std::string creatorOf(const GoroutineView& v) {
  if (!v.createdBy) return "-";
  return fmt::format("{} at {}:{}", v.createdBy->function, shortPath(v.createdBy->file), v.createdBy->line);
}

std::string table(const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& rightAlign) {
  std::vector<size_t> w;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); i++) {
      if (w.size() <= i) w.push_back(0);
      w[i] = std::max(w[i], r[i].size());
    }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); i++) {
      bool last = i + 1 == r.size();
      if (i) line += "  ";
      if (rightAlign[i]) line += fmt::format("{:>{}}", r[i], w[i]);
      else line += last ? r[i] : fmt::format("{:<{}}", r[i], w[i]);
    }
    out += line + "\n";
  }
  return out;
}

std::string stateCounts(const std::vector<const GoroutineView*>& gs) {
  std::map<std::string_view, size_t> by;  // views: the runtime's words, kept by Runtime
  for (const auto* v : gs) by[v->status]++;
  std::vector<std::pair<std::string_view, size_t>> v(by.begin(), by.end());
  std::stable_sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.second > b.second; });
  std::string out;
  for (auto& [k, n] : v) out += fmt::format("{}{} {}", out.empty() ? "" : ", ", n, k);
  return out;
}

// Valid JSON, greppable (one goroutine per line), and written goroutine by goroutine.
CommandResult deliverGoroutinesJson(Target& target, const Parsed& p, const std::string& goVersion, const std::vector<std::string>& errors,
                                    const std::vector<const GoroutineView*>& sel, FrameSelection fs,
                                    const std::string& what, const FrameArgs& args) {
  Out out(p);
  out.write(fmt::format("{{\"go_version\": {},\n\"goroutines\": [", jsonText(goVersion)));
  try {
    Progress progress(target, "writing JSON", sel.size());
    for (size_t i = 0; i < sel.size(); i++) {
      progress.tick();
      std::string line = i ? ",\n" : "\n";
      appendGoroutineJson(line, *sel[i], fs, args);
      out.write(line);
    }
  } catch (const Interrupted&) {
    out.abandon();
    throw;
  }
  out.write("\n]");
  if (!errors.empty()) out.write(fmt::format(",\n\"errors\": {}", jsonText(errors)));
  out.write("}\n");
  return out.finish(what);
}

FrameArgs traceArgsOf(Session& s) {
  Runtime& rt = s.runtime();
  auto cache = std::make_shared<TraceArgsCache>();
  return [&rt, cache](const Frame& f, size_t) { return traceArgs(rt.prog(), rt.mem(), f, cache.get()); };
}

}  // namespace goinspect
