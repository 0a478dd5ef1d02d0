#!/usr/bin/python3
"""Parser for the Go runtime's own goroutine dumps: the oracle of the integration tests.

The runtime prints every goroutine when it dies with GOTRACEBACK=crash (panic, fatal
error, fatal signal) and when it gets SIGQUIT (GOTRACEBACK=all/system: print and exit;
GOTRACEBACK=crash: print, relay SIGQUIT to every other thread so each prints its own
section, then dump core). parse() turns that text into Goroutine objects; print_name()
maps a symbol name to the name the runtime prints for it.

Standard library only.

What the dumps look like, Go 1.21 .. 1.27 (linux/amd64). Seen in real dumps of the
fixtures of tests/fixtures built with each toolchain (samples in testdata/), and read
against runtime/traceback.go, panic.go, signal_unix.go and runtime2.go of each GOROOT.

Preamble (up to the first section), depending on how the process died:
  panic:        "panic: MSG", then "\tpanic: MSG" for each panic raised while the previous
                one was running (a deferred call panicking); " [recovered]" marks
                recovered ones (1.25+ may print "[recovered, repanicked]"). A panic from a
                signal adds "[signal SIGSEGV: segmentation violation code=... addr=...
                pc=...]". The crashing goroutine is printed first, "[running]", from the
                panic's frame ("panic(...)" innermost), then every other goroutine.
  fatal error:  "fatal error: MSG", possibly after "runtime: ..." lines. Stack overflow:
                "runtime: goroutine stack exceeds 1048576-byte limit", "runtime: sp=0x...
                stack=[0x..., 0x...]" (the overflowing goroutine's stack bounds), "fatal
                error: stack overflow", a "runtime stack:" section (the g0 running
                newstack), then the overflowing goroutine "[running]", printed from the
                context morestack saved (innermost: the function at its prologue line).
                Deadlock: "fatal error: all goroutines are asleep - deadlock!", "runtime
                stack:" (the g0 in checkdead), then every goroutine, none [running].
  signal:       "SIGQUIT: quit" / "PC=0x... m=N sigcode=N" (" addr=0x..." for faults), then
                the goroutine the signal interrupted: "goroutine 0 [idle]:" (gp=/m= in
                1.22+) when the thread was on its g0 (in the scheduler, or a locked M
                waiting), else a real goroutine printed from the signal context. The
                registers of that thread ("rax    0x...", ... "gs     0x0") come after the
                last goroutine.
Levels: GOTRACEBACK=crash and system are level 2: all goroutines including the runtime's,
runtime frames, fp/sp/pc. GOTRACEBACK=all is level 1, except that handling SIGQUIT (or
any fatal signal, or a runtime throw) raises the level to 2 on the throwing thread, so a
SIGQUIT dump looks the same at all and system; only crash writes a core.

Goroutine header:
  1.21:         "goroutine 18 [chan send]:"
  1.22 .. 1.27: "goroutine 18 gp=0xc000007340 m=nil [chan send]:" and, for a goroutine on
                a thread, "goroutine 1 gp=0x... m=3 mp=0x... [running]:". Printed at level 2
                or by a throwing thread (so always in the dumps above), never in 1.21.
  state text:   the wait reason when the status is waiting (1.26+: or leaked) and the
                reason is set, else the status word (idle runnable running syscall waiting
                dead copystack preempted; 1.26+ leaked; 1.27 "waiting for cgo callback").
                Then, in this order: " (leaked)" (1.26+), " (scan)", " (durable)" (1.25+
                synctest, unless the reason ends so itself), ", N minutes" (waiting or in a
                syscall for >= 1 minute), ", locked to thread", ", synctest bubble N"
                (1.25+).
  labels:       pprof goroutine labels, printed only with GODEBUG=tracebacklabels=1 (the
                default for 1.27 modules; our fixtures say go 1.21, so the harness sets
                it), in two different forms:
                1.26: inside the brackets, every key and value quoted:
                  "goroutine 39 gp=... m=nil [chan receive labels:{"k": "v"}]:"
                1.27: after the brackets, quoted only when a key/value has anything but
                [A-Za-z0-9./_]: "goroutine 41 gp=... m=nil [chan receive] {k: "v w"}:"
  Wait reasons by release: sync.WaitGroup.Wait parks as "semacquire" up to 1.23 and as
  "sync.WaitGroup.Wait" from 1.24. The runtime's goroutines (shown at level 2):
  "force gc (idle)" (runtime.forcegchelper), "GC sweep wait", "GC scavenge wait",
  "finalizer wait" (runtime.runfinq up to 1.24, runtime.runFinalizers from 1.25), "GC
  worker (idle)" (created by runtime.gcBgMarkStartWorkers: via its own wrapper
  gcBgMarkStartWorkers.gowrap1 from 1.23), from 1.25 "cleanup wait" (runtime.runCleanups,
  once something used runtime.AddCleanup, e.g. net in 1.27); 1.24's package unique adds
  a "chan receive" goroutine (runtime.unique_runtime_registerUniqueMapCleanup.gowrap1);
  os/signal adds "[select, locked to thread]" (runtime.ensureSigM.func1) and os/signal.loop
  in [syscall] (signal_recv sleeps as if in a syscall).
  Goroutine ids come from per-P batches of 16: neither dense nor in creation order; the
  dump lists goroutines in allgs order (a reused g keeps its old place).
  Heap addresses: 1.26+ randomise the heap base (gp=0x3bae7ab5c1e0 rather than
  0xc0000061c0).

Frames (innermost first):
  "pkg.func(ARGS)" then "\tFILE:LINE +0xOFF fp=0x... sp=0x... pc=0x..." for a physical
  frame (fp/sp/pc at level 2); pc is the return address, except for the innermost frame
  of a goroutine printed from a signal context, where it is the interrupted pc.
  "pkg.func(...)" then "\tFILE:LINE" (no offset, no pc) is an inlined call inside the
  next physical frame. ARGS are the runtime's best-effort argument words: "0x0?",
  "{0x489fe0?, 0x4bc510?}", "..."; runtime.goexit prints "runtime.goexit()" in 1.21 and
  "runtime.goexit({})" from 1.22. FILE may be "<autogenerated>" (line 1) for wrappers
  (e.g. net.(*TCPConn).Read). Function names go through printFuncName: runtime.gopanic
  prints as "panic", generic shape arguments as "[...]" (see print_name). A go statement
  with arguments runs a wrapper: "main.main.func2" in 1.21, "main.main.gowrap1" from 1.22
  (closures stay "main.main.funcN").
  More than 100 logical frames: the innermost 50, "...N frames elided...", the outermost
  50 (N = total - 100).
  A goroutine in a syscall is printed from the pc/sp saved at syscall entry, whichever
  thread prints it.
  When unwinding fails: "runtime: ..." lines, "stack: frame={sp:..., fp:...}
  stack=[...]", hex dump lines; cgo: "non-Go function" / "\tat 0x..." (none here:
  CGO_ENABLED=0).
Trailer:
  "created by main.main in goroutine 1" + "\tFILE:LINE +0xOFF" (no fp/sp/pc; LINE is that
  of pc-1 of the go statement). Never printed for goroutine 1; " in goroutine N" is absent
  when the parent id is 0. With GODEBUG=tracebackancestors=N: "[originating from goroutine
  N]:" and its frames printed "pkg.func(...)" + "\tFILE:LINE +0xOFF" (not inlined frames),
  "...additional frames elided..." past the limit.
Not goroutines: "runtime stack:" and "goroutine 0 [idle]:" / "goroutine 0 gp=... m=N
  mp=... [idle]:" sections are g0 stacks.
Running goroutines on other threads:
  "goroutine N gp=... m=M mp=... [running]:" + "\tgoroutine running on other thread;
  stack unavailable" + "created by ...". On a panic the runtime first tries to stop the
  world, so a preemptible goroutine shows up [runnable] with its stack; only one that
  cannot be preempted (GODEBUG=asyncpreemptoff=1 and a loop without calls) stays
  [running]. On a signal with GOTRACEBACK=crash every other thread is then sent SIGQUIT
  and prints its own section: "\n-----\n\nSIGQUIT: quit\nPC=0x... m=N sigcode=N\n\n"
  + "goroutine 0 ... [idle]:" or "goroutine N gp=... m=N mp=... [running]:" (with
  frames from the signal context and "created by"), then the thread's registers. A panic
  with GOTRACEBACK=crash does not do this: it raises SIGABRT on the panicking thread.
Noise to ignore: "timeout: the monitored command dumped core" and the like, when the dump
was captured through a wrapper.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional

# ---------------------------------------------------------------------------------------
# Names


def _pieces_old(name: str) -> str:
    """funcNamePiecesForPrint of Go 1.21 .. 1.26: everything from the first '[' to the
    last ']' becomes "[...]"."""
    i = name.find("[")
    if i < 0:
        return name
    j = name.rfind("]")  # the runtime scans back from the end (and would fault on none)
    if j <= i:
        return name
    return name[:i] + "[...]" + name[j + 1:]


def _pieces_127(name: str) -> str:
    """funcNamePiecesForPrint of Go 1.27: like before, but a generic method of a generic
    type ("pkg.T[shape].M[shape]") keeps the text between the two bracket groups."""
    i = name.find("[")
    if i < 0:
        return name
    j = name.rfind("]")  # the runtime scans back from the end (and would fault on none)
    if j <= i:
        return name
    interior = name[i + 1:j]
    if "[" not in interior:
        return name[:i] + "[...]" + name[j + 1:]
    depth = 1
    rbr = lbr = -1
    for k, c in enumerate(interior):  # the runtime ranges over runes; indexes agree on ASCII
        if c == "[":
            depth += 1
            if depth != 1:
                continue
            lbr = k
            break
        if c == "]":
            depth -= 1
            if depth < 0:
                break
            if depth != 0:
                continue
            rbr = k
    if depth == 1:
        if rbr >= 0 and lbr > rbr:
            return name[:i] + "[...]" + interior[rbr + 1:lbr] + "[...]" + name[j + 1:]
        if rbr == -1 and lbr == -1:
            return name[:i] + "[...]" + name[j + 1:]
    return name


def go_minor(go_version) -> Optional[int]:
    """27 for "go1.27.4", "1.27", "go1.27", 27; None if unknown."""
    if go_version is None:
        return None
    if isinstance(go_version, int):
        return go_version
    m = re.match(r"^(?:go)?1\.(\d+)", str(go_version))
    if m:
        return int(m.group(1))
    m = re.match(r"^(\d+)$", str(go_version))
    return int(m.group(1)) if m else None


def print_name(symbol_name: str, go_version=None) -> str:
    """The name the runtime prints for the function whose symbol name is symbol_name
    (runtime.printFuncName): runtime.gopanic is printed as "panic"; generic shape
    arguments are printed as "[...]". go_version (e.g. "go1.26.11", "1.27", 27) selects
    the release's rules; None means the newest, which differs from the older rules only
    for generic methods of generic types."""
    if symbol_name == "runtime.gopanic":
        return "panic"
    minor = go_minor(go_version)
    if minor is not None and minor < 27:
        return _pieces_old(symbol_name)
    return _pieces_127(symbol_name)


# ---------------------------------------------------------------------------------------
# Data


@dataclass
class Frame:
    function: str  # as printed ("panic", "main.(*box[...]).wait")
    args: str  # the text between the parentheses ("..." for inlined frames)
    file: str = ""
    line: int = 0
    offset: Optional[int] = None  # "+0x..": pc - function entry (physical frames)
    fp: Optional[int] = None
    sp: Optional[int] = None
    pc: Optional[int] = None
    inlined: bool = False  # printed with "(...)" and no offset


@dataclass
class CreatedBy:
    function: str
    goid: Optional[int]  # "in goroutine N"; None when not printed (parent id 0)
    file: str = ""
    line: int = 0
    offset: Optional[int] = None


@dataclass
class Ancestor:
    goid: int
    frames: List[Frame] = field(default_factory=list)
    elided: bool = False  # "...additional frames elided..."


@dataclass
class Elision:
    index: int  # number of frames printed before the "...N frames elided..." line
    count: int


@dataclass
class Goroutine:
    id: int
    state: str  # the whole text between "[" and "]"
    status: str  # state without the suffixes below: a wait reason or a status word
    gp: Optional[int] = None
    m: Optional[int] = None  # None: "m=nil" or not printed (see m_printed)
    m_printed: bool = False
    mp: Optional[int] = None
    wait_minutes: int = 0
    locked_to_thread: bool = False
    scan: bool = False
    leaked: bool = False
    durable: bool = False
    bubble: Optional[int] = None
    labels: Dict[str, str] = field(default_factory=dict)
    frames: List[Frame] = field(default_factory=list)
    elision: Optional[Elision] = None
    stack_unavailable: bool = False  # "goroutine running on other thread; stack unavailable"
    created_by: Optional[CreatedBy] = None
    ancestors: List[Ancestor] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)  # "runtime: ..." etc. inside the trace
    header: str = ""

    @property
    def is_g0(self) -> bool:
        return self.id == 0


@dataclass
class ThreadSection:
    """One "-----" section of a signal crash (or the first, signal-receiving thread)."""
    signal: str  # "SIGQUIT: quit"
    pc: Optional[int] = None
    m: Optional[int] = None
    sigcode: Optional[int] = None
    addr: Optional[int] = None
    goroutines: List[Goroutine] = field(default_factory=list)  # may include goroutine 0
    registers: Dict[str, int] = field(default_factory=dict)


@dataclass
class Dump:
    panics: List[str] = field(default_factory=list)  # "panic:" lines, outermost first
    fatal_error: Optional[str] = None
    signal: Optional[str] = None  # "SIGQUIT: quit" (the thread that got the signal)
    signal_info: Optional[str] = None  # "[signal SIGSEGV: ...]" of a panic
    preamble: List[str] = field(default_factory=list)  # every line before the first section
    runtime_messages: List[str] = field(default_factory=list)  # "runtime: ..." preamble lines
    overflow_stack: Optional[tuple] = None  # (sp, lo, hi) of "runtime: sp=... stack=[lo, hi]"
    first_thread: Optional[ThreadSection] = None  # the signal-receiving thread, if a signal
    goroutines: List[Goroutine] = field(default_factory=list)  # real goroutines, dump order
    g0_stacks: List[Goroutine] = field(default_factory=list)  # "runtime stack:", goroutine 0
    threads: List[ThreadSection] = field(default_factory=list)  # per-thread "-----" sections
    unparsed: List[str] = field(default_factory=list)

    def by_id(self) -> Dict[int, Goroutine]:
        return {g.id: g for g in self.goroutines}

    def thread_goroutine(self, goid: int) -> Optional[Goroutine]:
        """The per-thread section's copy of goroutine goid (its stack as seen from its
        own thread's signal context), if one was printed."""
        for t in self.threads:
            for g in t.goroutines:
                if g.id == goid and not g.stack_unavailable:
                    return g
        return None

    @property
    def goroot(self) -> Optional[str]:
        for g in self.goroutines + self.g0_stacks:
            for f in g.frames:
                i = f.file.find("/src/runtime/")
                if i > 0:
                    return f.file[:i]
        return None

    @property
    def go_minor(self) -> Optional[int]:
        """The release, guessed from the GOROOT of runtime frames (/usr/lib/go-1.NN)."""
        root = self.goroot
        m = re.search(r"go-?1\.(\d+)", root or "")
        return int(m.group(1)) if m else None


