// go print: the value of a Go expression over package variables, read from the target.
#include <fmt/format.h>

#include "command_list.h"
#include "command_util.h"
#include "expr.h"
#include "format.h"
#include "value.h"

namespace goinspect {

using nlohmann::json;

const Usage kPrintUsage = {
    "EXPR",
    "The value of EXPR in Go syntax: a package variable (main.cfg, or cfg for package main; "
    "example.com/shop/store.Default), then any of x.f (through pointers and embedded fields), *p, "
    "&x, a[i] on arrays, slices and strings, m[k] on maps with string, integer, bool or pointer "
    "keys, len(x), cap(x), x.(T) and x.(*T) on interfaces, and (*T)(0xADDR). Nothing runs in the "
    "target: the value is read from its memory, with types from the executable's DWARF.\n"
    "A value that cannot be read is shown as <error: why> in its place, and the rest is still "
    "shown. Maps whose every entry is shown are sorted by key, as fmt prints them; a longer map "
    "is in the runtime's order. A pointer printed itself, or held in an interface, is followed "
    "once (&main.point {X: 1, Y: 2}).",
    {{"--depth", "N", "expand composite values N levels deep (default 4)"},
     {"--elements", "N", "show at most N elements of an array, slice, map or channel (default 64)"},
     {"--string-bytes", "N", "show at most N bytes of a string (default 256)"},
     jsonOption("{\"expr\", \"goroutine\", \"frame\", \"function\", \"type\", \"kind\", \"value\", "
                "\"address\", ...}: value is the text shown; a composite also has its parts "
                "(fields, elements, entries, dynamic_value, pointee), and a value that could not be "
                "read has \"available\": false and \"reason\""),
     outputOption()}};

CommandResult cmdPrint(Session& s, const std::vector<std::string>& args) {
  Parsed p = parse(args, kPrintUsage);
  if (p.positional.empty()) throw Error("usage: go print EXPR");
  std::string expr = fmt::format("{}", fmt::join(p.positional, " "));
  Limits limits;
  if (p.has("--depth")) limits.depth = static_cast<int>(std::min<uint64_t>(parseCount(p.get("--depth"), "--depth"), 64));
  if (p.has("--elements")) limits.elements = parseCount(p.get("--elements"), "--elements");
  if (p.has("--string-bytes")) limits.stringBytes = parseCount(p.get("--string-bytes"), "--string-bytes");
  limits.stringBytes = std::min<uint64_t>(limits.stringBytes, bounds::kMaxLength);

  ValueReader& reader = s.values();
  ExprEvaluator ev(reader);
  Value v = ev.evaluate(expr, limits);
  if (p.has("--json")) {
    json j = formatJson(v);
    json out = {{"expr", expr}, {"goroutine", nullptr}, {"frame", nullptr}, {"function", nullptr}};
    out.update(j);
    return deliver(p, dumpJson(out), fmt::format("the value of {}", expr));
  }
  return deliver(p, formatText(v) + "\n", fmt::format("the value of {}", expr));
}

}  // namespace goinspect
