// The bounds on what the engine believes of a target, in one place. Every count, length and
// chain the engine reads from target memory is held to one of these before it sizes an
// allocation or a loop: each is a bound no real Go program reaches (the why is beside it),
// so passing it means the data is corrupt, and that item becomes an error while the rest
// is still shown. The lowest floor holds them so that every floor can use them.
//
//   if (*len > bounds::kMaxGoroutines) throw Error("runtime.allgs has an implausible length");
//
// Not here: bounds on the engine's own work that no target value sizes (the page cache,
// the block a stack is read in) and bounds on the executable's own tables (binary/).
#pragma once

#include <cstddef>
#include <cstdint>

namespace goinspect::bounds {

// ---- goroutines, threads, processors, stacks

// runtime.allglen: every goroutine holds a g (~400 bytes) and a stack of at least 2 KiB, so
// 50 million of them are 120 GB before they run any code.
inline constexpr uint64_t kMaxGoroutines = 50'000'000;
// Ms on runtime.allm: the runtime dies at 10,000 threads (debug.SetMaxThreads' default); a
// program that raised it tenfold has other problems.
inline constexpr size_t kMaxMs = 100'000;
// len(runtime.allp), which is GOMAXPROCS: one P per CPU the program may use.
inline constexpr uint64_t kMaxPs = 100'000;
// A goroutine's stack, hi - lo: stackalloc takes a uint32 size and newstack never grows a
// stack past runtime.maxstackceiling (2e9); an OS thread's stack (a g0 with cgo) is
// smaller still.
inline constexpr uint64_t kMaxStackBytes = uint64_t{1} << 32;
// Goroutines on the global run queue (sched.runq): each is a goroutine.
inline constexpr size_t kMaxGlobalRunq = kMaxGoroutines;
// Frames of a thread's system stacks (g0, gsignal) crossed before its goroutine's stack:
// the runtime's own system-stack code is a few frames deep, a signal handler a few more.
inline constexpr size_t kMaxSystemFrames = 1024;

// ---- what goroutines wait on

// Goroutines queued on one channel, or asleep on one semaphore or notify list, in one walk.
inline constexpr size_t kMaxQueue = size_t{1} << 21;
// The cases of one select, g.waiting's sudogs: selectgo indexes them with a uint16.
inline constexpr size_t kMaxSelectCases = size_t{1} << 16;
// Sudogs in the whole semaphore table (treap nodes and their waiters together): one per
// goroutine asleep on a semaphore.
inline constexpr size_t kMaxSleepers = size_t{1} << 21;

// ---- maps and channels (the values floor)

// len of a map (hmap.count, the swiss Map.used): every entry takes at least a byte of a
// bucket or group, so 2^40 entries are a terabyte before their keys.
inline constexpr uint64_t kMaxMapEntries = uint64_t{1} << 40;
// A classic map's hmap.B, log2 of its bucket count: 2^40 buckets of at least 16 bytes are
// 16 TiB.
inline constexpr unsigned kMaxMapB = 40;
// Buckets chained to one bucket of a classic map: mapassign starts a same-size grow once
// the map has about as many overflow buckets as buckets, or 2^15 (tooManyOverflowBuckets).
inline constexpr size_t kMaxMapOverflow = size_t{1} << 16;
// A swiss map's directory (Map.dirLen, 2^globalDepth): a table holds at most 1024 slots
// (maxTableCapacity), so 2^30 tables are 2^40 entries.
inline constexpr uint64_t kMaxMapDirectory = uint64_t{1} << 30;
// Groups of one swiss table (groups.lengthMask + 1): table.capacity is a uint16, 8 slots a
// group.
inline constexpr uint64_t kMaxMapTableGroups = uint64_t{1} << 13;
// A channel's buffer, dataqsiz * elemsize bytes: makechan refuses more than maxAlloc, and a
// terabyte of buffer is already no real program's.
inline constexpr uint64_t kMaxChanBuffer = uint64_t{1} << 40;

// ---- deferred calls and panics

// A goroutine's _defer chain: a `defer` in a loop adds one record per iteration until the
// function returns, each at least 64 bytes of heap: a million is 64 MB of pending defers.
inline constexpr size_t kMaxDefers = 1'000'000;
// A goroutine's _panic chain: each nested panic is a gopanic frame on its stack.
inline constexpr size_t kMaxPanics = 1000;
// Wrapped errors followed for a panic value's text (fmt.Errorf("...: %w")).
inline constexpr int kMaxErrorDepth = 8;

// ---- strings and labels

// A Go string the engine shows whole (a panic value, a label, a type's name, the message a
// throw printed); a longer one is cut (labels) or not shown.
inline constexpr size_t kMaxString = 4096;
// A string of the runtime's own tables (gStatusStrings, waitReasonStrings, m.preemptoff):
// short words, the longest some 40 bytes.
inline constexpr size_t kMaxRuntimeString = 256;
// Entries of those tables: gStatusStrings has 10, waitReasonStrings some 40.
inline constexpr size_t kMaxRuntimeStrings = 1024;
// A string or slice length past this is not a length (2^40 bytes is a terabyte).
inline constexpr uint64_t kMaxLength = uint64_t{1} << 40;
// pprof labels on one goroutine: each is a key and a value the program set by hand.
inline constexpr size_t kMaxLabels = 1000;
// Buckets (with overflow) read from one label map (Go 1.21-1.23): 1000 labels fill 125.
inline constexpr size_t kMaxLabelBuckets = 4096;

}  // namespace goinspect::bounds
