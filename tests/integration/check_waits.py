#!/usr/bin/python3
"""Truth check of `go waits`, `go chans` and `go leaks` (the LLDB plugin) against what the
fixtures set up and the Go runtime's own crash dump.

For each case TOOLCHAIN/MODE/FIXTURE (fixtures waits, leaks, deadlock; modes plain, noopt,
stripped, pie) it runs `FIXTURE crash` with GOTRACEBACK=crash in a temp dir: stdout holds
the fixture's truth lines ("WAITS ...", see parse_truth and the fixtures' comments),
stderr the runtime's dump (crashdump.py), and the core is opened in one lldb-22 session:
  go waits --json, go waits --system --json, go waits ID ID --json, go chans --json,
  go leaks --json, go goroutines --json   (each with --output FILE).

Checks (each failure names goroutine, field, expected, got):
  * ids: `go waits` lists exactly the dump's blocked goroutines (status waiting, leaked or
    syscall) that are not the runtime's own (start function runtime.*, except
    runtime.main), sorted by id; --system exactly all blocked ones; "system" says which;
    every goroutine listed without --system is listed the same with it; `go waits A B`
    lists exactly A and B, as the full list does. One exception: a runtime goroutine
    whose state in the core (go goroutines) differs from the dump's, blocked in one and
    not in the other, is only noted: sysmon, which no crash stops, wakes the scavenger
    once the sweeper is done, and it has been seen runnable in the core after the dump
    printed it parked;
  * per goroutine: status and wait_reason equal the dump's state (as check_goroutines.py:
    the wait reason when waiting, else the status word); wait_minutes the dump's minutes;
    location "F at FILE:LINE" is one of the dump's frames;
  * blocked_on against the fixture's truth lines (goroutines that have some): the same
    entries (a select: one per case, in ascending channel address order, "select": true);
    chan: address, elem_type, cap, len, closed, direction, position, queue_length, and
    the answer's queue of that channel (chans[address]) senders and receivers (queue
    order); nil-chan: direction; mutex/rwmutex/waitgroup/cond: address, side, position,
    queue_length, and the answer's queue (semaphores[sema], notify_lists[notify_list]):
    every goroutine the truth has on that object and side, queue order; sema /
    notify_list inside the object; timer: when_ns set, wakes_in_seconds in (3000, 3600];
    netpoll: fd, direction, poll_desc set; syscall: m equals the dump header's m= (1.22+),
    thread_id set;
  * queues, in every go waits answer: each queue once, in "chans" (address -> the channel
    with its senders and receivers), "semaphores" (sema -> sleepers) and "notify_lists"
    (notify_list -> waiters): every entry's queue is there and every listed queue is one
    an entry names; each entry's queue_length is its queue's length and its position the
    goroutine's place in it; go waits and go waits ID give each queue as --system does;
  * oracles from the dump's own frames, for every blocked goroutine (runtime ones too),
    where the runtime printed the argument as reliable (no "?"; noopt builds print
    runtime.chanrecv/chansend's that way, a note says when one did not; notes count
    the entries checked this way):
    runtime.chanrecv/chansend (and chanrecv1/2, chansend1) first argument = the hchan:
    an entry kind chan with that address and direction (0: kind nil-chan);
    internal/poll.runtime_pollWait(pd, mode): a netpoll entry with that poll_desc and
    direction ('r' read, 'w' write); the outermost of sync.(*Mutex).Lock/lockSlow
    (internal/sync too), sync.(*RWMutex).Lock/RLock, sync.(*WaitGroup).Wait,
    sync.(*Cond).Wait: an entry of that kind on that address;
  * go chans: exactly the channels some goroutine of `go waits --system` waits on; for
    each, senders/receivers equal those of go waits --system's queue of it (and the set of
    goroutines waiting on it in each direction), elem_type/cap/len/closed those of its
    entries; sorted by
    number of waiters, most first; the truth's channels with their truth;
  * go leaks: every blocked user goroutine in exactly one group; count = its goroutines;
    the members of a group agree in the dump (state, frames without the runtime's
    innermost ones, creator function/file/line); no two groups with the same key in the
    dump unless their labels differ; frames and wait_reason those of its members; leak
    groups first, then by count, largest first; on the leaks fixture groups[0] and [1]
    are its leak sites A and B (count, wait_reason, created_by, labels, goroutines = the
    dump's goroutines created there, leak true, objects, shared null), no other group is
    a leak, and each background line has its group (count, reason, creator, leak false);
  * deadlock: on the deadlock fixture all_blocked and proven true and the cycles (as
    sets) exactly the fixture's; elsewhere null or all_blocked false and no cycle. The
    same in `go waits` with and without --system.
  * "errors" in any answer is a failure.

--dry-run: the fixtures, cores and lldb (without the plugin) run, the plugin's answers are
faked from the truth and the dump (fake_answers), and compared.

Environment: GOINSPECT_PLUGIN, GOINSPECT_FIXTURE_DIR, GOINSPECT_CASES (globs over
TOOLCHAIN/MODE/FIXTURE, e.g. "go1.27/noopt/*"), GOINSPECT_ARTIFACTS, GOINSPECT_LLDB, as
for check_goroutines.py.

Usage: check_waits.py --toolchain go1.27 [--build] [--dry-run] [...]
Prints one PASS/FAIL line per case and "N passed, M failed"; exits 1 on any failure.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import signal
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_goroutines as cg  # noqa: E402
import crashdump  # noqa: E402
from check_goroutines import CaseError, Diffs, _hex  # noqa: E402
from crashdump import print_name  # noqa: E402

FIXTURES = ["waits", "leaks", "deadlock"]
COMMANDS = ["waits", "waits-system", "waits-ids", "chans", "leaks", "goroutines"]
BLOCKED = ("waiting", "leaked", "syscall")

# ---------------------------------------------------------------------------------------
# The fixtures' truth lines


@dataclass
class TChan:
    name: str
    addr: int
    cap: int
    len: int
    elem: str


@dataclass
class TSync:
    name: str
    kind: str  # mutex rwmutex waitgroup cond
    addr: int
    size: int


@dataclass
class TWait:
    goid: int
    kind: str  # chan nil-chan select-no-cases mutex rwmutex waitgroup cond timer netpoll syscall
    obj: Optional[str] = None  # chan, sync object or fd name
    direction: Optional[str] = None  # recv|send (chan, nil-chan), read|write (netpoll)
    side: Optional[str] = None  # writer|reader (rwmutex)
    pos: Optional[int] = None
    select: bool = False
    secs: Optional[int] = None  # timer


@dataclass
class TLeak:
    site: str
    count: int
    creator: str
    objects: int
    labels: Dict[str, str]
    reason: str


@dataclass
class TBackground:
    name: str
    count: int
    creator: str
    reason: str


@dataclass
class Truth:
    chans: Dict[str, TChan] = field(default_factory=dict)
    syncs: Dict[str, TSync] = field(default_factory=dict)
    fds: Dict[str, int] = field(default_factory=dict)
    waits: Dict[int, List[TWait]] = field(default_factory=dict)
    holds: Dict[int, List[str]] = field(default_factory=dict)
    cycles: Dict[str, List[int]] = field(default_factory=dict)
    leaks: List[TLeak] = field(default_factory=list)
    background: List[TBackground] = field(default_factory=list)

    def queue(self, chan: str, direction: str) -> List[int]:
        """The goroutines the truth has waiting on chan in that direction, queue order."""
        ws = [w for ws in self.waits.values() for w in ws
              if w.kind == "chan" and w.obj == chan and w.direction == direction]
        return [w.goid for w in sorted(ws, key=lambda w: w.pos)]

    def waiters(self, obj: str, side: Optional[str]) -> List[int]:
        ws = [w for ws in self.waits.values() for w in ws
              if w.kind in ("mutex", "rwmutex", "waitgroup", "cond") and w.obj == obj
              and w.side == side]
        return [w.goid for w in sorted(ws, key=lambda w: w.pos)]


_KV = re.compile(r"^([a-z]+)=(.*)$")


def _kv(words: List[str]) -> Tuple[List[str], Dict[str, str]]:
    pos, kv = [], {}
    for w in words:
        m = _KV.match(w)
        if m:
            kv[m.group(1)] = m.group(2)
        else:
            pos.append(w)
    return pos, kv


def _labels(text: str) -> Dict[str, str]:
    if text in ("", "-"):
        return {}
    out = {}
    for item in text.split(","):
        k, _, v = item.partition("=")
        out[k] = v
    return out


def parse_truth(text: str) -> Truth:
    """The "WAITS ..." lines of a fixture's stdout (other lines are ignored). Raises
    ValueError naming the line when one is malformed."""
    t = Truth()
    for line in text.splitlines():
        if not line.startswith("WAITS "):
            continue
        try:
            _parse_line(t, line[len("WAITS "):])
        except (ValueError, KeyError, IndexError) as e:
            raise ValueError(f"bad truth line {line!r}: {e}") from None
    return t


def _parse_line(t: Truth, rest: str):
    what = rest.split(" ", 1)[0]
    if what == "chan":  # chan NAME ADDR cap=C len=L elem=TYPE (TYPE: rest of the line)
        head, elem = rest.split(" elem=", 1)
        words, kv = _kv(head.split()[1:])
        name, addr = words
        t.chans[name] = TChan(name, int(addr, 16), int(kv["cap"]), int(kv["len"]), elem)
    elif what == "sync":  # sync NAME KIND ADDR size=N
        words, kv = _kv(rest.split()[1:])
        name, kind, addr = words
        if kind not in ("mutex", "rwmutex", "waitgroup", "cond"):
            raise ValueError(f"unknown sync kind {kind}")
        t.syncs[name] = TSync(name, kind, int(addr, 16), int(kv["size"]))
    elif what == "fd":  # fd NAME FD
        _, name, fd = rest.split()
        t.fds[name] = int(fd)
    elif what == "holds":  # holds G NAME
        _, g, name = rest.split()
        t.holds.setdefault(int(g), []).append(name)
    elif what == "cycle":  # cycle KIND G1 G2 ...
        words = rest.split()
        t.cycles[words[1]] = [int(w) for w in words[2:]]
        if len(t.cycles[words[1]]) < 2:
            raise ValueError("a cycle has at least two goroutines")
    elif what == "wait":
        words, kv = _kv(rest.split()[1:])
        goid, kind = int(words[0]), words[1]
        args = words[2:]
        w = TWait(goid, kind)
        if kind == "chan":
            w.obj, w.direction = args[0], args[1]
            w.select = args[2:] == ["select"]
            if w.direction not in ("recv", "send") or args[2:] not in ([], ["select"]):
                raise ValueError("want chan NAME recv|send pos=N [select]")
            w.pos = int(kv["pos"])
        elif kind == "nil-chan":
            (w.direction,) = args
            if w.direction not in ("recv", "send"):
                raise ValueError("want nil-chan recv|send")
        elif kind == "select-no-cases":
            if args:
                raise ValueError("select-no-cases takes nothing")
        elif kind in ("mutex", "waitgroup", "cond"):
            (w.obj,) = args
            w.pos = int(kv["pos"])
        elif kind == "rwmutex":
            w.obj, w.side = args
            if w.side not in ("writer", "reader"):
                raise ValueError("want rwmutex NAME writer|reader pos=N")
            w.pos = int(kv["pos"])
        elif kind == "timer":
            w.secs = int(kv["secs"])
        elif kind == "netpoll":
            w.obj, w.direction = args
            if w.direction not in ("read", "write"):
                raise ValueError("want netpoll NAME read|write")
        elif kind == "syscall":
            if args:
                raise ValueError("syscall takes nothing")
        else:
            raise ValueError(f"unknown wait kind {kind}")
        t.waits.setdefault(goid, []).append(w)
    elif what == "leak":  # leak SITE count=N creator=F objects=N labels=K=V,... reason=R
        head, reason = rest.split(" reason=", 1)
        words, kv = _kv(head.split()[1:])
        (site,) = words
        t.leaks.append(TLeak(site, int(kv["count"]), kv["creator"], int(kv["objects"]),
                             _labels(kv.get("labels", "-")), reason))
    elif what == "background":  # background NAME count=N creator=F reason=R
        head, reason = rest.split(" reason=", 1)
        words, kv = _kv(head.split()[1:])
        (name,) = words
        t.background.append(TBackground(name, int(kv["count"]), kv["creator"], reason))
    else:
        raise ValueError(f"unknown kind of line {what!r}")


def check_truth(t: Truth) -> List[str]:
    """Inconsistencies inside the truth itself (a fixture bug): unknown names, queue
    positions that are not 0..n-1."""
    errs = []
    for ws in t.waits.values():
        for w in ws:
            if w.kind == "chan" and w.obj not in t.chans:
                errs.append(f"goroutine {w.goid}: waits on unknown chan {w.obj}")
            if w.kind in ("mutex", "rwmutex", "waitgroup", "cond"):
                if w.obj not in t.syncs:
                    errs.append(f"goroutine {w.goid}: waits on unknown object {w.obj}")
                elif t.syncs[w.obj].kind != w.kind:
                    errs.append(f"goroutine {w.goid}: {w.obj} is a {t.syncs[w.obj].kind}")
            if w.kind == "netpoll" and w.obj not in t.fds:
                errs.append(f"goroutine {w.goid}: waits on unknown fd {w.obj}")
    groups = defaultdict(list)
    for ws in t.waits.values():
        for w in ws:
            if w.pos is not None:
                groups[(w.kind, w.obj, w.direction, w.side)].append(w.pos)
    for key, poss in groups.items():
        if sorted(poss) != list(range(len(poss))):
            errs.append(f"queue {key}: positions {sorted(poss)} are not 0..{len(poss) - 1}")
    return errs


# ---------------------------------------------------------------------------------------
# What the dump says


def status_of(dg: crashdump.Goroutine) -> str:
    return cg.status_from_state(dg)[0]


def is_blocked(dg: crashdump.Goroutine) -> bool:
    return status_of(dg) in ("waiting", "leaked", "syscall")


def start_function(dg: crashdump.Goroutine) -> Optional[str]:
    fns = [f.function for f in dg.frames if f.function != "runtime.goexit"]
    if fns:
        return fns[-1]
    return None


def is_runtime_goroutine(dg: crashdump.Goroutine) -> bool:
    """The runtime's own goroutines (runtime.isSystemGoroutine): started in a runtime.*
    function other than runtime.main."""
    fn = start_function(dg)
    return fn is not None and fn.startswith("runtime.") and fn != "runtime.main"


def first_arg(f: crashdump.Frame) -> Tuple[Optional[int], bool]:
    """The frame's first printed argument word and whether the runtime printed it as
    reliable (no "?")."""
    return nth_arg(f, 0)


def nth_arg(f: crashdump.Frame, n: int) -> Tuple[Optional[int], bool]:
    if f.inlined or f.args in ("", "..."):
        return None, False
    depth, start = 0, 0
    parts = []
    for i, c in enumerate(f.args):
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(f.args[start:i])
            start = i + 1
    parts.append(f.args[start:])
    if n >= len(parts):
        return None, False
    word = parts[n].strip()
    if word.startswith("{") or word == "...":
        return None, False
    reliable = not word.endswith("?")
    try:
        return int(word.rstrip("?"), 16), reliable
    except ValueError:
        return None, False


CHAN_FRAMES = {"runtime.chanrecv": "recv", "runtime.chanrecv1": "recv",
               "runtime.chanrecv2": "recv", "runtime.chansend": "send",
               "runtime.chansend1": "send"}
SYNC_FRAMES = {
    "sync.(*Mutex).Lock": ("mutex", None), "sync.(*Mutex).lockSlow": ("mutex", None),
    "internal/sync.(*Mutex).Lock": ("mutex", None),
    "internal/sync.(*Mutex).lockSlow": ("mutex", None),
    "sync.(*RWMutex).Lock": ("rwmutex", "writer"), "sync.(*RWMutex).RLock": ("rwmutex", "reader"),
    "sync.(*WaitGroup).Wait": ("waitgroup", None), "sync.(*Cond).Wait": ("cond", None),
}
SYNC_KINDS = ("mutex", "rwmutex", "waitgroup", "cond", "sema")


@dataclass
class Oracle:
    """What a goroutine's dump frames say it waits on (each None when they do not say)."""
    chan: Optional[Tuple[int, str]] = None  # (hchan address, direction); address 0: nil chan
    netpoll: Optional[Tuple[int, str]] = None  # (pollDesc, read|write)
    sync: Optional[Tuple[int, str, Optional[str], str]] = None  # (address, kind, side, frame)


