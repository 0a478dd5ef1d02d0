#!/usr/bin/python3
"""Truth check of `go print` (engine/values) against what the printers fixture
(tests/fixtures/printers) says its variables hold, in the CLI, LLDB and GDB.

The fixture prints, before READY or its panic (see its header comment):
  VALUE <name> <text>           `go print main.<name>` must print <text> exactly: the text
                                format of engine/values/format.h, made by the fixture with
                                reflect (its goValue), addresses real;
  EXPR <expr>\\t<text>           `go print <expr>` must print <text> exactly;
  EXPRERR <expr>\\t<substring>   `go print <expr>` must fail with one line containing it.

Cases TOOLCHAIN/MODE/printers/KIND, modes plain, noopt, pie (one core each, shared by the
three front ends) and stripped, kinds:
  core-cli    build/cli/goinspect EXE CORE print ... once per command;
  core-lldb   lldb-22 -b with the plugin, every command in one session (a driver script
              runs them through SBCommandInterpreter::HandleCommand and records each one's
              success, output and error);
  core-gdb    gdb -batch with build/gdb-scripts/go-gdb.py, every command in one session
              (a driver script runs them with gdb.execute(..., to_string=True));
  debuglink-FE, build-id-FE  (plain only) the DWARF moved to a separate debug file, found
              by .gnu_debuglink, or by GNU build ID under a debug directory given to the
              debugger (the CLI: --symbols; build-id only where the toolchain writes a GNU
              build ID, 1.24 on); every VALUE line as in core-FE;
  live-lldb   (plain only) `printers hang`: LLDB attaches, prints every VALUE, detaches; the
              process must still run;
  no-dwarf    (stripped: no DWARF, so no types) `go print main.strvar` must fail with one
              line that mentions DWARF, in the CLI, LLDB and GDB;
  args-FE     every ARG line (a parked goroutine's frame, an argument, its value) by
              `go print --json --goroutine G --frame FUNCTION NAME`: right, or (optimised
              builds) unavailable with a reason; counts printed;
  locals      `go locals --json` on the core, in the CLI, LLDB and GDB: the crashing
              goroutine's first user frame, main.holdLocals, whose locals are copies of
              globals of the same names (holder of holderVar, array of arr) or nil. Every
              value shown must equal its global's VALUE line; in the noopt build every
              local must be shown, in optimised builds a local may instead be unavailable
              (with a reason), never different. The counts shown / not shown are printed.
  delve       (plain, noopt, pie) Delve (dlv core, GOINSPECT_DLV, default dlv) on the same
              core, measured in the same run: every ARG line's argument and every local of
              main.holdLocals (LOCALS, NIL_LOCALS), printed by Delve in its frame of the
              same goroutine (two dlv sessions: the backtraces, then the prints), each
              classified right, wrong, not shown or not compared by delve_values.py (its
              rules map Delve's syntax to ours only where the mapping is certain); the
              same values by the CLI (go print --json --goroutine G --frame FUNCTION, go
              locals --json), right, wrong or unavailable. Both counts are noted. Fails
              when the CLI shows any value wrong, when dlv cannot open the core, or, in the
              optimised builds (plain, pie), when the CLI shows fewer values right than
              Delve does.
VALUE lines are printed with --elements 100000 --depth 50 --string-bytes 100000 (no value
reaches them); EXPR and EXPRERR lines with the defaults. In LLDB and GDB an argument with a
quote, a backslash or a space is passed single-quoted (both debuggers split the command
line into words and drop quotes, so mapvar["ghi"] must be typed 'mapvar["ghi"]').
Each output is compared byte for byte: one line, the truth; a difference fails the case,
naming the variable (or expression), the truth and what was printed.

Environment: GOINSPECT_FIXTURE_DIR, GOINSPECT_CASES (globs over TOOLCHAIN/MODE/printers/
KIND), GOINSPECT_ARTIFACTS, GOINSPECT_LLDB (default lldb-22), GOINSPECT_GDB (default gdb),
GOINSPECT_CLI, GOINSPECT_GDB_SCRIPT, GOINSPECT_PLUGIN, GOINSPECT_DLV.

Usage: check_values.py --toolchain go1.26 [--build] [--modes plain,noopt,pie,stripped]
                       [--front-ends cli,lldb,gdb] [--cases GLOBS] [...]
Prints one PASS/FAIL line per case and "N passed, M failed"; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from typing import Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_goroutines as cg  # noqa: E402
import delve_values  # noqa: E402
from check_goroutines import CaseError, Diffs  # noqa: E402

FIXTURE = "printers"
MODES = ["plain", "noopt", "pie", "stripped"]
FRONT_ENDS = ["cli", "lldb", "gdb"]
VALUE_OPTIONS = ["--elements", "100000", "--depth", "50", "--string-bytes", "100000"]
T_CLI = 120  # one goinspect command
T_SESSION = 600  # one lldb or gdb session running every command

# ---------------------------------------------------------------------------------------
# Truth


class Truth:
    def __init__(self):
        self.values: Dict[str, str] = {}  # name -> text, in the fixture's order
        self.exprs: List[Tuple[str, str]] = []  # (expression, text)
        self.errors: List[Tuple[str, str]] = []  # (expression, substring of the error)
        self.args: List[Tuple[str, str, str, str]] = []  # (goroutine, function, name, text)
        self.addrs: Dict[str, Tuple[str, str]] = {}  # VALUE name -> (reflect's type, address)
        self.spinner: Optional[str] = None  # the goroutine spinning in main.holdLocals (hang)


def parse_truth(text: str) -> Truth:
    """The VALUE, EXPR and EXPRERR lines of the fixture's stdout (other lines ignored)."""
    t = Truth()
    for line in text.splitlines():
        word, sep, rest = line.partition(" ")
        if not sep:
            continue
        if word == "VALUE":
            name, _, val = rest.partition(" ")
            t.values[name] = val
        elif word in ("EXPR", "EXPRERR"):
            expr, tab, val = rest.partition("\t")
            if not tab:
                raise ValueError(f"{word} line without a tab: {line!r}")
            (t.exprs if word == "EXPR" else t.errors).append((expr, val))
        elif word == "SPINNER":
            t.spinner = rest.strip()
        elif word == "ADDR":
            name, _, typed = rest.partition(" ")
            typ, _, addr = typed.rpartition(" ")
            if not typ or not addr.startswith("0x"):
                raise ValueError(f"ADDR line without name, type and address: {line!r}")
            t.addrs[name] = (typ, addr)
        elif word == "ARG":
            parts = rest.split(" ", 3)
            if len(parts) != 4:
                raise ValueError(f"ARG line without goroutine, function, name and text: {line!r}")
            t.args.append((parts[0], parts[1], parts[2], parts[3]))
    if not t.values:
        raise ValueError("no VALUE lines in the fixture's stdout")
    return t


