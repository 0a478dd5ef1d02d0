#!/usr/bin/python3
"""Truth check of `go goroutines` (the LLDB plugin) against the Go runtime's own dumps.

For each case (toolchain, build mode, fixture, kind) it runs a fixture from
tests/fixtures (built by tests/fixtures/build.sh), lets the Go runtime print every
goroutine (the oracle, parsed by crashdump.py), has the plugin list the goroutines of the
same process, and compares them goroutine by goroutine.

Kinds:
  core          run `FIXTURE crash` with GOTRACEBACK=crash in a temp dir: stderr is the
                oracle, the core it leaves is given to `lldb-22 ... target create EXE
                --core CORE` + `go goroutines --json --frames all --output OUT`.
  core-sigquit  (fixture `running` only) run `FIXTURE hang` with GOTRACEBACK=crash, wait
                for READY, send SIGQUIT: the runtime prints every goroutine, then every
                thread prints its own section ("-----" ... "SIGQUIT: quit"), then it dumps
                core. This is the case where a goroutine is shown as "running on other
                thread; stack unavailable" and its stack is printed in its thread's section.
  live          run `FIXTURE hang` with GOTRACEBACK=system, wait for READY, have lldb attach,
                run the plugin and detach; check the process still runs and is not left
                stopped; then SIGQUIT it (GOTRACEBACK=system prints every goroutine with
                runtime frames, gp/m and fp/sp/pc, and exits 2 without a core) and compare
                with that dump.
  vs-plain      (stripped mode only) the plugin's answer on the stripped build's core (opened
                with the stripped binary) must be the same as on the plain build's core of
                the same fixture: same goroutines with the same states, creators and frames
                (function, file, line, pc, inlined: -s -w leaves the text as it is), compared
                as a multiset without what differs from run to run (ids, gp, m, sp, stack
                addresses, parent ids). Opening one build's core with the other binary is
                not an option: the build settings recorded in the binary (-ldflags=-s -w)
                shift rodata, pclntab and, in some releases, data. The stripped core's own
                check against its dump is the stripped "core" case, as in every mode.
Every kind runs in every mode.

Comparison rules (each failure names goroutine id, field, dump value, plugin value):
  * the same set of goroutine ids: the dump's real goroutines, not its g0 sections
    ("goroutine 0 [idle]", "runtime stack:") and not the per-thread copies;
  * state: the dump's state text (without " (scan)") equals wait_reason when status is
    waiting (or leaked) and wait_reason is set, else the status word; " (leaked)" ⇔
    status leaked; "N minutes" equals wait_since_minutes (live: the dump, taken later, may
    be ahead by at most the minutes begun between the attach and the SIGQUIT, as measured
    around them); "locked to thread" equals locked_to_thread;
  * gp and m where the dump prints them (Go 1.22+);
  * labels: the plugin's "labels" is always an object; where the runtime prints pprof
    labels in its headers (1.26+, GODEBUG=tracebacklabels=1, which fixture_env sets; seen
    as any header carrying them) every goroutine's labels equal the dump's ({} for a header
    without them); vs-plain compares them as part of each goroutine's signature;
  * frames: equal in count and order; per frame print_name(function) (the runtime prints
    runtime.gopanic as "panic" and generic shapes as "[...]"), file, line, inlined ⇔
    "(...)", and for physical frames pc and also sp (the dump prints "sp=" per physical
    frame: the same Go frame SP the contract's "sp" means);
  * "...N frames elided...": the dump prints the innermost 50 and outermost 50 logical
    frames; the plugin lists them all: its count must be printed + N and both ends must
    match;
  * created_by: function (print_name), file, line, goid ("in goroutine N"; absent ⇔ 0/null);
  * go_version equals the toolchain's (GOROOT/VERSION);
  * the stack overflow fixture: the overflowing goroutine's stack lo/hi equal the dump's
    "runtime: sp=... stack=[lo, hi]".
Exceptions, each for a reason:
  * goroutine 1: the runtime never prints "created by" for it (printcreatedby skips
    goid 1), so the plugin's created_by for goroutine 1 is not compared;
  * the goroutine running the crash (the dump's first goroutine, [running], when the dump
    starts with "panic:" or "fatal error:"): the runtime prints it from the panic's (or
    throw's) frame, the plugin from wherever the thread stopped, so the plugin may have
    extra innermost frames: the dump's frames must be a suffix of the plugin's, and the
    extra frames must all be runtime.* functions;
  * a goroutine the dump shows as "goroutine running on other thread; stack unavailable"
    is compared using its per-thread SIGQUIT section if there is one; if there is none
    (a panic crash, or live mode) its frames are not compared (there is nothing to
    compare with), everything else is;
  * live mode: a goroutine running (status running in either) when the plugin looked or
    when the runtime printed moved in between: its frames and m are not compared;
  * the runtime goroutines sysmon itself readies (SYSMON_WAKES: the scavenger, the forced-GC
    helper), waiting in one account and runnable (live: or running) in the other: sysmon
    runs on while a panic's dump is printed, and between an attach and a SIGQUIT; noted;
  * live mode: goroutine 1 prints READY just before it parks in settle.HangForever, so the
    attach may find it still on its way there (running, runnable, or in the write): when
    the dump has it parked there, its state, m and frames are not compared (noted).
What makes the rest of a live account the same at the attach and at the SIGQUIT: every
fixture settles before READY (what it started is parked, or spins without allocating) and
runs with GOGC=off (fixture_env), so the only GCs are its own runtime.GC() before it
settles: no later GC can wake the GC workers, the sweeper or the finalizer goroutine, or
give the scavenger more to return to the OS, and sysmon cannot force one (it would two
minutes after the last, however long a slow lldb takes).

GOTRACEBACK=system for live: SIGQUIT is handled as a runtime throw, which prints at level
2 at "all" as well (see crashdump.py), but system asks for that explicitly; neither
writes a core.

--dry-run (no plugin yet): everything runs (fixtures, cores, lldb loading each core or
attaching and detaching, SIGQUIT), except that the plugin's answer is faked from the dump
itself (fake_plugin_json), so the machinery and the comparison are exercised end to end.

Environment:
  GOINSPECT_PLUGIN       the plugin (default: build/lldb-plugin/libgoinspect-lldb.so)
  GOINSPECT_FIXTURE_DIR  built fixtures (default: build/fixtures/integration, where
                         scripts/test.sh has tests/fixtures/build.sh put them)
  GOINSPECT_CASES        comma-separated glob patterns selecting cases by name
                         TOOLCHAIN/MODE/FIXTURE/KIND, e.g. "*/plain/parked/*,go1.27/pie/*"
  GOINSPECT_ARTIFACTS    directory where failing cases keep dump, plugin JSON, lldb output
  GOINSPECT_LLDB         the lldb binary (default: lldb-22)

Usage: check_goroutines.py --toolchain go1.26 [--build] [--dry-run] [...]
Prints one PASS/FAIL line per case and "N passed, M failed"; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from typing import Dict, List, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crashdump  # noqa: E402
from crashdump import print_name  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(os.path.dirname(HERE))
FIXTURES_SRC = os.path.join(SOURCE_DIR, "tests", "fixtures")
MODES = ["plain", "noopt", "stripped", "pie"]

# Timeouts (seconds) of every subprocess the harness starts.
T_CRASH = 90  # a fixture from start to its crash (and core written)
T_READY = 60  # a fixture in hang mode until it prints READY
T_LLDB = 120  # one lldb session
T_QUIT = 60  # a fixture after SIGQUIT until it exits
T_BUILD = 1800  # build.sh for one toolchain, cold


def fixture_names() -> List[str]:
    return sorted(d for d in os.listdir(FIXTURES_SRC)
                  if os.path.isfile(os.path.join(FIXTURES_SRC, d, "main.go")))


def kinds_for(mode: str, fixture: str) -> List[str]:
    kinds = ["core"]
    if mode == "stripped":
        kinds.append("vs-plain")  # right after core: it reuses the stripped core
    if fixture == "running":
        kinds.append("core-sigquit")
    kinds.append("live")
    return kinds


def toolchain_version(minor: int) -> str:
    with open(f"/usr/lib/go-1.{minor}/VERSION") as f:
        return f.readline().strip()


# ---------------------------------------------------------------------------------------
# Processes


def _die_with_parent():
    """In the child: SIGKILL it when the harness dies (CTest kills the harness on timeout,
    and the children live in their own process groups)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _core_unlimited():
    _die_with_parent()
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def _kill_group(p: subprocess.Popen):
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def run_bounded(argv, timeout, **kw):
    """subprocess.run with a timeout that kills the whole process group.
    Returns (returncode or None on timeout, stdout, stderr)."""
    kw.setdefault("preexec_fn", _die_with_parent)
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True, **kw)
    try:
        out, err = p.communicate(timeout=timeout)
        return p.returncode, out, err
    except subprocess.TimeoutExpired:
        _kill_group(p)
        out, err = p.communicate()
        return None, out, err


