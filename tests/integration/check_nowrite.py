#!/usr/bin/python3
"""Nothing is ever written: every `go` command in LLDB and GDB leaves a live process's memory,
registers and threads exactly as they were.

For each case (toolchain, build mode, fixture), CTest nowrite-go1.NN; by default the parked
and waits fixtures, built plain and in one other mode, a different one per toolchain
(other_mode: PIE, -N -l or stripped), to keep each toolchain's run near 30 s:
  1. `FIXTURE hang` (GOTRACEBACK=system, fixture_env) until READY and until none of its
     threads is running (best effort, noted), then SIGSTOP and wait until every thread
     (/proc/PID/task/*/stat) is in state T.
  2. A snapshot: /proc/PID/maps, and every mapping's bytes read through /proc/PID/mem (we are
     root, or the fixture's parent: ptrace access), each hashed (sha256). Writable mappings
     ('w' in perms) are the check; readable non-writable ones (text, rodata, vdso) are
     hashed too, so a breakpoint a debugger leaves behind shows. [vvar], [vvar_vclock] and
     [vsyscall] are skipped, PROT_NONE reservations are not readable, and pages that cannot
     be read are counted; all are reported, and a case that hashed nothing fails. With it,
     each thread's state, utime, stime and /proc/PID/task/TID/syscall (syscall number,
     arguments, sp and pc of a blocked thread).
  3. Four debugger runs, each a Python driver inside the debugger (LLDB_DRIVER, GDB_DRIVER):
       lldb bare    lldb-22 -b: process attach --pid; every thread's registers (all sets);
                    detach
       lldb plugin  the same, and between the two register reads: plugin load, then every
                    `go` command `help go` lists, each form its syntax allows (see
                    invocations(): text and --json, every option once, every alternative
                    of an option, IDs: goroutine 1, a parked user goroutine, a runtime
                    one, a syscall/running one where there is one, an id that does not
                    exist, and `all`)
       gdb bare     gdb -batch: attach, registers, detach
       gdb plugin   the same with `source go-gdb.py` and every command, then the values:
                    `go goroutine ID`, `bt full` (locals and arguments through the Go
                    pretty-printers), `info frame`, `go goroutine none` for three goroutines
     Before detaching, each driver asks the harness for a snapshot while the debugger still
     holds the process (every thread in ptrace stop, state t), then detaches leaving it
     stopped, and the harness takes another once the debugger has exited and every thread
     is back in T.
     With strace on the PATH (--strace), each debugger runs under it, and every call that
     could change the target is listed (audit): ptrace pokes and register sets, ptrace
     resumes, writes to /proc/PID/mem, process_vm_writev, signals sent to it.
  4. Each snapshot is compared with the one before the run: every mapping's hash must be
     equal, no mapping added, removed or resized; a difference names the mapping, the
     address and offset range and the bytes before and after. A plugin run's difference is
     set against the bare run of the same debugger, region by region (mapping and page): a
     page the bare debugger changes too is the debugger's own doing (noted, as every change
     a bare run makes is); any other page fails the case as a write by the plugin. So does
     any audited call (request and address) the bare run of that debugger does not make.
  5. Threads and registers: no thread added or gone; every thread's state and syscall line
     the same after each run, its CPU time at most CPU_TICKS_NOISE ticks more (see
     compare_threads: the kernel's own ptrace work is charged to the thread); the registers
     a driver read before the first `go` command equal those it read after the last one
     (every register set: general, floating point, vector), and each run's general
     registers (rip, rsp, rax..r15, eflags, fs_base) equal the first run's, thread by
     thread, and the sp and pc of /proc's syscall line.
  6. SIGCONT: every thread must leave state T; then SIGQUIT: the runtime's dump (exit 2)
     must equal the plugin's `go goroutines --json --frames all` from the LLDB and GDB runs
     (check_goroutines.compare, live rules): the process ran on from where it was.

Keeping the process stopped across a detach:
  * GDB attaches with PTRACE_ATTACH, stops each thread with SIGSTOPs of its own and
    detaches with PTRACE_DETACH and no signal ("get_detach_signal: no pending signal" in
    `set debug linux-nat 1`); it never sends SIGCONT, so the group stop is still in force
    and the kernel puts every thread back into it: the process stays stopped, with no
    setting needed. The harness checks it after every run.
  * LLDB refuses `process detach --keep-stopped true` on Linux ("Stays stopped not supported
    by this target": lldb-server lacks qSupportsDetachAndStayStopped), and lldb-server's
    NativeProcessLinux::Detach always sends kill(pid, SIGCONT) before PTRACE_DETACH ("Cancel
    out any SIGSTOPs we may have sent"), which ends the group stop: the process would run
    before the after-detach snapshot. So the LLDB runs have a small preload library
    (NOCONT_C, built here with the C++ build's compiler as C) that turns exactly that call,
    kill(fixture pid, SIGCONT), into a no-op and records it; PTRACE_DETACH then leaves the
    threads in the group stop, as with GDB. The driver still tries --keep-stopped first.
  * Either way the in-session snapshot does not depend on it: no thread can run while it
    is ptrace-stopped.
What the bare debuggers themselves change, as seen here (the plugin runs do the same, no
more):
  * LLDB's dynamic-loader plugin (DynamicLoaderPOSIXDYLD::DidAttach) plants an int3 (0xcc)
    at attach and takes it out at detach (PTRACE_POKEDATA twice): at ld.so's
    _dl_debug_state (the rendezvous breakpoint) in a dynamically linked (PIE) build, at the
    executable's entry point (_rt0_amd64_linux, ProbeEntry) in a static one. The in-session
    snapshot shows that one byte of text; the after-detach one nothing.
  * GDB clears every thread's debug control register at detach (PTRACE_POKEUSER of
    u_debugreg[7] := 0, no hardware watchpoints left behind), and in a PIE build writes its
    shared-library event breakpoint into ld.so's _dl_debug_state through /proc/PID/mem and
    puts the byte back before our in-session snapshot: only the syscall audit sees those.
The harness checks itself with --inject memory|register: the plugin runs then also write 8
bytes of a goroutine's stack or a thread's r12, and every case must fail naming that write.

Usage: check_nowrite.py --toolchain go1.26 [--build] [--modes plain,pie]
                        [--fixtures parked,waits] [--plugin ...] [--gdb-script ...]
Prints one PASS/FAIL line per case (with a line per debugger run: mappings and bytes
hashed, unreadable and skipped ranges, what differed) and "N passed, M failed"; exits 1 on
any failure.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_goroutines as cg  # noqa: E402
from check_goroutines import CaseError, Diffs  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = ["parked", "waits", "defers", "running", "syscalls", "sched"]
DEFAULT_FIXTURES = ["parked", "waits"]
PAGE = 4096
SKIP_PATHS = ("[vvar]", "[vvar_vclock]", "[vsyscall]")
GPRS = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11",
        "r12", "r13", "r14", "r15", "rip", "eflags", "fs_base"]
T_STOP = 10  # SIGSTOP until every thread is in T; a detach until it is back there
T_DEBUGGER = 240  # one debugger run
T_SNAPSHOT_WAIT = 120  # a driver waiting for the harness's in-session snapshot
BYTE_DIFF_PAGES = 64  # changed pages of a mapping told byte by byte (diff_snapshots)
CPU_TICKS_NOISE = 2  # ticks a thread's utime + stime may gain in one run (compare_threads)


def other_mode(minor: int) -> str:
    """The build mode next to plain for a toolchain: each in turn, so that across the
    toolchains every mode is covered (PIE: the dynamic loader and the load bias; noopt:
    every local visible to the printers; stripped: globals found without symbols)."""
    return ("pie", "noopt", "stripped")[minor % 3]


# ---------------------------------------------------------------------------------------
# The process: mappings, memory, threads.


class Mapping:
    __slots__ = ("start", "end", "perms", "path")

    def __init__(self, start, end, perms, path):
        self.start, self.end, self.perms, self.path = start, end, perms, path

    @property
    def key(self):
        return (self.start, self.end, self.perms, self.path)

    @property
    def writable(self) -> bool:
        return "w" in self.perms

    def label(self) -> str:
        return f"{self.perms} {self.start:#x}-{self.end:#x} {self.path or '[anon]'}"


def read_maps(pid: int) -> List[Mapping]:
    out = []
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            p = line.split(None, 5)
            a, b = (int(x, 16) for x in p[0].split("-"))
            out.append(Mapping(a, b, p[1], p[5].strip() if len(p) > 5 else ""))
    return out


class Snapshot:
    """Every readable mapping's bytes and sha256 (pages that cannot be read are zeros,
    their offsets in self.bad and in the hash); what was skipped, and why."""

    CHUNK = 1 << 20

    def __init__(self, pid: int):
        self.pid = pid
        self.maps = read_maps(pid)
        self.data: Dict[tuple, bytes] = {}
        self.digest: Dict[tuple, str] = {}
        self.bad: Dict[tuple, List[int]] = {}  # page offsets that could not be read
        self.skipped: List[Mapping] = []  # [vvar] and the like
        self.reserved: List[Mapping] = []  # no access at all (PROT_NONE)
        fd = os.open(f"/proc/{pid}/mem", os.O_RDONLY)
        try:
            for m in self.maps:
                if m.path in SKIP_PATHS:
                    self.skipped.append(m)
                elif not m.perms.startswith("r") and not m.writable:
                    self.reserved.append(m)
                else:
                    self._read(fd, m)
        finally:
            os.close(fd)

    def _read(self, fd, m: Mapping):
        buf = bytearray(m.end - m.start)
        bad = []
        off = 0
        while off < len(buf):
            n = min(self.CHUNK, len(buf) - off)
            try:
                got = os.pread(fd, n, m.start + off)
            except OSError:
                got = b""
            if len(got) == n:
                buf[off:off + n] = got
            else:  # page by page
                for p in range(off, off + n, PAGE):
                    try:
                        pg = os.pread(fd, PAGE, m.start + p)
                    except OSError:
                        pg = b""
                    if len(pg) == PAGE:
                        buf[p:p + PAGE] = pg
                    else:
                        bad.append(p)
            off += n
        data = bytes(buf)
        self.data[m.key] = data
        h = hashlib.sha256(data)
        h.update(repr(bad).encode())
        self.digest[m.key] = h.hexdigest()
        if bad:
            self.bad[m.key] = bad

    def stats(self) -> dict:
        w = [m for m in self.maps if m.key in self.data and m.writable]
        r = [m for m in self.maps if m.key in self.data and not m.writable]
        bad_w = sum(len(self.bad.get(m.key, ())) for m in w)
        bad_r = sum(len(self.bad.get(m.key, ())) for m in r)
        return {
            "writable": len(w),
            "writable_bytes": sum(m.end - m.start for m in w) - bad_w * PAGE,
            "readonly": len(r),
            "readonly_bytes": sum(m.end - m.start for m in r) - bad_r * PAGE,
            "unreadable_pages": bad_w + bad_r,
            "unreadable_writable_pages": bad_w,
            "skipped": [m.path for m in self.skipped],
            "reserved": len(self.reserved),
            "reserved_bytes": sum(m.end - m.start for m in self.reserved),
        }

    def summary(self) -> str:
        s = self.stats()
        return (f"{s['writable']} writable mappings {mb(s['writable_bytes'])} + {s['readonly']} "
                f"read-only {mb(s['readonly_bytes'])} hashed; {s['unreadable_pages']} pages "
                f"unreadable; skipped {' '.join(s['skipped']) or 'none'}; "
                f"{s['reserved']} PROT_NONE reservations ({mb(s['reserved_bytes'])}) not readable")


def mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100000 else f"{n} B"


class Change:
    """One difference between two snapshots: kind "bytes" (a range of one mapping),
    "added", "removed" (a mapping), "unreadable" (pages that became readable or not)."""

    def __init__(self, kind, m: Mapping, lo=0, hi=0, before=b"", after=b""):
        self.kind, self.m, self.lo, self.hi, self.before, self.after = kind, m, lo, hi, before, after

    def regions(self):
        """The (mapping, page) pairs it touches: the unit of attribution."""
        if self.kind != "bytes":
            return {(self.kind, self.m.key)}
        return {(self.m.key, p) for p in range(self.lo // PAGE * PAGE, self.hi, PAGE)}

    def text(self) -> str:
        where = self.m.label()
        if self.kind == "added":
            return f"mapping added: {where}"
        if self.kind == "removed":
            return f"mapping removed: {where}"
        if self.kind == "unreadable":
            return f"pages changed readability in {where}"
        n = self.hi - self.lo
        show = 16
        b, a = self.before[:show].hex(), self.after[:show].hex()
        more = "..." if n > show else ""
        return (f"{where}: {self.m.start + self.lo:#x}..{self.m.start + self.hi:#x} (offset "
                f"{self.lo:#x}+{n}): {b}{more} -> {a}{more}")


def diff_snapshots(a: Snapshot, b: Snapshot) -> List[Change]:
    """Every difference: mappings added or removed, and each changed byte range (exact in
    the first BYTE_DIFF_PAGES changed pages of a mapping, whole pages after them)."""
    changes: List[Change] = []
    amaps = {m.key: m for m in a.maps if m.key in a.data}
    bmaps = {m.key: m for m in b.maps if m.key in b.data}
    for k in sorted(set(amaps) - set(bmaps)):
        changes.append(Change("removed", amaps[k]))
    for k in sorted(set(bmaps) - set(amaps)):
        changes.append(Change("added", bmaps[k]))
    # Reservations and skipped mappings only by their place.
    akeys = {m.key for m in a.reserved + a.skipped}
    bkeys = {m.key for m in b.reserved + b.skipped}
    for m in [m for m in a.reserved + a.skipped if m.key not in bkeys]:
        changes.append(Change("removed", m))
    for m in [m for m in b.reserved + b.skipped if m.key not in akeys]:
        changes.append(Change("added", m))
    for k in sorted(set(amaps) & set(bmaps)):
        if a.digest[k] == b.digest[k]:
            continue
        m = amaps[k]
        if a.bad.get(k) != b.bad.get(k):
            changes.append(Change("unreadable", m))
        x, y = a.data[k], b.data[k]
        pages = [p for p in range(0, len(x), PAGE) if x[p:p + PAGE] != y[p:p + PAGE]]
        for n, p in enumerate(pages):
            end = min(p + PAGE, len(x))
            if n >= BYTE_DIFF_PAGES:  # beyond these, whole pages (a process that ran)
                last = changes[-1]
                if last.kind == "bytes" and last.m.key == k and last.hi == p:
                    last.hi = end
                else:
                    changes.append(Change("bytes", m, p, end, x[p:end], y[p:end]))
                continue
            i = p
            while i < end:
                if x[i] == y[i]:
                    i += 1
                    continue
                j = i
                while j < end and x[j] != y[j]:
                    j += 1
                # Merge with the previous range when it ends within 8 bytes.
                last = changes[-1] if changes else None
                if last and last.kind == "bytes" and last.m.key == k and i - last.hi <= 8:
                    last.hi = j
                    last.before, last.after = x[last.lo:j], y[last.lo:j]
                else:
                    changes.append(Change("bytes", m, i, j, x[i:j], y[i:j]))
                i = j
    return changes


def thread_stats(pid: int) -> Dict[int, dict]:
    """Per thread: state, utime, stime (clock ticks) and the syscall line."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for t in tids:
        try:
            with open(f"/proc/{pid}/task/{t}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/task/{t}/syscall") as f:
                sc = f.read().strip()
        except OSError:
            continue
        out[int(t)] = {"state": fields[0], "utime": int(fields[11]), "stime": int(fields[12]),
                       "syscall": sc}
    return out


