// The core harness: the runtime's live structures in a real core, damaged the way the input
// says (core_mutator.h), then every `go` command on a fresh Session over it, text and JSON.
//
// Input: seed:u8 ids:u8 runs:u16 then mutations (core_mutator.h). `seed` picks one of the
// seed cores (core_seeds.cc), `ids` which goroutine ids the commands that take one are
// given, `runs` which eighth of the main runs (every command, text and JSON) and which
// one of all the other forms of the commands run (commandRuns).
//
// Besides a crash, a sanitizer report, a hang or an allocation past libFuzzer's limits,
// two outcomes are findings: an exception other than goinspect::Error reaching the command
// boundary ("internal error: ..."), and a --json command that succeeds with output that is
// not JSON.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include "commands.h"
#include "core_input.h"
#include "core_mutator.h"
#include "core_seeds.h"
#include "errors.h"
#include "goroutines.h"
#include "json_check.h"

namespace goinspect::fuzz::core {

namespace {

using Args = std::vector<std::string>;

// A command's positional words and options, as its syntax line in the command table says
// them ("go bt ID|all [--frames N] [--json] [--output FILE]"): so the harness follows the
// table, a new command or option included, without a list of its own.
struct Shape {
  std::string name, positional;
  std::vector<std::pair<std::string, std::string>> options;  // name, value placeholder ("" for a flag)
};

Shape shapeOf(const CommandSpec& c) {
  Shape s;
  s.name = c.name;
  std::istringstream in(c.syntax);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  for (size_t i = 2; i < words.size(); i++) {
    std::string w = words[i];
    if (!w.starts_with("[--")) {
      s.positional = w;
      continue;
    }
    auto strip = [](std::string x) {  // "N]", "KEY[=VALUE]]...", "--json]"
      if (x.ends_with("...")) x.resize(x.size() - 3);
      if (x.ends_with("]")) x.pop_back();
      return x;
    };
    std::string name = w.substr(1), value;
    if (name.ends_with("]") || name.ends_with("]...")) name = strip(name);
    else if (i + 1 < words.size()) value = strip(words[++i]);
    s.options.push_back({name, value});
  }
  return s;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; std::getline(in, w, sep);) out.push_back(w);
  return out;
}

// Values to give an option, by its placeholder.
std::vector<std::string> valuesFor(const std::string& placeholder) {
  if (placeholder == "N") return {"1"};
  if (placeholder == "N|all") return {"all", "2"};
  if (placeholder == "S") return {"chan receive", "running"};
  if (placeholder == "TEXT") return {"main."};
  if (placeholder == "KEY[=VALUE]") return {"a", "a=b"};
  if (placeholder == "ID") return {"$0"};
  if (placeholder.find('|') != std::string::npos) {
    // N|FUNCTION|all: each alternative, its placeholder words given a value.
    std::vector<std::string> out;
    for (const std::string& w : split(placeholder, '|'))
      out.push_back(w == "N" ? "2" : w == "FUNCTION" ? "main.main" : w);
    return out;
  }
  return {"x"};
}

// Every form of every command the table has: each positional form in text and JSON, then
// each option (with each value) on the first form, in text and JSON. Ids are placeholders
// "$0" "$1" "$2", filled in per input.
std::vector<Args> allVariants() {
  std::vector<Args> runs;
  for (const CommandSpec& c : commandTable()) {
    Shape s = shapeOf(c);
    std::vector<Args> forms;
    if (s.positional.empty()) forms = {{}};
    else if (s.positional == "ID|all") forms = {{"all"}, {"$0"}, {"$1"}, {"$2"}};
    else if (s.positional == "ID") forms = {{"$0"}, {"$1"}, {"$2"}};
    else if (s.positional == "[ID...]") forms = {{}, {"$0"}, {"$1", "$2"}};
    else forms = {{}, {"all"}, {"$0"}};
    auto add = [&](const Args& words) {
      Args a{s.name};
      a.insert(a.end(), words.begin(), words.end());
      runs.push_back(a);
      a.push_back("--json");
      runs.push_back(std::move(a));
    };
    for (const Args& f : forms) add(f);
    for (const auto& [opt, placeholder] : s.options) {
      if (opt == "--json" || opt == "--output") continue;
      if (placeholder.empty()) {
        Args a = forms[0];
        a.push_back(opt);
        add(a);
        continue;
      }
      for (const std::string& v : valuesFor(placeholder)) {
        Args a = forms[0];
        a.push_back(opt);
        a.push_back(v);
        add(a);
      }
    }
  }
  return runs;
}

// What every input runs: each command of the table in its main form (all goroutines, or
// two of them by id), text and JSON, and the runs that reach the most code: goroutines
// grouped by each key and with every frame, stacks --all, waits --dot, runtime globals
// printed as Go values, every frame's arguments and locals.
std::vector<Args> mainRuns() {
  std::vector<Args> runs;
  auto both = [&](Args a) {
    runs.push_back(a);
    a.push_back("--json");
    runs.push_back(std::move(a));
  };
  for (const CommandSpec& c : commandTable()) {
    Shape s = shapeOf(c);
    if (s.positional == "ID|all") both({s.name, "all"});
    else if (s.positional == "ID") both({s.name, "$0"}), both({s.name, "$2"});
    else if (s.positional == "EXPR") continue;  // go print: below
    else both({s.name});
  }
  // Go values over damaged memory: the runtime's own globals are in every program, of
  // every kind (structs, arrays, slices of pointers, maps of the runtime's tables).
  for (const char* expr : {"runtime.sched", "runtime.allp", "runtime.allgs", "runtime.firstmoduledata",
                           "*runtime.allgs[0]", "runtime.allm.curg"})
    both({"print", "--depth", "6", "--elements", "16", expr});
  both({"locals", "--goroutine", "$0", "--frame", "all"});
  both({"args", "--goroutine", "$1", "--frame", "all"});
  for (const char* by : {"state", "location", "creator", "stack"}) both({"goroutines", "--group-by", by});
  runs.push_back({"goroutines", "--frames", "all", "--json"});
  both({"stacks", "--all"});
  runs.push_back({"waits", "--dot"});
  return runs;
}

// The runs of one input, ids filled in: an eighth of the main runs and one of all the
// variants, the input's `runs` word says which. Every run on every input cost some 35 ms
// under ASan (30 executions a second); the fuzzer learns more from many quick executions,
// and across inputs every run is made (the byte is the fuzzer's to choose, as the damage is).
constexpr size_t kShares = 8;
std::vector<Args> commandRuns(const std::vector<std::string>& ids, uint16_t sel) {
  static const std::vector<Args> main = mainRuns(), variants = allVariants();
  std::vector<Args> runs;
  for (size_t i = sel % kShares; i < main.size(); i += kShares) runs.push_back(main[i]);
  runs.push_back(variants[(sel / kShares) % variants.size()]);
  for (Args& a : runs)
    for (std::string& w : a)
      if (w.size() == 2 && w[0] == '$') w = ids[w[1] - '0'];
  return runs;
}

std::string joined(const Args& a) {
  std::string s = "go";
  for (const std::string& w : a) s += " " + w;
  return s;
}

void check(const Args& args, const CommandResult& r) {
  bool json = std::find(args.begin(), args.end(), "--json") != args.end();
  if (!r.ok && r.error.starts_with("internal error"))
    throw std::logic_error(joined(args) + ": an exception that is not goinspect::Error: " + r.error);
  if (r.ok && json && !isJson(r.output))
    throw std::logic_error(joined(args) + ": --json printed what is not JSON:\n" + r.output.substr(0, 2000));
}

// Goroutine ids for the commands that take one: three of the snapshot's, the input says
// which (a dead or unknown id where there is none).
std::vector<std::string> pickIds(Session& s, uint8_t sel) {
  std::vector<std::string> ids;
  try {
    const Snapshot& snap = s.snapshot();
    const auto& gs = snap.goroutines;
    if (!gs.empty())
      for (size_t k : {size_t{0}, gs.size() - 1, static_cast<size_t>(sel) % gs.size()})
        ids.push_back(std::to_string(gs[k].g.goid));
  } catch (const Error&) {
    // The snapshot itself fails: so will every command that needs it.
  }
  while (ids.size() < 3) ids.push_back("1");
  return ids;
}

}  // namespace

}  // namespace goinspect::fuzz::core