def dump_oracle(dg: crashdump.Goroutine) -> Oracle:
    """Only arguments the runtime printed as reliable count (no "?": it adds one to a
    word it cannot vouch for, e.g. a register argument's spill slot, even in noopt builds)."""
    o = Oracle()
    for f in dg.frames:  # innermost first: the innermost chan frame is the one parked
        if o.chan is None and f.function in CHAN_FRAMES:
            v, ok = first_arg(f)
            if v is not None and ok:
                o.chan = (v, CHAN_FRAMES[f.function])
        if o.netpoll is None and f.function == "internal/poll.runtime_pollWait":
            pd, ok1 = nth_arg(f, 0)
            mode, ok2 = nth_arg(f, 1)
            if pd and mode in (0x72, 0x77) and ok1 and ok2:
                o.netpoll = (pd, "read" if mode == 0x72 else "write")
        if f.function in SYNC_FRAMES:  # the outermost with a usable argument wins
            v, ok = first_arg(f)
            if v and ok:
                kind, side = SYNC_FRAMES[f.function]
                o.sync = (v, kind, side, f.function)
    return o


# ---------------------------------------------------------------------------------------
# Comparison


class WDiffs(Diffs):
    def exp(self, goid, fld, expected, got, detail=""):
        where = f"goroutine {goid}: " if goid is not None else ""
        self.items.append(f"{where}{fld}: expected {expected!r}, plugin {got!r}"
                          + (f" {detail}" if detail else ""))


