#!/usr/bin/python3
"""Truth check of `go sched` and `go threads` (the LLDB plugin) against the Go runtime's own
account of its scheduler: the GODEBUG=schedtrace=N,scheddetail=1 printout (runtime/proc.go
schedtrace), its crash dumps, and the truth lines of the sched fixture.

The oracle, a SCHED block (the same format in Go 1.21 .. 1.27; parse_sched):
  SCHED 1947ms: gomaxprocs=4 idleprocs=4 threads=9 spinningthreads=0 needspinning=0
      idlethreads=4 runqueue=0 gcwaiting=false nmidlelocked=1 stopwait=0 sysmonwait=false
    P0: status=0 schedtick=3 syscalltick=9 m=nil runqsize=0 gfreecnt=0 timerslen=1
    M3: p=nil curg=10 mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false
      blocked=false lockedg=10                         (allm order: newest M first)
    G10: status=3() m=3 lockedm=3                       (allgs order, dead ones too)
(one line each; the wait reason in "status=4(chan receive)" is gp.waitreason, printed
whatever the status: a running goroutine shows its last one). sysmon prints one every N ms;
startpanic_m prints one more when the process starts to die (a panic, or a fatal signal
such as SIGQUIT), from the dying thread, before anything else of the dump.

Cases TOOLCHAIN/MODE/FIXTURE/KIND (modes plain, noopt, stripped, pie):
  sched/live         `sched hang` with GODEBUG=schedtrace=100,scheddetail=1. Once READY and
                     two consecutive SCHED blocks agree (but for the timestamp and the P
                     ticks), lldb attaches, runs `go sched --json`, `go threads --json`,
                     `go goroutines --json`, detaches; the harness then waits for the first
                     block sysmon starts after the detach. The plugin is compared with the
                     last block printed before the attach, which must equal the one before
                     it and the one after the detach (or the case fails: the fixture's
                     scheduler did not hold still, and nothing can be compared honestly).
  sched/core         `sched crash` with GOTRACEBACK=crash, GODEBUG=schedtrace=3600000,
  running/core       scheddetail=1 (sysmon prints at most once, at start; startpanic_m
                     prints the crash-time block): the core against that block, the dump's
                     goroutine headers (m=N, 1.22+) and, for sched, the truth lines.
  sched/core-sigquit `FIXTURE hang` as above, SIGQUIT once READY and then its threads
  running/core-sigquit quiet (wait_quiet: no M left spinning after main parked): the
                     crash-time block, the dump, and every thread's own section ("PC=...
                     m=N", the goroutine it was running or "goroutine 0" with its g0).
  The core cases need the crash-time block to show a scheduler at rest (see motion(): no
  spinning M, nothing queued or runnable, every P running a running goroutine or idle and
  counted idle, no P in a syscall): the fixture is run again, up to 3 times, until it
  does. An M the block shows without P or goroutine and not blocked, which the core
  shows asleep in runtime.futex, went through stopm after the block (adrift(); a quarter
  of the running fixture's panics): it is expected blocked, without locks, counted idle
  (settle_adrift(), from the block's own accounting; a run where that does not fit is
  run again too).

What a block proves about the process afterwards, and so the comparisons (each difference
names the P, M, G or thread, the field, what the runtime says and what the plugin says):
  * globals: procs = gomaxprocs, idleprocs, threads, spinningthreads, needspinning,
    idlethreads, runqueue (and len(runqueue_goroutines)), gcwaiting, nmidlelocked, stopwait,
    sysmonwait; live: world_stopped false and gc_phase "off" (no GC can start: the fixture
    runs with GOGC=off, see check_goroutines.fixture_env, so its own runtime.GC() before
    READY is the last, and sysmon forces none); cores: freezetheworld()
    runs right after the crash-time block (startpanic_m), so gcwaiting is true, stopwait
    0x7fffffff (freezeStopWait) and world_stopped true;
  * Ps in allp order: id, status (and status_name), m, runqsize (= len(runq)), gfreecnt,
    timerslen; schedtick and syscalltick at least the block's (live: and at most the next
    block's: they only grow, and may while lldb attaches);
  * Ms in allm order (the same ids in the same order): p, curg, mallocing, throwing,
    preemptoff, locks, dying, spinning, blocked, lockedg; in_syscall ⇔ curg's status is 3
    (_Gsyscall); incgo false (the fixtures are built with CGO_ENABLED=0); "thread" is the
    index of the thread with tid = procid. Exceptions, from the runtime's source:
      - the M that printed the block holds sched.lock and the print lock while it prints
        (and paniclk when it is startpanic_m); it releases them after, so its locks are
        not compared;
      - sysmon (M1: the first M runtime.main makes) runs on between blocks: its locks are
        compared (with 0) only when it is provably asleep: in runtime.usleep, the one
        place it sleeps under schedtrace (the plugin's thread function; in a SIGQUIT core,
        the innermost frame of its own section, where the signal caught it);
      - SIGQUIT: sighandler sets m.throwing = throwTypeRuntime (2) on every M that handles
        the signal, after the block: so every M with a thread section has throwing 2;
  * every G line against `go goroutines --json`: dead ones (status 6, 11) absent, the
    others present with the status word of the code (idle runnable running syscall
    waiting moribund_unused - enqueue_unused copystack preempted leaked), the wait reason
    when waiting (or leaked), m, and locked_to_thread ⇔ lockedm printed; the goroutines of
    the queues are exactly the runnable ones (none, at rest); each lockedm=K: M K has that
    lockedg;
  * threads (`go threads`): one per M and one M per thread, as many as the block's
    threads= (the fixtures have no cgo: every thread is an M), the same tids as the Ms'
    procids (live: and as /proc/PID/task); each thread's p, goroutine (the M's curg),
    lockedg, spinning, in_syscall, incgo as its M in the block; stack: at rest every M is
    idle on its g0 or runs its curg in the kernel or (the spinner) in user code, so
    "goroutine" if it has a curg, else "g0" (live, panic core); in a SIGQUIT core every
    thread with a section is still in the signal handler: "gsignal"; an M the block shows
    blocked (in notesleep) is in runtime.futex (live);
  * the crash thread: the kernel writes the thread that took the fatal signal first, so
    lldb's thread 1 is it: the panicking goroutine's M (its goroutine is the dump's first,
    [running]); on SIGQUIT, the first thread's M (1.22+: "the faulting m is crashing
    first"), the last section's M on 1.21 (where the last M to get the relayed SIGQUIT
    crashes). It dies in runtime.raise on its gsignal stack: crash() -> dieFromSignal
    clears handlingSig[SIGABRT] and raises it, the Go handler still installed runs (on
    gsignal), finds it not handled, sigfwdgo sets SIG_DFL and raises it again;
  * the dump: every goroutine header with m=N (1.22+): M N's curg, and the thread of M N
    runs it; every "locked to thread" goroutine is some M's lockedg; SIGQUIT thread
    sections: the thread of M N runs the section's goroutine (none for "goroutine 0"),
    whose gp (1.22+) is M N's g0;
  * the truth lines (sched): the thread with A's tid has the M whose lockedg is A (the
    block's), no curg, and that M's procid is A's tid; the thread with B's tid has the M
    whose curg and lockedg are B (the block's), in a syscall, without a P; procs is the
    fixture's GOMAXPROCS; and the block agrees with the truth (fixture self-check);
  * the running fixture's spinner (the dump's "goroutine running on other thread"): its
    thread runs it on its own stack, in main.spin (a loop without calls) in the panic core;
  * "errors" in any answer is a failure.

--dry-run (no plugin): everything runs (fixtures, cores, lldb attaching or loading the
core), the plugin's answers are faked from the block, the truth and the dump (fake_answers)
and compared, which exercises the machinery end to end.

Environment: GOINSPECT_PLUGIN, GOINSPECT_FIXTURE_DIR, GOINSPECT_CASES (globs over
TOOLCHAIN/MODE/FIXTURE/KIND), GOINSPECT_ARTIFACTS, GOINSPECT_LLDB, as for
check_goroutines.py.

Usage: check_sched.py --toolchain go1.27 [--build] [--dry-run] [...]
Prints one PASS/FAIL line per case and "N passed, M failed"; exits 1 on any failure.
"""