# ---------------------------------------------------------------------------------------
# Commands: (kind, name, arguments after `print`)


def commands(truth: Truth, values_only: bool = False) -> List[Tuple[str, str, List[str]]]:
    cmds = [("VALUE", name, VALUE_OPTIONS + ["main." + name]) for name in truth.values]
    if not values_only:
        cmds += [("EXPR", e, [e]) for e, _ in truth.exprs]
        cmds += [("EXPRERR", e, [e]) for e, _ in truth.errors]
    return cmds


def quote_arg(a: str) -> str:
    """One word of a debugger command line: single-quoted when LLDB's or GDB's word
    splitting would change it (quotes, backslashes, white space)."""
    if a and not any(c in a for c in "\"'\\ \t"):
        return a
    if "'" in a:
        raise ValueError(f"cannot quote {a!r} for a debugger command line")
    return "'" + a + "'"


def debugger_command(args: List[str]) -> str:
    return "go print " + " ".join(quote_arg(a) for a in args)


# ---------------------------------------------------------------------------------------
# Comparison. A result is (ok, output, error): ok is the command's success.


def describe_difference(expected: str, got: str, context: int = 40, short: int = 240) -> str:
    """expected vs got: both in full when short, else around the first difference."""
    if len(expected) <= short and len(got) <= short:
        return f"expected {expected!r}, got {got!r}"
    i = 0
    while i < len(expected) and i < len(got) and expected[i] == got[i]:
        i += 1
    lo = max(0, i - context)

    def cut(s):
        return ("..." if lo else "") + s[lo:i + context] + ("..." if i + context < len(s) else "")
    return (f"first difference at character {i} (expected {len(expected)} characters, got "
            f"{len(got)}): expected {cut(expected)!r}, got {cut(got)!r}")


def check_value(kind: str, name: str, expected: str, result) -> Optional[str]:
    """None if the result is the truth's one line, else what is wrong (naming the value)."""
    what = f"{kind} {name}"
    if result is None:
        return f"{what}: no result (the session stopped before it)"
    ok, out, err = result
    if not ok:
        return f"{what}: failed: {err.strip() or out.strip()!r}; expected {expected!r}"
    if out == expected + "\n":
        return None
    if out.endswith("\n") and "\n" not in out[:-1]:
        return f"{what}: " + describe_difference(expected, out[:-1])
    return f"{what}: not one line: " + describe_difference(expected + "\n", out)


def check_error(expr: str, substring: str, result) -> Optional[str]:
    """None if the command failed with one line containing `substring`."""
    what = f"EXPRERR {expr}"
    if result is None:
        return f"{what}: no result (the session stopped before it)"
    ok, out, err = result
    if ok:
        return f"{what}: succeeded ({out.strip()!r}), expected an error containing {substring!r}"
    if out.strip():
        return f"{what}: printed {out.strip()!r} besides its error {err.strip()!r}"
    lines = err.strip().splitlines()
    if len(lines) != 1:
        return f"{what}: the error is {len(lines)} lines, not one: {err.strip()!r}"
    if substring not in lines[0]:
        return f"{what}: error {lines[0]!r} does not contain {substring!r}"
    return None


def compare(truth: Truth, cmds, results: List, front_end: str) -> Diffs:
    d = Diffs()
    if len(results) < len(cmds):
        d.msg(f"{front_end}: {len(results)} results for {len(cmds)} commands")
    for i, (kind, name, _) in enumerate(cmds):
        r = results[i] if i < len(results) else None
        if kind == "VALUE":
            why = check_value(kind, name, truth.values[name], r)
        elif kind == "EXPR":
            why = check_value(kind, name, dict(truth.exprs)[name], r)
        else:
            why = check_error(name, dict(truth.errors)[name], r)
        if why:
            d.msg(f"{front_end}: {why}")
    return d


def one_line_error_with(word: str, result) -> Optional[str]:
    """None if the command failed with one line mentioning `word`."""
    ok, out, err = result
    if ok:
        return f"succeeded ({out.strip()[:200]!r}), expected an error mentioning {word}"
    lines = err.strip().splitlines()
    if out.strip():
        return f"printed {out.strip()[:200]!r} besides its error"
    if len(lines) != 1:
        return f"the error is {len(lines)} lines, not one: {err.strip()[:500]!r}"
    if word not in lines[0]:
        return f"error {lines[0]!r} does not mention {word}"
    return None


def write_report(path: str, cmds, results, truth: Truth):
    """Every command, the truth and the result, for the artifacts."""
    exprs, errors = dict(truth.exprs), dict(truth.errors)
    with open(path, "w") as f:
        for i, (kind, name, args) in enumerate(cmds):
            exp = {"VALUE": truth.values, "EXPR": exprs, "EXPRERR": errors}[kind].get(name)
            r = results[i] if i < len(results) else None
            f.write(f"$ go print {' '.join(args)}\n  truth: {exp}\n  result: {json.dumps(r)}\n")


