// go stacks: every goroutine's stack against its limits, the system stacks, a histogram of
// stack sizes, totals against the runtime's own count, and a stack overflow's post-mortem.
#include "command_list.h"
#include "command_util.h"
#include "stacks.h"

namespace goinspect {

using nlohmann::json;

const Usage kStacksUsage = {
    "",
    "Every goroutine's stack, most used first: used bytes (hi - sp) against its allocated size and "
    "against runtime.maxstacksize (the limit in force, as debug.SetMaxStack left it), the distance "
    "from sp to the guard (stackguard0; negative: past it, morestack is due), the frame count, what "
    "the next growth would allocate (twice the size) and whether that passes the limit, and the "
    "repeating call cycle when the goroutine recurses. Then each M's g0 and gsignal stack (with use "
    "where its thread is on it), a histogram of stack sizes, and the total set against the runtime's "
    "own count of stack memory (MemStats.StackInuse), the difference explained.\n"
    "On a core from a 'goroutine stack exceeds N-byte limit' crash it starts with the post-mortem: "
    "the goroutine that overflowed, its stack at the limit, the recursion and where it was entered.",
    {{"--top", "N", "show the N goroutines using the most stack (default 20)"},
     {"--all", "", "show every goroutine"},
     {"--recursion", "", "only goroutines with a repeating call cycle"},
     jsonOption("{\"max_stack_bytes\", \"goroutines\": [...], \"system_stacks\", \"histogram\", \"totals\", "
                "\"overflow\", \"fatal\"}"),
     outputOption()}};

namespace {

std::string pct(uint64_t part, uint64_t whole) {
  if (!whole) return "-";
  return fmt::format("{:.1f}%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

json optJson(const std::optional<uint64_t>& v) { return v ? json(*v) : json(nullptr); }

double share(uint64_t part, uint64_t whole) {
  return whole ? static_cast<double>(part) * 100.0 / static_cast<double>(whole) : 0.0;
}

json goroutineStackJson(const GoroutineStack& s, std::optional<uint64_t> maxStack) {
  const GoroutineView& v = *s.v;
  return {{"id", v.g.goid},
          {"status", v.status},
          {"state", v.stateText()},
          {"lo", hex(v.g.stackLo)},
          {"hi", hex(v.g.stackHi)},
          {"sp", hex(s.sp)},
          {"size_bytes", s.size},
          {"used_bytes", s.used},
          {"used_pct_of_size", share(s.used, s.size)},
          {"used_pct_of_max", maxStack ? json(share(s.used, *maxStack)) : json(nullptr)},
          {"guard_distance_bytes", s.guardDistance ? json(*s.guardDistance) : json(nullptr)},
          {"frames", s.frames},
          {"next_size_bytes", s.nextSize},
          {"next_exceeds_max", s.nextExceedsMax},
          {"recursion", s.recursion ? recursionJson(*s.recursion, v.bt.frames, s.moreFit) : json(nullptr)},
          {"location", locationOf(v)}};
}

json overflowJson(const StackReport& r) {
  if (!r.overflow) return nullptr;
  const GoroutineStack& s = r.goroutines[r.overflow->index];
  const Recursion* rec = s.recursion ? &*s.recursion : nullptr;
  return {{"goroutine", s.v->g.goid},
          {"limit_bytes", r.overflow->limit},
          {"sp", hex(s.sp)},
          {"lo", hex(s.v->g.stackLo)},
          {"hi", hex(s.v->g.stackHi)},
          {"size_bytes", s.size},
          {"used_bytes", s.used},
          {"next_size_bytes", s.nextSize},
          {"frames", s.frames},
          {"recursion", rec ? recursionJson(*rec, s.v->bt.frames, s.moreFit) : json(nullptr)},
          {"entered_from", rec && rec->entry ? frameJson(s.v->bt.frames[*rec->entry]) : json(nullptr)}};
}

json totalsJson(const StackTotals& t) {
  return {{"goroutines", t.goroutines},
          {"allocated_bytes", t.allocated},
          {"used_bytes", t.used},
          {"dead_goroutines_with_stacks", t.deadWithStack},
          {"dead_stack_bytes", t.deadBytes},
          {"system_stack_bytes", t.systemGoBytes},
          {"runtime_stack_inuse_bytes", optJson(t.runtimeInUse)},
          {"free_cached_bytes", t.unaccounted ? json(*t.unaccounted) : json(nullptr)}};
}

// The one paragraph a person reads first after a crash.
std::string overflowText(const StackReport& r) {
  const GoroutineStack& s = r.goroutines[r.overflow->index];
  const FatalError& f = *r.fatal;
  std::string out = fmt::format(
      "STACK OVERFLOW: goroutine {} hit the {}-byte limit: its {} stack [{}, {}) is full to sp {} ({} bytes, {} "
      "frames) and newstack would have doubled it to {}\n",
      s.v->g.goid, r.overflow->limit, bytesShort(s.size), hex(s.v->g.stackLo), hex(s.v->g.stackHi), hex(s.sp),
      s.used, s.frames, bytesShort(s.nextSize));
  out += fmt::format("  thrown by {} on thread #{}{}\n", f.thrower.empty() ? "runtime.throw" : f.thrower,
                     f.threadIndex, f.mId ? fmt::format(" (m{})", *f.mId) : "");
  if (s.recursion) {
    out += "  recursion: " + recursionText(*s.recursion) + "\n";
    if (s.recursion->entry)
      out += fmt::format("  entered from #{} {}\n", *s.recursion->entry,
                         location(s.v->bt.frames[*s.recursion->entry], false));
  } else {
    out += "  no repeating call cycle: the stack is deep without recursion ('go frames " +
           std::to_string(s.v->g.goid) + "' shows which frames are large)\n";
  }
  return out;
}

std::string textReport(const StackReport& r, const std::vector<const GoroutineStack*>& shown, size_t matched,
                       bool filtered) {
  std::string out;
  if (r.overflow) out += overflowText(r) + "\n";
  else if (r.fatal)
    out += fmt::format("the process died of a {}{} on thread #{} ('go info' has more)\n\n", r.fatal->kind,
                       r.fatal->message ? ": " + *r.fatal->message : "", r.fatal->threadIndex);
  out += fmt::format("max stack size: {}\n",
                     r.maxStack ? fmt::format("{} bytes (runtime.maxstacksize, as debug.SetMaxStack left it)", *r.maxStack)
                                : "unknown (runtime.maxstacksize not found)");
  out += fmt::format("{} goroutines{}, {} shown, most stack used first:\n", matched,
                     filtered ? " with recursion" : "", shown.size());
  std::vector<std::vector<std::string>> rows = {
      {"ID", "STATE", "USED", "SIZE", "USED/SIZE", "USED/MAX", "TO GUARD", "FRAMES", "NEXT GROWTH", "RECURSION",
       "LOCATION"}};
  for (const GoroutineStack* s : shown) {
    std::string next = bytesShort(s->nextSize) + (s->nextExceedsMax ? " (over max)" : "");
    rows.push_back({std::to_string(s->v->g.goid), s->v->stateText(), bytesShort(s->used), bytesShort(s->size),
                    pct(s->used, s->size), r.maxStack ? pct(s->used, *r.maxStack) : "-",
                    s->guardDistance ? std::to_string(*s->guardDistance) : "-", std::to_string(s->frames), next,
                    s->recursion ? recursionShort(*s->recursion) : "-", locationOf(*s->v)});
  }
  out += table(rows, {true, false, true, true, true, true, true, true, false, false, false});
  if (shown.size() < matched)
    out += fmt::format("... {} more (--top N or --all to see them)\n", matched - shown.size());

  out += fmt::format("\nsystem stacks ({} Ms):\n", r.ms);
  std::vector<std::vector<std::string>> srows = {{"M", "STACK", "BOUNDS", "SIZE", "USED", "THREAD"}};
  for (const SystemStack& s : r.system)
    srows.push_back({fmt::format("m{}", s.mId), std::string(s.kind) + (s.goAllocated ? "" : " (OS)"),
                     fmt::format("[{}, {})", hex(s.lo), hex(s.hi)), bytesShort(s.hi - s.lo),
                     s.used ? bytesShort(*s.used) : "-", s.tid ? std::to_string(*s.tid) : "-"});
  out += table(srows, {false, false, false, true, true, true});
  out += "  (USED where the thread is on that stack now; '-' otherwise)\n";

  out += "\nstack sizes:\n";
  std::vector<std::vector<std::string>> hrows = {{"SIZE", "GOROUTINES", "BYTES"}};
  for (const SizeBucket& b : r.histogram)
    hrows.push_back({bytesShort(b.size), std::to_string(b.goroutines), bytesShort(b.bytes)});
  out += table(hrows, {true, true, true});

  const StackTotals& t = r.totals;
  out += fmt::format("\ntotal: {} goroutines hold {} of stack ({} bytes), {} used ({})\n", t.goroutines,
                     bytesShort(t.allocated), t.allocated, bytesShort(t.used), pct(t.used, t.allocated));
  if (t.runtimeInUse) {
    out += fmt::format(
        "runtime's count (MemStats.StackInuse): {} bytes = {} goroutine stacks + {} in {} dead goroutines kept "
        "for reuse + {} g0/gsignal stacks",
        *t.runtimeInUse, t.allocated, t.deadBytes, t.deadWithStack, t.systemGoBytes);
    if (t.unaccounted && *t.unaccounted >= 0)
      out += fmt::format(" + {} free in the runtime's stack pools and caches\n", *t.unaccounted);
    else if (t.unaccounted)
      out += fmt::format(" - {} (stacks being allocated or freed at the stop)\n", -*t.unaccounted);
  } else {
    out += "runtime's count (MemStats.StackInuse): unknown (runtime.memstats not found; stripped binary?)\n";
  }
  return out;
}

}  // namespace

CommandResult cmdStacks(Session& s, const std::vector<std::string>& args) {
  Parsed p = parse(args, kStacksUsage);
  if (!p.positional.empty()) throw Error(fmt::format("go stacks: unexpected argument '{}'", p.positional[0]));
  if (p.has("--top") && p.has("--all")) throw Error("--top and --all exclude each other");
  size_t top = p.has("--all") ? SIZE_MAX : p.has("--top") ? parseCount(p.get("--top"), "--top") : 20;
  const Snapshot& snap = s.snapshot();
  if (snap.allgsLen == 0 && !p.has("--json"))
    return deliver(p, "no goroutines yet: the Go runtime has not started (runtime.allgs is empty)\n", "nothing");
  StackReport r = stackReport(s.runtime(), snap);

  std::vector<const GoroutineStack*> shown;
  for (const GoroutineStack& g : r.goroutines)
    if (!p.has("--recursion") || g.recursion) shown.push_back(&g);
  size_t matched = shown.size();
  if (shown.size() > top) shown.resize(top);

  if (!p.has("--json")) return deliver(p, textReport(r, shown, matched, p.has("--recursion")), "stack report");
  json gs = json::array();
  for (const GoroutineStack* g : shown) gs.push_back(goroutineStackJson(*g, r.maxStack));
  json sys = json::array();
  for (const SystemStack& st : r.system)
    sys.push_back({{"m", st.mId}, {"kind", st.kind}, {"lo", hex(st.lo)}, {"hi", hex(st.hi)},
                   {"size_bytes", st.hi - st.lo}, {"sp", st.sp ? json(hex(*st.sp)) : json(nullptr)},
                   {"used_bytes", optJson(st.used)}, {"thread_id", optJson(st.tid)},
                   {"go_allocated", st.goAllocated}});
  json hist = json::array();
  for (const SizeBucket& b : r.histogram)
    hist.push_back({{"size_bytes", b.size}, {"goroutines", b.goroutines}, {"total_bytes", b.bytes}});
  json out = {{"go_version", snap.goVersion},
              {"max_stack_bytes", optJson(r.maxStack)},
              {"goroutines_total", r.goroutines.size()},
              {"goroutines", gs},
              {"system_stacks", sys},
              {"histogram", hist},
              {"totals", totalsJson(r.totals)},
              {"overflow", overflowJson(r)},
              {"fatal", r.fatal ? fatalJson(*r.fatal) : json(nullptr)}};
  return deliver(p, dumpJson(out), fmt::format("{} goroutines' stacks", shown.size()));
}

json fatalJson(const FatalError& f) {
  json frames = json::array();
  for (const Frame& fr : f.frames) frames.push_back(frameJson(fr));
  return {{"kind", f.kind},
          {"message", f.message ? json(*f.message) : json(nullptr)},
          {"goroutine", f.goroutine ? json(f.goroutine->g.goid) : json(nullptr)},
          {"thread_id", f.tid},
          {"thread", f.threadIndex},
          {"m", f.mId ? json(*f.mId) : json(nullptr)},
          {"thrower", f.thrower.empty() ? json(nullptr) : json(f.thrower)},
          {"frames", frames},
          {"others", othersJson(f)}};
}

json othersJson(const FatalError& f) {
  json arr = json::array();
  for (const FatalError::Other& o : f.others)
    arr.push_back({{"kind", o.kind},
                   {"message", o.message ? json(*o.message) : json(nullptr)},
                   {"goroutine", o.goroutine ? json(o.goroutine->g.goid) : json(nullptr)},
                   {"thread_id", o.tid},
                   {"thread", o.threadIndex}});
  return arr;
}

}  // namespace goinspect
