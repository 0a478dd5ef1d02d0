"""Delve (dlv) on the printers fixture's core, for check_values.py's `delve` case.

The project's issue asks that, on optimised builds, `go print` show more values right than
Delve shows right on the same cores, measured in the same test run. This module runs Delve
non-interactively (`dlv core EXE CORE --init FILE`, stdin /dev/null) and classifies what it
prints for each value against the fixture's truth (the text of `go print`, tests/fixtures/
printers goValue):

  right         every part Delve shows equals the truth;
  wrong         Delve shows a value, and some part of it certainly differs from the truth
                (a number, a string, a length, an address, nil where there is a value...);
  not shown     Delve prints an error ("could not find symbol value for x") or
                "(unreadable ...)" instead of the value, or inside it;
  not compared  Delve shows a value that cannot be compared with the truth for certain:
                a part of it has no counterpart in the truth (a pointer Delve follows, in
                an element, where the truth has the address), or its syntax is not one
                this module knows how to map (recorded with the part and the reason).
A value is wrong if any part differs; else not shown if any part is unreadable; else not
compared if any part cannot be compared; else right.

How Delve prints (service/api/prettyprint.go in Delve's repository, read for this; the
mapping to our syntax below is applied only where it is certain):
  * `print` writes multi-line text: after "{" or "[" and between items a newline and tabs,
    and a comma after every item, the last too. Layout only: newlines (and the tabs after
    them) are dropped, an empty item after the last comma is dropped; Delve's string
    literals are %q (no raw newline in them), so this never touches a string's contents.
  * Spacing: Delve writes list items "a,b" and map items "k: v, "; the items are split at
    the commas outside brackets and string literals, and compared item by item, so the
    spacing never matters (nor in type names: "main.kv[string,int]" is one token in both).
  * A pointer printed at the top: Delve writes "(*T)(0xADDR)" on a line, then "*" and the
    pointee; `go print` writes "&" and the pointee (goTop). The address line is dropped and
    "*" becomes "&". A type whose name has a "/" is quoted by Delve, ("*a/b.T")(0x..):
    the quotes are dropped.
  * A pointer elsewhere (a struct field, an element) Delve follows: "*T {...}"; the truth
    has its address, "(*T)(0xADDR)". For a pointer the truth reaches through struct fields
    only (holder.P) Delve is asked, in the same session, to print that field by itself
    (`print holder.P`): its first line, "(*T)(0xADDR)", is compared with the truth (the
    pointee Delve showed is what is at that address). Any other followed pointer: not
    compared (the pointee is not in the truth).
    A nil pointer: Delve "*T nil" (or "*nil", "nil" where it omits types), ours
    "(*T)(nil)": both nil, compared as nil (and the types where both name one).
  * An interface: Delve "I(D) " then the data without its type, or "*" and the pointee
    without its type when D is a pointer; ours "I(D) " then the data with its type, "&"
    and the pointee with its type for a pointer (goTop). The "I(D)" heads are compared,
    Delve's "*" stands for our "&", and the data's type, which Delve leaves out, is not
    compared (it is D, or D without its "*", in ours). A nil interface ("I nil", or
    "nil") against one holding a value ("I(D) v") is wrong.
  * What Delve leaves out: elements of arrays and slices, map keys and values, and
    interface data print without their type, and a slice there without its "len: L,
    cap: C" (ours keeps len and cap). What Delve leaves out is not shown, so not compared;
    the rest is. Where both print a type the two must be the same text, else the part is
    not compared (a naming difference is not a value difference).
  * A slice: "T len: L, cap: C, [...]" in both, L and C compared; a nil slice Delve
    writes "T len: 0, cap: 0, nil", ours "T nil" (the same value); a nil base with a
    length or capacity not 0 is no Go value: wrong.
  * A map: Delve "T [k: v, ...]" in its iteration order, ours "T len: N, [k: v, ...]" in
    key order: compared as sets of entries by key (the keys' texts, which are the same
    syntax in both: strings, numbers, bools), and N against the number of entries Delve
    lists (it lists them all, up to max-array-values; "...+N more" is not compared).
  * A channel: Delve (multi-line `print`) shows the runtime's hchan struct: qcount,
    dataqsiz, buf, closed, recvx, recvq, sendq. Mapped to ours: len qcount, cap dataqsiz,
    "closed" if closed is not 0, the buffered values buf[(recvx+i) % dataqsiz] for i <
    qcount (the receive order). A channel with a goroutine queued (recvq.first or
    sendq.first not nil) is not compared (Delve shows sudogs, ours goroutine ids). A nil
    channel Delve prints as the struct with no fields, "chan T {}" (prettyprint writes a
    chan with newlines as its struct: a nil one has no children), ours "chan T nil".
  * Numbers are compared by value (int, else float: Delve's float text need not be Go's
    %v); strings, bools and pointers as text.
Delve is configured before its prints (PRINT_CONFIG) so that no value of the fixture is
cut. `python3 delve_values.py` checks these rules on examples (SELF_TEST).
"""

