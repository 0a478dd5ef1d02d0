#!/usr/bin/python3
"""Real debuggers on mutated cores: lldb-22 and gdb with goinspect, and without it.

Makes N mutated copies of cores of the Go fixtures (tests/fixtures, crashed with
GOTRACEBACK=crash) and opens each one in

  * bare lldb-22 and bare gdb (no plugin: `target create EXE --core CORE`, `file EXE` +
    `core-file CORE`): what the debugger itself does with the damaged core;
  * lldb-22 with the plugin loaded and gdb with go-gdb.py sourced, running every `go`
    command, text and --json (the list `help go` gives, with the options the integration
    tests use, and per goroutine `bt`, `goroutine`, `frames`, `defers`, `waits`,
    `panics`); in gdb, `go goroutine ID` is followed by GDB's own `bt` (the goroutine
    unwinder) and `go goroutine none`;
  * the command-line tool (cli/goinspect EXE CORE COMMAND ...), every command likewise:
    the fallback for a core that LLDB itself cannot open.

Mutations (seeded: --seed S makes the same N cores from the same base cores):
  random     bit flips, zeroed and garbage runs anywhere in PT_LOAD data (mostly in the
             pages that hold data), truncation at a random point, damaged notes (sizes,
             types, garbage, a thread's registers), damaged ELF and program headers;
  structure  damage aimed at the Go runtime's structures, found by the CLI's own JSON on
             the undamaged core (goroutines --json --frames all, sched, waits --system,
             defers all --system, panics) and the executable's symbol table (allgs,
             allglen, allm, allp, sched, semtable, ...), mapped to file offsets through
             the core's PT_LOAD headers: g structs (stack bounds, _panic, _defer, m,
             sched.sp/pc, goid, status), stack words and return addresses, Ms, Ps,
             channels, sync objects, defer and panic records, the globals, pointer
             cycles (a structure pointing at itself or another), threads' registers.
Each mutant is 1 to 3 operations; its recipe (base core + operations, every byte written
given or seeded) is kept with it.

Counted per debugger: crashes (killed by a signal, or the debugger's own crash report),
hangs (--timeout per session, per CLI command), and `go` commands that did not print
either their output or exactly one clear error line (silent; more than one error line;
output and an error; an error that is a raw exception text; a stack trace; --json output
that is not JSON). A crash or hang in a session with the plugin that bare runs of the
same debugger do not have is the plugin's (attributed to the command that was running);
one the bare debugger has too is the debugger's own. After a crash or hang the session
is resumed from the next command, so every command runs on every core that opens.
The CLI's output is compared with LLDB's, command by command (informational).

Failing cases keep their core, recipe, logs and a README with the commands to reproduce
under ARTIFACTS/failures/NNNN-*; cores bare LLDB or GDB cannot open, under
ARTIFACTS/debugger-own/. ARTIFACTS/summary.json has the figures and every finding.

Usage:
  mutated_cores.py --cores 1000 --seed 1 [--toolchains go1.21,go1.27] [--timeout 120]
      [--cli-timeout 30]
      [--plugin build/lldb-plugin/libgoinspect-lldb.so]
      [--gdb-script build/gdb-scripts/go-gdb.py] [--cli build/cli/goinspect]
      [--fixture-dir build/fixtures/integration] [--artifacts DIR] [--keep]
  mutated_cores.py ... --only 17,401     remake and rerun only those mutants (same seed)
Exits 1 on any crash, hang or missing error line caused by the plugin (or the CLI).
Python 3 standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import resource
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(os.path.dirname(HERE))
FIXTURES_SRC = os.path.join(SOURCE_DIR, "tests", "fixtures")
MODES = ["plain", "noopt", "stripped", "pie"]
# Fixtures whose cores hold the structures worth damaging: channels and sync objects
# (waits), defer and panic records (defers, deferpanic), running and syscall goroutines
# (running, syscalls), a scheduler with 4 Ps (sched), 1,000+ goroutines with labels
# (leaks), a deadlock, fatal causes.
FIXTURES = ["waits", "defers", "deferpanic", "running", "syscalls", "sched", "parked",
            "leaks", "deadlock", "causes"]
LLDB = os.environ.get("GOINSPECT_LLDB", "lldb-22")
GDB = os.environ.get("GOINSPECT_GDB", "gdb")
T_CRASH = 90
T_BUILD = 1800
MAX_RESUMES = 6  # sessions per debugger and core (the first plus resumes after crashes/hangs)

# ---------------------------------------------------------------------------------------
# Processes


def _limits(core_ok: bool, mem_gb: float):
    def fn():
        try:
            import ctypes
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
        lim = resource.RLIM_INFINITY if core_ok else 0
        resource.setrlimit(resource.RLIMIT_CORE, (lim, lim))
        if mem_gb > 0:
            b = int(mem_gb * (1 << 30))
            resource.setrlimit(resource.RLIMIT_AS, (b, b))
    return fn


class Run:
    def __init__(self, rc, out: str, err: str, secs: float, timed_out: bool):
        self.rc, self.out, self.err, self.secs, self.timed_out = rc, out, err, secs, timed_out

    @property
    def signal(self) -> Optional[int]:
        return -self.rc if self.rc is not None and self.rc < 0 else None


def run(argv: List[str], timeout: float, cwd=None, env=None, core_ok=False, mem_gb=0.0) -> Run:
    """argv with stdin from /dev/null, stdout and stderr apart, its process group killed
    at the timeout (what it wrote until then is kept)."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, cwd=cwd, env=env, start_new_session=True,
                         preexec_fn=_limits(core_ok, mem_gb))
    timed_out = False
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        out, err = p.communicate()
    return Run(None if timed_out else p.returncode, out.decode("utf-8", "replace"),
               err.decode("utf-8", "replace"), time.monotonic() - t0, timed_out)


def sig_name(n: int) -> str:
    try:
        return signal.Signals(n).name
    except ValueError:
        return f"signal {n}"


# ---------------------------------------------------------------------------------------
# ELF: the core's headers, segments and notes; the executable's symbols.

PT_LOAD, PT_NOTE, PT_PHDR = 1, 4, 6
NT_PRSTATUS, NT_AUXV = 1, 6
AT_PHDR = 3
PR_REG = 112  # struct elf_prstatus: pr_reg (user_regs_struct) at 112 on linux/amd64
REGS = {"rbp": 4, "rip": 16, "rsp": 19, "fs_base": 21}


class Core:
    def __init__(self, path: str):
        with open(path, "rb") as f:
            self.data = f.read()
        d = self.data
        if len(d) < 64 or d[:4] != b"\x7fELF":
            raise ValueError(f"{path}: not an ELF file")
        self.phoff, = struct.unpack_from("<Q", d, 32)
        self.phentsize, self.phnum = struct.unpack_from("<HH", d, 54)
        self.phdrs = []  # (index, type, offset, vaddr, filesz, memsz, header file offset)
        for i in range(self.phnum):
            at = self.phoff + i * self.phentsize
            p_type, _, p_offset, p_vaddr, _, p_filesz, p_memsz, _ = struct.unpack_from("<IIQQQQQQ", d, at)
            self.phdrs.append((i, p_type, p_offset, p_vaddr, p_filesz, p_memsz, at))
        self.loads = [p for p in self.phdrs if p[1] == PT_LOAD and p[4] > 0]
        self.notes = []  # (header offset, namesz, descsz, type, desc offset)
        self.threads = []  # desc offsets of NT_PRSTATUS notes
        self.phdr_addr = None
        for p in self.phdrs:
            if p[1] != PT_NOTE:
                continue
            off, end = p[2], min(p[2] + p[4], len(d))
            while off + 12 <= end:
                namesz, descsz, ntype = struct.unpack_from("<III", d, off)
                desc = off + 12 + ((namesz + 3) & ~3)
                if desc + descsz > end:
                    break
                self.notes.append((off, namesz, descsz, ntype, desc))
                if ntype == NT_PRSTATUS and descsz >= PR_REG + 27 * 8:
                    self.threads.append(desc)
                elif ntype == NT_AUXV:
                    for a in range(0, descsz - 15, 16):
                        t, v = struct.unpack_from("<QQ", d, desc + a)
                        if t == AT_PHDR:
                            self.phdr_addr = v
                off = desc + ((descsz + 3) & ~3)

    def offset(self, addr: int) -> Optional[int]:
        for p in self.loads:
            if p[3] <= addr < p[3] + p[4]:
                off = p[2] + addr - p[3]
                return off if off < len(self.data) else None
        return None

    def data_pages(self) -> List[Tuple[int, int]]:
        """File ranges [start, end) of the PT_LOAD data pages that are not all zero."""
        zero = bytes(4096)
        runs = []
        for p in self.loads:
            start, end = p[2], min(p[2] + p[4], len(self.data))
            for off in range(start, end, 4096):
                n = min(4096, end - off)
                if self.data[off:off + n] != zero[:n]:
                    if runs and runs[-1][1] == off:
                        runs[-1][1] = off + n
                    else:
                        runs.append([off, off + n])
        return [tuple(r) for r in runs]


