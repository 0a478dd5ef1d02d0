// PcLnTab against the Go toolchain's own answers, for go1.21..go1.27 in four build modes.
// The binaries and oracle files come from tests/unit/build-testbins.sh (see there).
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include <algorithm>
#include <ctime>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "elf_file.h"
#include "errors.h"
#include "pclntab.h"

using goinspect::ElfFile;
using goinspect::Func;
using goinspect::LogicalFrame;
using goinspect::PcLnTab;

namespace {

std::string fixtureDir(int minor, const std::string& mode) {
  return std::string(FIXTURE_DIR) + "/unit/go1." + std::to_string(minor) + "/" + mode;
}

bool exists(const std::string& path) { return std::ifstream(path).good(); }

// Fails (never skips) when the fixtures have not been built.
void requireFile(const std::string& path) {
  if (!exists(path))
    FAIL(path << " is missing: run tests/unit/build-testbins.sh " << FIXTURE_DIR
              << " (builds the Go test binaries and their oracle files)");
}

struct Loaded {
  std::string dir, mode;
  int minor = 0;
  std::unique_ptr<ElfFile> elf;
  const goinspect::ElfSection* pclntab = nullptr;
  const goinspect::ElfSection* text = nullptr;
  std::unique_ptr<PcLnTab> tab;
  bool hasGoFunc = false;
};

// Opens hello for (go1.minor, mode): textStart is the .text section's address, and the
// inline-tree reader is wired through the "go:func.*" symbol when the binary has symbols.
Loaded load(int minor, const std::string& mode) {
  Loaded l;
  l.minor = minor;
  l.mode = mode;
  l.dir = fixtureDir(minor, mode);
  requireFile(l.dir + "/hello");
  l.elf = ElfFile::open(l.dir + "/hello");
  l.pclntab = l.elf->section(".gopclntab");
  if (!l.pclntab) l.pclntab = l.elf->section(".data.rel.ro.gopclntab");  // PIE before go1.26
  REQUIRE(l.pclntab);
  l.text = l.elf->section(".text");
  REQUIRE(l.text);
  l.tab = PcLnTab::parse(l.pclntab->data, l.text->addr);
  if (auto gofunc = l.elf->symbol("go:func.*")) {
    const ElfFile* elf = l.elf.get();
    l.tab->setGoFunc(*gofunc, [elf](uint64_t addr, uint64_t size) { return elf->bytesAt(addr, size); });
    l.hasGoFunc = true;
  }
  return l;
}

std::vector<std::string> splitTabs(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(line);
  while (std::getline(in, cur, '\t')) out.push_back(cur);
  if (!line.empty() && line.back() == '\t') out.push_back("");
  return out;
}

std::vector<std::string> readLines(const std::string& path) {
  requireFile(path);
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

uint64_t hex(const std::string& s) { return std::stoull(s, nullptr, 16); }

// runtime.funcNameForPrint for the simple case: "main.pick[go.shape.int]" -> "main.pick[...]".
std::string nameForPrint(std::string_view raw) {
  auto i = raw.find('['), j = raw.rfind(']');
  if (i == std::string_view::npos || j == std::string_view::npos || j < i) return std::string(raw);
  std::string_view interior = raw.substr(i + 1, j - i - 1);
  if (interior.find('[') != std::string_view::npos) return std::string(raw);
  return std::string(raw.substr(0, i)) + "[...]" + std::string(raw.substr(j + 1));
}

// Mismatches collected over a loop, reported together (the first 20) by one CHECK.
struct Problems {
  size_t count = 0;
  std::string first;
  void add(const std::string& s) {
    if (count++ < 20) first += s + "\n";
  }
};
#define PROBLEM(p, expr)   \
  do {                     \
    std::ostringstream os_; \
    os_ << expr;           \
    (p).add(os_.str());    \
  } while (0)
#define CHECK_NO_PROBLEMS(p) \
  do {                       \
    INFO((p).first);         \
    CHECK((p).count == 0);   \
  } while (0)

#define FOR_EACH_FIXTURE()                                             \
  const int minor = GENERATE(21, 22, 23, 24, 25, 26, 27);              \
  const std::string mode = GENERATE(as<std::string>{}, "plain", "noopt", "stripped", "pie"); \
  INFO("go1." << minor << " " << mode)

}  // namespace

TEST_CASE("pclntab parses every toolchain's table and covers .text in pc order", "[pclntab]") {
  FOR_EACH_FIXTURE();
  Loaded l = load(minor, mode);
  const PcLnTab& t = *l.tab;
  CHECK(t.magic() == 0xFFFFFFF1u);
  CHECK(t.textStart() == l.text->addr);
  REQUIRE(t.numFuncs() > 1000);
  CHECK(t.minPc() >= l.text->addr);
  CHECK(t.maxPc() <= l.text->addr + l.text->size);
  if (auto rt = l.elf->symbol("runtime.text")) CHECK(*rt == l.text->addr);  // moduledata.text

  uint64_t prevEnd = t.minPc();
  size_t mismatches = 0;
  for (size_t i = 0; i < t.numFuncs(); i++) {
    const Func* f = t.funcAt(i);
    REQUIRE(f);
    if (f->index != i || f->entry != prevEnd || f->end < f->entry || t.findFunc(f->entry) != f ||
        (f->end > f->entry && t.findFunc(f->end - 1) != f) || t.funcName(*f).empty())
      mismatches++;
    prevEnd = f->end;
  }
  CHECK(mismatches == 0);
  CHECK(prevEnd == t.maxPc());
  CHECK(t.funcAt(t.numFuncs()) == nullptr);
  CHECK(t.findFunc(t.minPc() - 1) == nullptr);
  CHECK(t.findFunc(t.maxPc()) == nullptr);
  CHECK(t.findFunc(0) == nullptr);
  CHECK(t.findFunc(~uint64_t{0}) == nullptr);
}

TEST_CASE("pclntab file:line agrees with go tool addr2line for every function in hello", "[pclntab]") {
  FOR_EACH_FIXTURE();
  Loaded l = load(minor, mode);
  const PcLnTab& t = *l.tab;
  size_t rows = 0, withLine = 0;
  Problems bad;
  for (const std::string& line : readLines(l.dir + "/addr2line.txt")) {
    auto col = splitTabs(line);
    REQUIRE(col.size() == 4);
    uint64_t pc = hex(col[0]);
    const std::string &name = col[1], &file = col[2];
    int lineNo = std::stoi(col[3]);
    rows++;
    const Func* f = t.findFunc(pc);
    if (name == "?") {  // addr2line found no function here
      if (f) {
        PROBLEM(bad, col[0] << ": addr2line: none, we: " << t.funcName(*f));
      }
      continue;
    }
    if (!f || t.funcName(*f) != name) {
      PROBLEM(bad, col[0] << ": addr2line: " << name << ", we: " << (f ? t.funcName(*f) : "none"));
      continue;
    }
    auto [ourFile, ourLine] = t.fileLine(*f, pc);
    bool unknown = file.empty() || lineNo <= 0;  // addr2line's ":-1" (pc past the pcln table)
    bool ok = unknown ? (ourFile.empty() && ourLine == 0) : (ourFile == file && ourLine == lineNo);
    if (!ok) {
      PROBLEM(bad, col[0] << " " << name << ": addr2line: " << file << ":" << lineNo << ", we: " << ourFile
                           << ":" << ourLine);
    }
    if (!unknown) withLine++;
  }
  CHECK(rows >= 2000);
  CHECK(withLine > rows / 2);
  CHECK_NO_PROBLEMS(bad);
}

// The prologue and epilogue in objdump give the sp delta at each instruction on the straight
// path from the entry to the first RET: PUSHQ BP, SUBQ $n, SP, ADDQ $n, SP, POPQ BP.
TEST_CASE("pclntab sp deltas follow the prologue and epilogue in go tool objdump", "[pclntab]") {
  const int minor = GENERATE(21, 22, 23, 24, 25, 26, 27);
  const std::string mode = GENERATE(as<std::string>{}, "plain", "noopt", "pie");
  INFO("go1." << minor << " " << mode);
  Loaded l = load(minor, mode);
  const PcLnTab& t = *l.tab;
  auto lines = readLines(l.dir + "/objdump.txt");
  size_t funcs = 0, checked = 0, withFrame = 0;
  Problems bad;
  for (size_t i = 0; i < lines.size(); i++) {
    if (lines[i].rfind("TEXT ", 0) != 0) continue;
    std::string fname = lines[i].substr(5, lines[i].find("(SB)") - 5);
    funcs++;
    int32_t delta = 0;
    uint64_t stop = ~uint64_t{0};  // the stack-growth block the prologue's JBE jumps to
    bool sawFrame = false;
    for (size_t k = i + 1; k < lines.size() && !lines[k].empty() && lines[k][0] == ' '; k++) {
      // "  main.go:20\t\t0x49d0a0\t\t493b6610\t\tCMPQ SP, 0x10(R14)\t\t\t" (tab runs vary)
      std::vector<std::string> col;
      for (auto& c : splitTabs(lines[k]))
        if (!c.empty()) col.push_back(c);
      REQUIRE(col.size() == 4);
      uint64_t pc = hex(col[1]);
      const std::string& ins = col[3];
      if (pc >= stop) break;
      const Func* f = t.findFunc(pc);
      REQUIRE(f);
      if (k == i + 1) CHECK(f->entry == pc);
      int32_t got = t.spDelta(*f, pc);
      checked++;
      if (got != delta) {
        PROBLEM(bad, fname << " " << col[1] << " " << ins << ": want " << delta << ", got " << got);
      }
      if (ins.rfind("RET", 0) == 0 || ins.rfind("JMP ", 0) == 0) break;
      if (ins.rfind("JBE ", 0) == 0 && k <= i + 3) stop = hex(ins.substr(4));
      long n = 0;
      if (ins.rfind("PUSHQ BP", 0) == 0) n = 8;
      else if (ins.rfind("POPQ BP", 0) == 0) n = -8;
      else if ((ins.rfind("SUBQ $", 0) == 0 || ins.rfind("ADDQ $", 0) == 0) && ins.ends_with(", SP")) {
        n = std::stol(ins.substr(6, ins.size() - 6 - 4), nullptr, 0);
        if (ins[0] == 'A') n = -n;
      }
      delta += static_cast<int32_t>(n);
      if (delta > 8) sawFrame = true;
    }
    if (sawFrame) withFrame++;
  }
  CHECK(funcs >= 10);
  CHECK(withFrame >= 10);
  CHECK(checked > 200);
  CHECK_NO_PROBLEMS(bad);
}

// frames.txt: for each stack hello captured, one line per runtime.Callers pc with the frame
// runtime.CallersFrames gives for it: pc, physical entry, inlined, line, function, file.
TEST_CASE("pclntab expand gives the inlined frames runtime.CallersFrames reports", "[pclntab]") {
  FOR_EACH_FIXTURE();
  Loaded l = load(minor, mode);
  const PcLnTab& t = *l.tab;
  struct Row {
    uint64_t pc, entry;
    bool inlined;
    int line;
    std::string function, file;
  };
  std::vector<std::vector<Row>> stacks(1);
  for (const std::string& line : readLines(l.dir + "/frames.txt")) {
    REQUIRE(line.rfind("error", 0) != 0);
    if (line == "end") {
      stacks.emplace_back();
      continue;
    }
    auto c = splitTabs(line);
    REQUIRE(c.size() == 6);
    stacks.back().push_back(Row{hex(c[0]), hex(c[1]), c[2] == "1", std::stoi(c[3]), c[4], c[5]});
  }
  stacks.pop_back();
  REQUIRE(stacks.size() == 4);

  size_t inlinedSeen = 0;
  for (const auto& s : stacks) {
    // The load bias (non-zero for PIE) from a physical frame: main.capture's entry.
    REQUIRE(s.size() >= 4);
    REQUIRE(s[0].function == "main.capture");
    const Func* capture = t.funcByName("main.capture");
    REQUIRE(capture);
    const uint64_t bias = s[0].entry - capture->entry;
    if (mode == "pie") CHECK(bias != 0);
    else CHECK(bias == 0);

    for (size_t i = 0; i < s.size(); i++) {
      INFO("stack frame " << i << ": " << s[i].function << " at " << std::hex << s[i].pc);
      const uint64_t pc = s[i].pc - bias - 1;  // the call instruction, as CallersFrames looks it up
      const Func* f = t.findFunc(pc);
      REQUIRE(f);
      size_t j = i;
      while (j < s.size() && s[j].inlined) j++;
      REQUIRE(j < s.size());
      // Without the inline tree: the physical function, the innermost file:line.
      CHECK(nameForPrint(t.funcName(*f)) == s[j].function);
      CHECK(f->entry + bias == s[j].entry);
      auto [file, line] = t.fileLine(*f, pc);
      CHECK(file == s[i].file);
      CHECK(line == s[i].line);

      std::vector<LogicalFrame> frames = t.expand(*f, pc);
      REQUIRE(!frames.empty());
      CHECK_FALSE(frames.back().inlined);
      CHECK(frames.back().function == t.funcName(*f));
      if (!l.hasGoFunc) {  // stripped: no gofunc, so the physical frame only
        CHECK(frames.size() == 1);
        continue;
      }
      REQUIRE(frames.size() == j - i + 1);
      for (size_t k = 0; k < frames.size(); k++) {
        const Row& want = s[i + k];
        INFO("logical frame " << k << ": " << want.function);
        CHECK(nameForPrint(frames[k].function) == want.function);
        CHECK(frames[k].file == want.file);
        CHECK(frames[k].line == want.line);
        CHECK(frames[k].inlined == want.inlined);
      }
      if (s[i].inlined) inlinedSeen++;
    }
  }
  if (mode == "noopt" || !l.hasGoFunc) CHECK(inlinedSeen == 0);
  else CHECK(inlinedSeen >= 5);  // leaf/middle/outer, grab, pick, leaf/func1 were inlined
}

TEST_CASE("pclntab expand agrees with fileLine and funcName at every pc of hello's main package",
          "[pclntab]") {
  const int minor = GENERATE(21, 22, 23, 24, 25, 26, 27);
  const std::string mode = GENERATE(as<std::string>{}, "plain", "pie");
  INFO("go1." << minor << " " << mode);
  Loaded l = load(minor, mode);
  const PcLnTab& t = *l.tab;
  REQUIRE(l.hasGoFunc);
  size_t pcs = 0, inlinedPcs = 0, withTree = 0;
  Problems bad;
  for (size_t i = 0; i < t.numFuncs(); i++) {
    const Func& f = *t.funcAt(i);
    bool mainPkg = t.funcName(f).starts_with("main.");
    if (t.funcdataOffset(f, goinspect::kFuncdataInlTree)) withTree++;
    // Every pc of package main; every 16th pc elsewhere.
    for (uint64_t pc = f.entry; pc < f.end; pc += mainPkg ? 1 : 16) {
      auto frames = t.expand(f, pc);
      auto [file, line] = t.fileLine(f, pc);
      pcs++;
      bool ok = !frames.empty() && frames.front().file == file && frames.front().line == line &&
                frames.back().function == t.funcName(f) && !frames.back().inlined;
      for (size_t k = 0; ok && k + 1 < frames.size(); k++) ok = frames[k].inlined && !frames[k].function.empty();
      if (frames.size() > 1) inlinedPcs++;
      if (!ok) {
        PROBLEM(bad, t.funcName(f) << " +" << (pc - f.entry));
      }
    }
  }
  CHECK(withTree > 100);
  CHECK(inlinedPcs > 1000);
  CHECK(pcs > 10000);
  CHECK_NO_PROBLEMS(bad);
}

TEST_CASE("pclntab expand at a function entry gives the physical function alone", "[pclntab]") {
  // At an entry the stack check or the frame setup runs, which belongs to the function
  // itself: the inline tree index is -1 there for every Go-compiled function in hello.
  FOR_EACH_FIXTURE();
  Loaded l = load(minor, mode);
  const PcLnTab& t = *l.tab;
  Problems inlinedAtEntry;
  for (size_t i = 0; i < t.numFuncs(); i++) {
    const Func& f = *t.funcAt(i);
    auto frames = t.expand(f, f.entry);
    REQUIRE(!frames.empty());
    CHECK(frames.back().function == t.funcName(f));
    CHECK(frames.back().funcID == f.funcID);
    if (frames.size() != 1) {
      PROBLEM(inlinedAtEntry, t.funcName(f) << " starts inside " << frames.front().function);
    }
  }
  CHECK_NO_PROBLEMS(inlinedAtEntry);
}

TEST_CASE("pclntab funcByName finds what the ELF symbol table names", "[pclntab]") {
  FOR_EACH_FIXTURE();
  Loaded l = load(minor, mode);
  const PcLnTab& t = *l.tab;
  for (const char* name : {"main.main", "main.capture", "main.physical", "runtime.main", "runtime.goexit",
                           "runtime.gopark", "runtime.morestack", "runtime.mcall"}) {
    INFO(name);
    const Func* f = t.funcByName(name);
    REQUIRE(f);
    CHECK(t.funcName(*f) == name);
    if (auto sym = l.elf->symbol(name)) CHECK(f->entry == *sym);
    else if (auto sym0 = l.elf->symbol(std::string(name) + ".abi0")) CHECK(f->entry == *sym0);
    else CHECK(mode == "stripped");
  }
  CHECK(t.funcByName("main.noSuchFunction") == nullptr);
  CHECK(t.funcByName("") == nullptr);
  const Func* goexit = t.funcByName("runtime.goexit");
  CHECK((goexit->flag & goinspect::kFuncFlagTopFrame) != 0);
  CHECK((t.funcByName("runtime.mcall")->flag & goinspect::kFuncFlagAsm) != 0);
  CHECK(goexit->funcID != 0);  // abi.FuncID_goexit
  CHECK(t.funcByName("main.capture")->funcID == 0);
}

// abi.FuncID values are an iota list that changes between releases (go1.22 inserted
// FuncID_corostart, go1.25 replaced runfinq with runFinalizers and runCleanups): read each
// toolchain's own list.
TEST_CASE("pclntab funcIDs match each toolchain's internal/abi FuncID list", "[pclntab]") {
  const int minor = GENERATE(21, 22, 23, 24, 25, 26, 27);
  INFO("go1." << minor);
  Loaded l = load(minor, "plain");
  const std::string src = "/usr/lib/go-1." + std::to_string(minor) + "/src/internal/abi/symtab.go";
  size_t checked = 0;
  int id = -1;
  bool inList = false;
  for (const std::string& line : readLines(src)) {
    if (line.find("FuncIDNormal FuncID = iota") != std::string::npos) {
      inList = true;
      id = 0;
      continue;
    }
    if (!inList) continue;
    if (line == ")") break;
    auto b = line.find_first_not_of("\t ");
    if (b == std::string::npos || line.compare(b, 2, "//") == 0) continue;
    id++;
    if (line.compare(b, 7, "FuncID_") != 0) continue;  // FuncIDWrapper: many functions
    std::string name = line.substr(b + 7, line.find_first_of(" \t/", b + 7) - b - 7);
    std::string fn = name == "runtime_main" ? "runtime.main" : "runtime." + name;
    if (const Func* f = l.tab->funcByName(fn)) {
      INFO(fn << " want FuncID " << id);
      CHECK(int(f->funcID) == id);
      checked++;
    }
  }
  CHECK(checked >= 12);
}

TEST_CASE("pclntab funcByName prefers a function over its ABI wrapper of the same name", "[pclntab]") {
  FOR_EACH_FIXTURE();
  Loaded l = load(minor, mode);
  const PcLnTab& t = *l.tab;
  std::unordered_map<std::string_view, std::vector<const Func*>> byName;
  for (size_t i = 0; i < t.numFuncs(); i++) byName[t.funcName(*t.funcAt(i))].push_back(t.funcAt(i));
  const int wrapper = t.funcByName("runtime.systemstack_switch")->funcID + 1;  // FuncIDWrapper
  size_t dups = 0;
  for (const auto& [name, fs] : byName) {
    if (fs.size() < 2) continue;
    dups++;
    INFO(name);
    CHECK(fs.size() == 2);
    const Func* got = t.funcByName(name);
    bool anyReal = fs[0]->funcID != wrapper || fs[1]->funcID != wrapper;
    if (anyReal) CHECK(got->funcID != wrapper);
    else CHECK(got == fs[0]);
  }
  CHECK(dups >= 20);  // runtime.args, runtime.asmcgocall, runtime.newproc, ...
}

TEST_CASE("pclntab rejects what is not a Go 1.20+ table with goinspect::Error", "[pclntab]") {
  Loaded l = load(26, "plain");
  std::vector<uint8_t> good(l.pclntab->data.begin(), l.pclntab->data.end());
  auto parse = [&](const std::vector<uint8_t>& b) { return PcLnTab::parse(b, l.text->addr); };
  CHECK_THROWS_AS(parse({}), goinspect::Error);
  CHECK_THROWS_AS(parse(std::vector<uint8_t>(good.begin(), good.begin() + 71)), goinspect::Error);
  CHECK_THROWS_AS(parse(std::vector<uint8_t>(good.begin(), good.begin() + 2000)), goinspect::Error);
  auto old = good;
  old[0] = 0xF0;  // the Go 1.18 magic
  CHECK_THROWS_AS(parse(old), goinspect::Error);
  auto p32 = good;
  p32[7] = 4;
  CHECK_THROWS_AS(parse(p32), goinspect::Error);
  CHECK_NOTHROW(parse(good));
}

TEST_CASE("pclntab survives truncated and corrupted tables without crashing", "[pclntab]") {
  Loaded l = load(26, "plain");
  const std::vector<uint8_t> good(l.pclntab->data.begin(), l.pclntab->data.end());
  const ElfFile* elf = l.elf.get();
  const uint64_t gofunc = *elf->symbol("go:func.*");
  std::vector<uint64_t> pcs;
  {
    std::mt19937_64 rng(1);
    for (int i = 0; i < 64; i++) pcs.push_back(l.text->addr + rng() % (l.text->size + 256));
  }
  // Where the interesting bytes are: header, ftab, a main.* record, pctab.
  const Func* cap = l.tab->funcByName("main.physical");
  REQUIRE(cap);
  const uint64_t pclnOff = [&] { uint64_t v; std::memcpy(&v, good.data() + 64, 8); return v; }();
  const uint64_t pctabOff = [&] { uint64_t v; std::memcpy(&v, good.data() + 56, 8); return v; }();
  uint64_t regions[][2] = {{0, 72}, {pclnOff, pclnOff + 4096}, {pclnOff + cap->recordOff, pclnOff + cap->recordOff + 64},
                                 {pctabOff, pctabOff + 65536}, {0, good.size()}};
  for (auto& r : regions) r[1] = std::min<uint64_t>(r[1], good.size());

  size_t parsed = 0, threw = 0, queries = 0;
  auto exercise = [&](const std::vector<uint8_t>& bytes) {
    std::unique_ptr<PcLnTab> t;
    try {
      t = PcLnTab::parse(bytes, l.text->addr);
    } catch (const goinspect::Error&) {
      threw++;
      return;
    }
    parsed++;
    t->setGoFunc(gofunc, [elf](uint64_t a, uint64_t n) { return elf->bytesAt(a, n); });
    for (uint64_t pc : pcs) {
      const Func* f = t->findFunc(pc);
      queries++;
      if (!f) continue;
      (void)t->funcName(*f);
      (void)t->fileLine(*f, pc);
      (void)t->spDelta(*f, pc);
      for (uint32_t k = 0; k < 5; k++) (void)t->pcdata(*f, k, pc);
      for (uint32_t k = 0; k < 8; k++) (void)t->funcdataOffset(*f, k);
      auto frames = t->expand(*f, pc);
      REQUIRE(!frames.empty());
      REQUIRE(frames.size() <= 1025);
    }
    (void)t->funcByName("main.main");
    (void)t->funcAt(0);
  };

  // Truncations: every length near the header and tables, then a spread of others.
  for (size_t n : {size_t{0}, size_t{1}, size_t{8}, size_t{71}, size_t{72}, size_t{73}, size_t(pclnOff),
                   size_t(pclnOff + 8), size_t(pctabOff), good.size() / 2, good.size() - 1})
    exercise(std::vector<uint8_t>(good.begin(), good.begin() + std::min(n, good.size())));

  std::mt19937_64 rng(20240601);
  for (int iter = 0; iter < 1500; iter++) {
    std::vector<uint8_t> b = good;
    const auto& r = regions[iter % std::size(regions)];
    int flips = 1 + static_cast<int>(rng() % 16);
    for (int k = 0; k < flips; k++) {
      size_t at = r[0] + rng() % (r[1] - r[0]);
      switch (rng() % 3) {
        case 0: b[at] ^= uint8_t(1u << (rng() % 8)); break;
        case 1: b[at] = uint8_t(rng()); break;
        default: b[at] = (rng() % 2) ? 0xFF : 0x00; break;
      }
    }
    exercise(b);
  }
  INFO("parsed " << parsed << ", threw " << threw << ", queries " << queries);
  CHECK(parsed > 100);
  CHECK(threw > 10);
}

double cpuSeconds() {  // this thread's CPU time: steadier than wall time on a busy machine
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// Not run by default: `unit-tests "[perf]"`. Random pcs spread over all of .text (every
// lookup decodes its tables: cost grows with the function's size), then the pcs of a few
// hundred stack frames looked up again and again (what unwinding many goroutines does).
TEST_CASE("pclntab findFunc+fileLine+spDelta throughput on go1.26 hello", "[.][perf]") {
  Loaded l = load(26, "plain");
  const PcLnTab& t = *l.tab;
  std::mt19937_64 rng(7);
  std::vector<uint64_t> spread, stacks;
  for (int i = 0; i < (1 << 16); i++) spread.push_back(t.minPc() + rng() % (t.maxPc() - t.minPc()));
  for (int i = 0; i < 256; i++) stacks.push_back(spread[i]);
  const int n = 1'000'000;
  int64_t sink = 0;
  auto time = [&](const char* what, const std::vector<uint64_t>& pcs, bool full) {
    const size_t mask = pcs.size() - 1;
    auto t0 = cpuSeconds();
    for (int i = 0; i < n; i++) {
      uint64_t pc = pcs[i & mask];
      const Func* f = t.findFunc(pc);
      sink += static_cast<int64_t>(f->entry);
      if (full) {
        auto [file, line] = t.fileLine(*f, pc);
        sink += line + static_cast<int64_t>(file.size()) + t.spDelta(*f, pc);
      }
    }
    double s = cpuSeconds() - t0;
    std::printf("go1.26 hello (%zu functions): 1M %s in %.3f s of CPU: %.0f ns each, %.2f M/s\n", t.numFuncs(), what, s,
                s * 1e3, n / s / 1e6);
    return s;
  };
  time("findFunc, random pcs", spread, false);
  double random = time("findFunc+fileLine+spDelta, random pcs", spread, true);
  double repeated = time("findFunc+fileLine+spDelta, 256 repeated pcs", stacks, true);
  CHECK(sink != 0);
  CHECK(random < 10.0);
  CHECK(repeated < random);
}