# ---------------------------------------------------------------------------------------
# Parsing

_HEADER = re.compile(
    r"^goroutine (\d+)"
    r"(?: gp=(0x[0-9a-f]+) m=(nil|\d+)(?: mp=(0x[0-9a-f]+))?)?"
    r" \[(.*):$")
_FILELINE = re.compile(
    r"^\t(.*):(\d+)(?: \+0x([0-9a-f]+))?"
    r"(?: fp=0x([0-9a-f]+) sp=0x([0-9a-f]+) pc=0x([0-9a-f]+))?\s*$")
_CREATED = re.compile(r"^created by (.+?)(?: in goroutine (\d+))?$")
_ELIDED = re.compile(r"^\.\.\.(\d+) frames elided\.\.\.$")
_ORIGIN = re.compile(r"^\[originating from goroutine (\d+)\]:$")
_SIGNAL = re.compile(r"^(SIG[A-Z0-9]+|signal \d+): (.*)$")
_PCLINE = re.compile(
    r"^PC=0x([0-9a-f]+) m=(\d+) sigcode=(-?\d+)(?: addr=0x([0-9a-f]+))?")
_REG = re.compile(r"^([a-z][a-z0-9]{1,5})\s+0x([0-9a-f]+)$")
_OVERFLOW = re.compile(r"^runtime: sp=0x([0-9a-f]+) stack=\[0x([0-9a-f]+), 0x([0-9a-f]+)\]")


