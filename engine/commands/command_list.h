// Every `go` command: its usage (positional words, description, options with their help,
// declared next to the command in its file) and the function that runs it. The command
// table (command_table.cc) lists them, one line each.
#pragma once

#include <string>
#include <vector>

#include "commands.h"
#include "options.h"

namespace goinspect {

using CommandFn = CommandResult (*)(Session&, const std::vector<std::string>& args);

// cmd_goroutines.cc, cmd_bt.cc, cmd_goroutine.cc, cmd_frames.cc, cmd_info.cc
extern const Usage kGoroutinesUsage, kBtUsage, kGoroutineUsage, kFramesUsage, kInfoUsage;
CommandResult cmdGoroutines(Session& s, const std::vector<std::string>& args);
CommandResult cmdBt(Session& s, const std::vector<std::string>& args);
CommandResult cmdGoroutine(Session& s, const std::vector<std::string>& args);
CommandResult cmdFrames(Session& s, const std::vector<std::string>& args);
CommandResult cmdInfo(Session& s, const std::vector<std::string>& args);

// cmd_stacks.cc
extern const Usage kStacksUsage;
CommandResult cmdStacks(Session& s, const std::vector<std::string>& args);

// cmd_waits.cc: go waits, go chans, go leaks share one reading of the wait structures.
extern const Usage kWaitsUsage, kChansUsage, kLeaksUsage;
CommandResult cmdWaits(Session& s, const std::vector<std::string>& args);
CommandResult cmdChans(Session& s, const std::vector<std::string>& args);
CommandResult cmdLeaks(Session& s, const std::vector<std::string>& args);

// cmd_defers.cc: go defers, go panics
extern const Usage kDefersUsage, kPanicsUsage;
CommandResult cmdDefers(Session& s, const std::vector<std::string>& args);
CommandResult cmdPanics(Session& s, const std::vector<std::string>& args);

// cmd_sched.cc: go sched, go threads
extern const Usage kSchedUsage, kThreadsUsage;
CommandResult cmdSched(Session& s, const std::vector<std::string>& args);
CommandResult cmdThreads(Session& s, const std::vector<std::string>& args);

// cmd_print.cc, cmd_locals.cc: Go values
extern const Usage kPrintUsage, kLocalsUsage, kArgsUsage;
CommandResult cmdPrint(Session& s, const std::vector<std::string>& args);
CommandResult cmdLocals(Session& s, const std::vector<std::string>& args);
CommandResult cmdArgs(Session& s, const std::vector<std::string>& args);

// cmd_select.cc: moving the selection go goroutine ID made
extern const Usage kFrameUsage, kUpUsage, kDownUsage;
CommandResult cmdFrame(Session& s, const std::vector<std::string>& args);
CommandResult cmdUp(Session& s, const std::vector<std::string>& args);
CommandResult cmdDown(Session& s, const std::vector<std::string>& args);

}  // namespace goinspect