# ---------------------------------------------------------------------------------------
# Front ends

LLDB_DRIVER = r'''
import json, os, traceback
import lldb

def __lldb_init_module(debugger, internal_dict):
    cfg = json.load(open(os.environ["GOINSPECT_VALUES_CONFIG"]))
    res = {"setup": [], "results": [], "after": [], "errors": []}
    ci = debugger.GetCommandInterpreter()
    debugger.SetAsync(False)

    def run(cmd):
        r = lldb.SBCommandReturnObject()
        ci.HandleCommand(cmd, r)
        return [bool(r.Succeeded()), r.GetOutput() or "", r.GetError() or ""]

    try:
        for c in cfg["setup"]:
            x = run(c)
            res["setup"].append([c] + x)
            if not x[0]:
                res["errors"].append("%s: %s" % (c, (x[1] + x[2]).strip()[-800:]))
                return
        for c in cfg["commands"]:
            res["results"].append(run(c))
        for c in cfg["after"]:
            x = run(c)
            res["after"].append([c] + x)
            if not x[0]:
                res["errors"].append("%s: %s" % (c, (x[1] + x[2]).strip()[-800:]))
    except Exception:
        res["errors"].append("driver: " + traceback.format_exc()[-1500:])
    finally:
        with open(cfg["result"], "w") as f:
            json.dump(res, f)
'''

GDB_DRIVER = r'''
import json, os, traceback
import gdb

def _goinspect_values():
    cfg = json.load(open(os.environ["GOINSPECT_VALUES_CONFIG"]))
    res = {"results": [], "errors": []}
    try:
        # GDB warns about a core's register notes (".reg-xstate" of another size) the first
        # time it reads each thread's registers; that happens here, not in a go command.
        gdb.execute("thread apply all p $pc", to_string=True)
        for c in cfg["commands"]:
            try:
                res["results"].append([True, gdb.execute(c, to_string=True), ""])
            except gdb.error as e:
                res["results"].append([False, "", str(e)])
            except Exception as e:
                res["results"].append([False, "", "%s: %s" % (type(e).__name__, e)])
    except Exception:
        res["errors"].append("driver: " + traceback.format_exc()[-1500:])
    finally:
        with open(cfg["result"], "w") as f:
            json.dump(res, f)

_goinspect_values()
'''


def _session(argv: List[str], cfg: dict, work: str, tag: str) -> dict:
    """Runs a debugger whose driver reads cfg (GOINSPECT_VALUES_CONFIG) and writes
    cfg["result"]; returns that."""
    cfg["result"] = os.path.join(work, f"{tag}-result.json")
    cfg_path = os.path.join(work, f"{tag}-config.json")
    with open(cfg_path, "w") as f:
        json.dump(cfg, f, indent=1)
    env = dict(os.environ, GOINSPECT_VALUES_CONFIG=cfg_path)
    rc, out, err = cg.run_bounded(argv, T_SESSION, cwd=work, env=env)
    log = out.decode("utf-8", "replace") + "\n--- stderr\n" + err.decode("utf-8", "replace")
    with open(os.path.join(work, f"{tag}.log"), "w") as f:
        f.write(f"$ {' '.join(argv)}\nexit: {rc}\n{log}")
    if rc is None:
        raise CaseError(f"{tag}: did not finish within {T_SESSION}s (killed)")
    if not os.path.exists(cfg["result"]):
        raise CaseError(f"{tag}: exited {rc} and its driver wrote no result: {log[-800:]}")
    with open(cfg["result"]) as f:
        res = json.load(f)
    if res.get("errors"):
        raise CaseError(f"{tag}: " + " | ".join(res["errors"]))
    return res


def run_lldb(plugin: str, setup: List[str], cmds: List[str], after: List[str], work: str,
             tag: str = "lldb") -> dict:
    driver = os.path.join(work, "values_lldb_driver.py")
    with open(driver, "w") as f:
        f.write(LLDB_DRIVER)
    argv = [os.environ.get("GOINSPECT_LLDB", "lldb-22"), "--no-lldbinit", "-b",
            "-o", f'command script import "{driver}"']
    cfg = {"setup": [f'plugin load "{plugin}"'] + setup, "commands": cmds, "after": after}
    return _session(argv, cfg, work, tag)


def run_gdb(script: str, exe: str, core: Optional[str], cmds: List[str], work: str, tag: str = "gdb",
            pre: Sequence[str] = (), pid: Optional[int] = None) -> dict:
    """On the core, or (core None) attached to process pid, detached after the commands."""
    driver = os.path.join(work, "values_gdb_driver.py")
    with open(driver, "w") as f:
        f.write(GDB_DRIVER)
    argv = [os.environ.get("GOINSPECT_GDB", "gdb"), "-batch", "-nx",
            "-iex", "set auto-load python-scripts off",
            "-ex", "set pagination off", "-ex", "set width 0", "-ex", "set height 0",
            "-ex", "set confirm off", "-ex", f"source {script}",
            *[a for c in pre for a in ("-ex", c)],
            "-ex", f"file {exe}",
            *(["-ex", f"core-file {core}"] if core else ["-ex", f"attach {pid}"]),
            "-ex", f"source {driver}", *([] if core else ["-ex", "detach"])]
    return _session(argv, {"commands": cmds}, work, tag)


def stopped_in_spinner(result) -> bool:
    """`go bt G --json` found the goroutine running with main.holdLocals in its innermost
    physical frame (below it only the inlined atomic load it spins on)."""
    ok, out, _ = result
    if not ok:
        return False
    try:
        g = json.loads(out)["goroutines"][0]
        frames = g["frames"]
    except (ValueError, KeyError, IndexError, TypeError):
        return False
    if g.get("status") != "running" or not frames:
        return False
    for f in frames:
        if f.get("function") == "main.holdLocals":
            return f.get("pc") == frames[0].get("pc") and f.get("sp") == frames[0].get("sp")
    return False