def _addr_in(v, lo: int, size: int) -> bool:
    a = _hex(v)
    return a is not None and lo <= a < lo + size


def compare_entry(d: WDiffs, goid: int, tw: TWait, e: dict, truth: Truth, dump_m, objs: dict):
    """One blocked_on entry against one truth line; objs: the answer holding it (its
    queues)."""
    pre = f"blocked_on[{tw.kind}{' ' + tw.obj if tw.obj else ''}]"
    if e.get("kind") != tw.kind:
        d.exp(goid, f"{pre} kind", tw.kind, e.get("kind"))
        return
    if tw.kind == "chan":
        c = truth.chans[tw.obj]
        if _hex(e.get("address")) != c.addr:
            d.exp(goid, f"{pre} address", hex(c.addr), e.get("address"))
        for k, v in (("elem_type", c.elem), ("cap", c.cap), ("len", c.len), ("closed", False),
                     ("direction", tw.direction), ("select", tw.select), ("position", tw.pos)):
            if e.get(k) != v:
                d.exp(goid, f"{pre} {k}", v, e.get(k))
        q = (objs.get("chans") or {}).get(e.get("address"))
        if not isinstance(q, dict):
            d.exp(goid, f"{pre} queue (the answer's chans[{e.get('address')}])", "the channel", q)
            q = {}
        for k, direction in (("senders", "send"), ("receivers", "recv")):
            want = truth.queue(tw.obj, direction)
            if q.get(k) != want:
                d.exp(goid, f"{pre} {k}", want, q.get(k))
        want = len(truth.queue(tw.obj, tw.direction))
        if e.get("queue_length") != want:
            d.exp(goid, f"{pre} queue_length", want, e.get("queue_length"))
    elif tw.kind == "nil-chan":
        if e.get("direction") != tw.direction:
            d.exp(goid, f"{pre} direction", tw.direction, e.get("direction"))
    elif tw.kind in ("mutex", "rwmutex", "waitgroup", "cond"):
        s = truth.syncs[tw.obj]
        if _hex(e.get("address")) != s.addr:
            d.exp(goid, f"{pre} address", hex(s.addr), e.get("address"))
        if tw.kind == "rwmutex" and e.get("side") != tw.side:
            d.exp(goid, f"{pre} side", tw.side, e.get("side"))
        if e.get("position") != tw.pos:
            d.exp(goid, f"{pre} position", tw.pos, e.get("position"))
        inner = "notify_list" if tw.kind == "cond" else "sema"
        want = truth.waiters(tw.obj, tw.side)
        got = (objs.get("notify_lists" if tw.kind == "cond" else "semaphores") or {}).get(e.get(inner))
        if got != want:
            d.exp(goid, f"{pre} waiters", want, got)
        if e.get("queue_length") != len(want):
            d.exp(goid, f"{pre} queue_length", len(want), e.get("queue_length"))
        if not _addr_in(e.get(inner), s.addr, s.size):
            d.exp(goid, f"{pre} {inner}", f"inside [{hex(s.addr)}, {hex(s.addr + s.size)})",
                  e.get(inner))
    elif tw.kind == "timer":
        if not isinstance(e.get("when_ns"), int):
            d.exp(goid, f"{pre} when_ns", "an integer", e.get("when_ns"))
        w = e.get("wakes_in_seconds")
        lo = tw.secs - 600
        if not isinstance(w, (int, float)) or not (lo < w <= tw.secs):
            d.exp(goid, f"{pre} wakes_in_seconds", f"in ({lo}, {tw.secs}]", w)
    elif tw.kind == "netpoll":
        if e.get("fd") != truth.fds[tw.obj]:
            d.exp(goid, f"{pre} fd", truth.fds[tw.obj], e.get("fd"))
        if e.get("direction") != tw.direction:
            d.exp(goid, f"{pre} direction", tw.direction, e.get("direction"))
        if not _hex(e.get("poll_desc")):
            d.exp(goid, f"{pre} poll_desc", "an address", e.get("poll_desc"))
    elif tw.kind == "syscall":
        if dump_m is not None and e.get("m") != dump_m:
            d.exp(goid, f"{pre} m (the dump's m=)", dump_m, e.get("m"))
        if not isinstance(e.get("m"), int):
            d.exp(goid, f"{pre} m", "an M id", e.get("m"))
        if not isinstance(e.get("thread_id"), int):
            d.exp(goid, f"{pre} thread_id", "a thread id", e.get("thread_id"))


def compare_blocked_on(d: WDiffs, goid: int, tws: List[TWait], entries: List[dict],
                       truth: Truth, dump_m, objs: dict):
    if len(entries) != len(tws):
        d.exp(goid, "blocked_on entries", [_tw_text(t) for t in tws],
              [_entry_text(e) for e in entries])
        return
    if any(t.select for t in tws):
        addrs = [_hex(e.get("address")) for e in entries]
        if any(a is None for a in addrs) or addrs != sorted(addrs):
            d.exp(goid, "select entries' order", "ascending channel address", addrs)
        by_addr = {_hex(e.get("address")): e for e in entries}
        for tw in tws:
            a = truth.chans[tw.obj].addr if tw.kind == "chan" else None
            e = by_addr.get(a)
            if e is None:
                d.exp(goid, f"select case on chan {tw.obj}", hex(a) if a else None,
                      [e.get("address") for e in entries])
                continue
            compare_entry(d, goid, tw, e, truth, dump_m, objs)
        return
    for tw, e in zip(tws, entries):
        compare_entry(d, goid, tw, e, truth, dump_m, objs)


def _tw_text(t: TWait) -> str:
    return " ".join(str(x) for x in (t.kind, t.obj, t.direction, t.side) if x)


