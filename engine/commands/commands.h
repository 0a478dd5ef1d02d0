// The `go` commands, debugger-neutral: a front end hands over the words the user typed and
// prints the result. Both the LLDB plugin and the GDB module call runCommand, so the two
// debuggers accept the same options and print the same text and JSON.
//
//   Session session(target);                       // one per debugger target
//   CommandResult r = runCommand(session, {"goroutines", "--group-by", "stack"});
//   if (r.ok) print(r.output); else printError(r.error);
//
// runCommand never throws: every failure becomes r.error.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "goroutines.h"
#include "memory.h"

namespace goinspect {

struct Waits;

class Session {
 public:
  explicit Session(Target& target);
  ~Session();
  Target& target() { return target_; }
  // The program and runtime model, loaded on first use; throws Error.
  Runtime& runtime();
  // Every goroutine at the current stop, taken once per stop.
  const Snapshot& snapshot();
  // What every blocked goroutine waits on (waits.h), analysed once per snapshot: go waits,
  // go chans and go leaks share it, and its stack sweep is the costly part.
  const Waits& waits();

 private:
  Target& target_;
  Memory mem_;
  std::string exe_;
  std::unique_ptr<GoProgram> prog_;
  std::unique_ptr<Runtime> rt_;
  std::optional<Snapshot> snap_;
  uint64_t snapStop_ = ~0ull;
  std::unique_ptr<Waits> waits_;  // of snap_; dropped with it
};

struct CommandResult {
  bool ok = true;
  std::string output;
  std::string error;
};

struct CommandSpec {
  std::string name;
  std::string summary;  // one line
  std::string syntax;
  std::string help;     // full help text
};
const std::vector<CommandSpec>& commandTable();

CommandResult runCommand(Session& session, const std::vector<std::string>& args);

}  // namespace goinspect
