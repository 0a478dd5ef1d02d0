// Layouts: the DWARF reader against the built-in tables and against facts from the runtime
// sources, for every supported Go release.
//
// Binaries: FIXTURE_DIR/layouts/go1.NN/{plain,stripped}/prog, made by
//   scripts/gen-layouts.sh --bins-only --out-dir <FIXTURE_DIR>/layouts
#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <map>
#include <string>

#include "elf_file.h"
#include "layouts.h"
#include "layouts_dwarf.h"

using namespace goinspect;

namespace {

constexpr int kFirst = 21, kLast = 27;

std::string release(int minor) { return "go1." + std::to_string(minor); }

std::string fixture(int minor, const char* kind) {
  return std::string(FIXTURE_DIR) + "/layouts/" + release(minor) + "/" + kind + "/prog";
}

// Never skips: a missing binary is a failure that says how to make it.
std::unique_ptr<ElfFile> openFixture(int minor, const char* kind) {
  std::string p = fixture(minor, kind);
  if (!std::filesystem::exists(p))
    FAIL("missing test binary " << p << "; build it with: " SOURCE_DIR
         "/scripts/gen-layouts.sh --bins-only --out-dir " FIXTURE_DIR "/layouts");
  return ElfFile::open(p);
}

bool sameField(const std::optional<FieldInfo>& a, const std::optional<FieldInfo>& b) {
  if (!a || !b) return a.has_value() == b.has_value();
  return a->offset == b->offset && a->size == b->size && a->type == b->type;
}

// Facts that hold for every release, read off runtime/runtime2.go.
void checkRuntimeFacts(const Layouts& lay) {
  // type g struct { stack stack; stackguard0, stackguard1 uintptr; _panic; _defer; m; sched gobuf ...
  CHECK(lay.offset("runtime.g", "stack") == 0u);
  CHECK(lay.offset("runtime.g", "stack.lo") == 0u);
  CHECK(lay.offset("runtime.g", "stack.hi") == 8u);
  CHECK(lay.offset("runtime.g", "stackguard0") == 16u);
  CHECK(lay.offset("runtime.g", "stackguard1") == 24u);
  CHECK(lay.offset("runtime.g", "_panic") == 32u);
  CHECK(lay.offset("runtime.g", "_defer") == 40u);
  CHECK(lay.offset("runtime.g", "m") == 48u);
  CHECK(lay.offset("runtime.g", "sched") == 56u);
  // type gobuf struct { sp, pc uintptr; g guintptr; ctxt unsafe.Pointer; ... }
  CHECK(lay.offset("runtime.gobuf", "sp") == 0u);
  CHECK(lay.offset("runtime.gobuf", "pc") == 8u);
  CHECK(lay.offset("runtime.gobuf", "g") == 16u);
  CHECK(lay.offset("runtime.gobuf", "ctxt") == 24u);
  CHECK(lay.offset("runtime.g", "sched.sp") == 56u);
  CHECK(lay.offset("runtime.g", "sched.pc") == 64u);
  CHECK(lay.offset("runtime.g", "sched.bp") ==
        *lay.offset("runtime.g", "sched") + *lay.offset("runtime.gobuf", "bp"));
  CHECK(lay.size("runtime.stack") == 16u);

  auto m = lay.field("runtime.g", "m");
  REQUIRE(m);
  CHECK(m->type == "*runtime.m");
  CHECK(m->size == 8);
  auto st = lay.field("runtime.g", "atomicstatus.value");
  REQUIRE(st);
  CHECK(st->size == 4);
  CHECK(st->type == "uint32");
  auto goid = lay.field("runtime.g", "goid");
  REQUIRE(goid);
  CHECK(goid->type == "uint64");
  auto wr = lay.field("runtime.g", "waitreason");
  REQUIRE(wr);
  CHECK(wr->type == "runtime.waitReason");
  CHECK(wr->size == 1);
  CHECK(lay.size("runtime.waitReason") == 1u);
  CHECK(lay.has("runtime.g", "parentGoid"));
  CHECK(lay.offset("runtime.m", "g0") == 0u);  // type m struct { g0 *g; ...
  CHECK(lay.has("runtime.m", "curg"));
  CHECK(lay.has("runtime.p", "runq"));
  CHECK(lay.has("runtime.schedt", "midle"));
  CHECK(lay.has("runtime.hchan", "recvq.first"));
  CHECK(lay.has("runtime.sudog", "g"));
  CHECK(lay.has("runtime.moduledata", "pcHeader"));

  // const ( _Gidle = iota; _Grunnable; _Grunning; _Gsyscall; _Gwaiting; ...; _Gscan = 0x1000 )
  CHECK(lay.constant("runtime._Gidle") == 0);
  CHECK(lay.constant("runtime._Grunnable") == 1);
  CHECK(lay.constant("runtime._Grunning") == 2);
  CHECK(lay.constant("runtime._Gsyscall") == 3);
  CHECK(lay.constant("runtime._Gwaiting") == 4);
  CHECK(lay.constant("runtime._Gdead") == 6);
  CHECK(lay.constant("runtime._Gscan") == 0x1000);
  CHECK(lay.constant("runtime._Pidle") == 0);
  CHECK(lay.constant("runtime._Prunning") == 1);

  // Missing things answer nullopt, never a guess.
  CHECK_FALSE(lay.field("runtime.g", "noSuchField"));
  CHECK_FALSE(lay.field("runtime.g", "sched.noSuchField"));
  CHECK_FALSE(lay.field("runtime.g", "goid.value"));  // goid is a plain uint64
  CHECK_FALSE(lay.field("runtime.g", ""));
  CHECK_FALSE(lay.field("runtime.noSuchType", "x"));
  CHECK_FALSE(lay.has("runtime.noSuchType", "x"));
  CHECK_FALSE(lay.offset("runtime.g", "noSuchField"));
  CHECK_FALSE(lay.size("runtime.noSuchType"));
  CHECK_FALSE(lay.constant("runtime._GnoSuchStatus"));
}

// Fields that come and go between releases (checked in the sources of each).
void checkReleaseFacts(const Layouts& lay, int minor) {
  // g.syscallbp: added in Go 1.23.
  CHECK(lay.has("runtime.g", "syscallbp") == (minor >= 23));
  // gobuf.ret: removed in Go 1.25.
  CHECK(lay.has("runtime.gobuf", "ret") == (minor <= 24));
  // g.coroarg: added in Go 1.22 (iter.Pull).
  CHECK(lay.has("runtime.g", "coroarg") == (minor >= 22));
  // g.syncGroup (1.24) was renamed g.bubble in 1.25.
  CHECK(lay.has("runtime.g", "syncGroup") == (minor == 24));
  CHECK(lay.has("runtime.g", "bubble") == (minor >= 25));
  // runtime.itab became an alias of internal/abi.ITab in 1.23.
  CHECK(lay.size("runtime.itab").has_value() == (minor <= 22));
  CHECK(lay.size("internal/abi.ITab").has_value() == (minor >= 23));
}

}  // namespace

