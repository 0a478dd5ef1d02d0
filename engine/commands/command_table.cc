// The command table: one line per command with its summary (what 'help go' lists), and the
// one entry point the front ends call.
#include <fmt/format.h>

#include "command_list.h"
#include "errors.h"

namespace goinspect {

namespace {

struct Command {
  const char* name;
  CommandFn run;
  const Usage* usage;
  const char* summary;  // 'go NAME -- SUMMARY' fits in 80 columns
};

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"goroutines", cmdGoroutines, &kGoroutinesUsage, "Every goroutine: state, wait, stack, location, creator"},
      {"bt",         cmdBt,         &kBtUsage,         "Backtrace of a goroutine (or all), as the runtime prints it"},
      {"goroutine",  cmdGoroutine,  &kGoroutineUsage,  "Everything about one goroutine, then its backtrace"},
      {"frames",     cmdFrames,     &kFramesUsage,     "A goroutine's frames with their sizes and stack depth"},
      {"stacks",     cmdStacks,     &kStacksUsage,     "Stack use against its limits; the overflow post-mortem"},
      {"waits",      cmdWaits,      &kWaitsUsage,      "What each blocked goroutine waits on; deadlocks"},
      {"chans",      cmdChans,      &kChansUsage,      "Every channel with goroutines queued on it"},
      {"leaks",      cmdLeaks,      &kLeaksUsage,      "Blocked goroutines grouped; the leaked groups first"},
      {"defers",     cmdDefers,     &kDefersUsage,     "Pending deferred calls, in the order they would run"},
      {"panics",     cmdPanics,     &kPanicsUsage,     "Panics in flight, and what killed the process"},
      {"sched",      cmdSched,      &kSchedUsage,      "The scheduler as scheddetail prints it: Ps, Ms, run queues"},
      {"threads",    cmdThreads,    &kThreadsUsage,    "Each OS thread with its M, P and goroutine"},
      {"print",      cmdPrint,      &kPrintUsage,      "The value of a Go expression in a frame: variables, x.f, a[i], m[k]"},
      {"locals",     cmdLocals,     &kLocalsUsage,     "A frame's local variables and their values"},
      {"args",       cmdArgs,       &kArgsUsage,       "A frame's arguments and their values"},
      {"frame",      cmdFrame,      &kFrameUsage,      "Select a frame of the selected goroutine for the values"},
      {"up",         cmdUp,         &kUpUsage,         "Select the caller of the selected frame"},
      {"down",       cmdDown,       &kDownUsage,       "Select the callee of the selected frame"},
      {"info",       cmdInfo,       &kInfoUsage,       "The program: Go version, GOMAXPROCS, goroutines, Ms, Ps"},
  };
  return table;
}

}  // namespace

const std::vector<CommandSpec>& commandTable() {
  static const std::vector<CommandSpec> specs = [] {
    std::vector<CommandSpec> out;
    for (const Command& c : commands())
      out.push_back({c.name, c.summary, syntaxText(c.name, *c.usage), helpText(*c.usage)});
    return out;
  }();
  return specs;
}

std::string wrapHelp(const std::string& help, size_t width) { return wrapText(help, width); }

CommandResult runCommand(Session& session, const std::vector<std::string>& args) {
  CommandResult r;
  try {
    if (args.empty()) throw Error("usage: go <command> ...; 'help go' lists the commands");
    session.beginCommand();
    for (const Command& c : commands())
      if (args[0] == c.name) return c.run(session, args);
    throw Error(fmt::format("unknown command 'go {}'; 'help go' lists the commands", args[0]));
  } catch (const Error& e) {
    r.ok = false;
    r.error = e.what();
  } catch (const std::exception& e) {
    // Not the engine's own Error: a bug (a bad_alloc, an out_of_range), said as one so that
    // nobody takes it for what the target holds; the fuzzers count it as a finding.
    r.ok = false;
    r.error = std::string("internal error: ") + e.what();
  } catch (...) {
    r.ok = false;
    r.error = "internal error";
  }
  return r;
}

}  // namespace goinspect
