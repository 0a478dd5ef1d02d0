// go print: the value of a Go expression over package variables, read from the target.
#include <fmt/format.h>

#include "command_list.h"
#include "command_util.h"
#include "expr.h"
#include "format.h"
#include "frame_scope.h"
#include "value.h"

namespace goinspect {

using nlohmann::json;

const Usage kPrintUsage = {
    "EXPR",
    "The value of EXPR in Go syntax: an argument or local of the frame (see --goroutine and --frame), a "
    "package variable (main.cfg, or cfg for package main; example.com/shop/store.Default), then any of x.f (through pointers and embedded fields), *p, "
    "&x, a[i] on arrays, slices and strings, m[k] on maps with string, integer, bool or pointer "
    "keys, len(x), cap(x), x.(T) and x.(*T) on interfaces, and (*T)(0xADDR). Nothing runs in the "
    "target: the value is read from its memory, with types from the executable's DWARF. Without DWARF (a "
    "stripped binary), (*T)(0xADDR) still reads a value, T found among the runtime's own type descriptors "
    "(as reflect names it: main.point, []string); variables need DWARF.\n"
    "A value that cannot be read is shown as <error: why> in its place, and the rest is still "
    "shown. Maps whose every entry is shown are sorted by key, as fmt prints them; a longer map "
    "is in the runtime's order. A pointer printed itself, or held in an interface, is followed "
    "once (&main.point {X: 1, Y: 2}).\n"
    "A variable that has no value at the frame's pc (optimised away, or in a register, which Go does not "
    "keep across a call) is <unavailable: why>, never guessed. Without --goroutine and with no goroutine "
    "on the selected thread, only package variables are known.\n"
    "In LLDB and GDB, put an expression with double quotes in single quotes (go print 'm[\"gold\"]'): the "
    "debuggers drop double quotes from a command's words.",
    {goroutineOption(), frameOption(), {"--depth", "N", "expand composite values N levels deep (default 4)"},
     {"--elements", "N", "show at most N elements of an array, slice, map or channel (default 64)"},
     {"--string-bytes", "N", "show at most N bytes of a string (default 256)"},
     jsonOption("{\"expr\", \"goroutine\", \"frame\", \"function\", \"type\", \"kind\", \"value\", "
                "\"address\", ...}: value is the text shown; a composite also has its parts "
                "(fields, elements, entries, dynamic_value, pointee), and a value that could not be "
                "read has \"available\": false and \"reason\"; goroutine, frame and function are null "
                "when no frame was looked in (package variables only)"),
     outputOption()}};

CommandResult cmdPrint(Session& s, const std::vector<std::string>& args) {
  Parsed p = parse(args, kPrintUsage);
  if (p.positional.empty()) throw Error("usage: go print EXPR");
  std::string expr = fmt::format("{}", fmt::join(p.positional, " "));
  Limits limits = parseLimits(p);
  ValueReader& reader = s.values();

  // The frame whose variables are in scope: the one named, or the selected goroutine's,
  // found when the expression first names something that may be a local (a package
  // variable needs no goroutine: none is read for it).
  bool named = p.has("--goroutine") || p.has("--frame");
  const GoroutineView* g = nullptr;
  std::optional<ScopeFrame> sf;
  bool looked = false;
  auto frame = [&]() -> const ScopeFrame* {
    if (!looked) {
      looked = true;
      if (!reader.types().hasDwarf()) {
        if (named) s.valuesWithDwarf();  // throws: a frame was asked for, and it has no variables
        return nullptr;
      }
      std::string why;
      try {
        g = selectedGoroutine(s, p, &why);
      } catch (const Error&) {
        if (named) throw;  // a goroutine named that does not exist; else only globals are known
      }
      if (named && !g) throw Error(fmt::format("which goroutine? {}: give --goroutine ID", why));
      if (g) sf = scopeFrame(s, *g, selectFrames(s, *g, p.get("--frame"), false)[0]);
    }
    return sf ? &*sf : nullptr;
  };
  if (named) frame();  // a bad --goroutine or --frame is an error even for a package variable
  ExprScope scope;
  scope.local = [&](std::string_view name) -> std::optional<ExprScope::Place> {
    const ScopeFrame* f = frame();
    if (!f) return std::nullopt;
    const FrameVar* found = nullptr;
    for (const FrameVar& v : f->vars)
      if (v.name == name) found = &v;  // the last is the innermost block's
    if (!found) return std::nullopt;
    if (!found->addr) return ExprScope::Place{found->type, 0, found->unavailable};
    if (!found->escaped) return ExprScope::Place{found->type, *found->addr, ""};
    TypeId t = reader.types().pointee(found->type);
    auto ptr = reader.mem().u64(*found->addr);
    if (!ptr) return ExprScope::Place{t, 0, fmt::format("cannot read its address at {:#x}", *found->addr)};
    if (!*ptr) return ExprScope::Place{t, 0, "not yet allocated at this pc"};
    return ExprScope::Place{t, *ptr, ""};
  };
  ExprEvaluator ev(reader, scope);
  Value v = ev.evaluate(expr, limits);
  if (p.has("--json")) {
    json j = formatJson(v);
    json out = {{"expr", expr}, {"goroutine", nullptr}, {"frame", nullptr}, {"function", nullptr}};
    if (sf) {
      out["goroutine"] = g->g.goid;
      out["frame"] = sf->index;
      out["function"] = std::string(sf->frame.function);
    }
    out.update(j);
    return deliver(p, dumpJson(out), fmt::format("the value of {}", expr));
  }
  return deliver(p, formatText(v) + "\n", fmt::format("the value of {}", expr));
}

}  // namespace goinspect