TEST_CASE("built-in tables exist for go1.21 .. go1.27", "[layouts]") {
  for (int minor = kFirst; minor <= kLast; minor++) {
    CAPTURE(minor);
    auto lay = Layouts::fromTable(release(minor) + ".3");
    REQUIRE(lay);
    CHECK(lay->source() == "built-in table for " + release(minor));
    checkRuntimeFacts(*lay);
    checkReleaseFacts(*lay, minor);
  }
  auto t = Layouts::fromTable("go1.26.11");
  REQUIRE(t);
  CHECK(t->source() == "built-in table for go1.26");
  CHECK(Layouts::fromTable("go1.26"));
  CHECK(Layouts::fromTable("go1.27rc1"));
  CHECK(Layouts::fromTable("devel go1.27-abcdef Tue Jan 1 00:00:00 2030 +0000"));
  CHECK_FALSE(Layouts::fromTable("go1.20.14"));
  CHECK_FALSE(Layouts::fromTable("go1.2"));
  CHECK_FALSE(Layouts::fromTable("go1.99.1"));
  CHECK_FALSE(Layouts::fromTable(""));
  CHECK_FALSE(Layouts::fromTable("1.26"));
}

TEST_CASE("DWARF layouts match the source and the built-in table", "[layouts]") {
  for (int minor = kFirst; minor <= kLast; minor++) {
    CAPTURE(minor);
    auto elf = openFixture(minor, "plain");
    auto dwarf = Layouts::fromDwarf(*elf);
    REQUIRE(dwarf);
    CHECK(dwarf->source() == "DWARF");
    checkRuntimeFacts(*dwarf);
    checkReleaseFacts(*dwarf, minor);

    auto loaded = Layouts::load(*elf, release(minor) + ".1");
    REQUIRE(loaded);
    CHECK(loaded->source() == "DWARF");

    // Every field of runtime.g (and the other common types) agrees with the table.
    auto table = Layouts::fromTable(release(minor));
    REQUIRE(table);
    auto* d = dynamic_cast<DwarfLayouts*>(dwarf.get());
    REQUIRE(d);
    for (const char* type : {"runtime.g", "runtime.m", "runtime.p", "runtime.schedt",
                             "runtime.gobuf", "runtime.hchan", "runtime.sudog",
                             "runtime._defer", "runtime._panic", "runtime.moduledata",
                             "runtime.mutex", "runtime.timer", "internal/abi.Type"}) {
      CAPTURE(type);
      auto fields = d->fields(type);
      REQUIRE(fields);
      CHECK(!fields->empty());
      CHECK(dwarf->size(type) == table->size(type));
      std::map<std::string, FieldInfo> first;
      for (const auto& [path, fi] : *fields) first.try_emplace(path, fi);
      for (const auto& [path, fi] : first) {
        CAPTURE(path);
        CHECK(sameField(fi, table->field(type, path)));
        CHECK(sameField(fi, dwarf->field(type, path)));
      }
    }
    // And so does every runtime constant.
    auto consts = d->constants("runtime.");
    CHECK(consts.size() > 100);
    for (const auto& [name, v] : consts) {
      CAPTURE(name);
      CHECK(table->constant(name) == v);
    }
  }
}