def has_gnu_build_id(exe: str) -> bool:
    if not os.path.exists(exe):
        return False
    out = subprocess.run(["readelf", "-n", exe], capture_output=True, text=True).stdout
    return "Build ID:" in out


def run_cli(cli: str, exe: str, core: str, arg_lists: List[List[str]], work: str,
            pre: Sequence[str] = ()) -> List:
    results = []
    with open(os.path.join(work, "cli.log"), "w") as log:
        for args in arg_lists:
            argv = [cli, *pre, exe, core, "print"] + args
            rc, out, err = cg.run_bounded(argv, T_CLI, cwd=work)
            o, e = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
            log.write(f"$ {' '.join(argv)}\nexit: {rc}\n{o}{e}\n")
            if rc is None:
                raise CaseError(f"goinspect print {' '.join(args)}: did not finish within {T_CLI}s")
            if rc < 0:
                raise CaseError(f"goinspect print {' '.join(args)}: killed by signal {-rc}")
            results.append([rc == 0, o, e])
    return results


# ---------------------------------------------------------------------------------------
# Cases


# main.holdLocals' locals and what each holds: the VALUE line of a global, or a literal.
LOCALS = {"smallmapvar": "smallmapvar", "mapvar": "mapvar", "slicemap": "slicemap",
          "chanint": "chanint", "chanstr": "chanstr", "strvar": "strvar", "slicevar": "slicevar",
          "anyPoint": "anyPoint", "errPtr": "errPtr", "holder": "holderVar", "array": "arr"}
NIL_LOCALS = {"nilMap": "map[string]int nil", "nilmap": "map[string]int nil",
              "nilAny": "interface {} nil", "nilany": "interface {} nil"}


def locals_outcomes(truth: Truth, output: str, optimised: bool,
                    fe: str) -> Tuple[Diffs, List[Tuple[str, str, str]]]:
    """`go locals --json` of main.holdLocals against the truth: the diffs, and each local of
    LOCALS and NIL_LOCALS as (name, outcome, detail), outcome right, wrong, unavailable or
    missing (detail: the difference, or the reason)."""
    d = Diffs()
    outcomes: List[Tuple[str, str, str]] = []
    try:
        doc = json.loads(output)
        frame = doc["frames"][0]
        variables = frame["variables"]
    except (ValueError, KeyError, IndexError, TypeError) as e:
        d.msg(f"{fe}: go locals --json: not the documented JSON ({e}): {output[:300]!r}")
        return d, outcomes
    if frame.get("function") != "main.holdLocals":
        d.msg(f"{fe}: go locals chose frame {frame.get('function')!r}, not main.holdLocals")
        return d, outcomes
    seen = set()
    for v in variables:
        name = v.get("name")
        seen.add(name)
        if name in LOCALS:
            want = truth.values.get(LOCALS[name])
        elif name in NIL_LOCALS:
            want = NIL_LOCALS[name]
        else:
            continue
        if v.get("available") is False:
            outcomes.append((name, "unavailable", v.get("reason") or ""))
            if not v.get("reason"):
                d.msg(f"{fe}: local {name} is not shown and says no reason")
            elif not optimised:
                d.msg(f"{fe}: local {name} of a -N -l build is not shown: {v.get('reason')}")
            continue
        if v.get("value") != want:
            why = describe_difference(want or '', v.get('value') or '')
            outcomes.append((name, "wrong", why))
            d.msg(f"{fe}: local {name}: {why}")
        else:
            outcomes.append((name, "right", ""))
    for name in list(LOCALS) + list(NIL_LOCALS):
        if name not in seen:
            outcomes.append((name, "missing", "not in go locals"))
            d.msg(f"{fe}: local {name} is missing from go locals")
    return d, outcomes


def compare_locals(truth: Truth, output: str, optimised: bool, fe: str) -> Tuple[Diffs, int, int]:
    """`go locals --json` of main.holdLocals against the truth: (diffs, shown, not shown)."""
    d, outcomes = locals_outcomes(truth, output, optimised, fe)
    shown = sum(1 for _, o, _ in outcomes if o in ("right", "wrong"))
    hidden = sum(1 for _, o, _ in outcomes if o == "unavailable")
    return d, shown, hidden


def arg_commands(truth: Truth) -> List[List[str]]:
    """`go print` arguments for each ARG line, in its goroutine's frame of its function."""
    return [["--json", "--goroutine", g, "--frame", fn] + VALUE_OPTIONS + [name]
            for g, fn, name, _ in truth.args]


def args_outcomes(truth: Truth, results: List, optimised: bool,
                  fe: str) -> Tuple[Diffs, List[Tuple[str, str]]]:
    """Each ARG line's `go print --json` result against its truth: the diffs, and per ARG
    line (outcome, detail), outcome right, wrong, unavailable (detail: the reason) or
    failed (go print failed, or printed no JSON)."""
    d = Diffs()
    outcomes: List[Tuple[str, str]] = []
    for (g, fn, name, want), (ok, out, err) in zip(truth.args, results):
        what = f"{fe}: goroutine {g} {fn} argument {name}"
        if not ok:
            d.msg(f"{what}: go print failed: {err.strip()[:300]}")
            outcomes.append(("failed", err.strip()[:300]))
            continue
        try:
            j = json.loads(out)
        except ValueError:
            d.msg(f"{what}: not JSON: {out[:300]!r}")
            outcomes.append(("failed", f"not JSON: {out[:300]!r}"))
            continue
        if j.get("available") is False:
            if not optimised:
                d.msg(f"{what}: unavailable in a -N -l build ({j.get('reason')}); truth {want}")
            elif not j.get("reason"):
                d.msg(f"{what}: unavailable without a reason")
            outcomes.append(("unavailable", j.get("reason") or ""))
        elif j.get("value") != want:
            d.add(None, what, want, j.get("value"))
            outcomes.append(("wrong", describe_difference(want, j.get("value") or "")))
        else:
            outcomes.append(("right", ""))
    return d, outcomes


