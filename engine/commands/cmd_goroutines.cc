// go goroutines: every goroutine in one line, filtered, or grouped (the leak-hunting view).
#include <fmt/format.h>

#include <algorithm>
#include <string_view>
#include <unordered_map>

#include "command_list.h"
#include "command_util.h"
#include "recursion.h"

namespace goinspect {

using nlohmann::json;

const Usage kGoroutinesUsage = {
    "",
    "One line per live goroutine: id, state (the runtime's wait reason for a waiting goroutine) "
    "followed by its pprof labels as Go 1.27's traceback prints them ({k: v, ...}), minutes "
    "waited where the runtime knows, M and debugger thread when on one, stack used/size, the "
    "first frame in user code and the creation site.",
    {{"--state", "S",
      "only goroutines whose status or wait reason is S (or contains S): running, runnable, syscall, "
      "waiting, 'chan receive', 'sync.Mutex.Lock', ..."},
     {"--match", "TEXT", "only goroutines with TEXT in any frame's function or file:line"},
     {"--label", "KEY[=VALUE]",
      "only goroutines with the pprof label KEY (set to exactly VALUE); given more than once, only "
      "goroutines with all of those labels", true},
     {"--user", "", "only user goroutines (not started by the runtime itself); excludes --runtime"},
     {"--runtime", "", "only the runtime's own goroutines"},
     {"--recursion", "", "only goroutines whose stack repeats a call cycle (see 'go stacks')"},
     {"--group-by", "state|location|creator|stack",
      "one entry per group, largest first, every group counted: by state, by location (the first user "
      "frame), by creator, or by stack (state, every frame and creator)"},
     {"--limit", "N", "show at most N goroutines (or N groups)"},
     {"--frames", "N|all", "with --json: frames per goroutine (default: the first user frame only)"},
     jsonOption("{\"go_version\", \"goroutines\": [{\"id\", \"gp\", \"status\", \"wait_reason\", "
                "\"labels\": {\"k\": \"v\"}, ...}]}"),
     outputOption()}};

namespace {

// --label KEY or KEY=VALUE: the goroutine has the pprof label KEY (with exactly VALUE).
struct LabelFilter {
  std::string key;
  std::optional<std::string> value;
};

bool hasLabel(const GoroutineView& v, const LabelFilter& f) {
  for (const auto& [k, val] : v.labels)
    if (k == f.key) return !f.value || val == *f.value;
  return false;
}

bool matches(const GoroutineView& v, const Parsed& p, const std::vector<LabelFilter>& labels) {
  for (const LabelFilter& f : labels)
    if (!hasLabel(v, f)) return false;
  if (p.has("--state")) {
    std::string want = lower(p.get("--state"));
    if (lower(std::string(v.status)) != want && lower(std::string(v.waitReason)) != want &&
        lower(v.stateText()).find(want) == std::string::npos)
      return false;
  }
  if (p.has("--user") && v.system) return false;
  if (p.has("--runtime") && !v.system) return false;
  if (p.has("--recursion") && !findRecursion(v.bt.frames)) return false;
  if (p.has("--match")) {
    const std::string& m = p.get("--match");
    bool any = false;
    for (const Frame& f : v.bt.frames) {
      if (f.function.find(m) != std::string_view::npos ||
          fmt::format("{}:{}", f.file, f.line).find(m) != std::string::npos) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  return true;
}

bool isUser(const GoroutineView& v, size_t k) { return v.userFrame(k); }

std::string threadOf(const GoroutineView& v) {
  if (!v.mId) return "-";
  if (v.threadIndex) return fmt::format("m{} #{}", *v.mId, *v.threadIndex);
  return fmt::format("m{}", *v.mId);
}

struct Group {
  std::string key;
  std::vector<const GoroutineView*> members;
};

// The stack key: the state and every frame, the way panicparse buckets a dump.
std::string stackKey(const GoroutineView& v) {
  std::string key = v.stateText();
  for (const Frame& f : v.bt.frames) {
    key += '\n';
    key.append(f.function);
    key += '|';
    key.append(f.file);
    key += ':';
    key += std::to_string(f.line);
  }
  key += '\n';
  key += creatorOf(v);
  return key;
}

std::vector<Group> groupBy(Target& target, const std::vector<const GoroutineView*>& gs, const std::string& by) {
  std::unordered_map<std::string, size_t> index;
  std::vector<Group> groups;
  Progress progress(target, "grouping goroutines", gs.size());
  auto add = [&](const std::string& key, const GoroutineView* v) {
    auto [it, fresh] = index.try_emplace(key, groups.size());
    if (fresh) groups.push_back({key, {}});
    groups[it->second].members.push_back(v);
  };
  if (by == "stack") {
    // Each identity gets its group (by the key of its first member) when first seen, so
    // groups, and their members, come in the order a key per goroutine would give.
    std::unordered_map<StackIdentity, size_t, StackIdentity::Hash> alike;
    for (const auto* v : gs) {
      progress.tick();
      auto [it, fresh] = alike.try_emplace(StackIdentity::of(*v), 0);
      if (fresh) {
        std::string key = stackKey(*v);
        add(key, v);
        it->second = index[key];
      } else {
        groups[it->second].members.push_back(v);
      }
    }
  } else {
    for (const auto* v : gs) {
      progress.tick();
      add(by == "state" ? v->stateText() : by == "location" ? locationOf(*v) : creatorOf(*v), v);
    }
  }
  std::stable_sort(groups.begin(), groups.end(),
                   [](const Group& a, const Group& b) { return a.members.size() > b.members.size(); });
  return groups;
}

std::string idList(const std::vector<const GoroutineView*>& m, size_t max) {
  std::string out;
  for (size_t i = 0; i < m.size() && i < max; i++) out += fmt::format("{}{}", i ? " " : "", m[i]->g.goid);
  if (m.size() > max) out += fmt::format(" ... (+{} more)", m.size() - max);
  return out;
}

}  // namespace

CommandResult cmdGoroutines(Session& s, const std::vector<std::string>& args) {
  Parsed p = parse(args, kGoroutinesUsage);
  if (!p.positional.empty()) throw Error(fmt::format("go goroutines: unexpected argument '{}'", p.positional[0]));
  std::string by = p.get("--group-by");
  if (p.has("--group-by") && by != "state" && by != "location" && by != "creator" && by != "stack")
    throw Error("--group-by takes state, location, creator or stack");
  if (p.has("--user") && p.has("--runtime")) throw Error("--user and --runtime exclude each other");
  size_t limit = p.has("--limit") ? parseCount(p.get("--limit"), "--limit") : SIZE_MAX;
  std::vector<LabelFilter> labelFilters;
  for (const std::string& l : p.all("--label")) {
    auto eq = l.find('=');
    LabelFilter f{l.substr(0, eq), std::nullopt};
    if (eq != std::string::npos) f.value = l.substr(eq + 1);
    if (f.key.empty()) throw Error("--label takes KEY or KEY=VALUE");
    labelFilters.push_back(std::move(f));
  }
  const Snapshot& snap = s.snapshot();

  if (snap.allgsLen == 0 && !p.has("--json"))
    return deliver(p, kNotStarted, "nothing");
  std::vector<const GoroutineView*> sel;
  for (const auto& v : snap.goroutines)
    if (matches(v, p, labelFilters)) sel.push_back(&v);
  size_t matched = sel.size();
  bool filtered = matched != snap.goroutines.size();

  if (p.has("--group-by")) {
    std::vector<Group> groups = groupBy(s.target(), sel, by);
    size_t shownGroups = std::min(groups.size(), limit);
    if (p.has("--json")) {
      FrameSelection fs = parseFrames(p, {by == "stack" ? FrameSelection::kAll : FrameSelection::kFirstUser, 0});
      json out = {{"go_version", snap.goVersion}, {"group_by", by}, {"goroutines", matched}};
      json arr = json::array();
      for (size_t i = 0; i < shownGroups; i++) {
        const Group& g = groups[i];
        json ids = json::array();
        for (const auto* m : g.members) ids.push_back(m->g.goid);
        json frames = json::array();
        for (size_t k : selectFrames(*g.members[0], fs)) frames.push_back(frameJson(g.members[0]->bt.frames[k]));
        arr.push_back({{"count", g.members.size()}, {"state", g.members[0]->stateText()},
                       {"location", locationOf(*g.members[0])}, {"creator", creatorOf(*g.members[0])},
                       {"ids", ids}, {"frames", frames}});
      }
      out["groups"] = arr;
      return deliver(p, dumpJson(out), fmt::format("{} groups", shownGroups));
    }
    std::string out = fmt::format("{} goroutines{} in {} groups by {}:\n", matched,
                                  filtered ? fmt::format(" (of {})", snap.goroutines.size()) : "",
                                  groups.size(), by);
    for (size_t i = 0; i < shownGroups; i++) {
      const Group& g = groups[i];
      const GoroutineView& rep = *g.members[0];
      out += "\n";
      if (by == "stack") {
        out += fmt::format("{} goroutine{} [{}]: {}\n", g.members.size(), g.members.size() == 1 ? "" : "s",
                           rep.stateText(), idList(g.members, 12));
        // User code is marked '>' so it stands out among the runtime's frames.
        for (size_t k = 0; k < rep.bt.frames.size(); k++) {
          const Frame& f = rep.bt.frames[k];
          out += fmt::format("  {} {}{}\n        {}:{}\n", isUser(rep, k) ? '>' : ' ', f.function,
                             f.inlined ? " (inlined)" : "", f.file, f.line);
        }
        if (rep.createdBy)
          out += fmt::format("    created by {}\n        {}:{}\n", rep.createdBy->function, rep.createdBy->file,
                             rep.createdBy->line);
      } else {
        std::string label = by == "state" ? rep.stateText() : g.key;
        out += fmt::format("{:>7}  {}\n", g.members.size(), label);
        out += fmt::format("         ids: {}\n", idList(g.members, 12));
      }
    }
    if (shownGroups < groups.size())
      out += fmt::format("\n... {} more groups (raise --limit to see them)\n", groups.size() - shownGroups);
    return deliver(p, out, fmt::format("{} groups", shownGroups));
  }

  std::string counts = stateCounts(sel);
  if (sel.size() > limit) sel.resize(limit);
  if (p.has("--json")) {
    FrameSelection fs = parseFrames(p, {FrameSelection::kFirstUser, 0});
    return deliverGoroutinesJson(s.target(), p, snap.goVersion, snap.errors, sel, fs, fmt::format("{} goroutines", sel.size()), traceArgsOf(s));
  }

  std::string out = fmt::format("{} goroutine{}{}: {}\n", matched, matched == 1 ? "" : "s",
                                filtered ? fmt::format(" of {} match{}", snap.goroutines.size(), matched == 1 ? "es" : "")
                                         : "",
                                counts);
  std::vector<std::vector<std::string>> rows = {
      {"ID", "STATE", "WAITED", "THREAD", "STACK", "LOCATION", "CREATED BY"}};
  for (const auto* v : sel) {
    std::string state = v->stateText();
    if (v->lockedToThread) state += " (locked)";
    if (!v->labels.empty()) state += " " + labelsText(v->labels);
    rows.push_back({std::to_string(v->g.goid), state,
                    v->waitMinutes && *v->waitMinutes > 0 ? fmt::format("{}m", *v->waitMinutes) : "",
                    threadOf(*v), fmt::format("{}/{}", bytesShort(v->usedBytes()), bytesShort(v->sizeBytes())),
                    locationOf(*v) + (v->bt.error.empty() ? "" : " [unwind error]"), creatorOf(*v)});
  }
  out += table(rows, {true, false, true, false, true, false, false});
  if (sel.size() < matched)
    out += fmt::format("... {} more (raise --limit, or narrow with --state/--match)\n", matched - sel.size());
  for (const auto& e : snap.errors) out += "error: " + e + "\n";
  return deliver(p, out, fmt::format("{} goroutines", sel.size()));
}

}  // namespace goinspect
