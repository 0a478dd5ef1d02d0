// go defers and go panics: pending deferred calls, panics in flight, the cause of death.
#include <set>

#include "command_list.h"
#include "command_util.h"
#include "defers.h"
#include "panics.h"

namespace goinspect {

using nlohmann::json;

const Usage kDefersUsage = {
    "ID|all",
    "For each goroutine (or the one named), every deferred call that has not run yet, in the order "
    "it would run (innermost frame first, the last 'defer' of a frame first), with the frame it "
    "belongs to: heap- and stack-allocated _defer records (the function, the 'defer' statement's "
    "file:line and pc, the frame's sp), range-over-func defers, and open-coded defers (the "
    "compiler's inline defers, most defers since Go 1.14: the frame's deferBits and closure slots, "
    "found through its FUNCDATA_OpenCodedDeferInfo). A frame holding many pending records is "
    "flagged: a 'defer' inside a loop piles them up until the function returns. 'all' lists only "
    "goroutines with something pending.",
    {{"--system", "", "with 'all': include the runtime's own goroutines"},
     jsonOption("{\"goroutines\": [{\"id\", \"defers\": [{\"function\", \"kind\" (heap|stack|open-coded|"
                "rangefunc), \"frame\", \"frame_index\", \"frame_sp\", \"defer_pc\", \"defer_file\", "
                "\"defer_line\", \"record\"}], \"warnings\"}]}"),
     outputOption()}};

const Usage kPanicsUsage = {
    "[ID...]",
    "First the cause of death, in one line, for a core or a process stopped at its end: an "
    "unrecovered panic (its value), a fatal runtime error (the message, the function that threw, its "
    "goroutine and thread) or a signal in code that could not turn it into a panic (the signal, the "
    "thread, the pc and fault address). When other threads threw at the same moment (two writers of one "
    "map), they follow on the same line.\n"
    "Then every goroutine with a panic in flight (g._panic), oldest first as the runtime prints them: "
    "the value's dynamic type and text (strings, errors and runtime errors where the memory says it), "
    "recovered or not, Goexit, and the deferred call the panic is running.",
    {jsonOption("{\"cause\": {\"kind\" (panic|fatal|signal|none), \"message\", \"goroutine\", \"m\", "
                "\"thread\", \"signal\", \"function\", \"others\": [{\"kind\", \"message\", \"goroutine\", "
                "\"thread\"}]}, \"goroutines\": [{\"id\", \"panics\": [{\"type\", "
                "\"value\", \"recovered\", \"goexit\", \"running_defer\"}]}]}"),
     outputOption()}};

namespace {

// Where the call was deferred: the record's pc, or for an open-coded closure of the frame's
// own function (deferwrapN, funcN) the line the compiler gave it, which is the statement's.
std::string site(const PendingDefer& d) {
  if (d.deferLine) return fmt::format("deferred at {}:{}", shortPath(d.deferFile), d.deferLine);
  if (d.functionLine && d.function.starts_with(d.frame + ".") && d.kind == "open-coded")
    return fmt::format("deferred at {}:{}", shortPath(d.functionFile), d.functionLine);
  return "";
}

json deferJson(const PendingDefer& d) {
  return {{"function", d.function.empty() ? json(nullptr) : json(d.function)},
          {"kind", d.kind},
          {"frame", d.frame},
          {"frame_index", d.frameIndex ? json(*d.frameIndex) : json(nullptr)},
          {"frame_sp", hex(d.frameSp)},
          {"defer_pc", d.deferPc ? json(hex(*d.deferPc)) : json(nullptr)},
          {"defer_file", d.deferLine ? json(d.deferFile) : json(nullptr)},
          {"defer_line", d.deferLine ? json(d.deferLine) : json(nullptr)},
          {"record", d.record ? json(hex(*d.record)) : json(nullptr)},
          {"fn", hex(d.fn)},
          {"function_file", d.functionLine ? json(d.functionFile) : json(nullptr)},
          {"function_line", d.functionLine ? json(d.functionLine) : json(nullptr)}};
}

// One goroutine's pending defers, a frame at a time. Consecutive frames with the same
// function and the same pending calls (a recursion) are shown once with their count, and a
// run of identical calls in one frame (a loop's records) on one line.
std::string defersText(const GoroutineView& v, const GoroutineDefers& d) {
  std::string out = fmt::format("goroutine {} [{}]: {} pending defer{}\n", v.g.goid, v.stateText(), d.defers.size(),
                                d.defers.size() == 1 ? "" : "s");
  struct Block {
    std::optional<size_t> frame;
    size_t begin = 0, end = 0;  // into d.defers
  };
  std::vector<Block> blocks;
  for (size_t i = 0; i < d.defers.size(); i++) {
    if (blocks.empty() || d.defers[i].frameIndex != blocks.back().frame) blocks.push_back({d.defers[i].frameIndex, i, i});
    blocks.back().end = i + 1;
  }
  auto same = [&](const Block& a, const Block& b) {
    if (!a.frame || !b.frame || a.end - a.begin != b.end - b.begin) return false;
    if (v.bt.frames[*a.frame].function != v.bt.frames[*b.frame].function) return false;
    for (size_t k = 0; k < a.end - a.begin; k++) {
      const PendingDefer &x = d.defers[a.begin + k], &y = d.defers[b.begin + k];
      if (x.function != y.function || x.kind != y.kind || x.deferLine != y.deferLine) return false;
    }
    return true;
  };
  for (size_t b = 0, run = 1; b < blocks.size(); b += run) {
    run = 1;
    while (b + run < blocks.size() && same(blocks[b], blocks[b + run])) run++;
    const Block& blk = blocks[b];
    if (blk.frame) {
      const Frame& f = v.bt.frames[*blk.frame];
      out += fmt::format("  #{} {} at {}:{} (sp {})", *blk.frame, f.function, shortPath(f.file), f.line, hex(f.sp));
      if (run > 1)
        out += fmt::format(", and {} more frames of {} down to #{} with the same pending calls", run - 1,
                           f.function, *blocks[b + run - 1].frame);
      out += "\n";
    } else {
      out += fmt::format("  a frame the backtrace did not reach (sp {})\n", hex(d.defers[blk.begin].frameSp));
    }
    for (size_t i = blk.begin, n = 1; i < blk.end; i += n) {
      const PendingDefer& x = d.defers[i];
      n = 1;
      while (i + n < blk.end && d.defers[i + n].function == x.function && d.defers[i + n].kind == x.kind &&
             d.defers[i + n].deferPc == x.deferPc)
        n++;
      std::string count = n > 1 ? fmt::format("{} × ", n) : "";
      std::string where = site(x);
      out += fmt::format("      {}{:<10}  {}{}\n", count, x.kind, x.function.empty() ? "?" : x.function,
                         where.empty() ? "" : "  " + where);
    }
  }
  for (const std::string& w : d.warnings) out += "  warning: " + w + "\n";
  if (!d.error.empty()) out += "  error: " + d.error + "\n";
  return out;
}

json panicJson(const PanicRecord& p) {
  return {{"type", p.type ? json(*p.type) : json(nullptr)},
          {"type_address", p.typeAddr ? json(hex(p.typeAddr)) : json(nullptr)},
          {"value", p.value ? json(*p.value) : json(nullptr)},
          {"recovered", p.recovered},
          {"goexit", p.goexit},
          {"repanicked", p.repanicked},
          {"aborted", p.aborted},
          {"running_defer", p.runningDefer ? json(*p.runningDefer) : json(nullptr)},
          {"type_before_printing", p.typeBeforePrinting ? json(*p.typeBeforePrinting) : json(nullptr)},
          {"address", hex(p.addr)},
          {"data", hex(p.data)}};
}

// Numbers and bools read as themselves; any other text is quoted.
bool plainValue(const std::optional<std::string>& type) {
  static const std::set<std::string> plain = {"bool",  "int",    "int8",   "int16",   "int32",   "int64",
                                              "uint",  "uint8",  "uint16", "uint32",  "uint64",  "uintptr",
                                              "float32", "float64"};
  return type && plain.count(*type);
}

std::string panicText(const PanicRecord& p) {
  // A value whose type descriptor cannot be read is not nil: its type is unknown.
  std::string v = p.goexit && !p.typeAddr ? "runtime.Goexit"
                  : p.value ? fmt::format("{} {}", p.type.value_or("?"), plainValue(p.type) ? *p.value : jsonText(*p.value))
                  : p.type     ? fmt::format("({}) {} (its text needs its methods)", *p.type, hex(p.data))
                  : p.typeAddr ? fmt::format("(a type whose descriptor at {} cannot be read) {}", hex(p.typeAddr), hex(p.data))
                               : "nil";
  std::vector<std::string> flags;
  if (p.recovered) flags.push_back("recovered");
  if (p.repanicked) flags.push_back("repanicked");
  if (p.aborted) flags.push_back("aborted");
  if (p.goexit && p.typeAddr) flags.push_back("goexit");
  std::string f;
  for (size_t i = 0; i < flags.size(); i++) f += (i ? ", " : " [") + flags[i] + (i + 1 == flags.size() ? "]" : "");
  if (p.typeBeforePrinting) v += fmt::format(" (a {} until the runtime printed it)", *p.typeBeforePrinting);
  return v + f + (p.runningDefer ? "; running " + *p.runningDefer : "");
}

}  // namespace

CommandResult cmdDefers(Session& s, const std::vector<std::string>& args) {
  Parsed p = parse(args, kDefersUsage);
  if (p.positional.size() != 1)
    throw Error("go defers: give one goroutine id, or 'all' (see 'help go defers')");
  Runtime& rt = s.runtime();
  std::vector<const GoroutineView*> sel;
  bool all = p.positional[0] == "all";
  if (all) {
    for (const GoroutineView& v : s.snapshot().goroutines)
      if (p.has("--system") || !v.system) sel.push_back(&v);
  } else {
    sel.push_back(&goroutineById(s, p.positional[0]));
  }
  json arr = json::array();
  std::string text;
  size_t shown = 0, total = 0;
  PendingDefers pending(rt);
  for (const GoroutineView* v : sel) {
    GoroutineDefers d = pending.of(*v);
    if (all && d.defers.empty() && d.error.empty()) continue;
    shown++;
    total += d.defers.size();
    if (p.has("--json")) {
      json defers = json::array();
      for (const PendingDefer& x : d.defers) defers.push_back(deferJson(x));
      json j = {{"id", v->g.goid},
                {"status", v->status},
                {"wait_reason", v->waitReason},
                {"defers", std::move(defers)},
                {"warnings", d.warnings}};
      if (!d.error.empty()) j["error"] = d.error;
      arr.push_back(std::move(j));
    } else {
      text += (shown > 1 ? "\n" : "") + defersText(*v, d);
    }
  }
  std::string what = fmt::format("{} pending defers of {} goroutines", total, shown);
  if (p.has("--json")) return deliver(p, dumpJson({{"goroutines", std::move(arr)}}), what);
  if (!shown) text = all ? "no goroutine has a pending deferred call\n" : "";
  return deliver(p, text, what);
}

CommandResult cmdPanics(Session& s, const std::vector<std::string>& args) {
  Parsed p = parse(args, kPanicsUsage);
  Runtime& rt = s.runtime();
  const Snapshot& snap = s.snapshot();
  std::vector<const GoroutineView*> sel;
  for (const std::string& id : p.positional) sel.push_back(findGoroutine(snap, id));
  if (p.positional.empty())
    for (const GoroutineView& v : snap.goroutines)
      if (v.g.panicp) sel.push_back(&v);
  Cause cause = findCause(rt, snap);

  json arr = json::array();
  std::string text = cause.kind == "none" ? "died of: nothing (no fatal error, fatal panic or fatal signal seen)\n"
                                          : "died of: " + cause.text() + "\n";
  size_t n = 0;
  for (const GoroutineView* v : sel) {
    std::string err;
    auto ps = panicsOf(rt, *v, &err);
    if (ps.empty() && err.empty() && p.positional.empty()) continue;
    n++;
    if (p.has("--json")) {
      json list = json::array();
      for (const PanicRecord& r : ps) list.push_back(panicJson(r));
      json j = {{"id", v->g.goid}, {"panics", std::move(list)}};
      if (!err.empty()) j["error"] = err;
      arr.push_back(std::move(j));
      continue;
    }
    text += fmt::format("\ngoroutine {} [{}] at {}: {}\n", v->g.goid, v->stateText(), locationOf(*v),
                        ps.empty() ? "no panic in flight" : fmt::format("{} panic{} in flight, oldest first", ps.size(),
                                                                         ps.size() == 1 ? "" : "s"));
    for (size_t i = 0; i < ps.size(); i++) text += fmt::format("  {}. {}\n", i + 1, panicText(ps[i]));
    if (!err.empty()) text += "  error: " + err + "\n";
  }
  if (p.has("--json"))
    return deliver(p, dumpJson({{"cause", causeJson(cause)}, {"goroutines", std::move(arr)}}), "panics");
  if (!n) text += "no goroutine has a panic in flight\n";
  return deliver(p, text, "panics");
}

json causeJson(const Cause& c) {
  auto opt = [](const auto& v) { return v ? json(*v) : json(nullptr); };
  json j = {{"kind", c.kind},
            {"message", c.kind == "none" ? json(nullptr) : json(c.message)},
            {"goroutine", c.goroutine ? json(c.goroutine->g.goid) : json(nullptr)},
            {"m", opt(c.mId)},
            {"thread", opt(c.threadIndex)},
            {"thread_id", opt(c.tid)},
            {"signal", opt(c.signal)},
            {"function", c.function.empty() ? json(nullptr) : json(c.function)},
            {"text", c.kind == "none" ? json(nullptr) : json(c.text())}};
  if (c.sigpc) j["signal_pc"] = hex(*c.sigpc);
  if (c.sigaddr) j["signal_addr"] = hex(*c.sigaddr);
  if (c.sigcode) j["signal_code"] = *c.sigcode;
  if (c.signal) j["in_cgo"] = c.inCgo;
  j["others"] = c.fatal ? othersJson(*c.fatal) : json::array();
  return j;
}

}  // namespace goinspect
