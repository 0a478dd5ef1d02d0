// A command's words, declared once next to the command: its positional words, what it does
// and each option with its help. Parsing and the help both come from that one declaration.
//
//   const Usage kBtUsage = {"ID|all", "Every logical frame of the goroutine ...",
//                           {{"--frames", "N", "at most N frames per goroutine"}, kJson(...)}};
//   Parsed p = parse(args, kBtUsage);          // args[0] is the command's name
//   if (p.has("--frames")) ... p.get("--frames") ...
//
// Help text is unwrapped: one line per paragraph, its leading spaces its indent, so that a
// debugger that wraps (LLDB) wraps it to the terminal's width with the right hanging indent;
// wrapText does the same for one that does not (GDB).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace goinspect {

struct Option {
  std::string name;   // "--state"
  std::string value;  // what it takes, for the syntax ("S", "N|all"); empty for a flag
  std::string help;   // one paragraph
  bool repeatable = false;  // every value given counts (Parsed::all); "..." in the syntax
};

struct Usage {
  std::string args;         // the positional words ("ID|all", "[ID...]"), empty for none
  std::string description;  // paragraphs, each one line, separated by "\n"
  std::vector<Option> options;
};

// The options every command takes.
Option jsonOption(std::string schema);  // --json, with the shape of what it prints
Option outputOption();                  // --output FILE

struct Parsed {
  std::map<std::string, std::vector<std::string>> opts;  // name → its values, in order ("" for flags)
  std::vector<std::string> positional;
  bool has(const std::string& n) const { return opts.count(n) > 0; }
  // The value given last.
  std::string get(const std::string& n) const {
    auto it = opts.find(n);
    return it == opts.end() ? "" : it->second.back();
  }
  const std::vector<std::string>& all(const std::string& n) const;
};

// Options and positional words after args[0] (the command name); throws Error on an
// unknown option or a missing value.
Parsed parse(const std::vector<std::string>& args, const Usage& usage);
uint64_t parseCount(const std::string& s, const std::string& what);

// "go NAME ARGS [--opt V] ...", wrapped for 80 columns after the "Syntax: " the debuggers
// print before it.
std::string syntaxText(const std::string& name, const Usage& usage);
// The description, then every option and its help (unwrapped, see above).
std::string helpText(const Usage& usage);
// Each line wrapped to `width` columns at spaces, continuation lines indented as the line.
std::string wrapText(const std::string& text, size_t width);

}  // namespace goinspect