def crash_with_truth(exe: str, work: str) -> Tuple[str, str, str]:
    import check_waits  # its crash_with_truth keeps stdout, falls back to gdb's gcore
    return check_waits.crash_with_truth(exe, work)


class Runner(cg.Runner):
    def __init__(self, args):
        super().__init__(args)
        self.script = args.gdb_script
        self.cli = args.cli

    def _truth(self, stdout: str, work: str) -> Truth:
        with open(os.path.join(work, "truth.txt"), "w") as f:
            f.write(stdout)
        try:
            return parse_truth(stdout)
        except ValueError as e:
            raise CaseError(f"fixture truth: {e}")

    def front_end(self, fe: str, exe: str, core: str, truth: Truth, work: str,
                  values_only: bool = False, pre: Sequence[str] = ()) -> Diffs:
        """pre: the front end's own words or commands before the target is made."""
        cmds = commands(truth, values_only=values_only)
        if fe == "cli":
            results = run_cli(self.cli, exe, core, [a for _, _, a in cmds], work, pre=pre)
        elif fe == "lldb":
            res = run_lldb(self.plugin, [*pre, f'target create "{exe}" --core "{core}"'],
                           [debugger_command(a) for _, _, a in cmds], [], work)
            results = res["results"]
        else:
            res = run_gdb(self.script, exe, core, [debugger_command(a) for _, _, a in cmds], work,
                          pre=pre)
            results = res["results"]
        write_report(os.path.join(work, f"{fe}-report.txt"), cmds, results, truth)
        return compare(truth, cmds, results, fe)

    def prints(self, fe: str, exe: str, core: str, arg_lists: List[List[str]], work: str) -> List:
        """`go print ARGS` of each argument list on the core, through one front end."""
        if fe == "cli":
            return run_cli(self.cli, exe, core, arg_lists, work)
        cmds = [debugger_command(a) for a in arg_lists]
        if fe == "lldb":
            return run_lldb(self.plugin, [f'target create "{exe}" --core "{core}"'], cmds, [], work)["results"]
        return run_gdb(self.script, exe, core, cmds, work)["results"]

    def case_live(self, fe: str, exe: str, work: str) -> Diffs:
        """Attach to the hanging fixture, print every VALUE, detach: the process runs on."""
        h = cg.HangingFixture(exe, work, "system")
        try:
            truth = self._truth(h.stdout, work)
            cmds = commands(truth, values_only=True)
            words = [debugger_command(a) for _, _, a in cmds]
            if fe == "lldb":
                res = run_lldb(self.plugin, [f"process attach --pid {h.pid}"], words, ["process detach"], work)
            else:
                res = run_gdb(self.script, exe, None, words, work, pid=h.pid)
            h.check_running_after_detach(fe)
        finally:
            h.close()
        write_report(os.path.join(work, f"{fe}-report.txt"), cmds, res["results"], truth)
        return compare(truth, cmds, res["results"], f"{fe} live")

    def case_locals(self, exe: str, core: str, truth: Truth, optimised: bool, work: str) -> Diffs:
        args = ["--json"] + VALUE_OPTIONS
        d = Diffs()
        outputs = {}
        if "cli" in self.args.front_ends:
            argv = [self.cli, exe, core, "locals"] + args
            rc, out, err = cg.run_bounded(argv, T_CLI, cwd=work)
            outputs["cli"] = (rc == 0, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))
        cmd = "go locals " + " ".join(args)
        if "lldb" in self.args.front_ends:
            outputs["lldb"] = run_lldb(self.plugin, [f'target create "{exe}" --core "{core}"'], [cmd], [],
                                       work)["results"][0]
        if "gdb" in self.args.front_ends:
            outputs["gdb"] = run_gdb(self.script, exe, core, [cmd], work)["results"][0]
        counts = []
        for fe, (ok, out, err) in outputs.items():
            with open(os.path.join(work, f"{fe}-locals.json"), "w") as f:
                f.write(out + err)
            if not ok:
                d.msg(f"{fe}: go locals failed: {err.strip()[:300]}")
                continue
            fd, shown, hidden = compare_locals(truth, out, optimised, fe)
            d.items.extend(fd.items)
            counts.append(f"{fe} {shown} shown, {hidden} not")
        d.note("locals of main.holdLocals: " + "; ".join(counts))
        return d

    def case_spinning(self, fe: str, exe: str, optimised: bool, work: str) -> Diffs:
        """Live, the goroutine spinning in main.holdLocals: its innermost frame runs on its
        thread, whose registers the debugger gives, so a local DWARF places in a register
        is known. Every local shown must be the truth, and none may be unavailable for being
        "in a register across a call" (there is no call)."""
        h = cg.HangingFixture(exe, work, "system")
        try:
            truth = self._truth(h.stdout, work)
            if not truth.spinner:
                raise CaseError("no SPINNER line in the fixture's stdout")
            bt = f"go bt {truth.spinner} --json --frames 4"
            cmd = " ".join(["go locals --json", *VALUE_OPTIONS, "--goroutine", truth.spinner,
                            "--frame", "main.holdLocals"])
            # The runtime preempts a spinning goroutine every 10 ms or so: an attach can find
            # it in asyncPreempt or on a run queue, its frame no longer the innermost on its
            # thread. That is measured again (a new attach), not taken as a failure. (A -N -l
            # build calls the atomic load, so it is often in that call; its locals are all in
            # stack slots there, registers or not: any stop will do.)
            for attempt in range(5):
                if fe == "lldb":
                    res = run_lldb(self.plugin, [f"process attach --pid {h.pid}"], [bt, cmd], ["process detach"],
                                   work, tag=f"lldb{attempt}")
                else:
                    res = run_gdb(self.script, exe, None, [bt, cmd], work, tag=f"gdb{attempt}", pid=h.pid)
                h.check_running_after_detach(fe)
                if not optimised or stopped_in_spinner(res["results"][0]):
                    break
            else:
                raise CaseError("in 5 attaches the spinning goroutine was never stopped in main.holdLocals")
        finally:
            h.close()
        ok, out, err = res["results"][1]
        d = Diffs()
        if not ok:
            d.msg(f"{fe}: go locals of the spinning goroutine failed: {err.strip()[:300]}")
            return d
        fd, shown, hidden = compare_locals(truth, out, optimised, fe)
        d.items.extend(fd.items)
        for v in json.loads(out)["frames"][0]["variables"]:
            if "not kept across calls" in (v.get("reason") or ""):
                d.msg(f"{fe}: local {v.get('name')} of the running frame: {v.get('reason')}")
        if attempt:
            d.note(f"{fe}: {attempt} attach(es) found the spinner preempted, measured again")
        d.note(f"{fe} live, the spinning goroutine's main.holdLocals: {shown} shown, {hidden} not")
        return d

    def case_debug_file(self, how: str, fe: str, exe: str, core: str, truth: Truth,
                        work: str) -> Diffs:
        """The plain build's DWARF moved to a separate file (objcopy --only-keep-debug, then
        --strip-debug: the code, symbols and build IDs stay, so the plain core still fits),
        found by .gnu_debuglink beside the executable, or by GNU build ID under a debug
        directory the debugger is told of (the CLI has no such setting: --symbols names it).
        Every VALUE line must print as with the DWARF in the executable."""
        stripped = os.path.join(work, "printers")
        debug = os.path.join(work, "printers.debug")
        subprocess.run(["objcopy", "--only-keep-debug", exe, debug], check=True)
        strip = ["objcopy", "--strip-debug"]
        if how == "debuglink":
            strip.append(f"--add-gnu-debuglink={debug}")
        subprocess.run(strip + [exe, stripped], check=True, cwd=work)
        pre: List[str] = []
        if how == "build-id":
            note = subprocess.run(["readelf", "-n", stripped], check=True, capture_output=True,
                                  text=True).stdout
            m = re.search(r"Build ID: ([0-9a-f]+)", note)
            if not m:
                raise CaseError("the fixture has no GNU build ID")
            bid = m.group(1)
            dirs = os.path.join(work, "debugroot")
            os.makedirs(os.path.join(dirs, ".build-id", bid[:2]))
            os.rename(debug, os.path.join(dirs, ".build-id", bid[:2], bid[2:] + ".debug"))
            debug = os.path.join(dirs, ".build-id", bid[:2], bid[2:] + ".debug")
            pre = {"cli": ["--symbols", debug],
                   "lldb": [f"settings set target.debug-file-search-paths {dirs}"],
                   "gdb": [f"set debug-file-directory {dirs}"]}[fe]
        return self.front_end(fe, stripped, core, truth, work, values_only=True, pre=pre)

    def case_args(self, fe: str, exe: str, core: str, truth: Truth, optimised: bool,
                  work: str) -> Diffs:
        """Each ARG line: `go print --json --goroutine G --frame FUNCTION NAME` in a parked
        goroutine's frame. The value shown must be the truth; an optimised build may instead
        say it is unavailable (with a reason): counted. In the -N -l build every argument
        must be shown, and right."""
        if not truth.args:
            raise CaseError("no ARG lines in the fixture's stdout")
        arg_lists = arg_commands(truth)
        results = self.prints(fe, exe, core, arg_lists, work)
        d, outcomes = args_outcomes(truth, results, optimised, fe)
        right = sum(1 for o, _ in outcomes if o == "right")
        unavailable = sum(1 for o, _ in outcomes if o == "unavailable")
        d.note(f"{fe} arguments of parked frames: {right} right, {unavailable} unavailable, "
               f"of {len(truth.args)}")
        return d

    def case_delve(self, label: str, exe: str, core: str, truth: Truth, optimised: bool,
                   work: str) -> Diffs:
        """Delve against the CLI on one core: the ARG lines' arguments and main.holdLocals'
        locals, each classified for both; the counts noted, the CLI's wrong values and (in
        optimised builds) fewer right than Delve's failures. label: go1.N/MODE."""
        if not truth.args:
            raise CaseError("no ARG lines in the fixture's stdout")
        dlv = shutil.which(self.args.dlv)
        if dlv is None:
            raise CaseError(f"dlv ({self.args.dlv}, GOINSPECT_DLV) not found: Delve is measured "
                            "on the same cores")
        items = [(f"goroutine {g} {fn} argument {name}", want) for g, fn, name, want in truth.args]
        local_names = list(LOCALS) + list(NIL_LOCALS)
        missing = [LOCALS[n] for n in LOCALS if LOCALS[n] not in truth.values]
        if missing:
            raise CaseError(f"no VALUE line for {', '.join(missing)} in the fixture's stdout")
        local_truth = {n: truth.values[LOCALS[n]] if n in LOCALS else NIL_LOCALS[n]
                       for n in local_names}
        items += [(f"main.holdLocals local {n}", local_truth[n]) for n in local_names]

        # Ours: the CLI, as args-cli and locals do.
        results = run_cli(self.cli, exe, core, arg_commands(truth), work)
        _, ours = args_outcomes(truth, results, optimised, "cli")
        argv = [self.cli, exe, core, "locals", "--json"] + VALUE_OPTIONS
        rc, out, err = cg.run_bounded(argv, T_CLI, cwd=work)
        o, e = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
        with open(os.path.join(work, "cli-locals.json"), "w") as f:
            f.write(o + e)
        if rc != 0:
            lo: Dict[str, Tuple[str, str]] = {}
            why = f"go locals failed ({rc}): {e.strip()[:300]}"
        else:
            _, louts = locals_outcomes(truth, o, optimised, "cli")
            lo = {n: (oc, det) for n, oc, det in louts}
            why = "not in go locals --json"
        ours += [lo.get(n, ("failed", why)) for n in local_names]

        # Delve on the same core.
        queries = [(int(g), fn, name, want) for g, fn, name, want in truth.args]
        queries += [(None, "main.holdLocals", n, local_truth[n]) for n in local_names]
        try:
            theirs = delve_values.measure(dlv, exe, core, queries, work, cg.run_bounded)
        except delve_values.DelveError as ex:
            raise CaseError(str(ex))

        d = Diffs()
        with open(os.path.join(work, "delve-report.txt"), "w") as f:
            for (what, want), (oc, odet), (dst, ddet, raw) in zip(items, ours, theirs):
                f.write(f"{what}\n  truth: {want}\n  ours: {oc} {odet}\n"
                        f"  delve: {dst} {ddet}\n  delve printed: {raw!r}\n")

        def count(outcomes, word):
            return sum(1 for x in outcomes if x[0] == word)

        o_right, o_wrong = count(ours, "right"), count(ours, "wrong")
        o_unavail = count(ours, "unavailable")
        o_failed = len(items) - o_right - o_wrong - o_unavail  # go print or go locals failed
        t_right, t_wrong = count(theirs, delve_values.RIGHT), count(theirs, delve_values.WRONG)
        t_hidden = count(theirs, delve_values.NOT_SHOWN)
        t_other = count(theirs, delve_values.NOT_COMPARED)
        kind = "optimised" if optimised else "-N -l"
        d.note(f"{kind} {label}: ours {o_right} right, {o_wrong} wrong, {o_unavail} unavailable"
               + (f", {o_failed} failed" if o_failed else "")
               + f"; Delve {t_right} right, {t_wrong} wrong, {t_hidden} not shown, "
               f"{t_other} not compared (of {len(items)})")
        for (what, want), (dst, ddet, _) in zip(items, theirs):
            if dst in (delve_values.WRONG, delve_values.NOT_COMPARED):
                d.note(f"Delve {dst}: {what}: {ddet[:300]}")
        delve_only = [what for (what, _), (oc, _), (dst, _, _) in zip(items, ours, theirs)
                      if dst == delve_values.RIGHT and oc != "right"]
        if delve_only:
            d.note("Delve right where ours is not: " + "; ".join(delve_only))
        ours_only = [what for (what, _), (oc, _), (dst, _, _) in zip(items, ours, theirs)
                     if oc == "right" and dst != delve_values.RIGHT]
        if ours_only:
            d.note("ours right where Delve is not: " + "; ".join(ours_only))
        for (what, want), (oc, odet) in zip(items, ours):
            if oc == "wrong":
                d.msg(f"ours wrong: {what}: {odet}")
        if optimised and o_right < t_right:
            d.msg(f"{label}: ours shows {o_right} values right, Delve {t_right} (of {len(items)}); "
                  f"Delve right where ours is not: {'; '.join(delve_only)}")
        return d

    def case_descriptors(self, fe: str, exe: str, work: str) -> Diffs:
        """A stripped build: `go print '*(*T)(ADDR)'` of every VALUE variable, T as reflect
        names it (ADDR lines), typed by the runtime's type descriptors, must print the VALUE
        text. Maps and channels need the runtime's structs, which only DWARF describes: a
        part holding one may be an <error: ...> (or the whole an error line), and everything
        around it must still be the truth."""
        stdout, _, core = crash_with_truth(exe, work)
        truth = self._truth(stdout, work)
        names = [n for n in truth.values if n in truth.addrs]
        if not names:
            raise CaseError("no ADDR lines in the fixture's stdout")
        arg_lists = [VALUE_OPTIONS + [f"*(*{truth.addrs[n][0]})({truth.addrs[n][1]})"] for n in names]
        results = self.prints(fe, exe, core, arg_lists, work)
        d = Diffs()
        right = partly = 0
        for n, args, (ok, out, err) in zip(names, arg_lists, results):
            want = truth.values[n]
            got = out.rstrip("\n")
            needs_dwarf = "map[" in want or "chan " in want
            what = f"{fe}: go print {args[-1]} ({n})"
            if ok and got == want:
                right += 1
            elif not ok or "<error: " in got:
                # Everything outside the <error: ...> parts must be the truth.
                around = ".*?".join(re.escape(p) for p in re.split(r"<error: [^>]*>", got))
                if not needs_dwarf:
                    d.msg(f"{what}: {(err.strip() or got)[:300]}; truth {want[:200]}")
                elif ok and not re.fullmatch(around, want, re.S):
                    d.add(None, what, want, got)
                else:
                    partly += 1
            else:
                d.add(None, what, want, got)
        d.note(f"{fe} stripped: {right} of {len(names)} right through the type descriptors, "
               f"{partly} with a map or channel part not read (no DWARF for the runtime's structs)")
        return d

    def case_no_dwarf(self, exe: str, work: str) -> Diffs:
        _, _, core = crash_with_truth(exe, work)
        args = ["main.strvar"]
        d = Diffs()
        results = {"cli": run_cli(self.cli, exe, core, [args], work)[0]}
        if "lldb" in self.args.front_ends:
            results["lldb"] = run_lldb(self.plugin, [f'target create "{exe}" --core "{core}"'],
                                       [debugger_command(args)], [], work)["results"][0]
        if "gdb" in self.args.front_ends:
            results["gdb"] = run_gdb(self.script, exe, core, [debugger_command(args)],
                                     work)["results"][0]
        for fe, r in results.items():
            if fe not in self.args.front_ends:
                continue
            why = one_line_error_with("DWARF", r)
            if why:
                d.msg(f"{fe}: go print main.strvar on a stripped core: {why}")
        return d

    def run_toolchain(self, minor: int, selected):
        for mode in self.args.modes:
            exe = self.exe(minor, mode, FIXTURE)
            base = f"go1.{minor}/{mode}/{FIXTURE}"
            if mode == "stripped":
                if selected(f"{base}/no-dwarf"):
                    self.guarded(f"{base}/no-dwarf", FIXTURE, exe,
                                 lambda work: self.case_no_dwarf(exe, work))
                for fe in self.args.front_ends:
                    if selected(f"{base}/descriptors-{fe}"):
                        self.guarded(f"{base}/descriptors-{fe}", FIXTURE, exe,
                                     lambda work, fe=fe: self.case_descriptors(fe, exe, work))
                continue
            shared = tempfile.mkdtemp(prefix="goinspect-values-core-")
            made: Dict[str, object] = {}

            def core_and_truth():
                """The mode's core and truth, made once for its three front ends."""
                if "error" in made:
                    raise CaseError(made["error"])
                if "core" not in made:
                    try:
                        stdout, _, core = crash_with_truth(exe, shared)
                        made["truth"] = self._truth(stdout, shared)
                        made["core"], made["stdout"] = core, stdout
                    except CaseError as e:
                        made["error"] = str(e)
                        raise
                return made["core"], made["truth"], made["stdout"]

            try:
                if selected(f"{base}/locals"):
                    def locals_body(work):
                        core, truth, _ = core_and_truth()
                        return self.case_locals(exe, core, truth, mode != "noopt", work)

                    self.guarded(f"{base}/locals", FIXTURE, exe, locals_body)
                for fe in self.args.front_ends:
                    if selected(f"{base}/args-{fe}"):
                        def args_body(work, fe=fe):
                            core, truth, _ = core_and_truth()
                            return self.case_args(fe, exe, core, truth, mode != "noopt", work)

                        self.guarded(f"{base}/args-{fe}", FIXTURE, exe, args_body)
                    name = f"{base}/core-{fe}"
                    if selected(name):
                        def body(work, fe=fe):
                            core, truth, stdout = core_and_truth()
                            with open(os.path.join(work, "truth.txt"), "w") as f:
                                f.write(stdout)
                            return self.front_end(fe, exe, core, truth, work)

                        self.guarded(name, FIXTURE, exe, body)
                    # Go writes a GNU build ID from 1.24 on; before, a binary has none to be
                    # found by (Debian builds them with -B gobuildid), so no such case.
                    hows = ["debuglink"] + (["build-id"] if has_gnu_build_id(exe) else [])
                    for how in hows if mode == "plain" else ():
                        name = f"{base}/{how}-{fe}"
                        if not selected(name):
                            continue

                        def split_body(work, fe=fe, how=how):
                            core, truth, _ = core_and_truth()
                            return self.case_debug_file(how, fe, exe, core, truth, work)

                        self.guarded(name, FIXTURE, exe, split_body)
                if selected(f"{base}/delve"):
                    def delve_body(work):
                        core, truth, _ = core_and_truth()
                        return self.case_delve(f"go1.{minor}/{mode}", exe, core, truth,
                                               mode != "noopt", work)

                    self.guarded(f"{base}/delve", FIXTURE, exe, delve_body)
            finally:
                shutil.rmtree(shared, ignore_errors=True)
            for fe in ("lldb", "gdb"):
                if mode == "plain" and fe in self.args.front_ends and selected(f"{base}/live-{fe}"):
                    self.guarded(f"{base}/live-{fe}", FIXTURE, exe,
                                 lambda work, fe=fe: self.case_live(fe, exe, work))
                if fe in self.args.front_ends and selected(f"{base}/spinning-{fe}"):
                    self.guarded(f"{base}/spinning-{fe}", FIXTURE, exe,
                                 lambda work, fe=fe: self.case_spinning(fe, exe, mode != "noopt", work))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    cg.add_common_arguments(
        ap, cases_help="comma-separated globs over TOOLCHAIN/MODE/printers/KIND",
        dry_run_help="not supported by this harness",
        artifacts_help="keep the files of failing cases here (not the cores)")
    ap.add_argument("--gdb-script", default=os.environ.get(
        "GOINSPECT_GDB_SCRIPT", os.path.join(cg.SOURCE_DIR, "build/gdb-scripts/go-gdb.py")))
    ap.add_argument("--cli", default=os.environ.get(
        "GOINSPECT_CLI", os.path.join(cg.SOURCE_DIR, "build/cli/goinspect")))
    ap.add_argument("--front-ends", default=",".join(FRONT_ENDS), help="comma-separated")
    ap.add_argument("--dlv", default=os.environ.get("GOINSPECT_DLV", "dlv"),
                    help="Delve, measured on the same cores (the delve cases)")
    ap.set_defaults(modes=",".join(MODES))
    args = ap.parse_args(argv)
    cg.parse_modes(ap, args)
    args.front_ends = [f for f in args.front_ends.split(",") if f]
    for f in args.front_ends:
        if f not in FRONT_ENDS:
            ap.error(f"unknown front end {f} (cli, lldb, gdb)")
    if args.dry_run:
        ap.error("--dry-run is not supported by check_values.py")
    args.fixtures = [FIXTURE]
    args.fixture_dir = os.path.abspath(args.fixture_dir)
    args.gdb_script = os.path.abspath(args.gdb_script)
    args.plugin = os.path.abspath(args.plugin)
    args.cli = os.path.abspath(args.cli)
    for what, path in (("GDB script", args.gdb_script), ("CLI", args.cli)):
        if not os.path.exists(path):
            print(f"FAIL setup: {what} {path} not found (build it)")
            print("0 passed, 1 failed")
            return 1
    return cg.run_with_plugin(args, cg.case_selector(args.cases), Runner)


if __name__ == "__main__":
    sys.exit(main())