def _entry_text(e: dict) -> str:
    return " ".join(str(e.get(k)) for k in ("kind", "address", "direction", "side")
                    if e.get(k) is not None)


def parse_location(loc) -> Optional[Tuple[str, str, int]]:
    m = re.match(r"^(.+) at (.+):(\d+)$", loc or "")
    return (m.group(1), m.group(2), int(m.group(3))) if m else None


def compare_goroutine(d: WDiffs, dg: crashdump.Goroutine, pg: dict, truth: Truth, objs: dict, *,
                      minor, noopt: bool, stats: Dict[str, int]):
    goid = dg.id
    status, _ = cg.status_from_state(dg)
    if pg.get("status") != status:
        d.add(goid, "status", status, pg.get("status"))
    reason = pg.get("wait_reason") or ""
    got = reason if pg.get("status") in ("waiting", "leaked") and reason else pg.get("status")
    if got != dg.status:
        d.add(goid, "state (wait_reason, else status)", dg.status, got)
    if (pg.get("wait_minutes") or 0) != dg.wait_minutes:
        d.add(goid, "wait_minutes", dg.wait_minutes, pg.get("wait_minutes"))
    if bool(pg.get("system")) != is_runtime_goroutine(dg):
        d.add(goid, "system (started in runtime.*)", is_runtime_goroutine(dg), pg.get("system"))
    loc = parse_location(pg.get("location"))
    if loc is not None:
        fn, file, line = print_name(loc[0], minor), loc[1], loc[2]
        hits = [f for f in dg.frames if f.function == fn and f.line == line and
                (f.file == file or f.file.endswith("/" + file))]
    if loc is None or not hits:
        d.add(goid, "location (one of its frames)",
              [f"{f.function} at {f.file}:{f.line}" for f in dg.frames
               if not f.function.startswith("runtime.")][:1], pg.get("location"))
    elif not any(f.file == file for f in hits):
        stats["short_location"] = stats.get("short_location", 0) + 1
        stats.setdefault("short_example", f"{pg.get('location')} (dump: {hits[0].file})")
    entries = pg.get("blocked_on")
    if not isinstance(entries, list):
        d.add(goid, "blocked_on", "a list", entries)
        return
    dump_m = dg.m if dg.m_printed else None
    if goid in truth.waits:
        compare_blocked_on(d, goid, truth.waits[goid], entries, truth, dump_m, objs)
    o = dump_oracle(dg)
    if noopt and o.chan is None and any(f.function in ("runtime.chanrecv", "runtime.chansend")
                                        for f in dg.frames):
        d.note(f"goroutine {goid}: the dump's runtime.chanrecv/chansend has no reliable "
               "first argument: its chan not checked against the frames")
    for k in ("chan", "netpoll", "sync"):
        if getattr(o, k) is not None:
            stats[k] = stats.get(k, 0) + 1
    if o.chan is not None:
        addr, direction = o.chan
        if addr == 0:
            if not any(e.get("kind") == "nil-chan" and e.get("direction") == direction
                       for e in entries):
                d.add(goid, "nil-chan entry (dump: runtime.chan* on a nil chan)",
                      direction, [_entry_text(e) for e in entries])
        elif not any(e.get("kind") == "chan" and _hex(e.get("address")) == addr and
                     e.get("direction") == direction for e in entries):
            d.add(goid, "chan entry (dump: runtime.chan* first argument)",
                  f"{hex(addr)} {direction}", [_entry_text(e) for e in entries])
    if o.netpoll is not None:
        pd, direction = o.netpoll
        if not any(e.get("kind") == "netpoll" and _hex(e.get("poll_desc")) == pd and
                   e.get("direction") == direction for e in entries):
            d.add(goid, "netpoll entry (dump: runtime_pollWait(pd, mode))",
                  f"{hex(pd)} {direction}",
                  [f"{e.get('kind')} {e.get('poll_desc')} {e.get('direction')}" for e in entries])
    if o.sync is not None:
        addr, kind, side, fn = o.sync
        hit = [e for e in entries if e.get("kind") in SYNC_KINDS and _hex(e.get("address")) == addr]
        if not hit:
            d.add(goid, f"{kind} entry (dump: {fn} first argument)", hex(addr),
                  [_entry_text(e) for e in entries])
        elif hit[0].get("kind") != kind or (side and hit[0].get("side") != side):
            d.add(goid, f"kind of the object at {hex(addr)} (dump: {fn})",
                  f"{kind}{' ' + side if side else ''}",
                  f"{hit[0].get('kind')}{' ' + str(hit[0].get('side')) if side else ''}")


QUEUES = (("chans", ("chan",), "address"),
          ("semaphores", ("mutex", "rwmutex", "waitgroup", "sema"), "sema"),
          ("notify_lists", ("cond",), "notify_list"))


def queue_of(ans: dict, e: dict) -> Tuple[Optional[str], Optional[str], object]:
    """(section, key, the queue or None) the entry's queue is listed under in the answer."""
    for section, kinds, key in QUEUES:
        if e.get("kind") in kinds:
            q = (ans.get(section) or {}).get(e.get(key)) if e.get(key) else None
            if section == "chans" and isinstance(q, dict):
                q = q.get({"send": "senders", "recv": "receivers"}.get(e.get("direction")))
            return section, e.get(key), q
    return None, None, None


def check_queues(d: WDiffs, what: str, ans: Optional[dict], full: Optional[dict]):
    """Each queue once: what the entries name is listed, what is listed is named, positions
    and lengths fit; and the same queues as go waits --system (full) where both list one."""
    if ans is None:
        return
    named = {section: set() for section, _, _ in QUEUES}
    for section, _, _ in QUEUES:
        if not isinstance(ans.get(section), dict):
            d.msg(f"{what}: no \"{section}\" object")
    for g in ans.get("goroutines") or []:
        for e in g.get("blocked_on") or []:
            section, key, q = queue_of(ans, e)
            if section is None or key is None:
                continue
            named[section].add(key)
            if key not in (ans.get(section) or {}):
                d.msg(f"{what}: goroutine {g.get('id')}: its {e.get('kind')} {key} is not in "
                      f"\"{section}\"")
                continue
            if q is None and section == "chans" and e.get("direction") is None:
                continue
            if not isinstance(q, list):
                d.msg(f"{what}: goroutine {g.get('id')}: no queue for {e.get('kind')} {key} "
                      f"{e.get('direction') or ''}")
                continue
            if e.get("queue_length") != len(q):
                d.exp(g.get("id"), f"{what}: {e.get('kind')} {key} queue_length (its queue's)",
                      len(q), e.get("queue_length"))
            pos = e.get("position")
            if pos is not None and (not isinstance(pos, int) or not 0 <= pos < len(q) or
                                    q[pos] != g.get("id")):
                d.exp(g.get("id"), f"{what}: {e.get('kind')} {key} position {pos} (its place "
                      "in the queue)", g.get("id"), q[pos] if isinstance(pos, int) and
                      0 <= pos < len(q) else None)
    for section, _, _ in QUEUES:
        listed = ans.get(section) if isinstance(ans.get(section), dict) else {}
        for key in sorted(set(listed) - named[section]):
            d.msg(f"{what}: \"{section}\" lists {key}, which no entry names")
        other = (full or {}).get(section) or {}
        if full is not None and full is not ans:
            for key in sorted(set(listed) & set(other)):
                if listed[key] != other[key]:
                    d.msg(f"{what}: {section}[{key}] differs from go waits --system's")


def check_list(d: WDiffs, what: str, ans: Optional[dict], key: str) -> List[dict]:
    if ans is None:
        return []
    if ans.get("errors"):
        d.msg(f"{what}: errors: {ans.get('errors')}")
    xs = ans.get(key)
    if not isinstance(xs, list):
        d.msg(f"{what}: no \"{key}\" list")
        return []
    return xs