from __future__ import annotations

import copy
import json
import os
import re
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_goroutines as cg  # noqa: E402
import check_waits as cw  # noqa: E402
import crashdump  # noqa: E402
from check_goroutines import CaseError, Diffs, _hex  # noqa: E402

FIXTURES = ["sched", "running"]
KINDS = {"sched": ["live", "core", "core-sigquit"], "running": ["core", "core-sigquit"]}
COMMANDS = ["sched", "threads", "goroutines"]

GODEBUG_LIVE = "schedtrace=100,scheddetail=1"
# One hour: sysmon prints at its first iteration at most (when the machine has been up for
# an hour: lasttrace starts at 0), and never again; startpanic_m prints whatever the period.
GODEBUG_CRASH = "schedtrace=3600000,scheddetail=1"

# Threads asleep in notesleep for good, beside the idle Ms: the template thread, started
# by the first LockOSThread (both fixtures call it before they crash or hang).
TEMPLATE_THREADS = 1

T_STILL = 30  # seconds for two equal SCHED blocks after READY
T_AFTER = 10  # seconds for the first block after the detach
CRASH_TRIES = 3

SYSMON_M = 1
THROW_RUNTIME = 2  # throwTypeRuntime
FREEZE_STOPWAIT = 0x7FFFFFFF  # freezeStopWait
G_SCAN = 0x1000
G_DEAD = (6, 11)  # _Gdead, _Gdeadextra (1.27)
G_WORDS = {0: "idle", 1: "runnable", 2: "running", 3: "syscall", 4: "waiting",
           5: "moribund_unused", 7: "enqueue_unused", 8: "copystack", 9: "preempted",
           10: "leaked"}
P_NAMES = {0: "idle", 1: "running", 2: "syscall", 3: "gcstop", 4: "dead"}

# ---------------------------------------------------------------------------------------
# The SCHED blocks


@dataclass
class SchedP:
    id: int
    status: int
    schedtick: int
    syscalltick: int
    m: Optional[int]
    runqsize: int
    gfreecnt: int
    timerslen: int


M_FIELDS = ("p", "curg", "mallocing", "throwing", "preemptoff", "locks", "dying", "spinning",
            "blocked", "lockedg")


@dataclass
class SchedM:
    id: int
    p: Optional[int]
    curg: Optional[int]
    mallocing: int
    throwing: int
    preemptoff: str
    locks: int
    dying: int
    spinning: bool
    blocked: bool
    lockedg: Optional[int]


@dataclass
class SchedG:
    id: int
    status: int  # as printed: readgstatus, the _Gscan bit included
    wait_reason: str
    m: Optional[int]
    lockedm: Optional[int]


GLOBAL_INTS = ("gomaxprocs", "idleprocs", "threads", "spinningthreads", "needspinning",
               "idlethreads", "runqueue", "nmidlelocked", "stopwait")
GLOBAL_BOOLS = ("gcwaiting", "sysmonwait")
GLOBALS = GLOBAL_INTS[:7] + ("gcwaiting",) + GLOBAL_INTS[7:] + ("sysmonwait",)


@dataclass
class SchedBlock:
    offset: int  # of its "SCHED" line in the text
    end: int  # just past its last line
    time_ms: int
    globals: Dict[str, object] = field(default_factory=dict)
    ps: List[SchedP] = field(default_factory=list)
    ms: List[SchedM] = field(default_factory=list)
    gs: List[SchedG] = field(default_factory=list)
    complete: bool = False  # something follows it (or the text is final)
    errors: List[str] = field(default_factory=list)
    lines: Tuple[int, int] = (0, 0)  # [first, last+1) line numbers in the text

    def m(self, mid) -> Optional[SchedM]:
        return next((m for m in self.ms if m.id == mid), None)

    def g(self, goid) -> Optional[SchedG]:
        return next((g for g in self.gs if g.id == goid), None)

    def key(self) -> tuple:
        """Everything but the timestamp and the P ticks: equal keys, the same state."""
        return (tuple(sorted(self.globals.items())),
                tuple((p.id, p.status, p.m, p.runqsize, p.gfreecnt, p.timerslen)
                      for p in self.ps),
                tuple(tuple(getattr(m, f) for f in ("id",) + M_FIELDS) for m in self.ms),
                tuple((g.id, g.status, g.wait_reason, g.m, g.lockedm) for g in self.gs))


_HEADER = re.compile(r"^SCHED (\d+)ms: (.*)$")
_P = re.compile(r"^  P(\d+): status=(\d+) schedtick=(\d+) syscalltick=(\d+) m=(\d+|nil) "
                r"runqsize=(\d+) gfreecnt=(-?\d+) timerslen=(\d+)$")
_M = re.compile(r"^  M(\d+): p=(\d+|nil) curg=(\d+|nil) mallocing=(-?\d+) throwing=(-?\d+) "
                r"preemptoff=(.*) locks=(-?\d+) dying=(-?\d+) spinning=(true|false) "
                r"blocked=(true|false) lockedg=(\d+|nil)$")
# The wait reason may hold parentheses ("force gc (idle)"): greedy up to the last ") m=".
_G = re.compile(r"^  G(\d+): status=(\d+)\((.*)\) m=(\d+|nil) lockedm=(\d+|nil)$")


def _opt(s: str) -> Optional[int]:
    return None if s == "nil" else int(s)


def _header(line: str, off: int) -> Optional[SchedBlock]:
    m = _HEADER.match(line)
    if not m:
        return None
    b = SchedBlock(offset=off, end=off, time_ms=int(m.group(1)))
    for kv in m.group(2).split():
        k, _, v = kv.partition("=")
        if k in GLOBAL_BOOLS:
            b.globals[k] = v == "true"
        elif k in GLOBAL_INTS:
            try:
                b.globals[k] = int(v)
            except ValueError:
                b.errors.append(f"header: {kv!r}")
        else:
            b.errors.append(f"header: unknown {kv!r}")
    missing = [k for k in GLOBALS if k not in b.globals]
    if missing:
        # Without scheddetail the header has no gcwaiting...; the harness always asks for it.
        b.errors.append(f"header lacks {', '.join(missing)} (scheddetail=1 not set?)")
    return b


def parse_sched(text: str, final: bool = True) -> List[SchedBlock]:
    """Every SCHED block of text, in order. final=False: the text is a file still being
    written: its last line may be partial and its last block unfinished (complete=False).
    Lines of a block that do not parse go to the block's errors; a block ends at the
    first line that is none of its own (complete=True)."""
    blocks: List[SchedBlock] = []
    cur: Optional[SchedBlock] = None
    off = 0
    lines = text.splitlines(keepends=True)
    for n, raw in enumerate(lines):
        if not raw.endswith("\n") and not final:
            break  # partial last line
        line = raw.rstrip("\n")
        start, off = off, off + len(raw)
        b = _header(line, start)
        if b is not None:
            if cur is not None:
                cur.complete = True
            cur = b
            cur.end = off
            cur.lines = (n, n + 1)
            blocks.append(cur)
            continue
        if cur is None:
            continue
        m = _P.match(line)
        if m:
            v = m.groups()
            cur.ps.append(SchedP(int(v[0]), int(v[1]), int(v[2]), int(v[3]), _opt(v[4]),
                                 int(v[5]), int(v[6]), int(v[7])))
        elif _M.match(line):
            v = _M.match(line).groups()
            cur.ms.append(SchedM(int(v[0]), _opt(v[1]), _opt(v[2]), int(v[3]), int(v[4]), v[5],
                                 int(v[6]), int(v[7]), v[8] == "true", v[9] == "true",
                                 _opt(v[10])))
        elif _G.match(line):
            v = _G.match(line).groups()
            cur.gs.append(SchedG(int(v[0]), int(v[1]), v[2], _opt(v[3]), _opt(v[4])))
        elif line.startswith(("  P", "  M", "  G")):
            cur.errors.append(f"unparsed: {line!r}")
        else:
            cur.complete = True
            cur = None
            continue
        cur.end = off
        cur.lines = (cur.lines[0], n + 1)
    if cur is not None and final:
        cur.complete = True
    return blocks


