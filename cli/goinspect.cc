// goinspect: the `go` commands on a core file without a debugger.
//
//   goinspect EXE CORE goroutines --group-by stack
//   goinspect EXE CORE bt 1
#include <cstdio>
#include <string>
#include <vector>

#include "commands.h"
#include "core_target.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: goinspect EXE CORE COMMAND [OPTIONS]\ncommands:\n");
    for (const auto& c : goinspect::commandTable()) std::fprintf(stderr, "  %s\n", c.syntax.c_str());
    return 2;
  }
  try {
    auto target = goinspect::CoreTarget::open(argv[1], argv[2]);
    goinspect::Session session(*target);
    std::vector<std::string> args(argv + 3, argv + argc);
    goinspect::CommandResult r = goinspect::runCommand(session, args);
    if (!r.ok) {
      std::fprintf(stderr, "error: %s\n", r.error.c_str());
      return 1;
    }
    std::fwrite(r.output.data(), 1, r.output.size(), stdout);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
