// go sched and go threads: the scheduler's Ps and Ms, and each OS thread's M and goroutine.
#include <algorithm>
#include <unordered_map>

#include "command_list.h"
#include "command_util.h"
#include "scheduler.h"

namespace goinspect {

using nlohmann::json;

const Usage kSchedUsage = {
    "",
    "The runtime's scheduler, from a core or a stopped process, with the counters and names of the "
    "runtime's own schedtrace: GOMAXPROCS, idle Ps, Ms (threads) idle and spinning, the global run "
    "queue, the GC phase and whether the world is stopped; each P (status, its M, local run queue "
    "with goroutine ids, runnext, timers, cached dead gs); each M (OS thread id and debugger thread, "
    "its P, current goroutine, locked goroutine, spinning, blocked on a note, in a syscall or cgo "
    "call, and the runtime's mallocing/throwing/locks/preemptoff).",
    {jsonOption("{\"procs\", \"idleprocs\", \"threads\", ..., \"ps\": [...], \"ms\": [...]}"), outputOption()}};

const Usage kThreadsUsage = {
    "",
    "One line per debugger thread: its number and OS thread id, the M it is (m.procid), the M's P "
    "and current goroutine, which stack the thread is on (the goroutine's, g0 or gsignal), and the "
    "function at its pc, so the right thread can be picked with the debugger's own commands.",
    {jsonOption("{\"threads\": [{\"index\", \"tid\", \"m\", \"p\", \"goroutine\", \"lockedg\", \"stack\", "
                "\"pc\", \"function\", \"in_syscall\", \"incgo\", \"spinning\"}]}"),
     outputOption()}};

namespace {

template <typename T>
json optJson(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

template <typename T>
std::string optText(const std::optional<T>& v, const char* none = "nil") {
  return v ? fmt::format("{}", *v) : std::string(none);
}

std::string idList(const std::vector<int64_t>& v, size_t max) {
  std::string s;
  for (size_t i = 0; i < v.size() && i < max; i++) s += (i ? " " : "") + std::to_string(v[i]);
  if (v.size() > max) s += fmt::format(" ... {} more", v.size() - max);
  return s;
}

// What an M is doing, in a few words, from the flags schedtrace prints.
std::string mState(const MState& m) {
  std::vector<std::string> w;
  if (m.isextra) w.push_back("extra M for C threads calling into Go");
  if (m.curg && m.curgDead) w.push_back(fmt::format("its goroutine {} is a dead placeholder", *m.curg));
  else if (m.curg) w.push_back(m.inSyscall ? fmt::format("goroutine {} in a syscall", *m.curg)
                                           : fmt::format("runs goroutine {}", *m.curg));
  if (m.incgo) w.push_back("in a cgo call");
  if (m.spinning) w.push_back("spinning (looking for work)");
  if (m.blocked) w.push_back("blocked on a note");
  if (m.lockedg && !(m.curgDead && m.lockedg == m.curg)) w.push_back(fmt::format("locked to goroutine {}", *m.lockedg));
  if (m.mallocing.value_or(0)) w.push_back("mallocing");
  if (m.throwing.value_or(0)) w.push_back(fmt::format("throwing={}", *m.throwing));
  if (m.dying.value_or(0)) w.push_back(fmt::format("dying={}", *m.dying));
  if (m.locks.value_or(0)) w.push_back(fmt::format("locks={}", *m.locks));
  if (m.preemptoff && !m.preemptoff->empty()) w.push_back(fmt::format("preemptoff=\"{}\"", *m.preemptoff));
  if (w.empty()) return m.p ? "idle with a P" : "idle";
  std::string s;
  for (size_t i = 0; i < w.size(); i++) s += (i ? ", " : "") + w[i];
  return s;
}

json schedJson(const SchedState& s) {
  json ps = json::array();
  for (const PState& p : s.ps)
    ps.push_back({{"id", p.id},
                  {"status", p.status},
                  {"status_name", p.statusName},
                  {"schedtick", p.schedtick},
                  {"syscalltick", p.syscalltick},
                  {"m", optJson(p.m)},
                  {"runqsize", p.runqsize},
                  {"runq", p.runq},
                  {"runnext", optJson(p.runnext)},
                  {"gfreecnt", optJson(p.gfreecnt)},
                  {"timerslen", optJson(p.timerslen)},
                  {"address", hex(p.addr)}});
  json ms = json::array();
  for (const MState& m : s.ms)
    ms.push_back({{"id", m.m.id},
                  {"procid", m.m.procid},
                  {"thread", optJson(m.threadIndex)},
                  {"p", optJson(m.p)},
                  {"curg", optJson(m.curg)},
                  {"g0", hex(m.m.g0)},
                  {"gsignal", hex(m.m.gsignal)},
                  {"lockedg", optJson(m.lockedg)},
                  {"mallocing", optJson(m.mallocing)},
                  {"throwing", optJson(m.throwing)},
                  {"preemptoff", optJson(m.preemptoff)},
                  {"locks", optJson(m.locks)},
                  {"dying", optJson(m.dying)},
                  {"spinning", m.spinning},
                  {"blocked", m.blocked},
                  {"incgo", m.incgo},
                  {"in_syscall", m.inSyscall},
                  {"isextra", m.isextra},
                  {"address", hex(m.m.addr)}});
  json j = {{"procs", optJson(s.gomaxprocs)},
            {"idleprocs", optJson(s.idleprocs)},
            {"threads", optJson(s.threads)},
            {"spinningthreads", optJson(s.spinningthreads)},
            {"needspinning", optJson(s.needspinning)},
            {"idlethreads", optJson(s.idlethreads)},
            {"runqueue", optJson(s.runqueue)},
            {"runqueue_goroutines", s.runqGoroutines},
            {"gcwaiting", optJson(s.gcwaiting)},
            {"nmidlelocked", optJson(s.nmidlelocked)},
            {"stopwait", optJson(s.stopwait)},
            {"sysmonwait", optJson(s.sysmonwait)},
            {"gc_phase", s.gcphase ? json(s.gcPhaseName()) : json(nullptr)},
            {"world_stopped", optJson(s.worldStopped())},
            {"world", s.worldText()},
            {"ps", std::move(ps)},
            {"ms", std::move(ms)}};
  if (!s.errors.empty()) j["errors"] = s.errors;
  return j;
}

std::string schedText(const SchedState& s) {
  std::string out = fmt::format(
      "GOMAXPROCS {}: {} idle Ps; {} Ms (threads): {} idle, {} spinning; global run queue {}{}; GC {}; world {}\n",
      optText(s.gomaxprocs, "?"), optText(s.idleprocs, "?"), optText(s.threads, "?"), optText(s.idlethreads, "?"),
      optText(s.spinningthreads, "?"), optText(s.runqueue, "?"),
      s.runqGoroutines.empty() ? "" : " (" + idList(s.runqGoroutines, 10) + ")", s.gcPhaseName(), s.worldText());
  // The runtime's own words, for a side-by-side look at a GODEBUG=scheddetail=1 printout.
  auto b = [](const std::optional<bool>& v) { return v ? (*v ? "true" : "false") : "?"; };
  out += fmt::format(
      "  scheddetail: gomaxprocs={} idleprocs={} threads={} spinningthreads={} needspinning={} idlethreads={} "
      "runqueue={} gcwaiting={} nmidlelocked={} stopwait={} sysmonwait={}\n\n",
      optText(s.gomaxprocs, "?"), optText(s.idleprocs, "?"), optText(s.threads, "?"), optText(s.spinningthreads, "?"),
      optText(s.needspinning, "?"), optText(s.idlethreads, "?"), optText(s.runqueue, "?"), b(s.gcwaiting),
      optText(s.nmidlelocked, "?"), optText(s.stopwait, "?"), b(s.sysmonwait));

  std::vector<std::vector<std::string>> rows = {
      {"P", "STATUS", "M", "RUNQ", "RUNNEXT", "SCHEDTICK", "SYSCALLTICK", "GFREE", "TIMERS"}};
  for (const PState& p : s.ps)
    rows.push_back({std::to_string(p.id), p.statusName, p.m ? fmt::format("m{}", *p.m) : "-",
                    p.runq.empty() ? std::to_string(p.runqsize)
                                   : fmt::format("{} ({})", p.runqsize, idList(p.runq, 8)),
                    optText(p.runnext, "-"), std::to_string(p.schedtick), std::to_string(p.syscalltick),
                    optText(p.gfreecnt, "?"), optText(p.timerslen, "?")});
  out += table(rows, {true, false, false, false, true, true, true, true, true});
  out += "\n";
  rows = {{"M", "TID", "THREAD", "P", "CURG", "STATE"}};
  for (const MState& m : s.ms)
    rows.push_back({fmt::format("m{}", m.m.id), std::to_string(m.m.procid),
                    m.threadIndex ? fmt::format("#{}", *m.threadIndex) : "-", optText(m.p, "-"),
                    optText(m.curg, "-"), mState(m)});
  out += table(rows, {false, true, false, true, true, false});
  for (const std::string& e : s.errors) out += "error: " + e + "\n";
  return out;
}

// Which stack a thread's sp is on: its M's goroutine's, its g0's or its gsignal's.
std::string stackOf(Runtime& rt, const M* m, uint64_t sp) {
  if (!m) return "unknown";
  auto in = [&](uint64_t gp) {
    auto g = gp ? rt.readG(gp, nullptr) : std::nullopt;
    return g && sp >= g->stackLo && sp < g->stackHi;
  };
  if (in(m->curg)) return "goroutine";
  if (m->g0 && in(m->g0)) return "g0";
  if (m->gsignal && in(m->gsignal)) return "gsignal";
  return "unknown";
}

}  // namespace

CommandResult cmdSched(Session& s, const std::vector<std::string>& args) {
  Parsed p = parse(args, kSchedUsage);
  if (!p.positional.empty()) throw Error(fmt::format("go sched: unexpected argument '{}'", p.positional[0]));
  SchedState st = readSched(s.runtime(), s.target().threads());
  if (p.has("--json")) return deliver(p, dumpJson(schedJson(st)), "the scheduler's state");
  return deliver(p, schedText(st), "the scheduler's state");
}

CommandResult cmdThreads(Session& s, const std::vector<std::string>& args) {
  Parsed p = parse(args, kThreadsUsage);
  if (!p.positional.empty()) throw Error(fmt::format("go threads: unexpected argument '{}'", p.positional[0]));
  Runtime& rt = s.runtime();
  std::vector<ThreadInfo> threads = s.target().threads();
  SchedState st = readSched(rt, threads);
  std::unordered_map<uint64_t, const MState*> mOfTid;
  for (const MState& m : st.ms) mOfTid.emplace(m.m.procid, &m);
  GoProgram& prog = rt.prog();

  json arr = json::array();
  std::vector<std::vector<std::string>> rows = {{"THREAD", "TID", "M", "P", "GOROUTINE", "STACK", "PC", "FUNCTION"}};
  for (const ThreadInfo& t : threads) {
    auto it = mOfTid.find(t.tid);
    const MState* m = it == mOfTid.end() ? nullptr : it->second;
    std::optional<std::string> fn;
    std::string stack = "unknown";
    if (t.regs) {
      if (const Func* f = prog.findFunc(t.regs->pc)) fn = std::string(prog.funcName(*f));
      stack = stackOf(rt, m ? &m->m : nullptr, t.regs->sp);
    }
    json j = {{"index", t.index},
              {"tid", t.tid},
              {"m", m ? json(m->m.id) : json(nullptr)},
              {"p", m ? optJson(m->p) : json(nullptr)},
              {"goroutine", m ? optJson(m->curg) : json(nullptr)},
              {"lockedg", m ? optJson(m->lockedg) : json(nullptr)},
              {"stack", stack},
              {"pc", t.regs ? json(hex(t.regs->pc)) : json(nullptr)},
              {"function", optJson(fn)},
              {"in_syscall", m && m->inSyscall},
              {"incgo", m && m->incgo},
              {"spinning", m && m->spinning}};
    arr.push_back(std::move(j));
    std::string g = "-";
    if (m && m->curg) g = fmt::format("{}{}", *m->curg, m->inSyscall ? " (syscall)" : "");
    if (m && m->lockedg && m->lockedg != m->curg) g += fmt::format(" (locked to {})", *m->lockedg);
    rows.push_back({fmt::format("#{}", t.index), std::to_string(t.tid), m ? fmt::format("m{}", m->m.id) : "-",
                    m ? optText(m->p, "-") : "-", g, stack, t.regs ? hex(t.regs->pc) : "-",
                    fn ? *fn : t.regs ? "(not Go code)" : "(no registers)"});
  }
  if (p.has("--json")) {
    json j = {{"threads", std::move(arr)}};
    if (!st.errors.empty()) j["errors"] = st.errors;
    return deliver(p, dumpJson(j), "threads");
  }
  std::string out = table(rows, {false, true, false, true, false, false, false, false});
  out += "'thread select N' (LLDB) or 'thread N' (GDB) picks one; STACK says which stack it is on: the\n"
         "goroutine's own, its M's g0 (scheduler, system calls' runtime side) or gsignal (a signal handler).\n";
  for (const std::string& e : st.errors) out += "error: " + e + "\n";
  return deliver(p, out, "threads");
}

}  // namespace goinspect
