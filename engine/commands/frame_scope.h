// Which goroutine and frame a values command means (--goroutine ID, --frame N|FUNCTION|all,
// or the debugger's selected thread), and the variables in scope there.
//
//   const GoroutineView* g = selectedGoroutine(s, p);     // nullptr: none named or selected
//   for (size_t k : selectFrames(*g, p.get("--frame"), true)) {
//     ScopeFrame f = scopeFrame(s, *g, k);                  // f.vars: args and locals
#pragma once

#include <string>
#include <vector>

#include "frame_vars.h"
#include "goroutines.h"
#include "options.h"

namespace goinspect {

class Session;

// Functions, not globals: the command tables' Usages are globals of other files, made
// before or after this one's.
Option goroutineOption();  // --goroutine ID
Option frameOption();      // --frame N|FUNCTION

// --goroutine ID, else the goroutine `go goroutine` selected, else the one on the
// debugger's selected thread (a core's first thread: the one that took the fatal signal);
// nullptr if none of them names one, with *why.
const GoroutineView* selectedGoroutine(Session& s, const Parsed& p, std::string* why);

// Frame indexes (as go bt numbers them): N, the innermost frame of FUNCTION (a generic
// function matches by its name before '['), "all" (when allowed), or by default the frame
// selected in that goroutine (go frame, go up, go down), else the first frame of the
// user's code (else frame 0). Throws Error on a bad selection.
std::vector<size_t> selectFrames(Session& s, const GoroutineView& g, const std::string& spec, bool allowAll);
size_t defaultFrame(const GoroutineView& g);

struct ScopeFrame {
  size_t index = 0;
  Frame frame;
  std::string function;       // as DWARF names the scope ("" if DWARF has none for the pc)
  std::vector<FrameVar> vars;
};
ScopeFrame scopeFrame(Session& s, const GoroutineView& g, size_t index);

// --depth, --elements, --string-bytes.
struct Limits;
Limits parseLimits(const Parsed& p);
// A frame variable's value: read where DWARF places it (through "&x" for an escaped one),
// or unavailable with why.
struct Value;
class ValueReader;
Value frameVarValue(ValueReader& r, const FrameVar& v, const Limits& limits);

}  // namespace goinspect