def split_call(text: str):
    """"main.(*T).m(0x1, {0x2, 0x3})" -> ("main.(*T).m", "0x1, {0x2, 0x3}"); None if the
    line is not a call (does not end with a balanced parenthesised group)."""
    if not text.endswith(")"):
        return None
    depth = 0
    for k in range(len(text) - 1, -1, -1):
        c = text[k]
        if c == ")":
            depth += 1
        elif c == "(":
            depth -= 1
            if depth == 0:
                name = text[:k]
                if not name or name.startswith(("\t", " ")):
                    return None
                return name, text[k + 1:-1]
    return None


def _parse_labels(text: str) -> Dict[str, str]:
    """' {a: b, "c d": "e"}' -> {"a": "b", "c d": "e"}: the labels of a goroutine header,
    Go-quoted strings unquoted (JSON's rules, which agree for what labels usually hold)."""
    text = text.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return {}
    body = text[1:-1]
    out: Dict[str, str] = {}
    tokens: List[str] = []
    i = 0
    # tokenise into words, quoted strings, ':' and ','
    while i < len(body):
        c = body[i]
        if c in " ":
            i += 1
        elif c in ":,":
            tokens.append(c)
            i += 1
        elif c == '"':
            j = i + 1
            while j < len(body) and body[j] != '"':
                j += 2 if body[j] == "\\" else 1
            try:
                tokens.append(json.loads(body[i:j + 1]))
            except ValueError:
                tokens.append(body[i + 1:j])
            i = j + 1
        else:
            j = i
            while j < len(body) and body[j] not in ":, ":
                j += 1
            tokens.append(body[i:j])
            i = j
    k = 0
    while k + 2 < len(tokens) and tokens[k + 1] == ":":
        out[tokens[k]] = tokens[k + 2]
        k += 4  # key : value ,
    return out


