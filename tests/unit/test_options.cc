// The commands' options and help (engine/commands/options.h): parsing, and help that reads
// cleanly in 80 columns whichever debugger wraps it.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <sstream>

#include "commands.h"
#include "errors.h"
#include "options.h"

using namespace goinspect;

namespace {

const Usage kUsage = {"ID|all",
                      "What it does.",
                      {{"--limit", "N", "at most N"},
                       {"--label", "KEY[=VALUE]", "only with label KEY", true},
                       {"--json", "", "JSON"}}};

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

}  // namespace

TEST_CASE("options are parsed from the usage declared with the command", "[commands][options]") {
  Parsed p = parse({"demo", "7", "--limit", "3", "--label=a=1", "--json", "--label", "b", "--limit=5"}, kUsage);
  CHECK(p.positional == std::vector<std::string>{"7"});
  CHECK(p.get("--limit") == "5");  // the last one given
  CHECK(p.all("--label") == std::vector<std::string>{"a=1", "b"});
  CHECK(p.has("--json"));
  CHECK(p.all("--nothing").empty());
  CHECK_THROWS_WITH(parse({"demo", "--bogus"}, kUsage), Catch::Matchers::Equals("go demo: unknown option --bogus (see 'help go demo')"));
  CHECK_THROWS_WITH(parse({"demo", "--limit"}, kUsage), Catch::Matchers::Equals("go demo: --limit needs a value"));
  CHECK_THROWS_AS(parseCount("-1", "--limit"), Error);
}

TEST_CASE("help wraps each paragraph once, greedily, with its indent", "[commands][options]") {
  CHECK(wrapText("  --x\n      alpha beta gamma delta\n\nend", 24) == "  --x\n      alpha beta gamma\n      delta\n\nend\n");
  CHECK(wrapText("one two three four five six", 16) == "one two three\nfour five six\n");
  // A word longer than the line stands alone; it is not cut.
  CHECK(wrapText("a abcdefghijklmnopqrstuvwxyz b", 16) == "a\nabcdefghijklmnopqrstuvwxyz\nb\n");
}

TEST_CASE("every command's help fits 80 columns in a debugger that does not wrap", "[commands][options]") {
  for (const CommandSpec& c : commandTable()) {
    CAPTURE(c.name);
    // 'help go' in GDB: "go NAME -- SUMMARY", unwrapped.
    CHECK(3 + c.name.size() + 4 + c.summary.size() <= 79);
    auto syntax = lines("Syntax: " + c.syntax);
    for (const std::string& l : syntax) CHECK(l.size() <= 80);
    CHECK(syntax.front().starts_with("Syntax: go " + c.name));
    for (const std::string& l : lines(wrapHelp(c.help, 79))) CHECK(l.size() <= 79);
    // Every option is described, under its own line.
    CHECK(c.help.find("\nOptions:\n") != std::string::npos);
    for (size_t at = c.syntax.find("[--"); at != std::string::npos; at = c.syntax.find("[--", at + 1)) {
      std::string name = c.syntax.substr(at + 1, c.syntax.find_first_of(" ]", at) - at - 1);
      CHECK(c.help.find("\n  " + name) != std::string::npos);
    }
  }
}

TEST_CASE("the syntax lists positional words, then options, wrapped under the first word", "[commands][options]") {
  std::string s = syntaxText("demo", kUsage);
  CHECK(s == "go demo ID|all [--limit N] [--label KEY[=VALUE]]... [--json]");
  Usage many = kUsage;
  for (int i = 0; i < 8; i++) many.options.push_back({"--option" + std::to_string(i), "VALUE", "h"});
  auto ls = lines(syntaxText("demo", many));
  REQUIRE(ls.size() > 1);
  for (size_t i = 1; i < ls.size(); i++) CHECK(ls[i].starts_with(std::string(8 + 8, ' ') + "["));
}