def compare_waits(d: WDiffs, dump: crashdump.Dump, ans: Dict[str, Optional[dict]],
                  truth: Truth, fixture: str, *, minor, noopt: bool, ids_asked: List[int]):
    dby = dump.by_id()
    blocked = {g.id for g in dump.goroutines if is_blocked(g)}
    user = {i for i in blocked if not is_runtime_goroutine(dby[i])}
    if fixture == "waits":  # the fixture's truth covers every goroutine it blocks
        for i in sorted(user - set(truth.waits)):
            d.msg(f"goroutine {i} [{dby[i].state}]: blocked, but the fixture printed no "
                  "truth for it (fixture bug?)")
    for gid_ in truth.waits:
        if gid_ not in blocked:
            d.msg(f"goroutine {gid_}: the fixture says it waits, the dump has it "
                  f"[{dby[gid_].state if gid_ in dby else 'missing'}] (fixture bug?)")
    sys_list = check_list(d, "go waits --system", ans.get("waits-system"), "goroutines")
    plain_list = check_list(d, "go waits", ans.get("waits"), "goroutines")
    # The goroutines' states in the core, as go goroutines reads them: the runtime's own
    # goroutines may change state between the dump and the core (sysmon wakes the
    # scavenger once the sweeper is done, even while the process dies).
    core = {g.get("id"): g.get("status") for g in
            ((ans.get("goroutines") or {}).get("goroutines") or [])}

    def moved(i, now_blocked: bool) -> bool:
        """Goroutine i is one of the runtime's and the core has it blocked (now_blocked) or
        not, unlike the dump."""
        return (i in dby and is_runtime_goroutine(dby[i]) and i in core and
                (core[i] in BLOCKED) == now_blocked and is_blocked(dby[i]) != now_blocked)
    for what, lst, want in (("go waits --system", sys_list, blocked),
                            ("go waits", plain_list, user)):
        if ans.get("waits-system" if "system" in what else "waits") is None:
            continue
        ids = [g.get("id") for g in lst]
        if ids != sorted(ids):
            d.msg(f"{what}: not sorted by id")
        if len(set(ids)) != len(ids):
            d.msg(f"{what}: goroutines listed twice: "
                  f"{sorted(i for i in set(ids) if ids.count(i) > 1)}")
        for i in sorted(want - set(ids)):
            if moved(i, False):
                d.note(f"{what}: goroutine {i}, the runtime's own, [{dby[i].state}] in the "
                       f"dump, is {core[i]} in the core (woken after the dump): not listed")
                continue
            d.msg(f"{what}: goroutine {i} [{dby[i].state}] is blocked "
                  f"{'(runtime) ' if is_runtime_goroutine(dby[i]) else ''}but not listed")
        for i in sorted(set(ids) - want):
            if moved(i, True):
                d.note(f"{what}: goroutine {i}, the runtime's own, [{dby[i].state}] in the "
                       f"dump, is {core[i]} in the core (parked after the dump): listed")
                continue
            why = (f"[{dby[i].state}]" + (", a runtime goroutine" if is_runtime_goroutine(dby[i])
                                          else "")) if i in dby else "not in the dump"
            d.msg(f"{what}: goroutine {i} listed, but it is {why}")
    sys_by = {g.get("id"): g for g in sys_list}
    stats: Dict[str, int] = {}
    if ans.get("goroutines") is None:
        d.msg("go goroutines: no answer (it tells goroutines that moved after the dump)")
    for i in sorted(set(sys_by) & blocked):
        compare_goroutine(d, dby[i], sys_by[i], truth, ans["waits-system"], minor=minor,
                          noopt=noopt, stats=stats)
    if ans.get("waits-system") is None:  # compare what we have
        for g in plain_list:
            if g.get("id") in blocked:
                compare_goroutine(d, dby[g["id"]], g, truth, ans["waits"], minor=minor,
                                  noopt=noopt, stats=stats)
    for what, key in (("go waits", "waits"), ("go waits --system", "waits-system"),
                      ("go waits " + " ".join(map(str, ids_asked)), "waits-ids")):
        check_queues(d, what, ans.get(key), ans.get("waits-system"))
    else:
        for g in plain_list:
            other = sys_by.get(g.get("id"))
            if other is not None and other != g:
                d.msg(f"goroutine {g.get('id')}: go waits and go waits --system differ: "
                      f"{_diff_keys(g, other)}")
    if stats.get("short_location"):
        d.msg(f"location: {stats['short_location']} goroutines name their file by a shortened "
              f"path, the contract says the absolute one: e.g. {stats['short_example']}")
    d.note(f"checked against the dump's frames: {stats.get('chan', 0)} chan, "
           f"{stats.get('netpoll', 0)} netpoll, {stats.get('sync', 0)} sync entries; "
           f"against the fixture's truth: {len(truth.waits)} goroutines")
    # go waits ID...
    if ans.get("waits-ids") is not None:
        lst = check_list(d, "go waits " + " ".join(map(str, ids_asked)), ans["waits-ids"],
                         "goroutines")
        got = [g.get("id") for g in lst]
        want = [i for i in sorted(ids_asked) if i in blocked]
        if got != want:
            d.exp(None, f"go waits {' '.join(map(str, ids_asked))}: ids", want, got)
        for g in lst:
            other = sys_by.get(g.get("id"))
            if other is not None and other != g:
                d.msg(f"goroutine {g.get('id')}: go waits ID differs from go waits --system: "
                      f"{_diff_keys(g, other)}")
    # deadlock
    for what, key in (("go waits", "waits"), ("go waits --system", "waits-system")):
        if ans.get(key) is not None:
            compare_deadlock(d, what, ans[key].get("deadlock"), truth, fixture, blocked, dump)
    if ans.get("waits") is not None and ans.get("waits-system") is not None and \
            ans["waits"].get("deadlock") != ans["waits-system"].get("deadlock"):
        d.msg("deadlock: go waits and go waits --system differ")
    return sys_list


def _diff_keys(a: dict, b: dict) -> List[str]:
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def compare_deadlock(d: WDiffs, what: str, dl, truth: Truth, fixture: str, blocked, dump):
    if fixture == "deadlock":
        if not isinstance(dl, dict):
            d.exp(None, f"{what}: deadlock", "an object (all goroutines are asleep)", dl)
            return
        for k in ("all_blocked", "proven"):
            if dl.get(k) is not True:
                d.exp(None, f"{what}: deadlock.{k}", True, dl.get(k))
        want = sorted(sorted(c) for c in truth.cycles.values())
        got = dl.get("cycles")
        if not isinstance(got, list) or sorted(sorted(c) for c in got) != want:
            d.exp(None, f"{what}: deadlock.cycles (as sets)", want, got)
        return
    if dl is None:
        return
    if not isinstance(dl, dict):
        d.exp(None, f"{what}: deadlock", "null or an object", dl)
        return
    if dl.get("all_blocked") is not False:
        d.exp(None, f"{what}: deadlock.all_blocked (a goroutine is running)", False,
              dl.get("all_blocked"))
    if dl.get("cycles"):
        d.exp(None, f"{what}: deadlock.cycles (the fixture has none)", [], dl.get("cycles"))