def elf_symbols(path: str, wanted) -> Tuple[Dict[str, Tuple[int, int]], Optional[int], int]:
    """({name: (value, size)} of wanted symbols in .symtab, PT_PHDR vaddr, e_type)."""
    with open(path, "rb") as f:
        d = f.read()
    e_type, = struct.unpack_from("<H", d, 16)
    phoff, shoff = struct.unpack_from("<QQ", d, 32)
    phentsize, phnum, shentsize, shnum = struct.unpack_from("<HHHH", d, 54)
    phdr_vaddr = None
    for i in range(phnum):
        p_type, _, _, p_vaddr = struct.unpack_from("<IIQQ", d, phoff + i * phentsize)
        if p_type == PT_PHDR:
            phdr_vaddr = p_vaddr
    secs = [struct.unpack_from("<IIQQQQIIQQ", d, shoff + i * shentsize) for i in range(shnum)]
    out = {}
    for s in secs:
        if s[1] != 2:  # SHT_SYMTAB
            continue
        strtab = secs[s[6]]
        for o in range(s[4], s[4] + s[5] - 23, 24):
            st_name, _, _, _, st_value, st_size = struct.unpack_from("<IBBHQQ", d, o)
            a = strtab[4] + st_name
            name = d[a:d.index(b"\0", a)].decode("utf-8", "replace")
            if name in wanted:
                out[name] = (st_value, st_size)
    return out, phdr_vaddr, e_type


SYMBOLS = ["runtime.allgs", "runtime.allglen", "runtime.allm", "runtime.allp", "runtime.sched",
           "runtime.semtable", "runtime.firstmoduledata", "runtime.buildVersion",
           "runtime.maxstacksize", "runtime.gomaxprocs", "runtime.ncpu", "runtime.m0",
           "runtime.g0", "runtime.mheap_", "runtime.gcphase", "runtime.allm",
           "runtime.modulesSlice", "runtime.lastmoduledatap", "runtime.runtimeInitTime",
           "runtime.sched.lock", "runtime.forcegc", "runtime.freezing", "runtime.panicking",
           "runtime.runningPanicDefers", "runtime.waitReasonStrings", "runtime.work",
           "runtime.timers", "runtime.netpollInited", "runtime.allpLock"]

# ---------------------------------------------------------------------------------------
# The commands.


def command_list(ids: List[int]) -> List[str]:
    """Every go command, text and --json, with the options the integration tests use."""
    cmds = ["info", "info --json",
            "goroutines", "goroutines --json --frames all",
            "goroutines --group-by stack", "goroutines --group-by state --json",
            "goroutines --user --recursion", "goroutines --runtime --json",
            "goroutines --state waiting --match main. --limit 5",
            "bt all", "bt all --json",
            "stacks", "stacks --all --recursion --json",
            "waits", "waits --system --json", "waits --dot",
            "chans", "chans --json",
            "leaks --min 1", "leaks --json",
            "defers all --system", "defers all --system --json",
            "panics", "panics --json",
            "sched", "sched --json",
            "threads", "threads --json"]
    for i in ids:
        cmds += [f"bt {i} --frames 20", f"bt {i} --json",
                 f"goroutine {i}", f"goroutine {i} --json",
                 f"frames {i}", f"frames {i} --json",
                 f"defers {i}", f"waits {i} --json", f"panics {i}"]
    return cmds


# Debugger noise: lines the debugger prints on its own account.
NOISE = [re.compile(p) for p in (r"^warning: ", r"^\[New LWP", r"^Core was generated",
                                 r"^Program terminated", r"^#0 ", r"^\[Current thread")]
# A crash report or a traceback anywhere in a command's output.
TRACE = ["Traceback (most recent call last)", "Python Exception", "Error occurred in Python",
         "PLEASE submit a bug report", "Stack dump:", "Fatal signal", "internal-error",
         "A problem internal to GDB", "terminate called", "LLVM ERROR", "libc++abi",
         "AddressSanitizer", "UndefinedBehaviorSanitizer", "Assertion `", "Segmentation fault"]
# An error that is an exception's raw text, not a sentence for the user.
UNCLEAR = re.compile(r"std::|basic_string|bad_alloc|\b_M_\w+|\bvector::|\bmap::at\b|\bstoi\b|"
                     r"\bstou?ll?\b|out_of_range|bad_optional_access|bad_variant|"
                     r"\[json\.exception|internal error|unknown exception|"
                     r"^error: *$|invalid_argument")
CRASH_LLDB = ["PLEASE submit a bug report", "Stack dump:", "LLVM ERROR"]
CRASH_GDB = ["Fatal signal", "A problem internal to GDB", "internal-error"]

MARK = "zzmark_%d"
MARK_RE = re.compile(r"zzmark_(\d+)\b")


def split_marks(text: str) -> Tuple[Dict[int, List[str]], Optional[int], List[str]]:
    """Lines after each marker until the next: ({i: lines}, the last marker, lines before
    the first marker)."""
    segs: Dict[int, List[str]] = {}
    cur = None
    pre = []
    for line in text.splitlines():
        m = MARK_RE.search(line)
        if m:
            cur = int(m.group(1))
            segs[cur] = []
            continue
        (segs[cur] if cur is not None else pre).append(line)
    return segs, cur, pre


def classify(cmd: str, out_lines: List[str], err_lines: List[str], need_prefix: bool):
    """(status, detail) of one go command's output: ok, error (one clear error line), or a
    failure: trace, silent, badjson, unclear, mixed, multi-error."""
    for line in out_lines + err_lines:
        for t in TRACE:
            if t in line:
                return "trace", line.strip()[:300]
    errs = [l for l in err_lines if l.strip() and not any(n.search(l) for n in NOISE)]
    outs = [l for l in out_lines if l.strip()]
    if not errs:
        if not outs:
            return "silent", "no output and no error"
        if "--json" in cmd.split():
            try:
                json.loads("\n".join(out_lines))
            except ValueError as e:
                return "badjson", str(e)[:200]
        return "ok", ""
    if len(errs) > 1:
        return "multi-error", " | ".join(e.strip() for e in errs[:4])[:400]
    msg = errs[0].strip()
    if need_prefix and not msg.startswith("error: "):
        return "unclear", msg[:300]
    if UNCLEAR.search(msg) or len(msg.replace("error:", "").strip()) < 4:
        return "unclear", msg[:300]
    if outs:
        return "mixed", (msg + " | after output: " + outs[-1])[:300]
    return "error", msg


BAD = {"trace", "silent", "badjson", "unclear", "mixed", "multi-error"}
# Not run in a debugger: the command hung in the CLI on the same core (the first such
# command is still run in each debugger, to see it hang there too).
SKIPPED = "skipped"

# ---------------------------------------------------------------------------------------
# Base cores: a fixture crashed with GOTRACEBACK=crash, and what the CLI says about it.


def fixture_env() -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOTRACEBACK", "GODEBUG"))}
    env.update(GOTRACEBACK="crash", GOGC="off", GODEBUG="tracebacklabels=1")
    env.pop("GOMEMLIMIT", None)
    return env


def sparse_copy(src: str, dst: str):
    """Copies src to dst leaving holes where src has zero blocks (cores are mostly holes)."""
    zero = bytes(1 << 16)
    size = os.path.getsize(src)
    with open(src, "rb") as fi, open(dst, "wb") as fo:
        while True:
            b = fi.read(1 << 16)
            if not b:
                break
            if b == zero[:len(b)]:
                fo.seek(len(b), os.SEEK_CUR)
            else:
                fo.write(b)
        fo.truncate(size)


