#!/usr/bin/python3
"""Truth check of the GDB pretty-printers (formatters/gdb/go_printers.py) and $len, $cap,
$dtype against what the printers fixture (tests/fixtures/printers) says it holds.

Cases TOOLCHAIN/MODE/printers/KIND, modes plain, noopt, pie (a stripped build has no DWARF,
which the printers need: not a case), kinds:
  core        `printers crash` with GOTRACEBACK=crash: stdout holds the truth lines, the
              core is opened with `gdb -batch EXE CORE`;
  live        `printers hang`: gdb attaches (a goroutine spins in main.holdLocals, so its
              frame is on a thread), prints, detaches; the fixture must still run;
  goroutines  (core) `go goroutines`, `go bt 1`, `go bt all` of build/gdb-scripts/
              go-gdb.py, as runtime-gdb_test.go checks `info goroutines` and `goroutine 1
              bt`: SKIP (pending) while that script is not there.

Checks, each failure naming the value, what the truth says and what gdb printed:
  * GLOBAL name: `print 'main.name'` equals the rendering (see the fixture's comment),
    compared as values: strings as bytes (gdb's escapes and raw UTF-8 alike), maps as
    sets of entries, everything else in order;
  * LOCAL name (in main.holdLocals' frame, found on whichever thread has it): the same,
    in noopt builds; every build's `info locals` must list slicevar, mapvar, strvar (as
    runtime-gdb_test.go asks) where the frame has locals in DWARF at all (noopt);
  * LEN/CAP: $len(x), $cap(x); DTYPE: `print $dtype(x)` then `whatis $` is the type;
  * runtime-gdb_test.go's own assertions, re-expressed on the globals of the same names:
    print smallmapvar, mapvar (either order), slicemap (suffix), chanint and chanstr
    (suffix `chan int = {99, 11}`), strvar;
  * bounds: with `set print elements 4` a 300-element slice shows 4 and "...", the
    2000-entry map 2 entries and "..."; nothing ever prints a Python traceback.

Environment: GOINSPECT_FIXTURE_DIR, GOINSPECT_CASES (globs over TOOLCHAIN/MODE/printers/
KIND), GOINSPECT_ARTIFACTS, GOINSPECT_GDB (default gdb).

Usage: check_printers.py --toolchain go1.24 [--build] [...]
Prints one PASS/FAIL/SKIP line per case and "N passed, M failed"; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from typing import Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_goroutines as cg  # noqa: E402
from check_goroutines import CaseError, Diffs  # noqa: E402

SOURCE_DIR = cg.SOURCE_DIR
GO_GDB = os.path.join(SOURCE_DIR, "build", "gdb-scripts", "go-gdb.py")
FIXTURE = "printers"
MODES = ["plain", "noopt", "pie"]
KINDS = ["core", "live", "goroutines"]
T_GDB = 180

# ---------------------------------------------------------------------------------------
# Truth


class Truth:
    def __init__(self):
        self.globals: Dict[str, str] = {}
        self.locals: Dict[str, str] = {}
        self.lens: Dict[str, int] = {}
        self.caps: Dict[str, int] = {}
        self.dtypes: Dict[str, str] = {}


def parse_truth(text: str) -> Truth:
    t = Truth()
    for line in text.splitlines():
        word, _, rest = line.partition(" ")
        name, _, val = rest.partition(" ")
        if word == "GLOBAL":
            t.globals[name] = val
        elif word == "LOCAL":
            t.locals[name] = val
        elif word == "LEN":
            t.lens[name] = int(val)
        elif word == "CAP":
            t.caps[name] = int(val)
        elif word == "DTYPE":
            t.dtypes[name] = val
    if not t.globals:
        raise ValueError("no GLOBAL lines in the fixture's stdout")
    return t


# ---------------------------------------------------------------------------------------
# gdb's value syntax, parsed into comparable trees:
#   ("str", bytes) | ("atom", text) | ("list", [items]) | ("kv", key, value)
#   | ("field", name, value) | ("typed", head, value)   head = {...} / (T) value


_ESC = {"n": 10, "t": 9, "r": 13, "a": 7, "b": 8, "f": 12, "v": 11, "e": 27,
        '"': 34, "\\": 92, "'": 39}


class ParseError(ValueError):
    pass


def _parse_string(s: str, i: int) -> Tuple[tuple, int]:
    assert s[i] == '"'
    i += 1
    out = bytearray()
    while i < len(s):
        c = s[i]
        if c == '"':
            return ("str", bytes(out)), i + 1
        if c == "\\":
            i += 1
            if i >= len(s):
                break
            c = s[i]
            if c in "01234567":
                j = i
                while j < len(s) and j < i + 3 and s[j] in "01234567":
                    j += 1
                out.append(int(s[i:j], 8) & 0xFF)
                i = j
                continue
            if c in _ESC:
                out.append(_ESC[c])
                i += 1
                continue
            out += c.encode()
            i += 1
            continue
        out += c.encode("utf-8")
        i += 1
    raise ParseError("unterminated string")


_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_.]* = ")


def _atom_end(s: str, i: int) -> int:
    depth = 0
    j = i
    while j < len(s):
        c = s[j]
        if c in "([<":
            depth += 1
        elif c in ")]>":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and (c == "}" or s.startswith(", ", j) or s.startswith(" = {", j)):
            break
        j += 1
    return j


def _parse_list(s: str, i: int) -> Tuple[tuple, int]:
    assert s[i] == "{"
    i += 1
    items = []
    if s.startswith("}", i):
        return ("list", items), i + 1
    while True:
        if s.startswith("[", i) and not s.startswith("[]", i):
            k, i = parse_value(s, i + 1)
            if not s.startswith("] = ", i):
                raise ParseError("expected '] = ' at %d: %r" % (i, s[i:i + 20]))
            v, i = parse_value(s, i + 4)
            items.append(("kv", k, v))
        else:
            m = _FIELD.match(s, i)
            if m and not s.startswith("map[", i):
                v, i = parse_value(s, m.end())
                items.append(("field", m.group(0)[:-3], v))
            else:
                v, i = parse_value(s, i)
                if v[0] == "atom" and v[1].endswith("...") and v[1] != "...":
                    # `set print elements` cut the list here: "3...}"
                    items += [("atom", v[1][:-3]), ("atom", "...")]
                    if s.startswith("}", i):
                        return ("list", items), i + 1
                    continue
                items.append(v)
        if s.startswith(", ", i):
            i += 2
            continue
        if s.startswith("}", i):
            return ("list", items), i + 1
        if s.startswith("...}", i):
            items.append(("atom", "..."))
            return ("list", items), i + 4
        raise ParseError("expected ', ' or '}' at %d: %r" % (i, s[i:i + 20]))


def parse_value(s: str, i: int = 0) -> Tuple[tuple, int]:
    if i >= len(s):
        raise ParseError("unexpected end")
    c = s[i]
    if c == '"':
        v, i = _parse_string(s, i)
        if s.startswith("...", i):
            i += 3
            v = ("str...", v[1])
        return v, i
    if c == "{":
        return _parse_list(s, i)
    if c == "(":
        # "(T) value" (interface) or "(len 2, cap 10) chan int = {...}" (channel)
        depth, j = 0, i
        while j < len(s):
            if s[j] == "(":
                depth += 1
            elif s[j] == ")":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        head = s[i:j + 1]
        if s.startswith(" ", j + 1):
            v, k = parse_value(s, j + 2)
            return ("typed", head, v), k
        return ("atom", head), j + 1
    j = _atom_end(s, i)
    text = s[i:j]
    if s.startswith(" = {", j):
        v, k = _parse_list(s, j + 3)
        return ("typed", text, v), k
    return ("atom", text), j


def parse(s: str) -> tuple:
    v, i = parse_value(s.strip())
    if i != len(s.strip()):
        raise ParseError("trailing text %r" % s.strip()[i:])
    return v


def normalize(v):
    """Map entries in a canonical order (maps print in hash order)."""
    kind = v[0]
    if kind == "list":
        items = [normalize(x) for x in v[1]]
        if items and all(x[0] == "kv" for x in items):
            items.sort(key=repr)
        return ("list", tuple(items))
    if kind in ("kv", "field", "typed"):
        return (kind, normalize(v[1]) if kind == "kv" else v[1], normalize(v[2]))
    return v


def same_value(expected: str, got: str) -> Optional[str]:
    """None if equal as values, else why not."""
    try:
        e = normalize(parse(expected))
    except ParseError as ex:
        return "truth does not parse: %s" % ex
    try:
        g = normalize(parse(got))
    except ParseError as ex:
        return "gdb output does not parse: %s" % ex
    if e != g:
        return "differs"
    return None


# ---------------------------------------------------------------------------------------
# runtime-gdb_test.go's assertions (the same in go1.21 .. go1.27)

_HEX = r"(0x[0-9a-f]+\s+)?"
RE_SMALLMAP = re.compile(r'^\$[0-9]+ = map\[string\]string = {\[%s"abc"\] = %s"def"}$' % (_HEX, _HEX))
RE_MAP1 = re.compile(r'^\$[0-9]+ = map\[string\]string = {\[%s"abc"\] = %s"def", \[%s"ghi"\] = %s"jkl"}$'
                     % (_HEX, _HEX, _HEX, _HEX))
RE_MAP2 = re.compile(r'^\$[0-9]+ = map\[string\]string = {\[%s"ghi"\] = %s"jkl", \[%s"abc"\] = %s"def"}$'
                     % (_HEX, _HEX, _HEX, _HEX))
SLICEMAP_SFX = (
    'map[string][]string = {["e"] = []string = {"f", "g", "h"}, ["a"] = []string = {"b", "c", "d"}}',
    'map[string][]string = {["a"] = []string = {"b", "c", "d"}, ["e"] = []string = {"f", "g", "h"}}')
CHANINT_SFX = "chan int = {99, 11}"
CHANSTR_SFX = 'chan string = {"spongepants", "squarebob"}'
RE_STRVAR = re.compile(r'^\$[0-9]+ = %s"abc"$' % _HEX)
# runtime-gdb_test.go: `info goroutines` matches \*\s+\d+\s+running\s+ and `goroutine 1
# bt` / `goroutine all bt` have ^#0\s+(0x... in )?main\.main.+at (stopped in main.main).
# Our `go goroutines` has no "*" column and our core stops in a panic called from
# main.holdLocals: a goroutine listed running, and main.main among the frames.
RE_INFO_GOROUTINES = re.compile(r"(?m)^\s*\*?\s*\d+\s+running\b")
RE_BT_MAIN = re.compile(r"(?m)^#\d+\s+>?\s*(0x[0-9a-f]+\s+in\s+)?main\.main\b")


def runtime_test_checks(blocks: Dict[str, str]) -> List[str]:
    """runtime-gdb_test.go's printer assertions on our blocks; the failures."""
    bad = []

    def blk(k):
        return blocks.get(k, "<missing>")
    if not RE_SMALLMAP.match(blk("print smallmapvar")):
        bad.append("runtime-gdb_test: print smallmapvar: %s" % blk("print smallmapvar"))
    b = blk("print mapvar")
    if not RE_MAP1.match(b) and not RE_MAP2.match(b):
        bad.append("runtime-gdb_test: print mapvar: %s" % b)
    b = blk("print slicemap").replace("  ", " ")
    if not b.endswith(SLICEMAP_SFX):
        bad.append("runtime-gdb_test: print slicemap: %s" % b)
    if not blk("print chanint").replace("  ", " ").endswith(CHANINT_SFX):
        bad.append("runtime-gdb_test: print chanint: %s" % blk("print chanint"))
    if not blk("print chanstr").replace("  ", " ").endswith(CHANSTR_SFX):
        bad.append("runtime-gdb_test: print chanstr: %s" % blk("print chanstr"))
    if not RE_STRVAR.match(blk("print strvar")):
        bad.append("runtime-gdb_test: print strvar: %s" % blk("print strvar"))
    return bad


