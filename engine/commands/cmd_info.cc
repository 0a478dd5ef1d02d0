// go info: the program at a glance, and what killed it.
#include <fmt/format.h>

#include <map>

#include "command_list.h"
#include "command_util.h"
#include "panics.h"

namespace goinspect {

using nlohmann::json;

const Usage kInfoUsage = {
    "",
    "Go version and GOOS/GOARCH (from the binary's build info), where runtime layouts came from "
    "(DWARF, or the built-in table for a stripped binary), GOMAXPROCS, goroutines by state, the "
    "number of Ms and Ps, runtime.maxstacksize (as debug.SetMaxStack left it), and what the process "
    "died of, when it did.",
    {jsonOption("{\"go_version\", \"goos\", \"goarch\", \"executable\", \"layouts\", \"gomaxprocs\", "
                "\"goroutines\", \"goroutines_by_state\", \"ms\", \"ps\", \"max_stack_bytes\", \"fatal\", "
                "\"cause\"}"),
     outputOption()}};

CommandResult cmdInfo(Session& s, const std::vector<std::string>& args) {
  Parsed p = parse(args, kInfoUsage);
  if (!p.positional.empty()) throw Error(fmt::format("go info: unexpected argument '{}'", p.positional[0]));
  Runtime& rt = s.runtime();
  GoProgram& prog = rt.prog();
  const Snapshot& snap = s.snapshot();
  std::map<std::string, size_t> byState;
  for (const auto& v : snap.goroutines) byState[std::string(v.status)]++;
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
              {"debug_file", prog.elf().debugFile().empty() ? json(nullptr) : json(prog.elf().debugFile())},
              {"layouts", prog.layouts().source()},
              {"gomaxprocs", gomax ? json(*gomax) : json(nullptr)},
              {"goroutines", snap.goroutines.size()},
              {"goroutines_by_state", byState},
              {"ms", nm},
              {"ps", np},
              {"max_stack_bytes", maxstack ? json(*maxstack) : json(nullptr)},
              {"fatal", fatal ? fatalJson(*fatal) : json(nullptr)},
              {"cause", causeJson(cause)}};
    return deliver(p, dumpJson(j), "info");
  }
  std::vector<const GoroutineView*> all;
  for (const auto& v : snap.goroutines) all.push_back(&v);
  std::vector<std::vector<std::string>> rows = {
      {"Go version", fmt::format("{} ({}/{})", snap.goVersion.empty() ? "unknown" : snap.goVersion, prog.goos(), prog.goarch())},
      {"executable", prog.elf().path()},
      {"DWARF", prog.elf().dwarf() ? prog.elf().debugFile().empty() ? "in the executable" : "from " + prog.elf().debugFile()
                                   : "none: " + prog.elf().debugLooked()},
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

}  // namespace goinspect
