#include "session.h"

#include <fmt/format.h>

#include "gotype.h"
#include "runtime_types.h"
#include "types.h"
#include "value.h"
#include "waits.h"

namespace goinspect {

Session::Session(Target& target, ExecutableCache* cache) : target_(target), cache_(cache), mem_(target) {}
Session::~Session() = default;

Runtime& Session::runtime() {
  mem_.syncStop();
  std::string exe = target_.executablePath();
  if (!rt_ || exe != exe_) {
    waits_.reset();
    snap_.reset();
    ones_.clear();
    values_.reset();
    runtimeTypes_.reset();
    typeNames_.reset();
    types_.reset();
    rt_.reset();
    prog_ = GoProgram::load(target_, mem_, cache_);
    rt_ = std::make_unique<Runtime>(*prog_, mem_);
    if (prog_->layouts().source() != "DWARF") rt_->checkTableLayouts();
    exe_ = exe;
  }
  return *rt_;
}

void Session::syncStop(Runtime& rt) {
  uint64_t stop = target_.stopId();
  if (stop == stop_) return;
  // A new stop: every cached fact about the target may be stale.
  rt.clearCaches();
  waits_.reset();
  snap_.reset();
  ones_.clear();
  stop_ = stop;
}

const Snapshot& Session::snapshot() {
  Runtime& rt = runtime();
  syncStop(rt);
  if (!snap_) snap_ = takeSnapshot(rt, target_);
  return *snap_;
}

const GoroutineView* Session::one(const std::function<bool(const GoroutineView&)>& inSnapshot,
                                  const std::function<bool(const G&)>& match) {
  Runtime& rt = runtime();
  syncStop(rt);
  if (snap_) {
    for (const GoroutineView& v : snap_->goroutines)
      if (inSnapshot(v)) return &v;
    return nullptr;
  }
  for (const GoroutineView& v : ones_)
    if (inSnapshot(v)) return &v;
  auto v = takeGoroutine(rt, target_, match);
  if (!v) return nullptr;
  ones_.push_back(std::move(*v));
  return &ones_.back();
}

const GoroutineView* Session::goroutine(int64_t goid) {
  return one([&](const GoroutineView& v) { return v.g.goid == goid; },
             [&](const G& g) { return g.goid == goid; });
}

const GoroutineView* Session::goroutineOnThread(uint64_t tid) {
  auto onThread = [](uint32_t status) { return status == kGrunning || status == kGsyscall; };
  Runtime& rt = runtime();
  return one([&](const GoroutineView& v) { return v.threadId && *v.threadId == tid && onThread(v.g.status); },
             [&](const G& g) {
               if (!g.m || !onThread(g.status)) return false;
               const M* m = rt.mByAddr(g.m);
               return m && m->procid == tid;
             });
}

const Waits& Session::waits() {
  const Snapshot& snap = snapshot();
  if (!waits_) waits_ = std::make_unique<Waits>(analyzeWaits(runtime(), snap));
  return *waits_;
}

}  // namespace goinspect

namespace goinspect {

ValueReader& Session::values() {
  Runtime& rt = runtime();
  if (!values_) {
    GoProgram& prog = rt.prog();
    types_ = GoTypes::create(prog.elf().dwarf());
    if (!types_) types_ = GoTypes::withoutDwarf();
    typeNames_ = std::make_unique<TypeNames>(prog, mem_);
    runtimeTypes_ = std::make_unique<RuntimeTypes>(*types_, prog, mem_, *typeNames_);
    types_->setFallback(runtimeTypes_->fallback());
    values_ = std::make_unique<ValueReader>(*types_, prog, mem_, *typeNames_);
  }
  return *values_;
}

ValueReader& Session::valuesWithDwarf() {
  ValueReader& r = values();
  if (!types_->hasDwarf()) {
    GoProgram& prog = runtime().prog();
    throw Error(fmt::format("{} has no DWARF (a stripped binary?): frames' variables come from it; {}. "
                            "go print (*T)(0xADDR) still reads a value, typed by the runtime's type descriptors",
                            prog.elf().path(), prog.elf().debugLooked()));
  }
  return r;
}

}  // namespace goinspect

namespace goinspect {

std::optional<Session::Selection> Session::selection() {
  if (selection_ && target_.stopId() != selectionStop_) selection_.reset();
  return selection_;
}

void Session::select(std::optional<Selection> s) {
  selection_ = s;
  selectionStop_ = target_.stopId();
}

}  // namespace goinspect