def check_clean_backtrace(bt: str) -> Optional[str]:
    """runtime-gdb_test.go's checkCleanBacktrace (every line '#i  '), for `go bt`'s
    layout: a "goroutine N [...]" header, then frames #0, #1, ... in order, each maybe
    followed by indented file:line lines; no gdb error text."""
    lines = [x for x in bt.strip().split("\n") if x.strip()]
    if not lines:
        return "empty backtrace"
    n = 0
    for line in lines:
        if line.startswith("goroutine "):
            n = 0
            continue
        if line.startswith("#"):
            if not re.match(r"#%d\s" % n, line):
                return "malformed backtrace, expected #%d: %s" % (n, line)
            n += 1
        elif not line.startswith((" ", "\t")):
            return "unexpected line: %s" % line
    return None if n else "no frames"


# ---------------------------------------------------------------------------------------
# gdb


SELECT_FRAME = r'''
import gdb
def _goinspect_select(fn):
    for th in gdb.selected_inferior().threads():
        th.switch()
        try:
            f = gdb.newest_frame()
        except gdb.error:
            continue
        i = 0
        while f is not None and i < 100:
            if f.name() == fn:
                f.select()
                return True
            try:
                f = f.older()
            except gdb.error:
                break
            i += 1
    return False
print("SELECTED %s" % _goinspect_select("main.holdLocals"))
'''


