#!/usr/bin/python3
"""Truth check of `go defers`, `go panics` and `go info`'s "died of" (the LLDB plugin)
against what the fixtures set up and the Go runtime's own crash dump.

Cases are named TOOLCHAIN/MODE/FIXTURE/KIND (modes plain, noopt, stripped, pie):

  FIXTURE defers, KIND core   `defers crash` with GOTRACEBACK=crash in a temp dir: stdout
                              holds the fixture's truth ("TRUTH {json}" per goroutine, see
                              tests/fixtures/defers/main.go), stderr the dump; the core is
                              opened in one lldb-22 session:
                                go defers all --json, go defers ID --json (two ids),
                                go panics --json, go info   (each with --output FILE)
  FIXTURE defers, KIND live   `defers hang` with GOTRACEBACK=system until READY (its truth
                              in $GOINSPECT_TRUTH_FILE: the harness's reader consumes its
                              stdout), lldb attaches, runs the same commands, detaches; the
                              process must still run, not stopped; SIGQUIT then prints the
                              dump the frames are checked against
  FIXTURE causes, KIND panic|index|nilmap|nilptr|mapwrites|cgosegv
                              `causes KIND` with GOTRACEBACK=crash: a core that died of that
                              cause ("CAUSE G" in $GOINSPECT_TRUTH_FILE names the goroutine
                              that dies); go panics --json and go info on it
  FIXTURE overflow|deadlock|deferpanic, KIND crash
                              their own `crash` (stack overflow, deadlock, nested panic):
                              the same cause checks

Checks (each failure names goroutine, field, expected, got):
  * defers, for every truth goroutine: `go defers all` lists it iff the truth has pending
    defers; its defers equal the truth's in number and order (run order), entry by entry:
    function (exact, or the truth's function_re for a compiler-made wrapper), kind, frame,
    defer_file, defer_line; defer_pc is a "0x..." string iff the truth has a statement
    line (never for open-coded defers, nor for a range-over-func body's: deferprocat
    records no pc), record one iff the kind is not open-coded; frame_index points at a
    frame of the dump's goroutine whose function is the defer's frame, and frame_sp is
    that frame's sp in the dump; status and wait_reason are the dump's state (as
    check_goroutines.py reads it); warnings are notes (advice such as "a defer inside a
    loop?" is not an error);
  * a goroutine `go defers all` lists that the truth does not know: a failure unless its
    every defer is in a runtime.* function and frame (runtime.main's own defer: a note);
  * `go defers ID` lists exactly goroutine ID, equal to its entry in `go defers all`;
  * panics, for every truth goroutine: `go panics` lists it iff the truth has panics; the
    same number, oldest first; type, value (any text or null where the truth has none:
    a custom error type, whose Error() the plugin cannot run), recovered, goexit,
    running_defer; no other goroutine of the defers fixture has a panic;
  * cause (every core): from the dump's first lines: kind "panic" ("panic: ..." lines),
    "fatal" ("fatal error: ..."), "signal" ("SIGSEGV: segmentation violation" and the like);
    message: the most recent panic's text (the last "panic:" line without " [recovered]"),
    what follows "fatal error: ", or the signal line; signal: the signal's name, for a
    signal or a panic with "[signal SIGSEGV: ...]", else null; goroutine: the first
    goroutine the dump prints when it is the one that was running ([running], or for a
    signal the goroutine it interrupted, [syscall] in cgo), null when the dump starts with
    the g0 and no goroutine was running (deadlock); it must also be the fixture's CAUSE
    goroutine (either writer for mapwrites); m: the dump's m= for it (the goroutine
    header, 1.22+, or the signal's PC= line), checked only where the dump prints one;
    thread: an integer or null; function: null or a function of the dump's frames of that
    goroutine or of its "runtime stack:"; in_cgo, where the plugin gives it: whether the
    dump says "signal arrived during cgo execution"; for a panic the cause goroutine's chain in
    `go panics` (goexit records left out) has the dump's "panic:" lines' values and
    [recovered] marks, oldest first; for a fatal error or a signal it has no panic;
    live: kind "none";
  * go info: a "died of" row that starts with the runtime's first line (the dump's first
    line, or its first "panic:"/"fatal error:"/signal line, or "panic: " + the cause's
    message);
  * "errors" in any answer is a failure.
Notes: the crashing goroutine's panic values were turned into strings by the runtime's
preprintpanics before the core was written (an error's Error(), a Stringer's String()),
so on a core their type is "string": the causes' chain check compares values only.

--dry-run: the fixtures, cores and lldb (without the plugin) run, the plugin's answers are
faked from the truth and the dump (fake_answers), and compared.

Environment: GOINSPECT_PLUGIN, GOINSPECT_FIXTURE_DIR, GOINSPECT_CASES (globs over
TOOLCHAIN/MODE/FIXTURE/KIND, e.g. "go1.27/*/causes/*"), GOINSPECT_ARTIFACTS,
GOINSPECT_LLDB, as for check_goroutines.py.

Usage: check_defers.py --toolchain go1.27 [--build] [--dry-run] [...]
Prints one PASS/FAIL line per case and "N passed, M failed"; exits 1 on any failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_goroutines as cg  # noqa: E402
import check_waits as cw  # noqa: E402
import crashdump  # noqa: E402
from check_goroutines import CaseError, _hex  # noqa: E402
from check_waits import WDiffs  # noqa: E402
from crashdump import print_name  # noqa: E402

FIXTURES = ["defers", "causes", "overflow", "deadlock", "deferpanic"]
CAUSES = ["panic", "index", "nilmap", "nilptr", "mapwrites", "cgosegv"]
KINDS = {"defers": ["core", "live"], "causes": CAUSES, "overflow": ["crash"],
         "deadlock": ["crash"], "deferpanic": ["crash"]}
DEFER_KINDS = ("heap", "stack", "open-coded", "rangefunc")
TRUTH_ENV = "GOINSPECT_TRUTH_FILE"

# ---------------------------------------------------------------------------------------
# The fixtures' truth


@dataclass
class TDefer:
    kind: str
    frame: str
    file: Optional[str]
    line: Optional[int]
    function: Optional[str] = None
    function_re: Optional[str] = None

    def name_ok(self, name) -> bool:
        if self.function is not None:
            return name == self.function
        return isinstance(name, str) and re.search(self.function_re, name) is not None

    @property
    def name(self) -> str:
        return self.function if self.function is not None else f"/{self.function_re}/"


@dataclass
class TPanic:
    type: Optional[str]
    value: Optional[str]
    any_value: bool  # the truth has no "value": any text (or null) will do
    recovered: bool
    goexit: bool
    running_defer: Optional[str]


@dataclass
class TGoroutine:
    goid: int
    case: str
    defers: List[TDefer] = field(default_factory=list)
    panics: List[TPanic] = field(default_factory=list)


def parse_truth(text: str) -> Dict[int, TGoroutine]:
    """The "TRUTH {json}" lines of the defers fixture's output (other lines are ignored).
    Raises ValueError naming the line when one is malformed."""
    out: Dict[int, TGoroutine] = {}
    for line in text.splitlines():
        if not line.startswith("TRUTH "):
            continue
        try:
            t = _parse_truth_line(json.loads(line[len("TRUTH "):]))
        except (ValueError, KeyError, TypeError, re.error) as e:
            raise ValueError(f"bad truth line {line[:200]!r}: {e}") from None
        if t.goid in out:
            raise ValueError(f"goroutine {t.goid}: two truth lines")
        out[t.goid] = t
    return out


def _opt(v, typ):
    if v is not None and not isinstance(v, typ):
        raise ValueError(f"{v!r} is not a {typ.__name__} or null")
    return v


def _parse_truth_line(j: dict) -> TGoroutine:
    t = TGoroutine(int(j["goroutine"]), str(j["case"]))
    for d in j["defers"]:
        td = TDefer(kind=d["kind"], frame=d["frame"], file=_opt(d["defer_file"], str),
                    line=_opt(d["defer_line"], int), function=_opt(d.get("function"), str),
                    function_re=_opt(d.get("function_re"), str))
        if td.kind not in DEFER_KINDS:
            raise ValueError(f"unknown defer kind {td.kind!r}")
        if (td.function is None) == (td.function_re is None):
            raise ValueError("a defer has a function or a function_re, not both")
        if td.function_re is not None:
            re.compile(td.function_re)
        if (td.file is None) != (td.line is None):
            raise ValueError("defer_file and defer_line are both set or both null")
        if td.kind == "open-coded" and td.line is not None:
            raise ValueError("an open-coded defer has no statement line")
        if td.kind in ("heap", "stack") and td.line is None:
            raise ValueError(f"a {td.kind} defer has its statement line")
        t.defers.append(td)
    for p in j["panics"]:
        if not isinstance(p["recovered"], bool) or not isinstance(p["goexit"], bool):
            raise ValueError("recovered and goexit are booleans")
        t.panics.append(TPanic(type=_opt(p["type"], str), value=_opt(p.get("value"), str),
                               any_value="value" not in p, recovered=p["recovered"],
                               goexit=p["goexit"],
                               running_defer=_opt(p["running_defer"], str)))
    return t


def parse_cause_truth(text: str) -> List[int]:
    """The goroutines of the last "CAUSE G [G2]" line (causes fixture): the one that dies
    (for mapwrites, either writer). [] when there is none."""
    ids: List[int] = []
    for line in text.splitlines():
        if line.startswith("CAUSE "):
            ids = [int(w) for w in line.split()[1:]]
    return ids


def check_truth(truth: Dict[int, TGoroutine], dump: crashdump.Dump, minor) -> List[str]:
    """The truth against the dump of the same run (a fixture bug, or the dump parser's):
    every truth goroutine is in the dump, every frame its defers name is one of its frames,
    every running defer is one of its frames."""
    errs = []
    dby = dump.by_id()
    for goid, t in sorted(truth.items()):
        dg = dby.get(goid)
        if dg is None:
            errs.append(f"goroutine {goid} ({t.case}): in the truth, not in the dump")
            continue
        names = {f.function for f in dg.frames}
        for fr in sorted({d.frame for d in t.defers}):
            if print_name(fr, minor) not in names:
                errs.append(f"goroutine {goid} ({t.case}): defers in frame {fr}, which the "
                            "dump's frames lack")
        for p in t.panics:
            if p.running_defer and print_name(p.running_defer, minor) not in names:
                errs.append(f"goroutine {goid} ({t.case}): running defer {p.running_defer} "
                            "is none of the dump's frames")
    return errs


# ---------------------------------------------------------------------------------------
# What the dump says about the cause of death


@dataclass
class Cause:
    kind: str  # panic fatal signal
    message: str
    goroutine: Optional[int]
    m: Optional[int]  # None: the dump does not say
    signal: Optional[str]
    first_line: str  # the dump's first line
    runtime_line: str  # its first "panic:", "fatal error:" or signal line
    panic_lines: List[Tuple[str, bool]] = field(default_factory=list)  # (value, recovered)
    frames: List[str] = field(default_factory=list)  # functions of the cause's stacks
    in_cgo: bool = False  # "signal arrived during cgo execution"
    # Every "fatal error:" message anywhere in the dump. Two threads can throw at once (the
    # writers of one map: "concurrent map writes" and "bad map state"); each prints its line
    # before taking paniclk, so which line comes first is a race, not the runtime's choice.
    fatal_messages: List[str] = field(default_factory=list)


_RECOVERED = re.compile(r" \[recovered(?:, repanicked)?\]$")
_SIGNAL_INFO = re.compile(r"^\[signal (SIG[A-Z0-9]+)")
_SIGNAL_LINE = re.compile(r"^(SIG[A-Z0-9]+|signal \d+): (.*)$")
_SECTION = re.compile(r"^(?:goroutine (\d+) .*\[(.*)\]:|runtime stack:)")


def expected_cause(text: str, dump: crashdump.Dump) -> Optional[Cause]:
    """The cause of death as the dump's own first lines tell it; None when they tell none
    (a SIGQUIT dump of a live process)."""
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), "")
    rt_line = kind = None
    for ln in dump.preamble:
        if ln.startswith("panic: "):
            kind, rt_line = "panic", ln
        elif ln.startswith("fatal error: "):
            kind, rt_line = "fatal", ln
        elif _SIGNAL_LINE.match(ln) and not ln.startswith("SIGQUIT"):
            kind, rt_line = "signal", ln
        if kind:
            break
    if kind is None:
        return None
    c = Cause(kind=kind, message="", goroutine=None, m=None, signal=None, first_line=first,
              runtime_line=rt_line)
    if kind == "panic":
        c.panic_lines = [(_RECOVERED.sub("", p), bool(_RECOVERED.search(p)))
                         for p in dump.panics]
        c.message = c.panic_lines[-1][0]
        mi = _SIGNAL_INFO.match(dump.signal_info or "")
        c.signal = mi.group(1) if mi else None
    elif kind == "fatal":
        c.message = dump.fatal_error or rt_line[len("fatal error: "):]
        c.fatal_messages = list(dict.fromkeys(ln[len("fatal error: "):] for ln in lines
                                              if ln.startswith("fatal error: ")))
    else:
        c.message = rt_line
        c.signal = rt_line.split(":", 1)[0]
        c.in_cgo = "signal arrived during cgo execution" in dump.preamble
        if dump.first_thread is not None:
            c.m = dump.first_thread.m
    # The first section after the preamble: the goroutine that was running the crash
    # (a panic's, a throw's, a signal's), or the g0 ("runtime stack:", "goroutine 0").
    start = len(dump.preamble)
    first_sec = next((m for m in (_SECTION.match(ln) for ln in lines[start:]) if m), None)
    g = None
    if first_sec and first_sec.group(1) and int(first_sec.group(1)) != 0:
        g = dump.by_id().get(int(first_sec.group(1)))
        if g is not None and kind != "signal" and not g.status.startswith("running"):
            g = None
    elif first_sec and kind == "fatal":
        # A throw on the system stack ("runtime stack:" first), then the goroutine the M
        # was running, [running] (stack overflow); none running: no goroutine (deadlock).
        running = [x for x in dump.goroutines if x.status == "running" and not x.stack_unavailable]
        if running and dump.g0_stacks:
            g = running[0]
    if g is not None:
        c.goroutine = g.id
        if kind != "signal" and g.m_printed:
            c.m = g.m
        c.frames = [f.function for f in g.frames]
    for g0 in dump.g0_stacks:
        c.frames += [f.function for f in g0.frames]
    return c


# ---------------------------------------------------------------------------------------
# Comparison


def _list(d: WDiffs, what: str, ans: Optional[dict], key: str = "goroutines") -> List[dict]:
    if ans is None:
        return []
    if not isinstance(ans, dict) or not isinstance(ans.get(key), list):
        d.msg(f"{what}: no \"{key}\" list in the answer")
        return []
    if ans.get("errors"):
        d.msg(f"{what}: errors {ans['errors']!r}")
    return [g for g in ans[key] if isinstance(g, dict)]


def _by_id(d: WDiffs, what: str, gs: List[dict]) -> Dict[int, dict]:
    out: Dict[int, dict] = {}
    for g in gs:
        if g.get("id") in out:
            d.msg(f"{what}: goroutine {g.get('id')} listed twice")
        out[g.get("id")] = g
    return out


def _is_hex(v) -> bool:
    return isinstance(v, str) and re.fullmatch(r"0x[0-9a-f]+", v) is not None


def compare_defer(d: WDiffs, goid: int, label: str, i: int, td: TDefer, pd: dict,
                  dg: Optional[crashdump.Goroutine], minor):
    pre = f"({label}) defers[{i}]"
    if not td.name_ok(pd.get("function")):
        d.exp(goid, f"{pre} function", td.name, pd.get("function"))
    for k, v in (("kind", td.kind), ("frame", td.frame), ("defer_file", td.file),
                 ("defer_line", td.line)):
        if pd.get(k) != v:
            d.exp(goid, f"{pre} {k}", v, pd.get(k), f"({td.name})")
    pc = pd.get("defer_pc")
    if td.line is not None and not _is_hex(pc):
        d.exp(goid, f"{pre} defer_pc", "0x...", pc, f"({td.name})")
    if td.line is None and pc is not None:
        d.exp(goid, f"{pre} defer_pc (no statement pc: {td.kind})", None, pc, f"({td.name})")
    rec = pd.get("record")
    if td.kind != "open-coded" and not _is_hex(rec):
        d.exp(goid, f"{pre} record", "0x...", rec, f"({td.name}, {td.kind})")
    if td.kind == "open-coded" and rec is not None:
        d.exp(goid, f"{pre} record (open-coded)", None, rec, f"({td.name})")
    # The frame, by index into the goroutine's frames, against the dump's.
    fi = pd.get("frame_index")
    if dg is None:
        return
    if not isinstance(fi, int) or not 0 <= fi < len(dg.frames):
        d.exp(goid, f"{pre} frame_index (of {len(dg.frames)} frames in the dump)",
              _frame_index(dg, td.frame, minor), fi, f"({td.name})")
        return
    df = dg.frames[fi]
    if df.function != print_name(td.frame, minor):
        d.exp(goid, f"{pre} frame_index {fi}: the dump's frame there", td.frame, df.function,
              f"(dump index of {td.frame}: {_frame_index(dg, td.frame, minor)})")
    elif df.sp is not None and _hex(pd.get("frame_sp")) != df.sp:
        d.exp(goid, f"{pre} frame_sp (sp of dump frame {fi}, {df.function})", hex(df.sp),
              pd.get("frame_sp"))


def _frame_index(dg: crashdump.Goroutine, frame: str, minor) -> Optional[int]:
    name = print_name(frame, minor)
    return next((i for i, f in enumerate(dg.frames) if f.function == name), None)


def _state_of(dg: crashdump.Goroutine) -> Tuple[str, Optional[str]]:
    status, reason = cg.status_from_state(dg)
    return status, reason or None


def compare_defers(d: WDiffs, truth: Dict[int, TGoroutine], ans: Optional[dict],
                   ids_ans: Dict[int, Optional[dict]], dump: crashdump.Dump, minor):
    if ans is None:
        d.msg("go defers all: no answer")
        return
    dby = dump.by_id()
    listed = _by_id(d, "go defers all", _list(d, "go defers all", ans))
    for goid, t in sorted(truth.items()):
        pg = listed.get(goid)
        if not t.defers:
            if pg is not None:
                d.msg(f"goroutine {goid} ({t.case}): no pending defer, but go defers all lists "
                      f"{len(pg.get('defers') or [])}: {_defer_names(pg)}")
            continue
        if pg is None:
            d.msg(f"goroutine {goid} ({t.case}): {len(t.defers)} pending defers, "
                  "missing from go defers all")
            continue
        dg = dby.get(goid)
        if dg is not None:
            status, reason = _state_of(dg)
            if pg.get("status") != status or (pg.get("wait_reason") or None) != reason:
                d.exp(goid, f"({t.case}) status/wait_reason (the dump's [{dg.state}])",
                      (status, reason), (pg.get("status"), pg.get("wait_reason")))
        for w in pg.get("warnings") or []:
            d.note(f"goroutine {goid} ({t.case}): warning {w!r}")
        pds = [x for x in pg.get("defers") or [] if isinstance(x, dict)]
        if len(pds) != len(t.defers):
            d.exp(goid, f"({t.case}) number of pending defers", len(t.defers), len(pds),
                  f"(plugin: {_defer_names(pg)})")
        for i, (td, pd) in enumerate(zip(t.defers, pds)):
            compare_defer(d, goid, t.case, i, td, pd, dg, minor)
    for goid in sorted(set(listed) - set(truth), key=str):
        pg = listed[goid]
        pds = pg.get("defers") or []
        if pds and all(str(x.get("function", "")).startswith("runtime.") and
                       str(x.get("frame", "")).startswith("runtime.") for x in pds):
            d.note(f"goroutine {goid}: runtime defers only: {_defer_names(pg)}")
        else:
            state = dby[goid].state if goid in dby else "not in the dump"
            d.msg(f"goroutine {goid} [{state}]: not in the truth, go defers all lists "
                  f"{_defer_names(pg)}")
    for goid, one in sorted(ids_ans.items()):
        what = f"go defers {goid}"
        if one is None:
            d.msg(f"{what}: no answer")
            continue
        gs = _list(d, what, one)
        if [g.get("id") for g in gs] != [goid]:
            d.exp(goid, f"{what}: goroutines listed", [goid], [g.get("id") for g in gs])
        elif goid in listed and gs[0] != listed[goid]:
            d.msg(f"goroutine {goid}: go defers {goid} differs from its entry in go defers "
                  f"all: {_json_diff(listed[goid], gs[0])}")


def _defer_names(pg: dict) -> str:
    names = [f"{x.get('function')}[{x.get('kind')}]" for x in pg.get("defers") or []
             if isinstance(x, dict)]
    if len(names) > 6:
        return ", ".join(names[:6]) + f", ... ({len(names)})"
    return ", ".join(names) or "none"


def _json_diff(a, b, path="") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                return _json_diff(a.get(k), b.get(k), f"{path}.{k}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return _json_diff(x, y, f"{path}[{i}]")
    return f"{path or '.'}: {json.dumps(a)[:120]} vs {json.dumps(b)[:120]}"


def compare_panic_entry(d: WDiffs, goid: int, label: str, i: int, tp: TPanic, pp: dict):
    pre = f"({label}) panics[{i}]"
    for k, v in (("type", tp.type), ("recovered", tp.recovered), ("goexit", tp.goexit),
                 ("running_defer", tp.running_defer)):
        if pp.get(k) != v:
            d.exp(goid, f"{pre} {k}", v, pp.get(k))
    if tp.any_value:
        if pp.get("value") is not None and not isinstance(pp.get("value"), str):
            d.exp(goid, f"{pre} value (any text)", "a string or null", pp.get("value"))
    elif pp.get("value") != tp.value:
        d.exp(goid, f"{pre} value", tp.value, pp.get("value"))


def compare_panics(d: WDiffs, truth: Dict[int, TGoroutine], ans: Optional[dict],
                   dump: crashdump.Dump, cause: Optional[Cause], *, all_known: bool,
                   live: bool, cause_ids: List[int] = ()):
    """go panics: the truth goroutines' chains (all_known: no other goroutine may have
    one), and the cause against the dump's (cause None: a live process, kind "none")."""
    if ans is None:
        d.msg("go panics: no answer")
        return
    listed = _by_id(d, "go panics", _list(d, "go panics", ans))
    for goid, t in sorted(truth.items()):
        pg = listed.get(goid)
        pps = [x for x in (pg or {}).get("panics") or [] if isinstance(x, dict)]
        if not t.panics:
            if pps:
                d.msg(f"goroutine {goid} ({t.case}): no panic, but go panics lists "
                      f"{[(x.get('type'), x.get('value')) for x in pps]}")
            continue
        if pg is None:
            d.msg(f"goroutine {goid} ({t.case}): {len(t.panics)} panic(s), missing from "
                  "go panics")
            continue
        if len(pps) != len(t.panics):
            d.exp(goid, f"({t.case}) number of panics", len(t.panics), len(pps),
                  f"(plugin: {[(x.get('type'), x.get('value')) for x in pps]})")
        for i, (tp, pp) in enumerate(zip(t.panics, pps)):
            compare_panic_entry(d, goid, t.case, i, tp, pp)
    if all_known:
        for goid in sorted(set(listed) - set(truth), key=str):
            pps = listed[goid].get("panics") or []
            if pps:
                d.msg(f"goroutine {goid}: not in the truth, go panics lists "
                      f"{[(x.get('type'), x.get('value')) for x in pps]}")
    compare_cause(d, ans.get("cause"), cause, live=live, cause_ids=list(cause_ids))
    if cause is not None and cause.goroutine is not None:
        pps = [x for x in (listed.get(cause.goroutine) or {}).get("panics") or []
               if isinstance(x, dict) and not x.get("goexit")]
        got = [(x.get("value"), bool(x.get("recovered"))) for x in pps]
        want = cause.panic_lines if cause.kind == "panic" else []
        if got != want:
            d.exp(cause.goroutine, "go panics chain (values, recovered) of the cause "
                  "goroutine vs the dump's panic lines", want, got)