def file_sha(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


class Base:
    """One undamaged core: BASE_DIR/go1.NN/MODE/FIXTURE/{core, dump.txt, base.json}."""

    def __init__(self, minor: int, mode: str, fixture: str, exe: str, dir_: str):
        self.minor, self.mode, self.fixture, self.exe, self.dir = minor, mode, fixture, exe, dir_
        self.core = os.path.join(dir_, "core")
        self.meta: dict = {}

    @property
    def name(self) -> str:
        return f"go1.{self.minor}/{self.mode}/{self.fixture}"

    def prepare(self, cli: str, timeout: float, mem_gb: float):
        meta_path = os.path.join(self.dir, "base.json")
        st = os.stat(self.exe)
        stamp = f"{st.st_size}:{int(st.st_mtime)}"
        if os.path.exists(meta_path) and os.path.exists(self.core):
            with open(meta_path) as f:
                meta = json.load(f)
            if meta.get("exe_stamp") == stamp:
                self.meta = meta
                return
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        r = run([self.exe, "crash"], T_CRASH, cwd=self.dir, env=fixture_env(), core_ok=True)
        with open(os.path.join(self.dir, "dump.txt"), "w") as f:
            f.write(r.err)
        cores = [n for n in os.listdir(self.dir) if n == "core" or n.startswith("core.")]
        if r.rc != -signal.SIGABRT or not cores:
            raise RuntimeError(f"{self.name}: `{self.exe} crash` exited {r.rc} and left "
                               f"{cores or 'no core'} (ulimit -c, core_pattern?)")
        if cores[0] != "core":
            os.rename(os.path.join(self.dir, cores[0]), self.core)
        self.meta = self.survey(cli, timeout, mem_gb)
        self.meta["exe_stamp"] = stamp
        self.meta["core_sha256"] = file_sha(self.core)
        with open(meta_path, "w") as f:
            json.dump(self.meta, f)

    def survey(self, cli: str, timeout: float, mem_gb: float) -> dict:
        """The structures of the undamaged core, as the CLI reports them, and the pages
        that hold data."""
        def cli_json(*words):
            r = run([cli, self.exe, self.core] + list(words), timeout, mem_gb=mem_gb)
            if r.rc != 0:
                raise RuntimeError(f"{self.name}: goinspect {' '.join(words)} on the undamaged "
                                   f"core exited {r.rc}: {r.err.strip()[-300:]}")
            return json.loads(r.out)

        gs = cli_json("goroutines", "--json", "--frames", "all").get("goroutines", [])
        sched = cli_json("sched", "--json")
        waits = cli_json("waits", "--system", "--json")
        defers = cli_json("defers", "all", "--system", "--json")
        panics = cli_json("panics", "--json")
        core = Core(self.core)
        h = lambda s: int(s, 16) if isinstance(s, str) and s.startswith("0x") else None  # noqa: E731
        regions = []  # [kind, addr, size, note]

        def add(kind, addr, size, note):
            if addr and core.offset(addr) is not None:
                regions.append([kind, addr, size, note])

        goroutines = []
        for g in gs:
            gp = h(g.get("gp"))
            stk = g.get("stack") or {}
            frames = [[h(f.get("pc")), h(f.get("sp")), h(f.get("fp"))]
                      for f in g.get("frames") or [] if not f.get("inlined")]
            goroutines.append({"id": g.get("id"), "gp": gp, "status": g.get("status"),
                               "lo": h(stk.get("lo")), "hi": h(stk.get("hi")),
                               "sp": h(stk.get("sp")), "frames": frames})
            add("g", gp, 0x180, f"g of goroutine {g.get('id')}")
            if h(stk.get("sp")) and h(stk.get("hi")):
                add("stack", h(stk["sp"]), h(stk["hi"]) - h(stk["sp"]), f"stack of goroutine {g.get('id')}")
        for m in sched.get("ms") or []:
            add("m", h(m.get("address")), 0x300, f"m{m.get('id')}")
            add("g", h(m.get("g0")), 0x180, f"g0 of m{m.get('id')}")
            add("g", h(m.get("gsignal")), 0x180, f"gsignal of m{m.get('id')}")
        for p in sched.get("ps") or []:
            add("p", h(p.get("address")), 0x400, f"p{p.get('id')}")
        seen = set()
        for g in waits.get("goroutines") or []:
            for b in g.get("blocked_on") or []:
                for key, kind, size in (("address", b.get("kind") or "obj", 0x60), ("sema", "sema", 8),
                                        ("poll_desc", "polldesc", 0x50), ("notify_list", "notify", 0x18)):
                    a = h(b.get(key))
                    if a and (kind, a) not in seen:
                        seen.add((kind, a))
                        add(kind, a, size, f"{kind} {b.get(key)} (goroutine {g.get('id')})")
        for g in defers.get("goroutines") or []:
            for d in g.get("defers") or []:
                add("defer", h(d.get("record")), 0x48, f"_defer record of goroutine {g.get('id')}")
                add("closure", h(d.get("fn")), 0x10, f"deferred closure of goroutine {g.get('id')}")
        for g in panics.get("goroutines") or []:
            for p in g.get("panics") or []:
                add("panic", h(p.get("address")), 0x50, f"_panic of goroutine {g.get('id')}")
        syms, phdr_vaddr, e_type = elf_symbols(self.exe, set(SYMBOLS))
        bias = 0
        if e_type == 3 and core.phdr_addr and phdr_vaddr is not None:
            bias = core.phdr_addr - phdr_vaddr
        for name, (value, size) in sorted(syms.items()):
            add("global", value + bias, max(8, min(size, 0x800)), name)
        # Goroutine ids worth asking about one by one: 1, the deepest parked one, the one
        # that crashed (running) and a syscall one.
        ids = []
        by = {g["id"]: g for g in goroutines}
        if 1 in by:
            ids.append(1)
        parked = sorted((g for g in goroutines if g["status"] == "waiting"), key=lambda g: -len(g["frames"]))
        if parked:
            ids.append(parked[0]["id"])
        for st in ("running", "syscall"):
            ids += [g["id"] for g in goroutines if g["status"] == st][:1]
        ids = list(dict.fromkeys(i for i in ids if i is not None))[:3]
        return {"size": len(core.data), "pages": core.data_pages(), "regions": regions,
                "goroutines": goroutines, "ids": ids, "goid_off": field_offset(core, goroutines, "goid"),
                "status_off": field_offset(core, goroutines, "status"),
                "text": [min((f[0] for g in goroutines for f in g["frames"] if f[0]), default=0),
                         max((f[0] for g in goroutines for f in g["frames"] if f[0]), default=0)]}


STATUS = {"runnable": 1, "running": 2, "syscall": 3, "waiting": 4}


def field_offset(core: Core, goroutines, field: str) -> Optional[int]:
    """The offset of g.goid (a uint64 equal to the id) or g.atomicstatus (a uint32 equal to
    the status code) found by agreement over every goroutine of the undamaged core."""
    cands = None
    gs = [g for g in goroutines if g["gp"] and core.offset(g["gp"]) is not None]
    if field == "goid":
        gs = [g for g in gs if g["id"] and g["id"] > 4]
    else:
        gs = [g for g in gs if g["status"] in STATUS]
    if len(gs) < 3:
        return None
    for g in gs:
        off = core.offset(g["gp"])
        raw = core.data[off:off + 0x180]
        here = set()
        for o in range(112, len(raw) - 7, 8 if field == "goid" else 4):
            if field == "goid" and struct.unpack_from("<Q", raw, o)[0] == g["id"]:
                here.add(o)
            if field == "status" and struct.unpack_from("<I", raw, o)[0] == STATUS[g["status"]]:
                here.add(o)
        cands = here if cands is None else cands & here
    return min(cands) if cands else None


# ---------------------------------------------------------------------------------------
# Mutations. An operation is a dict: {"op": "write", "off", "hex"} (bytes given),
# {"op": "fill", "off", "len", "seed"} (seed 0: zeros, else random.Random(seed) bytes),
# {"op": "truncate", "size"}; "what" says what it aims at.

G_FIELDS = {"stack.lo": 0, "stack.hi": 8, "_panic": 32, "_defer": 40, "m": 48, "sched.sp": 56,
            "sched.pc": 64, "sched.g": 72, "sched.ctxt": 80, "sched.bp": 104, "syscallsp": 112,
            "syscallpc": 120}


def fill_bytes(n: int, seed: int) -> bytes:
    if seed == 0:
        return bytes(n)
    r = random.Random(seed)
    return bytes(r.getrandbits(8) for _ in range(n))


def apply_ops(src: str, dst: str, ops: List[dict]):
    sparse_copy(src, dst)
    with open(dst, "r+b") as f:
        size = os.path.getsize(dst)
        for op in ops:
            if op["op"] == "write":
                data = bytes.fromhex(op["hex"])
            elif op["op"] == "fill":
                data = fill_bytes(op["len"], op["seed"])
            else:
                continue
            off = op["off"]
            if 0 <= off < size:
                f.seek(off)
                f.write(data[:size - off])
        for op in ops:
            if op["op"] == "truncate":
                f.truncate(op["size"])


class Mutator:
    def __init__(self, base: Base, rng: random.Random):
        self.b, self.m, self.r = base, base.meta, rng
        self.core = None  # parsed lazily (headers only are needed for most operations)

    def parsed(self) -> Core:
        if self.core is None:
            self.core = Core(self.b.core)
        return self.core

    def interesting(self, here: int) -> int:
        r = self.r
        others = [x[1] for x in self.m["regions"]]
        choices = [0, 1, 0xFFFFFFFFFFFFFFFF, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0xFFFFFFFF,
                   0x100000000, 1 << 31, 1 << 40, here, here + 8, here - 8,
                   r.getrandbits(64), r.getrandbits(32), r.randrange(1, 4096)]
        if others:
            choices += [r.choice(others)] * 3
        pages = self.m["pages"]
        if pages:  # an address of real data, of another kind
            a = self.addr_of_file_offset(r.choice(pages)[0])
            if a:
                choices.append(a + 8 * r.randrange(0, 512))
        t0, t1 = self.m["text"]
        if t1 > t0:
            choices.append(r.randrange(t0, t1 + 1))
        return r.choice(choices) & 0xFFFFFFFFFFFFFFFF

    def addr_of_file_offset(self, off: int) -> Optional[int]:
        for p in self.parsed().loads:
            if p[2] <= off < p[2] + p[4]:
                return p[3] + off - p[2]
        return None

    def word(self, addr: int, value: int, what: str) -> Optional[dict]:
        off = self.parsed().offset(addr)
        if off is None or off + 8 > self.m["size"]:
            return None
        return {"op": "write", "off": off, "hex": struct.pack("<Q", value).hex(), "what": what}

    # Random damage ------------------------------------------------------------------------
    def data_offset(self) -> int:
        r, pages = self.r, self.m["pages"]
        if pages and r.random() < 0.75:
            lo, hi = r.choice(pages)
            return r.randrange(lo, hi)
        loads = self.parsed().loads
        p = r.choice(loads)
        return p[2] + r.randrange(0, max(1, min(p[4], self.m["size"] - p[2])))

    def op_flip(self):
        ops = []
        for _ in range(self.r.choice([1, 1, 2, 4, 16, 64])):
            off = self.data_offset()
            ops.append({"op": "write", "off": off, "hex": bytes([self.parsed().data[off] ^ (1 << self.r.randrange(8))]).hex(),
                        "what": "bit flip"})
        return ops

    def op_run(self, garbage: bool):
        n = 1 << self.r.randrange(3, 17)
        off = self.data_offset() & ~7
        return [{"op": "fill", "off": off, "len": n, "seed": self.r.randrange(1, 1 << 30) if garbage else 0,
                 "what": f"{'garbage' if garbage else 'zeroed'} run of {n} bytes"}]

    def op_truncate(self):
        r, size = self.r, self.m["size"]
        c = self.parsed()
        first_load = min((p[2] for p in c.loads), default=size)
        x = r.random()
        if x < 0.15:
            n = r.randrange(0, max(1, first_load))  # in the headers or the notes
        elif x < 0.5 and self.m["pages"]:
            lo, hi = r.choice(self.m["pages"])  # inside data
            n = r.randrange(lo, hi)
        else:
            n = r.randrange(first_load, size)
        return [{"op": "truncate", "size": n, "what": f"truncated to {n} of {size} bytes"}]

    def op_notes(self):
        r, c = self.r, self.parsed()
        if not c.notes:
            return self.op_flip()
        off, namesz, descsz, ntype, desc = r.choice(c.notes)
        k = r.randrange(6)
        if k == 0:
            v = r.choice([0, 1, 0xFFFFFFFF, 0x7FFFFFFF, descsz + 4, descsz - 4 if descsz >= 4 else 0, r.getrandbits(32)])
            return [{"op": "write", "off": off + 4, "hex": struct.pack("<I", v & 0xFFFFFFFF).hex(),
                     "what": f"note type {ntype}: descsz {descsz} -> {v & 0xFFFFFFFF}"}]
        if k == 1:
            v = r.choice([0, 0xFFFFFFFF, namesz + 1, 1000, r.getrandbits(32)])
            return [{"op": "write", "off": off, "hex": struct.pack("<I", v & 0xFFFFFFFF).hex(),
                     "what": f"note type {ntype}: namesz {namesz} -> {v & 0xFFFFFFFF}"}]
        if k == 2:
            v = r.choice([0, 1, 2, 3, 4, 6, 0x46494c45, 0x202, r.getrandbits(32)])
            return [{"op": "write", "off": off + 8, "hex": struct.pack("<I", v).hex(),
                     "what": f"note type {ntype} -> {v:#x}"}]
        if k == 3:
            n = min(descsz, r.choice([8, 64, 512, descsz]))
            return [{"op": "fill", "off": desc + r.randrange(0, max(1, descsz - n + 1)), "len": max(1, n),
                     "seed": r.choice([0, r.randrange(1, 1 << 30)]), "what": f"note type {ntype}: desc damaged"}]
        if k == 4 and c.threads:
            d = r.choice(c.threads)
            reg = r.choice(sorted(REGS))
            v = self.interesting(0)
            return [{"op": "write", "off": d + PR_REG + 8 * REGS[reg], "hex": struct.pack("<Q", v).hex(),
                     "what": f"thread register {reg} -> {v:#x}"}]
        note_ph = [p for p in c.phdrs if p[1] == PT_NOTE]
        if note_ph:
            p = note_ph[0]
            return [{"op": "fill", "off": p[2], "len": min(p[4], 1 << 20), "seed": r.choice([0, r.randrange(1, 1 << 30)]),
                     "what": "PT_NOTE segment wiped"}]
        return self.op_flip()

    def op_phdrs(self):
        r, c = self.r, self.parsed()
        k = r.randrange(8)
        if k == 0:
            v = r.choice([0, 1, c.phnum + 1, c.phnum - 1, 0xFFFF, r.getrandbits(16)])
            return [{"op": "write", "off": 56, "hex": struct.pack("<H", v).hex(), "what": f"e_phnum {c.phnum} -> {v}"}]
        if k == 1:
            v = r.choice([0, 1, 0xFFFFFFFFFFFFFFFF, c.phoff + 8, self.m["size"] - 8, r.getrandbits(64)])
            return [{"op": "write", "off": 32, "hex": struct.pack("<Q", v).hex(), "what": f"e_phoff -> {v:#x}"}]
        if k == 2:
            v = r.choice([0, 1, 32, 0x40, 0xFFFF])
            return [{"op": "write", "off": 54, "hex": struct.pack("<H", v).hex(), "what": f"e_phentsize -> {v}"}]
        i, p_type, p_offset, p_vaddr, p_filesz, p_memsz, at = r.choice(c.phdrs)
        other = r.choice(c.phdrs)
        fields = {"p_type": (0, "<I", [0, 1, 4, 6, 0x6474e550, r.getrandbits(32)]),
                  "p_offset": (8, "<Q", [0, 1, p_offset + 4096, self.m["size"], self.m["size"] - 16,
                                         other[2], 0xFFFFFFFFFFFFF000, r.getrandbits(64)]),
                  "p_vaddr": (16, "<Q", [0, p_vaddr + 4096, p_vaddr - 4096, other[3], 0xFFFFFFFFFFFFF000,
                                         (p_vaddr + 1) & 0xFFFFFFFFFFFFFFFF, r.getrandbits(64)]),
                  "p_filesz": (32, "<Q", [0, 1, p_filesz * 2 + 4096, self.m["size"], 0xFFFFFFFFFFFFFFFF,
                                          1 << 40, p_filesz + 1, r.getrandbits(64)]),
                  "p_memsz": (40, "<Q", [0, 1, p_memsz * 2, 0xFFFFFFFFFFFFFFFF, r.getrandbits(64)]),
                  "p_align": (48, "<Q", [0, 3, 1 << 63, r.getrandbits(64)])}
        name = r.choice(sorted(fields))
        fo, fmt, vals = fields[name]
        v = r.choice(vals) & (0xFFFFFFFF if fmt == "<I" else 0xFFFFFFFFFFFFFFFF)
        return [{"op": "write", "off": at + fo, "hex": struct.pack(fmt, v).hex(),
                 "what": f"phdr {i} (type {p_type:#x}) {name} -> {v:#x}"}]

    # Structure-aware damage -------------------------------------------------------------
    def regions(self, *kinds):
        return [x for x in self.m["regions"] if x[0] in kinds]

    def op_region_words(self, kinds, label):
        regs = self.regions(*kinds)
        if not regs:
            return None
        kind, addr, size, note = self.r.choice(regs)
        ops = []
        for _ in range(self.r.choice([1, 1, 1, 2, 3])):
            a = addr + 8 * self.r.randrange(0, max(1, size // 8))
            v = self.interesting(addr)
            op = self.word(a, v, f"{note} +{a - addr:#x} -> {v:#x}")
            if op:
                ops.append(op)
        return ops or None

    def op_region_fill(self, kinds):
        regs = self.regions(*kinds)
        if not regs:
            return None
        kind, addr, size, note = self.r.choice(regs)
        off = self.parsed().offset(addr)
        if off is None:
            return None
        n = min(size, self.m["size"] - off)
        seed = self.r.choice([0, self.r.randrange(1, 1 << 30)])
        return [{"op": "fill", "off": off, "len": n, "seed": seed,
                 "what": f"{note}: {n} bytes {'zeroed' if seed == 0 else 'garbage'}"}]

    def op_g_field(self):
        gs = [g for g in self.m["goroutines"] if g["gp"]]
        if not gs:
            return None
        g = self.r.choice(gs)
        fields = dict(G_FIELDS)
        if self.m.get("goid_off"):
            fields["goid"] = self.m["goid_off"]
        name = self.r.choice(sorted(fields))
        addr = g["gp"] + fields[name]
        others = [x["id"] for x in self.m["goroutines"] if x["id"]]
        if name == "goid":
            v = self.r.choice([0, 1, 0xFFFFFFFFFFFFFFFF, self.r.choice(others), 1 << 62])
        elif name in ("stack.lo", "stack.hi") and g["lo"] and g["hi"]:
            v = self.r.choice([0, g["hi"], g["lo"], g["lo"] - (1 << 30), g["hi"] + (1 << 40),
                               0xFFFFFFFFFFFFFFFF, g["sp"] or 0, self.interesting(addr)])
        elif name in ("_panic", "_defer", "m", "sched.g"):
            v = self.r.choice([g["gp"], g["gp"] + 8, self.interesting(addr), self.interesting(addr)])
        else:
            v = self.interesting(addr)
        op = self.word(addr, v, f"g of goroutine {g['id']}: {name} -> {v:#x}")
        return [op] if op else None

    def op_g_status(self):
        off = self.m.get("status_off")
        gs = [g for g in self.m["goroutines"] if g["gp"]]
        if not off or not gs:
            return None
        g = self.r.choice(gs)
        v = self.r.choice([0, 1, 2, 3, 5, 6, 8, 9, 0x1004, 0x1002, 0xFFFFFFFF, self.r.getrandbits(32)])
        o = self.parsed().offset(g["gp"] + off)
        if o is None:
            return None
        return [{"op": "write", "off": o, "hex": struct.pack("<I", v).hex(),
                 "what": f"g of goroutine {g['id']}: atomicstatus -> {v:#x}"}]

    def op_stack(self):
        gs = [g for g in self.m["goroutines"] if g["frames"] and g["sp"]]
        if not gs:
            return None
        g = self.r.choice(gs)
        k = self.r.randrange(4)
        frames = g["frames"]
        if k <= 1 and len(frames) > 1:
            # A return address slot (fp - 8 of a frame): garbage, zero, another pc of this
            # stack (a loop), a pc in the text.
            i = self.r.randrange(len(frames) - 1)
            fp = frames[i][2]
            if not fp:
                return None
            pcs = [f[0] for f in frames if f[0]]
            v = self.r.choice([0, self.r.choice(pcs), self.r.choice(pcs) + 1, frames[i][0],
                               self.interesting(fp), 0xFFFFFFFFFFFFFFFF])
            op = self.word(fp - 8, v, f"stack of goroutine {g['id']}: return address of frame {i} -> {v:#x}")
            return [op] if op else None
        if k == 2:
            lo = g["sp"]
            hi = g["hi"] or lo + 64
            ops = []
            for _ in range(self.r.choice([1, 4, 16])):
                a = (lo + self.r.randrange(0, max(8, hi - lo))) & ~7
                v = self.interesting(a)
                op = self.word(a, v, f"stack of goroutine {g['id']}: word +{a - lo:#x} -> {v:#x}")
                if op:
                    ops.append(op)
            return ops or None
        return self.op_region_fill(["stack"])

    def op_global(self):
        gl = self.regions("global")
        if not gl:
            return None
        kind, addr, size, name = self.r.choice(gl)
        if name == "runtime.allgs":
            k = self.r.randrange(3)
            if k == 0:  # the length
                v = self.r.choice([0, 1, 1 << 20, 1 << 31, 0x7FFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF])
                op = self.word(addr + 8, v, f"runtime.allgs len -> {v:#x}")
                return [op] if op else None
            if k == 1:  # an entry of the array: a duplicate, garbage, the array itself
                ptr_off = self.parsed().offset(addr)
                if ptr_off is None:
                    return None
                arr, n = struct.unpack_from("<QQ", self.parsed().data, ptr_off)
                if not n or n > 1 << 20:
                    return None
                i = self.r.randrange(n)
                v = self.r.choice([arr, 0, self.interesting(arr)] +
                                  [g["gp"] for g in self.m["goroutines"] if g["gp"]][:8])
                op = self.word(arr + 8 * i, v, f"runtime.allgs[{i}] -> {v:#x}")
                return [op] if op else None
        if name == "runtime.allglen":
            v = self.r.choice([0, 1 << 31, 0xFFFFFFFFFFFFFFFF, self.r.getrandbits(64)])
            op = self.word(addr, v, f"runtime.allglen -> {v:#x}")
            return [op] if op else None
        a = addr + 8 * self.r.randrange(0, max(1, size // 8))
        v = self.interesting(addr)
        op = self.word(a, v, f"{name} +{a - addr:#x} -> {v:#x}")
        return [op] if op else None

    def op_cycle(self):
        """A pointer-sized word of one structure pointing at itself or at another of the
        same kind: list walks (allm, sudog queues, defer and panic chains) must stop."""
        regs = self.regions("m", "p", "chan", "defer", "panic", "g", "sema", "mutex", "rwmutex",
                            "waitgroup", "cond", "polldesc", "notify")
        if not regs:
            return None
        kind, addr, size, note = self.r.choice(regs)
        same = [x for x in regs if x[0] == kind]
        target = self.r.choice([addr, self.r.choice(same)[1]])
        ops = []
        for _ in range(self.r.choice([1, 2, 4])):
            a = addr + 8 * self.r.randrange(0, max(1, size // 8))
            op = self.word(a, target, f"{note} +{a - addr:#x} -> {target:#x} (a {kind})")
            if op:
                ops.append(op)
        return ops or None

    def one(self, family: str) -> Tuple[str, List[dict]]:
        r = self.r
        if family == "random":
            kinds = [("flip", 20), ("zeroed-run", 15), ("garbage-run", 15), ("truncate", 15),
                     ("notes", 15), ("phdrs", 20)]
        else:
            kinds = [("g-field", 15), ("g-status", 5), ("g-words", 10), ("g-fill", 5), ("stack", 15),
                     ("m-p", 10), ("chan-sync", 12), ("defer-panic", 10), ("global", 12),
                     ("cycle", 10), ("registers", 4)]
        for _ in range(20):
            kind = r.choices([k for k, _ in kinds], weights=[w for _, w in kinds])[0]
            ops = {
                "flip": lambda: self.op_flip(),
                "zeroed-run": lambda: self.op_run(False),
                "garbage-run": lambda: self.op_run(True),
                "truncate": lambda: self.op_truncate(),
                "notes": lambda: self.op_notes(),
                "phdrs": lambda: self.op_phdrs(),
                "g-field": lambda: self.op_g_field(),
                "g-status": lambda: self.op_g_status(),
                "g-words": lambda: self.op_region_words(["g"], "g"),
                "g-fill": lambda: self.op_region_fill(["g"]),
                "stack": lambda: self.op_stack(),
                "m-p": lambda: (self.op_region_words(["m", "p"], "m/p") if r.random() < 0.8
                                else self.op_region_fill(["m", "p"])),
                "chan-sync": lambda: (self.op_region_words(["chan", "nil-chan", "mutex", "rwmutex", "waitgroup",
                                                            "cond", "sema", "polldesc", "notify", "obj"], "chan/sync")
                                      if r.random() < 0.8 else
                                      self.op_region_fill(["chan", "mutex", "rwmutex", "waitgroup", "cond",
                                                           "sema", "polldesc", "notify"])),
                "defer-panic": lambda: self.op_region_words(["defer", "panic", "closure"], "defer/panic"),
                "global": lambda: self.op_global(),
                "cycle": lambda: self.op_cycle(),
                "registers": lambda: self.op_registers(),
            }[kind]()
            if ops:
                return kind, ops
        return "flip", self.op_flip()

    def op_registers(self):
        c = self.parsed()
        if not c.threads:
            return None
        d = self.r.choice(c.threads)
        reg = self.r.choice(sorted(REGS))
        gs = [g for g in self.m["goroutines"] if g["sp"]]
        v = self.r.choice([0, self.interesting(0)] + ([self.r.choice(gs)["sp"]] if gs else []))
        return [{"op": "write", "off": d + PR_REG + 8 * REGS[reg], "hex": struct.pack("<Q", v).hex(),
                 "what": f"thread {c.threads.index(d) + 1} register {reg} -> {v:#x}"}]

    def recipe(self) -> dict:
        family = "random" if self.r.random() < 0.5 else "structure"
        ops, kinds = [], []
        for _ in range(self.r.choice([1, 1, 1, 2, 3])):
            kind, o = self.one(family)
            kinds.append(kind)
            ops += o
        return {"family": family, "kinds": kinds, "ops": ops}


# ---------------------------------------------------------------------------------------
# Sessions.


class Outcome:
    """What one debugger did with one core: every command's status, crashes and hangs."""

    def __init__(self, name: str):
        self.name = name
        self.opened = True
        self.crashes: List[dict] = []  # {"where": command or "opening"/"exit", "signal", "log"}
        self.hangs: List[dict] = []
        self.results: Dict[int, Tuple[str, str]] = {}  # command index -> (status, detail)
        self.outputs: Dict[int, str] = {}
        self.extra: List[Tuple[str, str, str]] = []  # (gdb's own command, status, detail)
        self.logs: List[str] = []
        self.secs = 0.0


def session_steps(kind: str, cmds: List[str]) -> List[Tuple[Optional[int], str]]:
    """(index into cmds or None, debugger command) of one session: each go command; in gdb,
    after `go goroutine ID` (text), GDB's own bt through the goroutine unwinder and
    `go goroutine none` (index None: only crashes, hangs and tracebacks count there)."""
    steps: List[Tuple[Optional[int], str]] = []
    for i, c in enumerate(cmds):
        steps.append((i, "go " + c))
        w = c.split()
        if kind == "gdb" and len(w) == 2 and w[0] == "goroutine":
            steps += [(None, "bt 40"), (None, "go goroutine none")]
    return steps


def lldb_session(args, exe, core, steps, start: int, cmdfile: str) -> Run:
    with open(cmdfile, "w") as f:
        for s in range(start, len(steps)):
            f.write(MARK % s + "\n" + steps[s][1] + "\n")
        f.write(MARK % len(steps) + "\n")
    argv = [LLDB, "--no-lldbinit", "-b", "-o", f'plugin load "{args.plugin}"',
            "-o", f'target create "{exe}" --core "{core}"', "-o", f'command source -e false "{cmdfile}"']
    return run(argv, args.timeout, mem_gb=args.mem_gb)


def gdb_session(args, exe, core, steps, start: int) -> Run:
    argv = [GDB, "-batch", "-nx", "-ex", "set pagination off", "-ex", "set width 0",
            "-ex", "set confirm off", "-ex", f"source {args.gdb_script}",
            "-ex", f"file {exe}", "-ex", f"core-file {core}"]
    for s in range(start, len(steps) + 1):
        # The marker: echoed on stdout, and an unknown command's error on stderr.
        argv += ["-ex", f"echo {MARK % s}\\n", "-ex", MARK % s]
        if s < len(steps):
            argv += ["-ex", steps[s][1]]
    return run(argv, args.timeout, mem_gb=args.mem_gb)


def debugger_crashed(r: Run, markers: List[str]) -> bool:
    return r.signal is not None or any(m in r.out or m in r.err for m in markers)


def drive(args, kind: str, exe: str, core: str, cmds: List[str], work: str, skip=()) -> Outcome:
    """Runs cmds in sessions of `kind` (lldb or gdb) with the plugin, resuming after a
    crash or hang from the next command. Commands in skip (indexes) are not run: they hung
    in the CLI, the same engine, and would only cost the timeout again."""
    oc = Outcome(kind)
    steps = [st for st in session_steps(kind, cmds) if st[0] not in skip]
    for i in skip:
        oc.results[i] = ("skipped", "hung in the CLI")
    start = 0
    markers = CRASH_LLDB if kind == "lldb" else CRASH_GDB
    for attempt in range(MAX_RESUMES):
        if start >= len(steps):
            break
        if kind == "lldb":
            r = lldb_session(args, exe, core, steps, start, os.path.join(work, f"lldb-cmds-{attempt}.txt"))
        else:
            r = gdb_session(args, exe, core, steps, start)
        oc.secs += r.secs
        log = os.path.join(work, f"{kind}-plugin-{attempt}.log")
        with open(log, "w") as f:
            f.write(f"# exit {r.rc}{' (timed out)' if r.timed_out else ''}, {r.secs:.1f}s, steps from #{start}\n"
                    f"--- stdout\n{r.out}\n--- stderr\n{r.err}")
        oc.logs.append(log)
        outs, last_out, _ = split_marks(r.out)
        errs, last_err, _ = split_marks(r.err)
        broken = debugger_crashed(r, markers) or r.timed_out
        last = max([x for x in (last_out, last_err) if x is not None], default=None)
        for s in range(start, len(steps)):
            if s not in outs and s not in errs:
                continue
            if broken and s == last:
                continue  # the step the debugger died (or hung) in
            i, text = steps[s]
            ol, el = outs.get(s, []), errs.get(s, [])
            if kind == "lldb" and ol and ol[0].startswith("(lldb) "):
                ol = ol[1:]  # the command's echo
            if i is None:
                tr = [l for l in ol + el if any(t in l for t in TRACE)]
                if tr:
                    oc.extra.append((text, "trace", tr[0].strip()[:300]))
                continue
            status, detail = classify(cmds[i], ol, el, need_prefix=(kind == "lldb"))
            oc.results[i] = (status, detail)
            oc.outputs[i] = "\n".join(ol).rstrip("\n") if status == "ok" else detail
        if not broken:
            if last_out is None and last_err is None:
                oc.opened = False
            break
        if last is None:
            where = "opening"
        elif last >= len(steps):
            where = "exit"
        else:
            where = steps[last][1]
        ev = {"where": where, "step": last, "log": log,
              "signal": sig_name(r.signal) if r.signal else None,
              "report": next((l for l in (r.err + r.out).splitlines() if any(m in l for m in markers)), "")}
        (oc.hangs if r.timed_out else oc.crashes).append(ev)
        if last is None or last >= len(steps):
            if last is None:
                oc.opened = False
            break
        i = steps[last][0]
        if i is not None:
            oc.results[i] = ("hang" if r.timed_out else "crash", ev["signal"] or ev["report"])
        start = last + 1
    return oc


def bare(args, kind: str, exe: str, core: str, work: str, deep: bool = False) -> Tuple[str, Run]:
    """The debugger alone: 'ok', 'crash' or 'hang' (deep: also threads and backtraces)."""
    if kind == "lldb":
        argv = [LLDB, "--no-lldbinit", "-b", "-o", f'target create "{exe}" --core "{core}"']
        if deep:
            argv += ["-o", "thread list", "-o", "bt all", "-o", "image list"]
        markers = CRASH_LLDB
    else:
        argv = [GDB, "-batch", "-nx", "-ex", "set pagination off", "-ex", f"file {exe}",
                "-ex", f"core-file {core}"]
        if deep:
            argv += ["-ex", "info threads", "-ex", "thread apply all bt"]
        markers = CRASH_GDB
    r = run(argv, args.timeout, mem_gb=args.mem_gb)
    with open(os.path.join(work, f"{kind}-bare{'-deep' if deep else ''}.log"), "w") as f:
        f.write(f"$ {shlex.join(argv)}\n# exit {r.rc}{' (timed out)' if r.timed_out else ''}, {r.secs:.1f}s\n"
                f"--- stdout\n{r.out}\n--- stderr\n{r.err}")
    if r.timed_out:
        return "hang", r
    if debugger_crashed(r, markers):
        return "crash", r
    return "ok", r


def cli_runs(args, exe: str, core: str, cmds: List[str], work: str) -> Outcome:
    oc = Outcome("cli")
    log = os.path.join(work, "cli.log")
    with open(log, "w") as lf:
        for i, c in enumerate(cmds):
            argv = [args.cli, exe, core] + shlex.split(c)
            r = run(argv, args.cli_timeout, mem_gb=args.mem_gb)
            oc.secs += r.secs
            lf.write(f"$ {shlex.join(argv)}\n# exit {r.rc}{' (timed out)' if r.timed_out else ''}, "
                     f"{r.secs:.2f}s\n--- stdout\n{r.out}\n--- stderr\n{r.err}\n")
            if r.timed_out:
                oc.hangs.append({"where": c, "index": i, "log": log, "signal": None, "report": ""})
                oc.results[i] = ("hang", "")
                continue
            if r.signal is not None:
                oc.crashes.append({"where": c, "index": i, "log": log, "signal": sig_name(r.signal),
                                   "report": r.err.strip()[-200:]})
                oc.results[i] = ("crash", sig_name(r.signal))
                continue
            status, detail = classify(c, r.out.splitlines(), r.err.splitlines(), need_prefix=True)
            if status == "ok" and r.rc != 0 or status == "error" and r.rc != 1:
                status, detail = "unclear", f"exit {r.rc} with {status} ({detail})"
            oc.results[i] = (status, detail)
            oc.outputs[i] = r.out.rstrip("\n") if status == "ok" else detail
    oc.logs.append(log)
    return oc


# ---------------------------------------------------------------------------------------
# The campaign.


class Tally:
    def __init__(self):
        self.n = {}

    def add(self, key, k=1):
        self.n[key] = self.n.get(key, 0) + k

    def get(self, key):
        return self.n.get(key, 0)


def parse_toolchains(s: str) -> List[int]:
    out = []
    for t in s.split(","):
        t = t.strip()
        if not t:
            continue
        m = re.match(r"^(?:go)?(?:1\.)?(\d+)$", t)
        if not m:
            raise argparse.ArgumentTypeError(f"bad toolchain {t!r} (want go1.NN)")
        out.append(int(m.group(1)))
    return out


def installed_toolchains() -> List[int]:
    out = []
    for d in os.listdir("/usr/lib"):
        m = re.match(r"^go-1\.(\d+)$", d)
        if m and int(m.group(1)) >= 21 and os.path.exists(f"/usr/lib/{d}/bin/go"):
            out.append(int(m.group(1)))
    return sorted(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cores", type=int, default=200, help="mutated cores to make and open")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--toolchains", default="", help="go1.NN,... (default: every installed toolchain)")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--fixtures", default=",".join(FIXTURES))
    ap.add_argument("--timeout", type=float, default=120, help="seconds per debugger session")
    ap.add_argument("--cli-timeout", type=float, default=30, help="seconds per CLI command")
    ap.add_argument("--mem-gb", type=float, default=8, help="address-space limit of each debugger and CLI run")
    ap.add_argument("--plugin", default=os.path.join(SOURCE_DIR, "build/lldb-plugin/libgoinspect-lldb.so"))
    ap.add_argument("--gdb-script", default=os.path.join(SOURCE_DIR, "build/gdb-scripts/go-gdb.py"))
    ap.add_argument("--cli", default=os.path.join(SOURCE_DIR, "build/cli/goinspect"))
    ap.add_argument("--fixture-dir", default=os.path.join(SOURCE_DIR, "build/fixtures/integration"),
                    help="tests/fixtures/build.sh output: DIR/go1.NN/MODE/FIXTURE")
    ap.add_argument("--build", action="store_true", help="run tests/fixtures/build.sh first")
    ap.add_argument("--artifacts", default=os.path.join(SOURCE_DIR, "build/robustness-artifacts"))
    ap.add_argument("--base-dir", default=None, help="undamaged cores (default: ARTIFACTS/base; reused)")
    ap.add_argument("--keep", action="store_true", help="keep every mutated core and its logs, not only failures")
    ap.add_argument("--debuggers", default="lldb,gdb,cli")
    ap.add_argument("--only", default="", help="comma-separated mutant numbers to (re)run")
    args = ap.parse_args(argv)

    for attr in ("plugin", "gdb_script", "cli", "fixture_dir", "artifacts"):
        setattr(args, attr, os.path.abspath(getattr(args, attr)))
    debuggers = [d for d in args.debuggers.split(",") if d]
    # The CLI first: the commands that hang there are run once only in each debugger.
    debuggers.sort(key=lambda d: {"cli": 0, "lldb": 1, "gdb": 2}.get(d, 3))
    minors = parse_toolchains(args.toolchains) if args.toolchains else installed_toolchains()
    modes = [m for m in args.modes.split(",") if m]
    fixtures = [f for f in args.fixtures.split(",") if f]
    only = {int(x) for x in args.only.split(",") if x}
    need = {"lldb": args.plugin, "gdb": args.gdb_script}
    missing = [p for d, p in need.items() if d in debuggers and not os.path.exists(p)]
    missing += [args.cli] if not os.path.exists(args.cli) else []
    if missing:
        print(f"FAIL setup: not found: {', '.join(missing)} (build the goinspect, goinspect-lldb and "
              "goinspect-gdb targets)")
        return 1
    os.makedirs(args.artifacts, exist_ok=True)
    base_dir = os.path.abspath(args.base_dir or os.path.join(args.artifacts, "base"))
    work_root = os.path.join(args.artifacts, "work")
    fail_dir = os.path.join(args.artifacts, "failures")
    own_dir = os.path.join(args.artifacts, "debugger-own")
    shutil.rmtree(work_root, ignore_errors=True)
    os.makedirs(work_root)
    if not only:
        for d in (fail_dir, own_dir):
            shutil.rmtree(d, ignore_errors=True)
    # A private copy of the plugin: a rebuild during the run must not be half-loaded.
    private = tempfile.mkdtemp(prefix="goinspect-mutated-")
    if "lldb" in debuggers:
        shutil.copy2(args.plugin, os.path.join(private, os.path.basename(args.plugin)))
    args.plugin = os.path.join(private, os.path.basename(args.plugin))
    t_start = time.monotonic()
    try:
        return campaign(args, debuggers, minors, modes, fixtures, only, base_dir, work_root, fail_dir,
                        own_dir, t_start)
    finally:
        shutil.rmtree(private, ignore_errors=True)


def campaign(args, debuggers, minors, modes, fixtures, only, base_dir, work_root, fail_dir, own_dir, t_start):
    if args.build:
        for minor in minors:
            env = dict(os.environ, MODES=" ".join(modes), FIXTURES=" ".join(fixtures))
            r = run([os.path.join(FIXTURES_SRC, "build.sh"), args.fixture_dir, f"go1.{minor}"], T_BUILD, env=env)
            if r.rc != 0:
                print(f"FAIL build go1.{minor}: build.sh exited {r.rc}: {(r.out + r.err)[-1500:]}")
                return 1
    bases = []
    for minor in minors:
        for mode in modes:
            for fx in fixtures:
                exe = os.path.join(args.fixture_dir, f"go1.{minor}", mode, fx)
                if not os.path.exists(exe):
                    print(f"FAIL setup: {exe} not built (tests/fixtures/build.sh, or --build)")
                    return 1
                bases.append(Base(minor, mode, fx, exe, os.path.join(base_dir, f"go1.{minor}", mode, fx)))
    order = list(range(len(bases)))
    random.Random(f"{args.seed}/bases").shuffle(order)
    wanted = sorted(only) if only else list(range(args.cores))
    used = {order[i % len(bases)] for i in wanted}
    t0 = time.monotonic()
    for bi in sorted(used):
        try:
            bases[bi].prepare(args.cli, args.timeout, args.mem_gb)
        except Exception as e:  # noqa: BLE001
            print(f"FAIL setup: base core {bases[bi].name}: {e}")
            return 1
    print(f"{len(used)} base cores ready under {base_dir} ({time.monotonic() - t0:.1f}s); "
          f"{len(wanted)} mutants, seed {args.seed}, debuggers {','.join(debuggers)}", flush=True)

    tally = Tally()
    findings: List[dict] = []
    own: List[dict] = []
    diffs_cli: List[dict] = []
    for n, idx in enumerate(wanted):
        base = bases[order[idx % len(bases)]]
        rng = random.Random(f"{args.seed}/{idx}")
        recipe = Mutator(base, rng).recipe()
        recipe.update({"mutant": idx, "seed": args.seed, "base": base.name, "exe": base.exe,
                       "base_core": base.core, "base_core_sha256": base.meta.get("core_sha256")})
        work = os.path.join(work_root, f"{idx:04d}")
        os.makedirs(work)
        core = os.path.join(work, "core")
        apply_ops(base.core, core, recipe["ops"])
        with open(os.path.join(work, "recipe.json"), "w") as f:
            json.dump(recipe, f, indent=1)
        cmds = command_list(base.meta["ids"])
        t_case = time.monotonic()
        res = {}
        line_bits = []
        problems = []  # plugin/CLI-caused
        own_notes = []
        for dbg in debuggers:
            if dbg == "cli":
                oc = cli_runs(args, base.exe, core, cmds, work)
                res["cli"] = oc
                tally.add(("cli", "cores"))
                tally.add(("cli", "secs"), oc.secs)
            else:
                b_status, b_run = bare(args, dbg, base.exe, core, work)
                tally.add((dbg, "cores"))
                tally.add((dbg, "bare-" + b_status))
                tally.add((dbg, "bare-secs"), b_run.secs)
                cli_hung = sorted(i for i, (st, _) in res["cli"].results.items() if st == "hang") if "cli" in res else []
                oc = drive(args, dbg, base.exe, core, cmds, work, skip=set(cli_hung[1:]))
                res[dbg] = oc
                tally.add((dbg, "secs"), oc.secs)
                if b_status != "ok":
                    own_notes.append(f"bare {dbg} {b_status}"
                                     + (f" ({sig_name(b_run.signal)})" if b_run.signal else ""))
                for ev_kind, evs in (("crash", oc.crashes), ("hang", oc.hangs)):
                    for ev in evs:
                        if ev["where"] == "opening" and b_status != "ok":
                            tally.add((dbg, f"{ev_kind}-own"))  # the debugger's own, at opening
                            continue
                        # With the plugin only: ours. Ask the bare debugger for threads and
                        # backtraces too, to tell whether it dies there without us as well.
                        d_status, _ = bare(args, dbg, base.exe, core, work, deep=True)
                        ev["bare_deep"] = d_status
                        tally.add((dbg, f"{ev_kind}-plugin"))
                        problems.append(f"{dbg} {ev_kind} in '{ev['where']}' "
                                        f"({ev.get('signal') or ev.get('report') or 'timeout'}; bare {dbg} "
                                        f"with threads/bt: {d_status})")
            for i, (status, detail) in sorted(oc.results.items()):
                tally.add((dbg, "commands"))
                tally.add((dbg, "st-" + status))
                if status in BAD:
                    problems.append(f"{dbg} 'go {cmds[i]}': {status}: {detail}")
            for text, status, detail in oc.extra:
                tally.add((dbg, "st-" + status))
                problems.append(f"{dbg} '{text}': {status}: {detail}")
            if dbg == "cli":
                for ev_kind, evs in (("crash", oc.crashes), ("hang", oc.hangs)):
                    tally.add(("cli", f"{ev_kind}-plugin"), len(evs))
                    for ev in evs:
                        problems.append(f"cli {ev_kind} in '{ev['where']}' ({ev.get('signal') or 'timeout'})")
            bits = f"{dbg} " + ("ok" if not oc.crashes and not oc.hangs else
                                f"{len(oc.crashes)} crash {len(oc.hangs)} hang")
            nerr = sum(1 for s, _ in oc.results.values() if s == "error")
            nbad = sum(1 for s, _ in oc.results.values() if s in BAD)
            bits += f" {len(oc.results)} cmds/{nerr} err" + (f"/{nbad} BAD" if nbad else "")
            line_bits.append(bits)
        # The CLI's output against LLDB's (the fallback must lose nothing): informational.
        if "cli" in res and "lldb" in res and res["lldb"].opened:
            nd = 0
            for i, (st, _) in res["lldb"].results.items():
                cs = res["cli"].results.get(i, ("?", ""))[0]
                lo, co = res["lldb"].outputs.get(i), res["cli"].outputs.get(i)
                if st in ("ok", "error") and cs in ("ok", "error"):
                    if st != cs or (st == "ok" and lo != co):
                        nd += 1
                        if len(diffs_cli) < 200:
                            diffs_cli.append({"mutant": idx, "command": cmds[i], "lldb": st, "cli": cs,
                                              "lldb_out": (lo or "")[:300], "cli_out": (co or res["cli"].results[i][1])[:300]})
                    tally.add(("cli", "same-as-lldb") if not (st != cs or (st == "ok" and lo != co)) else ("cli", "differs"))
            if nd:
                line_bits.append(f"cli≠lldb {nd}")
        secs = time.monotonic() - t_case
        what = "; ".join(o["what"] for o in recipe["ops"][:3]) + (" ..." if len(recipe["ops"]) > 3 else "")
        status = "FAIL" if problems else ("OWN " if own_notes else "ok  ")
        print(f"{status} [{n + 1}/{len(wanted)}] #{idx} {base.name} {recipe['family']}:{'+'.join(recipe['kinds'])} "
              f"({what[:140]}) | {' | '.join(line_bits)}"
              + (f" | {', '.join(own_notes)}" if own_notes else "") + f" ({secs:.1f}s)", flush=True)
        for p in problems[:12]:
            print(f"       {p}", flush=True)
        if len(problems) > 12:
            print(f"       ... {len(problems) - 12} more", flush=True)
        keep_to = None
        if problems:
            keep_to = os.path.join(fail_dir, f"{idx:04d}-{base.name.replace('/', '-')}")
            findings.append({"mutant": idx, "base": base.name, "recipe": recipe["ops"], "problems": problems,
                             "dir": keep_to})
        elif own_notes:
            keep_to = os.path.join(own_dir, f"{idx:04d}-{base.name.replace('/', '-')}")
            own.append({"mutant": idx, "base": base.name, "notes": own_notes, "dir": keep_to,
                        "cli": {s: sum(1 for x, _ in res["cli"].results.values() if x == s)
                                for s in ("ok", "error")} if "cli" in res else None})
        elif args.keep:
            keep_to = os.path.join(args.artifacts, "kept", f"{idx:04d}")
        if keep_to:
            write_readme(work, args, base, recipe, cmds, problems + own_notes)
            shutil.rmtree(keep_to, ignore_errors=True)
            shutil.move(work, keep_to)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return report(args, debuggers, tally, findings, own, diffs_cli, len(wanted), time.monotonic() - t_start)


def write_readme(work, args, base, recipe, cmds, notes):
    me = os.path.abspath(__file__)
    with open(os.path.join(work, "README.txt"), "w") as f:
        f.write(f"mutant #{recipe['mutant']} (seed {recipe['seed']}) of {base.name}\n"
                f"executable {base.exe}\nbase core  {base.core} (sha256 {recipe['base_core_sha256']})\n\n")
        f.write("damage:\n" + "".join(f"  {o['what']}\n" for o in recipe["ops"]) + "\n")
        f.write("findings:\n" + "".join(f"  {p}\n" for p in notes) + "\n")
        f.write("remake the core from the base core and recipe.json:\n"
                f"  python3 -c 'import json,sys; sys.path.insert(0,\"{os.path.dirname(me)}\"); import mutated_cores as m; "
                f"r=json.load(open(\"recipe.json\")); m.apply_ops(r[\"base_core\"], \"core.remade\", r[\"ops\"])'\n"
                f"rerun this mutant:\n  {me} --seed {recipe['seed']} --only {recipe['mutant']} "
                f"--toolchains go1.{base.minor} --modes {base.mode} --fixtures {base.fixture} ...\n"
                "  (--only picks the mutant by number among the same bases: give the same --toolchains, --modes and\n"
                "   --fixtures as the run that found it, or use the recipe)\n"
                "by hand:\n"
                f"  lldb-22 -b -o 'plugin load PLUGIN' -o 'target create {base.exe} --core core' -o 'go COMMAND'\n"
                f"  gdb -batch -nx -ex 'source GO-GDB.PY' -ex 'file {base.exe}' -ex 'core-file core' -ex 'go COMMAND'\n"
                f"  goinspect {base.exe} core COMMAND\n"
                "commands run (go ...):\n" + "".join(f"  {c}\n" for c in cmds))


def report(args, debuggers, tally, findings, own, diffs_cli, ncores, secs) -> int:
    cols = debuggers
    rows = [
        ("cores", lambda d: tally.get((d, "cores"))),
        ("crashes without plugin (bare, opening)", lambda d: "-" if d == "cli" else tally.get((d, "bare-crash"))),
        ("hangs without plugin (bare, opening)", lambda d: "-" if d == "cli" else tally.get((d, "bare-hang"))),
        ("crashes with plugin: debugger's own", lambda d: "-" if d == "cli" else tally.get((d, "crash-own"))),
        ("crashes caused by the plugin / CLI", lambda d: tally.get((d, "crash-plugin"))),
        ("hangs caused by the plugin / CLI", lambda d: tally.get((d, "hang-plugin"))),
        ("go commands run", lambda d: tally.get((d, "commands"))),
        ("  with output", lambda d: tally.get((d, "st-ok"))),
        ("  with one clear error line", lambda d: tally.get((d, "st-error"))),
        ("  missing/unclear error line", lambda d: sum(tally.get((d, "st-" + s)) for s in BAD)),
        ("  not run: hung in the CLI", lambda d: "-" if d == "cli" else tally.get((d, "st-skipped"))),
        ("seconds (with plugin / CLI)", lambda d: f"{tally.get((d, 'secs')):.0f}"),
        ("seconds (bare)", lambda d: "-" if d == "cli" else f"{tally.get((d, 'bare-secs')):.0f}"),
    ]
    w = max(len(r[0]) for r in rows)
    print()
    print(f"{'':{w}}  " + "  ".join(f"{c:>8}" for c in cols))
    for name, fn in rows:
        print(f"{name:{w}}  " + "  ".join(f"{str(fn(c)):>8}" for c in cols))
    bad_kinds = {s: sum(tally.get((d, "st-" + s)) for d in cols) for s in sorted(BAD)}
    print(f"missing/unclear error lines by kind: " + ", ".join(f"{k} {v}" for k, v in bad_kinds.items() if v)
          if any(bad_kinds.values()) else "missing/unclear error lines by kind: none")
    if "cli" in cols and "lldb" in cols:
        print(f"CLI vs LLDB, commands both answered: {tally.get(('cli', 'same-as-lldb'))} the same, "
              f"{tally.get(('cli', 'differs'))} different")
    print(f"{ncores} mutated cores, seed {args.seed}, {secs:.0f}s; {len(findings)} with failures caused by "
          f"the plugin or the CLI, {len(own)} that the bare debuggers could not open")
    summary = {"seed": args.seed, "cores": ncores, "seconds": secs,
               "tally": {f"{k[0]}:{k[1]}": v for k, v in tally.n.items()},
               "findings": findings, "debugger_own": own, "cli_vs_lldb": diffs_cli}
    with open(os.path.join(args.artifacts, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(f"summary: {os.path.join(args.artifacts, 'summary.json')}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