def block(label: str, cmds: List[str]) -> List[str]:
    return ["echo BEGIN %s\\n" % label] + cmds + ["echo END\\n"]


def printer_script(truth: Truth, work: str, with_locals: bool) -> str:
    sel = os.path.join(work, "select_frame.py")
    with open(sel, "w") as f:
        f.write(SELECT_FRAME)
    lines = ["set pagination off", "set confirm off", "set width 0", "set print pretty off",
             "set print elements unlimited", "set print repeats unlimited",
             "set python print-stack full",
             # go-gdb.py: the engine module (maps' and channels' contents) and the printers.
             "source " + GO_GDB]
    for name in truth.globals:
        lines += block("GLOBAL " + name, ["print 'main.%s'" % name])
    for name in truth.lens:
        lines += block("LEN " + name, ["print $len(%s)" % ref(truth, name)])
    for name in truth.caps:
        lines += block("CAP " + name, ["print $cap(%s)" % ref(truth, name)])
    for name in truth.dtypes:
        lines += block("DTYPE " + name, ["print $dtype(%s)" % ref(truth, name), "whatis $"])
    for name in ("smallmapvar", "mapvar", "slicemap", "strvar", "chanint", "chanstr"):
        lines += block("print " + name, ["print 'main.%s'" % name])
    lines += ["set print elements 4"]
    lines += block("elements longslice", ["print 'main.longslice'"])
    lines += block("elements bigmap", ["print 'main.bigmap'"])
    lines += ["set print elements unlimited"]
    if with_locals:
        lines += ["source " + sel]
        lines += block("info locals", ["info locals"])
        for name in truth.locals:
            lines += block("LOCAL " + name, ["print %s" % name])
    return "\n".join(lines) + "\n"


