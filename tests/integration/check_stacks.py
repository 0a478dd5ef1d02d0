#!/usr/bin/python3
"""Truth check of `go stacks` (the LLDB plugin) against the Go runtime's own crash dumps.

For each case (toolchain, build mode, fixture, crash mode) it runs a fixture with
GOTRACEBACK=crash in a temp dir (check_goroutines.crash_fixture), parses its dump
(crashdump.py), opens the core in lldb-22 with the plugin and runs
  go stacks --all --json, go info --json, and go frames ID --json for the goroutines
  holding a recursion (the overflowing one included),
then deletes the core (the crash-default one is ~1.1 GB) and compares.

Cases (TOOLCHAIN/MODE/FIXTURE/ARG):
  overflow/crash          SetMaxStack(1 MiB), main.grow recursing without bound; every mode
  overflow/crash-default  the default limit (1000000000), main.growBig (16 KiB frames);
                          plain and stripped only (the core is big)
  recursion/crash         deep(200), ping/pong, tri1/tri2/tri3, withInlinedLeaf, deep(93..98)
  parked/crash            no recursion anywhere
Checks (each failure names goroutine, field, dump value, plugin value):
  * the same goroutine ids as the dump (not its g0 sections); go_version; state (the
    scavenger or forced-GC helper sysmon woke after the dump, runnable in the core: noted);
  * sp == the sp of the dump's innermost physical frame, except: the overflowing goroutine,
    whose sp, lo and hi are the dump's "runtime: sp=... stack=[lo, hi]" (newstack prints
    g.sched.sp less the word the call to morestack pushed: 8 below the innermost frame's
    sp), and the goroutine running a panic (the plugin starts from the thread's registers,
    deeper in the runtime): not compared;
  * frames == printed logical frames + "...N frames elided..." (same exception for the
    panicking goroutine); size == hi - lo (a power of two), used == hi - sp <= size,
    next_size == 2 * size, next_exceeds_max == (next_size > max_stack_bytes);
  * recursion: what the fixture sets up (RECURSIONS: functions outermost call first,
    cycle_frames, whole cycles counted from the outermost call, bytes_per_cycle: the fp - sp
    of the outermost whole cycle's frames in the dump (what one more cycle costs; the
    innermost frame of an overflow, caught in its prologue, is smaller), the entering
    frame: function, line, pc, sp), the dump's frame counts checked against the
    fixture's parameters; null for every other goroutine; more_fit as defined (the whole
    cycles that fit in max_stack_bytes - used_bytes);
  * sorted by used_bytes descending; histogram: one bucket per stack size (power of two),
    its count of goroutines and bytes; counts sum to the goroutines, bytes to their sizes;
    totals: goroutines, allocated_bytes and used_bytes are the sums over the list;
  * max_stack_bytes: the limit of "goroutine stack exceeds N-byte limit", else 1000000000;
    go info's max_stack_bytes the same;
  * overflow: null unless the dump is a stack overflow; then goroutine, limit_bytes, sp,
    lo, hi, size, used, next_size, recursion (the goroutine's), entered_from (the dump's
    frame around the recursion: main.overflow / main.overflowBig);
  * fatal: kind ("stack overflow" / "panic"), message ("stack overflow"; a panic's may be
    null or the dump's "panic: " text), goroutine, m (where the dump prints it), thrower
    (the caller of runtime.throw in the dump's "runtime stack:"); go info's fatal equal;
  * system_stacks: consistent (size, used, sp within); on a stack overflow the g0 holding
    the dump's "runtime stack:" frames exists (with the overflowing goroutine's m);
  * go frames ID: stack and recursion equal to go stacks'; as many frames; every physical
    frame of the dump (innermost 50 by index from the innermost end, the rest from the
    outermost end) has the same function, sp, fp, and size_bytes == fp - sp; every plugin
    frame has depth_bytes == fp - stack.sp, inlined frames size 0, and each physical
    frame's sp is its callee's fp.
The elided frames of a recursion are taken to be the recursion's function: checked by
the frames on both sides of "...N frames elided..." (same function and pc) and the gap
between them (N times that frame's size).

--dry-run (no plugin): fixtures, cores and lldb run (without the plugin), the plugin's
answer is faked from the dump (fake_plugin), which finds recursions its own way.

Environment: GOINSPECT_PLUGIN, GOINSPECT_FIXTURE_DIR, GOINSPECT_CASES (globs over
TOOLCHAIN/MODE/FIXTURE/ARG, e.g. "*/plain/overflow/*"), GOINSPECT_ARTIFACTS,
GOINSPECT_LLDB, as for check_goroutines.py.

Usage: check_stacks.py --toolchain go1.26 [--build] [--dry-run] [...]
Prints one PASS/FAIL line per case and "N passed, M failed"; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import sys
from typing import Dict, List, NamedTuple, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_goroutines as cg  # noqa: E402
import crashdump  # noqa: E402
from check_goroutines import CaseError, Diffs, _hex  # noqa: E402
from crashdump import print_name  # noqa: E402

DEFAULT_MAX_STACK = 1000000000  # runtime.main on 64-bit


class Recursion(NamedTuple):
    functions: Tuple[str, ...]  # the cycle, outermost call first
    frames: Optional[Dict[int, int]]  # frames of the cycle in one goroutine -> whole cycles
    entered_from: Optional[str]  # the caller of the outermost call, when the fixture fixes it


# What each case's fixture sets up (tests/fixtures/*/main.go). frames None: unbounded
# (the overflow: as many as the dump shows). The go statements' wrappers are not fixed
# (main.main.funcN in 1.21, main.main.gowrapN later): those are taken from the dump.
RECURSIONS = {
    ("overflow", "crash"): [Recursion(("main.grow",), None, "main.overflow")],
    ("overflow", "crash-default"): [Recursion(("main.growBig",), None, "main.overflowBig")],
    ("recursion", "crash"): [
        # deep(n) parks after n+1 frames: deep(200), and deep(93..98) around the 50+50 limit
        Recursion(("main.deep",), {n + 1: n + 1 for n in [200, 93, 94, 95, 96, 97, 98]}, None),
        Recursion(("main.ping", "main.pong"), {41: 20}, None),  # ping(40): ping..ping, 41
        Recursion(("main.tri1", "main.tri2", "main.tri3"), {32: 10}, None),  # tri1(31)
        # withInlinedLeaf(10): 11 frames, then inlinedLeaf (inlined, or not with -N -l)
        Recursion(("main.withInlinedLeaf",), {11: 11}, None),
    ],
    ("parked", "crash"): [],
}
CASES = [  # (fixture, argument, modes)
    ("overflow", "crash", cg.MODES),
    ("overflow", "crash-default", ["plain", "stripped"]),
    ("recursion", "crash", cg.MODES),
    ("parked", "crash", cg.MODES),
]
GOROUTINE_KEYS = ("id", "status", "state", "lo", "hi", "sp", "size_bytes", "used_bytes",
                  "guard_distance_bytes", "frames", "next_size_bytes", "next_exceeds_max",
                  "recursion")
_LIMIT = re.compile(r"^runtime: goroutine stack exceeds (\d+)-byte limit")


# ---------------------------------------------------------------------------------------
# The dump's side


def slots(dg: crashdump.Goroutine) -> List[Optional[crashdump.Frame]]:
    """Every logical frame, innermost first; None for the elided ones."""
    if not dg.elision:
        return list(dg.frames)
    k = dg.elision.index
    return dg.frames[:k] + [None] * dg.elision.count + dg.frames[k:]


def elided_function(dg: crashdump.Goroutine) -> Tuple[Optional[str], Optional[str]]:
    """(function of every elided frame, None) when the frames around "...N frames
    elided..." show them all to be one recursive call site; (None, why) otherwise."""
    e = dg.elision
    if e is None:
        return None, None
    if e.index == 0 or e.index >= len(dg.frames):
        return None, "nothing printed on one side of the elision"
    a, b = dg.frames[e.index - 1], dg.frames[e.index]  # inner side, outer side
    if a.function != b.function or a.pc != b.pc or a.inlined or b.inlined:
        return None, (f"frames around the elision differ: {a.function} pc={cg._fmt_hex(a.pc)}"
                      f", {b.function} pc={cg._fmt_hex(b.pc)}")
    if None in (a.fp, b.sp, b.fp):
        return b.function, None
    size = b.fp - b.sp
    if b.sp - a.fp != e.count * size:
        return None, (f"the {e.count} elided frames span {b.sp - a.fp} bytes, not "
                      f"{e.count} x {size} (frames of {b.function})")
    return b.function, None