from __future__ import annotations

import os
import re
import subprocess
from typing import Dict, List, Optional, Tuple

T_DLV = 120  # one dlv session
MARK = "@@goinspect-delve "
RIGHT, WRONG, NOT_SHOWN, NOT_COMPARED = "right", "wrong", "not shown", "not compared"

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class DelveError(Exception):
    """dlv could not open the core, or stopped before its last command."""


# ---------------------------------------------------------------------------------------
# Running dlv


def run_dlv(dlv: str, exe: str, core: str, commands: List[str], work: str, tag: str,
            run_bounded, setup: List[str] = ()) -> List[str]:
    """One `dlv core` session running `setup`, then every command, each after a marker
    (print "@@goinspect-delve N"); returns each command's output (ANSI codes removed).
    Delve refuses Go releases older than it supports (1.27: Go 1.25 on) unless told
    --check-go-version=false, as its own error says to: it is told, so that it is measured
    on every toolchain. Its configuration directory is the work directory (XDG_CONFIG_HOME),
    so no user's dlv config changes the output, and none is written."""
    init = os.path.join(work, f"{tag}.init")
    lines = list(setup)
    for i, c in enumerate(commands):
        lines += [f'print "{MARK}{i}"', c]
    lines.append("exit")
    with open(init, "w") as f:
        f.write("\n".join(lines) + "\n")
    argv = [dlv, "core", exe, core, "--allow-non-terminal-interactive=true",
            "--check-go-version=false", "--init", init]
    env = dict(os.environ, NO_COLOR="1", TERM="dumb", XDG_CONFIG_HOME=work)
    rc, out, err = run_bounded(argv, T_DLV, cwd=work, env=env, stdin=subprocess.DEVNULL)
    o, e = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    with open(os.path.join(work, f"{tag}.log"), "w") as f:
        f.write(f"$ {' '.join(argv)}\nexit: {rc}\n{o}\n--- stderr\n{e}")
    if rc is None:
        raise DelveError(f"dlv ({tag}) did not finish within {T_DLV}s (killed)")
    if rc != 0:
        raise DelveError(f"dlv core failed ({tag}, exit {rc}): {(e.strip() or o.strip())[-800:]}")
    o = _ANSI.sub("", o)
    outputs: List[Optional[List[str]]] = [None] * len(commands)
    current: Optional[int] = None
    for line in o.splitlines():
        m = re.fullmatch(r'"' + re.escape(MARK) + r'(\d+)"', line.strip())
        if m and int(m.group(1)) < len(commands):
            current = int(m.group(1))
            outputs[current] = []
        elif current is not None:
            outputs[current].append(line)
    missing = [i for i, x in enumerate(outputs) if x is None]
    if missing:
        raise DelveError(f"dlv ({tag}) stopped before command {missing[0]} "
                         f"({commands[missing[0]]!r}): {(e.strip() or o.strip())[-800:]}")
    return ["\n".join(x).strip("\n") for x in outputs]


def command_error(output: str, init_path: str) -> Optional[str]:
    """The error of a command that failed: Delve prints "INITFILE:LINE: message"."""
    first = output.split("\n", 1)[0]
    for p in (init_path, os.path.basename(init_path)):
        if first.startswith(p + ":"):
            return re.sub(r"^:\d+:\s*", "", first[len(p):]) or first
    return None


def parse_goroutines(text: str) -> Tuple[Dict[int, List[str]], Optional[int]]:
    """`goroutines -t DEPTH`: {goroutine id: [function of frame 0, 1, ...]}, and the id
    Delve marks current ("*", the crashing thread's goroutine)."""
    stacks: Dict[int, List[str]] = {}
    current = None
    g = None
    for line in text.splitlines():
        m = re.match(r"^([* ]) Goroutine (\d+) - ", line)
        if m:
            g = int(m.group(2))
            stacks[g] = []
            if m.group(1) == "*":
                current = g
            continue
        m = re.match(r"^\s+(\d+)\s+0x[0-9a-f]+ in (.+?)\s*$", line)
        if m and g is not None:
            if int(m.group(1)) != len(stacks[g]):
                raise DelveError(f"goroutine {g}: frame {m.group(1)} after {len(stacks[g])} "
                                 f"frames in dlv's backtrace")
            stacks[g].append(m.group(2))
    return stacks, current


def strip_type_args(name: str) -> str:
    """main.parkGeneric[go.shape.int] -> main.parkGeneric (Delve names a generic function's
    instantiation by its shape; the truth by the function)."""
    out, depth = [], 0
    for c in name:
        if c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
        elif depth == 0:
            out.append(c)
    return "".join(out)


def frame_index(frames: List[str], function: str) -> Optional[int]:
    for i, f in enumerate(frames):
        if strip_type_args(f) == function:
            return i
    return None