def compare_cause(d: WDiffs, pc, c: Optional[Cause], *, live: bool, cause_ids: List[int]):
    if not isinstance(pc, dict):
        d.exp(None, "go panics cause", "an object", pc)
        return
    if c is None:
        if live and pc.get("kind") != "none":
            d.exp(None, "cause kind (live process)", "none", pc.get("kind"))
        return
    several = len(c.fatal_messages) > 1
    for k, v in (("kind", c.kind), ("message", c.message), ("signal", c.signal),
                 ("goroutine", c.goroutine)):
        if k == "message" and several:
            continue
        if pc.get(k) != v:
            d.exp(None, f"cause {k}", v, pc.get(k))
    if several:
        # Several threads threw: the message is the one of the goroutine the dump leads with
        # (compared above), and the others must all be named too.
        if pc.get("message") not in c.fatal_messages:
            d.exp(None, "cause message (one of the dump's fatal errors)", c.fatal_messages,
                  pc.get("message"))
        others = pc.get("others") if isinstance(pc.get("others"), list) else []
        shown = {pc.get("message")} | {o.get("message") for o in others if isinstance(o, dict)}
        if not set(c.fatal_messages) <= shown:
            d.exp(None, "cause others (every fatal error the dump printed)",
                  sorted(c.fatal_messages), sorted(str(x) for x in shown))
    if cause_ids and c.goroutine not in cause_ids:
        d.msg(f"the dump's cause goroutine {c.goroutine} is not the fixture's CAUSE "
              f"{cause_ids} (fixture or harness bug)")
    if "in_cgo" in pc and pc.get("in_cgo") != c.in_cgo:
        d.exp(None, "cause in_cgo (\"signal arrived during cgo execution\")", c.in_cgo,
              pc.get("in_cgo"))
    if c.m is not None and pc.get("m") != c.m:
        d.exp(None, "cause m (the dump's m=)", c.m, pc.get("m"))
    if pc.get("thread") is not None and not isinstance(pc.get("thread"), int):
        d.exp(None, "cause thread", "an integer or null", pc.get("thread"))
    fn = pc.get("function")
    if fn is not None and print_name(str(fn)) not in c.frames:
        d.exp(None, "cause function (one of the dump's frames of the cause)",
              sorted(set(c.frames))[:8], fn)