def expected_recursion(dg: crashdump.Goroutine, specs: List[Recursion], diffs: Diffs):
    """The recursion object the plugin must show for dg, from the fixture's spec and the
    dump (None: no recursion). Dump/fixture disagreements go to diffs."""
    names = {f.function for f in dg.frames}
    spec = next((s for s in specs if names & set(s.functions)), None)
    if spec is None:
        return None
    k = len(spec.functions)
    fill, why = elided_function(dg)
    sl = slots(dg)
    fns = [f.function if f is not None else fill for f in sl]
    if dg.elision and fill is None:
        diffs.add(dg.id, "dump: elided frames", "one recursive call site", why)
        return None
    idx = [i for i, fn in enumerate(fns) if fn in spec.functions]
    inner, outer = idx[0], idx[-1]
    n = outer - inner + 1
    run = fns[inner:outer + 1][::-1]  # outermost first
    if len(idx) != n or any(fn != spec.functions[j % k] for j, fn in enumerate(run)):
        diffs.msg(f"goroutine {dg.id}: dump: frames of {'/'.join(spec.functions)} are not one "
                  f"cycle from the outermost call: {run[:8]}")
        return None
    if spec.frames is not None and n not in spec.frames:
        diffs.msg(f"goroutine {dg.id}: dump: {n} frames of {'/'.join(spec.functions)}, the "
                  f"fixture makes {sorted(spec.frames)}")
        return None
    repeats = spec.frames[n] if spec.frames is not None else n // k
    cycle = sl[outer - k + 1:outer + 1]  # the outermost whole cycle, printed
    entered = sl[outer + 1] if outer + 1 < len(sl) else None
    if None in cycle or entered is None:
        diffs.msg(f"goroutine {dg.id}: dump: the outermost cycle or its caller is elided")
        return None
    if spec.entered_from is not None and entered.function != spec.entered_from:
        diffs.add(dg.id, "dump: recursion entered from", spec.entered_from, entered.function)
    return {"functions": list(spec.functions), "cycle_frames": k, "repeats": repeats,
            "frames_total": n, "spec": spec,
            "bytes_per_cycle": sum(f.fp - f.sp for f in cycle if not f.inlined),
            "entered_from": entered}