def strip_sched(text: str) -> str:
    """text without the lines of its SCHED blocks (for crashdump.parse)."""
    lines = text.splitlines(keepends=True)
    drop = set()
    for b in parse_sched(text):
        drop.update(range(*b.lines))
    return "".join(l for n, l in enumerate(lines) if n not in drop)


def block_problems(b: SchedBlock) -> List[str]:
    """What makes a block unusable as an oracle: parse errors, or Ps/Ms/Gs that do not
    fit its own header."""
    out = list(b.errors)
    if "gomaxprocs" in b.globals and len(b.ps) != b.globals["gomaxprocs"]:
        out.append(f"{len(b.ps)} P lines, gomaxprocs={b.globals['gomaxprocs']}")
    if [p.id for p in b.ps] != list(range(len(b.ps))):
        out.append(f"P lines out of order: {[p.id for p in b.ps]}")
    if not b.ms or not b.gs:
        out.append("no M or no G lines")
    if "threads" in b.globals and len(b.ms) != b.globals["threads"]:
        out.append(f"{len(b.ms)} M lines, threads={b.globals['threads']}")
    return out


def motion(b: SchedBlock) -> List[str]:
    """Why the block shows a scheduler that is not at rest (empty: at rest). At rest, every
    M is idle, asleep in the kernel, or runs a goroutine that stays where it is (a syscall
    that never returns, the running fixture's spinner, the panicking goroutine)."""
    why = []
    g = b.globals
    for k in ("spinningthreads", "runqueue"):
        if g.get(k):
            why.append(f"{k}={g[k]}")
    idle = sum(1 for p in b.ps if p.status == 0)
    if g.get("idleprocs") != idle:
        why.append(f"idleprocs={g.get('idleprocs')} but {idle} Ps are idle (one is handed to "
                   "a waking M)")
    for p in b.ps:
        if p.runqsize:
            why.append(f"P{p.id} runqsize={p.runqsize}")
        if p.status == 2:
            why.append(f"P{p.id} in a syscall (sysmon will retake it)")
        if p.status == 1:
            m = b.m(p.m)
            cg_ = b.g(m.curg) if m and m.curg is not None else None
            if cg_ is None or cg_.status & ~G_SCAN != 2:
                why.append(f"P{p.id} running without a running goroutine (M{p.m} in the "
                           "scheduler)")
    for m in b.ms:
        if m.spinning:
            why.append(f"M{m.id} spinning")
        if m.p is not None and m.curg is None:
            why.append(f"M{m.id} has P{m.p} but no goroutine")
    for gg in b.gs:
        if gg.status & G_SCAN:
            why.append(f"G{gg.id} status {gg.status:#x} (being scanned)")
        elif gg.status == 1:
            why.append(f"G{gg.id} runnable")
    return why


def adrift(b: SchedBlock, threads_j: Optional[dict], skip=()) -> List[int]:
    """Ms the block shows neither idle nor at work (no P, no goroutine, not blocked, not
    spinning, not locked; not sysmon, not in skip) that the core shows asleep in
    runtime.futex. The block cannot tell such an M from one waiting in netpoll (which
    looks the same and stays there); the core can: this one was on its way into stopm
    when the block was printed, possibly waiting there for sched.lock, which the printing
    M holds (then its locks count it: lock() counts a lock before it gets it). Seen in a
    quarter of the running fixture's panics: the M that ran main's timer hands its P to
    main's locked M0 (startlockedm) and goes to sleep while M0 panics. See settle_adrift."""
    by_m = {t.get("m"): t for t in (threads_j or {}).get("threads") or []}
    out = []
    for m in b.ms:
        if m.id == SYSMON_M or m.id in skip or m.p is not None or m.curg is not None or \
                m.blocked or m.spinning or m.lockedg is not None:
            continue
        t = by_m.get(m.id)
        if t is not None and t.get("function") == "runtime.futex":
            out.append(m.id)
    return out


def settle_adrift(e: "Expect", ids: List[int], template_threads: int) -> Optional[str]:
    """The core state of the adrift Ms ids (see adrift), from the runtime's source: an M
    with no P and no goroutine gets to sleep in futex for good only through stopm: it takes
    sched.lock (the lock it may have been waiting for), mput (sched.midle: idlethreads + 1),
    releases it (locks 0: stopm throws if the M holds any other), then mPark -> notesleep
    (blocked=true). Whether it had already done mput when the block was printed, the block
    tells by its own accounting: the Ms asleep in notesleep without a P, goroutine or
    locked goroutine are the idle ones plus the template thread (template_threads: 1 once
    anything called LockOSThread, as both fixtures do). Adjusts e.block; returns why not
    when the accounting does not fit (then the block does not describe the core, and the
    case runs the fixture again)."""
    b = e.block
    asleep = [m.id for m in b.ms if m.blocked and m.p is None and m.curg is None
              and m.lockedg is None]
    idle = b.globals.get("idlethreads", 0)
    queued = idle - (len(asleep) - template_threads)  # adrift Ms already in sched.midle
    if not 0 <= queued <= len(ids):
        return (f"Ms {ids} adrift, but the block's idle accounting does not fit "
                f"(idlethreads={idle}, asleep without work: {asleep})")
    for mid in ids:
        b.m(mid).blocked = True
        b.m(mid).locks = 0
    b.globals["idlethreads"] = idle + len(ids) - queued
    return None


def moved(a: SchedBlock, b: SchedBlock) -> List[str]:
    """What differs between two blocks, but for the timestamp and the P ticks."""
    out = []
    for k in GLOBALS:
        if a.globals.get(k) != b.globals.get(k):
            out.append(f"{k}: {a.globals.get(k)} -> {b.globals.get(k)}")
    pa, pb = {p.id: p for p in a.ps}, {p.id: p for p in b.ps}
    for i in sorted(set(pa) | set(pb)):
        x, y = pa.get(i), pb.get(i)
        if x is None or y is None:
            out.append(f"P{i}: {'gone' if y is None else 'new'}")
            continue
        for f in ("status", "m", "runqsize", "gfreecnt", "timerslen"):
            if getattr(x, f) != getattr(y, f):
                out.append(f"P{i} {f}: {getattr(x, f)} -> {getattr(y, f)}")
    if [m.id for m in a.ms] != [m.id for m in b.ms]:
        out.append(f"Ms: {[m.id for m in a.ms]} -> {[m.id for m in b.ms]}")
    for x in a.ms:
        y = b.m(x.id)
        if y is None:
            continue
        for f in M_FIELDS:
            if getattr(x, f) != getattr(y, f):
                out.append(f"M{x.id} {f}: {getattr(x, f)} -> {getattr(y, f)}")
    ga, gb = {g.id: g for g in a.gs}, {g.id: g for g in b.gs}
    for i in sorted(set(ga) | set(gb)):
        x, y = ga.get(i), gb.get(i)
        if x is None or y is None:
            out.append(f"G{i}: {'gone' if y is None else 'new'}")
        elif (x.status, x.wait_reason, x.m, x.lockedm) != (y.status, y.wait_reason, y.m,
                                                             y.lockedm):
            out.append(f"G{i}: status={x.status}({x.wait_reason}) m={x.m} lockedm={x.lockedm}"
                       f" -> status={y.status}({y.wait_reason}) m={y.m} lockedm={y.lockedm}")
    return out


# ---------------------------------------------------------------------------------------
# The sched fixture's truth lines


@dataclass
class Truth:
    gomaxprocs: Optional[int] = None
    locked_parked: Optional[dict] = None  # goid, tid, wait_reason
    locked_syscall: Optional[dict] = None  # goid, tid, fd
    sleep: Optional[dict] = None  # goid, wait_reason
    parked: List[dict] = field(default_factory=list)  # goid, wait_reason

    def empty(self) -> bool:
        return self.gomaxprocs is None and self.locked_parked is None