def died_of(info_text: Optional[str]) -> Optional[str]:
    """The text of go info's "died of" row, None without one."""
    for line in (info_text or "").splitlines():
        m = re.match(r"^died of\s+(.*)$", line.strip())
        if m:
            return m.group(1)
    return None


def compare_info(d: WDiffs, info_text: Optional[str], c: Optional[Cause]):
    if info_text is None:
        d.msg("go info: no answer")
        return
    row = died_of(info_text)
    if c is None:
        if row is not None:
            d.exp(None, "go info died of (live process)", None, row)
        return
    accepted = [c.first_line, c.runtime_line] + ["fatal error: " + m for m in c.fatal_messages]
    if c.kind == "panic":
        accepted.append("panic: " + c.message)
    if row is None or not any(row.startswith(a) for a in accepted):
        d.exp(None, "go info died of (starts with)", accepted[1], row)


def compare(truth: Dict[int, TGoroutine], ans: Dict[str, object], dump: crashdump.Dump,
            text: str, *, minor, live: bool, ids_asked: List[int]) -> WDiffs:
    """The defers fixture: go defers all / ID, go panics, go info against the truth and
    the dump."""
    d = WDiffs()
    for e in check_truth(truth, dump, minor):
        d.msg(f"fixture truth: {e}")
    cause = None if live else expected_cause(text, dump)
    if not live and cause is None:
        d.msg("the dump tells no cause of death (harness bug?)")
    compare_defers(d, truth, ans.get("defers"), {i: ans.get(f"defers-{i}") for i in ids_asked},
                   dump, minor)
    compare_panics(d, truth, ans.get("panics"), dump, cause, all_known=True, live=live)
    compare_info(d, ans.get("info"), cause)
    return d