def innermost_sp(dg: crashdump.Goroutine) -> Optional[int]:
    return next((f.sp for f in dg.frames if not f.inlined and f.sp is not None), None)


def limit_from(dump: crashdump.Dump) -> Optional[int]:
    for line in dump.runtime_messages:
        m = _LIMIT.match(line)
        if m:
            return int(m.group(1))
    return None


def thrower_from(dump: crashdump.Dump) -> Optional[str]:
    """The function that called runtime.throw, from the "runtime stack:" section."""
    for g in dump.g0_stacks:
        fns = [f.function for f in g.frames]
        if "runtime.throw" in fns and fns.index("runtime.throw") + 1 < len(fns):
            return fns[fns.index("runtime.throw") + 1]
    return None


# ---------------------------------------------------------------------------------------
# Comparison


def _is_pow2(v) -> bool:
    return isinstance(v, int) and v > 0 and v & (v - 1) == 0


def compare(dump: crashdump.Dump, stacks: dict, info: dict, frames: Dict[int, dict], *,
            case: Tuple[str, str], minor: int, go_version: Optional[str]) -> Diffs:
    diffs = Diffs()
    specs = RECURSIONS[case]
    if go_version is not None and stacks.get("go_version") != go_version:
        diffs.add(None, "go_version", go_version, stacks.get("go_version"))
    crashing = cg.crashing_goroutine(dump)
    over = crashing if dump.overflow_stack and crashing is not None else None
    limit = limit_from(dump)
    max_stack = limit if over is not None else DEFAULT_MAX_STACK
    if stacks.get("max_stack_bytes") != max_stack:
        diffs.add(None, "max_stack_bytes", max_stack, stacks.get("max_stack_bytes"))
    if info.get("max_stack_bytes") != stacks.get("max_stack_bytes"):
        disagree(diffs, None, "max_stack_bytes", stacks.get("max_stack_bytes"), "go info",
                 info.get("max_stack_bytes"))

    pgs = stacks.get("goroutines") or []
    pby = {g.get("id"): g for g in pgs}
    dby = dump.by_id()
    for goid in sorted(set(dby) - set(pby)):
        diffs.msg(f"goroutine {goid}: in the dump [{dby[goid].state}], missing from go stacks")
    for goid in sorted(set(pby) - set(dby)):
        diffs.msg(f"goroutine {goid}: listed by go stacks, not in the dump")
    used = [g.get("used_bytes") for g in pgs]
    if any(not isinstance(u, int) for u in used) or used != sorted(used, reverse=True):
        diffs.add(None, "goroutines order (used_bytes descending)", "sorted", used[:12])

    expected = {}
    for goid in sorted(set(dby) & set(pby)):
        dg, pg = dby[goid], pby[goid]
        exp = expected_recursion(dg, specs, diffs)
        expected[goid] = exp
        compare_goroutine(diffs, dump, dg, pg, exp, minor=minor, max_stack=max_stack,
                          crashing=crashing is not None and crashing.id == goid,
                          overflowing=over is not None and over.id == goid)
    # Every recursion the fixture sets up is in the dump, once per frame count.
    for spec in specs:
        seen = sorted(e["frames_total"] for e in expected.values() if e and e["spec"] is spec)
        want = sorted(spec.frames) if spec.frames is not None else seen[:1]
        if seen != want or not seen:
            diffs.msg(f"fixture: it makes goroutines with {want or 'some'} frames of "
                      f"{'/'.join(spec.functions)}, the dump shows {seen}")

    compare_histogram(diffs, stacks.get("histogram"), pgs)
    tot = stacks.get("totals") or {}
    for k, v in (("goroutines", len(pgs)),
                 ("allocated_bytes", sum(g.get("size_bytes") or 0 for g in pgs)),
                 ("used_bytes", sum(g.get("used_bytes") or 0 for g in pgs))):
        if tot.get(k) != v:
            diffs.add(None, f"totals.{k} (of the goroutines listed)", v, tot.get(k))
    compare_system_stacks(diffs, dump, stacks.get("system_stacks"), over)
    compare_overflow(diffs, dump, stacks, over, limit, expected.get(over.id) if over else None,
                     pby.get(over.id) if over else None, minor)
    compare_fatal(diffs, dump, stacks, info, crashing, over)
    for goid, fj in sorted(frames.items()):
        if goid in dby and goid in pby:
            compare_frames_json(diffs, dby[goid], pby[goid], fj, minor,
                                crashing=crashing is not None and crashing.id == goid
                                and over is None)
    return diffs