# Delve's settings for `print`: no value of the fixture reaches these limits, so Delve
# prints each in full (its defaults cut strings at 64 bytes, lists at 64 elements, and
# stop following at depth 1).
PRINT_CONFIG = ["config max-string-len 100000", "config max-array-values 100000",
                "config max-variable-recurse 50"]


def measure(dlv: str, exe: str, core: str, queries: List[Tuple[Optional[int], str, str, str]],
            work: str, run_bounded) -> List[Tuple[str, str, str]]:
    """Delve on the core, two sessions: `goroutines -t` (every goroutine's frames, to find
    each query's frame by its function), then `goroutine G frame N print NAME` for every
    query, and `... print NAME.F.G` for every non-nil pointer the truth has at a path of
    struct fields (pointer_paths: Delve follows such a pointer when it prints NAME, and
    shows its address only when printed itself). queries: (goroutine, function, variable,
    truth), goroutine None for the one Delve marks current (the crashing thread's) if it
    has a frame of the function, else the first that has one. Returns per query (status,
    detail, Delve's output)."""
    stacks_out = run_dlv(dlv, exe, core, ["goroutines -t 1000"], work, "dlv-stacks", run_bounded)
    stacks, current = parse_goroutines(stacks_out[0])
    if not stacks:
        raise DelveError("dlv listed no goroutines: " + stacks_out[0][-500:])
    commands: List[str] = []
    where: List[Optional[str]] = []  # None, or why no command was run
    extras: List[Tuple[int, str, str]] = []  # (query, path, command) after the queries'
    for q, (g, fn, name, truth) in enumerate(queries):
        if g is None:
            having = [x for x in sorted(stacks) if frame_index(stacks[x], fn) is not None]
            g = current if current in having else (having[0] if having else None)
            if g is None:
                where.append(f"no goroutine has a {fn} frame in Delve's backtraces")
                continue
        idx = frame_index(stacks.get(g, []), fn)
        if g not in stacks:
            where.append(f"Delve lists no goroutine {g}")
        elif idx is None:
            where.append(f"Delve's backtrace of goroutine {g} has no {fn} frame")
        else:
            where.append(None)
            commands.append(f"goroutine {g} frame {idx} print {name}")
            extras += [(q, path, f"goroutine {g} frame {idx} print {name}{path}")
                       for path in pointer_paths(truth)]
    n = len(commands)
    commands += [c for _, _, c in extras]
    outputs = run_dlv(dlv, exe, core, commands, work, "dlv-values", run_bounded,
                      setup=PRINT_CONFIG) if commands else []
    init = os.path.join(work, "dlv-values.init")
    results: List[Tuple[str, str, str]] = []
    it = iter(outputs[:n])
    for q, ((_, _, _, truth), why) in enumerate(zip(queries, where)):
        if why is not None:
            results.append((NOT_SHOWN, why, ""))
            continue
        out = next(it)
        pointers = {path: outputs[n + i] for i, (eq, path, _) in enumerate(extras) if eq == q}
        status, detail = classify(out, truth, init, pointers)
        results.append((status, detail, out))
    return results


def pointer_paths(truth: str) -> List[str]:
    """The paths (".F.G") of the non-nil pointers in the truth reached through struct fields
    only (no interface, element or pointer on the way): expressions Delve can print."""
    paths: List[str] = []

    def walk(n: Node, path: str):
        if n.kind != "group" or n.opener != "{" or _head(n.prefix)[0] is not None:
            return
        if n.prefix.startswith("&") or n.prefix.startswith("*"):
            return
        for k, v in n.items:
            if k is None or not re.fullmatch(r"[A-Za-z_]\w*", k):
                return
            if v.kind == "leaf" and re.fullmatch(r"\(\*.+\)\(0x[0-9a-f]+\)", v.text):
                paths.append(f"{path}.{k}")
            else:
                walk(v, f"{path}.{k}")

    walk(parse(truth), "")
    return paths


# ---------------------------------------------------------------------------------------
# Parsing both syntaxes into one tree


def mask(text: str) -> Optional[str]:
    """text with the contents of its string literals replaced by "_" (same length, quotes
    kept), so brackets, commas and colons are looked for outside strings only; None if a
    string literal is not closed."""
    out = list(text)
    i, in_str = 0, False
    while i < len(text):
        c = text[i]
        if in_str:
            if c == "\\":
                out[i] = "_"
                if i + 1 < len(text):
                    out[i + 1] = "_"
                i += 2
                continue
            if c == '"':
                in_str = False
            else:
                out[i] = "_"
        elif c == '"':
            in_str = True
        i += 1
    return None if in_str else "".join(out)