def compare_cause_case(ans: Dict[str, object], dump: crashdump.Dump, text: str,
                       cause_ids: List[int]) -> WDiffs:
    d = WDiffs()
    cause = expected_cause(text, dump)
    if cause is None:
        d.msg("the dump tells no cause of death: " + text[:300])
        return d
    compare_panics(d, {}, ans.get("panics"), dump, cause, all_known=False, live=False,
                   cause_ids=cause_ids)
    compare_info(d, ans.get("info"), cause)
    return d


# ---------------------------------------------------------------------------------------
# A perfect plugin, faked from the truth and the dump (--dry-run, self-tests)


def fake_name(td: TDefer) -> str:
    if td.function is not None:
        return td.function
    # The wrapper name a 1.22+ compiler gives: matches every function_re the fixture uses.
    m = re.match(r"^\^main\\\.(\w+)\\\.", td.function_re)
    return f"main.{m.group(1) if m else 'x'}.deferwrap1"


def fake_answers(truth: Dict[int, TGoroutine], dump: crashdump.Dump, text: str, minor,
                 live: bool = False, ids_asked: List[int] = ()) -> Dict[str, object]:
    dby = dump.by_id()
    gs = []
    for goid, t in sorted(truth.items()):
        if not t.defers:
            continue
        dg = dby[goid]
        status, reason = _state_of(dg)
        entries = []
        for td in t.defers:
            fi = _frame_index(dg, td.frame, minor)
            sp = dg.frames[fi].sp if fi is not None else None
            entries.append({"function": fake_name(td), "kind": td.kind, "frame": td.frame,
                            "frame_index": fi, "frame_sp": hex(sp) if sp is not None else None,
                            "defer_pc": "0x401000" if td.line is not None else None,
                            "defer_file": td.file, "defer_line": td.line,
                            "record": None if td.kind == "open-coded" else "0xc000010000"})
        gs.append({"id": goid, "status": status, "wait_reason": reason, "defers": entries,
                   "warnings": []})
    # runtime.main's own pending defer, as a plugin may well report it
    g1 = dby.get(1)
    if g1 is not None and 1 not in truth:
        fi = _frame_index(g1, "runtime.main", minor)
        if fi is not None:
            status, reason = _state_of(g1)
            gs.append({"id": 1, "status": status, "wait_reason": reason, "warnings": [],
                       "defers": [{"function": "runtime.main.func2", "kind": "open-coded",
                                   "frame": "runtime.main", "frame_index": fi,
                                   "frame_sp": hex(g1.frames[fi].sp or 0), "defer_pc": None,
                                   "defer_file": None, "defer_line": None, "record": None}]})
    gs.sort(key=lambda g: g["id"])
    cause = None if live else expected_cause(text, dump)
    pgs = []
    for goid, t in sorted(truth.items()):
        if t.panics:
            pgs.append({"id": goid, "panics": [
                {"type": p.type, "value": p.value if not p.any_value else "myErr{...}",
                 "recovered": p.recovered, "goexit": p.goexit,
                 "running_defer": p.running_defer} for p in t.panics]})
    ans: Dict[str, object] = {"defers": {"goroutines": gs},
                              "panics": {"cause": fake_cause(cause), "goroutines": pgs},
                              "info": fake_info(cause)}
    for i in ids_asked:
        ans[f"defers-{i}"] = {"goroutines": [g for g in gs if g["id"] == i]}
    return ans