def disagree(diffs, goid, fld, stacks_val, other, other_val):
    """The plugin's two answers differ (no dump value involved)."""
    where = f"goroutine {goid}: " if goid is not None else ""
    diffs.msg(f"{where}{fld}: go stacks {stacks_val!r}, {other} {other_val!r}")


def compare_goroutine(diffs, dump, dg, pg, exp, *, minor, max_stack, crashing, overflowing):
    goid = dg.id
    for k in GOROUTINE_KEYS:
        if k not in pg:
            diffs.add(goid, f"{k} (missing)", "present", None)
    if pg.get("status") == "runnable" and dg.status in cg.SYSMON_WAKES:
        # sysmon runs on while the dump is printed and may wake the scavenger or the
        # forced-GC helper before the core is written (as check_goroutines.py notes): its
        # stack is the parked one still, and is compared as such.
        diffs.note(f"goroutine {goid}: '{dg.status}' in the dump, runnable in the core "
                   "(woken by sysmon)")
    else:
        if pg.get("state") != dg.status:
            diffs.add(goid, "state", dg.status, pg.get("state"))
        if pg.get("status") != cg.status_from_state(dg)[0]:
            diffs.add(goid, "status", cg.status_from_state(dg)[0], pg.get("status"))
    lo, hi, sp = _hex(pg.get("lo")), _hex(pg.get("hi")), _hex(pg.get("sp"))
    size, used = pg.get("size_bytes"), pg.get("used_bytes")
    if overflowing:
        osp, olo, ohi = dump.overflow_stack
        for fld, want, got in (("sp", osp, sp), ("lo", olo, lo), ("hi", ohi, hi)):
            if want != got:
                diffs.add(goid, f"{fld} (runtime: sp=... stack=[...])", hex(want), pg.get(fld))
    elif crashing:
        diffs.note(f"goroutine {goid}: running the panic: sp and frames not compared")
    elif dg.stack_unavailable:
        diffs.note(f"goroutine {goid}: stack unavailable in the dump: sp, frames not compared")
    else:
        want = innermost_sp(dg)
        if want != sp:
            diffs.add(goid, "sp (innermost frame's)", cg._fmt_hex(want), pg.get("sp"))
    if not crashing or overflowing:
        if not dg.stack_unavailable:
            printed = len(dg.frames)
            elided = dg.elision.count if dg.elision else 0
            if pg.get("frames") != printed + elided:
                diffs.add(goid, "frames", f"{printed}" + (f" + {elided} elided" if elided else ""),
                          pg.get("frames"))
    if None in (lo, hi, sp) or not (lo <= sp <= hi):
        diffs.add(goid, "lo <= sp <= hi", "true", f"[{pg.get('lo')}, {pg.get('hi')}] sp "
                  f"{pg.get('sp')}")
    else:
        if size != hi - lo:
            diffs.add(goid, "size_bytes (hi - lo)", hi - lo, size)
        if used != hi - sp:
            diffs.add(goid, "used_bytes (hi - sp)", hi - sp, used)
    if not _is_pow2(size):
        diffs.add(goid, "size_bytes (a power of two)", "2^k", size)
    if isinstance(used, int) and isinstance(size, int) and used > size:
        diffs.add(goid, "used_bytes <= size_bytes", size, used)
    if isinstance(size, int) and pg.get("next_size_bytes") != 2 * size:
        diffs.add(goid, "next_size_bytes (2 x size)", 2 * size, pg.get("next_size_bytes"))
    nxt = pg.get("next_size_bytes")
    if isinstance(nxt, int) and pg.get("next_exceeds_max") != (nxt > max_stack):
        diffs.add(goid, "next_exceeds_max", nxt > max_stack, pg.get("next_exceeds_max"))
    compare_recursion(diffs, goid, exp, pg.get("recursion"), used, max_stack, minor)


def _frame_matches(d: crashdump.Frame, p: Optional[dict], minor) -> Optional[str]:
    """None if the plugin's frame json p is the dump's frame d, else what differs."""
    if not isinstance(p, dict):
        return f"{d.function}, plugin {p!r}"
    out = []
    if print_name(p.get("function", ""), minor) != d.function:
        out.append(f"function {d.function} vs {p.get('function')}")
    if p.get("line") != d.line:
        out.append(f"line {d.line} vs {p.get('line')}")
    if not d.inlined:
        for k in ("pc", "sp"):
            if getattr(d, k) is not None and _hex(p.get(k)) != getattr(d, k):
                out.append(f"{k} {hex(getattr(d, k))} vs {p.get(k)}")
    return "; ".join(out) or None


