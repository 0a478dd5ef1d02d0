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

#include <string>
#include <vector>

#include "session.h"

namespace goinspect {

struct CommandResult {
  bool ok = true;
  std::string output;
  std::string error;
};

// What a front end registers for each command.
struct CommandSpec {
  std::string name;
  std::string summary;  // one line, short enough for 'help go' in 80 columns
  std::string syntax;   // "go NAME ...", wrapped for 80 columns after "Syntax: "
  // The description and options, one line per paragraph, unwrapped: LLDB wraps each line to
  // the terminal; a debugger that does not wrap help passes it through wrapHelp first.
  std::string help;
};
const std::vector<CommandSpec>& commandTable();

// Help text wrapped to `width` columns, each continuation line indented as its paragraph.
std::string wrapHelp(const std::string& help, size_t width);

CommandResult runCommand(Session& session, const std::vector<std::string>& args);

}  // namespace goinspect