def fake_cause(c: Optional[Cause]) -> dict:
    if c is None:
        return {"kind": "none", "message": None, "goroutine": None, "m": None,
                "thread": None, "signal": None, "function": None}
    return {"kind": c.kind, "message": c.message, "goroutine": c.goroutine, "m": c.m,
            "thread": 1 if c.goroutine is not None else None, "signal": c.signal,
            "function": c.frames[0] if c.frames else None,
            "others": [{"kind": "fatal", "message": m, "goroutine": None, "thread": 2}
                       for m in c.fatal_messages if m != c.message]}


def fake_info(c: Optional[Cause]) -> str:
    rows = "Go version      go1.99\ngoroutines      3\n"
    if c is not None:
        rows += f"died of         {c.runtime_line} (thread #1)\n"
    return rows


def fake_cause_answers(dump: crashdump.Dump, text: str) -> Dict[str, object]:
    c = expected_cause(text, dump)
    pgs = []
    if c is not None and c.kind == "panic" and c.goroutine is not None:
        pgs.append({"id": c.goroutine, "panics": [
            {"type": "string", "value": v, "recovered": r, "goexit": False,
             "running_defer": None} for v, r in c.panic_lines]})
    return {"panics": {"cause": fake_cause(c), "goroutines": pgs}, "info": fake_info(c)}