def parse_header(line: str) -> Optional[Goroutine]:
    m = _HEADER.match(line)
    if not m:
        return None
    goid, gp, mm, mp, rest = m.groups()
    # rest: "STATE]" | "STATE] {LABELS}" (1.27) | "STATE labels:{LABELS}]" (1.26)
    k = rest.find(" labels:{")
    if k >= 0 and rest.endswith("}]"):
        state, labels = rest[:k], rest[k + len(" labels:"):-1]
    else:
        k = rest.find("]")
        if k < 0:
            return None
        state, labels = rest[:k], rest[k + 1:]
    g = Goroutine(id=int(goid), state=state, status=state, header=line)
    if gp:
        g.gp = int(gp, 16)
        g.m_printed = True
        g.m = None if mm == "nil" else int(mm)
        g.mp = int(mp, 16) if mp else None
    parts = state.split(", ")
    base = parts[0]
    for p in parts[1:]:
        mmin = re.match(r"^(\d+) minutes$", p)
        mb = re.match(r"^synctest bubble (\d+)$", p)
        if mmin:
            g.wait_minutes = int(mmin.group(1))
        elif p == "locked to thread":
            g.locked_to_thread = True
        elif mb:
            g.bubble = int(mb.group(1))
        else:  # not a known suffix: part of the reason (none has ", " today)
            base += ", " + p
    # Suffixes appended to the reason/status, in the order goroutineheader prints them:
    # " (leaked)", " (scan)", " (durable)". Some synctest wait reasons end in "(durable)"
    # themselves, so " (durable)" stays part of the status unless it follows another
    # suffix; g.durable says whether it is there at all.
    g.durable = base.endswith(" (durable)")
    if g.durable and base[: -len(" (durable)")].endswith((" (scan)", " (leaked)")):
        base = base[: -len(" (durable)")]
    if base.endswith(" (scan)"):
        g.scan = True
        base = base[: -len(" (scan)")]
    if base.endswith(" (leaked)"):
        g.leaked = True
        base = base[: -len(" (leaked)")]
    g.status = base
    g.labels = _parse_labels(labels)
    return g


