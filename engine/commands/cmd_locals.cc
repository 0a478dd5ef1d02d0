// go locals, go args: a frame's variables and their values.
#include <fmt/format.h>

#include "command_list.h"
#include "command_util.h"
#include "format.h"
#include "frame_scope.h"
#include "value.h"

namespace goinspect {

using nlohmann::json;

namespace {

Option valuesLimitsOptions[] = {
    {"--depth", "N", "expand composite values N levels deep (default 4)"},
    {"--elements", "N", "show at most N elements of an array, slice, map or channel (default 64)"},
    {"--string-bytes", "N", "show at most N bytes of a string (default 256)"},
};

std::vector<Option> frameOptions(const char* json) {
  Option frame = frameOption();
  frame.value = "N|FUNCTION|all";
  frame.help += "; all: every frame";
  std::vector<Option> out = {goroutineOption(), frame};
  out.insert(out.end(), std::begin(valuesLimitsOptions), std::end(valuesLimitsOptions));
  out.push_back(jsonOption(json));
  out.push_back(outputOption());
  return out;
}

constexpr const char* kVarsJson =
    "{\"goroutine\", \"frames\": [{\"frame\", \"function\", \"file\", \"line\", \"variables\": [{\"name\", "
    "\"argument\", \"result\", \"source\" (dwarf or arginfo: where it was read), then the value as go "
    "print --json gives it}]}]}";

}  // namespace

const Usage kLocalsUsage = {
    "",
    "The local variables of a goroutine's frame and their values, as go print shows them. A variable that "
    "has no value at the frame's pc (optimised away, or kept in a register, which Go does not preserve "
    "across a call) is shown as <unavailable: why>, never guessed.",
    frameOptions(kVarsJson)};

const Usage kArgsUsage = {
    "",
    "The arguments (and named results) of a goroutine's frame and their values, as go print shows them; "
    "unavailable ones say why.",
    frameOptions(kVarsJson)};

namespace {

CommandResult listVars(Session& s, const std::vector<std::string>& args, const Usage& usage, bool arguments) {
  Parsed p = parse(args, usage);
  if (!p.positional.empty()) throw Error(fmt::format("usage: go {} [--goroutine ID] [--frame N|FUNCTION|all]", args[0]));
  Limits limits = parseLimits(p);
  ValueReader& r = s.valuesWithDwarf();  // first: without DWARF nothing else matters
  std::string why;
  const GoroutineView* g = selectedGoroutine(s, p, &why);
  if (!g) throw Error(fmt::format("which goroutine? {}: give --goroutine ID ('go goroutines' lists them)", why));
  std::vector<size_t> frames = selectFrames(s, *g, p.get("--frame"), true);
  Out out(p);
  json jframes = json::array();
  bool asJson = p.has("--json");
  for (size_t k : frames) {
    ScopeFrame sf = scopeFrame(s, *g, k);
    const Frame& f = sf.frame;
    json jvars = json::array();
    std::string text = fmt::format("#{} {} at {}:{}\n", k, f.function, f.file, f.line);
    size_t shown = 0;
    for (const FrameVar& v : sf.vars) {
      if (v.argument != arguments) continue;
      Value val = frameVarValue(r, v, limits);
      shown++;
      if (asJson) {
        json j = formatJson(val);
        j["name"] = v.name;
        j["argument"] = v.argument;
        j["result"] = v.result;
        // Where the value was read: DWARF's location, or the spill slot the runtime's
        // traceback reads (FUNCDATA_ArgInfo) when DWARF has none at this pc.
        if (v.addr) j["source"] = v.fromTraceback ? "arginfo" : "dwarf";
        jvars.push_back(std::move(j));
      } else {
        text += fmt::format("  {}{} = {}\n", v.name, v.result ? " (result)" : "", formatText(val));
      }
    }
    if (sf.function.empty()) text += "  (no DWARF scope for this pc)\n";
    else if (!shown) text += arguments ? "  (no arguments)\n" : "  (no locals)\n";
    if (asJson)
      jframes.push_back({{"frame", k}, {"function", std::string(f.function)}, {"file", std::string(f.file)},
                         {"line", f.line}, {"variables", std::move(jvars)}});
    else
      out.write(text);
  }
  if (asJson) out.write(dumpJson({{"goroutine", g->g.goid}, {"frames", std::move(jframes)}}));
  return out.finish(fmt::format("the {} of goroutine {}", arguments ? "arguments" : "locals", g->g.goid));
}

}  // namespace

CommandResult cmdLocals(Session& s, const std::vector<std::string>& args) { return listVars(s, args, kLocalsUsage, false); }
CommandResult cmdArgs(Session& s, const std::vector<std::string>& args) { return listVars(s, args, kArgsUsage, true); }

}  // namespace goinspect