def compare_chans(d: WDiffs, chans_ans: Optional[dict], sys_list: List[dict], truth: Truth,
                  sys_ans: Optional[dict]):
    if chans_ans is None:
        return
    chans = check_list(d, "go chans", chans_ans, "chans")
    queues = (sys_ans or {}).get("chans") or {}
    # What go waits --system says about each channel: its entries, and its queue.
    seen: Dict[int, dict] = {}
    waiting: Dict[int, Dict[str, set]] = defaultdict(lambda: {"send": set(), "recv": set()})
    for g in sys_list:
        for e in g.get("blocked_on") or []:
            if e.get("kind") != "chan":
                continue
            a = _hex(e.get("address"))
            waiting[a][e.get("direction")].add(g.get("id"))
            if a in seen:
                prev = seen[a]
                for k in ("elem_type", "cap", "len", "closed"):
                    if prev.get(k) != e.get(k):
                        d.msg(f"go waits: chan {hex(a)}: {k} differs between goroutines "
                              f"{prev.get('_g')} ({prev.get(k)!r}) and {g.get('id')} ({e.get(k)!r})")
            else:
                q = queues.get(e.get("address")) or {}
                seen[a] = dict(e, _g=g.get("id"), senders=q.get("senders"), receivers=q.get("receivers"))
    got = {}
    for c in chans:
        a = _hex(c.get("address"))
        if a in got:
            d.msg(f"go chans: chan {c.get('address')} listed twice")
        got[a] = c
    for a in sorted(set(seen) - set(got)):
        d.msg(f"go chans: chan {hex(a)} missing (go waits has goroutines "
              f"{sorted(waiting[a]['send'] | waiting[a]['recv'])} on it)")
    for a in sorted(set(got) - set(seen)):
        d.msg(f"go chans: chan {hex(a)} listed, but no goroutine of go waits --system waits on it")
    names = {c.addr: c.name for c in truth.chans.values()}
    for a in sorted(set(got) & set(seen)):
        c, e = got[a], seen[a]
        where = f"go chans: chan {hex(a)}" + (f" ({names[a]})" if a in names else "")
        for k in ("elem_type", "cap", "len", "closed", "senders", "receivers"):
            if c.get(k) != e.get(k):
                d.exp(None, f"{where} {k} (as go waits says)", e.get(k), c.get(k))
        for k, direction in (("senders", "send"), ("receivers", "recv")):
            if set(c.get(k) or []) != waiting[a][direction]:
                d.exp(None, f"{where} {k} (the goroutines go waits has on it)",
                      sorted(waiting[a][direction]), c.get(k))
    for t in truth.chans.values():
        c = got.get(t.addr)
        if c is None:
            d.msg(f"go chans: chan {t.name} ({hex(t.addr)}) has waiters but is not listed")
            continue
        for k, v in (("elem_type", t.elem), ("cap", t.cap), ("len", t.len)):
            if c.get(k) != v:
                d.exp(None, f"go chans: chan {t.name} {k}", v, c.get(k))
        for k, direction in (("senders", "send"), ("receivers", "recv")):
            want = truth.queue(t.name, direction)
            if c.get(k) != want:
                d.exp(None, f"go chans: chan {t.name} {k}", want, c.get(k))
    counts = [len(c.get("senders") or []) + len(c.get("receivers") or []) for c in chans]
    if counts != sorted(counts, reverse=True):
        d.msg(f"go chans: not sorted by number of waiters, most first: {counts}")


def _norm_frames(frames: List[Tuple[str, str, int]]) -> Tuple:
    """Frames without the runtime's innermost ones (gopark, chanrecv...) and runtime.goexit."""
    fs = list(frames)
    while fs and fs[0][0].startswith("runtime."):
        fs.pop(0)
    if fs and fs[-1][0] == "runtime.goexit":
        fs.pop()
    return tuple(fs)


def dump_key(dg: crashdump.Goroutine) -> Tuple:
    cb = dg.created_by
    return (dg.status, _norm_frames([(f.function, f.file, f.line) for f in dg.frames]),
            (cb.function, cb.file, cb.line) if cb else None)


def compare_leaks(d: WDiffs, leaks_ans: Optional[dict], dump: crashdump.Dump, truth: Truth,
                  fixture: str, *, minor):
    if leaks_ans is None:
        return
    groups = check_list(d, "go leaks", leaks_ans, "groups")
    dby = dump.by_id()
    user = {g.id for g in dump.goroutines if is_blocked(g) and not is_runtime_goroutine(g)}
    where: Dict[int, int] = {}
    keys: Dict[Tuple, int] = {}
    for k, grp in enumerate(groups):
        pre = f"go leaks: group {k}"
        members = grp.get("goroutines") or []
        if grp.get("count") != len(members):
            d.exp(None, f"{pre} count (its goroutines)", len(members), grp.get("count"))
        for i in members:
            if i in where:
                d.msg(f"{pre}: goroutine {i} is in group {where[i]} too")
            where[i] = k
        known = [i for i in members if i in dby]
        for i in members:
            if i not in user:
                d.msg(f"{pre}: goroutine {i} is not a blocked user goroutine "
                      f"[{dby[i].state if i in dby else 'not in the dump'}]")
        if not known:
            continue
        dkeys = {dump_key(dby[i]) for i in known}
        if len(dkeys) > 1:
            d.msg(f"{pre}: its members differ in the dump (state, frames, creator): "
                  + "; ".join(f"{sorted(i for i in known if dump_key(dby[i]) == key)[:5]}: "
                              f"[{key[0]}] {key[1][:1]} created by {key[2]}"
                              for key in sorted(dkeys, key=str)))
        first = dby[known[0]]
        if grp.get("wait_reason") != first.status and not (
                first.status == "syscall" and grp.get("wait_reason") in (None, "")):
            d.exp(None, f"{pre} wait_reason (the dump's)", first.status, grp.get("wait_reason"))
        dframes = [(f.function, f.file, f.line) for f in first.frames]
        pframes = [(print_name(f.get("function", ""), minor), f.get("file"), f.get("line"))
                   for f in grp.get("frames") or []]
        if _norm_frames(pframes) != _norm_frames(dframes) or not pframes:
            d.exp(None, f"{pre} frames (goroutine {first.id}'s in the dump, runtime's "
                  "innermost optional)", [f"{f[0]}:{f[2]}" for f in _norm_frames(dframes)],
                  [f"{f[0]}:{f[2]}" for f in pframes])
        cb, pcb = first.created_by, grp.get("created_by")
        if (cb is None) != (pcb is None) or (cb is not None and (
                print_name(pcb.get("function", ""), minor) != cb.function or
                pcb.get("file") != cb.file or pcb.get("line") != cb.line)):
            d.exp(None, f"{pre} created_by", f"{cb.function} {cb.file}:{cb.line}" if cb else None,
                  f"{pcb.get('function')} {pcb.get('file')}:{pcb.get('line')}" if pcb else None)
        key = (dump_key(first), json.dumps(grp.get("labels") or {}, sort_keys=True))
        if key in keys:
            d.msg(f"go leaks: groups {keys[key]} and {k} are the same group (same frames, "
                  "state, creator and labels)")
        keys[key] = k
    for i in sorted(user - set(where)):
        d.msg(f"go leaks: goroutine {i} [{dby[i].state}] is in no group")
    order = [(not g.get("leak"), -(g.get("count") or 0)) for g in groups]
    if order != sorted(order):
        d.msg("go leaks: groups not in order (leak groups first, then by count, largest first): "
              + str([(g.get("count"), g.get("leak")) for g in groups]))
    if fixture != "leaks":
        return
    # The fixture's truth.
    for k, t in enumerate(truth.leaks):
        pre = f"go leaks: group {k} (site {t.site}, {t.creator})"
        if k >= len(groups):
            d.msg(f"{pre}: missing, only {len(groups)} groups")
            continue
        grp = groups[k]
        want_ids = sorted(g.id for g in dump.goroutines if is_blocked(g) and g.created_by and
                          g.created_by.function == t.creator)
        if len(want_ids) != t.count:
            d.msg(f"{pre}: the dump has {len(want_ids)} goroutines created by {t.creator}, "
                  f"the fixture says {t.count} (fixture bug?)")
        pcb = grp.get("created_by") or {}
        for fld, want, got in (
                ("count", t.count, grp.get("count")),
                ("wait_reason", t.reason, grp.get("wait_reason")),
                ("created_by.function", t.creator, pcb.get("function")),
                ("labels", t.labels, grp.get("labels") or {}),
                ("leak", True, grp.get("leak")),
                ("objects", t.objects, grp.get("objects")),
                ("shared", None, grp.get("shared"))):
            if got != want:
                d.exp(None, f"{pre} {fld}", want, got)
        if sorted(grp.get("goroutines") or []) != want_ids:
            got_ids = set(grp.get("goroutines") or [])
            d.exp(None, f"{pre} goroutines",
                  f"the {len(want_ids)} created by {t.creator}",
                  f"{len(got_ids)}: {len(got_ids - set(want_ids))} others, "
                  f"{len(set(want_ids) - got_ids)} missing")
        if not isinstance(grp.get("why"), str) or not grp.get("why"):
            d.exp(None, f"{pre} why", "a reason", grp.get("why"))
    for k, grp in enumerate(groups[len(truth.leaks):], start=len(truth.leaks)):
        if grp.get("leak"):
            d.exp(None, f"go leaks: group {k} ({grp.get('count')} x {grp.get('wait_reason')}, "
                  f"{(grp.get('frames') or [{}])[0].get('function')}) leak", False, True,
                  f"why: {grp.get('why')!r}")
    for b in truth.background:
        hit = [g for g in groups if g.get("count") == b.count and g.get("wait_reason") == b.reason
               and (g.get("created_by") or {}).get("function") == b.creator]
        if not hit:
            d.msg(f"go leaks: no group for the background {b.name} ({b.count} x {b.reason}, "
                  f"created by {b.creator})")
        elif all(g.get("leak") for g in hit):
            d.exp(None, f"go leaks: background {b.name} leak", False, True)