TEST_CASE("stripped binaries fall back to the built-in table", "[layouts]") {
  for (int minor = kFirst; minor <= kLast; minor++) {
    CAPTURE(minor);
    auto elf = openFixture(minor, "stripped");
    CHECK_FALSE(Layouts::fromDwarf(*elf));
    auto lay = Layouts::load(*elf, release(minor) + ".7");
    REQUIRE(lay);
    CHECK(lay->source() == "built-in table for " + release(minor));
    CHECK(lay->offset("runtime.g", "sched.pc") == 64u);
    CHECK_FALSE(Layouts::load(*elf, "go1.19.3"));
    CHECK_FALSE(Layouts::load(*elf, ""));
  }
}

TEST_CASE("DWARF without the Go runtime does not count", "[layouts]") {
  // This test binary's own (C++) DWARF, if any, has no runtime.g.
  auto elf = ElfFile::open("/proc/self/exe");
  auto lay = Layouts::load(*elf, "go1.26.2");
  REQUIRE(lay);
  CHECK(lay->source() == "built-in table for go1.26");
  if (auto d = Layouts::fromDwarf(*elf)) {
    CHECK_FALSE(d->size("runtime.g"));
    CHECK_FALSE(d->field("runtime.g", "sched"));
    CHECK_FALSE(d->constant("runtime._Grunning"));
  }
}
