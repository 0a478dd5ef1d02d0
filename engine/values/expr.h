// Go expressions over the target's memory, without running code in it: the subset a
// debugger's user types to look at a value.
//
//   ExprEvaluator ev(reader, scope);
//   Value v = ev.evaluate("main.cfg.Shards[2].name", limits);   // throws Error: one line
//
//   operands   package variables (main.cfg, or cfg for package main; a path-qualified
//              name: example.com/shop/store.Default), a frame's arguments and locals
//              (when the scope has them), integer and string literals
//   selectors  x.f (through pointers, and into embedded fields), *p, &x
//   index      a[i] on arrays, slices and strings; m[k] on maps with string, integer,
//              bool or pointer keys
//   calls      len(x), cap(x)
//   types      x.(T), x.(*T) on interfaces; (*T)(0xADDR) for any type the DWARF knows
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "value.h"

namespace goinspect {

// Where a name lives: an address and a type. The frame's variables come from here; package
// variables are looked up in the DWARF when the scope does not know a name.
struct ExprScope {
  struct Place {
    TypeId type = 0;
    uint64_t addr = 0;
    std::string unavailable;  // why the name has no value at this pc (then addr is 0)
  };
  // A local or argument by name; nullopt if the scope has no such name.
  std::function<std::optional<Place>(std::string_view name)> local;
};

class ExprEvaluator {
 public:
  ExprEvaluator(ValueReader& reader, ExprScope scope = {}) : reader_(reader), scope_(std::move(scope)) {}
  // The value of `expr`, read down to `limits`; a value that is a pointer is followed
  // once. Throws Error naming what was not found or not valid.
  Value evaluate(std::string_view expr, const Limits& limits);

 private:
  ValueReader& reader_;
  ExprScope scope_;
};

}  // namespace goinspect