def compare(dump: crashdump.Dump, ans: Dict[str, Optional[dict]], truth: Truth, fixture: str,
            *, minor, mode: str, ids_asked: List[int] = ()) -> WDiffs:
    """Compare the plugin's answers (ans: COMMANDS -> JSON, None when not run) with the
    truth and the dump."""
    d = WDiffs()
    for e in check_truth(truth):
        d.msg(f"fixture truth: {e}")
    sys_list = compare_waits(d, dump, ans, truth, fixture, minor=minor, noopt=mode == "noopt",
                             ids_asked=list(ids_asked))
    compare_chans(d, ans.get("chans"), sys_list, truth, ans.get("waits-system"))
    compare_leaks(d, ans.get("leaks"), dump, truth, fixture, minor=minor)
    return d


# ---------------------------------------------------------------------------------------
# A perfect plugin, faked from the truth and the dump (--dry-run, self-tests)


def fake_answers(dump: crashdump.Dump, truth: Truth, fixture: str,
                 ids_asked: List[int] = ()) -> Dict[str, dict]:
    """What a perfect plugin would answer, as far as the truth and the dump tell. Objects
    the truth does not name get addresses from the dump's frames (or none)."""
    blocked = [g for g in dump.goroutines if is_blocked(g)]
    chan_addr = {c.name: c.addr for c in truth.chans.values()}

    queues: Dict[str, Dict[str, object]] = {section: {} for section, _, _ in QUEUES}

    def chan_entry(w: TWait) -> dict:
        c = truth.chans[w.obj]
        queues["chans"][hex(c.addr)] = {"elem_type": c.elem, "cap": c.cap, "len": c.len,
                                        "closed": False, "senders": truth.queue(w.obj, "send"),
                                        "receivers": truth.queue(w.obj, "recv")}
        return {"kind": "chan", "address": hex(c.addr), "elem_type": c.elem, "cap": c.cap,
                "len": c.len, "closed": False, "direction": w.direction, "select": w.select,
                "position": w.pos, "queue_length": len(truth.queue(w.obj, w.direction))}

    # Channels the truth does not name: from the dump's runtime.chan* frames.
    extra_chans: Dict[int, Dict[str, List[int]]] = defaultdict(lambda: {"send": [], "recv": []})
    for g in blocked:
        if g.id in truth.waits:
            continue
        o = dump_oracle(g)
        if o.chan and o.chan[0]:
            extra_chans[o.chan[0]][o.chan[1]].append(g.id)
    gs = []
    for g in blocked:
        status, reason = cg.status_from_state(g)
        entries = []
        if g.id in truth.waits:
            tws = truth.waits[g.id]
            if any(w.select for w in tws):
                tws = sorted(tws, key=lambda w: chan_addr[w.obj])
            for w in tws:
                if w.kind == "chan":
                    entries.append(chan_entry(w))
                elif w.kind in ("nil-chan",):
                    entries.append({"kind": w.kind, "direction": w.direction})
                elif w.kind == "select-no-cases":
                    entries.append({"kind": w.kind})
                elif w.kind in ("mutex", "rwmutex", "waitgroup", "cond"):
                    s = truth.syncs[w.obj]
                    waiters = truth.waiters(w.obj, w.side)
                    e = {"kind": w.kind, "address": hex(s.addr), "position": w.pos,
                         "queue_length": len(waiters)}
                    if w.kind == "cond":
                        e["notify_list"] = hex(s.addr + 16)
                    else:
                        e["sema"] = hex(s.addr + (4 if w.kind == "mutex" else 8))
                    if w.kind == "rwmutex":
                        e["side"] = w.side
                        e["sema"] = hex(s.addr + (8 if w.side == "writer" else 12))
                    section = "notify_lists" if w.kind == "cond" else "semaphores"
                    queues[section][e["notify_list" if w.kind == "cond" else "sema"]] = waiters
                    entries.append(e)
                elif w.kind == "timer":
                    entries.append({"kind": "timer", "when_ns": 10**12,
                                    "wakes_in_seconds": w.secs - 0.5})
                elif w.kind == "netpoll":
                    o = dump_oracle(g)
                    entries.append({"kind": "netpoll", "fd": truth.fds[w.obj],
                                    "direction": w.direction,
                                    "poll_desc": hex(o.netpoll[0]) if o.netpoll else "0x1"})
                elif w.kind == "syscall":
                    entries.append({"kind": "syscall", "m": g.m if g.m is not None else 0,
                                    "thread_id": 1000, "thread": None})
        else:
            o = dump_oracle(g)
            if o.chan and o.chan[0] == 0:
                entries.append({"kind": "nil-chan", "direction": o.chan[1]})
            elif o.chan:
                q = extra_chans[o.chan[0]]
                queues["chans"][hex(o.chan[0])] = {"elem_type": "?", "cap": 0, "len": 0,
                                                   "closed": False, "senders": q["send"],
                                                   "receivers": q["recv"]}
                entries.append({"kind": "chan", "address": hex(o.chan[0]), "elem_type": "?",
                                "cap": 0, "len": 0, "closed": False, "direction": o.chan[1],
                                "select": False, "position": q[o.chan[1]].index(g.id),
                                "queue_length": len(q[o.chan[1]])})
            if o.netpoll:
                entries.append({"kind": "netpoll", "fd": 3, "direction": o.netpoll[1],
                                "poll_desc": hex(o.netpoll[0])})
            if o.sync:
                e = {"kind": o.sync[1], "address": hex(o.sync[0]), "sema": hex(o.sync[0]),
                     "position": 0, "queue_length": 1}
                queues["semaphores"][hex(o.sync[0])] = [g.id]
                if o.sync[2]:
                    e["side"] = o.sync[2]
                entries.append(e)
        top = next((f for f in g.frames if not f.function.startswith("runtime.")),
                   g.frames[0] if g.frames else None)
        gs.append({"id": g.id, "status": status, "wait_reason": reason or None,
                   "wait_minutes": g.wait_minutes, "system": is_runtime_goroutine(g),
                   "location": f"{top.function} at {top.file}:{top.line}" if top else None,
                   "blocked_on": entries})
    gs.sort(key=lambda g: g["id"])
    if fixture == "deadlock":
        deadlock = {"all_blocked": True, "proven": True,
                    "cycles": [list(c) for c in truth.cycles.values()], "why": "fake"}
    else:
        deadlock = None

    def answer(goroutines: List[dict]) -> dict:
        """go waits' answer: the goroutines, and the queues their entries name."""
        ans = {"deadlock": deadlock, "goroutines": goroutines}
        for section, kinds, key in QUEUES:
            ans[section] = {e[key]: queues[section][e[key]] for g in goroutines
                            for e in g["blocked_on"] if e["kind"] in kinds and e.get(key)}
        return copy.deepcopy(ans)
    waits_sys = answer(gs)
    waits = answer([g for g in gs if not g["system"]])
    waits_ids = answer([g for g in gs if g["id"] in set(ids_asked)])
    # go chans
    chans = {a: dict(c, address=a) for a, c in waits_sys["chans"].items()}
    chan_list = sorted(chans.values(), key=lambda c: -(len(c["senders"]) + len(c["receivers"])))
    # go leaks
    dby = dump.by_id()
    groups: Dict[Tuple, List[int]] = {}
    labels_of: Dict[int, Dict[str, str]] = {}
    for t in truth.leaks:
        for g in dump.goroutines:
            if g.created_by and g.created_by.function == t.creator:
                labels_of[g.id] = t.labels
    for g in gs:
        if g["system"]:
            continue
        dg = dby[g["id"]]
        key = (dump_key(dg), json.dumps(labels_of.get(dg.id, {}), sort_keys=True))
        groups.setdefault(key, []).append(dg.id)
    leak_sites = {t.creator: t for t in truth.leaks}
    out_groups = []
    for key, ids in groups.items():
        dg = dby[ids[0]]
        site = leak_sites.get(dg.created_by.function if dg.created_by else None)
        cb = dg.created_by
        out_groups.append({
            "count": len(ids), "wait_reason": dg.status if dg.status != "syscall" else None,
            "frames": [{"function": f.function, "file": f.file, "line": f.line}
                       for f in dg.frames],
            "created_by": {"function": cb.function, "file": cb.file, "line": cb.line,
                           "goid": cb.goid or 0} if cb else None,
            "labels": json.loads(key[1]), "wait_minutes": [0, 0], "goroutines": sorted(ids),
            "leak": site is not None, "why": "fake",
            "shared": None, "objects": site.objects if site else 1})
    out_groups.sort(key=lambda g: (not g["leak"], -g["count"]))
    core = {"goroutines": [{"id": g.id, "status": cg.status_from_state(g)[0]}
                           for g in dump.goroutines]}
    return {"waits": waits, "waits-system": waits_sys, "waits-ids": waits_ids,
            "chans": {"chans": chan_list}, "leaks": {"groups": out_groups}, "goroutines": core}