namespace goinspect::fuzz {

void runCoreInput(const uint8_t* data, size_t size) {
  using namespace core;
  const auto& seeds = coreSeeds();
  InputReader in(data, size);
  size_t k = in.u8() % seeds.size();
  while (!seeds[k]) k = (k + 1) % seeds.size();
  const Seed& seed = *seeds[k];
  uint8_t idSel = in.u8();
  uint16_t runSel = in.u16();
  // GOINSPECT_FUZZ_REGIONS=1: the seed's structures, by kind and index (writing inputs).
  if (std::getenv("GOINSPECT_FUZZ_REGIONS"))
    for (int kind = 0; kind < kKinds; kind++)
      for (size_t i = 0; i < seed.regions[kind].size(); i++)
        std::fprintf(stderr, "%s %2d %-12s %4zu  %#llx +%llu\n", seed.name.c_str(), kind,
                     kindName(static_cast<Kind>(kind)), i,
                     static_cast<unsigned long long>(seed.regions[kind][i].addr),
                     static_cast<unsigned long long>(seed.regions[kind][i].size));
  MutatingTarget target(seed);
  applyMutations(in, seed, target);

  // GOINSPECT_FUZZ_TRACE=1: each command's time and output size on stderr (tuning, triage).
  static const bool trace = std::getenv("GOINSPECT_FUZZ_TRACE") != nullptr;
  auto t0 = std::chrono::steady_clock::now();
  Session session(target, seed.cache.get());
  std::vector<std::string> ids = pickIds(session, idSel);
  if (trace)
    std::fprintf(stderr, "%8.2f ms load and snapshot (%s)\n",
                 std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count(),
                 seed.name.c_str());
  for (const Args& args : commandRuns(ids, runSel)) {
    auto t0 = std::chrono::steady_clock::now();
    CommandResult r = runCommand(session, args);
    if (trace)
      std::fprintf(stderr, "%8.2f ms %9zu bytes  %s%s\n",
                   std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count(),
                   r.ok ? r.output.size() : r.error.size(), joined(args).c_str(), r.ok ? "" : "  [error]");
    // GOINSPECT_FUZZ_SHOW=TEXT: the output of the commands whose words contain TEXT.
    static const char* show = std::getenv("GOINSPECT_FUZZ_SHOW");
    if (show && joined(args).find(show) != std::string::npos)
      std::fprintf(stderr, "---- %s\n%s\n", joined(args).c_str(), r.ok ? r.output.c_str() : r.error.c_str());
    check(args, r);
  }
}

}  // namespace goinspect::fuzz
