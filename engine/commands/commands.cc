#include "commands.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <unordered_map>

#include "command_util.h"
#include "fatal.h"
#include "panics.h"
#include "recursion.h"
#include "stacks.h"
#include "waits.h"
#include "report.h"

namespace goinspect {

using nlohmann::json;

// ---------------------------------------------------------------------------------------
// Session

Session::Session(Target& target) : target_(target), mem_(target) {}
Session::~Session() = default;

Runtime& Session::runtime() {
  mem_.syncStop();
  std::string exe = target_.executablePath();
  if (!rt_ || exe != exe_) {
    waits_.reset();
    snap_.reset();
    rt_.reset();
    prog_ = GoProgram::load(target_, mem_);
    rt_ = std::make_unique<Runtime>(*prog_, mem_);
    if (prog_->layouts().source() != "DWARF") rt_->checkTableLayouts();
    exe_ = exe;
  }
  return *rt_;
}

const Snapshot& Session::snapshot() {
  Runtime& rt = runtime();
  uint64_t stop = target_.stopId();
  if (!snap_ || stop != snapStop_) {
    // A new stop: every cached fact about the target may be stale.
    rt.clearCaches();
    waits_.reset();
    snap_ = takeSnapshot(rt, target_);
    snapStop_ = stop;
  }
  return *snap_;
}

const Waits& Session::waits() {
  const Snapshot& snap = snapshot();
  if (!waits_) waits_ = std::make_unique<Waits>(analyzeWaits(runtime(), snap));
  return *waits_;
}

// ---------------------------------------------------------------------------------------
// Options

namespace {

// {"go_version": ..., "goroutines": [ one goroutine per line ]}: valid JSON, greppable, and
// written goroutine by goroutine.
CommandResult deliverGoroutinesJson(const Parsed& p, const Snapshot& snap,
                                    const std::vector<const GoroutineView*>& sel, FrameSelection fs,
                                    const std::string& what) {
  Out out(p);
  out.write(fmt::format("{{\"go_version\": {},\n\"goroutines\": [", json(snap.goVersion).dump()));
  for (size_t i = 0; i < sel.size(); i++) {
    std::string line = i ? ",\n" : "\n";
    appendGoroutineJson(line, *sel[i], fs);
    out.write(line);
  }
  out.write("\n]");
  if (!snap.errors.empty()) out.write(fmt::format(",\n\"errors\": {}", json(snap.errors).dump()));
  out.write("}\n");
  return out.finish(what);
}

// ---------------------------------------------------------------------------------------
// go goroutines

// Stopped before the runtime made its first goroutine (at the entry point, in rt0_go).
const char* const kNotStarted =
    "no goroutines yet: the Go runtime has not started (runtime.allgs is empty); "
    "continue to main.main, e.g. 'b main.main' then 'continue'\n";

const std::vector<OptSpec> kGoroutineOpts = {
    {"--state", true},  {"--match", true},  {"--user", false},  {"--runtime", false},
    {"--group-by", true}, {"--limit", true}, {"--frames", true}, {"--json", false},
    {"--output", true}, {"--recursion", false}, {"--label", true}};

// Every value given to a repeatable option (parse keeps only the last): walks the words the
// way parse does, so an option's value is never taken for an option.
std::vector<std::string> allValues(const std::vector<std::string>& args, const std::vector<OptSpec>& specs,
                                   const std::string& name) {
  std::vector<std::string> out;
  for (size_t i = 1; i < args.size(); i++) {
    const std::string& a = args[i];
    if (a.size() <= 2 || !a.starts_with("--")) continue;
    auto eq = a.find('=');
    std::string n = a.substr(0, eq);
    auto spec = std::find_if(specs.begin(), specs.end(), [&](const OptSpec& s) { return s.name == n; });
    if (spec == specs.end() || !spec->takesValue) continue;
    std::string value = eq != std::string::npos ? a.substr(eq + 1) : i + 1 < args.size() ? args[++i] : "";
    if (n == name) out.push_back(value);
  }
  return out;
}

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
    if (lower(v.status) != want && lower(v.waitReason) != want &&
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

std::string stateCounts(const std::vector<const GoroutineView*>& gs) {
  std::map<std::string, size_t> by;
  for (const auto* v : gs) by[v->status]++;
  std::vector<std::pair<std::string, size_t>> v(by.begin(), by.end());
  std::stable_sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.second > b.second; });
  std::string out;
  for (auto& [k, n] : v) out += fmt::format("{}{} {}", out.empty() ? "" : ", ", n, k);
  return out;
}

struct Group {
  std::string key;
  std::vector<const GoroutineView*> members;
};

std::vector<Group> groupBy(const std::vector<const GoroutineView*>& gs, const std::string& by) {
  std::unordered_map<std::string, size_t> index;
  std::vector<Group> groups;
  for (const auto* v : gs) {
    std::string key;
    if (by == "state") {
      key = v->stateText();
    } else if (by == "location") {
      key = locationOf(*v);
    } else if (by == "creator") {
      key = creatorOf(*v);
    } else {  // stack: the state and every frame, the way panicparse buckets a dump
      key = v->stateText();
      for (const Frame& f : v->bt.frames) key += fmt::format("\n{}|{}:{}", f.function, f.file, f.line);
      key += "\n" + creatorOf(*v);
    }
    auto [it, fresh] = index.try_emplace(key, groups.size());
    if (fresh) groups.push_back({key, {}});
    groups[it->second].members.push_back(v);
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

CommandResult cmdGoroutines(Session& s, const std::vector<std::string>& args) {
  Parsed p = parse(args, kGoroutineOpts, "goroutines");
  if (!p.positional.empty()) throw Error(fmt::format("go goroutines: unexpected argument '{}'", p.positional[0]));
  std::string by = p.get("--group-by");
  if (p.has("--group-by") && by != "state" && by != "location" && by != "creator" && by != "stack")
    throw Error("--group-by takes state, location, creator or stack");
  if (p.has("--user") && p.has("--runtime")) throw Error("--user and --runtime exclude each other");
  size_t limit = p.has("--limit") ? parseCount(p.get("--limit"), "--limit") : SIZE_MAX;
  std::vector<LabelFilter> labelFilters;
  for (const std::string& l : allValues(args, kGoroutineOpts, "--label")) {
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
    std::vector<Group> groups = groupBy(sel, by);
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
        for (const Frame* f : selectFrames(*g.members[0], fs)) frames.push_back(frameJson(*f));
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
    return deliverGoroutinesJson(p, snap, sel, fs, fmt::format("{} goroutines", sel.size()));
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

// ---------------------------------------------------------------------------------------
// go bt / go goroutine

const std::vector<OptSpec> kBtOpts = {{"--json", false}, {"--output", true}, {"--frames", true}};

CommandResult cmdBt(Session& s, const std::vector<std::string>& args) {
  Parsed p = parse(args, kBtOpts, "bt");
  if (p.positional.size() != 1) throw Error("usage: go bt ID|all");
  const Snapshot& snap = s.snapshot();
  std::vector<const GoroutineView*> sel;
  if (p.positional[0] == "all")
    for (const auto& v : snap.goroutines) sel.push_back(&v);
  else
    sel.push_back(findGoroutine(snap, p.positional[0]));
  FrameSelection fs = parseFrames(p, {FrameSelection::kAll, 0});
  if (p.has("--json")) return deliverGoroutinesJson(p, snap, sel, fs, fmt::format("{} backtraces", sel.size()));
  Out out(p);
  for (const auto* v : sel) {
    if (v != sel.front()) out.write("\n");
    if (fs.kind == FrameSelection::kFirstN && v->bt.frames.size() > fs.n) {
      GoroutineView cut = *v;
      cut.bt.frames.resize(fs.n);
      cut.bt.truncated = true;
      out.write(backtraceText(cut));
    } else {
      out.write(backtraceText(*v));
    }
  }
  return out.finish(fmt::format("{} backtraces", sel.size()));
}

const std::vector<OptSpec> kGoroutineOneOpts = {{"--json", false}, {"--output", true}};

CommandResult cmdGoroutine(Session& s, const std::vector<std::string>& args) {
  Parsed p = parse(args, kGoroutineOneOpts, "goroutine");
  if (p.positional.size() != 1) throw Error("usage: go goroutine ID");
  const Snapshot& snap = s.snapshot();
  const GoroutineView& v = *findGoroutine(snap, p.positional[0]);
  if (p.has("--json"))
    return deliver(p, dumpJson(goroutineJson(v, {FrameSelection::kAll, 0})), fmt::format("goroutine {}", v.g.goid));
  std::vector<std::vector<std::string>> rows;
  auto row = [&](std::string k, std::string val) { rows.push_back({std::move(k), std::move(val)}); };
  row("goroutine", std::to_string(v.g.goid));
  row("g", hex(v.g.addr));
  row("status", v.status + (v.g.scan ? " (scan)" : ""));
  if (!v.waitReason.empty()) row("wait reason", v.waitReason);
  if (v.waitMinutes) row("waiting for", fmt::format("{} minutes or more", *v.waitMinutes));
  row("locked to thread", v.lockedToThread ? "yes" : "no");
  row("M / thread", v.mId ? fmt::format("m{}{}", *v.mId, v.threadId ? fmt::format(", tid {}{}", *v.threadId,
                                   v.threadIndex ? fmt::format(" (thread #{})", *v.threadIndex) : "") : "")
                          : "none");
  row("stack", fmt::format("[{}, {}) {} used of {}, sp {}", hex(v.g.stackLo), hex(v.g.stackHi), v.usedBytes(),
                           v.sizeBytes(), hex(v.bt.startSp)));
  row("unwound from", v.bt.source);
  row("kind", v.system ? "runtime goroutine" : "user goroutine");
  if (v.firstUserFrame >= 0) row("user code", location(v.bt.frames[v.firstUserFrame], false));
  if (v.createdBy)
    row("created by", fmt::format("{} at {}:{}{}", v.createdBy->function, v.createdBy->file, v.createdBy->line,
                                  v.createdBy->goid ? fmt::format(" in goroutine {}", v.createdBy->goid) : ""));
  std::string out = table(rows, {false, false}) + "\n" + backtraceText(v);
  return deliver(p, out, fmt::format("goroutine {}", v.g.goid));
}

// ---------------------------------------------------------------------------------------
// go frames

const std::vector<OptSpec> kFramesOpts = {{"--json", false}, {"--output", true}};

// Each physical frame's size is fp - sp (pcsp's delta plus the return address); its depth is
// how far its top is from the innermost sp. Inlined calls live inside their physical frame.
CommandResult cmdFrames(Session& s, const std::vector<std::string>& args) {
  Parsed p = parse(args, kFramesOpts, "frames");
  if (p.positional.size() != 1) throw Error("usage: go frames ID");
  const Snapshot& snap = s.snapshot();
  const GoroutineView& v = *findGoroutine(snap, p.positional[0]);
  const uint64_t base = v.bt.startSp;
  auto size = [](const Frame& f) { return f.inlined ? 0 : f.fp - f.sp; };
  auto depth = [&](const Frame& f) { return f.fp - base; };
  // The recursion and, at its rate, the cycles that fit before runtime.maxstacksize.
  GoroutineStack st = goroutineStack(v, s.runtime().maxstacksize());
  const std::optional<Recursion>& rec = st.recursion;
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
  const Frame* largest = nullptr;
  for (size_t i = 0; i < v.bt.frames.size(); i++) {
    const Frame& f = v.bt.frames[i];
    if (!f.inlined && (!largest || size(f) > size(*largest))) largest = &f;
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

// ---------------------------------------------------------------------------------------
// go info

const std::vector<OptSpec> kInfoOpts = {{"--json", false}, {"--output", true}};

CommandResult cmdInfo(Session& s, const std::vector<std::string>& args) {
  Parsed p = parse(args, kInfoOpts, "info");
  if (!p.positional.empty()) throw Error(fmt::format("go info: unexpected argument '{}'", p.positional[0]));
  Runtime& rt = s.runtime();
  GoProgram& prog = rt.prog();
  const Snapshot& snap = s.snapshot();
  std::map<std::string, size_t> byState;
  for (const auto& v : snap.goroutines) byState[v.status]++;
  auto gomax = rt.gomaxprocs();
  auto maxstack = rt.maxstacksize();
  size_t nm = rt.allms().size();
  size_t np = rt.numPs();
  Cause cause = findCause(rt, snap);
  const std::optional<FatalError>& fatal = cause.fatal;
  if (p.has("--json")) {
    json j = {{"go_version", snap.goVersion},
              {"goos", prog.goos()},
              {"goarch", prog.goarch()},
              {"executable", prog.elf().path()},
              {"layouts", prog.layouts().source()},
              {"gomaxprocs", gomax ? json(*gomax) : json(nullptr)},
              {"goroutines", snap.goroutines.size()},
              {"goroutines_by_state", byState},
              {"ms", nm},
              {"ps", np},
              {"max_stack_bytes", maxstack ? json(*maxstack) : json(nullptr)},
              {"fatal", fatal ? fatalJson(*fatal) : json(nullptr)},
              {"cause", causeJsonForInfo(cause)}};
    return deliver(p, dumpJson(j), "info");
  }
  std::vector<const GoroutineView*> all;
  for (const auto& v : snap.goroutines) all.push_back(&v);
  std::vector<std::vector<std::string>> rows = {
      {"Go version", fmt::format("{} ({}/{})", snap.goVersion.empty() ? "unknown" : snap.goVersion, prog.goos(), prog.goarch())},
      {"executable", prog.elf().path()},
      {"layouts from", prog.layouts().source()},
      {"GOMAXPROCS", gomax && *gomax > 0 ? std::to_string(*gomax)
                     : gomax ? "not set yet (the runtime has not started)" : "unknown"},
      {"goroutines", fmt::format("{}: {}", snap.goroutines.size(), stateCounts(all))},
      {"Ms (threads)", std::to_string(nm)},
      {"Ps", std::to_string(np)},
      {"max stack size", maxstack ? fmt::format("{} bytes (runtime.maxstacksize)", *maxstack) : "unknown"}};
  if (cause.kind != "none") rows.push_back({"died of", cause.text()});
  std::string out = table(rows, {false, false});
  for (const auto& e : snap.errors) out += "error: " + e + "\n";
  return deliver(p, out, "info");
}

}  // namespace

// ---------------------------------------------------------------------------------------

const std::vector<CommandSpec>& commandTable() {
  static const std::vector<CommandSpec> table = {
      {"goroutines", "List goroutines: state, wait, thread, stack use, user location, creator.",
       "go goroutines [--state S] [--match TEXT] [--label KEY[=VALUE]]... [--user|--runtime] [--recursion] "
       "[--group-by state|location|creator|stack] [--limit N] [--frames N|all] [--json] [--output FILE]",
       "One line per live goroutine: id, state (the runtime's wait reason for a waiting goroutine)\n"
       "followed by its pprof labels as Go 1.27's traceback prints them ({k: v, ...}), minutes\n"
       "waited where the runtime knows, M and debugger thread when on one, stack used/size, the\n"
       "first frame in user code and the creation site.\n"
       "\n"
       "  --state S          only goroutines whose status or wait reason is S (or contains S):\n"
       "                     running, runnable, syscall, waiting, 'chan receive', 'sync.Mutex.Lock', ...\n"
       "  --match TEXT       only goroutines with TEXT in any frame's function or file:line\n"
       "  --label KEY[=VAL]  only goroutines with the pprof label KEY (set to exactly VAL); repeat it\n"
       "                     to require several labels\n"
       "  --user             only user goroutines (not started by the runtime itself)\n"
       "  --runtime          only the runtime's own goroutines\n"
       "  --recursion        only goroutines whose stack repeats a call cycle (see 'go stacks')\n"
       "  --group-by KEY     state | location (first user frame) | creator | stack (state + every frame\n"
       "                     + creator): one entry per group, largest first, with every group counted\n"
       "  --limit N          show at most N goroutines (or N groups)\n"
       "  --frames N|all     with --json: frames per goroutine (default: the first user frame only)\n"
       "  --json             JSON: {\"go_version\", \"goroutines\": [{\"id\", \"gp\", \"status\", \"wait_reason\",\n"
       "                     \"labels\": {\"k\": \"v\"}, ...}]}\n"
       "  --output FILE      write the result to FILE instead of the terminal\n"},
      {"bt", "Backtrace of one goroutine (or all), every logical frame as the runtime prints it.",
       "go bt ID|all [--frames N] [--json] [--output FILE]",
       "Every logical frame of the goroutine, innermost first, inlined calls included: function,\n"
       "file:line, pc and sp of the physical frame, then the 'created by' line, as the runtime's own\n"
       "traceback prints them. Parked goroutines unwind from g.sched, goroutines in a syscall from\n"
       "syscallsp/syscallpc, running ones from their thread's registers (across signal handlers\n"
       "and system-stack switches). Works on stripped binaries: only pclntab is needed.\n"
       "\n"
       "  --frames N         at most N frames per goroutine\n"
       "  --json             JSON, the same goroutine objects as 'go goroutines --json'\n"
       "  --output FILE      write the result to FILE\n"},
      {"goroutine", "Everything about one goroutine, then its backtrace.",
       "go goroutine ID [--json] [--output FILE]",
       "The goroutine's g address, status and wait reason, lock to a thread, its M and thread,\n"
       "stack bounds and use, where the unwind started, its first user frame and creator, then\n"
       "its backtrace.\n"},
      {"frames", "One goroutine's frames with each frame's size and cumulative stack depth.",
       "go frames ID [--json] [--output FILE]",
       "Every frame of the goroutine, innermost first, with its size in bytes (from pclntab's pcsp\n"
       "table: locals, spilled arguments and the return address) and its depth (bytes from the\n"
       "innermost sp to the frame's top), so frames that eat the stack stand out: a large struct\n"
       "copied by value, a big local array. Inlined calls live inside the frame below them.\n"},
      {"stacks", "Stack usage against its limits: top goroutines, system stacks, sizes, overflow post-mortem.",
       "go stacks [--top N | --all] [--recursion] [--json] [--output FILE]",
       "Every goroutine's stack, most used first: used bytes (hi - sp) against its allocated size and\n"
       "against runtime.maxstacksize (the limit in force, as debug.SetMaxStack left it), the distance\n"
       "from sp to the guard (stackguard0; negative: past it, morestack is due), the frame count,\n"
       "what the next growth would allocate (twice the size) and whether that passes the limit, and\n"
       "the repeating call cycle when the goroutine recurses. Then each M's g0 and gsignal stack\n"
       "(with use where its thread is on it), a histogram of stack sizes, and the total set against\n"
       "the runtime's own count of stack memory (MemStats.StackInuse), the difference explained.\n"
       "On a core from a 'goroutine stack exceeds N-byte limit' crash it starts with the post-mortem:\n"
       "the goroutine that overflowed, its stack at the limit, the recursion and where it was entered.\n"
       "\n"
       "  --top N            show the N goroutines using the most stack (default 20)\n"
       "  --all              show every goroutine\n"
       "  --recursion        only goroutines with a repeating call cycle\n"
       "  --json             JSON: {\"max_stack_bytes\", \"goroutines\": [...], \"system_stacks\",\n"
       "                     \"histogram\", \"totals\", \"overflow\", \"fatal\"}\n"
       "  --output FILE      write the result to FILE\n"},
      {"waits", "What each blocked goroutine waits on: channel, sync object, timer, fd, syscall; deadlocks.",
       "go waits [ID...] [--system] [--limit N] [--dot] [--json] [--output FILE]",
       "Every blocked goroutine (or the ones named) and exactly what it waits on, read from the\n"
       "runtime's own wait structures: the channel (address, element type, len/cap, closed, every\n"
       "goroutine queued to send or receive and this one's place in the queue; a select lists each\n"
       "case), the sync.Mutex / RWMutex side / WaitGroup / Cond and every goroutine asleep on it\n"
       "(the runtime's semaphore table), when a sleeping goroutine wakes, the file descriptor of a\n"
       "network wait, the thread of a goroutine in a system call. First a summary and the deadlock\n"
       "verdict: whether every goroutine is blocked with nothing left to wake it (proven, as the\n"
       "runtime's own \"all goroutines are asleep\"), and the wait-for cycles among goroutines\n"
       "(goroutine A waits on an object only B references, B on one only A references).\n"
       "\n"
       "  --system           include the runtime's own goroutines (GC workers, finalizers, ...)\n"
       "  --limit N          goroutines shown in text (default 100)\n"
       "  --dot              Graphviz DOT: goroutines grouped by stack (one node per group, with a\n"
       "                     count) pointing at the channels and sync objects they wait on\n"
       "  --json             JSON: {\"deadlock\": null or {\"all_blocked\", \"proven\", \"cycles\",\n"
       "                     \"why\"}, \"goroutines\": [{\"id\", \"wait_reason\", \"blocked_on\": [...]}]}\n"
       "  --output FILE      write the result to FILE\n"},
      {"chans", "Every channel with goroutines queued on it, most waiters first.",
       "go chans [--limit N] [--json] [--output FILE]",
       "One line per channel that has a goroutine waiting to send or receive: address, element\n"
       "type, len/cap, closed, and the ids of the waiting senders and receivers in queue order.\n"
       "\n"
       "  --limit N          channels shown in text (default 50)\n"
       "  --json             JSON: {\"chans\": [{\"address\", \"elem_type\", \"cap\", \"len\",\n"
       "                     \"closed\", \"senders\", \"receivers\"}]}\n"
       "  --output FILE      write the result to FILE\n"},
      {"leaks", "Blocked goroutines grouped by stack, wait and creator; the groups that look leaked first.",
       "go leaks [--min N] [--limit N] [--json] [--output FILE]",
       "Blocked user goroutines grouped by everything that makes them alike: every frame, the wait\n"
       "reason, the go statement that created them and their pprof labels. Each group has its size,\n"
       "the range of minutes waited, the object its goroutines share or how many distinct ones they\n"
       "wait on, and a verdict: LEAK when nothing the data shows can wake them (each waits alone\n"
       "on its own channel, a nil channel, select {}, or the runtime's leak detector said so).\n"
       "Leaked groups first, then by size.\n"
       "\n"
       "  --min N            leave out groups smaller than N (default 1)\n"
       "  --limit N          groups shown in text (default 20)\n"
       "  --json             JSON: {\"groups\": [{\"count\", \"wait_reason\", \"frames\", \"created_by\",\n"
       "                     \"labels\", \"wait_minutes\", \"goroutines\", \"leak\", \"why\", \"shared\",\n"
       "                     \"objects\"}]}\n"
       "  --output FILE      write the result to FILE\n"},
      {"defers", "Deferred calls still pending, in the order they would run: _defer records and open-coded.",
       "go defers ID|all [--system] [--json] [--output FILE]",
       "For each goroutine (or the one named), every deferred call that has not run yet, in the\n"
       "order it would run (innermost frame first, the last 'defer' of a frame first), with the\n"
       "frame it belongs to: heap- and stack-allocated _defer records (the function, the 'defer'\n"
       "statement's file:line and pc, the frame's sp), range-over-func defers, and open-coded\n"
       "defers (the compiler's inline defers, most defers since Go 1.14: the frame's deferBits and\n"
       "closure slots, found through its FUNCDATA_OpenCodedDeferInfo). A frame holding many pending\n"
       "records is flagged: a 'defer' inside a loop piles them up until the function returns.\n"
       "'all' lists only goroutines with something pending.\n"
       "\n"
       "  --system           with 'all': include the runtime's own goroutines\n"
       "  --json             JSON: {\"goroutines\": [{\"id\", \"defers\": [{\"function\", \"kind\" (heap|stack|\n"
       "                     open-coded|rangefunc), \"frame\", \"frame_index\", \"frame_sp\", \"defer_pc\",\n"
       "                     \"defer_file\", \"defer_line\", \"record\"}], \"warnings\"}]}\n"
       "  --output FILE      write the result to FILE\n"},
      {"panics", "Panics in flight per goroutine (value, recovered, Goexit), and what killed the process.",
       "go panics [ID...] [--json] [--output FILE]",
       "First the cause of death, in one line, for a core or a process stopped at its end: an\n"
       "unrecovered panic (its value), a fatal runtime error (the message, the function that threw,\n"
       "its goroutine and thread) or a signal in code that could not turn it into a panic (the\n"
       "signal, the thread, the pc and fault address). Then every goroutine with a panic in flight\n"
       "(g._panic), oldest first as the runtime prints them: the value's dynamic type and text\n"
       "(strings, errors and runtime errors where the memory says it), recovered or not, Goexit,\n"
       "and the deferred call the panic is running.\n"
       "\n"
       "  --json             JSON: {\"cause\": {\"kind\" (panic|fatal|signal|none), \"message\",\n"
       "                     \"goroutine\", \"m\", \"thread\", \"signal\", \"function\"}, \"goroutines\":\n"
       "                     [{\"id\", \"panics\": [{\"type\", \"value\", \"recovered\", \"goexit\",\n"
       "                     \"running_defer\"}]}]}\n"
       "  --output FILE      write the result to FILE\n"},
      {"sched", "The scheduler as GODEBUG=scheddetail=1 prints it: Ps, Ms, run queues, GC phase.",
       "go sched [--json] [--output FILE]",
       "The runtime's scheduler, from a core or a stopped process, with the counters and names of\n"
       "the runtime's own schedtrace: GOMAXPROCS, idle Ps, Ms (threads) idle and spinning, the\n"
       "global run queue, the GC phase and whether the world is stopped; each P (status, its M,\n"
       "local run queue with goroutine ids, runnext, timers, cached dead gs); each M (OS thread id\n"
       "and debugger thread, its P, current goroutine, locked goroutine, spinning, blocked on a\n"
       "note, in a syscall or cgo call, and the runtime's mallocing/throwing/locks/preemptoff).\n"
       "\n"
       "  --json             JSON: {\"procs\", \"idleprocs\", \"threads\", ..., \"ps\": [...], \"ms\": [...]}\n"
       "  --output FILE      write the result to FILE\n"},
      {"threads", "Each OS thread the debugger shows, with its M, P and goroutine.",
       "go threads [--json] [--output FILE]",
       "One line per debugger thread: its number and OS thread id, the M it is (m.procid), the M's P\n"
       "and current goroutine, which stack the thread is on (the goroutine's, g0 or gsignal), and\n"
       "the function at its pc, so the right thread can be picked with the debugger's own commands.\n"
       "\n"
       "  --json             JSON: {\"threads\": [{\"index\", \"tid\", \"m\", \"p\", \"goroutine\", \"lockedg\",\n"
       "                     \"stack\", \"pc\", \"function\", \"in_syscall\", \"incgo\", \"spinning\"}]}\n"
       "  --output FILE      write the result to FILE\n"},
      {"info", "The Go program: version, GOMAXPROCS, goroutines by state, Ms, Ps, max stack.",
       "go info [--json] [--output FILE]",
       "Go version and GOOS/GOARCH (from the binary's build info), where runtime layouts came\n"
       "from (DWARF, or the built-in table for a stripped binary), GOMAXPROCS, goroutines by\n"
       "state, the number of Ms and Ps, and runtime.maxstacksize (as debug.SetMaxStack left it).\n"},
  };
  return table;
}

CommandResult runCommand(Session& session, const std::vector<std::string>& args) {
  CommandResult r;
  try {
    if (args.empty()) throw Error("usage: go <command> ...; 'help go' lists the commands");
    const std::string& c = args[0];
    if (c == "goroutines") return cmdGoroutines(session, args);
    if (c == "bt") return cmdBt(session, args);
    if (c == "goroutine") return cmdGoroutine(session, args);
    if (c == "info") return cmdInfo(session, args);
    if (c == "frames") return cmdFrames(session, args);
    if (c == "stacks") return cmdStacks(session, args);
    if (c == "waits") return cmdWaits(session, args);
    if (c == "chans") return cmdChans(session, args);
    if (c == "leaks") return cmdLeaks(session, args);
    if (c == "defers") return cmdDefers(session, args);
    if (c == "panics") return cmdPanics(session, args);
    if (c == "sched") return cmdSched(session, args);
    if (c == "threads") return cmdThreads(session, args);
    throw Error(fmt::format("unknown command 'go {}'; 'help go' lists the commands", c));
  } catch (const std::exception& e) {
    r.ok = false;
    r.error = e.what();
  } catch (...) {
    r.ok = false;
    r.error = "internal error";
  }
  return r;
}

}  // namespace goinspect
