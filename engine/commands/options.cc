#include "options.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "errors.h"

namespace goinspect {

namespace {
// "Syntax: " is what LLDB and GDB print before a command's syntax.
constexpr size_t kSyntaxPrefix = 8;
constexpr size_t kSyntaxWidth = 80;
}  // namespace

Option jsonOption(std::string schema) { return {"--json", "", "JSON: " + std::move(schema)}; }

Option outputOption() { return {"--output", "FILE", "write the result to FILE instead of the terminal"}; }

const std::vector<std::string>& Parsed::all(const std::string& n) const {
  static const std::vector<std::string> none;
  auto it = opts.find(n);
  return it == opts.end() ? none : it->second;
}

Parsed parse(const std::vector<std::string>& args, const Usage& usage) {
  const std::string& cmd = args.at(0);
  Parsed p;
  for (size_t i = 1; i < args.size(); i++) {
    const std::string& a = args[i];
    if (a.size() > 2 && a.starts_with("--")) {
      std::string name = a, value;
      bool inlineValue = false;
      if (auto eq = a.find('='); eq != std::string::npos) {
        name = a.substr(0, eq);
        value = a.substr(eq + 1);
        inlineValue = true;
      }
      const auto& specs = usage.options;
      auto spec = std::find_if(specs.begin(), specs.end(), [&](const Option& o) { return o.name == name; });
      if (spec == specs.end()) throw Error(fmt::format("go {}: unknown option {} (see 'help go {}')", cmd, name, cmd));
      if (!spec->value.empty() && !inlineValue) {
        if (i + 1 >= args.size()) throw Error(fmt::format("go {}: {} needs a value", cmd, name));
        value = args[++i];
      }
      p.opts[name].push_back(value);
    } else {
      p.positional.push_back(a);
    }
  }
  return p;
}

uint64_t parseCount(const std::string& s, const std::string& what) {
  try {
    size_t used = 0;
    long long v = std::stoll(s, &used);
    if (used == s.size() && v >= 0) return static_cast<uint64_t>(v);
  } catch (...) {
  }
  throw Error(fmt::format("{} must be a non-negative number, not '{}'", what, s));
}

std::string syntaxText(const std::string& name, const Usage& usage) {
  std::string head = "go " + name;
  std::vector<std::string> words;
  if (!usage.args.empty()) words.push_back(usage.args);
  for (const Option& o : usage.options)
    words.push_back(fmt::format("[{}{}]{}", o.name, o.value.empty() ? "" : " " + o.value, o.repeatable ? "..." : ""));
  // Continuation lines start under the first word after "go NAME".
  const std::string indent(kSyntaxPrefix + head.size() + 1, ' ');
  std::string out = head;
  size_t column = kSyntaxPrefix + head.size();
  for (const std::string& w : words) {
    if (column + 1 + w.size() > kSyntaxWidth && column > indent.size()) {
      out += "\n" + indent;
      column = indent.size();
    } else {
      out += ' ';
      column++;
    }
    out += w;
    column += w.size();
  }
  return out;
}

std::string helpText(const Usage& usage) {
  std::string out;
  // A blank line between paragraphs.
  for (char c : usage.description) out += c == '\n' ? std::string("\n\n") : std::string(1, c);
  if (!out.empty()) out += '\n';
  if (usage.options.empty()) return out;
  out += "\nOptions:\n";
  for (const Option& o : usage.options) {
    out += fmt::format("  {}{}\n", o.name, o.value.empty() ? "" : " " + o.value);
    out += fmt::format("      {}\n", o.help);
  }
  return out;
}

std::string wrapText(const std::string& text, size_t width) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    start = end + 1;
    size_t textAt = line.find_first_not_of(' ');
    if (textAt == std::string_view::npos) {
      out += '\n';
      continue;
    }
    std::string_view indent = line.substr(0, textAt), rest = line.substr(textAt);
    // Too deep an indent for the width leaves the line whole, as LLDB does.
    size_t room = width >= indent.size() + 16 ? width - indent.size() : SIZE_MAX;
    // Greedy, as LLDB wraps help: as many words as fit; a word longer than the room stands
    // alone rather than being cut.
    while (!rest.empty()) {
      size_t take = rest.size();
      if (rest.size() > room) {
        size_t sp = rest.substr(0, room + 1).rfind(' ');
        take = sp == std::string_view::npos || sp == 0 ? rest.find(' ') : sp;
        if (take == std::string_view::npos) take = rest.size();
      }
      out += indent;
      out += rest.substr(0, take);
      out += '\n';
      rest = rest.substr(take);
      rest.remove_prefix(std::min(rest.find_first_not_of(' '), rest.size()));
    }
  }
  return out;
}

}  // namespace goinspect
