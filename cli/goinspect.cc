// goinspect: the `go` commands on a core file without a debugger.
//
//   goinspect EXE CORE goroutines --group-by stack
//   goinspect EXE CORE bt 1
//   goinspect --symbols EXE.debug EXE CORE locals --frame all   (a separate debug file)
//   goinspect help [COMMAND]
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "commands.h"
#include "core_target.h"

namespace {

constexpr size_t kHelpWidth = 79;

volatile std::sig_atomic_t interrupted = 0;
extern "C" void onSigint(int) { interrupted = 1; }

// Long work as the CLI shows it: a single updating line on stderr when it is a terminal,
// and Ctrl-C (SIGINT) to stop the command with what it got so far said.
class CliFrontEnd : public goinspect::FrontEnd {
 public:
  bool interruptRequested() override { return interrupted != 0; }
  void progress(const std::string& title, uint64_t done, uint64_t total) override {
    if (!isatty(2)) return;
    if (total)
      std::fprintf(stderr, "\r\033[Kgoinspect: %s: %llu of %llu (%llu%%)", title.c_str(),
                   static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                   static_cast<unsigned long long>(done * 100 / total));
    else
      std::fprintf(stderr, "\r\033[Kgoinspect: %s: %llu", title.c_str(), static_cast<unsigned long long>(done));
    std::fflush(stderr);
    shown_ = true;
  }
  void progressEnd() override {
    if (shown_) std::fprintf(stderr, "\r\033[K");
    shown_ = false;
  }

 private:
  bool shown_ = false;
};

int usage() {
  std::fprintf(stderr,
               "usage: goinspect [--symbols DEBUGFILE] EXE CORE COMMAND [OPTIONS]\n       goinspect help [COMMAND]\n"
               "--symbols: the executable's separate debug file (found by itself by build ID or\n"
               "           .gnu_debuglink under /usr/lib/debug and beside EXE)\ncommands:\n");
  for (const auto& c : goinspect::commandTable())
    std::fprintf(stderr, "  %-11s %s\n", c.name.c_str(), c.summary.c_str());
  return 2;
}

int help(const std::string& name) {
  for (const auto& c : goinspect::commandTable()) {
    if (c.name != name) continue;
    std::string text = c.summary + "\n\nSyntax: " + c.syntax + "\n\n" + goinspect::wrapHelp(c.help, kHelpWidth);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  std::fprintf(stderr, "error: no command '%s'\n", name.c_str());
  return usage();
}

// The executable as LLDB names it (FileSpec: a relative path resolved against the working
// directory and normalized, symlinks left alone): `go info` prints it, so the CLI's output
// equals the plugin's on the same core whichever way the path was typed.
std::string absolutePath(const std::string& path) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(path, ec);
  return ec ? path : p.lexically_normal().string();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "help") return argc == 3 ? help(argv[2]) : usage();
  std::string symbols;
  if (argc >= 3 && std::string(argv[1]) == "--symbols") {
    symbols = absolutePath(argv[2]);
    argc -= 2;
    argv += 2;
  }
  if (argc < 4) return usage();
  try {
    auto target = goinspect::CoreTarget::open(absolutePath(argv[1]), argv[2]);
    target->setSymbolFile(symbols);
    CliFrontEnd frontEnd;
    target->setFrontEnd(&frontEnd);
    struct sigaction sa {};
    sa.sa_handler = onSigint;
    sigaction(SIGINT, &sa, nullptr);
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