class Node:
    """A leaf (text), or a group: prefix, opener ("{" or "["), items [(key or None, Node)].
    kind "hidden": unreadable; "opaque": cannot be compared (reason in text)."""

    def __init__(self, kind: str, text: str, prefix: str = "", opener: str = "",
                 items: Optional[List[Tuple[Optional[str], "Node"]]] = None,
                 truncated: bool = False):
        self.kind, self.text, self.prefix, self.opener = kind, text, prefix, opener
        self.items = items or []
        self.truncated = truncated

    def __repr__(self):
        return f"Node({self.kind}, {self.text!r})"


def ws(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def _split_top(text: str, m: str, sep: str) -> List[str]:
    """text split at `sep` characters at depth 0 (m: its mask)."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(m):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


_CONT = re.compile(r"(?:^|[\s:])(?:len|cap): \d+$|(?:^|\s)closed$")


def _items(body: str) -> Tuple[List[Tuple[Optional[str], Node]], bool]:
    m = mask(body)
    pieces = [p.strip() for p in _split_top(body, m, ",")]
    while pieces and not pieces[-1]:
        pieces.pop()  # Delve's comma after the last item
    # "len: 2, cap: 2, [...]" is one value: its commas are not item separators.
    merged: List[str] = []
    for p in pieces:
        if merged and _CONT.search(mask(merged[-1]) or ""):
            merged[-1] += ", " + p
        else:
            merged.append(p)
    items: List[Tuple[Optional[str], Node]] = []
    truncated = False
    for p in merged:
        if re.fullmatch(r"\.\.\.(\+\d+ more)?", p):
            truncated = True
            continue
        pm = mask(p)
        key = None
        if pm is not None and not re.match(r"len: \d+, ", p):
            depth = 0
            for i, c in enumerate(pm):
                if c in "([{":
                    depth += 1
                elif c in ")]}":
                    depth -= 1
                elif depth == 0 and pm.startswith(": ", i):
                    key, p = ws(p[:i]), p[i + 2:]
                    break
        items.append((key, parse(p)))
    return items, truncated


def parse(text: str) -> Node:
    text = text.strip()
    if text.startswith("(unreadable ") and text.endswith(")"):
        return Node("hidden", text)
    m = mask(text)
    if m is None or not text or text[-1] not in "]}":
        return Node("leaf", ws(text))
    depth = 0
    for i in range(len(m) - 1, -1, -1):
        c = m[i]
        if c in ")]}":
            depth += 1
        elif c in "([{":
            depth -= 1
            if depth == 0:
                items, truncated = _items(text[i + 1:-1])
                return Node("group", ws(text), ws(text[:i]).rstrip(","), text[i], items,
                            truncated)
    return Node("leaf", ws(text))


# ---------------------------------------------------------------------------------------
# Delve's syntax mapped to ours where certain


def delve_top(text: str) -> str:
    """One `print`'s output as one line: the channel waiters' trailer cut, a top-level
    pointer's address line dropped ("*" of the pointee becomes "&"), layout newlines
    dropped."""
    i = text.find("\n\nGoroutines waiting on this channel:")
    if i >= 0:
        text = text[:i]
    lines = text.split("\n")
    if (len(lines) > 1 and re.fullmatch(r'\("?\*[^\n]*"?\)\(0x[0-9a-f]+\)', lines[0].strip())
            and lines[1].startswith("*")):
        text = "&" + "\n".join(lines[1:])[1:]
    text = re.sub(r"\n[ \t]*", "", text)  # layout only: Delve's strings have no raw newline
    return re.sub(r'\("(\*?[^"()]*)"\)\((0x[0-9a-f]+)\)', r"(\1)(\2)", text)


def _leaf_int(n: Node) -> Optional[int]:
    if n.kind == "leaf" and re.fullmatch(r"-?\d+", n.text):
        return int(n.text)
    return None


def delve_canon(n: Node) -> Node:
    """Delve's channels (hchan structs) and nil channels mapped to our channel syntax; the
    rest as parsed (its other differences are handled while comparing)."""
    if n.kind != "group":
        return n
    items = [(k, delve_canon(v)) for k, v in n.items]
    chan = re.fullmatch(r"(?:<-)?chan(?:<-)? .+", n.prefix)
    if n.opener == "{" and chan:
        if not items:
            return Node("leaf", n.prefix + " nil")
        f = dict(items)
        q, c = _leaf_int(f.get("qcount", Node("leaf", ""))), _leaf_int(
            f.get("dataqsiz", Node("leaf", "")))
        recvx, closed = _leaf_int(f.get("recvx", Node("leaf", ""))), _leaf_int(
            f.get("closed", Node("leaf", "")))
        buf = f.get("buf")
        for k in ("qcount", "dataqsiz", "recvx", "closed", "buf", "recvq", "sendq"):
            v = f.get(k)
            if v is not None and v.kind == "hidden":
                return v
        if None in (q, c, recvx, closed) or buf is None:
            return Node("opaque", "a channel's hchan without qcount, dataqsiz, recvx, closed "
                        "or buf: " + n.text[:200])
        for k in ("recvq", "sendq"):
            wq = dict(f[k].items) if k in f and f[k].kind == "group" else {}
            first = wq.get("first")
            if first is None or first.kind != "leaf" or not first.text.endswith(" nil"):
                return Node("opaque", f"a channel with goroutines queued ({k}): Delve shows "
                            "sudogs, the truth goroutine ids")
        if q < 0 or c < 0 or q > c:
            elems: Optional[List] = None
        elif q == 0:
            elems = []
        elif buf.kind == "group" and buf.opener == "[" and len(buf.items) == c and 0 <= recvx < c:
            elems = [buf.items[(recvx + i) % c] for i in range(q)]
        else:
            return Node("opaque", "a channel's buffer Delve does not list in full: "
                        + buf.text[:200])
        prefix = f"{n.prefix} len: {q}, cap: {c}" + (", closed" if closed else "")
        if elems is None:  # no Go value: it cannot equal the truth, compared as lengths
            return Node("group", f"{prefix}, [?]", prefix, "[", [(None, Node("opaque", "?"))])
        return Node("group", f"{prefix}, [...]", prefix, "[", [(None, v) for _, v in elems])
    return Node("group", n.text, n.prefix, n.opener, items, n.truncated)


# ---------------------------------------------------------------------------------------
# Comparison: findings are (what, path, detail), what in "diff", "hidden", "unchecked"

_IFACE_HEAD = re.compile(r"^((?:error|any|interface \{[^()]*\}"
                         r"|(?!func\b|unsafe\.Pointer\()[A-Za-z_][\w./]*(?:\[[^()]*\])?)"
                         r"\((?:[^()]|\([^()]*\))*\))(?: |$)")


def _head(s: str) -> Tuple[Optional[str], str]:
    """An interface's "I(D)" head and the rest."""
    m = _IFACE_HEAD.match(s)
    if m:
        return m.group(1), s[m.end():].strip()
    return None, s


def _prefix_parts(rest: str) -> dict:
    d: dict = {"amp": "", "closed": False, "len": None, "cap": None}
    rest = rest.strip().rstrip(",").strip()
    if rest.endswith("closed") and (rest == "closed" or rest.endswith(", closed")):
        d["closed"] = True
        rest = rest[:-len("closed")].rstrip().rstrip(",").strip()
    m = re.search(r"(?:^|\s)cap: (\d+)$", rest)
    if m:
        d["cap"] = int(m.group(1))
        rest = rest[:m.start()].rstrip().rstrip(",").strip()
    m = re.search(r"(?:^|\s)len: (\d+)$", rest)
    if m:
        d["len"] = int(m.group(1))
        rest = rest[:m.start()].strip()
    if rest and rest[0] in "&*":
        d["amp"], rest = rest[0], rest[1:]
    d["type"] = rest.strip()
    return d


def compare_prefix(dp: str, op: str, path: str, out: List) -> dict:
    """Delve's group prefix against ours; returns our parts (for a map's len)."""
    dh, dr = _head(dp)
    oh, orest = _head(op)
    d, o = _prefix_parts(dr), _prefix_parts(orest)
    if dh != oh:
        out.append(("unchecked", path, f"heads {dh!r} and {oh!r}"))
    if d["amp"] != o["amp"] and not (dh is not None and d["amp"] == "*" and o["amp"] == "&"):
        out.append(("unchecked", path, f"prefixes {dp!r} and {op!r}"))
    if d["type"] and d["type"] != o["type"]:
        out.append(("unchecked", path, f"types {d['type']!r} and {o['type']!r}"))
    for k in ("len", "cap"):
        if d[k] is not None and o[k] is not None and d[k] != o[k]:
            out.append(("diff", path, f"{k} {d[k]}, truth {o[k]}"))
        elif d[k] is not None and o[k] is None:
            out.append(("unchecked", path, f"{k} {d[k]} where the truth has none ({op!r})"))
    if d["closed"] != o["closed"] and re.match(r"(?:<-)?chan", d["type"] or o["type"]):
        out.append(("diff", path, f"closed {d['closed']}, truth {o['closed']}"))
    return o


def _nil_type(t: str) -> Optional[str]:
    """The type of a nil's text ("" if it names none), None if t is not a nil."""
    if t == "nil":
        return ""
    m = re.fullmatch(r"\((.+)\)\(nil\)", t) or re.fullmatch(r"(.+?)\(nil\)", t)
    if m:
        return m.group(1)
    m = re.fullmatch(r"(.+?) len: 0, cap: 0, nil", t)
    if m:
        return m.group(1)
    m = re.fullmatch(r"(.+?) nil", t)
    if m and "len: " not in m.group(1):
        return m.group(1)
    return None


def _leaf_class(t: str) -> str:
    if _nil_type(t) is not None:
        return "nil"
    if re.fullmatch(r"-?(\d+|0x[0-9a-f]+)", t):
        return "int"
    try:
        float(t)
        return "float"
    except ValueError:
        pass
    if t in ("true", "false"):
        return "bool"
    if t.startswith('"') and t.endswith('"') and len(t) >= 2:
        m = mask(t)
        if m is not None and '"' not in m[1:-1]:
            return "string"
    if re.fullmatch(r"\(\*.+\)\(0x[0-9a-f]+\)|unsafe\.Pointer\(0x[0-9a-f]+\)", t):
        return "pointer"
    return "other"


def _num(t: str):
    return int(t, 0) if re.fullmatch(r"-?(\d+|0x[0-9a-f]+)", t) else float(t)


def compare_leaf(dt: str, ot: str, path: str, out: List):
    if dt == ot:
        return
    dh, dr = _head(dt)
    oh, orr = _head(ot)
    if dh is not None or oh is not None:
        if (dh is None and _nil_type(dt) is not None and orr) or (
                oh is None and _nil_type(ot) is not None and dr):
            # a nil interface against one holding a value ("I(D) v")
            out.append(("diff", path, f"{dt}, truth {ot}"))
            return
        if dh is None or oh is None or dh != oh:
            out.append(("unchecked", path, f"{dt!r} and the truth {ot!r}"))
            return
        if dr and orr:
            compare_leaf(dr, orr, path, out)
            return
        out.append(("unchecked", path, f"{dt!r} and the truth {ot!r}"))
        return
    dc, oc = _leaf_class(dt), _leaf_class(ot)
    if dc == oc == "nil":
        a, b = _nil_type(dt), _nil_type(ot)
        if a and b and a != b:
            out.append(("unchecked", path, f"nil types {a!r} and {b!r}"))
        return
    if {dc, oc} <= {"int", "float"}:
        if _num(dt) != _num(ot):
            out.append(("diff", path, f"{dt}, truth {ot}"))
        return
    if dc == oc and dc in ("string", "bool"):
        out.append(("diff", path, f"{dt}, truth {ot}"))
        return
    if dc == oc == "pointer":
        da, oa = dt.rsplit("(", 1)[1], ot.rsplit("(", 1)[1]
        if da != oa:
            out.append(("diff", path, f"{dt}, truth {ot}"))
        else:
            out.append(("unchecked", path, f"pointer types: {dt} and {ot}"))
        return
    if "nil" in (dc, oc) and {dc, oc} & {"pointer", "string", "int", "float", "bool"}:
        if {dc, oc} == {"nil", "pointer"}:
            out.append(("diff", path, f"{dt}, truth {ot}"))
            return
    if re.fullmatch(r".+ len: \d+, cap: \d+, nil", dt):
        out.append(("diff", path, f"{dt} (a nil base with a length or capacity), truth {ot}"))
        return
    out.append(("unchecked", path, f"{dt!r} and the truth {ot!r}"))


def compare_nodes(d: Node, o: Node, path: str, out: List, pointers: Dict[str, str]):
    if d.kind == "hidden":
        out.append(("hidden", path, d.text))
        return
    if d.kind == "opaque":
        out.append(("unchecked", path, d.text))
        return
    if d.kind == "leaf" and o.kind == "leaf":
        compare_leaf(d.text, o.text, path, out)
        return
    if d.kind != o.kind:
        leaf, group = (d, o) if d.kind == "leaf" else (o, d)
        if re.fullmatch(r".+ len: \d+, cap: \d+, nil", d.text):
            out.append(("diff", path, f"{d.text} (a nil base with a length or capacity), "
                        f"truth {o.text[:200]}"))
        elif _nil_type(leaf.text) is not None:
            out.append(("diff", path, f"{d.text[:200]}, truth {o.text[:200]}"))
        elif (d.kind == "group" and _head(d.prefix)[0] is None and d.prefix.startswith("*")
              and _leaf_class(o.text) == "pointer"):
            # Delve shows the pointee; its address is the first line of the pointer printed
            # by itself (measure asks for it): that is what the truth has.
            first = delve_top_pointer(pointers.get(path, ""))
            if first is None:
                out.append(("unchecked", path, f"Delve follows the pointer {o.text} (the "
                            f"truth): {d.text[:120]}"))
            else:
                compare_leaf(first, o.text, path, out)
        else:
            out.append(("unchecked", path, f"{d.text[:200]!r} and the truth {o.text[:200]!r}"))
        return
    # both groups
    ours = compare_prefix(d.prefix, o.prefix, path, out)
    if d.opener != o.opener:
        out.append(("unchecked", path, f"{d.text[:200]!r} and the truth {o.text[:200]!r}"))
        return
    if d.truncated:
        out.append(("unchecked", path, "Delve lists part of it"))
    keyed = any(k is not None for k, _ in d.items) or any(k is not None for k, _ in o.items)
    if d.opener == "{":
        dn = [k for k, _ in d.items]
        on = [k for k, _ in o.items]
        if dn != on:
            out.append(("unchecked", path, f"fields {dn} and the truth's {on}"))
            return
        for (k, dv), (_, ov) in zip(d.items, o.items):
            compare_nodes(dv, ov, f"{path}.{k}", out, pointers)
        return
    if keyed:  # a map
        if any(k is None for k, _ in d.items) or any(k is None for k, _ in o.items):
            out.append(("unchecked", path, "a map with entries without keys"))
            return
        okeys: Dict[str, Node] = {}
        for k, v in o.items:
            okeys[k] = v
        if ours.get("len") is not None and not d.truncated and ours["len"] != len(d.items):
            out.append(("diff", path, f"{len(d.items)} entries, truth len {ours['len']}"))
        for k, dv in d.items:
            kc = _leaf_class(k)
            if k in okeys:
                compare_nodes(dv, okeys[k], f"{path}[{k}]", out, pointers)
            elif kc in ("string", "int", "bool"):
                out.append(("diff", path, f"key {k} not in the truth"))
            else:
                out.append(("unchecked", path, f"key {k}"))
        return
    if len(d.items) != len(o.items) and not d.truncated:
        out.append(("diff", path, f"{len(d.items)} elements, truth {len(o.items)}"))
        return
    for i, ((_, dv), (_, ov)) in enumerate(zip(d.items, o.items)):
        compare_nodes(dv, ov, f"{path}[{i}]", out, pointers)


def delve_top_pointer(output: str) -> Optional[str]:
    """The "(*T)(0xADDR)" line Delve prints first for a non-nil pointer printed itself."""
    first = output.split("\n", 1)[0].strip()
    m = re.fullmatch(r'\("?(\*[^"\n]*)"?\)\((0x[0-9a-f]+)\)', first)
    return f"({m.group(1)})({m.group(2)})" if m else None


def classify(output: str, truth: str, init_path: str,
             pointers: Optional[Dict[str, str]] = None) -> Tuple[str, str]:
    """One `print`'s output against the truth: (status, detail). pointers: Delve's output
    for each pointer (by path) it follows in this value, printed by itself."""
    err = command_error(output, init_path)
    if err is not None:
        return NOT_SHOWN, err
    if not output.strip():
        return NOT_SHOWN, "nothing printed"
    text = delve_top(output)
    d = delve_canon(parse(text))
    o = parse(truth)
    findings: List[Tuple[str, str, str]] = []
    compare_nodes(d, o, "", findings, pointers or {})
    if "(unreadable " in (mask(text) or "") and not any(f[0] == "hidden" for f in findings):
        # an unreadable part where the tree has none (after "*", or in a leaf's text)
        findings.append(("hidden", "", "(unreadable ...) in " + text[:200]))
    for what, status in (("diff", WRONG), ("hidden", NOT_SHOWN), ("unchecked", NOT_COMPARED)):
        f = [x for x in findings if x[0] == what]
        if f:
            return status, "; ".join(f"{p or 'value'}: {det}" for _, p, det in f[:4])
    return RIGHT, ""


# ---------------------------------------------------------------------------------------
# The rules above on examples: (what Delve printed, the truth, the status classify gives).
# `python3 delve_values.py` checks them (no core needed).

_W = "waitq<int> {first: *sudog<int> nil, last: *sudog<int> nil}"
_WF = _W.replace("{", "{{").replace("}", "}}")
_CHAN = "chan int {{\n\tqcount: {q},\n\tdataqsiz: {c},\n\tbuf: *[{c}]int [{buf}],\n\tclosed: " \
        "{closed},\n\trecvx: {rx},\n\trecvq: " + _WF + ",\n\tsendq: " + _WF + ",}}"
SELF_TEST = [
    # multi-line layout, spacing, trailing commas; map order; a map's len is its entries
    ('map[string]string [\n\t"ghi": "jkl", \n\t"abc": "def", \n]',
     'map[string]string len: 2, ["abc": "def", "ghi": "jkl"]', RIGHT),
    ('map[string]string [\n\t"ghi": "jkX", \n\t"abc": "def", \n]',
     'map[string]string len: 2, ["abc": "def", "ghi": "jkl"]', WRONG),
    ('map[string]string [\n\t"abc": "def", \n]',
     'map[string]string len: 2, ["abc": "def", "ghi": "jkl"]', WRONG),
    ('map[string][]string [\n\t"a": ["b","c","d"], \n]',
     'map[string][]string len: 1, ["a": len: 3, cap: 3, ["b", "c", "d"]]', RIGHT),
    ('[4]int [1,2,3,4]', '[4]int [1, 2, 3, 4]', RIGHT),
    ('"a,}b"', '"a,}b"', RIGHT),
    ('"abc"', '"abd"', WRONG),
    ('2.50', '2.5', RIGHT),
    ('8', '-7', WRONG),
    ('true', 'false', WRONG),
    ('main.kv[string,int] {Key: "ints", Val: 1}', 'main.kv[string,int] {Key: "ints", Val: 1}',
     RIGHT),
    # unreadable parts, errors
    ('main.point {X: 1, Y: (unreadable x)}', 'main.point {X: 1, Y: 2}', NOT_SHOWN),
    ('main.point {X: 3, Y: (unreadable x)}', 'main.point {X: 1, Y: 2}', WRONG),
    ('t.init:3: could not find symbol value for x', '1', NOT_SHOWN),
    ('(*main.point)(0xc000010008)\n*(unreadable could not read 0xc000010008)',
     '&main.point {X: 7, Y: 8}', NOT_SHOWN),
    # pointers: at the top, in a field (nil, or followed), typed nil in an interface
    ('(*main.point)(0xc000010008)\n*main.point {X: 7, Y: 8}', '&main.point {X: 7, Y: 8}', RIGHT),
    ('("*container/list.Element")(0xc000010000)\n*container/list.Element {next: '
     '*container/list.Element nil, Value: interface {}(int) 5}',
     '&container/list.Element {next: (*container/list.Element)(nil), Value: '
     'interface {}(int) 5}', RIGHT),
    ('main.h {P: *main.point nil}', 'main.h {P: (*main.point)(nil)}', RIGHT),
    ('main.h {P: *main.point {X: 7, Y: 8}}', 'main.h {P: (*main.point)(nil)}', WRONG),
    ('main.h {P: *main.point nil}', 'main.h {P: (*main.point)(0xc000010000)}', WRONG),
    ('main.h {P: *main.point {X: 7, Y: 8}}', 'main.h {P: (*main.point)(0xc000010000)}',
     NOT_COMPARED),  # without `print h.P` (measure asks for it: see classify's pointers)
    ('error(*main.myErr) nil', 'error(*main.myErr) (*main.myErr)(nil)', RIGHT),
    ('unsafe.Pointer(0xc000010000)', 'unsafe.Pointer(0xc000010008)', WRONG),
    # interfaces
    ('error(*main.myErr) *{\n\tmsg: "boom",\n\tcode: 7,}',
     'error(*main.myErr) &main.myErr {msg: "boom", code: 7}', RIGHT),
    ('interface {}(main.point) {X: 1, Y: 2}', 'interface {}(main.point) main.point {X: 1, Y: 2}',
     RIGHT),
    ('interface {}(main.other) {X: 1, Y: 2}', 'interface {}(main.point) main.point {X: 1, Y: 2}',
     NOT_COMPARED),
    ('interface {}([]int) [5,7]', 'interface {}([]int) []int len: 2, cap: 2, [5, 6]', WRONG),
    ('interface {}(int) 5', 'interface {} nil', WRONG),
    ('time.March (3)', 'time.March', NOT_COMPARED),
    # slices
    ('[]string len: 0, cap: 0, nil', '[]string nil', RIGHT),
    ('[]int len: 0, cap: 0, nil', '[]int len: 0, cap: 0, []', WRONG),
    ('[]string len: 0, cap: 16, nil', '[]string len: 1, cap: 16, ["def"]', WRONG),
    ('[]int len: 5, cap: 5, [4,5,6,7,8]', '[]int len: 4, cap: 4, [4, 5, 6, 7]', WRONG),
    ('[]int len: 4, cap: 4, [4,5,...+2 more]', '[]int len: 4, cap: 4, [4, 5, 6, 7]',
     NOT_COMPARED),
    # channels: the hchan struct, its ring buffer from recvx, closed, nil
    (_CHAN.format(q=3, c=3, buf="4,5,3", closed=0, rx=2), 'chan int len: 3, cap: 3, [3, 4, 5]',
     RIGHT),
    (_CHAN.format(q=2, c=3, buf="7,8,0", closed=1, rx=0),
     'chan int len: 2, cap: 3, closed, [7, 8]', RIGHT),
    (_CHAN.format(q=2, c=3, buf="7,8,0", closed=0, rx=0),
     'chan int len: 2, cap: 3, closed, [7, 8]', WRONG),
    (_CHAN.format(q=2, c=3, buf="7,8,0", closed=0, rx=0).replace(
        "recvq: waitq<int> {first: *sudog<int> nil", "recvq: waitq<int> {first: *sudog<int> {}"),
     'chan int len: 2, cap: 3, [7, 8], receivers: [5]', NOT_COMPARED),
    ('chan int {}', 'chan int nil', RIGHT),
]


def self_test() -> int:
    bad = 0
    for out, truth, want in SELF_TEST:
        got, detail = classify(out, truth, "t.init")
        if got != want:
            bad += 1
            print(f"FAIL {out!r} against {truth!r}: {got} ({detail}), expected {want}")
    print(f"{len(SELF_TEST) - bad} of {len(SELF_TEST)} examples classified as expected")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(self_test())