def parse_truth(text: str) -> Truth:
    """The "TRUTH {json}" lines of the sched fixture's stdout (others are ignored). Raises
    ValueError naming a malformed line."""
    t = Truth()
    for line in text.splitlines():
        if not line.startswith("TRUTH "):
            continue
        try:
            v = json.loads(line[len("TRUTH "):])
        except ValueError as e:
            raise ValueError(f"{line!r}: {e}")
        role = v.get("role") if isinstance(v, dict) else None
        need = {"gomaxprocs": ("value",), "locked-parked": ("goid", "tid", "wait_reason"),
                "locked-syscall": ("goid", "tid", "fd"), "sleep": ("goid", "wait_reason"),
                "parked": ("goid", "wait_reason")}.get(role)
        if need is None:
            raise ValueError(f"{line!r}: unknown role {role!r}")
        if any(k not in v for k in need):
            raise ValueError(f"{line!r}: a {role} line needs {', '.join(need)}")
        if role == "gomaxprocs":
            t.gomaxprocs = v["value"]
        elif role == "locked-parked":
            t.locked_parked = v
        elif role == "locked-syscall":
            t.locked_syscall = v
        elif role == "sleep":
            t.sleep = v
        else:
            t.parked.append(v)
    return t


# ---------------------------------------------------------------------------------------
# What the plugin must say: the block, with what the runtime provably did after it


class SDiffs(Diffs):
    def exp(self, where: str, fld: str, runtime_val, plugin_val, detail: str = ""):
        self.items.append(f"{where}: {fld}: runtime {runtime_val!r}, plugin {plugin_val!r}"
                          + (f" {detail}" if detail else ""))


@dataclass
class Expect:
    block: SchedBlock  # the state the plugin must report (a copy, adjusted)
    kind: str  # live, panic, sigquit
    after: Optional[SchedBlock] = None  # live: the block after the detach (tick bounds)
    skip: Dict[Tuple[int, str], str] = field(default_factory=dict)  # (M id, field) -> why
    printer: Optional[int] = None  # the M that printed the block
    sections: Dict[int, crashdump.Goroutine] = field(default_factory=dict)  # sigquit: M -> g
    crash_m: Optional[int] = None  # the M whose thread took the fatal signal (lldb's #1)
    spinner: Optional[int] = None  # running fixture: the spinning goroutine
    spinner_fn: Optional[str] = None
    stripped: bool = False  # the binary has no symbols: gc_phase may be null (unknown)


def _sysmon_locks(e: Expect, asleep: Optional[bool], where: str):
    """sysmon's locks: 0 when it is provably asleep in usleep, else not compared."""
    m = e.block.m(SYSMON_M)
    if m is None:
        return
    if asleep:
        m.locks = 0
        e.skip.pop((SYSMON_M, "locks"), None)
    else:
        e.skip[(SYSMON_M, "locks")] = (f"sysmon (M{SYSMON_M}) was not asleep in runtime.usleep "
                                       f"({where}): its locks move")


def expect_live(before: SchedBlock, after: SchedBlock) -> Expect:
    """The plugin's view while attached: before (== after, checked by the caller). The
    block's printer is sysmon (only sysmon calls schedtrace while the process lives)."""
    e = Expect(block=copy.deepcopy(before), kind="live", after=after, printer=SYSMON_M)
    e.skip[(SYSMON_M, "locks")] = "sysmon printed the block (holding sched.lock and the print lock)"
    return e


def expect_core(block: SchedBlock, dump: crashdump.Dump, kind: str, minor: int) -> Expect:
    """The core after the crash-time block (kind panic or sigquit)."""
    e = Expect(block=copy.deepcopy(block), kind=kind)
    b = e.block
    # startpanic_m: schedtrace(true), then freezetheworld().
    b.globals["gcwaiting"] = True
    b.globals["stopwait"] = FREEZE_STOPWAIT
    if kind == "panic":
        first = dump.goroutines[0] if dump.goroutines else None
        if first is not None:
            pm = next((m for m in b.ms if m.curg == first.id), None)
            e.printer = pm.id if pm else None
            e.crash_m = e.printer
    else:
        sections = ([dump.first_thread] if dump.first_thread else []) + list(dump.threads)
        for t in sections:
            if t.m is None:
                continue
            g = t.goroutines[0] if t.goroutines else None
            if g is None and t is dump.first_thread and dump.goroutines:
                # The signal caught a goroutine, not a g0: printed first, among the others
                # (crashdump keeps only a g0 as the first thread's own).
                g = dump.goroutines[0]
            e.sections[t.m] = g
            m = b.m(t.m)
            if m is not None:
                m.throwing = THROW_RUNTIME  # sighandler, on every M it runs on
        if dump.first_thread is not None:
            e.printer = dump.first_thread.m
        ms_with = [t.m for t in sections if t.m is not None]
        if ms_with:
            e.crash_m = ms_with[0] if minor >= 22 else ms_with[-1]
    if e.printer is not None:
        e.skip[(e.printer, "locks")] = (f"M{e.printer} printed the block (holding sched.lock, "
                                        "the print lock and paniclk)")
    return e


# ---------------------------------------------------------------------------------------
# Comparisons


def _gword(status: int) -> str:
    return G_WORDS.get(status & ~G_SCAN, f"status {status}")


def compare_sched(d: SDiffs, e: Expect, sj: dict, threads_j: Optional[dict]):
    b = e.block
    if sj.get("errors"):
        d.msg(f"go sched: errors: {sj['errors']}")
    g = b.globals
    for pk, bk in [("procs", "gomaxprocs")] + [(k, k) for k in GLOBALS if k != "gomaxprocs"]:
        if sj.get(pk) != g.get(bk):
            d.exp("sched", pk, g.get(bk), sj.get(pk))
    rq = sj.get("runqueue_goroutines")
    if not isinstance(rq, list) or len(rq) != g.get("runqueue"):
        d.exp("sched", "runqueue_goroutines (as many as runqueue)", g.get("runqueue"), rq)
    if e.kind == "live":
        if sj.get("world_stopped") is not False:
            d.exp("sched", "world_stopped (gcwaiting=false)", False, sj.get("world_stopped"))
        # A stripped binary has no symbol for runtime.gcphase and nothing tells that word
        # apart from its zero neighbours: the engine says null (unknown), never a guess.
        if sj.get("gc_phase") != "off" and not (e.stripped and sj.get("gc_phase") is None):
            d.exp("sched", "gc_phase (no GC can run)", "off", sj.get("gc_phase"))
    else:
        if sj.get("world_stopped") is not True:
            d.exp("sched", "world_stopped (freezetheworld)", True, sj.get("world_stopped"))

    # Ps
    pps = sj.get("ps") or []
    if [p.get("id") for p in pps] != [p.id for p in b.ps]:
        d.exp("sched", "ps (ids in allp order)", [p.id for p in b.ps],
              [p.get("id") for p in pps])
    after = {p.id: p for p in e.after.ps} if e.after else {}
    for bp, pp in zip(b.ps, pps):
        w = f"P{bp.id}"
        for f in ("status", "m", "runqsize", "gfreecnt", "timerslen"):
            if pp.get(f) != getattr(bp, f):
                d.exp(w, f, getattr(bp, f), pp.get(f))
        if pp.get("status_name") != P_NAMES.get(bp.status):
            d.exp(w, "status_name", P_NAMES.get(bp.status), pp.get("status_name"))
        for f in ("schedtick", "syscalltick"):
            lo = getattr(bp, f)
            hi = getattr(after[bp.id], f) if bp.id in after else None
            v = pp.get(f)
            if not isinstance(v, int) or v < lo or (hi is not None and v > hi):
                d.exp(w, f, f">= {lo}" + (f" and <= {hi} (the block after)" if hi is not None
                                           else ""), v)
        runq = pp.get("runq")
        if not isinstance(runq, list) or len(runq) != bp.runqsize:
            d.exp(w, "runq (runqsize goroutines)", bp.runqsize, runq)

    # queued goroutines are exactly the runnable ones
    queued = list(rq or [])
    for pp in pps:
        queued += list(pp.get("runq") or [])
        if pp.get("runnext") is not None:
            queued.append(pp.get("runnext"))
    runnable = sorted(gg.id for gg in b.gs if gg.status == 1)
    if sorted(queued) != runnable:
        d.exp("sched", "goroutines in the run queues (global, runq, runnext)",
              f"the runnable ones {runnable}", sorted(queued))

    # Ms
    pms = sj.get("ms") or []
    if [m.get("id") for m in pms] != [m.id for m in b.ms]:
        d.exp("sched", "ms (ids in allm order)", [m.id for m in b.ms],
              [m.get("id") for m in pms])
    tindex = {t.get("tid"): t.get("index") for t in (threads_j or {}).get("threads") or []}
    pby = {m.get("id"): m for m in pms}
    for bm in b.ms:
        pm = pby.get(bm.id)
        if pm is None:
            continue
        w = f"M{bm.id}"
        for f in M_FIELDS:
            if (bm.id, f) in e.skip:
                d.note(f"{w} {f} not compared: {e.skip[(bm.id, f)]} (runtime {getattr(bm, f)!r}, "
                       f"plugin {pm.get(f)!r})")
                continue
            if pm.get(f) != getattr(bm, f):
                d.exp(w, f, getattr(bm, f), pm.get(f))
        cur = b.g(bm.curg) if bm.curg is not None else None
        sysc = cur is not None and cur.status & ~G_SCAN == 3
        if pm.get("in_syscall") is not sysc:
            d.exp(w, "in_syscall (curg in _Gsyscall)", sysc, pm.get("in_syscall"))
        if pm.get("incgo") is not False:
            d.exp(w, "incgo (CGO_ENABLED=0)", False, pm.get("incgo"))
        if threads_j is not None and pm.get("thread") != tindex.get(pm.get("procid")):
            d.exp(w, f"thread (index of the thread with tid {pm.get('procid')})",
                  tindex.get(pm.get("procid")), pm.get("thread"))
        for f in ("g0", "gsignal"):
            if not _hex(pm.get(f)):
                d.exp(w, f, "an address", pm.get(f))
    # lockedm / lockedg agree
    for gg in b.gs:
        if gg.lockedm is not None and gg.status not in G_DEAD:
            pm = pby.get(gg.lockedm)
            if pm is not None and pm.get("lockedg") != gg.id:
                d.exp(f"M{gg.lockedm}", f"lockedg (G{gg.id} has lockedm={gg.lockedm})", gg.id,
                      pm.get("lockedg"))