def fixture_env(gotraceback: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOTRACEBACK", "GODEBUG"))}
    env["GOTRACEBACK"] = gotraceback
    # No GC but the fixture's own runtime.GC(): one started by the heap, a memory limit or
    # sysmon (two minutes after the last) would wake the runtime's goroutines between a
    # debugger's look and the runtime's own account, and make the scavenger work.
    env.pop("GOMEMLIMIT", None)
    env["GOGC"] = "off"
    # Labels in goroutine headers (Go 1.26 knows the setting, 1.27 defaults it on for
    # modules saying go >= 1.27); older runtimes ignore unknown settings.
    env["GODEBUG"] = "tracebacklabels=1"
    return env


class CaseError(Exception):
    """The case could not be run (fixture misbehaved, lldb failed, timeout...)."""


def find_core(d: str) -> Optional[str]:
    for name in sorted(os.listdir(d)):
        if name == "core" or name.startswith("core."):
            return os.path.join(d, name)
    return None


def crash_fixture(exe: str, work: str, arg: str = "crash") -> (str, str):
    """Run `exe ARG` (crash, or another mode that crashes) with GOTRACEBACK=crash in work;
    return (dump text, core path)."""
    rc, _, err = run_bounded([exe, arg], T_CRASH, cwd=work, env=fixture_env("crash"),
                             preexec_fn=_core_unlimited)
    text = err.decode("utf-8", "replace")
    if rc is None:
        raise CaseError(f"fixture did not crash within {T_CRASH}s")
    core = find_core(work)
    if rc != -signal.SIGABRT:
        raise CaseError(f"fixture exited with {rc}, expected death by SIGABRT; stderr ends: "
                        + text[-500:])
    if core is None:
        # The kernel did not write one (core_pattern piped elsewhere, RLIMIT, ...): run it
        # again under gdb and take the core when the runtime raises SIGABRT.
        text, core = crash_fixture_gdb(exe, work, arg)
    return text, core


def crash_fixture_gdb(exe: str, work: str, arg: str = "crash") -> (str, str):
    core = os.path.join(work, "core.gdb")
    argv = ["gdb", "-nx", "-batch",
            "-ex", "handle SIGURG nostop noprint pass",
            "-ex", "handle SIGPIPE nostop noprint pass",
            "-ex", "handle SIGQUIT nostop noprint pass",
            "-ex", "run", "-ex", f"gcore {core}", "-ex", "kill",
            "--args", exe, arg]
    rc, out, err = run_bounded(argv, T_CRASH + 60, cwd=work, env=fixture_env("crash"))
    if rc is None or not os.path.exists(core):
        raise CaseError("no core from the kernel, and gdb could not take one: "
                        + err.decode("utf-8", "replace")[-500:])
    # gdb writes the Go heap's untouched reservations as zeros (1 GB and more) where the
    # kernel leaves holes: punch them back.
    if shutil.which("fallocate"):
        run_bounded(["fallocate", "--dig-holes", core], 120)
    # The fixture's stderr is gdb's inferior stderr, interleaved with nothing of gdb's own
    # on stderr except warnings; keep only from the first runtime line on.
    text = err.decode("utf-8", "replace")
    for marker in ("panic: ", "fatal error: ", "runtime: ", "SIGQUIT"):
        i = text.find(marker)
        if i >= 0:
            text = text[i:]
            break
    return text, core


class HangingFixture:
    """`exe hang` running in the background until READY; self.stdout is what it printed up
    to READY (its truth lines), stderr goes to a file (self.err_path)."""

    def __init__(self, exe: str, work: str, gotraceback: str, env: Optional[Dict[str, str]] = None):
        self.err_path = os.path.join(work, "stderr.txt")
        self.err = open(self.err_path, "wb")
        self.p = subprocess.Popen([exe, "hang"], cwd=work, env=env or fixture_env(gotraceback),
                                  stdout=subprocess.PIPE, stderr=self.err,
                                  start_new_session=True, preexec_fn=_core_unlimited)
        self.stdout = ""
        deadline = time.monotonic() + T_READY
        buf = b""
        os.set_blocking(self.p.stdout.fileno(), False)
        while time.monotonic() < deadline:
            chunk = self.p.stdout.read()
            if chunk:
                buf += chunk
                if b"READY\n" in buf:
                    self.stdout = buf.decode("utf-8", "replace")
                    return
            if self.p.poll() is not None:
                self.close()
                raise CaseError(f"fixture exited ({self.p.returncode}) before READY: "
                                + self.stderr()[-500:])
            time.sleep(0.02)
        # Ask the runtime where the fixture is stuck (stderr.txt keeps its account).
        self.p.send_signal(signal.SIGQUIT)
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        stuck = self.stderr()
        self.close()
        raise CaseError(f"fixture not READY within {T_READY}s; at SIGQUIT it said "
                        f"(all of it in {self.err_path}): " + stuck[:1500])

    @property
    def pid(self) -> int:
        return self.p.pid

    def state(self) -> str:
        """The kernel's state letter of the process (R, S, T, t, Z...)."""
        try:
            with open(f"/proc/{self.pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            return "gone"

    def quit(self) -> int:
        self.p.send_signal(signal.SIGQUIT)
        try:
            return self.p.wait(timeout=T_QUIT)
        except subprocess.TimeoutExpired:
            self.close()
            raise CaseError(f"fixture did not exit within {T_QUIT}s of SIGQUIT")

    def check_running_after_detach(self, debugger: str = "the debugger"):
        """A debugger detached: the process must still run, not be left stopped."""
        time.sleep(0.2)
        st = self.state()
        if self.p.poll() is not None:
            raise CaseError(f"the process died after {debugger} detached ({self.p.returncode})")
        if st in ("T", "t"):
            raise CaseError(f"the process is still stopped (state {st}) after detach")

    def dump_after_detach(self, work: str, debugger: str = "the debugger"):
        """After a debugger detached: check the process still runs and is not left stopped,
        then SIGQUIT it for the runtime's own account of every goroutine. Saves it as
        work/dump.txt; returns (text, parsed dump)."""
        self.check_running_after_detach(debugger)
        rc = self.quit()
        text = self.stderr()
        with open(os.path.join(work, "dump.txt"), "w") as f:
            f.write(text)
        if rc != 2:
            raise CaseError(f"fixture exited {rc} after SIGQUIT, expected 2")
        dump = crashdump.parse(text)
        if not dump.goroutines:
            raise CaseError("no goroutine dump after SIGQUIT: " + text[-500:])
        return text, dump

    def stderr(self) -> str:
        if not self.err.closed:
            self.err.flush()
        with open(self.err_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def close(self):
        if self.p.poll() is None:
            _kill_group(self.p)
        self.err.close()
        self.p.stdout.close()


def lldb_argv(commands: List[str]) -> List[str]:
    argv = [os.environ.get("GOINSPECT_LLDB", "lldb-22"), "--no-lldbinit", "-b"]
    for c in commands:
        argv += ["-o", c]
    return argv


def run_lldb(commands: List[str], out_json: Optional[str], log_path: str) -> Optional[dict]:
    """Run lldb in batch mode; return the plugin's JSON (None when out_json is None)."""
    rc, out, err = run_bounded(lldb_argv(commands), T_LLDB)
    log = out.decode("utf-8", "replace") + err.decode("utf-8", "replace")
    with open(log_path, "w") as f:
        f.write(f"$ {' '.join(lldb_argv(commands))}\nexit: {rc}\n{log}")
    if rc is None:
        raise CaseError(f"lldb did not finish within {T_LLDB}s (killed)")
    if out_json is None:
        if rc != 0:
            raise CaseError(f"lldb exited {rc}: {log[-800:]}")
        return None
    if not os.path.exists(out_json):
        raise CaseError(f"lldb exited {rc} and wrote no {os.path.basename(out_json)}: {log[-800:]}")
    try:
        with open(out_json) as f:
            return json.load(f)
    except ValueError as e:
        raise CaseError(f"plugin output is not JSON: {e}")


# ---------------------------------------------------------------------------------------
# The fake plugin: for --dry-run, derive the plugin's answer from the dump itself.


def fake_plugin_json(dump: crashdump.Dump, go_version: str, crashing_extra: bool = True) -> dict:
    """What a perfect plugin would answer, built from the dump (printed names stand in for
    symbol names: print_name maps them to themselves). Elided frames are filled with
    placeholders; the crashing goroutine gets two extra innermost runtime frames, as a
    plugin reading the thread's registers would."""
    crashing = crashing_goroutine(dump)
    gs = []
    for g in dump.goroutines:
        src = g
        if g.stack_unavailable:
            src = dump.thread_goroutine(g.id) or g
        frames = [frame_json(f) for f in src.frames]
        if src.elision:
            filler = dict(frames[src.elision.index - 1], pc="0x1", sp="0x1")
            frames[src.elision.index:src.elision.index] = [filler] * src.elision.count
        if crashing is not None and g.id == crashing.id and crashing_extra:
            frames = [{"function": "runtime.raise", "file": "/fake/sys.s", "line": 1,
                       "pc": "0x1", "sp": "0x1", "inlined": False, "args": "0x6"},
                      {"function": "runtime.fatalpanic", "file": "/fake/panic.go", "line": 2,
                       "pc": "0x2", "sp": "0x2", "inlined": False, "args": "0x6"}] + frames
        status, reason = status_from_state(g)
        cb = None
        if g.created_by:
            cb = {"function": g.created_by.function, "file": g.created_by.file,
                  "line": g.created_by.line, "goid": g.created_by.goid or 0}
        lo, hi = 0x1000, 0x2000
        if dump.overflow_stack and crashing is not None and g.id == crashing.id:
            lo, hi = dump.overflow_stack[1], dump.overflow_stack[2]
        gs.append({
            "id": g.id, "gp": hex(g.gp or 0xc000000000 + g.id), "status": status,
            "wait_reason": reason, "wait_since_minutes": g.wait_minutes,
            "locked_to_thread": g.locked_to_thread, "m": g.m, "thread_id": None,
            "stack": {"lo": hex(lo), "hi": hex(hi), "sp": hex(lo), "used_bytes": 0,
                      "size_bytes": hi - lo},
            "frames": frames, "created_by": cb, "labels": dict(g.labels)})
    return {"go_version": go_version, "goroutines": gs}


def frame_json(f: crashdump.Frame) -> dict:
    return {"function": f.function, "file": f.file, "line": f.line,
            "pc": hex(f.pc) if f.pc is not None else "0x0",
            "sp": hex(f.sp) if f.sp is not None else "0x0", "inlined": f.inlined,
            "args": f.args}


_STATUS_WORDS = {"idle", "runnable", "running", "syscall", "waiting", "dead", "copystack",
                 "preempted", "leaked"}


def status_from_state(g: crashdump.Goroutine):
    if g.leaked:
        return "leaked", g.status
    if g.status in _STATUS_WORDS:
        return g.status, ""
    return "waiting", g.status


# ---------------------------------------------------------------------------------------
# Comparison


def crashing_goroutine(dump: crashdump.Dump) -> Optional[crashdump.Goroutine]:
    """The goroutine that was running the crash: the first one printed, [running], when
    the dump is a panic's or a fatal error's (not a signal's: then the first goroutine is
    just the one the signal interrupted, printed from the signal context)."""
    if not dump.goroutines or dump.signal is not None:
        return None
    if not (dump.panics or dump.fatal_error):
        return None
    g = dump.goroutines[0]
    if g.status == "running" and not g.stack_unavailable:
        return g
    return None


def _hex(v) -> Optional[int]:
    if v is None:
        return None
    if isinstance(v, int):
        return v
    try:
        return int(str(v), 16)
    except ValueError:
        return None


def _fmt_hex(v) -> str:
    return "None" if v is None else hex(v)


class Diffs:
    def __init__(self):
        self.items: List[str] = []
        self.notes: List[str] = []

    def add(self, goid, fld, dump_val, plugin_val, detail=""):
        where = f"goroutine {goid}: " if goid is not None else ""
        self.items.append(f"{where}{fld}: dump {dump_val!r}, plugin {plugin_val!r}"
                          + (f" {detail}" if detail else ""))

    def msg(self, text):
        self.items.append(text)

    def note(self, text):
        self.notes.append(text)


def compare_frame(diffs: Diffs, goid, idx: int, d: crashdump.Frame, p: dict, minor):
    fn = p.get("function", "")
    printed = print_name(fn, minor)
    pre = f"frame {idx} ({d.function})"  # idx: position in the plugin's list
    if printed != d.function:
        diffs.add(goid, f"{pre} function", d.function,
                  printed if printed == fn else f"{printed} (symbol {fn})")
    if p.get("file") != d.file:
        diffs.add(goid, f"{pre} file", d.file, p.get("file"))
    if p.get("line") != d.line:
        diffs.add(goid, f"{pre} line", d.line, p.get("line"))
    if bool(p.get("inlined")) != d.inlined:
        diffs.add(goid, f"{pre} inlined", d.inlined, bool(p.get("inlined")))
    # The arguments as printArgs prints them (FUNCDATA_ArgInfo words, '?' where not live).
    if p.get("args") != d.args:
        diffs.add(goid, f"{pre} args", d.args, p.get("args"))
    if not d.inlined and d.pc is not None and _hex(p.get("pc")) != d.pc:
        diffs.add(goid, f"{pre} pc", _fmt_hex(d.pc), p.get("pc"))
    if not d.inlined and d.sp is not None and _hex(p.get("sp")) != d.sp:
        diffs.add(goid, f"{pre} sp", _fmt_hex(d.sp), p.get("sp"))
    # fp - sp is the frame's size (pcsp): `go frames` reports it, so it must be the runtime's.
    if not d.inlined and d.fp is not None and "fp" in p and _hex(p.get("fp")) != d.fp:
        diffs.add(goid, f"{pre} fp", _fmt_hex(d.fp), p.get("fp"))


def compare_frames(diffs: Diffs, goid, dg: crashdump.Goroutine, pframes: List[dict], minor,
                   allow_runtime_prefix: bool):
    dframes = dg.frames
    elided = dg.elision.count if dg.elision else 0
    expected = len(dframes) + elided
    extra = len(pframes) - expected
    if extra < 0 or (extra > 0 and not allow_runtime_prefix):
        what = f"{len(dframes)} frames" + (f" + {elided} elided" if elided else "")
        diffs.add(goid, "frame count", what, len(pframes))
        # Say where they part: from the outermost end, then from the innermost.
        for label, dseq, pseq in (("outermost", dframes[::-1], pframes[::-1]),
                                  ("innermost", dframes, pframes)):
            for k, (df, pf) in enumerate(zip(dseq, pseq)):
                if print_name(pf.get("function", ""), minor) != df.function or \
                        pf.get("line") != df.line:
                    diffs.msg(f"goroutine {goid}:   first difference from the {label} end, "
                              f"{k} frames in: dump {df.function}:{df.line}, plugin "
                              f"{pf.get('function')}:{pf.get('line')}")
                    break
        return
    if extra > 0:
        bad = [p.get("function", "") for p in pframes[:extra]
               if not p.get("function", "").startswith("runtime.")]
        if bad:
            diffs.add(goid, f"{extra} extra innermost frames (crashing goroutine: allowed only "
                      "if all runtime.*)", "-", bad)
        else:
            diffs.note(f"goroutine {goid}: {extra} extra innermost runtime frames in the plugin "
                       "(crashing goroutine)")
    for i, df in enumerate(dframes):
        j = extra + i
        if dg.elision and i >= dg.elision.index:
            j += elided
        compare_frame(diffs, goid, j, df, pframes[j], minor)


def compare(dump: crashdump.Dump, plugin: dict, *, minor: Optional[int], live: bool = False,
            go_version: Optional[str] = None, live_minutes: int = 1) -> Diffs:
    """Compare the plugin's answer with the dump. Returns the differences (empty: equal).
    live_minutes: live, how many minutes may begin between the plugin's look and the dump
    (live_minutes_between)."""
    diffs = Diffs()
    if go_version is not None and plugin.get("go_version") != go_version:
        diffs.add(None, "go_version", go_version, plugin.get("go_version"))
    pgs = plugin.get("goroutines") or []
    pby: Dict[int, dict] = {}
    for pg in pgs:
        if pg.get("id") in pby:
            diffs.msg(f"goroutine {pg.get('id')}: listed twice by the plugin")
        pby[pg.get("id")] = pg
    dby = dump.by_id()
    for goid in sorted(set(dby) - set(pby)):
        diffs.msg(f"goroutine {goid}: in the dump [{dby[goid].state}], missing from the plugin")
    for goid in sorted(set(pby) - set(dby)):
        pg = pby[goid]
        diffs.msg(f"goroutine {goid}: listed by the plugin ({pg.get('status')}"
                  f"{' ' + pg.get('wait_reason') if pg.get('wait_reason') else ''}), "
                  "not in the dump")
    crashing = crashing_goroutine(dump)
    labels_printed = dump_prints_labels(dump)
    for goid in sorted(set(dby) & set(pby)):
        compare_goroutine(diffs, dump, dby[goid], pby[goid], minor=minor, live=live,
                          crashing=crashing is not None and crashing.id == goid,
                          labels_printed=labels_printed, live_minutes=live_minutes)
    if dump.overflow_stack and crashing is not None and crashing.id in pby:
        st = pby[crashing.id].get("stack") or {}
        _, lo, hi = dump.overflow_stack
        if _hex(st.get("lo")) != lo or _hex(st.get("hi")) != hi:
            diffs.add(crashing.id, "stack [lo, hi] (runtime: sp=... stack=[...])",
                      f"[{hex(lo)}, {hex(hi)}]", f"[{st.get('lo')}, {st.get('hi')}]")
    return diffs


def dump_prints_labels(dump: crashdump.Dump) -> bool:
    """Whether this runtime printed pprof labels in its goroutine headers: Go 1.26+ with
    GODEBUG=tracebacklabels=1 (1.27 modules: by default), seen as any header carrying them.
    Where it does, a header without labels means the goroutine has none."""
    return any(g.labels for g in dump.goroutines)


# Runtime goroutines that sysmon itself readies (scavenger.wake, forcegc's injectglist).
SYSMON_WAKES = ("GC scavenge wait", "force gc (idle)")

# Where every fixture's main parks once it has printed READY (tests/fixtures/internal/settle).
HANG_FOREVER = "fixtures/internal/settle.HangForever"


def live_minutes_between(seconds: float) -> int:
    """How many "N minutes" a waiting goroutine's count may grow by in `seconds`: the
    runtime prints floor((now - waitsince) / 1 min), which grows by at most the number
    of minutes the interval spans, rounded up (at least one: the interval may cross a
    minute's end)."""
    return max(1, math.ceil(seconds / 60))


def compare_goroutine(diffs: Diffs, dump, dg: crashdump.Goroutine, pg: dict, *, minor, live,
                      crashing: bool, labels_printed: Optional[bool] = None,
                      live_minutes: int = 1):
    goid = dg.id
    status = pg.get("status")
    reason = pg.get("wait_reason") or ""
    expect = reason if status in ("waiting", "leaked") and reason else status
    if live and goid == 1 and status in ("running", "runnable", "syscall") and \
            any(f.function == HANG_FOREVER for f in dg.frames):
        # It printed READY and had yet to park when lldb attached: a moment later than the
        # plugin's, the dump has it where it parks for good. Nothing else of it moved.
        diffs.note(f"goroutine 1: {status} at the attach, on its way from READY to "
                   f"{HANG_FOREVER} (the dump's [{dg.state}]): state, m and frames not compared")
        if dg.gp is not None and _hex(pg.get("gp")) != dg.gp:
            diffs.add(goid, "gp", _fmt_hex(dg.gp), pg.get("gp"))
        return
    if expect != dg.status and status == "runnable" and dg.status in SYSMON_WAKES:
        # sysmon keeps running while the crashing thread prints the dump and may wake the
        # scavenger or the forced-GC helper before the core is written: not a misreading.
        # (Live: it may have woken one before the attach that parked again by the SIGQUIT.)
        diffs.note(f"goroutine {goid}: '{dg.status}' in the dump, runnable in the "
                   f"{'process' if live else 'core'} (woken by sysmon)")
    elif live and expect != dg.status and expect in SYSMON_WAKES and \
            dg.status in ("runnable", "running"):
        # ... or wake it after the plugin looked and before the SIGQUIT.
        diffs.note(f"goroutine {goid}: '{expect}' at the attach, {dg.status} in the dump "
                   "(woken by sysmon after the plugin looked)")
    elif expect != dg.status:
        diffs.add(goid, "state", dg.status, expect, f"(status {status}, wait_reason {reason!r})")
    if (status == "leaked") != dg.leaked:
        diffs.add(goid, "leaked", dg.leaked, status == "leaked")
    pmin = pg.get("wait_since_minutes") or 0
    if live:
        # The dump comes later: its count may have grown, by no more than the minutes begun
        # in between.
        if not (pmin <= dg.wait_minutes <= pmin + live_minutes):
            diffs.add(goid, f"wait minutes (live: dump may be up to {live_minutes} ahead)",
                      dg.wait_minutes, pmin)
    elif pmin != dg.wait_minutes:
        diffs.add(goid, "wait minutes", dg.wait_minutes, pmin)
    if bool(pg.get("locked_to_thread")) != dg.locked_to_thread:
        diffs.add(goid, "locked to thread", dg.locked_to_thread, bool(pg.get("locked_to_thread")))
    if dg.gp is not None and _hex(pg.get("gp")) != dg.gp:
        diffs.add(goid, "gp", _fmt_hex(dg.gp), pg.get("gp"))
    moving = live and (status == "running" or dg.status == "running")
    if dg.m_printed and not moving and pg.get("m") != dg.m:
        diffs.add(goid, "m", dg.m, pg.get("m"))

    # pprof labels, where the runtime prints them (the plugin always gives an object)
    plabels = pg.get("labels")
    if not isinstance(plabels, dict):
        diffs.add(goid, "labels (a JSON object)", "{...}", plabels)
    else:
        if labels_printed is None:
            labels_printed = dump_prints_labels(dump)
        if labels_printed and plabels != dg.labels:
            diffs.add(goid, "labels", dg.labels, plabels)

    # created by
    pcb = pg.get("created_by")
    dcb = dg.created_by
    if goid == 1:
        pass  # the runtime never prints it for goroutine 1
    elif dcb is None and pcb is not None:
        diffs.add(goid, "created_by", None, pcb.get("function"))
    elif dcb is not None and pcb is None:
        diffs.add(goid, "created_by", dcb.function, None)
    elif dcb is not None:
        printed = print_name(pcb.get("function", ""), minor)
        if printed != dcb.function:
            diffs.add(goid, "created_by function", dcb.function, pcb.get("function"))
        if pcb.get("file") != dcb.file:
            diffs.add(goid, "created_by file", dcb.file, pcb.get("file"))
        if pcb.get("line") != dcb.line:
            diffs.add(goid, "created_by line", dcb.line, pcb.get("line"))
        if (pcb.get("goid") or 0) != (dcb.goid or 0):
            diffs.add(goid, "created_by goroutine", dcb.goid, pcb.get("goid"))

    # frames
    src = dg
    if dg.stack_unavailable:
        src = dump.thread_goroutine(goid)
        if src is None:
            diffs.note(f"goroutine {goid}: running on another thread, stack unavailable in "
                       "the dump: frames not compared")
            return
        diffs.note(f"goroutine {goid}: frames compared with its thread's SIGQUIT section")
    if moving:
        diffs.note(f"goroutine {goid}: running (live): frames not compared")
        return
    compare_frames(diffs, goid, src, pg.get("frames") or [], minor, allow_runtime_prefix=crashing)


def signature(pg: dict) -> tuple:
    """A goroutine without what differs between two runs of the same code (id, gp, m, sp,
    stack addresses, the parent's id): for comparing the stripped build with the plain."""
    cb = pg.get("created_by") or {}
    running = pg.get("status") == "running"  # its pcs depend on when it was stopped
    frames = () if running else tuple(
        (f.get("function"), f.get("file"), f.get("line"), f.get("pc"), bool(f.get("inlined")))
        for f in pg.get("frames") or [])
    labels = tuple(sorted((pg.get("labels") or {}).items()))
    # The runtime's own workers (the scavenger, GC workers) wake on timers: one run can catch
    # one runnable that the other caught parked, in the same frames. Their state is checked
    # against each run's own dump; across runs only their frames and creator must agree.
    if pg.get("system"):
        return ("", "", bool(pg.get("locked_to_thread")), cb.get("function"), cb.get("file"),
                cb.get("line"), frames, labels)
    return (pg.get("status"), pg.get("wait_reason") or "", bool(pg.get("locked_to_thread")),
            cb.get("function"), cb.get("file"), cb.get("line"), frames, labels)


def compare_runs(plain: dict, stripped: dict) -> Diffs:
    diffs = Diffs()
    if plain.get("go_version") != stripped.get("go_version"):
        diffs.add(None, "go_version (plain vs stripped)", plain.get("go_version"),
                  stripped.get("go_version"))
    a = Counter(signature(g) for g in plain.get("goroutines") or [])
    b = Counter(signature(g) for g in stripped.get("goroutines") or [])
    for sig, n in sorted((a - b).items(), key=str):
        diffs.msg(f"plain core: {n} goroutine(s) the stripped core lacks: {_sig_text(sig)}")
    for sig, n in sorted((b - a).items(), key=str):
        diffs.msg(f"stripped core: {n} goroutine(s) the plain core lacks: {_sig_text(sig)}")
    return diffs


def _sig_text(sig) -> str:
    status, reason, locked, cbf, cbfile, cbline, frames, labels = sig
    top = " <- ".join(f"{f[0]}:{f[2]}@{f[3]}" for f in frames[:4])
    lbl = " {" + ", ".join(f"{k}: {v!r}" for k, v in labels) + "}" if labels else ""
    return (f"[{reason or status}{', locked' if locked else ''}]{lbl} {top}"
            f"{' ...' if len(frames) > 4 else ''} created by {cbf}:{cbline}")


# ---------------------------------------------------------------------------------------
# Cases


class Runner:
    def __init__(self, args):
        self.args = args
        self.plugin = args.plugin
        self.fixture_dir = args.fixture_dir
        self.dry = args.dry_run
        self.passed = 0
        self.failed = 0
        self.plain_results: Dict[tuple, dict] = {}  # (minor, fixture) -> plain core's JSON
        self.stripped_result: Optional[dict] = None  # the last stripped core's JSON

    def exe(self, minor, mode, fixture) -> str:
        return os.path.join(self.fixture_dir, f"go1.{minor}", mode, fixture)

    def plugin_commands(self, target_cmds: List[str], out_json: str) -> List[str]:
        if self.dry:
            return target_cmds + ["thread list"]
        return ([f'plugin load "{self.plugin}"'] + target_cmds +
                [f'go goroutines --json --frames all --output "{out_json}"'])

    def report(self, name: str, ok: bool, secs: float, diffs: Optional[Diffs] = None,
               error: Optional[str] = None, work: Optional[str] = None):
        if ok:
            self.passed += 1
            extra = f"; {len(diffs.notes)} notes" if diffs and diffs.notes else ""
            print(f"PASS {name} ({secs:.1f}s{extra})", flush=True)
            if diffs and self.args.verbose:
                for n in diffs.notes:
                    print(f"       note: {n}")
            return
        self.failed += 1
        if error is not None:
            print(f"FAIL {name} ({secs:.1f}s): {error}", flush=True)
        else:
            print(f"FAIL {name} ({secs:.1f}s): {len(diffs.items)} differences", flush=True)
            for line in diffs.items[:self.args.max_diffs]:
                print(f"       {line}")
            if len(diffs.items) > self.args.max_diffs:
                print(f"       ... {len(diffs.items) - self.args.max_diffs} more")
            for n in diffs.notes:
                print(f"       note: {n}")
        if work and self.args.artifacts:
            dest = os.path.join(self.args.artifacts, name.replace("/", "_"))
            shutil.rmtree(dest, ignore_errors=True)
            shutil.copytree(work, dest, ignore=shutil.ignore_patterns(
                *([] if self.args.keep_cores else ["core", "core.*"])))
            print(f"       artifacts: {dest}")
        sys.stdout.flush()

    def guarded(self, name: str, fixture: str, exe: str, body):
        """Runs one case, body(work) -> Diffs, in a fresh work directory (removed after, the
        core with it) and reports it: its differences, or the CaseError or harness error that
        stopped it (a harness bug must not hide the other cases)."""
        start = time.monotonic()
        work = tempfile.mkdtemp(prefix=f"goinspect-{fixture}-")
        try:
            if not os.path.exists(exe):
                raise CaseError(f"{exe} not built (tests/fixtures/build.sh)")
            diffs = body(work)
            self.report(name, not diffs.items, time.monotonic() - start, diffs, work=work)
        except CaseError as e:
            self.report(name, False, time.monotonic() - start, error=str(e), work=work)
        except Exception as e:
            self.report(name, False, time.monotonic() - start,
                        error=f"harness error: {type(e).__name__}: {e}", work=work)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def run_case(self, minor: int, mode: str, fixture: str, kind: str):
        exe = self.exe(minor, mode, fixture)

        def body(work):
            if kind == "core":
                return self.case_core(minor, mode, fixture, exe, work)
            if kind == "core-sigquit":
                return self.case_core_sigquit(minor, exe, work)
            if kind == "live":
                return self.case_live(minor, exe, work)
            if kind == "vs-plain":
                return self.case_vs_plain(minor, fixture, work)
            raise CaseError(f"unknown kind {kind}")

        self.guarded(f"go1.{minor}/{mode}/{fixture}/{kind}", fixture, exe, body)

    def plugin_on_core(self, minor, exe, core, dump, work) -> dict:
        out_json = os.path.join(work, "plugin.json")
        cmds = self.plugin_commands([f'target create "{exe}" --core "{core}"'], out_json)
        res = run_lldb(cmds, None if self.dry else out_json, os.path.join(work, "lldb.log"))
        if self.dry:
            res = fake_plugin_json(dump, toolchain_version(minor))
            with open(out_json, "w") as f:
                json.dump(res, f, indent=1)
        return res

    def case_core(self, minor, mode, fixture, exe, work) -> Diffs:
        text, core = crash_fixture(exe, work)
        with open(os.path.join(work, "dump.txt"), "w") as f:
            f.write(text)
        dump = crashdump.parse(text)
        if not dump.goroutines:
            raise CaseError("the fixture's stderr has no goroutine dump: " + text[-500:])
        res = self.plugin_on_core(minor, exe, core, dump, work)
        if mode == "plain":
            self.plain_results[(minor, fixture)] = res
        if mode == "stripped":
            self.stripped_result = res
        return compare(dump, res, minor=minor, go_version=toolchain_version(minor))

    def case_core_sigquit(self, minor, exe, work) -> Diffs:
        h = HangingFixture(exe, work, "crash")
        try:
            rc = h.quit()
            text = h.stderr()
        finally:
            h.close()
        if rc != -signal.SIGQUIT and rc != -signal.SIGABRT:
            raise CaseError(f"fixture exited {rc} after SIGQUIT, expected a core dump")
        core = find_core(work)
        if core is None:
            raise CaseError("no core after SIGQUIT with GOTRACEBACK=crash")
        dump = crashdump.parse(text)
        if not dump.threads:
            raise CaseError("the dump has no per-thread sections")
        res = self.plugin_on_core(minor, exe, core, dump, work)
        return compare(dump, res, minor=minor, go_version=toolchain_version(minor))

    def case_live(self, minor, exe, work) -> Diffs:
        out_json = os.path.join(work, "plugin.json")
        h = HangingFixture(exe, work, "system")
        try:
            cmds = self.plugin_commands([f"process attach --pid {h.pid}"], out_json)
            cmds.append("process detach")
            t0 = time.monotonic()  # before the plugin looks; the dump is printed before quit returns
            res = run_lldb(cmds, None if self.dry else out_json, os.path.join(work, "lldb.log"))
            _, dump = h.dump_after_detach(work)
            minutes = live_minutes_between(time.monotonic() - t0)
        finally:
            h.close()
        if self.dry:
            res = fake_plugin_json(dump, toolchain_version(minor))
        return compare(dump, res, minor=minor, live=True, go_version=toolchain_version(minor),
                       live_minutes=minutes)

    def case_vs_plain(self, minor, fixture, work) -> Diffs:
        stripped = self.stripped_result
        if stripped is None:
            raise CaseError("no plugin answer for the stripped core (its core case failed)")
        plain = self.plain_results.get((minor, fixture))
        if plain is None:
            # The plain core case was not selected, or failed: take a plain core now.
            exe = self.exe(minor, "plain", fixture)
            if not os.path.exists(exe):
                raise CaseError(f"{exe} not built")
            text, core = crash_fixture(exe, work)
            plain = self.plugin_on_core(minor, exe, core, crashdump.parse(text), work)
        return compare_runs(plain, stripped)

    def kinds(self, mode: str, fixture: str) -> List[str]:
        """The kinds of case this harness runs for a fixture in a build mode."""
        return kinds_for(mode, fixture)

    def run_toolchain(self, minor: int, selected):
        for mode in self.args.modes:
            for fixture in self.args.fixtures:
                for kind in self.kinds(mode, fixture):
                    name = f"go1.{minor}/{mode}/{fixture}/{kind}"
                    if selected(name):
                        self.run_case(minor, mode, fixture, kind)
                self.stripped_result = None


def parse_toolchain(t: str) -> int:
    m = re.match(r"^(?:go)?(?:1\.)?(\d+)$", t)
    if not m:
        raise argparse.ArgumentTypeError(f"bad toolchain {t!r} (want go1.NN)")
    return int(m.group(1))


def add_common_arguments(ap, cases_help: str, dry_run_help: str, artifacts_help: str):
    """The options every oracle harness takes (check_goroutines.py, check_stacks.py)."""
    ap.add_argument("--toolchain", action="append", type=parse_toolchain, required=True,
                    help="go1.NN (repeatable)")
    ap.add_argument("--plugin", default=os.environ.get(
        "GOINSPECT_PLUGIN", os.path.join(SOURCE_DIR, "build/lldb-plugin/libgoinspect-lldb.so")))
    ap.add_argument("--fixture-dir", default=os.environ.get(
        "GOINSPECT_FIXTURE_DIR", os.path.join(SOURCE_DIR, "build/fixtures/integration")))
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--cases", default=os.environ.get("GOINSPECT_CASES", ""), help=cases_help)
    ap.add_argument("--build", action="store_true",
                    help="run tests/fixtures/build.sh for the toolchain(s) first")
    ap.add_argument("--dry-run", action="store_true", help=dry_run_help)
    ap.add_argument("--artifacts", default=os.environ.get("GOINSPECT_ARTIFACTS"), help=artifacts_help)
    ap.add_argument("--keep-cores", action="store_true", help="keep cores in --artifacts too")
    ap.add_argument("--max-diffs", type=int, default=25)
    ap.add_argument("-v", "--verbose", action="store_true")


def parse_fixtures(ap, args, known):
    """--fixtures (comma-separated) as a list, each one of `known`."""
    args.fixtures = [f for f in args.fixtures.split(",") if f]
    for f in args.fixtures:
        if f not in known:
            ap.error(f"unknown fixture {f}")


def oracle_main(argv, doc: str, runner_class, fixtures: List[str], cases_help: str,
                dry_run_help: str, artifacts_help: str) -> int:
    """main() of a harness whose cases run over its own list of fixtures (check_waits.py,
    check_defers.py, check_sched.py): the common options and --fixtures, then the run."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    add_common_arguments(ap, cases_help=cases_help, dry_run_help=dry_run_help,
                         artifacts_help=artifacts_help)
    ap.add_argument("--fixtures", default=",".join(fixtures), help="comma-separated")
    args = ap.parse_args(argv)
    parse_modes(ap, args)
    parse_fixtures(ap, args, fixtures)
    return run_with_plugin(args, case_selector(args.cases), runner_class)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_common_arguments(
        ap, cases_help="comma-separated globs over TOOLCHAIN/MODE/FIXTURE/KIND",
        dry_run_help="no plugin: run fixtures and lldb (without the plugin), fake the "
                     "plugin's answer from the dump, compare",
        artifacts_help="keep the files of failing cases here")
    ap.add_argument("--fixtures", default=None, help="comma-separated (default: all)")
    args = ap.parse_args(argv)
    parse_modes(ap, args)
    args.fixtures = args.fixtures.split(",") if args.fixtures else fixture_names()
    return run_with_plugin(args, case_selector(args.cases))


def parse_modes(ap, args):
    """--modes as a list, each one checked."""
    args.modes = [m for m in args.modes.split(",") if m]
    for m in args.modes:
        if m not in MODES:
            ap.error(f"unknown mode {m}")


def case_selector(cases: str):
    """The filter --cases sets: comma-separated globs over case names; empty: every case."""
    patterns = [p for p in cases.split(",") if p]
    return lambda name: not patterns or any(fnmatch.fnmatch(name, p) for p in patterns)


def run_with_plugin(args, selected, runner_class=None) -> int:
    """run_all with a private copy of args.plugin (checked to exist unless --dry-run)."""
    if not args.dry_run and not os.path.exists(args.plugin):
        print(f"FAIL setup: plugin {args.plugin} not found (GOINSPECT_PLUGIN)")
        print("0 passed, 1 failed")
        return 1
    if args.artifacts:
        os.makedirs(args.artifacts, exist_ok=True)
    private = None
    if not args.dry_run:
        # A private copy: a rebuild of the plugin during the run must not be half-loaded.
        private = tempfile.mkdtemp(prefix="goinspect-plugin-")
        shutil.copy2(args.plugin, os.path.join(private, os.path.basename(args.plugin)))
        args.plugin = os.path.join(private, os.path.basename(args.plugin))
    try:
        return run_all(args, selected, runner_class)
    finally:
        if private:
            shutil.rmtree(private, ignore_errors=True)


def run_all(args, selected, runner_class=None) -> int:
    runner = (runner_class or Runner)(args)
    for minor in args.toolchain:
        if not os.path.exists(f"/usr/lib/go-1.{minor}/bin/go"):
            print(f"FAIL setup: toolchain /usr/lib/go-1.{minor} not installed")
            runner.failed += 1
            continue
        if args.build:
            env = dict(os.environ, MODES=" ".join(args.modes), FIXTURES=" ".join(args.fixtures))
            t0 = time.monotonic()
            rc, out, err = run_bounded([os.path.join(FIXTURES_SRC, "build.sh"), args.fixture_dir,
                                        f"go1.{minor}"], T_BUILD, env=env)
            if rc != 0:
                print(f"FAIL build go1.{minor}: build.sh exited {rc}: "
                      + (out + err).decode("utf-8", "replace")[-1500:])
                runner.failed += 1
                continue
            print(f"built go1.{minor} fixtures ({time.monotonic() - t0:.1f}s)", flush=True)
        runner.run_toolchain(minor, selected)
    print(f"{runner.passed} passed, {runner.failed} failed", flush=True)
    if runner.passed + runner.failed == 0:
        print("no case selected")
        return 1
    return 1 if runner.failed else 0


if __name__ == "__main__":
    sys.exit(main())
