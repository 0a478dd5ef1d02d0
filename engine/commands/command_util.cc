#include "command_util.h"

#include <algorithm>

namespace goinspect {

Parsed parse(const std::vector<std::string>& args, const std::vector<OptSpec>& specs, const std::string& cmd) {
  Parsed p;
  for (size_t i = 1; i < args.size(); i++) {
    const std::string& a = args[i];
    if (a.size() > 2 && a.starts_with("--")) {
      std::string name = a, value;
      bool inlineValue = false;
      if (auto eq = a.find('='); eq != std::string::npos) {
        name = a.substr(0, eq);
        value = a.substr(eq + 1);
        inlineValue = true;
      }
      auto spec = std::find_if(specs.begin(), specs.end(), [&](const OptSpec& s) { return s.name == name; });
      if (spec == specs.end()) throw Error(fmt::format("go {}: unknown option {} (see 'help go {}')", cmd, name, cmd));
      if (spec->takesValue && !inlineValue) {
        if (i + 1 >= args.size()) throw Error(fmt::format("go {}: {} needs a value", cmd, name));
        value = args[++i];
      }
      p.opts[name] = value;
    } else {
      p.positional.push_back(a);
    }
  }
  return p;
}

uint64_t parseCount(const std::string& s, const std::string& what) {
  try {
    size_t used = 0;
    long long v = std::stoll(s, &used);
    if (used == s.size() && v >= 0) return static_cast<uint64_t>(v);
  } catch (...) {
  }
  throw Error(fmt::format("{} must be a non-negative number, not '{}'", what, s));
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

std::string dumpJson(const nlohmann::json& j) { return j.dump(2) + "\n"; }

const GoroutineView* findGoroutine(const Snapshot& s, const std::string& idText) {
  int64_t id = static_cast<int64_t>(parseCount(idText, "goroutine id"));
  for (const GoroutineView& v : s.goroutines)
    if (v.g.goid == id) return &v;
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

}  // namespace goinspect