class _Parser:
    def __init__(self, text: str):
        self.lines = text.splitlines()
        self.i = 0
        self.dump = Dump()
        self.section = None  # None: main dump; a ThreadSection after the first "-----"

    def peek(self, k=0) -> Optional[str]:
        j = self.i + k
        return self.lines[j] if j < len(self.lines) else None

    def run(self) -> Dump:
        d = self.dump
        self._preamble()
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line == "":
                self.i += 1
                continue
            if line == "-----":
                self.i += 1
                self._thread_section()
                continue
            if line == "runtime stack:":
                self.i += 1
                g = Goroutine(id=0, state="runtime stack", status="runtime stack", header=line)
                self._trace(g)
                d.g0_stacks.append(g)
                continue
            g = parse_header(line)
            if g is not None:
                self.i += 1
                self._trace(g)
                self._add(g)
                continue
            mreg = _REG.match(line)
            if mreg:
                regs = self.section.registers if self.section else (
                    d.first_thread.registers if d.first_thread else {})
                regs[mreg.group(1)] = int(mreg.group(2), 16)
                self.i += 1
                continue
            d.unparsed.append(line)
            self.i += 1
        return d

    def _add(self, g: Goroutine):
        if self.section is not None:
            self.section.goroutines.append(g)
        elif g.is_g0:
            self.dump.g0_stacks.append(g)
            if self.dump.first_thread is not None:
                self.dump.first_thread.goroutines.append(g)
        else:
            self.dump.goroutines.append(g)

    def _preamble(self):
        d = self.dump
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line == "runtime stack:" or _HEADER.match(line) or line == "-----":
                return
            d.preamble.append(line)
            self.i += 1
            if line.startswith("panic: "):
                d.panics.append(line[len("panic: "):])
            elif line.startswith("\tpanic: ") and d.panics:
                d.panics.append(line[len("\tpanic: "):])
            elif line.startswith("fatal error: "):
                d.fatal_error = line[len("fatal error: "):]
            elif line.startswith("[signal "):
                d.signal_info = line
            elif line.startswith("runtime: "):
                d.runtime_messages.append(line)
                mo = _OVERFLOW.match(line)
                if mo:
                    d.overflow_stack = tuple(int(x, 16) for x in mo.groups())
            elif _SIGNAL.match(line) and d.signal is None and not d.panics:
                d.signal = line
                d.first_thread = ThreadSection(signal=line)
            elif _PCLINE.match(line) and d.first_thread is not None and d.first_thread.pc is None:
                self._pcline(d.first_thread, line)

    @staticmethod
    def _pcline(t: ThreadSection, line: str):
        m = _PCLINE.match(line)
        t.pc = int(m.group(1), 16)
        t.m = int(m.group(2))
        t.sigcode = int(m.group(3))
        t.addr = int(m.group(4), 16) if m.group(4) else None

    def _thread_section(self):
        # "-----", "", "SIGQUIT: quit", "PC=... m=N sigcode=N", "", goroutine(s), registers
        while self.peek() == "":
            self.i += 1
        line = self.peek()
        if line is None:
            return
        t = ThreadSection(signal=line if _SIGNAL.match(line) else "")
        if _SIGNAL.match(line):
            self.i += 1
        if self.peek() is not None and _PCLINE.match(self.peek()):
            self._pcline(t, self.peek())
            self.i += 1
        self.dump.threads.append(t)
        self.section = t

    def _trace(self, g: Goroutine):
        """Frames, elision, created-by, ancestors, up to the blank line ending the block."""
        target = g.frames
        ancestor = None
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line == "" or line == "-----" or _HEADER.match(line) or line == "runtime stack:":
                return
            if _REG.match(line) and not line.startswith("\t"):
                return  # the registers after a signal-context trace
            if line == "\tgoroutine running on other thread; stack unavailable":
                g.stack_unavailable = True
                self.i += 1
                continue
            me = _ELIDED.match(line)
            if me:
                g.elision = Elision(index=len(g.frames), count=int(me.group(1)))
                self.i += 1
                continue
            if line == "...additional frames elided...":
                if ancestor is not None:
                    ancestor.elided = True
                else:
                    g.errors.append(line)
                self.i += 1
                continue
            mo = _ORIGIN.match(line)
            if mo:
                ancestor = Ancestor(goid=int(mo.group(1)))
                g.ancestors.append(ancestor)
                target = ancestor.frames
                self.i += 1
                continue
            mc = _CREATED.match(line)
            if mc:
                cb = CreatedBy(function=mc.group(1),
                               goid=int(mc.group(2)) if mc.group(2) else None)
                self.i += 1
                nxt = self.peek()
                mf = _FILELINE.match(nxt) if nxt is not None else None
                if mf:
                    cb.file, cb.line = mf.group(1), int(mf.group(2))
                    cb.offset = int(mf.group(3), 16) if mf.group(3) else None
                    self.i += 1
                g.created_by = cb
                continue
            call = split_call(line)
            nxt = self.peek(1)
            mf = _FILELINE.match(nxt) if nxt is not None else None
            if call and mf:
                fn, args = call
                f = Frame(function=fn, args=args, file=mf.group(1), line=int(mf.group(2)))
                if mf.group(3):
                    f.offset = int(mf.group(3), 16)
                if mf.group(4):
                    f.fp, f.sp, f.pc = (int(mf.group(k), 16) for k in (4, 5, 6))
                f.inlined = ancestor is None and args == "..." and f.offset is None
                target.append(f)
                self.i += 2
                continue
            if line == "non-Go function" and nxt is not None and nxt.startswith("\tat "):
                target.append(Frame(function="non-Go function", args="", file=nxt.strip()))
                self.i += 2
                continue
            g.errors.append(line)  # "runtime: ...", "stack: frame=...", hex dumps
            self.i += 1