def compare_goroutines(d: SDiffs, b: SchedBlock, gj: dict):
    if gj.get("errors"):
        d.msg(f"go goroutines: errors: {gj['errors']}")
    pby = {g.get("id"): g for g in gj.get("goroutines") or []}
    seen = set()
    for bg in b.gs:
        seen.add(bg.id)
        pg = pby.get(bg.id)
        w = f"G{bg.id}"
        st = bg.status & ~G_SCAN
        if st in G_DEAD:
            if pg is not None:
                d.exp(w, "listed (dead goroutines are not)", "dead", pg.get("status"))
            continue
        if pg is None:
            d.exp(w, "listed", f"{_gword(bg.status)} ({bg.wait_reason})", "missing")
            continue
        if pg.get("status") != _gword(bg.status):
            d.exp(w, "status", f"{bg.status} ({_gword(bg.status)})", pg.get("status"))
        if st in (4, 10) and (pg.get("wait_reason") or "") != bg.wait_reason:
            d.exp(w, "wait_reason", bg.wait_reason, pg.get("wait_reason"))
        if pg.get("m") != bg.m:
            d.exp(w, "m", bg.m, pg.get("m"))
        if bool(pg.get("locked_to_thread")) != (bg.lockedm is not None):
            d.exp(w, "locked_to_thread (lockedm)", bg.lockedm, pg.get("locked_to_thread"))
    for goid in sorted(set(pby) - seen):
        d.exp(f"G{goid}", "listed by the plugin, not in the block", None,
              pby[goid].get("status"))


def _sysmon_asleep_thread(threads_j: dict) -> Tuple[Optional[bool], str]:
    t = next((t for t in threads_j.get("threads") or [] if t.get("m") == SYSMON_M), None)
    if t is None:
        return None, "no thread for it"
    fn = t.get("function")
    return fn == "runtime.usleep", f"its thread is in {fn}"


def compare_threads(d: SDiffs, e: Expect, sj: dict, tj: dict, *, proc_tids=None):
    b = e.block
    if tj.get("errors"):
        d.msg(f"go threads: errors: {tj['errors']}")
    ts = tj.get("threads") or []
    procid = {m.get("id"): m.get("procid") for m in sj.get("ms") or []}
    if len(ts) != b.globals.get("threads"):
        d.exp("threads", "count (threads=, every thread an M)", b.globals.get("threads"), len(ts))
    if [t.get("index") for t in ts] != sorted(t.get("index") for t in ts):
        d.msg(f"threads: not in the debugger's order: {[t.get('index') for t in ts]}")
    tids = sorted(t.get("tid") for t in ts)
    if sorted(v for v in procid.values() if v is not None) != tids:
        d.exp("threads", "tids (= the Ms' procids)", sorted(procid.values(), key=str), tids)
    if proc_tids is not None and sorted(proc_tids) != tids:
        d.exp("threads", "tids (/proc/PID/task)", sorted(proc_tids), tids)
    mids = [t.get("m") for t in ts]
    if sorted(mids, key=str) != sorted((m.id for m in b.ms), key=str):
        d.exp("threads", "Ms (one thread each)", sorted(m.id for m in b.ms), mids)
    for t in ts:
        w = f"thread #{t.get('index')} (tid {t.get('tid')})"
        bm = b.m(t.get("m"))
        if bm is None:
            d.exp(w, "m", "an M", t.get("m"))
            continue
        w += f" M{bm.id}"
        if procid.get(bm.id) != t.get("tid"):
            d.exp(w, "tid (its M's procid)", procid.get(bm.id), t.get("tid"))
        for f, v in (("p", bm.p), ("goroutine", bm.curg), ("lockedg", bm.lockedg),
                     ("spinning", bm.spinning)):
            if t.get(f) != v:
                d.exp(w, f, v, t.get(f))
        cur = b.g(bm.curg) if bm.curg is not None else None
        sysc = cur is not None and cur.status & ~G_SCAN == 3
        if t.get("in_syscall") is not sysc:
            d.exp(w, "in_syscall", sysc, t.get("in_syscall"))
        if t.get("incgo") is not False:
            d.exp(w, "incgo", False, t.get("incgo"))
        if not _hex(t.get("pc")):
            d.exp(w, "pc", "an address", t.get("pc"))
        # which stack
        if e.kind == "sigquit":
            want = "gsignal" if bm.id in e.sections else None
        elif e.kind == "panic" and bm.id == e.crash_m:
            want = "gsignal"
        else:
            want = "goroutine" if bm.curg is not None else "g0"
        if want is not None and t.get("stack") != want:
            d.exp(w, "stack", want, t.get("stack"), f"(function {t.get('function')})")
        if e.kind == "live" and bm.blocked and t.get("function") != "runtime.futex":
            d.exp(w, "function (blocked=true: asleep in notesleep)", "runtime.futex",
                  t.get("function"))
    # the thread that took the fatal signal is lldb's first, dying in runtime.raise
    if e.crash_m is not None and ts:
        if ts[0].get("m") != e.crash_m:
            d.exp(f"thread #{ts[0].get('index')}", "m (the crashing thread comes first in "
                  "the core)", e.crash_m, ts[0].get("m"))
        elif ts[0].get("function") != "runtime.raise":
            d.exp(f"thread #{ts[0].get('index')} M{e.crash_m}", "function (dieFromSignal)",
                  "runtime.raise", ts[0].get("function"))
    if e.spinner is not None:
        t = next((t for t in ts if t.get("goroutine") == e.spinner), None)
        if t is None:
            d.exp(f"G{e.spinner}", "a thread (the spinner)", "one", None)
        elif e.kind == "panic" and e.spinner_fn and t.get("function") != e.spinner_fn:
            d.exp(f"thread #{t.get('index')} G{e.spinner}", "function (the spinner)",
                  e.spinner_fn, t.get("function"))


