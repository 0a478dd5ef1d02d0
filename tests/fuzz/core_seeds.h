// The core harness's seeds: real small cores (tests/unit/coredata/make-cores.sh), each with
// the map of where the runtime's structures lie in it, found once with the engine's own
// model on the undamaged core.
//
//   const std::vector<std::unique_ptr<Seed>>& all = coreSeeds();   // loaded on first use
//   const Seed& s = *all[0];
//   for (const Region& r : s.regions[kG]) ...                      // every live goroutine's g
//
// A fuzz input names structures by kind and index and offsets inside them (core_mutator.h),
// never by address, so it means the same after the cores are rebuilt.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core_target.h"
#include "elf_file.h"
#include "goprogram.h"
#include "target.h"

namespace goinspect::fuzz::core {

// Kinds of structure. The numbering is part of the input format: append, never reorder.
enum Kind : uint8_t {
  kAllgs,        // the allgs array (one region)
  kG,            // a live goroutine's g
  kStack,        // a live goroutine's used stack [sp, hi), at most 64 KiB of it
  kM,            // an M on allm
  kP,            // a P in allp
  kSched,        // runtime.sched
  kHchan,        // a channel some goroutine waits on
  kSudog,        // a sudog: g.waiting, a channel's queues, a semtable treap node or waiter
  kSemaRoot,     // a semtable root that holds a treap (and root 0)
  kDefer,        // a _defer record
  kPanic,        // a _panic record
  kLabels,       // a goroutine's labelMap and its list or buckets
  kType,         // a type descriptor (typelinks, channel element types, panic values)
  kModuledata,   // runtime.firstmoduledata
  kGlobal,       // another runtime global: allgs/allp headers, allglen, allm, maxstacksize, ...
  kSystemG,      // an M's g0 or gsignal
  kSystemStack,  // a thread's stack from its sp, and each M's gsignal stack
  kDeadG,        // a dead goroutine's g (the free lists)
  kAllp,         // the allp array
  kRegs,         // a thread's registers {pc, sp, fp, fs_base, tid}: not memory (see MutatingTarget)
  kScratch,      // the unused part of a goroutine's stack: room to build a structure in
  kKinds
};
const char* kindName(Kind k);

struct Region {
  uint64_t addr = 0, size = 0;
};

// Layout facts the structure-building mutations need (0 where the release lacks them).
struct SeedLayouts {
  uint64_t gLabels = 0, gDefer = 0, gPanic = 0, gWaiting = 0, gWaitreason = 0, gStatus = 0;
  bool hasLabels = false, hasDefer = false;
  // labelMap: 1.24+ a list ({array, len} at listArray/listLen; elements of labelSize with
  // key and value string headers), 1.21-1.23 a map (hmap and buckets of 8).
  bool labelList = false;
  uint64_t listArray = 0, listLen = 0, labelSize = 32, labelKey = 0, labelValue = 16;
  uint64_t hmapCount = 0, hmapFlags = 0, hmapB = 0, hmapBuckets = 0, hmapOldbuckets = 0;
  uint64_t bucketTophash = 0, bucketKeys = 8, bucketValues = 136, bucketOverflow = 264, bucketSize = 272;
  // _defer.
  uint64_t dSp = 0, dPc = 0, dFn = 0, dLink = 0, dSize = 0;
  std::optional<uint64_t> dHeap, dRangefunc, dHead, dStarted, dOpenDefer;
};

struct Seed {
  std::string name;  // "go1.26/plain"
  std::unique_ptr<CoreTarget> core;
  std::unique_ptr<ElfFile> exe;  // file-backed bytes the core omits
  // The executable as the engine parses it, kept for every session over this seed (the
  // layouts, the pclntab); what the core's memory says is still read per session.
  std::unique_ptr<ExecutableCache> cache;
  uint64_t bias = 0;
  std::vector<ThreadInfo> threads;
  std::array<std::vector<Region>, kKinds> regions;
  // Per live goroutine (the order of regions[kG]): the sp of each physical frame, for
  // building _defer records that belong to a frame.
  std::vector<std::vector<uint64_t>> frameSps;
  // Runtime pcs: the entries of the functions the engine treats specially first, then
  // every function's.
  std::vector<uint64_t> codePcs;
  size_t specialPcs = 0;
  // Addresses that are not the target's memory, or only barely: unmapped, misaligned,
  // non-canonical, the last bytes of a mapping.
  std::vector<uint64_t> wildPointers;
  SeedLayouts lay;
};

// Every seed under seedDir()/cores, in a fixed order: null where that core was not made.
// Throws std::runtime_error when there is none at all.
const std::vector<std::unique_ptr<Seed>>& coreSeeds();

}  // namespace goinspect::fuzz::core