def ref(truth: Truth, name: str) -> str:
    return "'main.%s'" % name if name in truth.globals else name


BLOCK_RE = re.compile(r"(?ms)^BEGIN ([^\n]*)\n(.*?)\nEND$")


def parse_blocks(out: str) -> Dict[str, str]:
    return {m.group(1): m.group(2) for m in BLOCK_RE.finditer(out)}


def gdb_argv(script: str, target: List[str]) -> List[str]:
    return [os.environ.get("GOINSPECT_GDB", "gdb"), "-batch", "-nx",
            "-iex", "set auto-load python-scripts off", "-x", script] + target


def run_gdb(script_text: str, target: List[str], work: str, tag: str) -> str:
    script = os.path.join(work, tag + ".gdb")
    with open(script, "w") as f:
        f.write(script_text)
    rc, out, err = cg.run_bounded(gdb_argv(script, target), T_GDB, cwd=work)
    text = out.decode("utf-8", "replace")
    etext = err.decode("utf-8", "replace")
    with open(os.path.join(work, tag + ".log"), "w") as f:
        f.write("$ %s\nexit: %s\n%s\n--- stderr\n%s" % (" ".join(gdb_argv(script, target)),
                                                       rc, text, etext))
    if rc is None:
        raise CaseError("gdb did not finish within %ds" % T_GDB)
    return text + "\n" + etext


