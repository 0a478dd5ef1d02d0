// Turning a Snapshot into what the user reads: aligned text, or JSON with stable field
// names (addresses as "0x..." strings). Printing only; no target reads happen here, but for
// the FrameArgs callers pass in.
#pragma once

#include <nlohmann/json.hpp>
#include <functional>
#include <string>
#include <vector>

#include "goroutines.h"
#include "recursion.h"

namespace goinspect {

// How many frames a goroutine carries in output: the first user frame only (the default
// of `go goroutines`), all of them, or the first N.
struct FrameSelection {
  enum Kind { kFirstUser, kAll, kFirstN } kind = kFirstUser;
  size_t n = 0;
};

// A frame's arguments as the runtime prints them (traceargs.h), made when printed: the one
// reader of the target this file calls. Empty: frames print "()" (or "(...)" inlined).
using FrameArgs = std::function<std::string(const Frame&, size_t index)>;

std::string hex(uint64_t v);
// JSON text of j (indented by `indent`, or on one line). Strings from the target are any
// bytes: what is not UTF-8 becomes U+FFFD, as Go's encoding/json does, so the output is
// JSON whatever the target held.
std::string jsonText(const nlohmann::json& j, int indent = -1);
std::vector<size_t> selectFrames(const GoroutineView& v, FrameSelection sel);

// The goroutine object of the JSON contract, appended compactly to `out`. Written directly
// (not through a json tree): `go goroutines --json --frames all` on 100k goroutines is
// hundreds of MB of it, and building trees cost three times the unwinding itself.
// With `args`, each frame carries "args": its argument text.
void appendGoroutineJson(std::string& out, const GoroutineView& v, FrameSelection sel, const FrameArgs& args = {});
nlohmann::json goroutineJson(const GoroutineView& v, FrameSelection sel, const FrameArgs& args = {});
nlohmann::json frameJson(const Frame& f);

// "main.worker at /src/app/main.go:12" (the file shortened only if `shortFile`).
std::string location(const Frame& f, bool shortFile);
std::string shortPath(std::string_view file);
std::string bytesShort(uint64_t n);   // 8192 → "8K", 1184 → "1.2K"

// A recursion as JSON: {"functions", "cycle_frames", "repeats", "bytes_per_cycle",
// "more_fit", "entered_from"}; and as one line of text, "main.ping -> main.pong -> main.ping:
// 20 cycles of 2 frames in a row (frames #0..#39), 96 bytes per cycle".
nlohmann::json recursionJson(const Recursion& r, const FrameList& frames, std::optional<uint64_t> moreFit);
std::string recursionText(const Recursion& r);
// "main.grow ×10819", "main.ping→main.pong ×20": for a table cell.
std::string recursionShort(const Recursion& r);

// The goroutine's traceback, the runtime's way: header, frames, "created by".
std::string backtraceText(const GoroutineView& v, const FrameArgs& args = {});

}  // namespace goinspect
