// The `go` command tree in LLDB. Each subcommand hands its words to the engine's
// runCommand and prints what comes back; nothing is analysed here. No exception leaves this
// file: LLDB's session is worth more than our output.
#include <lldb/API/LLDB.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "lldb_target.h"

namespace {

// One engine session per (executable, process): caches survive between commands and are
// dropped by the engine itself when the process runs.
struct Entry {
  std::unique_ptr<goinspect::LldbTarget> target;
  std::unique_ptr<goinspect::Session> session;
};
std::map<std::string, Entry>& sessions() {
  static std::map<std::string, Entry> s;
  return s;
}

goinspect::Session* sessionFor(lldb::SBTarget target, std::string* err) {
  if (!target.IsValid()) {
    *err = "no target: create one with 'target create EXE' (add '--core CORE' for a core file)";
    return nullptr;
  }
  lldb::SBProcess proc = target.GetProcess();
  if (!proc.IsValid()) {
    *err = "no process: run the program, attach to it ('process attach --pid PID'), or load a core";
    return nullptr;
  }
  lldb::StateType state = proc.GetState();
  if (state == lldb::eStateRunning || state == lldb::eStateStepping || state == lldb::eStateLaunching ||
      state == lldb::eStateAttaching) {
    *err = "the process is running: stop it first ('process interrupt')";
    return nullptr;
  }
  if (state == lldb::eStateExited || state == lldb::eStateDetached || state == lldb::eStateInvalid) {
    *err = "the process is gone (exited or detached): attach again or load a core";
    return nullptr;
  }
  goinspect::LldbTarget probe(target);
  std::string key = probe.executablePath() + "|" + std::to_string(proc.GetUniqueID());
  auto& all = sessions();
  auto it = all.find(key);
  if (it == all.end()) {
    Entry e;
    e.target = std::make_unique<goinspect::LldbTarget>(target);
    e.session = std::make_unique<goinspect::Session>(*e.target);
    it = all.emplace(key, std::move(e)).first;
  } else {
    it->second.target->reset(target);
  }
  return it->second.session.get();
}

// Long work as LLDB shows it: SBProgress (LLDB's status line, lldb-dap) and Ctrl-C through
// SBDebugger::InterruptRequested.
class LldbFrontEnd : public goinspect::FrontEnd {
 public:
  explicit LldbFrontEnd(lldb::SBDebugger debugger) : debugger_(debugger) {}
  ~LldbFrontEnd() override { progressEnd(); }
  bool interruptRequested() override { return debugger_.InterruptRequested(); }
  void progress(const std::string& title, uint64_t done, uint64_t total) override {
    if (!progress_ || title != title_) {
      progressEnd();
      std::string t = "go: " + title;
      progress_ = total ? std::make_unique<lldb::SBProgress>(t.c_str(), "", total, debugger_)
                        : std::make_unique<lldb::SBProgress>(t.c_str(), "", debugger_);
      title_ = title;
      reported_ = 0;
    }
    if (done > reported_) progress_->Increment(done - reported_);
    reported_ = done;
  }
  void progressEnd() override {
    if (progress_) progress_->Finalize();
    progress_.reset();
  }

 private:
  lldb::SBDebugger debugger_;
  std::unique_ptr<lldb::SBProgress> progress_;
  std::string title_;
  uint64_t reported_ = 0;
};

class GoCommand : public lldb::SBCommandPluginInterface {
 public:
  explicit GoCommand(std::string name) : name_(std::move(name)) {}

  bool DoExecute(lldb::SBDebugger debugger, char** command, lldb::SBCommandReturnObject& result) override {
    try {
      std::vector<std::string> args{name_};
      for (char** a = command; a && *a; a++) args.emplace_back(*a);
      std::string err;
      goinspect::Session* s = sessionFor(debugger.GetSelectedTarget(), &err);
      if (!s) {
        result.SetError(err.c_str());
        return false;
      }
      LldbFrontEnd frontEnd(debugger);
      s->target().setFrontEnd(&frontEnd);
      goinspect::CommandResult r = goinspect::runCommand(*s, args);
      s->target().setFrontEnd(nullptr);
      if (!r.ok) {
        result.SetError(r.error.c_str());
        return false;
      }
      result.PutCString(r.output.c_str(), static_cast<int>(r.output.size()));
      result.SetStatus(lldb::eReturnStatusSuccessFinishResult);
      return true;
    } catch (const std::exception& e) {
      result.SetError(e.what());
    } catch (...) {
      result.SetError("internal error in the go plugin");
    }
    return false;
  }

 private:
  std::string name_;
};

}  // namespace

namespace lldb {
bool PluginInitialize(lldb::SBDebugger debugger);
}

bool lldb::PluginInitialize(lldb::SBDebugger debugger) {
  lldb::SBCommandInterpreter interp = debugger.GetCommandInterpreter();
  lldb::SBCommand root = interp.AddMultiwordCommand(
      "go", "Inspect the Go runtime of the target: goroutines, their backtraces, the program.");
  if (!root.IsValid()) return false;
  for (const auto& spec : goinspect::commandTable()) {
    lldb::SBCommand c = root.AddCommand(spec.name.c_str(), new GoCommand(spec.name), spec.summary.c_str(),
                                        spec.syntax.c_str());
    // LLDB wraps each line of the long help to the terminal, indenting continuation lines as
    // the line: the engine's help is one line per paragraph for that. The leading newline
    // puts a blank line after the syntax.
    if (c.IsValid()) c.SetHelpLong(("\n" + spec.help).c_str());
  }
  return true;
}