def compare_truth(d: SDiffs, e: Expect, truth: Truth, sj: dict, tj: Optional[dict],
                  gj: Optional[dict]):
    b = e.block
    ts = (tj or {}).get("threads") or []
    pms = {m.get("id"): m for m in sj.get("ms") or []}
    pgs = {g.get("id"): g for g in (gj or {}).get("goroutines") or []}
    if truth.gomaxprocs is not None:
        if b.globals.get("gomaxprocs") != truth.gomaxprocs:
            d.exp("fixture truth", "gomaxprocs (the block)", truth.gomaxprocs,
                  b.globals.get("gomaxprocs"))
        if sj.get("procs") != truth.gomaxprocs:
            d.exp("truth", "procs", truth.gomaxprocs, sj.get("procs"))
    for role, t, want_syscall in (("A (locked, parked)", truth.locked_parked, False),
                                  ("B (locked, in read(2))", truth.locked_syscall, True)):
        if t is None:
            continue
        goid, tid = t["goid"], t["tid"]
        w = f"truth {role} G{goid} tid {tid}"
        bg = b.g(goid)
        if want_syscall:
            cands = [m for m in b.ms if m.curg == goid]
        else:
            cands = [m for m in b.ms if m.lockedg == goid]
        if len(cands) != 1 or bg is None:
            d.msg(f"{w}: the block has {len(cands)} Ms for it and "
                  f"{'no' if bg is None else 'a'} G line (fixture truth vs runtime)")
            continue
        bm = cands[0]
        # the fixture's own claims about the runtime
        if bm.lockedg != goid or bg.lockedm != bm.id:
            d.msg(f"{w}: the block has M{bm.id} lockedg={bm.lockedg}, G{goid} lockedm="
                  f"{bg.lockedm} (fixture truth vs runtime)")
        want_status = 3 if want_syscall else 4
        if bg.status & ~G_SCAN != want_status:
            d.msg(f"{w}: the block has G{goid} status={bg.status} (fixture truth vs runtime)")
        # the plugin
        tt = [x for x in ts if x.get("tid") == tid]
        if tj is not None:
            if len(tt) != 1:
                d.exp(w, "threads with that tid", 1, len(tt))
            else:
                th = tt[0]
                if th.get("m") != bm.id:
                    d.exp(w, "thread's m", bm.id, th.get("m"))
                if th.get("lockedg") != goid:
                    d.exp(w, "thread's lockedg", goid, th.get("lockedg"))
                if th.get("goroutine") != (goid if want_syscall else None):
                    d.exp(w, "thread's goroutine", goid if want_syscall else None,
                          th.get("goroutine"))
                if want_syscall:
                    if th.get("in_syscall") is not True:
                        d.exp(w, "thread's in_syscall", True, th.get("in_syscall"))
                    if th.get("p") is not None:
                        d.exp(w, "thread's p (retaken by sysmon)", None, th.get("p"))
        pm = pms.get(bm.id)
        if pm is None:
            d.exp(w, f"M{bm.id} in go sched", "present", None)
        elif pm.get("procid") != tid:
            d.exp(w, f"M{bm.id} procid", tid, pm.get("procid"))
        if gj is not None:
            pg = pgs.get(goid)
            if pg is None:
                d.exp(w, "in go goroutines", "present", None)
            elif not pg.get("locked_to_thread"):
                d.exp(w, "locked_to_thread", True, pg.get("locked_to_thread"))
    for t in ([truth.sleep] if truth.sleep else []) + truth.parked:
        bg = b.g(t["goid"])
        if bg is None or bg.status != 4 or bg.wait_reason != t["wait_reason"]:
            d.msg(f"truth G{t['goid']} [{t['wait_reason']}]: the block has "
                  f"{'none' if bg is None else f'status={bg.status}({bg.wait_reason})'} "
                  "(fixture truth vs runtime)")


def compare_dump(d: SDiffs, e: Expect, dump: crashdump.Dump, sj: dict, tj: dict, minor: int):
    """What the dump itself proves about Ms and threads."""
    ts = tj.get("threads") or []
    tby_m = {t.get("m"): t for t in ts}
    pms = {m.get("id"): m for m in sj.get("ms") or []}
    for g in dump.goroutines:
        if g.m_printed and g.m is not None:
            w = f"dump goroutine {g.id} m={g.m}"
            pm = pms.get(g.m)
            if pm is None or pm.get("curg") != g.id:
                d.exp(w, f"M{g.m} curg", g.id, pm.get("curg") if pm else "no such M")
            t = tby_m.get(g.m)
            if t is None or t.get("goroutine") != g.id:
                d.exp(w, f"thread of M{g.m}: goroutine", g.id,
                      t.get("goroutine") if t else "no thread")
        if g.locked_to_thread and not any(m.get("lockedg") == g.id for m in pms.values()):
            d.exp(f"dump goroutine {g.id} [locked to thread]", "an M with that lockedg", g.id,
                  None)
    for mid, g in e.sections.items():
        w = f"dump thread section m={mid}"
        t = tby_m.get(mid)
        pm = pms.get(mid)
        if t is None or pm is None:
            d.exp(w, "an M and its thread", mid, None)
            continue
        want = None if g is None or g.id == 0 else g.id
        if t.get("goroutine") != want:
            d.exp(w, "thread's goroutine (the section's)", want, t.get("goroutine"))
        if g is not None and g.id == 0 and g.gp is not None and _hex(pm.get("g0")) != g.gp:
            d.exp(w, f"M{mid} g0 (goroutine 0 gp=)", hex(g.gp), pm.get("g0"))
    if e.kind == "sigquit":
        missing = sorted(set(pms) - set(e.sections))
        if missing:
            d.note(f"Ms without a thread section in the dump: {missing}")


# ---------------------------------------------------------------------------------------
# A perfect plugin, faked from the expected block, the truth and the dump (--dry-run,
# self-tests)


def fake_answers(e: Expect, truth: Optional[Truth] = None, dump: Optional[crashdump.Dump] = None,
                 tids: Optional[Dict[int, int]] = None) -> Dict[str, dict]:
    b = e.block
    tids = dict(tids or {})
    if truth is not None:
        for t, by in ((truth.locked_parked, "lockedg"), (truth.locked_syscall, "curg")):
            if t is None:
                continue
            m = next((m for m in b.ms if getattr(m, by) == t["goid"]), None)
            if m is not None:
                tids[m.id] = t["tid"]
    for m in b.ms:
        tids.setdefault(m.id, 100000 + m.id)
    gstat = {g.id: g.status & ~G_SCAN for g in b.gs}
    # lldb's order: the crashing thread first, then the others (by M id, as good as any).
    order = sorted(b.ms, key=lambda m: (m.id != e.crash_m, m.id))
    index = {m.id: i + 1 for i, m in enumerate(order)}
    ms = []
    for m in b.ms:
        j = {f: getattr(m, f) for f in M_FIELDS}
        if (m.id, "locks") in e.skip:
            j["locks"] = m.locks + 1  # anything: not compared
        sec = e.sections.get(m.id)
        g0 = sec.gp if sec is not None and sec.id == 0 and sec.gp else 0xc000000000 + m.id * 0x1000
        j.update(id=m.id, procid=tids[m.id], thread=index[m.id], g0=hex(g0),
                 gsignal=hex(0xd000000000 + m.id * 0x1000), incgo=False,
                 in_syscall=m.curg is not None and gstat.get(m.curg) == 3)
        ms.append(j)
    ps = [{"id": p.id, "status": p.status, "status_name": P_NAMES.get(p.status),
           "schedtick": p.schedtick, "syscalltick": p.syscalltick, "m": p.m,
           "runqsize": p.runqsize, "runq": [0] * p.runqsize, "runnext": None,
           "gfreecnt": p.gfreecnt, "timerslen": p.timerslen} for p in b.ps]
    g = b.globals
    sched = {"procs": g.get("gomaxprocs"), **{k: g.get(k) for k in GLOBALS if k != "gomaxprocs"},
             "runqueue_goroutines": [], "gc_phase": "off",
             "world_stopped": bool(g.get("gcwaiting")), "ps": ps, "ms": ms}
    threads = []
    for m in order:
        if e.kind == "sigquit" and m.id in e.sections:
            stack = "gsignal"
        elif e.kind == "panic" and m.id == e.crash_m:
            stack = "gsignal"
        else:
            stack = "goroutine" if m.curg is not None else "g0"
        fn = "runtime.futex" if m.blocked else ("runtime.usleep" if m.id == SYSMON_M
                                                 else "runtime.epollwait")
        if m.curg is not None:
            fn = "syscall.Syscall6" if gstat.get(m.curg) == 3 else "main.main"
            if e.spinner is not None and m.curg == e.spinner and e.spinner_fn:
                fn = e.spinner_fn
        if m.id == e.crash_m:
            fn = "runtime.raise"
        threads.append({"index": index[m.id], "tid": tids[m.id], "m": m.id, "p": m.p,
                        "goroutine": m.curg, "lockedg": m.lockedg, "stack": stack,
                        "pc": "0x401000", "function": fn,
                        "in_syscall": m.curg is not None and gstat.get(m.curg) == 3,
                        "incgo": False, "spinning": m.spinning})
    gs = []
    for bg in b.gs:
        if bg.status & ~G_SCAN in G_DEAD:
            continue
        st = bg.status & ~G_SCAN
        gs.append({"id": bg.id, "status": _gword(bg.status),
                   "wait_reason": bg.wait_reason if st in (4, 10) else "", "m": bg.m,
                   "locked_to_thread": bg.lockedm is not None})
    return {"sched": sched, "threads": {"threads": threads}, "goroutines": {"goroutines": gs}}