# ---------------------------------------------------------------------------------------
# Running


@contextlib.contextmanager
def truth_file(path: str):
    """Have the fixtures started inside also write their truth lines to path (they look at
    $GOINSPECT_TRUTH_FILE; check_goroutines' helpers take the environment from ours)."""
    old = os.environ.get(TRUTH_ENV)
    os.environ[TRUTH_ENV] = path
    try:
        yield path
    finally:
        if old is None:
            del os.environ[TRUTH_ENV]
        else:
            os.environ[TRUTH_ENV] = old


def read_text(path: str) -> Optional[str]:
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def ids_to_ask(truth: Dict[int, TGoroutine]) -> List[int]:
    """For `go defers ID`: the truth goroutines with the most frames holding defers, with
    the most defers, and the first with both a panic and pending defers."""
    with_defers = sorted((t for t in truth.values() if t.defers), key=lambda t: t.goid)
    if not with_defers:
        return []
    ids = {max(with_defers, key=lambda t: (len({d.frame for d in t.defers}), -t.goid)).goid,
           max(with_defers, key=lambda t: (len(t.defers), -t.goid)).goid}
    ids |= set([t.goid for t in with_defers if t.panics][:1])
    return sorted(ids)


class Runner(cg.Runner):
    def run_case(self, minor: int, mode: str, fixture: str, kind: str):
        exe = self.exe(minor, mode, fixture)

        def body(work):
            if fixture == "defers" and kind == "core":
                return self.case_defers_core(minor, exe, work)
            if fixture == "defers" and kind == "live":
                return self.case_defers_live(minor, exe, work)
            return self.case_cause(exe, work, kind)

        self.guarded(f"go1.{minor}/{mode}/{fixture}/{kind}", fixture, exe, body)

    def commands(self, out: Dict[str, str], ids: List[int]) -> List[str]:
        if self.dry:
            return ["thread list"]
        cmds = [f'go defers all --json --output "{out["defers"]}"']
        cmds += [f'go defers {i} --json --output "{out[f"defers-{i}"]}"' for i in ids]
        cmds += [f'go panics --json --output "{out["panics"]}"',
                 f'go info --output "{out["info"]}"']
        return cmds

    def load(self, out: Dict[str, str]) -> Dict[str, object]:
        ans: Dict[str, object] = {}
        for k, p in out.items():
            ans[k] = read_text(p) if k == "info" else cw.load_json(p)
        return ans

    def lldb(self, cmds: List[str], work: str, out: Dict[str, str]) -> Optional[str]:
        """Runs lldb; an lldb that exits non-zero after writing some answers is reported
        with them (the missing ones say so)."""
        if not self.dry:
            cmds = [f'plugin load "{self.plugin}"'] + cmds
        try:
            cg.run_lldb(cmds, None, os.path.join(work, "lldb.log"))
        except CaseError as e:
            if self.dry or not any(os.path.exists(p) for p in out.values()):
                raise
            return str(e)
        return None

    @staticmethod
    def outputs(work: str, ids: List[int], defers: bool = True) -> Dict[str, str]:
        keys = (["defers"] + [f"defers-{i}" for i in ids] if defers else []) + ["panics", "info"]
        return {k: os.path.join(work, f"{k}.{'txt' if k == 'info' else 'json'}") for k in keys}

    def missing(self, d: WDiffs, ans: Dict[str, object], err: Optional[str]):
        for k, v in ans.items():
            if v is None:
                d.msg(f"{k}: the plugin wrote no answer (see lldb.log)"
                      + (f"; {err}" if err else ""))

    def case_defers_core(self, minor, exe, work) -> WDiffs:
        stdout, text, core = cw.crash_with_truth(exe, work)
        with open(os.path.join(work, "dump.txt"), "w") as f:
            f.write(text)
        with open(os.path.join(work, "truth.txt"), "w") as f:
            f.write(stdout)
        truth = self.truth(stdout)
        dump = crashdump.parse(text)
        if not dump.goroutines:
            raise CaseError("the fixture's stderr has no goroutine dump: " + text[-500:])
        ids = ids_to_ask(truth)
        out = self.outputs(work, ids)
        cmds = [f'target create "{exe}" --core "{core}"'] + self.commands(out, ids)
        try:
            err = self.lldb(cmds, work, out)
        finally:
            if not self.args.keep_cores:
                os.remove(core)
        ans = fake_answers(truth, dump, text, minor, ids_asked=ids) if self.dry else self.load(out)
        d = compare(truth, ans, dump, text, minor=minor, live=False, ids_asked=ids)
        self.missing(d, ans, err)
        return d

    def case_defers_live(self, minor, exe, work) -> WDiffs:
        path = os.path.join(work, "truth.txt")
        with truth_file(path):
            h = cg.HangingFixture(exe, work, "system")
        try:
            truth = self.truth(read_text(path) or "")
            ids = ids_to_ask(truth)
            out = self.outputs(work, ids)
            cmds = [f"process attach --pid {h.pid}"] + self.commands(out, ids) + ["process detach"]
            err = self.lldb(cmds, work, out)
            text, dump = h.dump_after_detach(work)
        finally:
            h.close()
        ans = fake_answers(truth, dump, text, minor, live=True, ids_asked=ids) if self.dry \
            else self.load(out)
        d = compare(truth, ans, dump, text, minor=minor, live=True, ids_asked=ids)
        self.missing(d, ans, err)
        return d

    def case_cause(self, exe, work, arg) -> WDiffs:
        path = os.path.join(work, "truth.txt")
        with truth_file(path):
            text, core = cg.crash_fixture(exe, work, arg)
        with open(os.path.join(work, "dump.txt"), "w") as f:
            f.write(text)
        dump = crashdump.parse(text)
        out = self.outputs(work, [], defers=False)
        cmds = [f'target create "{exe}" --core "{core}"'] + (
            ["thread list"] if self.dry else [
                f'go panics --json --output "{out["panics"]}"',
                f'go info --output "{out["info"]}"'])
        try:
            err = self.lldb(cmds, work, out)
        finally:
            if not self.args.keep_cores:
                os.remove(core)
        ans = fake_cause_answers(dump, text) if self.dry else self.load(out)
        d = compare_cause_case(ans, dump, text, parse_cause_truth(read_text(path) or ""))
        self.missing(d, ans, err)
        return d

    @staticmethod
    def truth(text: str) -> Dict[int, TGoroutine]:
        try:
            truth = parse_truth(text)
        except ValueError as e:
            raise CaseError(f"fixture truth: {e}")
        if not truth:
            raise CaseError("the fixture printed no truth")
        return truth

    def kinds(self, mode: str, fixture: str) -> List[str]:
        return KINDS[fixture]


def main(argv=None) -> int:
    return cg.oracle_main(
        argv, __doc__, Runner, FIXTURES,
        cases_help="comma-separated globs over TOOLCHAIN/MODE/FIXTURE/KIND",
        dry_run_help="no plugin: run fixtures and lldb, fake the plugin's answers",
        artifacts_help="keep the files of failing cases here (not the cores)")


if __name__ == "__main__":
    sys.exit(main())