def parse(text: str) -> Dump:
    """Parse the runtime's crash or SIGQUIT output (stderr of the process)."""
    return _Parser(text).run()


def parse_file(path: str) -> Dump:
    with open(path, encoding="utf-8", errors="replace") as f:
        return parse(f.read())


def to_json(d: Dump) -> dict:
    out = asdict(d)
    out["goroot"] = d.goroot
    return out


def _main(argv):
    import argparse
    ap = argparse.ArgumentParser(description="Parse a Go goroutine dump (crash/SIGQUIT output).")
    ap.add_argument("file", help="the dump ('-' for stdin)")
    ap.add_argument("--json", action="store_true", help="print the parsed dump as JSON")
    a = ap.parse_args(argv)
    text = sys.stdin.read() if a.file == "-" else open(a.file, encoding="utf-8",
                                                        errors="replace").read()
    d = parse(text)
    if a.json:
        json.dump(to_json(d), sys.stdout, indent=1)
        print()
        return 0
    print(f"panics={d.panics} fatal_error={d.fatal_error!r} signal={d.signal!r} "
          f"goroot={d.goroot}")
    print(f"{len(d.goroutines)} goroutines, {len(d.g0_stacks)} g0 stacks, "
          f"{len(d.threads)} thread sections, {len(d.unparsed)} unparsed lines")
    for g in d.goroutines:
        el = f" elided {g.elision.count} at {g.elision.index}" if g.elision else ""
        cb = f" created by {g.created_by.function}" if g.created_by else ""
        print(f"  {g.id:5d} [{g.status}]{' locked' if g.locked_to_thread else ''}"
              f"{' UNAVAILABLE' if g.stack_unavailable else ''} {len(g.frames)} frames{el}{cb}")
    for line in d.unparsed:
        print("  unparsed:", line)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