# ---------------------------------------------------------------------------------------
# Running


def traced_env(gotraceback: str, godebug: str) -> Dict[str, str]:
    env = cg.fixture_env(gotraceback)
    env["GODEBUG"] = ",".join(x for x in (env.get("GODEBUG"), godebug) if x)
    return env


class TracedFixture(cg.HangingFixture):
    """HangingFixture with GODEBUG's schedtrace on (godebug), its printout read from stderr
    as it grows."""

    def __init__(self, exe: str, work: str, gotraceback: str, godebug: str):
        super().__init__(exe, work, gotraceback, env=traced_env(gotraceback, godebug))

    def err_text(self) -> str:
        """stderr so far, one char per byte (offsets are file offsets)."""
        self.err.flush()
        with open(self.err_path, "rb") as f:
            return f.read().decode("latin-1")

    def err_size(self) -> int:
        self.err.flush()
        return os.path.getsize(self.err_path)


def wait_blocks(h: TracedFixture, until, timeout: float, what: str) -> List[SchedBlock]:
    """Re-read the fixture's stderr until until(complete blocks) is true."""
    deadline = time.monotonic() + timeout
    while True:
        blocks = [b for b in parse_sched(h.err_text(), final=False) if b.complete]
        if until(blocks):
            return blocks
        if h.p.poll() is not None:
            raise CaseError(f"fixture exited ({h.p.returncode}) waiting for {what}")
        if time.monotonic() > deadline:
            raise CaseError(f"no {what} within {timeout}s ({len(blocks)} SCHED blocks)")
        time.sleep(0.05)


def _still_pair(blocks: List[SchedBlock]) -> bool:
    return len(blocks) >= 2 and blocks[-1].key() == blocks[-2].key() and \
        not block_problems(blocks[-1]) and not motion(blocks[-1])


def running_threads(pid: int) -> Optional[int]:
    """How many of the process's threads the kernel has running or runnable (state R);
    None once it is gone."""
    n = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for t in tids:
        try:
            with open(f"/proc/{pid}/task/{t}/stat") as f:
                n += f.read().rsplit(")", 1)[1].split()[0] == "R"
        except OSError:
            pass
    return n


def wait_quiet(h: "TracedFixture", busy: int, timeout: float):
    """Waits until at most `busy` of the fixture's threads are running or runnable, in two
    reads in a row: every other M is asleep in the kernel, so none is spinning, starting or
    in the scheduler, and the goroutine that printed READY has parked. A moving scheduler
    always has such an M on a CPU or waiting for one, and once none is, nothing is left to
    wake one (timers an hour away, GOGC=off)."""
    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < 2:
        n = running_threads(h.pid)
        if n is None or h.p.poll() is not None:
            raise CaseError(f"fixture exited ({h.p.poll()}) while waiting for it to be quiet")
        quiet = quiet + 1 if n <= busy else 0
        if time.monotonic() > deadline:
            raise CaseError(f"the fixture's threads were not quiet within {timeout}s "
                            f"({n} running, {busy} expected)")
        time.sleep(0.02)


