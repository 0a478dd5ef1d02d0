// What the `go` commands share: where the output goes (the debugger or --output FILE,
// streamed), aligned tables, the one-line names of a goroutine's location and creator, and
// the pieces two commands print alike. Internal to the engine's command files; options.h
// has the parsing, report.h the goroutine's text and JSON.
#pragma once

#include <fmt/format.h>

#include <cstdio>
#include <future>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.h"
#include "errors.h"
#include "fatal.h"
#include "options.h"
#include "progress.h"
#include "report.h"

namespace goinspect {

FrameSelection parseFrames(const Parsed& p, FrameSelection def);
std::string lower(std::string s);

// Where a command's text goes: back to the debugger, or to --output FILE as it is produced,
// so that a large report (100k goroutines with every frame) never sits in memory whole.
// A file is written by a second thread while the next block is made: copying gigabytes
// into the kernel costs about what making them does, and the two overlap.
class Out {
 public:
  explicit Out(const Parsed& p);
  ~Out();
  Out(const Out&) = delete;
  Out& operator=(const Out&) = delete;
  void write(std::string_view s) {
    buf_ += s;
    total_ += s.size();
    if (file_ && buf_.size() >= kBlock) flush();
  }
  // An interrupted command leaves no half-written file behind.
  void abandon();
  CommandResult finish(const std::string& what);

 private:
  static constexpr size_t kBlock = size_t{8} << 20;
  void flush();     // hands buf_ to the writer; waits for the block before it
  void waitWrite();  // the block being written is done (throws if it failed)
  std::string path_;
  std::FILE* file_ = nullptr;
  std::string buf_, writing_;
  std::future<bool> pending_;
  size_t total_ = 0;
};

CommandResult deliver(const Parsed& p, const std::string& text, const std::string& what);
// What a command over every goroutine says when there is none: stopped before the runtime
// made its first goroutine (at the entry point, in rt0_go), or runtime.allgs read as empty.
extern const char* const kNotStarted;
std::string dumpJson(const nlohmann::json& j);
const GoroutineView* findGoroutine(const Snapshot& s, const std::string& idText);
// The same, read alone when no snapshot is taken (Session::goroutine): for commands about one
// goroutine, which need not unwind a million others.
const GoroutineView& goroutineById(Session& s, const std::string& idText);

// "pkg.fn at file.go:12" of the first user frame (else the innermost); "fn at file:line"
// of the go statement that created it.
std::string locationOf(const GoroutineView& v);
std::string creatorOf(const GoroutineView& v);
// Rows of cells, columns padded to their widest cell; the last column is never padded.
std::string table(const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& rightAlign);
// "314 waiting, 1 syscall": goroutines by status, most first.
std::string stateCounts(const std::vector<const GoroutineView*>& gs);
// {"go_version": ..., "goroutines": [ one goroutine per line ]}, written goroutine by
// goroutine (go goroutines --json, go bt --json).
// `errors`: the goroutines that could not be read (Snapshot::errors), when all were read.
CommandResult deliverGoroutinesJson(Target& target, const Parsed& p, const std::string& goVersion, const std::vector<std::string>& errors,
                                    const std::vector<const GoroutineView*>& sel, FrameSelection fs,
                                    const std::string& what, const FrameArgs& args = {});

// Frames' arguments read from the session's target as the runtime's traceback prints them.
FrameArgs traceArgsOf(Session& s);

// The fatal error (cmd_stacks.cc) and the cause of death (cmd_defers.cc) as JSON, as go
// stacks, go panics and go info show them.
nlohmann::json fatalJson(const FatalError& f);
// The other threads that threw at the same moment: [{"kind", "message", "goroutine", "thread_id", "thread"}].
nlohmann::json othersJson(const FatalError& f);
struct Cause;
nlohmann::json causeJson(const Cause& c);

}  // namespace goinspect