def _value_of(blk: str) -> Optional[str]:
    m = re.match(r"^\$\d+ = (.*)$", blk.strip(), re.S)
    return m.group(1) if m else None


# The architecture's names of unnamed integer types (a $dtype of an int when gdb's current
# language is not Go).
_ARCH_INTS = {"int64_t": "int", "int32_t": "int32", "int16_t": "int16", "int8_t": "int8",
              "uint64_t": "uint", "uint32_t": "uint32", "uint16_t": "uint16",
              "uint8_t": "uint8"}


def _norm_type(t: str) -> str:
    t = t.strip()
    if t.startswith("type = "):
        t = t[len("type = "):]
    t = t.replace("struct ", "")
    while t.endswith(" *"):
        t = "*" + t[:-2]
    return _ARCH_INTS.get(t, t)


def compare(truth: Truth, blocks: Dict[str, str], out: str, mode: str,
            with_locals: bool) -> Diffs:
    d = Diffs()
    if "Traceback (most recent call last)" in out:
        d.msg("a Python traceback in gdb's output")
    for name, exp in truth.globals.items():
        got = _value_of(blocks.get("GLOBAL " + name, ""))
        if got is None:
            d.add(name, "print", exp, blocks.get("GLOBAL " + name, "<missing>"))
            continue
        why = same_value(exp, got)
        if why:
            d.add(name, "print", exp, got, why)
    for what, table in (("LEN", truth.lens), ("CAP", truth.caps)):
        for name, n in table.items():
            got = _value_of(blocks.get("%s %s" % (what, name), ""))
            if got != str(n):
                d.add(name, "$" + what.lower(), n, blocks.get("%s %s" % (what, name)))
    for name, tname in truth.dtypes.items():
        b = blocks.get("DTYPE " + name, "")
        lines = b.strip().split("\n")
        got = _norm_type(lines[-1]) if lines else ""
        if got != tname:
            d.add(name, "$dtype", tname, b)
    for problem in runtime_test_checks(blocks):
        d.msg(problem)
    ls = blocks.get("elements longslice", "")
    if not ls.endswith("{0, 1, 2, 3...}"):
        d.add("longslice", "print elements 4", "[]int = {0, 1, 2, 3...}", ls)
    bm = blocks.get("elements bigmap", "")
    if not (bm.endswith("...}") and bm.count("] = ") == 2):
        d.add("bigmap", "print elements 4", "2 entries and ...", bm)
    if with_locals:
        il = blocks.get("info locals", "<missing>")
        if "SELECTED True" not in out:
            d.msg("no thread has main.holdLocals' frame")
        elif mode == "noopt":
            for name in ("slicevar", "mapvar", "strvar"):
                if not re.search(r"(?m)^%s = " % name, il):
                    d.add(name, "info locals", "listed", il)
            for name, exp in truth.locals.items():
                got = _value_of(blocks.get("LOCAL " + name, ""))
                if got is None:
                    d.add(name, "local", exp, blocks.get("LOCAL " + name, "<missing>"))
                    continue
                why = same_value(exp, got)
                if why:
                    d.add(name, "local", exp, got, why)
        else:
            d.note("%s: locals not compared (optimized build); info locals: %s"
                   % (mode, " ".join(re.findall(r"(?m)^(\w+) = ", il)) or "none"))
    return d


# ---------------------------------------------------------------------------------------
# Cases


def crash_with_truth(exe: str, work: str) -> Tuple[str, str, str]:
    import check_waits  # its crash_with_truth keeps stdout, falls back to gdb's gcore
    return check_waits.crash_with_truth(exe, work)


