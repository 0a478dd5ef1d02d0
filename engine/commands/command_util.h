// What every `go` command shares: option parsing, where the output goes (the debugger or
// --output FILE, streamed), aligned tables and the one-line names of a goroutine's
// location and creator. Internal to the engine's command files.
#pragma once

#include <fmt/format.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.h"
#include "errors.h"
#include "fatal.h"
#include "report.h"

namespace goinspect {

struct OptSpec {
  std::string name;   // "--state"
  bool takesValue;
};

struct Parsed {
  std::map<std::string, std::string> opts;  // name → value ("" for flags)
  std::vector<std::string> positional;
  bool has(const std::string& n) const { return opts.count(n) > 0; }
  std::string get(const std::string& n) const {
    auto it = opts.find(n);
    return it == opts.end() ? "" : it->second;
  }
};

// Options and positional words after args[0] (the command name); throws Error on an
// unknown option or a missing value.
Parsed parse(const std::vector<std::string>& args, const std::vector<OptSpec>& specs, const std::string& cmd);
uint64_t parseCount(const std::string& s, const std::string& what);
FrameSelection parseFrames(const Parsed& p, FrameSelection def);
std::string lower(std::string s);

// Where a command's text goes: back to the debugger, or to --output FILE as it is produced,
// so that a large report (100k goroutines with every frame) never sits in memory whole.
class Out {
 public:
  explicit Out(const Parsed& p) {
    if (!p.has("--output")) return;
    path_ = p.get("--output");
    file_.open(path_, std::ios::binary | std::ios::trunc);
    if (!file_) throw Error(fmt::format("cannot write {}", path_));
  }
  void write(std::string_view s) {
    buf_ += s;
    total_ += s.size();
    if (file_.is_open() && buf_.size() > (1 << 20)) flush();
  }
  CommandResult finish(const std::string& what) {
    CommandResult r;
    if (!file_.is_open()) {
      r.output = std::move(buf_);
      return r;
    }
    flush();
    file_.close();
    if (!file_) throw Error(fmt::format("cannot write {}", path_));
    r.output = fmt::format("wrote {} ({} bytes) to {}\n", what, total_, path_);
    return r;
  }

 private:
  void flush() {
    file_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    if (!file_) throw Error(fmt::format("cannot write {}", path_));
    buf_.clear();
  }
  std::string path_;
  std::ofstream file_;
  std::string buf_;
  size_t total_ = 0;
};

CommandResult deliver(const Parsed& p, const std::string& text, const std::string& what);
std::string dumpJson(const nlohmann::json& j);
const GoroutineView* findGoroutine(const Snapshot& s, const std::string& idText);

// "pkg.fn at file.go:12" of the first user frame (else the innermost); "fn at file:line"
// of the go statement that created it.
std::string locationOf(const GoroutineView& v);
std::string creatorOf(const GoroutineView& v);
// Rows of cells, columns padded to their widest cell; the last column is never padded.
std::string table(const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& rightAlign);

// go waits, go chans, go leaks (cmd_waits.cc).
CommandResult cmdWaits(Session& s, const std::vector<std::string>& args);
CommandResult cmdChans(Session& s, const std::vector<std::string>& args);
CommandResult cmdLeaks(Session& s, const std::vector<std::string>& args);

// go sched, go threads (cmd_sched.cc); go defers, go panics (cmd_defers.cc).
CommandResult cmdSched(Session& s, const std::vector<std::string>& args);
CommandResult cmdThreads(Session& s, const std::vector<std::string>& args);
CommandResult cmdDefers(Session& s, const std::vector<std::string>& args);
CommandResult cmdPanics(Session& s, const std::vector<std::string>& args);
struct Cause;
nlohmann::json causeJsonForInfo(const Cause& c);

// go stacks (cmd_stacks.cc), and the fatal error as go info and go stacks show it.
CommandResult cmdStacks(Session& s, const std::vector<std::string>& args);
nlohmann::json fatalJson(const FatalError& f);
std::string fatalText(const FatalError& f);

}  // namespace goinspect
