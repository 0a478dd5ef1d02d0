// A Value tree as text (Go syntax, one line) and as JSON.
//
// Text: scalars are their Go literals (42, "A-17", 1.5, (1+2i), true); a composite is its
// type, then its contents, as a debugger's user reads them:
//   main.point {X: 1, Y: 2}            [3]string ["a", "b", "c"]
//   []int len: 4, cap: 4, [4, 5, 6, 7] []int nil
//   map[string]int len: 2, ["a": 1, "b": 2]
//   chan int len: 2, cap: 5, [1, 2]    chan int len: 0, cap: 0, closed, [], receivers: [17]
//   error(*main.myErr) &main.myErr {msg: "boom", code: 3}     interface {} nil
//   (*main.point)(0xc000012345)        (*main.point)(nil)      main.handler (a func)
// Inside an array, slice, map or channel the elements' composite types are not repeated
// ({X: 1, Y: 2}, not main.point {X: 1, Y: 2}). A pointer printed itself, or held in an
// interface, is followed: &main.point {X: 1, Y: 2}. Left out: `...+N more` after the
// elements shown, `"abc"...+N more` for a cut string, {...} past the depth limit. What
// could not be read: <error: why>.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>

#include "value.h"

namespace goinspect {

std::string formatText(const Value& v);

// {"type", "kind", "value" (the text above), "address"?, "available": false and "reason"
// where it could not be read, "len"/"cap"/"more"/"nil"/"closed" where they apply, and the
// parts: "fields" [{"name", ...}], "elements" [...], "entries" [{"key", "value"}],
// "dynamic_type" and "dynamic_value", "pointee", "senders"/"receivers" (goids)}.
nlohmann::json formatJson(const Value& v);

// The Go kind's name as reflect.Kind.String() spells it ("int", "struct", "ptr" → "ptr").
const char* kindName(GoKind k);

}  // namespace goinspect