# ---------------------------------------------------------------------------------------
# Running


def crash_with_truth(exe: str, work: str) -> Tuple[str, str, str]:
    """Run `exe crash` with GOTRACEBACK=crash in work; return (stdout, dump text, core)."""
    rc, out, err = cg.run_bounded([exe, "crash"], cg.T_CRASH, cwd=work,
                                  env=cg.fixture_env("crash"), preexec_fn=cg._core_unlimited)
    stdout, text = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    if rc is None:
        raise CaseError(f"fixture did not crash within {cg.T_CRASH}s")
    if rc != -signal.SIGABRT:
        raise CaseError(f"fixture exited with {rc}, expected death by SIGABRT; stderr ends: "
                        + text[-500:])
    core = cg.find_core(work)
    if core is None:
        return crash_with_truth_gdb(exe, work)
    return stdout, text, core


def crash_with_truth_gdb(exe: str, work: str) -> Tuple[str, str, str]:
    """As check_goroutines.crash_fixture_gdb (no core from the kernel: run it under gdb
    and take one), keeping the fixture's stdout (gdb's, where the truth lines are)."""
    core = os.path.join(work, "core.gdb")
    argv = ["gdb", "-nx", "-batch",
            "-ex", "handle SIGURG nostop noprint pass",
            "-ex", "handle SIGPIPE nostop noprint pass",
            "-ex", "handle SIGQUIT nostop noprint pass",
            "-ex", "run", "-ex", f"gcore {core}", "-ex", "kill",
            "--args", exe, "crash"]
    rc, out, err = cg.run_bounded(argv, cg.T_CRASH + 60, cwd=work, env=cg.fixture_env("crash"))
    if rc is None or not os.path.exists(core):
        raise CaseError("no core from the kernel, and gdb could not take one: "
                        + err.decode("utf-8", "replace")[-500:])
    if shutil.which("fallocate"):
        cg.run_bounded(["fallocate", "--dig-holes", core], 120)
    text = err.decode("utf-8", "replace")
    for marker in ("panic: ", "fatal error: ", "runtime: ", "SIGQUIT"):
        i = text.find(marker)
        if i >= 0:
            text = text[i:]
            break
    return out.decode("utf-8", "replace"), text, core


def load_json(path: str) -> Optional[dict]:
    if not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except ValueError as e:
        raise CaseError(f"{os.path.basename(path)} is not JSON: {e}")


def ids_to_ask(dump: crashdump.Dump, truth: Truth) -> List[int]:
    """Two goroutines for `go waits ID ID`: the last two the truth names, else the last two
    blocked user goroutines."""
    ids = sorted(truth.waits) or sorted(g.id for g in dump.goroutines
                                        if is_blocked(g) and not is_runtime_goroutine(g))
    return ids[-2:]


class Runner(cg.Runner):
    def run_case(self, minor: int, mode: str, fixture: str):
        exe = self.exe(minor, mode, fixture)
        self.guarded(f"go1.{minor}/{mode}/{fixture}", fixture, exe,
                     lambda work: self.case(minor, mode, fixture, exe, work))

    def case(self, minor, mode, fixture, exe, work) -> WDiffs:
        stdout, text, core = crash_with_truth(exe, work)
        with open(os.path.join(work, "dump.txt"), "w") as f:
            f.write(text)
        with open(os.path.join(work, "truth.txt"), "w") as f:
            f.write(stdout)
        try:
            truth = parse_truth(stdout)
        except ValueError as e:
            raise CaseError(f"fixture truth: {e}")
        dump = crashdump.parse(text)
        if not dump.goroutines:
            raise CaseError("the fixture's stderr has no goroutine dump: " + text[-500:])
        ids = ids_to_ask(dump, truth)
        out = {k: os.path.join(work, f"{k}.json") for k in COMMANDS}
        cmds = [f'target create "{exe}" --core "{core}"']
        if self.dry:
            cmds.append("thread list")
        else:
            cmds = [f'plugin load "{self.plugin}"'] + cmds + [
                f'go waits --json --output "{out["waits"]}"',
                f'go waits --system --json --output "{out["waits-system"]}"',
                f'go waits {" ".join(map(str, ids))} --json --output "{out["waits-ids"]}"',
                f'go chans --json --output "{out["chans"]}"',
                f'go leaks --json --output "{out["leaks"]}"',
                f'go goroutines --json --output "{out["goroutines"]}"']
        try:
            cg.run_lldb(cmds, None, os.path.join(work, "lldb.log"))
        except CaseError as e:
            # lldb exiting non-zero: compare what was written, say why the rest is missing.
            if self.dry or not any(os.path.exists(p) for p in out.values()):
                raise
            err = str(e)
        else:
            err = None
        finally:
            if not self.args.keep_cores:
                os.remove(core)
        if self.dry:
            ans = fake_answers(dump, truth, fixture, ids)
            for k, v in ans.items():
                with open(out[k], "w") as f:
                    json.dump(v, f, indent=1)
        else:
            ans = {k: load_json(out[k]) for k in COMMANDS}
        diffs = compare(dump, ans, truth, fixture, minor=minor, mode=mode, ids_asked=ids)
        for k in COMMANDS:
            if ans.get(k) is None:
                diffs.msg(f"{k}: the plugin wrote no answer (see lldb.log)"
                          + (f"; {err}" if err else ""))
        return diffs

    def run_toolchain(self, minor: int, selected):
        for fixture in self.args.fixtures:
            for mode in self.args.modes:
                if selected(f"go1.{minor}/{mode}/{fixture}"):
                    self.run_case(minor, mode, fixture)


def main(argv=None) -> int:
    return cg.oracle_main(
        argv, __doc__, Runner, FIXTURES,
        cases_help="comma-separated globs over TOOLCHAIN/MODE/FIXTURE",
        dry_run_help="no plugin: run fixtures and lldb, fake the plugin's answers",
        artifacts_help="keep the files of failing cases here (not the cores)")


if __name__ == "__main__":
    sys.exit(main())