def tracer_pid(pid: int) -> Optional[int]:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("TracerPid:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def states(stats: Dict[int, dict]) -> str:
    return "".join(s["state"] for _, s in sorted(stats.items()))


def wait_threads(pid: int, ok, timeout: float) -> Dict[int, dict]:
    """Re-read the threads until ok(stats) or the timeout; returns the last stats."""
    deadline = time.monotonic() + timeout
    while True:
        st = thread_stats(pid)
        if st and ok(st):
            return st
        if time.monotonic() > deadline:
            return st
        time.sleep(0.01)


def all_stopped(st) -> bool:
    return all(s["state"] == "T" for s in st.values())


def compare_threads(diffs: Diffs, what: str, before: Dict[int, dict], after: Dict[int, dict],
                    want_state: Optional[str] = "T"):
    """The same threads, each in want_state (T: group stop; t: held by a debugger), with the
    same syscall line (number, arguments, sp, pc), and CPU time that grew by at most
    CPU_TICKS_NOISE. Time is not exact proof either way: the kernel's own work for a thread
    at each ptrace stop, attach and detach adds to its runtime, and /proc splits the runtime
    between utime and stime in the proportion the tick sampled (cputime_adjust), so a
    thread that never left the kernel can gain a user tick; memory, registers and the
    syscall line are the proof, time catches a thread that ran for a while."""
    if set(before) != set(after):
        diffs.msg(f"{what}: threads changed: before {sorted(before)}, after {sorted(after)}")
    for tid in sorted(set(before) & set(after)):
        b, a = before[tid], after[tid]
        if want_state and a["state"] != want_state:
            diffs.msg(f"{what}: thread {tid} in state {a['state']}, not {want_state}")
        if b["syscall"] != a["syscall"]:
            diffs.msg(f"{what}: thread {tid} syscall line changed: {b['syscall']!r} -> "
                      f"{a['syscall']!r} (it ran)")
        grew = (a["utime"] + a["stime"]) - (b["utime"] + b["stime"])
        if grew > CPU_TICKS_NOISE or grew < 0:
            diffs.msg(f"{what}: thread {tid} CPU time changed by {grew} ticks (utime "
                      f"{b['utime']} -> {a['utime']}, stime {b['stime']} -> {a['stime']}): it ran")
        elif grew:
            diffs.note(f"{what}: thread {tid} utime {b['utime']} -> {a['utime']}, stime "
                       f"{b['stime']} -> {a['stime']} (the kernel's ptrace work, within "
                       f"{CPU_TICKS_NOISE} ticks)")


# ---------------------------------------------------------------------------------------
# What the drivers run: every command `help go` lists, every form its syntax allows.


def parse_command_list(help_text: str) -> List[str]:
    """The subcommands in `help go` (LLDB: "  bt  -- ...", GDB: "go bt -- ...")."""
    out = []
    for line in help_text.splitlines():
        m = re.match(r"^\s*(?:go\s+)?([a-z][a-z0-9_-]*)\s+--\s", line)
        if m and m.group(1) not in out:
            out.append(m.group(1))
    return out


def parse_syntax(help_text: str, cmd: str) -> Optional[str]:
    """The syntax of `go CMD` from its help: the "Syntax:" line and its continuations."""
    lines = help_text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^\s*Syntax:\s*(.*)$", line)
        if not m:
            continue
        parts = [m.group(1)]
        for nxt in lines[i + 1:]:
            if nxt.startswith((" ", "\t")) and nxt.strip().startswith("["):
                parts.append(nxt.strip())
            else:
                break
        s = " ".join(" ".join(parts).split())
        if s.startswith(f"go {cmd}"):
            return s
    return None


def syntax_groups(syntax: str, cmd: str) -> Tuple[List[str], List[Tuple[str, Optional[str]]]]:
    """(positional tokens, options as (name, argument placeholder or None)) of a syntax
    like "go bt ID|all [--frames N] [--json] [--output FILE]"; a bracketed positional
    ("[ID...]") is kept with its brackets."""
    rest = syntax[len(f"go {cmd}"):].strip()
    tokens, depth, cur = [], 0, ""
    for ch in rest:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == " " and depth == 0:
            if cur:
                tokens.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        tokens.append(cur)
    positional, options = [], []
    for t in tokens:
        body = t[:-3] if t.endswith("...") else t
        if body.startswith("[--") and body.endswith("]"):
            inner = body[1:-1].split(None, 1)
            options.append((inner[0][2:], inner[1] if len(inner) > 1 else None))
        else:
            positional.append(t)
    return positional, options


# The commands that read Go values: without DWARF (a stripped build) each says so.
VALUES_COMMANDS = {"print", "locals", "args"}


def option_values(arg: str, ids: List[str]) -> Optional[List[str]]:
    """Values to give an option whose placeholder is arg; None: no idea (noted)."""
    fixed = {"N": ["2"], "N|all": ["2", "all"], "S": ["waiting"], "TEXT": ["main."],
             "KEY[=VALUE]": ["kind", "kind=labelled"], "ID": ids[:1],
             "N|FUNCTION": ["0", "main.main"], "N|FUNCTION|all": ["0", "main.main", "all"]}
    if arg in fixed:
        return fixed[arg]
    if re.fullmatch(r"[a-z][a-z-]*(\|[a-z][a-z-]*)+", arg):
        return arg.split("|")
    return None


def invocations(cmd: str, syntax: str, ids: List[str], outfile: str) -> Tuple[List[str], List[str]]:
    """Every form of `go CMD` to run: ([command lines], [notes on what could not be formed]).
    ids: real goroutine ids (the first a parked user goroutine), then one that does not
    exist. Each form runs as text and with --json (where the syntax has --json)."""
    positional, options = syntax_groups(syntax, cmd)
    notes = []
    names = {n for n, _ in options}
    pos_choices: List[str] = [""]
    for p in positional:
        if p == "ID|all":
            pos_choices = ids + ["all"]
        elif p == "ID":
            pos_choices = list(ids)
        elif p in ("[ID...]", "[ID]..."):
            pos_choices = ["", ids[0], " ".join(ids[:2]), ids[-1]]
        elif p == "N|FUNCTION":  # go frame
            pos_choices = ["0", "main.main"]
        elif p == "[N]":  # go up, go down
            pos_choices = ["", "1"]
        elif p == "EXPR":
            # Go values: runtime globals every program has (go print reads, never calls).
            pos_choices = ["runtime.sched", shlex.quote("len(runtime.allgs)")]
        else:
            notes.append(f"go {cmd}: positional {p!r} not understood; run without it")
    main = "all" if "all" in pos_choices else pos_choices[0]
    forms: List[str] = [f"go {cmd} {p}".rstrip() for p in pos_choices]
    for name, arg in options:
        if name in ("json", "output"):
            continue
        if arg is None:
            forms.append(f"go {cmd} {main} --{name}")
            continue
        vals = option_values(arg, ids)
        if vals is None:
            notes.append(f"go {cmd}: no value known for --{name} {arg}; not run")
            continue
        for v in vals:
            forms.append(f"go {cmd} {main} --{name} {shlex.quote(v)}")
    out = []
    for f in forms:
        f = " ".join(f.split())
        out.append(f)
        if "json" in names:
            out.append(f + " --json")
    if "output" in names:
        out.append(" ".join(f"go {cmd} {main} --output {shlex.quote(outfile)}".split()))
        if "json" in names:
            out.append(" ".join(f"go {cmd} {main} --json --output {shlex.quote(outfile)}".split()))
    return out, notes


def pick_ids(goroutines_json: dict) -> List[str]:
    """Goroutine 1, a parked user goroutine, a runtime one, one in a syscall or running
    where there is one, and an id no goroutine has; the parked user goroutine first."""
    gs = goroutines_json.get("goroutines") or []
    picks: List[int] = []

    def add(g):
        if g and g["id"] not in picks:
            picks.append(g["id"])

    def user(g):
        return any(not (f.get("function") or "").startswith("runtime.") for f in g.get("frames") or [])

    add(next((g for g in gs if g["id"] != 1 and g.get("status") == "waiting" and user(g)), None))
    add(next((g for g in gs if g["id"] == 1), None))
    add(next((g for g in gs if g.get("status") == "waiting" and not user(g)), None))
    add(next((g for g in gs if g.get("status") in ("syscall", "running", "runnable")), None))
    ids = [str(i) for i in picks]
    ids.append(str(max([g["id"] for g in gs] + [0]) + 100000))
    return ids


# ---------------------------------------------------------------------------------------
# The drivers (run inside the debuggers). Both read a JSON config (path in argv-less form:
# the GOINSPECT_NOWRITE_CONFIG environment variable), import this file for the shared
# parts, and write a JSON result.

DRIVER_COMMON = r'''
import json, os, sys, time, traceback
CFG = json.load(open(os.environ["GOINSPECT_NOWRITE_CONFIG"]))
sys.path.insert(0, CFG["here"])
import check_nowrite as nw
RESULT = {"commands": [], "notes": [], "errors": []}

def snapshot_in_session():
    """Ask the harness for its snapshot while we hold the process; wait for it."""
    with open(CFG["request"], "w") as f:
        f.write("snapshot\n")
    deadline = time.monotonic() + CFG["snapshot_wait"]
    while not os.path.exists(CFG["done"]):
        if time.monotonic() > deadline:
            RESULT["errors"].append("the harness took no in-session snapshot")
            return
        time.sleep(0.01)

def exercise(run):
    """Every go command in every form; run(cmd) -> (ok, output, error)."""
    ok, out, err = run("help go")
    cmds = nw.parse_command_list(out)
    RESULT["subcommands"] = cmds
    if not cmds:
        RESULT["errors"].append("help go lists no commands: " + (out + err)[-300:])
        return []
    gj = CFG["work"] + "/" + CFG["tag"] + "-goroutines.json"
    ok, out, err = run('go goroutines --json --frames all --output "%s"' % gj)
    RESULT["commands"].append({"cmd": "go goroutines --json --frames all --output F", "ok": ok,
                               "bytes": os.path.getsize(gj) if os.path.exists(gj) else 0,
                               "error": err[-300:]})
    try:
        ids = nw.pick_ids(json.load(open(gj)))
    except Exception as e:
        RESULT["errors"].append("no goroutine list: %s %s" % (e, err[-300:]))
        ids = ["1", "999999"]
    RESULT["ids"] = ids
    for c in cmds:
        ok, hout, herr = run("help go " + c)
        syntax = nw.parse_syntax(hout, c)
        if syntax is None:
            RESULT["errors"].append("no syntax in 'help go %s': %s" % (c, (hout + herr)[-300:]))
            continue
        forms, notes = nw.invocations(c, syntax, ids, CFG["work"] + "/" + CFG["tag"] + "-out.txt")
        RESULT["notes"].extend(notes)
        for f in forms:
            t0 = time.monotonic()
            ok, out, err = run(f)
            RESULT["commands"].append({"cmd": f, "sub": c, "json": "--json" in f.split(),
                                       "ok": ok, "bytes": len(out), "error": err.strip()[-300:],
                                       "secs": round(time.monotonic() - t0, 3)})
    return ids

TRANSCRIPT = open(CFG["work"] + "/" + CFG["tag"] + "-transcript.txt", "w")

def logged(run):
    """run, with every command and its answer kept in the case's transcript."""
    def inner(cmd):
        ok, out, err = run(cmd)
        TRANSCRIPT.write("$ %s\n%s%s%s" % (cmd, out, err, "" if (out + err).endswith("\n") else "\n"))
        return ok, out, err
    return inner

def inject_target():
    """--inject (the harness's self-check): 8 bytes inside a goroutine's stack, below its
    sp, in memory the harness hashes."""
    g = json.load(open(CFG["work"] + "/" + CFG["tag"] + "-goroutines.json"))["goroutines"][0]
    return int(g["stack"]["lo"], 16) + 0x40

def finish():
    TRANSCRIPT.close()
    with open(CFG["result"], "w") as f:
        json.dump(RESULT, f, indent=1)
'''

LLDB_DRIVER = DRIVER_COMMON + r'''
import lldb

def __lldb_init_module(debugger, internal_dict):
    try:
        main(debugger)
    except Exception:
        RESULT["errors"].append("driver: " + traceback.format_exc()[-1500:])
    finally:
        finish()

def main(debugger):
    ci = debugger.GetCommandInterpreter()

    @logged
    def run(cmd):
        r = lldb.SBCommandReturnObject()
        ci.HandleCommand(cmd, r)
        return bool(r.Succeeded()), r.GetOutput() or "", r.GetError() or ""

    ok, out, err = run("process attach --pid %d" % CFG["pid"])
    proc = debugger.GetSelectedTarget().GetProcess()
    if not ok or not proc.IsValid() or proc.GetState() != lldb.eStateStopped:
        RESULT["errors"].append("attach failed: " + (out + err)[-500:])
        return

    def regs():
        res = {}
        for t in proc:
            f = t.GetFrameAtIndex(0)
            d = {}
            for rs in f.GetRegisters():
                for r in rs:
                    d[r.GetName()] = r.GetValue()
            res[str(t.GetThreadID())] = d
        return res

    RESULT["regs_before"] = regs()
    if CFG["kind"] == "plugin":
        ok, out, err = run('plugin load "%s"' % CFG["plugin"])
        if not ok:
            RESULT["errors"].append("plugin load failed: " + (out + err)[-500:])
        else:
            exercise(run)
            if CFG.get("inject") == "memory":
                e = lldb.SBError()
                proc.WriteMemory(inject_target(), b"\x5a" * 8, e)  # gdb writes 0xa5
                RESULT["notes"].append("injected a memory write: %s" % (e.GetCString() or "ok"))
            elif CFG.get("inject") == "register":
                frame = proc.GetThreadAtIndex(0).GetFrameAtIndex(0)
                ok = frame.FindRegister("r12").SetValueFromCString("0x5a5a5a5a")
                RESULT["notes"].append("injected a register write: %s" % ok)
    RESULT["regs_after"] = regs()
    snapshot_in_session()
    ok, out, err = run("process detach --keep-stopped true")
    RESULT["detach"] = "process detach --keep-stopped true"
    if not ok:
        RESULT["notes"].append("process detach --keep-stopped true: " + err.strip())
        ok, out, err = run("process detach")
        RESULT["detach"] = "process detach"
        if not ok:
            RESULT["errors"].append("detach failed: " + (out + err)[-500:])
'''

GDB_DRIVER = DRIVER_COMMON + r'''
import gdb

@logged
def run(cmd):
    try:
        return True, gdb.execute(cmd, to_string=True) or "", ""
    except Exception as e:
        return False, "", "%s: %s" % (type(e).__name__, e)

def regs():
    res = {}
    inf = gdb.selected_inferior()
    for t in sorted(inf.threads(), key=lambda t: t.num):
        t.switch()
        f = gdb.newest_frame()
        d = {}
        for r in f.architecture().registers():
            try:
                d[r.name] = str(f.read_register(r))
            except Exception as e:
                d[r.name] = "<%s>" % e
        res[str(t.ptid[1])] = d
    return res

def main():
    ok, out, err = run("attach %d" % CFG["pid"])
    if not ok:
        RESULT["errors"].append("attach failed: " + err[-500:])
        return
    RESULT["regs_before"] = regs()
    if CFG["kind"] == "plugin":
        ok, out, err = run("source %s" % CFG["gdb_script"])
        if not ok or "could not be loaded" in out:
            RESULT["errors"].append("source go-gdb.py failed: " + (out + err)[-500:])
        else:
            ids = exercise(run)
            # The values: each goroutine's frames with their locals and arguments, through
            # the Go pretty-printers.
            for goid in [i for i in ids[:-1]][:3]:
                for c in ("go goroutine %s" % goid, "bt full", "info frame", "go goroutine none"):
                    t0 = time.monotonic()
                    ok, out, err = run(c)
                    RESULT["commands"].append({"cmd": c, "sub": "values", "json": False, "ok": ok,
                                               "bytes": len(out), "error": err.strip()[-300:],
                                               "secs": round(time.monotonic() - t0, 3)})
            if CFG.get("inject") == "memory":
                gdb.selected_inferior().write_memory(inject_target(), b"\xa5" * 8)
                RESULT["notes"].append("injected a memory write")
            elif CFG.get("inject") == "register":
                RESULT["notes"].append("injected a register write: %s" % (run("set $r12 = 0xa5a5a5a5"),))
    RESULT["regs_after"] = regs()
    snapshot_in_session()
    ok, out, err = run("detach")
    RESULT["detach"] = "detach"
    if not ok:
        RESULT["errors"].append("detach failed: " + err[-500:])

try:
    main()
except Exception:
    RESULT["errors"].append("driver: " + traceback.format_exc()[-1500:])
finally:
    finish()
'''

# LLDB's lldb-server sends kill(pid, SIGCONT) before it detaches, ending the group stop
# (see the module's docstring). Preloaded into lldb-22 and so into the lldb-server it starts,
# this turns that one call into a no-op and records it.
NOCONT_C = r'''
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>
int kill(pid_t pid, int sig) {
  static int (*real)(pid_t, int);
  const char *p = getenv("GOINSPECT_NOCONT_PID");
  if (sig == SIGCONT && p && pid == (pid_t)atol(p)) {
    const char *m = getenv("GOINSPECT_NOCONT_MARK");
    if (m) {
      int fd = open(m, O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        if (write(fd, "SIGCONT\n", 8) < 0) {}
        close(fd);
      }
    }
    return 0;
  }
  if (!real) real = (int (*)(pid_t, int))dlsym(RTLD_NEXT, "kill");
  return real(pid, sig);
}
'''


def build_nocont(cc: str, dest_dir: str) -> str:
    src = os.path.join(dest_dir, "nocont.c")
    so = os.path.join(dest_dir, "nocont.so")
    with open(src, "w") as f:
        f.write(NOCONT_C)
    argv = shlex.split(cc) + ["-x", "c", "-shared", "-fPIC", "-O2", "-o", so, src, "-ldl"]
    rc, out, err = cg.run_bounded(argv, 120)
    if rc != 0 or not os.path.exists(so):
        raise CaseError(f"could not build the no-SIGCONT preload ({' '.join(argv)}): "
                        + (out + err).decode("utf-8", "replace")[-800:])
    return so


# ---------------------------------------------------------------------------------------


def reg_int(v) -> Optional[int]:
    """A register value as the drivers wrote it ("0x...", "123", or GDB's "[ IF ZF ]" for
    eflags, which is compared as text): an int, or None."""
    if v is None:
        return None
    s = str(v).strip().split()[0] if str(v).strip() else ""
    try:
        return int(s, 0) & 0xFFFFFFFFFFFFFFFF  # GDB prints rax and the like signed
    except ValueError:
        return None


def gprs(regs: dict) -> Dict[str, Dict[str, object]]:
    out = {}
    for tid, d in (regs or {}).items():
        g = {}
        for name in GPRS:
            if name in d:
                iv = reg_int(d[name])
                g[name] = iv if iv is not None else d[name]
        out[tid] = g
    return out


# The syscall audit: with strace on the PATH, each debugger runs under it (LLDB with -f: its
# ptrace calls are lldb-server's), and every call that could change the target is listed:
# ptrace pokes and register sets, writes to /proc/PID/mem, process_vm_writev, ptrace
# resumes, and signals sent to it. Unlike the snapshots it also sees a write put back before
# the snapshot, and a register write.
AUDIT_SYSCALLS = ("trace=ptrace,process_vm_writev,pwrite64,pwritev,pwritev2,write,writev,"
                  "kill,tkill,tgkill,rt_sigqueueinfo,rt_tgsigqueueinfo")
_PTRACE_CHANGES = re.compile(r"^PTRACE_(POKE\w+|SET(?!OPTIONS)\w+|ARCH_PRCTL|CONT|SYSCALL|"
                             r"SINGLESTEP|SINGLEBLOCK|SYSEMU\w*|LISTEN)$")


def audit_argv(strace: str, dbg: str, log: str) -> List[str]:
    # GDB does its own ptrace; under -f its ptrace self-test child could not be traced by it.
    return ([strace] + (["-f"] if dbg == "lldb" else []) +
            ["--seccomp-bpf", "-qq", "-y", "-e", AUDIT_SYSCALLS, "-e", "signal=none", "-o", log])


def parse_audit(text: str, pid: int, tids) -> List[Tuple[tuple, str]]:
    """(key, line) for each call in an strace log that changed, resumed or signalled the
    target (pid, tids). key identifies the change across runs (request and address or
    register offset; signal), without the thread."""
    ids = {str(pid)} | {str(t) for t in tids}
    out = []
    for line in text.splitlines():
        body = re.sub(r"^\d+\s+", "", line.strip())
        m = re.match(r"ptrace\((PTRACE_\w+), (\d+)(?:, (.*?))?(?:\)\s+=|\s*<unfinished|\)$)", body)
        if m:
            if m.group(2) in ids and _PTRACE_CHANGES.match(m.group(1)):
                # A poke's address or user-area offset (all but the last argument, the data).
                arg = None
                if m.group(1).startswith("PTRACE_POKE"):
                    arg = (m.group(3) or "").rsplit(", ", 1)[0]
                out.append(((m.group(1), arg), body))
            continue
        m = re.match(r"(pwrite64|pwritev2?|write|writev)\(\d+</proc/(\d+)(?:/task/\d+)?/mem>"
                     r"(?:, .*?, \d+, (\d+))?", body)
        if m:
            if m.group(2) in ids:
                out.append(((m.group(1) + " /proc/PID/mem", m.group(3)), body))
            continue
        m = re.match(r"process_vm_writev\((\d+),", body)
        if m:
            if m.group(1) in ids:
                out.append((("process_vm_writev", None), body))
            continue
        m = re.match(r"(kill|tkill)\((\d+), (\w+)", body) or \
            re.match(r"(tgkill|rt_sigqueueinfo|rt_tgsigqueueinfo)\((\d+), (?:\d+, )?(\w+)", body)
        if m and m.group(2) in ids and m.group(3) != "0":
            out.append(((m.group(1), m.group(3)), body))
    return out


def audit_text(entries: List[Tuple[tuple, str]], limit: int = 4) -> str:
    if not entries:
        return "none"
    counts: Dict[tuple, int] = {}
    first: Dict[tuple, str] = {}
    for k, line in entries:
        counts[k] = counts.get(k, 0) + 1
        first.setdefault(k, line)
    parts = [f"{first[k]}{f' (x{n})' if n > 1 else ''}" for k, n in list(counts.items())[:limit]]
    more = f" (+{len(counts) - limit} more kinds)" if len(counts) > limit else ""
    return "; ".join(parts) + more


class Run:
    """One debugger run's results."""

    def __init__(self, dbg, kind):
        self.dbg, self.kind = dbg, kind
        self.name = f"{dbg} {kind}"
        self.result: dict = {}
        self.in_session: Optional[Snapshot] = None
        self.in_threads: Dict[int, dict] = {}
        self.after: Optional[Snapshot] = None
        self.after_threads: Dict[int, dict] = {}
        self.changes_in: List[Change] = []
        self.changes_after: List[Change] = []
        self.secs = 0.0
        self.nocont = 0
        self.audit: Optional[List[Tuple[tuple, str]]] = None  # None: no strace


class NowriteRunner(cg.Runner):
    def __init__(self, args):
        super().__init__(args)
        self.script = args.gdb_script
        self.nocont_so = None

    # -- debugger runs ---------------------------------------------------------------------

    def run_debugger(self, dbg: str, kind: str, pid: int, work: str) -> Run:
        r = Run(dbg, kind)
        tag = f"{dbg}-{kind}"
        files = {n: os.path.join(work, f"{tag}.{n}") for n in ("request", "done", "result", "mark")}
        for p in files.values():
            if os.path.exists(p):
                os.unlink(p)
        cfg = {"pid": pid, "kind": kind, "here": HERE, "work": work, "tag": tag,
               "plugin": self.plugin, "gdb_script": self.script,
               "request": files["request"], "done": files["done"], "result": files["result"],
               "snapshot_wait": T_SNAPSHOT_WAIT,
               "inject": self.args.inject if kind == "plugin" else None}
        cfg_path = os.path.join(work, f"{tag}.config.json")
        with open(cfg_path, "w") as f:
            json.dump(cfg, f)
        env = dict(os.environ, GOINSPECT_NOWRITE_CONFIG=cfg_path)
        if dbg == "lldb":
            driver = os.path.join(work, "nowrite_lldb_driver.py")
            with open(driver, "w") as f:
                f.write(LLDB_DRIVER)
            argv = [os.environ.get("GOINSPECT_LLDB", "lldb-22"), "--no-lldbinit", "-b",
                    "-o", f'command script import "{driver}"']
            env.update(LD_PRELOAD=self.nocont_so, GOINSPECT_NOCONT_PID=str(pid),
                       GOINSPECT_NOCONT_MARK=files["mark"])
        else:
            driver = os.path.join(work, "nowrite_gdb_driver.py")
            with open(driver, "w") as f:
                f.write(GDB_DRIVER)
            argv = [os.environ.get("GOINSPECT_GDB", "gdb"), "-nx", "-batch",
                    "-ex", "set pagination off", "-ex", "set width 0", "-ex", "set confirm off",
                    "-ex", f"source {driver}"]
        audit_log = os.path.join(work, f"{tag}.strace")
        if self.args.strace:
            argv = audit_argv(self.args.strace, dbg, audit_log) + argv
        log_path = os.path.join(work, f"{tag}.log")
        t0 = time.monotonic()
        with open(log_path, "wb") as log:
            p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env,
                                 start_new_session=True, preexec_fn=cg._die_with_parent)
            deadline = time.monotonic() + T_DEBUGGER
            while True:
                if r.in_session is None and os.path.exists(files["request"]):
                    r.in_threads = thread_stats(pid)
                    r.in_session = Snapshot(pid)
                    open(files["done"], "w").close()
                if p.poll() is not None:
                    break
                if time.monotonic() > deadline:
                    cg._kill_group(p)
                    raise CaseError(f"{r.name}: did not finish within {T_DEBUGGER}s (killed); "
                                    f"log {log_path}")
                time.sleep(0.01)
        r.secs = time.monotonic() - t0
        rc = p.returncode
        if os.path.exists(files["result"]):
            with open(files["result"]) as f:
                r.result = json.load(f)
        if os.path.exists(files["mark"]):
            with open(files["mark"]) as f:
                r.nocont = f.read().count("SIGCONT")
        with open(log_path, "rb") as f:
            log_text = f.read().decode("utf-8", "replace")
        if rc != 0 or not r.result:
            raise CaseError(f"{r.name}: exited {rc}{'' if r.result else ', no driver result'}: "
                            + log_text[-800:])
        if r.result.get("errors"):
            raise CaseError(f"{r.name}: " + " | ".join(r.result["errors"]))
        if r.in_session is None:
            raise CaseError(f"{r.name}: the driver never asked for the in-session snapshot")
        # Back in the group stop, no tracer.
        st = wait_threads(pid, lambda s: all_stopped(s) and tracer_pid(pid) == 0, T_STOP)
        if not all_stopped(st) or tracer_pid(pid) != 0:
            how = ("" if dbg != "lldb" else
                   f" (LLDB's SIGCONT at detach {'was' if r.nocont else 'was NOT'} held back)")
            raise CaseError(f"{r.name}: after detach the process is not stopped: states "
                            f"{states(st)}, tracer {tracer_pid(pid)}{how}; the memory "
                            f"after it cannot be compared")
        r.after_threads = st
        r.after = Snapshot(pid)
        if self.args.strace:
            if not os.path.exists(audit_log):
                raise CaseError(f"{r.name}: strace wrote no log {audit_log}")
            with open(audit_log, errors="replace") as f:
                r.audit = parse_audit(f.read(), pid, st)
        return r

    # -- checks ----------------------------------------------------------------------------

    def check_run(self, diffs: Diffs, r: Run, before: Snapshot, before_threads, first_gprs):
        """Checks one run; returns (registers compared, the general registers every later
        run must have: the first run's, read before anything else touched the process)."""
        r.changes_in = diff_snapshots(before, r.in_session)
        r.changes_after = diff_snapshots(before, r.after)
        compare_threads(diffs, f"{r.name}, in session", before_threads, r.in_threads, "t")
        compare_threads(diffs, f"{r.name}, after detach", before_threads, r.after_threads, "T")
        rb, ra = r.result.get("regs_before") or {}, r.result.get("regs_after") or {}
        if not rb or set(rb) != set(ra):
            diffs.msg(f"{r.name}: registers not read for every thread before and after "
                      f"({sorted(rb)} / {sorted(ra)})")
        nregs = 0
        for tid in sorted(set(rb) & set(ra)):
            for name in sorted(set(rb[tid]) | set(ra[tid])):
                nregs += 1
                if rb[tid].get(name) != ra[tid].get(name):
                    diffs.msg(f"{r.name}: thread {tid} register {name} changed during the "
                              f"session: {rb[tid].get(name)!r} -> {ra[tid].get(name)!r}")
        g = gprs(rb)
        if set(int(t) for t in g) != set(before_threads):
            diffs.msg(f"{r.name}: the debugger's threads {sorted(g)} are not the process's "
                      f"{sorted(before_threads)}")
        for tid, regs in g.items():
            sc = (before_threads.get(int(tid)) or {}).get("syscall", "").split()
            if len(sc) >= 3 and sc[0] != "running":
                sp, pc = int(sc[-2], 16), int(sc[-1], 16)
                if regs.get("rsp") != sp or regs.get("rip") != pc:
                    diffs.msg(f"{r.name}: thread {tid} rsp/rip {regs.get('rsp')!r}/"
                              f"{regs.get('rip')!r} are not /proc's syscall sp/pc {sp:#x}/{pc:#x}")
            if first_gprs is not None and tid in first_gprs:
                for name, v in regs.items():
                    pv = first_gprs[tid].get(name)
                    if isinstance(v, int) and isinstance(pv, int) and v != pv:
                        diffs.msg(f"{r.name}: thread {tid} {name} {v:#x} differs from the "
                                  f"first run's {pv:#x}")
        return nregs, g if first_gprs is None else first_gprs

    def attribute(self, diffs: Diffs, plugin: Run, bare: Run):
        """A plugin run's changes against the bare run's, region by region."""
        for phase, pch, bch in (("in session", plugin.changes_in, bare.changes_in),
                                ("after detach", plugin.changes_after, bare.changes_after)):
            bare_regions = set()
            for c in bch:
                bare_regions |= c.regions()
            for c in pch:
                if c.regions() <= bare_regions:
                    diffs.note(f"{plugin.name} {phase}: {c.text()} -- the bare {bare.dbg} "
                               f"changes the same (the debugger's own)")
                else:
                    diffs.msg(f"{plugin.name} {phase}: WRITE not made by the bare "
                              f"{bare.dbg}: {c.text()}")

    def attribute_audit(self, diffs: Diffs, plugin: Run, bare: Run):
        """The calls a plugin run made that changed, resumed or signalled the target, set
        against the bare run's: any kind of call (request and address) the bare debugger
        does not make is the plugin's doing."""
        if plugin.audit is None or bare.audit is None:
            return
        bare_keys = {k for k, _ in bare.audit}
        for k, line in plugin.audit:
            if k not in bare_keys:
                diffs.msg(f"{plugin.name}: a call the bare {bare.dbg} does not make: {line}")

    def describe(self, r: Run, nregs: int) -> str:
        def ch(changes):
            if not changes:
                return "equal"
            w = [c for c in changes if "w" in c.m.perms]
            txt = "; ".join(c.text() for c in changes[:3])
            more = f" (+{len(changes) - 3} more)" if len(changes) > 3 else ""
            return f"{len(changes)} differences ({len(w)} in writable mappings): {txt}{more}"

        s = r.in_session.stats()
        cmds = r.result.get("commands") or []
        failed = sum(1 for c in cmds if not c["ok"])
        extra = ""
        if r.kind == "plugin":
            extra = f"; {len(cmds)} commands run ({failed} answered with an error)"
        if r.dbg == "lldb":
            extra += f"; {r.result.get('detach')}" + (", LLDB's SIGCONT held back" if r.nocont else "")
        if r.audit is not None:
            extra += f"; calls that change the target: {audit_text(r.audit)}"
        return (f"{r.name} ({r.secs:.1f}s): {s['writable']} writable mappings, "
                f"{mb(s['writable_bytes'])}, + {s['readonly']} read-only {mb(s['readonly_bytes'])}; "
                f"{s['unreadable_pages']} unreadable pages; in session {ch(r.changes_in)}; "
                f"after detach {ch(r.changes_after)}; {len(r.after_threads)} threads, "
                f"{nregs} registers{extra}")

    def check_commands(self, diffs: Diffs, r: Run, lldb_cmds: Optional[List[str]]):
        subs = r.result.get("subcommands") or []
        if lldb_cmds is not None and subs != lldb_cmds:
            diffs.msg(f"{r.name}: help go lists {subs}, LLDB's {lldb_cmds}")
        cmds = r.result.get("commands") or []
        for sub in subs:
            for js in (False, True):
                mine = [c for c in cmds if c.get("sub") == sub and c.get("json") == js]
                # Go values need DWARF: on a stripped build they must all say so instead.
                if mine and sub in VALUES_COMMANDS and all("has no DWARF" in (c.get("error") or "") for c in mine):
                    diffs.note(f"{r.name}: 'go {sub}' needs DWARF, which this build has not")
                    continue
                if mine and not any(c["ok"] for c in mine):
                    diffs.msg(f"{r.name}: every 'go {sub}'{' --json' if js else ''} failed, e.g. "
                              f"{mine[0]['cmd']}: {mine[0]['error']}")
            if not any(c.get("sub") == sub for c in cmds):
                diffs.msg(f"{r.name}: 'go {sub}' was never run")
        for n in r.result.get("notes") or []:
            diffs.note(f"{r.name}: {n}")
        if self.args.verbose:
            for c in cmds:
                print(f"         {'ok ' if c['ok'] else 'ERR'} {c.get('secs', 0):6.3f}s "
                      f"{c['bytes']:8d} B  {c['cmd']}" + ("" if c["ok"] else f"  ({c['error'][:120]})"))

    # -- a case ----------------------------------------------------------------------------

    def case_nowrite(self, minor, mode, fixture, exe, work) -> Diffs:
        diffs = Diffs()
        h = cg.HangingFixture(exe, work, "system")
        try:
            pid = h.pid
            quiet = wait_threads(pid, lambda s: all(x["state"] != "R" for x in s.values()), 1)
            if any(x["state"] == "R" for x in quiet.values()):
                diffs.note(f"threads still running when stopped: {states(quiet)}")
            os.kill(pid, signal.SIGSTOP)
            st = wait_threads(pid, all_stopped, T_STOP)
            if not all_stopped(st):
                raise CaseError(f"not every thread stopped within {T_STOP}s of SIGSTOP: {states(st)}")
            base = Snapshot(pid)
            s = base.stats()
            print(f"       stopped {len(st)} threads; {base.summary()}", flush=True)
            if s["writable"] == 0 or s["writable_bytes"] == 0:
                raise CaseError("nothing hashed: no writable mapping could be read "
                                f"({base.summary()})")
            before, before_threads = base, st
            first_gprs = None
            t_look = time.monotonic()  # before the first look; the dump comes after the last
            runs: Dict[Tuple[str, str], Run] = {}
            for dbg in self.args.debuggers:
                for kind in ("bare", "plugin"):
                    r = self.run_debugger(dbg, kind, pid, work)
                    nregs, first_gprs = self.check_run(diffs, r, before, before_threads, first_gprs)
                    runs[(dbg, kind)] = r
                    print(f"       {self.describe(r, nregs)}", flush=True)
                    if kind == "bare":
                        for phase, chs in (("in session", r.changes_in),
                                           ("after detach", r.changes_after)):
                            for c in chs:
                                diffs.note(f"{r.name} itself changes, {phase}: {c.text()}")
                        if r.audit:
                            diffs.note(f"{r.name} itself calls: {audit_text(r.audit, 10)}")
                    else:
                        self.attribute(diffs, r, runs[(dbg, "bare")])
                        self.attribute_audit(diffs, r, runs[(dbg, "bare")])
                        lldb_run = runs.get(("lldb", "plugin"))
                        self.check_commands(diffs, r, None if lldb_run is None or lldb_run is r
                                            else lldb_run.result.get("subcommands"))
                    before, before_threads = r.after, r.after_threads
            # Runs on: SIGCONT, every thread leaves T, and the runtime's own account equals
            # what the plugin saw.
            os.kill(pid, signal.SIGCONT)
            st = wait_threads(pid, lambda s: all(x["state"] not in ("T", "t") for x in s.values()),
                              T_STOP)
            if any(x["state"] in ("T", "t") for x in st.values()):
                raise CaseError(f"still stopped after SIGCONT: {states(st)}")
            _, dump = h.dump_after_detach(work, "SIGCONT")
            minutes = cg.live_minutes_between(time.monotonic() - t_look)
            for dbg in self.args.debuggers:
                path = os.path.join(work, f"{dbg}-plugin-goroutines.json")
                with open(path) as f:
                    res = json.load(f)
                d = cg.compare(dump, res, minor=minor, live=True,
                               go_version=cg.toolchain_version(minor), live_minutes=minutes)
                for item in d.items:
                    diffs.msg(f"after SIGCONT, the runtime's dump vs {dbg}'s go goroutines: {item}")
                for n in d.notes:
                    diffs.note(f"dump vs {dbg}: {n}")
        finally:
            h.close()
        return diffs

    def run_toolchain(self, minor: int, selected):
        modes = self.args.case_modes or ["plain", other_mode(minor)]
        for mode in modes:
            for fixture in self.args.fixtures:
                name = f"go1.{minor}/{mode}/{fixture}/nowrite"
                if not selected(name):
                    continue
                exe = self.exe(minor, mode, fixture)

                def body(work, mode=mode, fixture=fixture, exe=exe):
                    return self.case_nowrite(minor, mode, fixture, exe, work)

                self.guarded(name, fixture, exe, body)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    cg.add_common_arguments(
        ap, cases_help="comma-separated globs over TOOLCHAIN/MODE/FIXTURE/nowrite",
        dry_run_help="not supported by this harness", artifacts_help="keep failing cases' files here")
    ap.set_defaults(modes="")
    ap.add_argument("--gdb-script", default=os.environ.get(
        "GOINSPECT_GDB_SCRIPT", os.path.join(cg.SOURCE_DIR, "build/gdb-scripts/go-gdb.py")))
    ap.add_argument("--fixtures", default=",".join(DEFAULT_FIXTURES),
                    help=f"comma-separated, of {','.join(FIXTURES)}")
    ap.add_argument("--debuggers", default="lldb,gdb", help="comma-separated: lldb, gdb")
    ap.add_argument("--strace", default=shutil.which("strace") or "",
                    help="strace for the syscall audit (default: from PATH; '' turns it off)")
    ap.add_argument("--inject", choices=("memory", "register"),
                    help="self-check of the harness: the plugin runs also write 8 bytes of a "
                         "goroutine's stack (or r12 of a thread); every case must then FAIL "
                         "naming that write")
    ap.add_argument("--cc", default=os.environ.get("CC") or shutil.which("cc") or "gcc",
                    help="a C (or C++) compiler for the no-SIGCONT preload, compiled as C")
    args = ap.parse_args(argv)
    # Modes: plain and the toolchain's other_mode() unless --modes says otherwise.
    args.modes = [m for m in args.modes.split(",") if m]
    for m in args.modes:
        if m not in cg.MODES:
            ap.error(f"unknown mode {m}")
    cg.parse_fixtures(ap, args, FIXTURES)
    args.debuggers = [d for d in args.debuggers.split(",") if d]
    for d in args.debuggers:
        if d not in ("lldb", "gdb"):
            ap.error(f"unknown debugger {d}")
    args.fixture_dir = os.path.abspath(args.fixture_dir)
    args.gdb_script = os.path.abspath(args.gdb_script)
    args.plugin = os.path.abspath(args.plugin)
    if args.dry_run:
        ap.error("--dry-run is not supported by check_nowrite.py")
    if os.geteuid() != 0:
        # The fixture is our child, so /proc/PID/mem works under Yama's ptrace_scope 1 too;
        # the debuggers need to be allowed to attach.
        print("note: not root; attaching needs ptrace permission (kernel.yama.ptrace_scope)")
    if "gdb" in args.debuggers and not os.path.exists(args.gdb_script):
        print(f"FAIL setup: {args.gdb_script} not found (build the gdb-scripts target)")
        print("0 passed, 1 failed")
        return 1
    tmp = tempfile.mkdtemp(prefix="goinspect-nowrite-")
    try:
        if "lldb" in args.debuggers:
            try:
                so = build_nocont(args.cc, tmp)
            except CaseError as e:
                print(f"FAIL setup: {e}")
                print("0 passed, 1 failed")
                return 1
        else:
            so = None
        # build.sh builds args.modes: with none given, each toolchain's own pair.
        args.case_modes = args.modes
        args.modes = args.modes or sorted({"plain"} | {other_mode(m) for m in args.toolchain})

        class _Runner(NowriteRunner):
            def __init__(self, a):
                super().__init__(a)
                self.nocont_so = so

        return cg.run_with_plugin(args, cg.case_selector(args.cases), _Runner)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