def proc_tids(pid: int) -> List[int]:
    try:
        return sorted(int(t) for t in os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return []


class Runner(cg.Runner):
    def run_case(self, minor: int, mode: str, fixture: str, kind: str):
        exe = self.exe(minor, mode, fixture)
        self.mode = mode

        def body(work):
            if kind == "live":
                return self.case_live(minor, exe, work)
            if kind == "core":
                return self.case_core(minor, fixture, exe, work, sigquit=False)
            if kind == "core-sigquit":
                return self.case_core(minor, fixture, exe, work, sigquit=True)
            raise CaseError(f"unknown kind {kind}")

        self.guarded(f"go1.{minor}/{mode}/{fixture}/{kind}", fixture, exe, body)

    def lldb(self, target_cmds: List[str], work: str) -> Tuple[Dict[str, Optional[dict]], str]:
        """Runs lldb with the plugin's three commands; returns their answers (None where
        none was written) and the lldb error, if lldb failed."""
        out = {k: os.path.join(work, f"{k}.json") for k in COMMANDS}
        cmds = list(target_cmds)
        if self.dry:
            cmds.append("thread list")
        else:
            cmds = [f'plugin load "{self.plugin}"'] + cmds + [
                f'go sched --json --output "{out["sched"]}"',
                f'go threads --json --output "{out["threads"]}"',
                f'go goroutines --json --output "{out["goroutines"]}"']
        if target_cmds[0].startswith("process attach"):
            cmds.append("process detach")
        err = ""
        try:
            cg.run_lldb(cmds, None, os.path.join(work, "lldb.log"))
        except CaseError as e:
            if self.dry or not any(os.path.exists(p) for p in out.values()):
                raise
            err = str(e)
        return {k: cw.load_json(p) for k, p in out.items()}, err

    def finish(self, d: SDiffs, ans, err, e: Expect, truth, dump, minor, work, tids=None,
               ptids=None) -> SDiffs:
        e.stripped = self.mode == "stripped"
        if self.dry:
            ans = fake_answers(e, truth, dump, tids)
            for k, v in ans.items():
                with open(os.path.join(work, f"{k}.json"), "w") as f:
                    json.dump(v, f, indent=1)
        for k in COMMANDS:
            if ans.get(k) is None:
                d.msg(f"go {k}: the plugin wrote no answer (see lldb.log)"
                      + (f"; {err}" if err else ""))
        sj, tj, gj = ans.get("sched"), ans.get("threads"), ans.get("goroutines")
        if sj is not None:
            compare_sched(d, e, sj, tj)
            if tj is not None:
                compare_threads(d, e, sj, tj, proc_tids=None if self.dry else ptids)
                if dump is not None:
                    compare_dump(d, e, dump, sj, tj, minor)
            if truth is not None and not truth.empty():
                compare_truth(d, e, truth, sj, tj, gj)
        if gj is not None:
            compare_goroutines(d, e.block, gj)
        return d

    # --- live

    def case_live(self, minor, exe, work) -> SDiffs:
        h = TracedFixture(exe, work, "system", GODEBUG_LIVE)
        try:
            with open(os.path.join(work, "truth.txt"), "w") as f:
                f.write(h.stdout)
            try:
                truth = parse_truth(h.stdout)
            except ValueError as e:
                raise CaseError(f"fixture truth: {e}")
            wait_blocks(h, _still_pair, T_STILL, "two equal SCHED blocks at rest")
            size_before = h.err_size()
            t0 = time.monotonic()
            ans, err = self.lldb([f"process attach --pid {h.pid}"], work)
            secs = time.monotonic() - t0
            size_after = h.err_size()
            ptids = proc_tids(h.pid)
            time.sleep(0.1)
            st = h.state()
            if h.p.poll() is not None:
                raise CaseError(f"the process died after the debugger detached ({h.p.returncode})")
            if st in ("T", "t"):
                raise CaseError(f"the process is still stopped (state {st}) after detach")
            blocks = wait_blocks(h, lambda bs: any(b.offset >= size_after for b in bs),
                                 T_AFTER, "SCHED block after the detach")
        finally:
            h.close()
        d = SDiffs()
        before_all = [b for b in blocks if b.end <= size_before]
        before, prev = before_all[-1], before_all[-2]
        after = next(b for b in blocks if b.offset >= size_after)
        d.note(f"compared with the block at {before.time_ms}ms (attach {secs:.1f}s; the "
               f"block after: {after.time_ms}ms)")
        for label, a, b2 in (("just before the attach", prev, before),
                             ("across the attach", before, after)):
            for m in moved(a, b2):
                d.msg(f"the scheduler moved {label} (not at rest: nothing compared "
                      f"honestly): {m}")
        for b2 in (before, after):
            for p in block_problems(b2) + motion(b2):
                d.msg(f"the block at {b2.time_ms}ms: {p}")
        if d.items:
            return d
        e = expect_live(before, after)
        if not self.dry and ans.get("threads"):
            asleep, where = _sysmon_asleep_thread(ans["threads"])
            _sysmon_locks(e, asleep, where)
        elif self.dry:
            _sysmon_locks(e, True, "dry run")
        return self.finish(d, ans, err, e, truth, None, minor, work, ptids=ptids)

    # --- cores

    def crash(self, exe, work, sigquit: bool, busy: int = 0):
        """Runs the fixture to its death with the crash-time block on: (stdout, dump text
        without the blocks, the crash-time block, core). busy: how many threads run for good
        in it (SIGQUIT)."""
        for n in os.listdir(work):
            if n == "core" or n.startswith("core."):
                os.remove(os.path.join(work, n))
        if sigquit:
            h = TracedFixture(exe, work, "crash", GODEBUG_CRASH)
            try:
                # main prints READY, then parks, and its timer wakes an M to spin: a SIGQUIT
                # sent at once would find the scheduler in that motion. Sent once the
                # threads are quiet, it finds the state the fixture holds for good.
                wait_quiet(h, busy, T_STILL)
                rc = h.quit()
                stdout, text = h.stdout, h.err_text()
            finally:
                h.close()
            if rc not in (-signal.SIGQUIT, -signal.SIGABRT):
                raise CaseError(f"fixture exited {rc} after SIGQUIT, expected a core dump")
            core = cg.find_core(work)
            if core is None:
                raise CaseError("no core after SIGQUIT with GOTRACEBACK=crash")
        else:
            rc, out, err = cg.run_bounded([exe, "crash"], cg.T_CRASH, cwd=work,
                                          env=traced_env("crash", GODEBUG_CRASH),
                                          preexec_fn=cg._core_unlimited)
            stdout, text = out.decode("utf-8", "replace"), err.decode("latin-1")
            if rc is None:
                raise CaseError(f"fixture did not crash within {cg.T_CRASH}s")
            if rc != -signal.SIGABRT:
                raise CaseError(f"fixture exited with {rc}, expected death by SIGABRT; "
                                "stderr ends: " + text[-500:])
            core = cg.find_core(work)
            if core is None:
                raise CaseError("no core from the kernel (core_pattern?)")
        for name, data in (("stderr.txt", text), ("truth.txt", stdout)):
            with open(os.path.join(work, name), "w") as f:
                f.write(data)
        blocks = parse_sched(text)
        if not blocks:
            raise CaseError("no crash-time SCHED block in stderr: " + text[:500])
        block = blocks[-1]
        bad = block_problems(block)
        if bad:
            raise CaseError(f"crash-time SCHED block: {'; '.join(bad)}")
        return stdout, strip_sched(text), block, core

    def case_core(self, minor, fixture, exe, work, sigquit: bool) -> SDiffs:
        """The core against its crash-time block, run again (up to CRASH_TRIES times) while
        the block shows the scheduler in motion (motion) or the core shows an M that was
        on its way to sleep when the block was printed (adrift) and the block's accounting
        cannot say what it did since (settle_adrift)."""
        d = SDiffs()
        for attempt in range(CRASH_TRIES):
            stdout, text, block, core = self.crash(exe, work, sigquit,
                                                   busy=1 if fixture == "running" else 0)
            why = motion(block)
            if why:
                d.note(f"run {attempt + 1}: the crash-time block shows the scheduler in "
                       f"motion: {'; '.join(why)}")
                continue
            with open(os.path.join(work, "dump.txt"), "w") as f:
                f.write(text)
            dump = crashdump.parse(text)
            if not dump.goroutines:
                raise CaseError("no goroutine dump in stderr: " + text[-500:])
            if sigquit and not dump.threads:
                raise CaseError("the SIGQUIT dump has no per-thread sections")
            e = expect_core(block, dump, "sigquit" if sigquit else "panic", minor)
            ans, err = self.lldb([f'target create "{exe}" --core "{core}"'], work)
            if not self.args.keep_cores:
                os.remove(core)
            ids = [] if self.dry or sigquit else adrift(block, ans.get("threads"),
                                                         skip=(e.printer,))
            if ids:
                why = settle_adrift(e, ids, TEMPLATE_THREADS)
                if why:
                    d.note(f"run {attempt + 1}: {why}")
                    continue
                d.note(f"M{', M'.join(map(str, ids))}: no P or goroutine, not blocked in the "
                       "block, asleep in runtime.futex in the core: it went through stopm "
                       "after the block (expected blocked=true, locks 0, idlethreads "
                       f"{block.globals.get('idlethreads')} -> "
                       f"{e.block.globals.get('idlethreads')})")
            break
        else:
            raise CaseError(f"the scheduler was in motion at the crash in {CRASH_TRIES} runs: "
                            + " | ".join(d.notes))
        try:
            truth = parse_truth(stdout) if fixture == "sched" else None
        except ValueError as ex:
            raise CaseError(f"fixture truth: {ex}")
        if fixture == "running":
            spin = [g for g in dump.goroutines if g.stack_unavailable]
            if len(spin) != 1:
                raise CaseError(f"the running fixture's dump has {len(spin)} goroutines "
                                "running on other threads, expected 1 (the spinner)")
            e.spinner, e.spinner_fn = spin[0].id, "main.spin"
        if not self.dry and ans.get("threads"):
            if sigquit:
                g = e.sections.get(SYSMON_M)
                fn = g.frames[0].function if g is not None and g.frames else None
                _sysmon_locks(e, fn == "runtime.usleep", f"its section's innermost frame is {fn}")
            else:
                asleep, where = _sysmon_asleep_thread(ans["threads"])
                _sysmon_locks(e, asleep, where)
        elif self.dry:
            _sysmon_locks(e, True, "dry run")
        return self.finish(d, ans, err, e, truth, dump, minor, work)

    def kinds(self, mode: str, fixture: str) -> List[str]:
        return KINDS[fixture]


def main(argv=None) -> int:
    return cg.oracle_main(
        argv, __doc__, Runner, FIXTURES,
        cases_help="comma-separated globs over TOOLCHAIN/MODE/FIXTURE/KIND",
        dry_run_help=("no plugin: run fixtures and lldb, fake the plugin's answers from the "
                      "SCHED block, truth and dump, compare"),
        artifacts_help="keep the files of failing cases here")


if __name__ == "__main__":
    sys.exit(main())