class Runner(cg.Runner):
    def __init__(self, args):
        super().__init__(args)
        self.skipped = 0

    def run_case(self, minor: int, mode: str, kind: str):
        exe = self.exe(minor, mode, FIXTURE)
        name = "go1.%d/%s/%s/%s" % (minor, mode, FIXTURE, kind)
        if kind == "goroutines" and not os.path.exists(GO_GDB):
            self.skipped += 1
            print("SKIP %s: pending, %s not built (go goroutines / go bt)" % (name, GO_GDB),
                  flush=True)
            return
        body = {"core": self.case_core, "live": self.case_live,
                "goroutines": self.case_goroutines}[kind]
        self.guarded(name, FIXTURE, exe, lambda work: body(mode, exe, work))

    def _truth(self, stdout: str, work: str) -> Truth:
        with open(os.path.join(work, "truth.txt"), "w") as f:
            f.write(stdout)
        try:
            return parse_truth(stdout)
        except ValueError as e:
            raise CaseError("fixture truth: %s" % e)

    def case_core(self, mode, exe, work) -> Diffs:
        stdout, _, core = crash_with_truth(exe, work)
        truth = self._truth(stdout, work)
        out = run_gdb(printer_script(truth, work, True), [exe, core], work, "gdb")
        return compare(truth, parse_blocks(out), out, mode, True)

    def case_live(self, mode, exe, work) -> Diffs:
        h = cg.HangingFixture(exe, work, "system")
        try:
            truth = self._truth(h.stdout, work)
            script = printer_script(truth, work, True) + "detach\n"
            out = run_gdb(script, ["-p", str(h.pid)], work, "gdb")
            h.check_running_after_detach("gdb")
        finally:
            h.close()
        return compare(truth, parse_blocks(out), out, mode, True)

    def case_goroutines(self, mode, exe, work) -> Diffs:
        _, _, core = crash_with_truth(exe, work)
        lines = ["set pagination off", "set width 0", "source " + GO_GDB]
        lines += block("go goroutines", ["go goroutines"])
        lines += block("go bt 1", ["go bt 1"])
        lines += block("go bt all", ["go bt all"])
        out = run_gdb("\n".join(lines) + "\n", [exe, core], work, "gdb-goroutines")
        blocks = parse_blocks(out)
        d = Diffs()
        if "Traceback (most recent call last)" in out:
            d.msg("a Python traceback in gdb's output")
        if not RE_INFO_GOROUTINES.search(blocks.get("go goroutines", "")):
            d.msg("go goroutines: no '* N running' line: %s" % blocks.get("go goroutines"))
        bt1 = blocks.get("go bt 1", "")
        why = check_clean_backtrace(bt1)
        if why:
            d.msg("go bt 1: %s" % why)
        if not RE_BT_MAIN.search(bt1):
            d.msg("go bt 1: no main.main frame: %s" % bt1)
        if not RE_BT_MAIN.search(blocks.get("go bt all", "")):
            d.msg("go bt all: no main.main frame")
        return d

    def run_toolchain(self, minor: int, selected):
        for mode in self.args.modes:
            for kind in KINDS:
                if kind == "goroutines" and mode != "plain" and not self.args.all_goroutines:
                    continue
                if selected("go1.%d/%s/%s/%s" % (minor, mode, FIXTURE, kind)):
                    self.run_case(minor, mode, kind)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    cg.add_common_arguments(
        ap, cases_help="comma-separated globs over TOOLCHAIN/MODE/printers/KIND",
        dry_run_help="(no effect: the printers are Python, always there)",
        artifacts_help="keep the files of failing cases here (not the cores)")
    ap.add_argument("--all-goroutines", action="store_true",
                    help="the goroutines kind in every mode (default: plain only)")
    ap.set_defaults(modes=",".join(MODES))
    args = ap.parse_args(argv)
    cg.parse_modes(ap, args)
    for m in args.modes:
        if m not in MODES:
            ap.error("mode %s: the printers need DWARF (plain, noopt, pie)" % m)
    args.fixtures = [FIXTURE]
    args.dry_run = True  # no LLDB plugin involved: run_with_plugin must not ask for one
    return cg.run_with_plugin(args, cg.case_selector(args.cases), Runner)


if __name__ == "__main__":
    sys.exit(main())