def compare_recursion(diffs, goid, exp, pr, used, max_stack, minor):
    if exp is None:
        if pr is not None:
            diffs.add(goid, "recursion", None, {k: pr.get(k) for k in
                                                ("functions", "cycle_frames", "repeats")})
        return
    if not isinstance(pr, dict):
        diffs.add(goid, "recursion", f"{exp['functions']} x {exp['repeats']}", pr)
        return
    fns = [print_name(f, minor) for f in pr.get("functions") or []]
    if fns != exp["functions"]:
        diffs.add(goid, "recursion.functions", exp["functions"], pr.get("functions"))
    for k in ("cycle_frames", "repeats", "bytes_per_cycle"):
        if pr.get(k) != exp[k]:
            diffs.add(goid, f"recursion.{k}", exp[k], pr.get(k),
                      f"({exp['frames_total']} frames of the cycle in the dump)"
                      if k == "repeats" else "")
    why = _frame_matches(exp["entered_from"], pr.get("entered_from"), minor)
    if why:
        diffs.add(goid, "recursion.entered_from", exp["entered_from"].function, why)
    mf, bpc = pr.get("more_fit"), pr.get("bytes_per_cycle")
    if isinstance(bpc, int) and bpc > 0 and isinstance(used, int):
        room = max_stack - used
        if not (isinstance(mf, int) and mf * bpc <= room < (mf + 1) * bpc) and \
                not (room < 0 and mf in (0, None)):
            diffs.add(goid, "recursion.more_fit ((max_stack - used) // bytes_per_cycle)",
                      room // bpc, mf)


def compare_histogram(diffs, hist, pgs):
    if not isinstance(hist, list):
        diffs.add(None, "histogram", "a list", hist)
        return
    by_size: Dict[int, List[int]] = {}
    for g in pgs:
        by_size.setdefault(g.get("size_bytes"), []).append(g.get("size_bytes") or 0)
    seen = set()
    for b in hist:
        s = b.get("size_bytes")
        if not _is_pow2(s):
            diffs.add(None, "histogram bucket size_bytes (a power of two)", "2^k", s)
        if s in seen:
            diffs.add(None, "histogram bucket listed twice", s, s)
        seen.add(s)
        want = by_size.get(s, [])
        if b.get("goroutines") != len(want) or b.get("total_bytes") != sum(want):
            diffs.add(None, f"histogram bucket {s}", f"{len(want)} goroutines, {sum(want)} "
                      "bytes", f"{b.get('goroutines')} goroutines, {b.get('total_bytes')} bytes")
    if sum(b.get("goroutines") or 0 for b in hist) != len(pgs):
        diffs.add(None, "histogram goroutines (sum)", len(pgs),
                  sum(b.get("goroutines") or 0 for b in hist))
    total = sum(g.get("size_bytes") or 0 for g in pgs)
    if sum(b.get("total_bytes") or 0 for b in hist) != total:
        diffs.add(None, "histogram total_bytes (sum)", total,
                  sum(b.get("total_bytes") or 0 for b in hist))


def compare_system_stacks(diffs, dump, sys_stacks, over):
    if not isinstance(sys_stacks, list) or not sys_stacks:
        diffs.add(None, "system_stacks", "a non-empty list", sys_stacks)
        return
    for s in sys_stacks:
        what = f"system stack m{s.get('m')} {s.get('kind')}"
        lo, hi, sp = _hex(s.get("lo")), _hex(s.get("hi")), _hex(s.get("sp"))
        if s.get("kind") not in ("g0", "gsignal"):
            diffs.add(None, f"{what}: kind", "g0|gsignal", s.get("kind"))
        if None in (lo, hi) or lo >= hi or s.get("size_bytes") != hi - lo:
            diffs.add(None, f"{what}: lo < hi, size_bytes == hi - lo", "consistent",
                      f"[{s.get('lo')}, {s.get('hi')}] {s.get('size_bytes')}")
            continue
        if sp is not None and (not lo <= sp <= hi or s.get("used_bytes") != hi - sp):
            diffs.add(None, f"{what}: lo <= sp <= hi, used_bytes == hi - sp", "consistent",
                      f"sp {s.get('sp')} used {s.get('used_bytes')}")
    if over is None:
        return
    sps = [f.sp for g in dump.g0_stacks for f in g.frames if f.sp is not None]
    if not sps:
        return
    holders = [s for s in sys_stacks if s.get("kind") == "g0" and _hex(s.get("lo")) is not None
               and _hex(s.get("lo")) <= min(sps) and max(sps) <= _hex(s.get("hi"))]
    if not holders:
        diffs.add(None, "system_stacks: the g0 holding the dump's \"runtime stack:\" frames",
                  f"[{hex(min(sps))}, {hex(max(sps))}]", "none")
    elif over.m_printed and over.m is not None and all(s.get("m") != over.m for s in holders):
        diffs.add(None, "system_stacks: m of the g0 holding \"runtime stack:\"", over.m,
                  [s.get("m") for s in holders])


def compare_overflow(diffs, dump, stacks, over, limit, exp, pg, minor):
    po = stacks.get("overflow")
    if over is None:
        if po is not None:
            diffs.add(None, "overflow", None, po)
        return
    if not isinstance(po, dict):
        diffs.add(None, "overflow", f"goroutine {over.id}", po)
        return
    sp, lo, hi = dump.overflow_stack
    want = {"goroutine": over.id, "limit_bytes": limit, "sp": sp, "lo": lo, "hi": hi,
            "size_bytes": hi - lo, "used_bytes": hi - sp, "next_size_bytes": 2 * (hi - lo)}
    for k, v in want.items():
        got = _hex(po.get(k)) if k in ("sp", "lo", "hi") else po.get(k)
        if got != v:
            diffs.add(over.id, f"overflow.{k}", hex(v) if k in ("sp", "lo", "hi") else v,
                      po.get(k))
    if pg is not None and po.get("recursion") != pg.get("recursion"):
        disagree(diffs, over.id, "recursion", pg.get("recursion"), "go stacks' overflow",
                 po.get("recursion"))
    if exp is not None:
        why = _frame_matches(exp["entered_from"], po.get("entered_from"), minor)
        if why:
            diffs.add(over.id, "overflow.entered_from", exp["entered_from"].function, why)


def compare_fatal(diffs, dump, stacks, info, crashing, over):
    pf = stacks.get("fatal")
    if info.get("fatal") != pf:
        disagree(diffs, None, "fatal", pf, "go info", info.get("fatal"))
    if not isinstance(pf, dict):
        diffs.add(None, "fatal", "an object", pf)
        return
    if over is not None:
        want = {"kind": "stack overflow", "message": "stack overflow", "goroutine": over.id,
                "thrower": thrower_from(dump)}
    elif dump.panics:
        want = {"kind": "panic", "goroutine": crashing.id if crashing else None}
        if pf.get("message") not in (None, dump.panics[0]):
            diffs.add(None, "fatal.message (null or the panic's)", dump.panics[0],
                      pf.get("message"))
    else:
        want = {"kind": "fatal error", "message": dump.fatal_error}
    g = over or crashing
    if g is not None and g.m_printed:
        want["m"] = g.m
    for k, v in want.items():
        if pf.get(k) != v:
            diffs.add(None, f"fatal.{k}", v, pf.get(k))


def compare_frames_json(diffs, dg, pg, fj, minor, crashing):
    goid = dg.id
    pst = fj.get("stack") or {}
    for k in ("lo", "hi", "sp", "used_bytes", "size_bytes"):
        if pst.get(k) != pg.get(k):
            disagree(diffs, goid, f"stack.{k}", pg.get(k), "go frames", pst.get(k))
    if fj.get("recursion") != pg.get("recursion"):
        disagree(diffs, goid, "recursion", pg.get("recursion"), "go frames", fj.get("recursion"))
    pfs = fj.get("frames") or []
    if len(pfs) != pg.get("frames"):
        disagree(diffs, goid, "number of frames", pg.get("frames"), "go frames", len(pfs))
    stack_sp = _hex(pst.get("sp"))
    prev_fp = None
    for j, p in enumerate(pfs):
        fp, sp = _hex(p.get("fp")), _hex(p.get("sp"))
        if None in (fp, sp, stack_sp):
            diffs.add(goid, f"go frames #{j} fp/sp", "hex", f"{p.get('fp')}/{p.get('sp')}")
            continue
        if p.get("depth_bytes") != fp - stack_sp:
            diffs.add(goid, f"go frames #{j} depth_bytes (fp - stack.sp)", fp - stack_sp,
                      p.get("depth_bytes"))
        want = 0 if p.get("inlined") else fp - sp
        if p.get("size_bytes") != want:
            diffs.add(goid, f"go frames #{j} size_bytes ({'inlined' if want == 0 else 'fp - sp'})",
                      want, p.get("size_bytes"))
        if not p.get("inlined"):
            if prev_fp is not None and sp != prev_fp:
                diffs.add(goid, f"go frames #{j} sp (== the callee's fp)", hex(prev_fp), p.get("sp"))
            prev_fp = fp
    if crashing or dg.stack_unavailable:
        return
    # The dump's physical frames: the innermost ones by index from the innermost end, the
    # ones after the elision from the outermost end.
    tail = len(dg.frames) - (dg.elision.index if dg.elision else len(dg.frames))
    for i, d in enumerate(dg.frames):
        if d.inlined:
            continue
        j = i if i < len(dg.frames) - tail else len(pfs) - (len(dg.frames) - i)
        p = pfs[j] if 0 <= j < len(pfs) else None
        why = _frame_matches(d, p, minor)
        if why is None and d.fp is not None:
            if _hex(p.get("fp")) != d.fp:
                why = f"fp {hex(d.fp)} vs {p.get('fp')}"
            elif p.get("size_bytes") != d.fp - d.sp:
                why = f"size_bytes {d.fp - d.sp} vs {p.get('size_bytes')}"
        if why:
            diffs.add(goid, f"go frames #{j} (dump frame {i})", d.function, why)


# ---------------------------------------------------------------------------------------
# The fake plugin (--dry-run, self-tests)


def find_cycle(fns: List[str]) -> Optional[Tuple[int, int, int]]:
    """(k, outermost index, repeats) of the first cycle of 1..16 functions repeating back
    to back, scanning from the outermost frame in; fns innermost first."""
    out = fns[::-1]
    for s in range(len(out)):
        for k in range(1, 17):
            unit = out[s:s + k]
            if len(unit) < k or len(set(unit)) != k:
                continue
            r = 1
            while out[s + r * k:s + (r + 1) * k] == unit:
                r += 1
            if r >= 2:
                return k, len(fns) - 1 - s, r
    return None


def fake_plugin(dump: crashdump.Dump, go_version: str, frame_ids=()) -> Tuple[dict, dict, dict]:
    """(go stacks, go info, {id: go frames}) as a perfect plugin would answer, from the
    dump alone: stacks [hi - 2^k, hi) with hi the outermost fp rounded up to 2 KiB."""
    crashing = cg.crashing_goroutine(dump)
    over = crashing if dump.overflow_stack and crashing is not None else None
    max_stack = limit_from(dump) if over else DEFAULT_MAX_STACK
    gs, frames = [], {}
    for dg in dump.goroutines:
        sl = slots(dg)
        fill, _ = elided_function(dg)
        pfs = []
        for f in sl:
            f = f or dg.frames[dg.elision.index]  # elided: like the frame after them
            pfs.append({"function": f.function, "file": f.file, "line": f.line,
                        "pc": hex(f.pc or 0), "sp": hex(f.sp or 0), "fp": hex(f.fp or 0),
                        "inlined": f.inlined})
        # Inlined frames share their physical frame's sp/fp; elided ones get made-up
        # addresses, contiguous with their neighbours.
        for j in range(len(pfs) - 2, -1, -1):
            if sl[j] is not None and sl[j].inlined:
                pfs[j]["sp"], pfs[j]["fp"] = pfs[j + 1]["sp"], pfs[j + 1]["fp"]
        if dg.elision:
            k, n = dg.elision.index, dg.elision.count
            outer_sp = int(pfs[k + n]["sp"], 16)
            size = int(pfs[k + n]["fp"], 16) - outer_sp
            for e in range(n):
                sp = outer_sp - (n - e) * size
                pfs[k + e].update(sp=hex(sp), fp=hex(sp + size))
        if crashing is not None and dg.id == crashing.id and over is None:
            sp0 = int(pfs[0]["sp"], 16)
            pfs[0:0] = [{"function": "runtime.raise", "file": "/fake.s", "line": 1,
                         "pc": "0x1", "sp": hex(sp0 - 16), "fp": hex(sp0 - 8), "inlined": False},
                        {"function": "runtime.fatalpanic", "file": "/fake.go", "line": 2,
                         "pc": "0x2", "sp": hex(sp0 - 8), "fp": hex(sp0), "inlined": False}]
        sp = int(next(p["sp"] for p in pfs if not p["inlined"]), 16)
        hi = (max(int(p["fp"], 16) for p in pfs) + 0x7ff) & ~0x7ff
        size = 2048
        while hi - size > sp:
            size *= 2
        lo = hi - size
        if over is not None and dg.id == over.id:
            sp, lo, hi = dump.overflow_stack
            size = hi - lo
        for p in pfs:
            p["depth_bytes"] = int(p["fp"], 16) - sp
            p["size_bytes"] = 0 if p["inlined"] else int(p["fp"], 16) - int(p["sp"], 16)
        rec = None
        cyc = find_cycle([p["function"] for p in pfs])
        if cyc:
            k, outer, r = cyc
            nxt = pfs[outer + 1] if outer + 1 < len(pfs) else None
            bpc = sum(p["size_bytes"] for p in pfs[outer - k + 1:outer + 1])
            rec = {"functions": [pfs[outer - j]["function"] for j in range(k)],
                   "cycle_frames": k, "repeats": r, "bytes_per_cycle": bpc,
                   "more_fit": (max_stack - (hi - sp)) // bpc if bpc else None}
            if nxt is not None:
                rec["entered_from"] = {x: nxt[x] for x in
                                       ("function", "file", "line", "pc", "sp", "fp", "inlined")}
        stack = {"lo": hex(lo), "hi": hex(hi), "sp": hex(sp), "used_bytes": hi - sp,
                 "size_bytes": size}
        gs.append({"id": dg.id, "status": cg.status_from_state(dg)[0],
                   "state": dg.status, **stack, "guard_distance_bytes": None,
                   "frames": len(pfs), "next_size_bytes": 2 * size,
                   "next_exceeds_max": 2 * size > max_stack, "recursion": rec})
        if dg.id in frame_ids:
            frames[dg.id] = {"id": dg.id, "stack": stack, "frames": pfs, "recursion": rec}
    gs.sort(key=lambda g: -g["used_bytes"])
    hist: Dict[int, List[int]] = {}
    for g in gs:
        hist.setdefault(g["size_bytes"], []).append(g["size_bytes"])
    g0 = [f.sp for g in dump.g0_stacks for f in g.frames if f.sp is not None]
    g0lo = (min(g0) - 0x1000) & ~0xfff if g0 else 0x10000
    m = over.m if over is not None and over.m is not None else 0
    sysst = [{"m": m, "kind": "g0", "lo": hex(g0lo), "hi": hex(g0lo + 0x4000),
              "size_bytes": 0x4000, "sp": None, "used_bytes": None, "thread_id": None}]
    fatal = None
    if over is not None:
        fatal = {"kind": "stack overflow", "message": "stack overflow", "goroutine": over.id,
                 "thread_id": 1, "m": over.m, "thrower": thrower_from(dump)}
    elif dump.panics:
        fatal = {"kind": "panic", "message": dump.panics[0],
                 "goroutine": crashing.id if crashing else None, "thread_id": 1,
                 "m": crashing.m if crashing else None, "thrower": None}
    overflow = None
    if over is not None:
        pg = next(g for g in gs if g["id"] == over.id)
        sp, lo, hi = dump.overflow_stack
        overflow = {"goroutine": over.id, "limit_bytes": max_stack, "sp": hex(sp), "lo": hex(lo),
                    "hi": hex(hi), "size_bytes": hi - lo, "used_bytes": hi - sp,
                    "next_size_bytes": 2 * (hi - lo), "recursion": pg["recursion"],
                    "entered_from": (pg["recursion"] or {}).get("entered_from")}
    stacks = {"go_version": go_version, "max_stack_bytes": max_stack, "goroutines": gs,
              "system_stacks": sysst,
              "histogram": [{"size_bytes": s, "goroutines": len(v), "total_bytes": sum(v)}
                            for s, v in sorted(hist.items())],
              "totals": {"goroutines": len(gs),
                         "allocated_bytes": sum(g["size_bytes"] for g in gs),
                         "used_bytes": sum(g["used_bytes"] for g in gs)},
              "overflow": overflow, "fatal": fatal}
    info = {"go_version": go_version, "max_stack_bytes": max_stack, "fatal": fatal}
    return stacks, copy.deepcopy(info), copy.deepcopy(frames)


# ---------------------------------------------------------------------------------------
# Cases


def frame_ids(dump: crashdump.Dump, case) -> List[int]:
    """The goroutines to run `go frames` on: those holding the fixture's recursions."""
    fns = {f for r in RECURSIONS[case] for f in r.functions}
    return [g.id for g in dump.goroutines if fns & {f.function for f in g.frames}]


class Runner(cg.Runner):
    def run_case(self, minor: int, mode: str, fixture: str, arg: str):
        exe = self.exe(minor, mode, fixture)
        # The work directory goes when the case ends, the core with it (~1.1 GB: crash-default).
        self.guarded(f"go1.{minor}/{mode}/{fixture}/{arg}", fixture, exe,
                     lambda work: self.case(minor, (fixture, arg), exe, work))

    def case(self, minor, case, exe, work) -> Diffs:
        text, core = cg.crash_fixture(exe, work, case[1])
        with open(os.path.join(work, "dump.txt"), "w") as f:
            f.write(text)
        dump = crashdump.parse(text)
        if not dump.goroutines:
            raise CaseError("the fixture's stderr has no goroutine dump: " + text[-500:])
        ids = frame_ids(dump, case)
        out = {k: os.path.join(work, f"{k}.json") for k in ["stacks", "info"] + ids}
        cmds = [f'target create "{exe}" --core "{core}"']
        if self.dry:
            cmds.append("thread list")
        else:
            cmds = [f'plugin load "{self.plugin}"'] + cmds + [
                f'go stacks --all --json --output "{out["stacks"]}"',
                f'go info --json --output "{out["info"]}"'] + [
                f'go frames {i} --json --output "{out[i]}"' for i in ids]
        try:
            stacks = cg.run_lldb(cmds, None if self.dry else out["stacks"],
                                 os.path.join(work, "lldb.log"))
        finally:
            if not self.args.keep_cores:
                os.remove(core)
        if self.dry:
            stacks, info, frames = fake_plugin(dump, cg.toolchain_version(minor), ids)
        else:
            info, frames = load_json(out["info"]), {i: load_json(out[i]) for i in ids}
        return compare(dump, stacks, info, frames, case=case, minor=minor,
                       go_version=cg.toolchain_version(minor))

    def run_toolchain(self, minor: int, selected):
        for fixture, arg, modes in CASES:
            for mode in self.args.modes:
                if mode in modes and selected(f"go1.{minor}/{mode}/{fixture}/{arg}"):
                    self.run_case(minor, mode, fixture, arg)


def load_json(path: str) -> dict:
    if not os.path.exists(path):
        raise CaseError(f"the plugin wrote no {os.path.basename(path)} (see lldb.log)")
    try:
        with open(path) as f:
            return json.load(f)
    except ValueError as e:
        raise CaseError(f"{os.path.basename(path)} is not JSON: {e}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    cg.add_common_arguments(
        ap, cases_help="comma-separated globs over TOOLCHAIN/MODE/FIXTURE/ARG",
        dry_run_help="no plugin: run fixtures and lldb, fake the plugin's answers",
        artifacts_help="keep the files of failing cases here (not the cores)")
    args = ap.parse_args(argv)
    cg.parse_modes(ap, args)
    # build.sh builds only these; run_all passes them on.
    args.fixtures = sorted({c[0] for c in CASES})
    # builds the fixtures, runs our cases
    return cg.run_with_plugin(args, cg.case_selector(args.cases), Runner)


if __name__ == "__main__":
    sys.exit(main())
