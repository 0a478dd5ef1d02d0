#!/usr/bin/python3
"""The `go` commands in GDB (gdb-scripts/) against the Go runtime's own dumps and against LLDB.

For each case (toolchain, build mode, fixture, kind), CTest gdb-go1.NN:
  core     `FIXTURE crash` with GOTRACEBACK=crash leaves a dump (the oracle) and a core.
           One gdb run (`source build/gdb-scripts/go-gdb.py`, `file EXE`, `core-file CORE`)
           writes `go goroutines --json --frames all` and the other commands' JSON/text,
           then selects a parked, a syscall and a running goroutine with `go goroutine ID`
           and records GDB's own `bt` (through the frame filters, as bt prints it).
           Checks: the goroutines equal the dump (check_goroutines.compare); every command's
           output (COMMANDS: every command, text and JSON) equals LLDB's on the same core
           byte for byte (lldb-22 with the plugin), in GDB and through the CLI
           (cli/goinspect EXE CORE ..., run with paths relative to its working directory);
           GDB's bt after `go goroutine ID` has the functions and lines of `go bt ID --json`
           (see bt_diffs for the rules, stripped builds and running goroutines).
  live     `FIXTURE hang` (GOTRACEBACK=system): gdb attaches, `go goroutines --json --frames
           all`, detaches; the process must still run; SIGQUIT's dump is the oracle.
  corrupt  (parked fixture, plain mode) the plain core truncated to half, cut before its first
           writable segment (the executable's data), and a copy with a goroutine's stack
           page zeroed: every command must report (text or an error) and gdb must exit 0
           within its time limit; the CLI must not crash on them, and each command answers
           in GDB and the CLI alike (the same bytes) or fails in both.

Usage: check_gdb.py --toolchain go1.26 [--build] [--gdb-script build/gdb-scripts/go-gdb.py]
                    [--plugin build/lldb-plugin/libgoinspect-lldb.so] [--cli build/cli/goinspect]
                    [--cases GLOBS]
Prints one PASS/FAIL line per case and "N passed, M failed"; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import struct
import sys
import time
from typing import Dict, List, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_goroutines as cg  # noqa: E402
import crashdump  # noqa: E402
from check_goroutines import CaseError, Diffs  # noqa: E402

FIXTURES = ["parked", "running", "syscalls", "deferpanic", "waits"]
T_GDB = 180

# Commands whose output must equal LLDB's byte for byte, in GDB and through the CLI
# (cli/goinspect EXE CORE ..., the fallback for a core LLDB cannot open, must lose nothing):
# every command, text and JSON; (name, command). The goroutine list is "goroutines" and is
# also compared with the dump. `go goroutine 1` selects goroutine 1 in GDB: it comes last.
COMMANDS = [
    ("goroutines", "go goroutines --json --frames all"),
    ("goroutines-text", "go goroutines"),
    ("goroutines-stack", "go goroutines --group-by stack"),
    ("info", "go info"),
    ("info-json", "go info --json"),
    ("waits", "go waits --json"),
    ("waits-text", "go waits --system"),
    ("waits-dot", "go waits --dot"),
    ("chans", "go chans --json"),
    ("chans-text", "go chans"),
    ("stacks", "go stacks --json"),
    ("stacks-all", "go stacks --all --recursion --json"),
    ("stacks-text", "go stacks"),
    ("leaks", "go leaks --json"),
    ("leaks-text", "go leaks --min 1"),
    ("defers", "go defers all --json"),
    ("defers-text", "go defers all --system"),
    ("panics", "go panics --json"),
    ("panics-text", "go panics"),
    ("sched", "go sched --json"),
    ("sched-text", "go sched"),
    ("threads", "go threads --json"),
    ("threads-text", "go threads"),
    ("bt-all", "go bt all"),
    ("bt-all-json", "go bt all --json"),
    ("bt-1", "go bt 1"),
    ("frames-1", "go frames 1"),
    ("frames-1-json", "go frames 1 --json"),
    ("goroutine-1", "go goroutine 1"),
    ("goroutine-1-json", "go goroutine 1 --json"),
]
T_CLI = 120  # one cli/goinspect command

# Run inside gdb after the commands: picks goroutines, selects each, records GDB's bt.
GDB_PROBE = r'''
import json, gdb
import gdb.frames
def _probe(goroutines_json, out_path):
    with open(goroutines_json) as f:
        gs = json.load(f)["goroutines"]
    picks = {}
    for g in gs:
        st, wr = g.get("status"), g.get("wait_reason")
        kind = {"waiting": "parked", "syscall": "syscall", "running": "running"}.get(st)
        if kind and kind not in picks and g.get("frames"):
            picks[kind] = g["id"]
    res = {}
    for kind, goid in sorted(picks.items()):
        r = {"id": goid}
        try:
            r["go_bt"] = json.loads(gdb.execute("go bt %d --json" % goid, to_string=True))["goroutines"][0]
            r["select"] = gdb.execute("go goroutine %d" % goid, to_string=True)
            r["bt_text"] = gdb.execute("bt", to_string=True)
            frames = []
            it = gdb.frames.execute_frame_filters(gdb.newest_frame(), 0, -1)
            if it is None:
                it = []
            for n, d in enumerate(it):
                if n > 500:
                    break
                fn = d.function()
                if not isinstance(fn, str):
                    fn = None if fn is None else ("0x%x" % int(fn))
                frames.append({"function": fn, "file": d.filename(), "line": d.line(),
                               "pc": d.inferior_frame().pc(),
                               "inlined": d.inferior_frame().type() == gdb.INLINE_FRAME})
            r["gdb_frames"] = frames
            gdb.execute("go goroutine none", to_string=True)
        except Exception as e:
            r["error"] = "%s: %s" % (type(e).__name__, e)
        res[kind] = r
    with open(out_path, "w") as f:
        json.dump(res, f, indent=1)
'''


def gdb_argv(script: str, target: List[str], commands: List[str]) -> List[str]:
    argv = [os.environ.get("GOINSPECT_GDB", "gdb"), "-batch", "-nx",
            "-ex", "set pagination off", "-ex", "set width 0",
            "-ex", f"source {script}"]
    for c in target + commands:
        argv += ["-ex", c]
    return argv


def run_gdb(argv: List[str], log_path: str, timeout: int = T_GDB):
    rc, out, err = cg.run_bounded(argv, timeout)
    log = out.decode("utf-8", "replace") + err.decode("utf-8", "replace")
    with open(log_path, "w") as f:
        f.write(f"$ {' '.join(argv)}\nexit: {rc}\n{log}")
    if rc is None:
        raise CaseError(f"gdb did not finish within {timeout}s (killed)")
    return rc, log


def read_json(path: str, what: str):
    if not os.path.exists(path):
        raise CaseError(f"{what}: no output file {os.path.basename(path)}")
    try:
        with open(path) as f:
            return json.load(f)
    except ValueError as e:
        raise CaseError(f"{what}: not JSON: {e}")


# ---------------------------------------------------------------------------------------
# GDB's bt after `go goroutine ID` against `go bt ID --json`.


def bt_diffs(diffs: Diffs, kind: str, probe: dict, stripped: bool):
    """Rules:
      * parked and syscall goroutines: GDB's frames (frame 0, the thread's own, is hidden)
        are the engine's logical frames, in order: function, file and line each. GDB finds
        the inlined calls in DWARF itself (DW_TAG_inlined_subroutine); the unwinder only
        gives it the physical frames.
      * stripped builds: no symbols and no DWARF, so GDB has neither names, lines nor inlined
        frames: its frames' pcs must be the engine's physical frames' pcs, in order.
      * a running goroutine: `go goroutine ID` selects its thread, whose own stack GDB
        unwinds with DWARF CFI; on a crash core that thread may show the signal handler's
        frames (sigtramp, <signal handler called>) innermost that the runtime's traceback
        skips, so the engine's frames must be the outer end of GDB's (same function and
        line each, except the innermost frame's line: see below); stripped: the pcs of its
        physical frames likewise."""
    goid = probe.get("id")
    if probe.get("error"):
        diffs.msg(f"bt {kind} goroutine {goid}: {probe['error']}")
        return
    eng = probe.get("go_bt") or {}
    eframes = eng.get("frames") or []
    gframes = probe.get("gdb_frames") or []
    if stripped:
        want = [int(f["pc"], 16) for f in eframes if not f.get("inlined")]
        got = [f["pc"] for f in gframes if not f.get("inlined")]
    else:
        want = [(f["function"], f["file"], f["line"]) for f in eframes]
        got = [(f["function"], f["file"], f["line"]) for f in gframes]
    if kind == "running":
        # The innermost frame of a goroutine interrupted by a signal: the runtime looks up
        # the interrupted pc itself, GDB (a caller of the hidden frame 0, which a Python
        # unwinder cannot mark as a signal frame) pc-1, which can be the line before.
        # Its function must agree, its line may not.
        tail = got[len(got) - len(want):] if len(got) >= len(want) else None
        if tail and want and not stripped and tail[0][0] == want[0][0]:
            tail = [want[0]] + tail[1:]
        ok = tail is not None and tail == want
    else:
        ok = got == want
    if not ok:
        fmt = (lambda x: hex(x)) if stripped else (lambda x: f"{x[0]} {x[1]}:{x[2]}")
        diffs.add(goid, f"bt after 'go goroutine {goid}' ({kind})",
                  " | ".join(fmt(x) for x in want), " | ".join(fmt(x) for x in got))


# ---------------------------------------------------------------------------------------
# Corrupting a core.


def core_file_offset(core: str, addr: int) -> Optional[int]:
    """The file offset of addr in an ELF64 core's PT_LOAD segments, or None."""
    with open(core, "rb") as f:
        eh = f.read(64)
        if len(eh) < 64 or eh[:4] != b"\x7fELF":
            return None
        phoff, = struct.unpack_from("<Q", eh, 32)
        phentsize, phnum = struct.unpack_from("<HH", eh, 54)
        f.seek(phoff)
        ph = f.read(phentsize * phnum)
    for i in range(phnum):
        p_type, _, p_offset, p_vaddr, _, p_filesz, _, _ = struct.unpack_from("<IIQQQQQQ", ph, i * phentsize)
        if p_type == 1 and p_vaddr <= addr < p_vaddr + p_filesz:
            return p_offset + (addr - p_vaddr)
    return None


def zero_page(core: str, addr: int) -> bool:
    off = core_file_offset(core, addr & ~0xFFF)
    if off is None:
        return False
    with open(core, "r+b") as f:
        f.seek(off)
        f.write(b"\0" * 4096)
    return True


# ---------------------------------------------------------------------------------------


def first_writable_load(core):
    """File offset of the core's first writable PT_LOAD segment that has bytes, or None."""
    with open(core, "rb") as f:
        eh = f.read(64)
        phoff = struct.unpack_from("<Q", eh, 32)[0]
        phentsize, phnum = struct.unpack_from("<HH", eh, 54)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    for i in range(phnum):
        p_type, p_flags, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", table, i * phentsize)
        if p_type == 1 and p_flags & 2 and p_filesz:  # PT_LOAD, PF_W
            return p_offset
    return None


class GdbRunner(cg.Runner):
    def __init__(self, args):
        super().__init__(args)
        self.script = args.gdb_script
        self.cli = args.cli

    def gdb_on_core(self, exe, core, work, probe=True) -> (Dict[str, str], dict, int, str):
        """Runs every command in gdb; returns ({name: output path}, probe result, rc, log)."""
        outs = {name: os.path.join(work, f"gdb-{name}.out") for name, _ in COMMANDS}
        cmds = [f'{c} --output "{outs[name]}"' for name, c in COMMANDS]
        probe_out = os.path.join(work, "gdb-probe.json")
        if probe:
            probe_py = os.path.join(work, "probe.py")
            with open(probe_py, "w") as f:
                f.write(GDB_PROBE)
            cmds += [f"source {probe_py}",
                     f'python _probe("{outs["goroutines"]}", "{probe_out}")']
        rc, log = run_gdb(gdb_argv(self.script, [f'file {exe}', f'core-file {core}'], cmds),
                          os.path.join(work, "gdb.log"))
        pr = {}
        if probe and os.path.exists(probe_out):
            with open(probe_out) as f:
                pr = json.load(f)
        return outs, pr, rc, log

    def lldb_on_core(self, exe, core, work) -> Dict[str, str]:
        outs = {name: os.path.join(work, f"lldb-{name}.out") for name, _ in COMMANDS}
        cmds = ([f'plugin load "{self.plugin}"', f'target create "{exe}" --core "{core}"'] +
                [f'{c} --output "{outs[name]}"' for name, c in COMMANDS])
        cg.run_lldb(cmds, None, os.path.join(work, "lldb.log"))
        return outs

    def cli_on_core(self, exe, core, work) -> Dict[str, str]:
        """Every command through cli/goinspect, run in work with the executable and core
        given relative to it (LLDB names the executable by its absolute path; so must the
        CLI). Returns {name: output path}; a crash or a timeout is a CaseError."""
        outs = {name: os.path.join(work, f"cli-{name}.out") for name, _ in COMMANDS}
        with open(os.path.join(work, "cli.log"), "w") as log:
            for name, cmd in COMMANDS:
                argv = ([self.cli, os.path.relpath(exe, work), os.path.relpath(core, work)] +
                        shlex.split(cmd)[1:] + ["--output", os.path.basename(outs[name])])
                rc, out, err = cg.run_bounded(argv, T_CLI, cwd=work)
                log.write(f"$ {' '.join(argv)}\nexit: {rc}\n{out.decode('utf-8', 'replace')}"
                          f"{err.decode('utf-8', 'replace')}\n")
                if rc is None:
                    raise CaseError(f"goinspect {cmd[3:]}: did not finish within {T_CLI}s")
                if rc < 0:
                    raise CaseError(f"goinspect {cmd[3:]}: killed by signal {-rc}")
        return outs

    def case_gdb_core(self, minor, mode, fixture, exe, work) -> Diffs:
        text, core = cg.crash_fixture(exe, work)
        with open(os.path.join(work, "dump.txt"), "w") as f:
            f.write(text)
        dump = crashdump.parse(text)
        if not dump.goroutines:
            raise CaseError("the fixture's stderr has no goroutine dump: " + text[-500:])
        gouts, probe, rc, log = self.gdb_on_core(exe, core, work)
        if rc != 0:
            raise CaseError(f"gdb exited {rc}: {log[-800:]}")
        res = read_json(gouts["goroutines"], "gdb go goroutines")
        diffs = cg.compare(dump, res, minor=minor, go_version=cg.toolchain_version(minor))
        louts = self.lldb_on_core(exe, core, work)
        couts = self.cli_on_core(exe, core, work)
        for name, cmd in COMMANDS:
            l = louts[name]
            if not os.path.exists(l):
                diffs.msg(f"{cmd}: LLDB wrote no output")
                continue
            with open(l, "rb") as f:
                lb = f.read()
            for who, outs in (("GDB", gouts), ("CLI", couts)):
                g = outs[name]
                if not os.path.exists(g):
                    diffs.msg(f"{cmd}: {who} wrote no output (LLDB did)")
                    continue
                with open(g, "rb") as f:
                    gb = f.read()
                if gb != lb:
                    gl, ll = gb.decode("utf-8", "replace").splitlines(), lb.decode("utf-8", "replace").splitlines()
                    first = next((i for i in range(max(len(gl), len(ll)))
                                  if i >= len(gl) or i >= len(ll) or gl[i] != ll[i]), 0)
                    diffs.add(None, f"'{cmd}' {who} vs LLDB (line {first + 1})",
                              ll[first] if first < len(ll) else "<end>",
                              gl[first] if first < len(gl) else "<end>")
        for kind in ("parked", "syscall", "running"):
            if kind in probe:
                bt_diffs(diffs, kind, probe[kind], stripped=(mode == "stripped"))
        if "parked" not in probe:
            diffs.msg("no parked goroutine to select")
        return diffs

    def case_gdb_live(self, minor, exe, work) -> Diffs:
        out_json = os.path.join(work, "gdb-goroutines.json")
        h = cg.HangingFixture(exe, work, "system")
        try:
            argv = gdb_argv(self.script, [f"attach {h.pid}"],
                            [f'go goroutines --json --frames all --output "{out_json}"', "detach"])
            t0 = time.monotonic()  # before the plugin looks; the dump is printed before quit returns
            rc, log = run_gdb(argv, os.path.join(work, "gdb.log"))
            _, dump = h.dump_after_detach(work, "gdb")
            minutes = cg.live_minutes_between(time.monotonic() - t0)
        finally:
            h.close()
        if rc != 0:
            raise CaseError(f"gdb exited {rc}: {log[-800:]}")
        res = read_json(out_json, "gdb go goroutines")
        return cg.compare(dump, res, minor=minor, live=True, go_version=cg.toolchain_version(minor),
                          live_minutes=minutes)

    def case_gdb_corrupt(self, minor, exe, work) -> Diffs:
        diffs = Diffs()
        _, core = cg.crash_fixture(exe, work)
        gouts, _, rc, log = self.gdb_on_core(exe, core, work, probe=False)
        good = read_json(gouts["goroutines"], "gdb go goroutines (intact core)")
        stacks = [int(g["stack"]["sp"], 16) for g in good.get("goroutines", [])
                  if g.get("status") == "waiting" and g.get("stack")]
        variants = []
        zeroed = os.path.join(work, "core.zeroed")
        os.rename(core, zeroed)
        if stacks and zero_page(zeroed, stacks[0]):
            variants.append(("zeroed stack page", zeroed))
        else:
            diffs.msg("could not zero a goroutine's stack page in the core")
        truncated = os.path.join(work, "core.truncated")
        size = os.path.getsize(zeroed)
        with open(zeroed, "rb") as src, open(truncated, "wb") as dst:
            left = size // 2
            while left > 0:
                chunk = src.read(min(left, 1 << 20))
                if not chunk:
                    break
                dst.write(chunk)
                left -= len(chunk)
        variants.append(("truncated to half", truncated))
        # Cut where the first writable segment's bytes begin (the executable's .data and
        # .bss: runtime.allgs): gdb would read them from the executable (.bss as zeros)
        # and see a runtime with no goroutines; it must fail the reads as LLDB and the CLI do.
        data_cut = os.path.join(work, "core.data-cut")
        offset = first_writable_load(zeroed)
        if offset is not None:
            with open(zeroed, "rb") as src, open(data_cut, "wb") as dst:
                dst.write(src.read(offset))
            variants.append(("cut before its data", data_cut))
        else:
            diffs.msg("the core has no writable PT_LOAD segment with bytes")
        for what, path in variants:
            sub = os.path.join(work, what.replace(" ", "-"))
            os.makedirs(sub, exist_ok=True)
            try:
                # The probe selects goroutines the list names: none when it cannot be read.
                gouts, _, rc, log = self.gdb_on_core(exe, path, sub, probe=path != data_cut)
            except CaseError as e:
                diffs.msg(f"{what}: {e}")
                continue
            if rc != 0 and path != data_cut:  # there, the last command fails too, as it should
                diffs.msg(f"{what}: gdb exited {rc}: {log[-400:]}")
            if "Fatal signal" in log or "internal-error" in log or "Traceback (most recent" in log:
                diffs.msg(f"{what}: gdb reported a crash or a Python traceback: {log[-400:]}")
            try:
                couts = self.cli_on_core(exe, path, sub)
            except CaseError as e:
                diffs.msg(f"{what}: {e}")
                continue
            # What the damaged core lets each read, GDB and the CLI read alike: a command
            # answers in both (the same bytes) or fails in both.
            for name, cmd in COMMANDS:
                g, c = gouts[name], couts[name]
                if os.path.exists(g) != os.path.exists(c):
                    diffs.msg(f"{what}: '{cmd}' answered in {'GDB' if os.path.exists(g) else 'the CLI'} only")
                elif os.path.exists(g):
                    with open(g, "rb") as f1, open(c, "rb") as f2:
                        if f1.read() != f2.read():
                            diffs.msg(f"{what}: '{cmd}' GDB and the CLI differ")
        return diffs

    def run_toolchain(self, minor: int, selected):
        for mode in self.args.modes:
            for fixture in self.args.fixtures:
                exe = self.exe(minor, mode, fixture)
                kinds = ["core", "live"] + (["corrupt"] if mode == "plain" and fixture == "parked" else [])
                for kind in kinds:
                    name = f"go1.{minor}/{mode}/{fixture}/gdb-{kind}"
                    if not selected(name):
                        continue

                    def body(work, kind=kind, mode=mode, fixture=fixture, exe=exe):
                        if kind == "core":
                            return self.case_gdb_core(minor, mode, fixture, exe, work)
                        if kind == "live":
                            return self.case_gdb_live(minor, exe, work)
                        return self.case_gdb_corrupt(minor, exe, work)

                    self.guarded(name, fixture, exe, body)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    cg.add_common_arguments(
        ap, cases_help="comma-separated globs over TOOLCHAIN/MODE/FIXTURE/gdb-KIND",
        dry_run_help="not supported by this harness", artifacts_help="keep failing cases' files here")
    ap.add_argument("--gdb-script", default=os.environ.get(
        "GOINSPECT_GDB_SCRIPT", os.path.join(cg.SOURCE_DIR, "build/gdb-scripts/go-gdb.py")))
    ap.add_argument("--cli", default=os.environ.get(
        "GOINSPECT_CLI", os.path.join(cg.SOURCE_DIR, "build/cli/goinspect")))
    ap.add_argument("--fixtures", default=",".join(FIXTURES), help="comma-separated")
    args = ap.parse_args(argv)
    cg.parse_modes(ap, args)
    cg.parse_fixtures(ap, args, FIXTURES)
    args.fixture_dir = os.path.abspath(args.fixture_dir)
    args.gdb_script = os.path.abspath(args.gdb_script)
    args.plugin = os.path.abspath(args.plugin)
    args.cli = os.path.abspath(args.cli)
    if args.dry_run:
        ap.error("--dry-run is not supported by check_gdb.py")
    if not os.path.exists(args.gdb_script):
        print(f"FAIL setup: {args.gdb_script} not found (build the gdb-scripts target)")
        print("0 passed, 1 failed")
        return 1
    if not os.path.exists(args.cli):
        print(f"FAIL setup: {args.cli} not found (build the goinspect target)")
        print("0 passed, 1 failed")
        return 1
    return cg.run_with_plugin(args, cg.case_selector(args.cases), GdbRunner)


if __name__ == "__main__":
    sys.exit(main())
